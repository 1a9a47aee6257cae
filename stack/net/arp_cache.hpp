#pragma once
/// The neighbour cache: IPv4 address → MAC, per RFC 826 and RFC 1122 §2.3.2. Sans-IO: it
/// decides, the stack sends. Read RFC 826 ("Packet Reception") and RFC 1122 §2.3.2.1-2 first.
///
/// Entry life cycle:
///   (absent) ──lookup miss + enqueue──▶ incomplete ──reply/request from it──▶ reachable
///   incomplete ──max_requests unanswered──▶ (absent), its waiting frames dropped and counted
///   reachable ──half of reachable_time without confirmation, on use──▶ unicast refresh request
///              (the entry stays usable: no stall while it is refreshed)
///   reachable ──reachable_time without confirmation──▶ incomplete again on the next use
///   static: never ages, never changes.
/// Requests for one neighbour go out at most once per `retry_interval` (RFC 1122 §2.3.2.1).
/// Frames waiting for a resolution are held in a bounded queue per neighbour (RFC 1122
/// §2.3.2.2 asks for at least one); a frame that finds the queue full is dropped and counted.

#include <cstdint>
#include <span>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/core/addr.hpp"
#include "stack/core/config.hpp"
#include "stack/core/index_table.hpp"
#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/core/time.hpp"

namespace tachyon {

#define TACHYON_ARP_CACHE_COUNTERS(X)                                                           \
    X(resolved)              /* incomplete entries that got their answer */                      \
    X(refreshes)             /* unicast requests sent to refresh an ageing entry */             \
    X(expired)               /* entries that outlived reachable_time */                        \
    X(evicted)               /* reachable entries pushed out by a new neighbour (table full) */ \
    X(failed)                /* resolutions given up after max_requests */                      \
    X(drop_pending_overflow) /* frames refused: the neighbour's waiting queue was full */       \
    X(drop_unresolved)       /* frames dropped with a resolution given up */                    \
    X(drop_table_full)       /* frames refused: no entry free for a new neighbour */

/// Counters of the neighbour cache.
struct arp_cache_stats {
    TACHYON_COUNTERS(TACHYON_ARP_CACHE_COUNTERS)
};

/// What the caller must send to keep resolution going.
enum class arp_request_kind : uint8_t {
    none,      ///< nothing to send
    broadcast, ///< a broadcast request (resolution)
    unicast,   ///< a request unicast to the known MAC (refresh, RFC 1122 §2.3.2.1)
};

/// The result of a lookup for transmission.
struct arp_lookup {
    const mac_address* mac = nullptr;          ///< the neighbour's MAC, when usable now
    arp_request_kind request = arp_request_kind::none; ///< a request the caller must send now
};

/// The neighbour cache.
class arp_cache {
public:
    /// A cache sized and timed by `settings`.
    explicit arp_cache(const arp_settings& settings);

    /// Adds a permanent entry; fails when the table is full.
    result<void> add_static(ipv4_address ip, mac_address mac);

    /// Looks `ip` up to send a frame at `now`. A miss leaves `mac` null: the caller then
    /// `enqueue`s the frame. `request` says whether a request must go out now.
    arp_lookup lookup(ipv4_address ip, instant now);

    /// Holds `frame` until `ip` resolves (after a missed lookup); creates the incomplete entry
    /// and returns the request to send. A refused frame is dropped here and counted.
    arp_request_kind enqueue(ipv4_address ip, packet&& frame, instant now);

    /// Starts resolving `ip` with no frame waiting (the gateway at start-up).
    arp_request_kind resolve(ipv4_address ip, instant now);

    /// Applies what a received ARP packet says: `ip` is at `mac` (RFC 826 "merge"). With
    /// `create` (the packet was for us) an absent entry is added. Frames that waited for `ip`
    /// are handed to `send(packet&&, const mac_address&)` in order.
    template <class Send>
    void update(ipv4_address ip, mac_address mac, bool create, instant now, Send&& send);

    /// Retries due resolutions: calls `request(ipv4_address)` for each request due now, and
    /// gives up resolutions past `max_requests` (their frames are dropped and counted).
    template <class Request>
    void on_timer(instant now, Request&& request);

    /// When `on_timer` next has work (instant::never() when none).
    instant next_deadline() const { return _next_deadline; }

    /// The MAC of `ip` if known and not expired (no side effect; for the control path).
    const mac_address* peek(ipv4_address ip, instant now) const;
    /// Entries in use.
    size_t size() const { return _index.size(); }
    /// The cache's counters.
    const arp_cache_stats& stats() const { return _stats; }

private:
    enum class state : uint8_t { free, incomplete, reachable, permanent };
    struct entry {
        ipv4_address ip;
        mac_address mac;
        state st = state::free;
        uint8_t requests = 0;     // requests sent in the current resolution
        uint16_t pending = 0;     // frames waiting (incomplete only)
        uint16_t pending_head = 0;
        instant confirmed;        // last confirmation (reachable)
        instant next_request;     // earliest time the next request may go out
        uint32_t next_free = 0;   // free list link
    };
    struct ip_hash {
        uint64_t operator()(ipv4_address a) const { return a.value; }
    };

    uint32_t allocate(ipv4_address ip, instant now);
    void release(uint32_t slot);
    bool evict_one();
    arp_request_kind start_resolution(entry& e, instant now);
    packet* pending_slot(uint32_t slot, size_t i);
    void drop_pending(uint32_t slot);
    void note_deadline(instant t) {
        if (t < _next_deadline) _next_deadline = t;
    }

    arp_settings _settings;
    std::vector<entry> _entries;
    std::vector<packet> _pending; // `pending_per_neighbour` slots per entry
    index_table<ipv4_address, ip_hash> _index;
    uint32_t _free_head = 0;
    size_t _incomplete = 0;
    instant _next_deadline = instant::never();
    arp_cache_stats _stats;
};

template <class Send>
void arp_cache::update(ipv4_address ip, mac_address mac, bool create, instant now, Send&& send) {
    uint32_t slot = _index.find(ip);
    if (slot == decltype(_index)::npos) {
        // RFC 826: add the sender only when the packet was for us ("?Am I the target").
        if (!create) return;
        slot = allocate(ip, now);
        if (slot == decltype(_index)::npos) return; // table full of permanent/incomplete entries
    }
    entry& e = _entries[slot];
    if (e.st == state::permanent) return; // static entries are never overwritten
    bool was_incomplete = e.st == state::incomplete;
    e.mac = mac;
    e.st = state::reachable;
    e.confirmed = now;
    e.requests = 0;
    e.next_request = now;
    if (was_incomplete) {
        --_incomplete;
        ++_stats.resolved;
        // Send what waited, oldest first (RFC 1122 §2.3.2.2).
        for (size_t i = 0; i < e.pending; ++i) {
            packet* p = pending_slot(slot, (e.pending_head + i) % _settings.pending_per_neighbour);
            send(std::move(*p), e.mac);
            p->reset();
        }
        e.pending = 0;
        e.pending_head = 0;
    }
}

template <class Request>
void arp_cache::on_timer(instant now, Request&& request) {
    if (now < _next_deadline) return;
    _next_deadline = instant::never();
    if (_incomplete == 0) return;
    // Only incomplete entries have deadlines; there are few of them, bounded by the table.
    for (uint32_t slot = 0; slot < _entries.size(); ++slot) {
        entry& e = _entries[slot];
        if (e.st != state::incomplete) continue;
        if (now >= e.next_request) {
            if (e.requests >= _settings.max_requests) {
                ++_stats.failed;
                _stats.drop_unresolved += e.pending;
                drop_pending(slot);
                --_incomplete;
                _index.erase(e.ip);
                release(slot);
                continue;
            }
            ++e.requests;
            e.next_request = now + _settings.retry_interval;
            request(e.ip);
        }
        note_deadline(e.next_request);
    }
}

} // namespace tachyon
