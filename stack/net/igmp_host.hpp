#pragma once
/// The host side of IGMP: which groups this interface belongs to, with which source filter,
/// and what must be reported when. Version 3 (RFC 3376 §5) with compatibility with v2 and v1
/// queriers (RFC 3376 §7.2, RFC 2236 §3). Sans-IO: the stack feeds it queries and reports heard
/// on the wire and the interface state it wants; `on_timer` hands back the messages to send.
/// Read RFC 3376 §3 (interface state), §5.1 (state-change reports) and §5.2 (answers to queries)
/// first.
///
/// Interface state per group is INCLUDE(sources) or EXCLUDE({}) (this stack never excludes a
/// particular source): an any-source join is EXCLUDE({}); source-specific joins add sources to
/// INCLUDE; INCLUDE({}) means not a member. A change is reported at once and repeated
/// robustness - 1 more times at random intervals within the unsolicited report interval; a
/// change while repetitions are pending is merged into them (§5.1). Queries are answered after a
/// random delay within their maximum response time (§5.2).

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "stack/core/addr.hpp"
#include "stack/core/config.hpp"
#include "stack/core/index_table.hpp"
#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/core/time.hpp"
#include "stack/wire/igmp.hpp"

namespace tachyon {

#define TACHYON_IGMP_COUNTERS(X)                                                               \
    X(rx_queries)           /* membership queries received */                                  \
    X(rx_v1_queries)        /* of which version 1 (compatibility mode follows, §7.2.1) */      \
    X(rx_v2_queries)        /* of which version 2 */                                           \
    X(rx_reports)           /* other hosts' reports heard */                                   \
    X(tx_v3_reports)        /* version 3 reports sent */                                       \
    X(tx_v2_reports)        /* version 2 reports sent */                                       \
    X(tx_v1_reports)        /* version 1 reports sent */                                       \
    X(tx_leaves)            /* version 2 leave group messages sent */                          \
    X(drop_truncated)       /* too short, or records or sources overrun the message */         \
    X(drop_bad_checksum)    /* checksum wrong */                                               \
    X(drop_bad_type)        /* not an IGMP message type */                                     \
    X(drop_bad_destination) /* a query sent to a group we are not in (§4.1.12) */

/// IGMP counters.
struct igmp_stats {
    TACHYON_COUNTERS(TACHYON_IGMP_COUNTERS)
};

/// One IGMP message to send: a v3 report's records, or a v1/v2 report or leave for a group.
struct igmp_output {
    uint8_t type = 0;                                 ///< wire::igmp_type of the message
    ipv4_address group;                               ///< v1/v2: the group
    std::span<const wire::igmp_group_record> records; ///< v3: the records (valid during the call)
};

/// The IGMP host state of one interface.
class igmp_host {
public:
    /// Most sources one group's INCLUDE filter holds.
    static constexpr size_t max_sources = 16;

    /// A host for `settings.max_groups` groups; `seed` drives the random delays (deterministic).
    igmp_host(const multicast_settings& settings, uint64_t seed);

    /// Sets the interface state of `group`: EXCLUDE({}) when `any_source`, else INCLUDE(sources).
    /// INCLUDE({}) leaves. Schedules the state-change report. Fails when the group table or the
    /// source list is full, or `group` is not a multicast address.
    errc set_state(ipv4_address group, bool any_source, std::span<const ipv4_address> sources, instant now);
    /// True when the interface is a member of `group` (any filter).
    bool joined(ipv4_address group) const {
        uint32_t slot = _index.find(group);
        return slot != decltype(_index)::npos && _groups[slot].member();
    }
    /// True when the interface filter lets `source`'s datagrams to `group` in.
    bool accepts(ipv4_address group, ipv4_address source) const;

    /// A query heard at `now` (already validated). `dst` is where it was sent.
    void on_query(const wire::igmp_query& q, ipv4_address dst, instant now);
    /// Another host's v1/v2 report for `group`: cancels our pending answer (RFC 2236 §3).
    void on_report(ipv4_address group, instant now);

    /// Hands every message due at `now` to `emit(const igmp_output&)`.
    template <class Emit>
    void on_timer(instant now, Emit&& emit);
    /// When `on_timer` next has work.
    instant next_deadline() const { return _next_deadline; }

    /// The version this host speaks now (RFC 3376 §7.2.1).
    wire::igmp_version version(instant now) const;
    /// The MACs of every group the interface belongs to (for the device filter).
    void group_macs(std::vector<mac_address>& out) const;
    /// Groups in use (members, and leavers still reporting).
    size_t size() const { return _index.size(); }
    /// The counters (the stack counts drops of malformed messages here too).
    igmp_stats& stats() { return _stats; }
    /// The counters.
    const igmp_stats& stats() const { return _stats; }

private:
    struct filter {
        bool exclude = false; // EXCLUDE({}) when true
        uint8_t count = 0;    // INCLUDE sources
        std::array<ipv4_address, max_sources> sources{};
        bool member() const { return exclude || count > 0; }
        bool has(ipv4_address s) const;
        bool operator==(const filter& o) const;
    };
    struct group_entry {
        ipv4_address group;
        filter now;                       // the interface state
        filter reported;                  // what routers last heard: the base of the change being reported
        bool transmitted = false;         // the pending change went out at least once
        uint8_t changes_left = 0;         // state-change transmissions still to send
        instant change_at = instant::never();  // next state-change transmission
        instant answer_at = instant::never();  // pending answer to a query for this group
        bool in_use = false;
        bool member() const { return now.member(); }
    };
    struct ip_hash {
        uint64_t operator()(ipv4_address a) const { return a.value; }
    };

    duration random_delay(duration max);
    duration unsolicited_interval(wire::igmp_version v) const;
    void schedule(instant t) {
        if (t < _next_deadline) _next_deadline = t;
    }
    void recompute_deadline();
    void release(uint32_t slot);
    size_t change_records(const group_entry& g, wire::igmp_group_record* out, std::span<ipv4_address> scratch);
    wire::igmp_group_record current_record(const group_entry& g) const;

    multicast_settings _settings;
    std::vector<group_entry> _groups;
    index_table<ipv4_address, ip_hash> _index;
    std::vector<wire::igmp_group_record> _records; // scratch for one report
    std::vector<ipv4_address> _scratch;            // scratch for computed source lists
    instant _general_answer_at = instant::never();  // pending answer to a general query (v3)
    instant _v1_querier_until;                      // RFC 3376 §7.2.1 compatibility timers
    instant _v2_querier_until;
    instant _next_deadline = instant::never();
    uint64_t _rng;
    igmp_stats _stats;
};

template <class Emit>
void igmp_host::on_timer(instant now, Emit&& emit) {
    if (now < _next_deadline) return;
    const wire::igmp_version v = version(now);
    const size_t max_records = _records.size();

    // An answer to a general query (v3): one current-state record per group (§5.2), in as
    // many reports as the MTU needs.
    if (now >= _general_answer_at) {
        _general_answer_at = instant::never();
        size_t n = 0;
        for (auto& g : _groups) {
            if (!g.in_use || !g.member()) continue;
            _records[n++] = current_record(g);
            if (n == max_records) {
                ++_stats.tx_v3_reports;
                emit(igmp_output{wire::igmp_type::v3_membership_report, {}, std::span(_records.data(), n)});
                n = 0;
            }
        }
        if (n > 0) {
            ++_stats.tx_v3_reports;
            emit(igmp_output{wire::igmp_type::v3_membership_report, {}, std::span(_records.data(), n)});
        }
    }

    for (uint32_t slot = 0; slot < _groups.size(); ++slot) {
        group_entry& g = _groups[slot];
        if (!g.in_use) continue;
        // State-change reports (§5.1; v2: unsolicited reports and the leave, RFC 2236 §3).
        if (now >= g.change_at) {
            if (v == wire::igmp_version::v3) {
                wire::igmp_group_record recs[2];
                size_t n = change_records(g, recs, _scratch);
                if (n > 0) {
                    ++_stats.tx_v3_reports;
                    emit(igmp_output{wire::igmp_type::v3_membership_report, {}, std::span(recs, n)});
                }
            } else if (g.member()) {
                const uint8_t type = v == wire::igmp_version::v1 ? wire::igmp_type::v1_membership_report
                                                                : wire::igmp_type::v2_membership_report;
                ++(v == wire::igmp_version::v1 ? _stats.tx_v1_reports : _stats.tx_v2_reports);
                emit(igmp_output{type, g.group, {}});
            } else if (g.reported.member() && v == wire::igmp_version::v2) {
                // RFC 2236 §3: a leave goes once to all-routers; v1 has no leave.
                ++_stats.tx_leaves;
                emit(igmp_output{wire::igmp_type::v2_leave_group, g.group, {}});
                g.changes_left = 1;
            }
            g.transmitted = true;
            if (--g.changes_left > 0) {
                g.change_at = now + random_delay(unsolicited_interval(v));
            } else {
                g.change_at = instant::never();
                g.reported = g.now;
            }
        }
        // An answer to a group-specific query, or a v1/v2 general query (per group).
        if (now >= g.answer_at) {
            g.answer_at = instant::never();
            if (g.member()) {
                if (v == wire::igmp_version::v3) {
                    wire::igmp_group_record rec = current_record(g);
                    ++_stats.tx_v3_reports;
                    emit(igmp_output{wire::igmp_type::v3_membership_report, {}, std::span(&rec, 1)});
                } else {
                    const uint8_t type = v == wire::igmp_version::v1 ? wire::igmp_type::v1_membership_report
                                                                    : wire::igmp_type::v2_membership_report;
                    ++(v == wire::igmp_version::v1 ? _stats.tx_v1_reports : _stats.tx_v2_reports);
                    emit(igmp_output{type, g.group, {}});
                }
            }
        }
        if (!g.member() && g.change_at == instant::never()) release(slot);
    }
    recompute_deadline();
}

} // namespace tachyon
