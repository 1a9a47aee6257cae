#pragma once
/// The server side of the ping-pongs (stack-server over a device, mem-pingpong's server stack):
/// UDP echo and TCP echo on one port; the stack answers ICMP echo by itself.

#include <cstdint>
#include <cstring>
#include <span>

#include "stack/iface/stack.hpp"

namespace tachyon::bench {

/// UDP echo: every datagram back to its sender, copied into a new frame.
struct udp_echo_server {
    stack* net = nullptr; ///< the server's stack
    udp_id id = 0;        ///< the bound socket
    uint64_t echoed = 0;  ///< datagrams sent back
    uint64_t errors = 0;  ///< datagrams that could not be sent back
    /// The socket's receive callback (`self` is the udp_echo_server).
    static void on_datagram(void* self, const datagram& d) {
        auto* e = static_cast<udp_echo_server*>(self);
        packet frame = e->net->udp_frame(d.payload.size());
        if (!frame) [[unlikely]] {
            ++e->errors;
            return;
        }
        std::memcpy(frame.data(), d.payload.data(), d.payload.size());
        if (e->net->udp_send_frame(e->id, std::move(frame), d.src, d.src_port, d.rx_time) != errc::ok)
            ++e->errors;
        ++e->echoed;
    }
};

/// TCP echo: every byte back from the on_data callback with tcp_send (the response leaves with
/// the iteration's flush, carrying the ACK: one frame each way).
struct tcp_echo_server {
    stack* net = nullptr;     ///< the server's stack
    uint64_t bytes = 0;       ///< echoed
    uint64_t short_sends = 0; ///< tcp_send took less than offered (send space ran out)
    uint64_t accepted = 0;    ///< connections accepted
    /// A connection's callbacks, with this as their context.
    tcp_callbacks callbacks() {
        tcp_callbacks cb;
        cb.context = this;
        cb.on_data = &on_data;
        cb.on_writable = &on_writable;
        return cb;
    }
    /// The listener's accept callback (`self` is the tcp_echo_server).
    static void on_accept(void* self, tcp_id id) {
        auto* e = static_cast<tcp_echo_server*>(self);
        ++e->accepted;
        (void)e->net->tcp_set_callbacks(id, e->callbacks());
    }
    /// Sends back what arrived (as much as the send space takes); closes when the peer does.
    static size_t on_data(void* self, tcp_id id, std::span<const std::byte> b) {
        auto* e = static_cast<tcp_echo_server*>(self);
        if (b.empty()) { // the peer is done: close our side too
            (void)e->net->tcp_close(id, e->net->now());
            return 0;
        }
        const size_t n = e->net->tcp_send(id, b, e->net->now());
        if (n < b.size()) [[unlikely]]
            ++e->short_sends;
        e->bytes += n;
        return n;
    }
    /// What could not be echoed for want of send space is still in the receive queue, shown
    /// again only with new data: setting the callbacks again delivers it now.
    static void on_writable(void* self, tcp_id id) {
        auto* e = static_cast<tcp_echo_server*>(self);
        const tcp_connection* c = e->net->tcp_connection_of(id);
        if (c != nullptr && c->received_bytes() > 0) [[unlikely]]
            (void)e->net->tcp_set_callbacks(id, e->callbacks());
    }
};

} // namespace tachyon::bench
