#pragma once
/// Congestion control of one connection: the window (cwnd) and slow-start threshold (ssthresh)
/// of RFC 5681, NewReno's fast recovery without SACK (RFC 6582), and Proportional Rate
/// Reduction (RFC 6937) for how much to send during SACK-based recovery (RFC 6675).
///
/// The TCB calls the algorithm through the members that `tcp_congestion_control` names; the
/// algorithm in use is chosen at compile time (`tcp_congestion`), so a call is never virtual.
/// Another algorithm (CUBIC, say) implements the same members and takes the alias's place.

#include <algorithm>
#include <concepts>
#include <cstdint>

namespace tachyon {

/// What the TCB needs of a congestion-control algorithm. Sizes are in bytes; `mss` is the
/// sender's MSS (SMSS), `flight` the data outstanding (SND.NXT - SND.UNA).
template <class C>
concept tcp_congestion_control = requires(C c, const C cc, uint32_t n) {
    { c.start(n) } -> std::same_as<void>;              // the initial window for SMSS n
    { c.on_ack(n, n) } -> std::same_as<void>;          // n bytes newly acknowledged, outside recovery
    { c.enter_recovery(n, n) } -> std::same_as<void>;  // loss detected with `flight` outstanding
    { c.on_recovery_ack(n, n, n) } -> std::same_as<void>; // delivered, pipe, mss: sets cwnd
    { c.on_recovery_sent(n) } -> std::same_as<void>;   // bytes sent during recovery
    { c.exit_recovery(n) } -> std::same_as<void>;      // RecoveryPoint acknowledged
    { c.on_timeout(n, n) } -> std::same_as<void>;      // the RTO fired with `flight` outstanding
    { c.on_loss_repaired_by_probe(n) } -> std::same_as<void>; // a tail loss probe repaired a loss
    { cc.cwnd() } -> std::same_as<uint32_t>;
    { cc.ssthresh() } -> std::same_as<uint32_t>;
};

/// RFC 5681 slow start and congestion avoidance, RFC 6582 NewReno, RFC 6937 PRR (SSRB).
class tcp_newreno {
public:
    /// RFC 5681 §3.1 (RFC 3390): the initial window; ssthresh as high as it goes.
    void start(uint32_t mss) {
        _cwnd = mss > 2190 ? 2 * mss : mss > 1095 ? 3 * mss : 4 * mss;
        _ssthresh = UINT32_MAX / 2;
    }
    /// RFC 5681 §3.1: slow start (eq. 2) below ssthresh, congestion avoidance (eq. 3) above.
    void on_ack(uint32_t acked, uint32_t mss) {
        if (_cwnd < _ssthresh) _cwnd += std::min(acked, mss);
        else _cwnd += std::max<uint32_t>(1, uint32_t(uint64_t(mss) * mss / _cwnd));
    }
    /// RFC 5681 §3.2 step 2 / RFC 6675 §5 (4.2): ssthresh = max(FlightSize / 2, 2 SMSS); RFC
    /// 6937 §3: PRR starts with RecoverFS = FlightSize. cwnd is then set per ACK by
    /// `on_recovery_ack` (SACK) or by `newreno_*` (no SACK).
    void enter_recovery(uint32_t flight, uint32_t mss) {
        _ssthresh = std::max(flight / 2, 2 * mss);
        _cwnd = _ssthresh;
        _recover_fs = std::max(flight, 1u);
        _prr_delivered = _prr_out = 0;
    }
    /// RFC 6937 §3.1, on every ACK in SACK recovery: `delivered` bytes newly acknowledged or
    /// SACKed by it, `pipe` (RFC 6675 SetPipe) after it. cwnd becomes pipe + sndcnt, so the
    /// caller sends while cwnd - pipe >= SMSS.
    void on_recovery_ack(uint32_t delivered, uint32_t pipe, uint32_t mss) {
        _prr_delivered += delivered;
        int64_t sndcnt;
        if (pipe > _ssthresh) {
            // Proportional: the sending rate falls to ssthresh / RecoverFS of the delivery rate.
            sndcnt = int64_t((uint64_t(_prr_delivered) * _ssthresh + _recover_fs - 1) / _recover_fs) - _prr_out;
        } else {
            // PRR-SSRB: catch up to ssthresh, at most one segment more than was delivered.
            const int64_t limit = std::max<int64_t>(int64_t(_prr_delivered) - _prr_out, delivered) + mss;
            sndcnt = std::min<int64_t>(int64_t(_ssthresh) - pipe, limit);
        }
        // Linux's tcp_cwnd_reduction: the fast retransmit goes even when PRR would wait.
        if (_prr_out == 0) sndcnt = std::max<int64_t>(sndcnt, mss);
        _cwnd = pipe + uint32_t(std::max<int64_t>(sndcnt, 0));
    }
    /// RFC 6937 §3.1: prr_out += data sent (new or retransmitted) during recovery.
    void on_recovery_sent(uint32_t bytes) { _prr_out += bytes; }
    /// RFC 6675 §5 / RFC 6937 §3.1: recovery ends with cwnd = ssthresh.
    void exit_recovery(uint32_t mss) { _cwnd = std::max(_ssthresh, mss); }
    /// RFC 5681 §3.1 eq. (4) and the loss window after a retransmission timeout.
    void on_timeout(uint32_t flight, uint32_t mss) {
        _ssthresh = std::max(flight / 2, 2 * mss);
        _cwnd = mss;
    }
    /// RFC 8985 §7.4.2: a tail loss probe repaired a loss: respond as to any loss.
    void on_loss_repaired_by_probe(uint32_t mss) {
        _ssthresh = std::max(_cwnd / 2, 2 * mss);
        _cwnd = _ssthresh;
    }

    /// RFC 5681 §3.2 step 3 (NewReno without SACK): the window inflated by the three
    /// duplicates that signalled the loss.
    void newreno_enter(uint32_t mss) { _cwnd = _ssthresh + 3 * mss; }
    /// Step 4: each further duplicate ACK inflates the window by one segment.
    void newreno_dup_ack(uint32_t mss) { _cwnd += mss; }
    /// RFC 6582 §3.2 step 4: a partial ACK deflates by what it acknowledged, adds one segment back.
    void newreno_partial_ack(uint32_t acked, uint32_t mss) {
        _cwnd = _cwnd > acked ? _cwnd - acked : 0;
        if (acked >= mss) _cwnd += mss;
        _cwnd = std::max(_cwnd, mss);
    }
    /// RFC 6582 §3.2 step 3: a full ACK ends recovery with min(ssthresh, max(FlightSize, SMSS) + SMSS).
    void newreno_exit(uint32_t flight, uint32_t mss) { _cwnd = std::min(_ssthresh, std::max(flight, mss) + mss); }

    /// The congestion window.
    uint32_t cwnd() const { return _cwnd; }
    /// The slow-start threshold.
    uint32_t ssthresh() const { return _ssthresh; }

private:
    uint32_t _cwnd = 0, _ssthresh = 0;
    uint32_t _recover_fs = 1;   // RFC 6937 RecoverFS
    uint32_t _prr_delivered = 0; // RFC 6937 prr_delivered
    uint32_t _prr_out = 0;       // RFC 6937 prr_out
};

/// The algorithm every connection uses.
using tcp_congestion = tcp_newreno;
static_assert(tcp_congestion_control<tcp_congestion>);

} // namespace tachyon
