#pragma once
/// The two clocks a one-way latency involves. The sender stamps each datagram with
/// CLOCK_REALTIME (the one clock two processes, or two hosts under PTP, share); the stack stamps
/// each received frame with its poll clock, CLOCK_MONOTONIC (stack/core/clock.hpp). The receiver
/// measures realtime - monotonic once at start and adds it to each receive time. A step of the
/// realtime clock during the run (NTP) shows up as a latency shift.

#include <cstdint>
#include <ctime>

#include "stack/core/time.hpp"

namespace tachyon::mcast {

/// Nanoseconds since the Unix epoch (CLOCK_REALTIME).
inline uint64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

inline int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns: of several readings, the one whose realtime
/// read sat between the two closest monotonic reads.
inline int64_t realtime_offset_ns() {
    int64_t best_gap = INT64_MAX, offset = 0;
    for (int i = 0; i < 32; ++i) {
        const int64_t m1 = monotonic_ns();
        const int64_t r = int64_t(realtime_ns());
        const int64_t m2 = monotonic_ns();
        if (m2 - m1 < best_gap) {
            best_gap = m2 - m1;
            offset = r - (m1 + (m2 - m1) / 2);
        }
    }
    return offset;
}

/// A stack instant (CLOCK_MONOTONIC) on the realtime scale.
inline int64_t to_realtime_ns(instant t, int64_t offset) { return t.ns_since_epoch() + offset; }

} // namespace tachyon::mcast
