#pragma once
/// The UDP endpoint table (RFC 768): fixed-capacity, endpoints found by local port through a
/// hash index, so demultiplexing a datagram is one probe. Sans-IO: it only holds state; the
/// stack's udp.cpp moves datagrams. Ephemeral ports come from 49152-65535 (RFC 6335 §6).

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
    uint64_t rx_datagrams = 0;         ///< datagrams delivered
    uint64_t rx_drop_queue_full = 0;   ///< datagrams dropped: the pull queue was full
    uint64_t tx_datagrams = 0;         ///< datagrams sent
};

/// The endpoints of one stack.
class udp_table {
public:
    /// A table of `capacity` endpoints, each with a pull queue of `queue_len` datagrams.
    udp_table(size_t capacity, size_t queue_len);

    /// Opens an unbound endpoint; fails when the table is full.
    result<udp_id> open();
    /// Binds `id` to `port` (0: an ephemeral port) on `address` (any or ours).
    errc bind(udp_id id, ipv4_address address, uint16_t port);
    /// Closes `id`, dropping its queued datagrams.
    void close(udp_id id);
    /// The endpoint bound to `port`, or null.
    udp_endpoint* find(uint16_t port) {
        uint32_t slot = _by_port.find(port);
        return slot == decltype(_by_port)::npos ? nullptr : &_endpoints[slot];
    }
    /// The endpoint `id` (must be open).
    udp_endpoint& at(udp_id id) { return _endpoints[id]; }
    /// True when `id` names an open endpoint.
    bool valid(udp_id id) const { return id < _endpoints.size() && _endpoints[id].open; }

private:
    struct port_hash {
        uint64_t operator()(uint16_t p) const { return p; }
    };
    std::vector<udp_endpoint> _endpoints;
    index_table<uint16_t, port_hash> _by_port;
    size_t _queue_len;
    uint16_t _next_ephemeral = 49152;
};

} // namespace tachyon
