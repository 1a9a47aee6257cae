#pragma once
/// Tracks the sequence numbers of one stream: what arrived in order, what jumped ahead (a gap),
/// what came back later (reordered), what came twice (duplicate). A sliding window of the last
/// `window` sequence numbers remembers which were seen; anything older than the window is
/// counted as `too_old` (it cannot be told apart). Fixed memory, no allocation per datagram.

#include <cstdint>
#include <vector>

namespace tachyon::mcast {

class sequence_tracker {
public:
    /// Sequence numbers remembered behind the highest one seen.
    static constexpr uint64_t window = 1u << 16;

    sequence_tracker() : _seen(window / 64, 0) {}

    /// What one arrival was.
    enum class verdict { first, in_order, gap, reordered, duplicate, too_old };

    /// Records `seq`.
    verdict on(uint64_t seq) {
        ++_received;
        if (!_started) {
            _started = true;
            _first = _highest = seq;
            mark(seq);
            ++_distinct;
            return verdict::first;
        }
        if (seq > _highest) {
            clear_range(_highest + 1, seq);
            const bool gap = seq != _highest + 1;
            if (gap) ++_gaps;
            _highest = seq;
            mark(seq);
            ++_distinct;
            return gap ? verdict::gap : verdict::in_order;
        }
        if (_highest - seq >= window) {
            ++_too_old;
            return verdict::too_old;
        }
        if (is_marked(seq)) {
            ++_duplicates;
            return verdict::duplicate;
        }
        // Earlier than the highest and not seen: it was missing and arrived late.
        mark(seq);
        ++_distinct;
        ++_reordered;
        if (seq < _first) _first = seq;
        return verdict::reordered;
    }

    /// Datagrams recorded, whatever their verdict.
    uint64_t received() const { return _received; }
    /// Distinct sequence numbers seen.
    uint64_t distinct() const { return _distinct; }
    /// Jumps ahead past at least one missing number (gap events).
    uint64_t gaps() const { return _gaps; }
    /// Sequence numbers between the first and the highest seen that never arrived.
    uint64_t missing() const {
        if (!_started) return 0;
        const uint64_t span = _highest - _first + 1;
        return span > _distinct ? span - _distinct : 0;
    }
    /// Arrivals of a number already seen.
    uint64_t duplicates() const { return _duplicates; }
    /// Late arrivals of a missing number.
    uint64_t reordered() const { return _reordered; }
    /// Arrivals older than the window.
    uint64_t too_old() const { return _too_old; }
    /// True once something arrived.
    bool started() const { return _started; }
    /// The lowest sequence number seen.
    uint64_t first() const { return _first; }
    /// The highest sequence number seen.
    uint64_t highest() const { return _highest; }

private:
    void mark(uint64_t seq) { _seen[(seq % window) / 64] |= uint64_t(1) << (seq % 64); }
    bool is_marked(uint64_t seq) const { return (_seen[(seq % window) / 64] >> (seq % 64)) & 1; }
    // Forgets the slots that `from..to` (inclusive) take over from numbers a window older.
    void clear_range(uint64_t from, uint64_t to) {
        if (to - from + 1 >= window) {
            for (auto& w : _seen) w = 0;
            return;
        }
        for (uint64_t s = from; s <= to; ++s) _seen[(s % window) / 64] &= ~(uint64_t(1) << (s % 64));
    }

    std::vector<uint64_t> _seen;
    bool _started = false;
    uint64_t _first = 0, _highest = 0;
    uint64_t _received = 0, _distinct = 0, _gaps = 0, _duplicates = 0, _reordered = 0, _too_old = 0;
};

} // namespace tachyon::mcast
