#pragma once
/// The retransmission timer's estimate, per RFC 6298, in integer nanoseconds (no floating
/// point). Read RFC 6298 §2 first: every formula below is one of its numbered steps.

#include <algorithm>

#include "stack/core/time.hpp"

namespace tachyon {

/// SRTT, RTTVAR and RTO of one connection (RFC 6298 §2), with exponential backoff (§5.5).
class rtt_estimator {
public:
    /// Clock granularity G of RFC 6298 §2: our clock is nanoseconds, but the poll loop reads it
    /// once per iteration, so a sample is good to about a microsecond.
    static constexpr duration granularity = duration::us(1);

    /// An estimator with no sample yet: RTO = `initial` (§2.1), bounded to [min, max] (§2.4-2.5).
    rtt_estimator(duration initial, duration min, duration max) : _rto(initial), _min(min), _max(max) {}

    /// Takes a round-trip sample `r` (Karn's rule is the caller's: never from a retransmitted
    /// segment, RFC 6298 §3, unless timestamps tell which transmission was answered).
    void sample(duration r) {
        if (r < duration{}) return;
        if (!_have_sample) {
            // (2.2) SRTT <- R, RTTVAR <- R/2
            _srtt = r;
            _rttvar = r / 2;
            _have_sample = true;
        } else {
            // (2.3) RTTVAR <- (1 - 1/4) * RTTVAR + 1/4 * |SRTT - R'|; SRTT <- (1 - 1/8) * SRTT + 1/8 * R'
            duration err = _srtt > r ? _srtt - r : r - _srtt;
            _rttvar = (_rttvar * 3 + err) / 4;
            _srtt = (_srtt * 7 + r) / 8;
        }
        // (2.2/2.3) RTO <- SRTT + max(G, K*RTTVAR), K = 4; (2.4) and (2.5) bound it.
        _base = std::clamp(_srtt + std::max(granularity, _rttvar * 4), _min, _max);
        _backoff = 0;
        _rto = _base;
    }
    /// Starts over without a sample at RTO `initial` (RFC 6298 (5.7): 3 s after a SYN timed out).
    void restart(duration initial) {
        *this = rtt_estimator(std::clamp(initial, _min, _max), _min, _max);
    }
    /// Sets the lower bound of the RTO (§2.4), applied at once to the current estimate.
    void set_min(duration min) {
        _min = std::min(min, _max);
        if (_have_sample) _base = std::clamp(_srtt + std::max(granularity, _rttvar * 4), _min, _max);
        if (_backoff == 0) _rto = _have_sample ? _base : std::clamp(_rto, _min, _max);
    }
    /// Doubles the RTO after a retransmission timeout (§5.5), up to the maximum.
    void back_off() {
        if (_rto < _max) _rto = std::min(_rto * 2, _max);
        ++_backoff;
    }
    /// The current retransmission timeout.
    duration rto() const { return _rto; }
    /// The smoothed round-trip time (zero before the first sample).
    duration srtt() const { return _srtt; }
    /// The round-trip time variation (zero before the first sample).
    duration rttvar() const { return _rttvar; }
    /// Timeouts in a row since the last sample.
    unsigned backoffs() const { return _backoff; }
    /// True once a sample was taken.
    bool has_sample() const { return _have_sample; }

private:
    duration _srtt{};
    duration _rttvar{};
    duration _rto;
    duration _base{};
    duration _min, _max;
    unsigned _backoff = 0;
    bool _have_sample = false;
};

} // namespace tachyon
