#pragma once
/// The client side of the ping-pong modes (udp-, icmp-, tcp-pingpong over a device, and
/// mem-pingpong over the memory link): what the receive callbacks record, the TCP byte stream
/// cut back into messages, and the sender of message `seq` over each protocol.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

#include "stack/iface/stack.hpp"
#include "tools/bench/harness.hpp"
#include "tools/bench/histogram.hpp"

namespace tachyon::bench {

/// The protocol a ping-pong runs over.
enum class proto { udp, icmp, tcp };

/// The mode's name for `p` (udp-pingpong, icmp-pingpong, tcp-pingpong).
const char* mode_name(proto p);

/// What the client's receive callbacks update.
struct client_state {
    histogram h;                      ///< round-trip times of the measured messages
    uint64_t warmup = 0;              ///< messages before the measurement
    uint64_t received = 0;            ///< replies taken
    uint64_t duplicates_or_stale = 0; ///< closed loop: replies to another message than the one awaited
    uint64_t expect = UINT64_MAX;     ///< closed loop: the sequence awaited
    bool got = false;                 ///< closed loop: the awaited reply came
    int64_t sent_at = 0;              ///< closed loop: when it was sent
    int64_t t0 = 0;                   ///< open loop: the schedule's origin
    int64_t period = 0;               ///< open loop: ns between sends (0: closed loop)
    bool timing = true;               ///< false under callgrind: no clock reads in the measured code

    /// The reply to message `seq` arrived now.
    void arrived(uint64_t seq) {
        if (period == 0) {
            if (seq != expect) {
                ++duplicates_or_stale;
                return;
            }
            got = true;
            ++received;
            if (timing && seq >= warmup) h.record(now_ns() - sent_at);
        } else {
            ++received;
            if (seq >= warmup) h.record(now_ns() - (t0 + int64_t(seq) * period));
        }
    }
    /// The UDP socket's receive callback (`self` is the client_state).
    static void on_udp(void* self, const datagram& d) {
        uint64_t seq = 0;
        if (d.payload.size() >= 8) std::memcpy(&seq, d.payload.data(), 8);
        static_cast<client_state*>(self)->arrived(seq);
    }
    /// The echo reply callback (`self` is the client_state).
    static void on_icmp(void* self, const echo_reply& r) {
        uint64_t seq = 0;
        if (r.data.size() >= 8) std::memcpy(&seq, r.data.data(), 8);
        static_cast<client_state*>(self)->arrived(seq);
    }
};

/// The client's TCP connection: the byte stream cut back into messages of `size` bytes, each
/// starting with its sequence number.
struct tcp_client_conn {
    client_state* cs = nullptr;                       ///< where whole messages go
    uint32_t size = 64;                               ///< bytes per message
    uint32_t have = 0;                                ///< bytes of the current message received
    std::array<std::byte, 8> seq_bytes{};             ///< the current message's sequence number so far
    bool connected = false;                           ///< the handshake completed
    bool closed = false;                              ///< the connection ended
    tcp_close_reason reason = tcp_close_reason::none; ///< why it ended

    /// The connection's callbacks, with this as their context.
    tcp_callbacks callbacks() {
        tcp_callbacks cb;
        cb.context = this;
        cb.on_connected = [](void* c, tcp_id) { static_cast<tcp_client_conn*>(c)->connected = true; };
        cb.on_data = &on_data;
        cb.on_closed = [](void* c, tcp_id, tcp_close_reason r) {
            auto* t = static_cast<tcp_client_conn*>(c);
            t->closed = true;
            t->reason = r;
        };
        return cb;
    }
    /// Takes every byte, handing each whole message to `cs`.
    static size_t on_data(void* self, tcp_id, std::span<const std::byte> b) {
        auto* t = static_cast<tcp_client_conn*>(self);
        if (b.empty()) {
            t->closed = true;
            return 0;
        }
        for (size_t i = 0; i < b.size();) {
            size_t k;
            if (t->have < 8) {
                k = std::min<size_t>(8 - t->have, b.size() - i);
                std::memcpy(t->seq_bytes.data() + t->have, b.data() + i, k);
            } else {
                k = std::min<size_t>(t->size - t->have, b.size() - i);
            }
            t->have += uint32_t(k);
            i += k;
            if (t->have == t->size) {
                t->have = 0;
                uint64_t seq = 0;
                std::memcpy(&seq, t->seq_bytes.data(), 8);
                t->cs->arrived(seq);
            }
        }
        return b.size();
    }
};

/// Sends message `seq` from `net` (UDP on socket `id`, an ICMP echo request, or on the TCP
/// connection `tid`: the whole message or nothing).
struct sender {
    stack* net;                     ///< the client's stack
    proto p;                        ///< over what
    udp_id id;                      ///< UDP: the socket
    ipv4_address dst;               ///< the server
    uint16_t port;                  ///< the server's port (UDP, TCP)
    std::vector<std::byte> payload; ///< the message; its first 8 bytes carry `seq`
    tcp_id tid = 0;                 ///< TCP: the connection

    /// Whether the whole message fits in the send buffer now (always, but for TCP).
    bool fits() const { return p != proto::tcp || net->tcp_send_space(tid) >= payload.size(); }
    /// Sends message `seq` at `now`.
    errc send(uint64_t seq, instant now) {
        std::memcpy(payload.data(), &seq, 8);
        switch (p) {
        case proto::udp:
            return net->udp_send_to(id, dst, port, payload, now);
        case proto::icmp:
            return net->send_echo_request(dst, 0x7ac7, uint16_t(seq), payload, now);
        default:
            return net->tcp_send(tid, payload, now) == payload.size() ? errc::ok : errc::no_buffer;
        }
    }
};

/// Opens a TCP connection from `net` to s.dst:s.port and polls until it is established (or 5 s);
/// false after saying why not.
bool tcp_open(stack& net, tcp_client_conn& conn, sender& s, const std::function<instant()>& clock,
              const std::function<void(instant)>& poll);

} // namespace tachyon::bench
