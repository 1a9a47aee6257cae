#pragma once
/// The UDP endpoint table (RFC 768): fixed-capacity, endpoints found by (local address, port)
/// through a hash index. A unicast datagram costs one probe (sockets bound to our address are
/// filed under "any": the stack has one address); a multicast one two, (group, port) then
/// (any, port). Sans-IO: it only holds state; the stack's udp.cpp moves datagrams. Ephemeral
/// ports come from 49152-65535 (RFC 6335 §6).

#include <cstdint>
#include <span>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/buf/packet_ring.hpp"
#include "stack/core/addr.hpp"
#include "stack/core/index_table.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"

namespace tachyon {

/// A received datagram as a receive callback sees it: a view into the received frame.
struct datagram {
    std::span<const std::byte> payload; ///< the data (valid during the callback only)
    ipv4_address src;                   ///< the sender's address
    uint16_t src_port = 0;              ///< the sender's port
    ipv4_address dst;                   ///< the address it was sent to (ours, a broadcast or a group)
    uint16_t dst_port = 0;              ///< the port it was sent to
    instant rx_time;                    ///< when the frame was received
};

/// Receives datagrams: a plain function and its context (no allocation, no virtual call).
using datagram_handler = void (*)(void* context, const datagram& d);

/// A UDP endpoint's identity: its slot in the table.
using udp_id = uint32_t;

/// One multicast membership of a socket: a group, from any source or from one source.
struct udp_membership {
    ipv4_address group;  ///< the group
    ipv4_address source; ///< the one source wanted (RFC 3376 INCLUDE), or any
};

/// One UDP endpoint.
struct udp_endpoint {
    bool open = false;                 ///< the slot is in use
    bool bound = false;                ///< a local port is assigned
    uint16_t local_port = 0;           ///< the bound port
    ipv4_address local_address;        ///< any, or our address
    ipv4_address remote_address;       ///< the default destination (after connect)
    uint16_t remote_port = 0;          ///< its port, 0 when not connected
    datagram_handler handler = nullptr;///< the receive callback, or null for pull mode
    void* context = nullptr;           ///< the callback's context
    packet_ring queue;                 ///< pull-mode receive queue (bounded)
    uint8_t ttl = 0;                   ///< unicast TTL (0: the stack's default)
    uint8_t multicast_ttl = 0;         ///< multicast TTL (0: the stack's default)
    bool multicast_loop = false;       ///< deliver our own multicast to our joined sockets too
    size_t queue_limit = 0;            ///< pull-queue length in use (at most its capacity)
    std::vector<udp_membership> memberships; ///< joined groups (capacity fixed at open)
    uint64_t rx_drop_source_filtered = 0; ///< multicast datagrams from a source not joined
    uint64_t rx_datagrams = 0;         ///< datagrams delivered
    uint64_t rx_drop_queue_full = 0;   ///< datagrams dropped: the pull queue was full
    uint64_t tx_datagrams = 0;         ///< datagrams sent
};

/// The endpoints of one stack.
class udp_table {
public:
    /// A table of `capacity` endpoints, each with a pull queue of `queue_len` datagrams and
    /// room for `memberships` multicast joins.
    udp_table(size_t capacity, size_t queue_len, size_t memberships);

    /// Opens an unbound endpoint; fails when the table is full.
    result<udp_id> open();
    /// Binds `id` to `port` (0: an ephemeral port) on `address` (any, or a multicast group;
    /// the caller files our own address as any).
    errc bind(udp_id id, ipv4_address address, uint16_t port);
    /// Closes `id`, dropping its queued datagrams.
    void close(udp_id id);
    /// The endpoint bound to (`address`, `port`), or null.
    udp_endpoint* find(ipv4_address address, uint16_t port) {
        uint32_t slot = _by_key.find(key(address, port));
        return slot == decltype(_by_key)::npos ? nullptr : &_endpoints[slot];
    }
    /// Every open endpoint, for control-path scans (interface multicast state).
    std::span<udp_endpoint> all() { return _endpoints; }
    /// Every endpoint slot, open or not (read-only, for tools).
    std::span<const udp_endpoint> all() const { return _endpoints; }
    /// The endpoint `id` (must be open).
    udp_endpoint& at(udp_id id) { return _endpoints[id]; }
    /// True when `id` names an open endpoint.
    bool valid(udp_id id) const { return id < _endpoints.size() && _endpoints[id].open; }

private:
    struct key_hash {
        uint64_t operator()(uint64_t k) const { return k; }
    };
    static uint64_t key(ipv4_address a, uint16_t port) { return uint64_t(a.value) << 16 | port; }
    bool port_in_use(uint16_t port) const;

    std::vector<udp_endpoint> _endpoints;
    index_table<uint64_t, key_hash> _by_key;
    size_t _queue_len;
    size_t _memberships;
    uint16_t _next_ephemeral = 49152;
};

} // namespace tachyon
