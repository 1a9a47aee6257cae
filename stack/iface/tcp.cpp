/// The TCP layer of the stack (stack/iface/tcp_layer.hpp): demultiplexing through the tcp_table
/// (stack/net), listeners with bounded SYN backlogs, RST for segments that find no connection
/// (RFC 9293 §3.10.7.1), frames built for what the control blocks (stack/net/tcp_connection)
/// want sent, their timers on the wheel, and the application's callbacks. The protocol itself
/// is in tcp_connection.

#include <algorithm>
#include <cstring>

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"
#include "stack/iface/tcp_layer.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/tcp.hpp"

namespace tachyon {

tcp_layer::tcp_layer(stack& host, const stack_config& config, tcp_stats& stats, timer_wheel& wheel,
                     const device_caps& caps, const siphash_key& isn_key, const siphash_key& cookie_key)
    : _host(host),
      _config(config),
      _stats(stats),
      _wheel(wheel),
      _local(config.address.address),
      _mtu(caps.mtu),
      _tx_checksum_offload(caps.tx_l4_checksum),
      _rx_checksum_offload(caps.rx_l4_checksum),
      _tcp(config.tcp, stats), // the TCBs keep a reference to the settings: the stack's copy
      _tcp_out(config.tcp.send_buffer / 256 + 64, config.tcp.challenge_ack_limit, stats),
      _isn(isn_key),
      _cookies(cookie_key) {}

void tcp_layer::expire_timers(instant now) {
    _wheel.expire(now, [&](timer& t) {
        const uint32_t slot = static_cast<tcp_slot_timer&>(t).slot;
        tcp_connection& c = *_tcp[slot].tcb;
        if (!c.in_use()) return;
        tcp_events ev = c.on_timer(now, _tcp_out);
        tcp_drain(c, now);
        tcp_after(slot, ev, now);
    });
}

tcp_connection* tcp_layer::tcp_find(tcp_id id) {
    const uint32_t slot = _tcp.find(id);
    // Once on_closed was called the id is no longer the application's, though the connection
    // may linger in TIME-WAIT: no call reaches it (a second on_closed from an abort, callbacks
    // set again on it, sends).
    if (slot == tcp_table::npos || _tcp[slot].closed_told) return nullptr;
    return _tcp[slot].tcb.get();
}

const tcp_connection* tcp_layer::connection_of(tcp_id id) const {
    const uint32_t slot = _tcp.find(id);
    return slot == tcp_table::npos ? nullptr : _tcp[slot].tcb.get();
}

void tcp_layer::tcp_release(uint32_t slot) {
    _wheel.cancel(_tcp[slot].timer);
    _tcp.release(slot);
}

void tcp_layer::tcp_rearm(uint32_t slot) {
    const instant d = _tcp[slot].tcb->next_deadline();
    // No deadline: the timer is left where it is rather than cancelled. Request/response
    // traffic clears and sets the retransmission timer on every message; leaving it armed
    // makes the next arming a store (the wheel re-files lazily), and a timer that fires with
    // nothing due costs one look at the connection, once.
    if (d != instant::never()) _wheel.arm(_tcp[slot].timer, d);
}

void tcp_layer::tcp_mark_dirty(uint32_t slot) { (void)_tcp.mark_dirty(slot); }

void tcp_layer::flush_dirty(instant now) {
    // The end of an iteration: what the callbacks queued leaves now, and ACKs not carried by
    // a response go out on their own, so that a request and its answer cost two frames.
    _tcp.drain_dirty([&](uint32_t slot) {
        tcp_connection& c = *_tcp[slot].tcb;
        if (!c.in_use()) return;
        c.output(now, _tcp_out);
        tcp_drain(c, now);
        tcp_rearm(slot);
    });
}

void tcp_layer::input(packet&& frame, const wire::ipv4_repr& ip, instant now) {
    wire::tcp_repr seg;
    const bool verify = !(_rx_checksum_offload && frame.rx_checksum_good(checksum_bit::tcp)); // see ipv4_input
    switch (wire::tcp_repr::parse(frame.bytes(), ip.src, ip.dst, seg, verify)) {
    case wire::wire_error::ok: break;
    case wire::wire_error::bad_header_length: TACHYON_DROP(_stats.drop_bad_header_length); return;
    case wire::wire_error::bad_checksum: TACHYON_DROP(_stats.drop_bad_checksum); return;
    case wire::wire_error::bad_port: TACHYON_DROP(_stats.drop_bad_port); return;
    case wire::wire_error::bad_option: TACHYON_DROP(_stats.drop_bad_option); return;
    default: TACHYON_DROP(_stats.drop_truncated); return;
    }
    if (ip.dst != _local) [[unlikely]] {
        // TCP is unicast only (RFC 1122 §4.2.3.10): a broadcast segment is not for us.
        TACHYON_DROP(_stats.drop_not_unicast);
        return;
    }
    ++_stats.rx_segments;
    frame.trim_front(seg.header_len);
    const uint32_t payload_len = uint32_t(frame.size());
    uint32_t slot = _tcp.find(ip.src, seg.src_port, seg.dst_port);
    if (slot != tcp_table::npos) [[likely]] {
        tcp_connection& c = *_tcp[slot].tcb;
        // RFC 6191: a new SYN for a connection in TIME-WAIT, beyond what the old one used, may
        // take the 4-tuple over (frequent reconnects from the same port).
        if (c.state() == tcp_state::time_wait && seg.has(wire::tcp_flags::syn) && !seg.has(wire::tcp_flags::ack) &&
            seg.seq > c.rcv_nxt()) {
            ++_stats.time_wait_reused;
            (void)c.fail(tcp_close_reason::normal);
            tcp_release(slot);
            slot = tcp_table::npos;
        } else {
            tcp_events ev = c.on_segment(seg, std::move(frame), now, _tcp_out);
            tcp_drain(c, now);
            tcp_after(slot, ev, now);
            return;
        }
    }
    // No connection: a listener's, or CLOSED (RFC 9293 §3.10.7.1).
    const uint32_t l = _tcp.find_listener(seg.dst_port);
    if (l != tcp_table::npos) {
        tcp_listen_input(l, seg, std::move(frame), ip, now);
        return;
    }
    TACHYON_DROP(_stats.drop_no_connection);
    tcp_reply_reset(seg, ip, payload_len, now);
}

void tcp_layer::tcp_listen_input(uint32_t l, const wire::tcp_repr& seg, packet&& payload,
                                 const wire::ipv4_repr& ip, instant now) {
    namespace tf = wire::tcp_flags;
    // RFC 9293 §3.10.7.2, in its order. First: a RST has nothing to reset.
    if (seg.has(tf::rst)) {
        TACHYON_DROP(_stats.drop_no_connection);
        return;
    }
    // Second: an ACK is for no connection of ours, unless it carries a SYN cookie of ours
    // (RFC 4987 §3.6): then it opens one. Otherwise <SEQ=SEG.ACK><CTL=RST>.
    if (seg.has(tf::ack)) {
        if (!seg.has(tf::syn) && now < _tcp.listener(l).cookies_until && tcp_accept_cookie(l, seg, std::move(payload), ip, now))
            return;
        TACHYON_DROP(_stats.drop_no_connection);
        tcp_reply_reset(seg, ip, payload ? uint32_t(payload.size()) : 0, now);
        return;
    }
    // Third: SYN. A SYN with FIN is nonsense (Linux drops it too); fourth: a segment with
    // neither SYN nor ACK (null, FIN alone, ...) is dropped.
    if (!seg.has(tf::syn) || seg.has(tf::fin)) {
        TACHYON_DROP(_stats.drop_listen_bad_flags);
        return;
    }
    const tcp_listen_slot& lst = _tcp.listener(l);
    if (lst.half_open >= lst.backlog) {
        if (_config.tcp.syn_cookies) {
            // A flood or a burst: answer without keeping state (RFC 4987 §3.6).
            tcp_send_cookie(l, seg, ip, now);
            return;
        }
        TACHYON_DROP(_stats.drop_syn_backlog_full); // silently: the peer retries
        return;
    }
    const tcp_tuple t{_local, seg.dst_port, ip.src, seg.src_port};
    auto got = _tcp.allocate(t);
    if (!got) return;
    const uint32_t slot = *got;
    tcp_connection& c = *_tcp[slot].tcb;
    c.open_passive(t, seg, _isn.isn(now, t.local_address, t.local_port, t.remote_address, t.remote_port), tcp_local_mss(),
                   now, _tcp_out);
    _tcp.hold_backlog(slot, l);
    tcp_drain(c, now);
    tcp_rearm(slot);
}

void tcp_layer::tcp_send_cookie(uint32_t l, const wire::tcp_repr& syn, const wire::ipv4_repr& ip, instant now) {
    const tcp_tuple t{_local, syn.dst_port, ip.src, syn.src_port};
    wire::tcp_repr sa;
    sa.src_port = syn.dst_port;
    sa.dst_port = syn.src_port;
    sa.seq = _cookies.make(t, syn.seq, syn.options.has_mss ? syn.options.mss : 0, now);
    sa.ack = syn.seq + 1;
    sa.flags = wire::tcp_flags::syn | wire::tcp_flags::ack;
    sa.window = uint16_t(std::min<size_t>(_config.tcp.receive_buffer, 65535)); // RFC 7323 §2.2: unscaled
    sa.options.has_mss = true;
    sa.options.mss = tcp_local_mss();
    // Window scaling and SACK are remembered in the TSval's low bits: offered only with
    // timestamps, as in Linux; without them the connection runs with neither.
    if (_config.tcp.timestamps && syn.options.has_timestamps) {
        wire::tcp_options offered = syn.options;
        offered.sack_permitted = offered.sack_permitted && _config.tcp.sack;
        sa.options.has_timestamps = true;
        sa.options.ts_val = syn_cookies::encode_ts(tcp_connection::ts_clock(now), offered);
        sa.options.ts_ecr = syn.options.ts_val;
        sa.options.sack_permitted = offered.sack_permitted;
        if (syn.options.has_window_scale) {
            sa.options.has_window_scale = true;
            sa.options.window_scale = _config.tcp.window_scale;
        }
    }
    _tcp.listener(l).cookies_until = now + syn_cookies::tick * 2;
    ++_stats.syncookies_sent;
    tcp_send_stateless(sa, ip.src, now);
}

bool tcp_layer::tcp_accept_cookie(uint32_t l, const wire::tcp_repr& seg, packet&& payload,
                                  const wire::ipv4_repr& ip, instant now) {
    const tcp_tuple t{_local, seg.dst_port, ip.src, seg.src_port};
    const auto mss = _cookies.check(t, seg.seq - 1, seg.ack - 1, now);
    if (!mss) {
        ++_stats.syncookies_failed;
        return false;
    }
    ++_stats.syncookies_recv;
    auto got = _tcp.allocate(t);
    if (!got) return true; // counted; the peer retransmits, and the cookie stays good a while
    const uint32_t slot = *got;
    tcp_connection& c = *_tcp[slot].tcb;
    // The peer's SYN as the cookie and the TSecr remember it; its ACK then completes the
    // handshake through the ordinary SYN-RECEIVED path.
    wire::tcp_repr syn;
    syn.src_port = seg.src_port;
    syn.dst_port = seg.dst_port;
    syn.seq = seg.seq - 1;
    syn.flags = wire::tcp_flags::syn;
    syn.window = seg.window;
    syn.options = syn_cookies::decode(*mss, seg.options);
    c.open_passive(t, syn, seg.ack - 1, tcp_local_mss(), now, _tcp_out, /*from_cookie=*/true);
    _tcp.hold_backlog(slot, l); // given back at once when the ACK completes it
    tcp_events ev = c.on_segment(seg, std::move(payload), now, _tcp_out);
    tcp_drain(c, now);
    tcp_after(slot, ev, now);
    return true;
}

void tcp_layer::icmp_unreachable(uint8_t code, std::span<const std::byte> quoted, instant now) {
    // `quoted`: the IP header and first 8 bytes of a datagram we sent (RFC 792). RFC 1122
    // §4.2.3.9: protocol and port unreachable are hard errors, which end a connection still in
    // SYN-SENT (as Linux does); the others, and any error for a synchronized connection, are
    // soft: the retransmission timer decides. RFC 5927 §4.1: the quoted sequence number must
    // be our SYN's, so that a blind attacker cannot end the connection.
    wire::ipv4_repr ip;
    if (wire::ipv4_repr::parse_quoted(quoted, ip) != wire::wire_error::ok || ip.protocol != wire::ip_protocol::tcp ||
        ip.src != _local || quoted.size() < size_t(ip.header_len) + 8) {
        ++_stats.icmp_ignored;
        return;
    }
    const std::byte* th = quoted.data() + ip.header_len;
    const uint16_t local_port = wire::load_be16(th);
    const uint16_t remote_port = wire::load_be16(th + 2);
    const wire::seq32 seq{wire::load_be32(th + 4)};
    const uint32_t slot = _tcp.find(ip.dst, remote_port, local_port);
    const bool hard = code == wire::icmp_unreachable_code::protocol || code == wire::icmp_unreachable_code::port;
    if (slot == tcp_table::npos || !hard || _tcp[slot].tcb->state() != tcp_state::syn_sent ||
        seq != _tcp[slot].tcb->iss()) {
        ++_stats.icmp_ignored;
        return;
    }
    tcp_connection& c = *_tcp[slot].tcb;
    const tcp_events ev = c.fail(tcp_close_reason::unreachable);
    tcp_after(slot, ev, now);
}

void tcp_layer::tcp_reply_reset(const wire::tcp_repr& seg, const wire::ipv4_repr& ip, uint32_t payload_len, instant now) {
    // RFC 9293 §3.10.7.1: never answer a RST; for an ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    if (seg.has(wire::tcp_flags::rst)) return;
    wire::tcp_repr rst;
    rst.src_port = seg.dst_port;
    rst.dst_port = seg.src_port;
    if (seg.has(wire::tcp_flags::ack)) {
        rst.seq = seg.ack;
        rst.flags = wire::tcp_flags::rst;
    } else {
        rst.ack = seg.seq + seg.segment_len(payload_len);
        rst.flags = wire::tcp_flags::rst | wire::tcp_flags::ack;
    }
    ++_stats.tx_resets;
    tcp_send_stateless(rst, ip.src, now);
}

void tcp_layer::tcp_send_stateless(const wire::tcp_repr& h, ipv4_address dst, instant now) {
    packet frame = _host.alloc_frame();
    if (!frame) return;
    std::byte* p = frame.append(h.emitted_header_len());
    h.emit({p, h.emitted_header_len()}, _local, dst, 0);
    frame.set_tx_l4(h.emitted_header_len(), 0); // checksummed here, whatever the device offers
    ++_stats.tx_segments;
    (void)_host.ipv4_output(std::move(frame), dst, wire::ip_protocol::tcp, now);
}

void tcp_layer::tcp_drain(const tcp_connection& c, instant now) {
    const tcp_tuple& t = c.tuple();
    const auto mode = _tx_checksum_offload ? wire::tcp_checksum_mode::offload : wire::tcp_checksum_mode::full;
    for (const tcp_segment_out& s : _tcp_out.segments()) {
        wire::tcp_repr h;
        h.src_port = t.local_port;
        h.dst_port = t.remote_port;
        h.seq = s.seq;
        h.ack = s.ack;
        h.flags = s.flags;
        h.window = s.window;
        h.options = s.options;
        const size_t hlen = h.emitted_header_len();
        packet frame;
        if (s.data != nullptr) {
            packet& held = *s.data;
            if (!held) [[unlikely]] {
                // The connection ended in the call that queued this segment and released its
                // send queue: nothing to send. (Each such path is a bug to fix; counted.)
                TACHYON_DROP(_stats.drop_released_segment);
                continue;
            }
            if (!held.shared()) [[likely]] {
                // The send queue's own buffer: headers go in front of the payload, and the
                // device gets a reference; the queue keeps the frame for retransmission.
                held.reset_frame(s.payload_offset - hlen, hlen + s.payload_len);
                frame = held.share();
            } else {
                // The device still holds the last transmission: copy this one.
                ++_stats.retransmit_copies;
                frame = _host.alloc_frame();
                if (!frame) continue;
                std::byte* p = frame.append(hlen + s.payload_len);
                if (p == nullptr) continue;
                std::memcpy(p + hlen, held.descriptor()->base + s.payload_offset, s.payload_len);
            }
        } else {
            frame = _host.alloc_frame();
            if (!frame) continue;
            if (frame.append(hlen) == nullptr) continue;
        }
        h.emit(frame.bytes(), _local, t.remote_address, s.payload_len, mode);
        frame.set_tx_l4(hlen, _tx_checksum_offload ? checksum_bit::tcp : uint8_t(0)); // as `mode` says
        ++_stats.tx_segments;
        (void)_host.ipv4_output(std::move(frame), t.remote_address, wire::ip_protocol::tcp, now);
    }
    _tcp_out.clear();
}

void tcp_layer::tcp_after(uint32_t slot, const tcp_events& ev, instant now) {
    stack::tx_batch batch(_host, now);
    tcp_connection& c = *_tcp[slot].tcb;
    const tcp_id id = _tcp.id_of(slot);
    // Every callback may close, abort or send, and an abort releases the slot (which a connect
    // in the same callback may take again): after each one, carry on only while `id` still
    // names this connection. The one that ended it did the releasing.
    const auto alive = [&] { return _tcp.current(id) && c.in_use(); };
    if (ev.connected) {
        const int32_t l = _tcp[slot].listener;
        _tcp.unhold_backlog(slot);
        if (l >= 0) {
            const tcp_listen_slot& lst = _tcp.listener(uint32_t(l));
            if (lst.in_use && lst.on_accept != nullptr) lst.on_accept(lst.context, id);
        } else {
            const tcp_callbacks& cb = _tcp[slot].callbacks;
            if (cb.on_connected != nullptr) cb.on_connected(cb.context, id);
        }
    }
    if (ev.readable && alive()) tcp_deliver(slot);
    if (ev.eof && alive()) {
        // The end of the stream is told after its last byte: while the application leaves
        // bytes unconsumed (backpressure), it waits for tcp_deliver to empty the queue.
        _tcp[slot].eof_pending = true;
        if (c.received_bytes() == 0) tcp_deliver(slot);
    }
    if (ev.writable && alive()) {
        const tcp_callbacks& cb = _tcp[slot].callbacks;
        if (cb.on_writable != nullptr) cb.on_writable(cb.context, id);
    }
    if (!_tcp.current(id)) return; // released inside a callback
    if (ev.closed) {
        const tcp_callbacks cb = _tcp[slot].callbacks;
        _tcp[slot].callbacks = tcp_callbacks{};
        _tcp[slot].closed_told = true;
        if (cb.on_closed != nullptr) cb.on_closed(cb.context, id, ev.reason);
        if (!_tcp.current(id)) return;
    }
    if (!c.in_use()) {
        tcp_release(slot);
        return;
    }
    // Sends made in the callbacks, and the ACK, leave when the outermost batch ends (the
    // iteration's, or this one when called from outside poll).
    tcp_mark_dirty(slot);
    tcp_rearm(slot);
}

void tcp_layer::tcp_deliver(uint32_t slot) {
    tcp_connection& c = *_tcp[slot].tcb;
    const tcp_id id = _tcp.id_of(slot);
    for (;;) {
        const tcp_callbacks& cb = _tcp[slot].callbacks;
        if (cb.on_data == nullptr || !c.in_use()) return;
        std::span<const std::byte> bytes = c.readable();
        if (bytes.empty()) {
            if (_tcp[slot].eof_pending) {
                _tcp[slot].eof_pending = false;
                (void)cb.on_data(cb.context, id, {}); // the end of the stream (FIN)
            }
            return;
        }
        const size_t n = cb.on_data(cb.context, id, bytes);
        // The handler may have ended the connection (and a new one may hold the slot).
        if (n == 0 || !_tcp.current(id) || !c.in_use()) return;
        c.consume(std::min(n, bytes.size()));
    }
}

result<uint16_t> tcp_layer::listen(uint16_t port, size_t backlog, tcp_accept_handler on_accept, void* context) {
    auto l = _tcp.listen(port, backlog, on_accept, context);
    if (!l) return l.err();
    return port;
}

result<tcp_id> tcp_layer::connect(ipv4_address dst, uint16_t port, const tcp_callbacks& callbacks, duration timeout,
                                 instant now) {
    if (port == 0 || dst.is_any() || dst.is_multicast() || dst.is_broadcast())
        return make_error(errc::invalid_argument, "connect needs a unicast address and a port");
    // An active open never reuses a tuple whose old segments may still be in flight.
    const uint16_t local = _tcp.ephemeral_port(dst, port);
    if (local == 0) return make_error(errc::no_space, "no ephemeral port free for " + dst.to_string());
    tcp_tuple t{_local, local, dst, port};
    auto got = _tcp.allocate(t);
    if (!got) return got.err();
    const uint32_t slot = *got;
    _tcp[slot].callbacks = callbacks;
    tcp_connection& c = *_tcp[slot].tcb;
    c.open_active(t, _isn.isn(now, t.local_address, local, dst, port), tcp_local_mss(), now, timeout, _tcp_out);
    tcp_drain(c, now);
    tcp_rearm(slot);
    return _tcp.id_of(slot);
}

errc tcp_layer::set_callbacks(tcp_id id, const tcp_callbacks& callbacks) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    const uint32_t slot = tcp_table::slot_of(id);
    _tcp[slot].callbacks = callbacks;
    // Data that arrived before (with the handshake, or while nobody read) goes to the reader
    // that was just set, and the window it frees is announced (RFC 1122 §4.2.3.3).
    if ((c->received_bytes() > 0 || _tcp[slot].eof_pending) && callbacks.on_data != nullptr) {
        stack::tx_batch batch(_host, _host.now()); // the window update leaves when this ends
        tcp_deliver(slot);
        if (tcp_find(id) != c) return errc::ok; // the reader ended the connection
        tcp_mark_dirty(slot);
    }
    return errc::ok;
}

size_t tcp_layer::send_space(tcp_id id) const {
    const tcp_connection* c = connection_of(id);
    return c == nullptr ? 0 : c->send_space();
}

size_t tcp_layer::send(tcp_id id, std::span<const std::byte> data, instant now) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) [[unlikely]]
        return 0;
    const uint32_t slot = tcp_table::slot_of(id);
    size_t todo = std::min(data.size(), c->send_space());
    size_t done = 0;
    while (done < todo) {
        // Fill the last unsent segment first, then new frames of one MSS each: the one copy
        // of the send path, from the application's bytes into the frame.
        if (packet* tail = c->send_tail()) {
            const size_t room = std::min(c->send_tail_room(), todo - done);
            if (room > 0) {
                std::memcpy(tail->append(room), data.data() + done, room);
                c->extend_tail(room);
                done += room;
                continue;
            }
        }
        // A new frame needs a free slot in the send queue: never push past it (the ring
        // would overwrite its oldest, unacknowledged segment).
        if (!c->send_slot_free()) break;
        packet frame = _host.alloc_frame();
        if (!frame) [[unlikely]]
            break;
        const size_t n = std::min({todo - done, size_t(c->send_mss()), frame.tailroom()});
        std::memcpy(frame.append(n), data.data() + done, n);
        if (!c->push_send(std::move(frame))) break;
        done += n;
    }
    if (done > 0) {
        stack::tx_batch batch(_host, now); // leaves now, or with the batch the caller holds
        tcp_mark_dirty(slot);
    }
    return done;
}

errc tcp_layer::shutdown(tcp_id id, instant now) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    c->close();
    const uint32_t slot = tcp_table::slot_of(id);
    if (!c->in_use()) {
        // Closed before the handshake finished: nothing to tell the peer.
        const tcp_callbacks cb = _tcp[slot].callbacks;
        tcp_release(slot);
        if (cb.on_closed != nullptr) cb.on_closed(cb.context, id, tcp_close_reason::normal);
        return errc::ok;
    }
    stack::tx_batch batch(_host, now);
    tcp_mark_dirty(slot);
    return errc::ok;
}

errc tcp_layer::abort(tcp_id id, instant now) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    const uint32_t slot = tcp_table::slot_of(id);
    stack::tx_batch batch(_host, now);
    tcp_events ev = c->abort(_tcp_out);
    if (!ev.closed && _tcp[slot].callbacks.on_closed != nullptr) {
        // The connection's end was decided (TIME-WAIT) but not told yet: the abort from a
        // callback before that delivery is what the application hears, once.
        ev.closed = true;
        ev.reason = tcp_close_reason::aborted;
    }
    tcp_drain(*c, now);
    tcp_after(slot, ev, now);
    return errc::ok;
}

errc tcp_layer::set_nodelay(tcp_id id, bool nodelay) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    c->set_nodelay(nodelay);
    return errc::ok;
}

errc tcp_layer::set_keepalive(tcp_id id, bool on, instant now) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    c->set_keepalive(on, now);
    tcp_rearm(tcp_table::slot_of(id));
    return errc::ok;
}

errc tcp_layer::set_buffer_sizes(tcp_id id, size_t send, size_t receive) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    c->set_buffer_sizes(send, receive);
    return errc::ok;
}

errc tcp_layer::set_user_timeout(tcp_id id, duration d) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    c->set_user_timeout(d);
    return errc::ok;
}

errc tcp_layer::set_recovery_timers(tcp_id id, const tcp_recovery_timers& t) {
    tcp_connection* c = tcp_find(id);
    if (c == nullptr) return errc::not_found;
    if (t.rto_min <= duration{} || t.pto_min <= duration{} || t.tlp_delayed_ack < duration{})
        return errc::invalid_argument;
    c->set_recovery_timers(t);
    return errc::ok;
}

} // namespace tachyon
