#pragma once
/// A UDP socket on a tachyon stack: the handle applications hold. No protocol logic here: it
/// names a socket in the stack's table and forwards to it. Receive either inline through a
/// callback (a zero-copy view into the received frame, with source, destination and receive
/// time) or by pulling queued datagrams; send by copy (`send_to`) or zero-copy (`prepare`,
/// write the payload into the frame, `send_prepared`).
///
///     auto feed = tachyon::udp_socket::open(st).value();
///     feed.bind({tachyon::ipv4_address::any(), 30001});
///     feed.join({239, 1, 1, 1});
///     feed.on_datagram(handler);   // handler(const tachyon::datagram&), must outlive the socket

#include <span>
#include <utility>

#include "stack/iface/stack.hpp"

namespace tachyon {

/// An address and a port.
struct endpoint {
    ipv4_address address; ///< the IPv4 address
    uint16_t port = 0;    ///< the port (UDP or TCP)
};

/// A UDP socket (move-only; closing it leaves its groups).
class udp_socket {
public:
    /// Opens a socket on `st`; fails when every socket of the stack is in use.
    static result<udp_socket> open(stack& st) {
        auto id = st.udp_open();
        if (!id) return id.err();
        return udp_socket(st, *id);
    }
    udp_socket(const udp_socket&) = delete;
    udp_socket& operator=(const udp_socket&) = delete;
    /// Moves the socket; `o` no longer names it.
    udp_socket(udp_socket&& o) noexcept : _st(std::exchange(o._st, nullptr)), _id(o._id) {}
    /// Moves the socket; the one held before is closed.
    udp_socket& operator=(udp_socket&& o) noexcept {
        if (this != &o) {
            close();
            _st = std::exchange(o._st, nullptr);
            _id = o._id;
        }
        return *this;
    }
    ~udp_socket() { close(); }

    /// Binds to `local` (address any, ours, or a multicast group; port 0 picks one).
    errc bind(endpoint local) { return _st->udp_bind(_id, local.address, local.port); }
    /// Sets the default destination (and hears only from it).
    errc connect(endpoint remote) { return _st->udp_connect(_id, remote.address, remote.port); }
    /// Sends to the connected destination.
    errc send(std::span<const std::byte> data) { return _st->udp_send(_id, data, _st->now()); }
    /// Sends to `to`.
    errc send_to(endpoint to, std::span<const std::byte> data) {
        return _st->udp_send_to(_id, to.address, to.port, data, _st->now());
    }
    /// A frame with `len` bytes of payload room at `data()`: write into it, then `send_prepared`.
    packet prepare(size_t len) { return _st->udp_frame(len); }
    /// Sends a frame from `prepare`.
    errc send_prepared(packet&& frame, endpoint to) {
        return _st->udp_send_frame(_id, std::move(frame), to.address, to.port, _st->now());
    }
    /// Delivers datagrams inline to `handler(const datagram&)`; `handler` must outlive the socket.
    template <class Handler>
    errc on_datagram(Handler& handler) {
        return _st->udp_on_datagram(
            _id, [](void* h, const datagram& d) { (*static_cast<Handler*>(h))(d); }, &handler);
    }
    /// The oldest queued datagram (pull mode, no callback set): `d` views into the returned
    /// packet, which the caller keeps while reading. An empty packet when none waits.
    packet recv(datagram& d) { return _st->udp_recv(_id, d); }
    /// Joins `group` from any source, or only from `source` (source-specific, IGMPv3).
    errc join(ipv4_address group, ipv4_address source = ipv4_address::any()) {
        return _st->udp_join(_id, group, source, _st->now());
    }
    /// Leaves a group joined with `join` (the same source).
    errc leave(ipv4_address group, ipv4_address source = ipv4_address::any()) {
        return _st->udp_leave(_id, group, source, _st->now());
    }
    /// TTL of the multicast datagrams this socket sends (default 1, RFC 1112 §6.1).
    errc set_multicast_ttl(uint8_t ttl) { return _st->udp_set_multicast_ttl(_id, ttl); }
    /// Also delivers this socket's multicast to this stack's sockets joined to the group.
    errc set_multicast_loop(bool on) { return _st->udp_set_multicast_loop(_id, on); }
    /// The pull queue's length in datagrams (1 to the stack's configured `udp_queue`).
    errc set_receive_queue(size_t datagrams) { return _st->udp_set_receive_queue(_id, datagrams); }
    /// The socket's state and counters.
    const udp_endpoint& state() const { return *_st->udp_state(_id); }
    /// Closes the socket now (also done by the destructor).
    void close() {
        if (_st != nullptr) {
            stack* st = std::exchange(_st, nullptr);
            st->udp_close(_id, st->now());
        }
    }

private:
    udp_socket(stack& st, udp_id id) : _st(&st), _id(id) {}

    stack* _st = nullptr;
    udp_id _id = 0;
};

} // namespace tachyon
