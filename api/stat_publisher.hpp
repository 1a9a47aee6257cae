#pragma once
/// Keeps a stack's segment fresh from the runtime's loop, off the per-packet path: the
/// heartbeat and the cold counters (device, ARP cache, IGMP host) at most once per `period`
/// (1 ms), and the connection table when a reader asked for it (seen within a period) and every
/// `table_period` (1 s) anyway. The stack's own counters need nothing: they live in the segment.
/// Between refreshes the loop pays one comparison per iteration.

#include <span>

#include "api/stat_segment.hpp"
#include "stack/core/time.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {

/// Refreshes one segment from one stack.
class stat_publisher {
public:
    /// A publisher that does nothing (no segment).
    stat_publisher() = default;
    /// Refreshes `seg` from `st`; both must outlive it.
    stat_publisher(stat_segment& seg, stack& st, duration period = duration::ms(1),
                   duration table_period = duration::s(1));

    /// From the loop, after each poll: refreshes when one is due.
    void maybe_refresh(instant now) {
        if (now >= _next) [[unlikely]]
            refresh(now, false);
    }
    /// Refreshes now: heartbeat and cold counters, and the table when asked, due or `with_table`.
    void refresh(instant now, bool with_table);

    /// Fills `rows` with the stack's TCP connections and listeners and UDP sockets; returns how
    /// many (at most `rows.size()`).
    static size_t fill_table(const stack& st, std::span<stat_connection> rows);

private:
    stat_segment* _seg = nullptr;
    stack* _st = nullptr;
    duration _period{};
    duration _table_period{};
    instant _next = instant::never();
    instant _next_table;
};

} // namespace tachyon
