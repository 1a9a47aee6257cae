#pragma once
/// The TCP layer of a stack, a component as UDP's table is: it owns the connection table
/// (stack/net/tcp_table: control blocks, callbacks, timers, listeners, ids, ephemeral ports),
/// the emit queue the control blocks write their segments to (which also holds the stack-wide
/// RFC 5961 §7 challenge-ACK limit), the RFC 6528 ISN generator and the RFC 4987 SYN cookies.
/// It turns segments in into calls on the control blocks (stack/net/tcp_connection, where the
/// protocol lives) and what they want sent into frames, and tells the application.
///
/// What it uses of the rest of the stack, and nothing else: `stack::alloc_frame` (frames),
/// `stack::ipv4_output` (sending), `stack::tx_batch` (holding transmission back while
/// callbacks run), `stack::now` (a call from outside poll), and the timer wheel, whose timers
/// are all TCP's. The stack calls `input` (IPv4), `icmp_unreachable` (ICMP), `expire_timers` (the
/// wheel) and `flush_dirty` (the end of a batch); the application's calls reach it through the
/// stack's `tcp_*` methods. Its code is in tcp.cpp.

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/buf/packet.hpp"
#include "stack/core/config.hpp"
#include "stack/core/result.hpp"
#include "stack/core/siphash.hpp"
#include "stack/core/time.hpp"
#include "stack/core/timer_wheel.hpp"
#include "stack/device/device.hpp"
#include "stack/net/isn.hpp"
#include "stack/net/syn_cookie.hpp"
#include "stack/net/tcp_connection.hpp"
#include "stack/net/tcp_table.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"

namespace tachyon {

class stack;

/// The TCP layer: connections, listeners, segments in and out, the application's callbacks.
class tcp_layer {
public:
    /// A layer for `host`'s connections (`config` must outlive it: the control blocks keep a
    /// reference to its TCP settings) over a device that can do `caps`.
    tcp_layer(stack& host, const stack_config& config, tcp_stats& stats, timer_wheel& wheel, const device_caps& caps,
              const siphash_key& isn_key, const siphash_key& cookie_key);
    tcp_layer(const tcp_layer&) = delete;
    tcp_layer& operator=(const tcp_layer&) = delete;

    /// A segment from IPv4 (the frame starts at the TCP header).
    void input(packet&& frame, const wire::ipv4_repr& ip, instant now);
    /// An ICMP destination unreachable quoting `quoted` (one of our datagrams).
    void icmp_unreachable(uint8_t code, std::span<const std::byte> quoted, instant now);
    /// Runs the connections' due timers (the wheel holds only TCP timers).
    void expire_timers(instant now);
    /// The end of a batch: what the callbacks queued, and pending ACKs, leave now.
    void flush_dirty(instant now);

    /// See `stack::tcp_listen`.
    result<uint16_t> listen(uint16_t port, size_t backlog, tcp_accept_handler on_accept, void* context);
    /// See `stack::tcp_unlisten`.
    void unlisten(uint16_t port) { _tcp.unlisten(port); }
    /// See `stack::tcp_connect`.
    result<tcp_id> connect(ipv4_address dst, uint16_t port, const tcp_callbacks& callbacks, duration timeout,
                           instant now);
    /// See `stack::tcp_set_callbacks`.
    errc set_callbacks(tcp_id id, const tcp_callbacks& callbacks);
    /// See `stack::tcp_send`.
    size_t send(tcp_id id, std::span<const std::byte> data, instant now);
    /// See `stack::tcp_send_space`.
    size_t send_space(tcp_id id) const;
    /// See `stack::tcp_shutdown`.
    errc shutdown(tcp_id id, instant now);
    /// See `stack::tcp_abort`.
    errc abort(tcp_id id, instant now);
    /// See `stack::tcp_set_nodelay`.
    errc set_nodelay(tcp_id id, bool nodelay);
    /// See `stack::tcp_set_keepalive`.
    errc set_keepalive(tcp_id id, bool on, instant now);
    /// See `stack::tcp_set_user_timeout`.
    errc set_user_timeout(tcp_id id, duration d);
    /// See `stack::tcp_set_recovery_timers`.
    errc set_recovery_timers(tcp_id id, const tcp_recovery_timers& t);
    /// See `stack::tcp_set_buffer_sizes`.
    errc set_buffer_sizes(tcp_id id, size_t send, size_t receive);
    /// See `stack::tcp_connection_of`.
    const tcp_connection* connection_of(tcp_id id) const;
    /// The connections and listeners (read-only).
    const tcp_table& table() const { return _tcp; }

private:
    void tcp_reply_reset(const wire::tcp_repr& seg, const wire::ipv4_repr& ip, uint32_t payload_len, instant now);
    void tcp_send_stateless(const wire::tcp_repr& h, ipv4_address dst, instant now);
    void tcp_listen_input(uint32_t listener, const wire::tcp_repr& seg, packet&& payload, const wire::ipv4_repr& ip,
                          instant now);
    void tcp_send_cookie(uint32_t listener, const wire::tcp_repr& syn, const wire::ipv4_repr& ip, instant now);
    bool tcp_accept_cookie(uint32_t listener, const wire::tcp_repr& seg, packet&& payload, const wire::ipv4_repr& ip,
                           instant now);
    void tcp_drain(const tcp_connection& c, instant now);
    void tcp_after(uint32_t slot, const tcp_events& ev, instant now);
    void tcp_rearm(uint32_t slot);
    void tcp_deliver(uint32_t slot);
    void tcp_release(uint32_t slot);
    void tcp_mark_dirty(uint32_t slot);
    tcp_connection* tcp_find(tcp_id id);
    /// The MSS we announce: the MTU less the IPv4 and TCP headers without options (RFC 9293
    /// §3.7.1; RFC 6691: options are not counted).
    uint16_t tcp_local_mss() const { return uint16_t(_mtu - 40); }

    stack& _host;
    const stack_config& _config;
    tcp_stats& _stats;
    timer_wheel& _wheel;
    ipv4_address _local; // our address (the configuration's, read once)
    uint16_t _mtu;
    bool _tx_checksum_offload;
    bool _rx_checksum_offload;
    tcp_table _tcp;
    tcp_emit_queue _tcp_out;
    isn_generator _isn;
    syn_cookies _cookies;
};

} // namespace tachyon
