/// The TCB: its lifecycle (open, negotiate, finish, TIME-WAIT) and the user calls (send, read,
/// close, abort). Segment arrival is in tcp_input.cpp, sending in tcp_output.cpp, timers in
/// tcp_timers.cpp.

#include "stack/core/log.hpp"
#include "stack/net/tcp_connection.hpp"

#include <algorithm>
#include <cstring>

namespace tachyon {

namespace tf = wire::tcp_flags;

const char* to_string(tcp_state s) {
    switch (s) {
    case tcp_state::closed: return "CLOSED";
    case tcp_state::listen: return "LISTEN";
    case tcp_state::syn_sent: return "SYN-SENT";
    case tcp_state::syn_received: return "SYN-RECEIVED";
    case tcp_state::established: return "ESTABLISHED";
    case tcp_state::fin_wait_1: return "FIN-WAIT-1";
    case tcp_state::fin_wait_2: return "FIN-WAIT-2";
    case tcp_state::close_wait: return "CLOSE-WAIT";
    case tcp_state::closing: return "CLOSING";
    case tcp_state::last_ack: return "LAST-ACK";
    case tcp_state::time_wait: return "TIME-WAIT";
    }
    return "?";
}

const char* to_string(tcp_close_reason r) {
    switch (r) {
    case tcp_close_reason::none: return "open";
    case tcp_close_reason::normal: return "normal";
    case tcp_close_reason::reset: return "reset";
    case tcp_close_reason::timeout: return "timeout";
    case tcp_close_reason::unreachable: return "unreachable";
    case tcp_close_reason::aborted: return "aborted";
    }
    return "?";
}

tcp_connection::tcp_connection(const tcp_settings& settings, tcp_stats& stats)
    : _settings(settings),
      _stats(stats),
      _rtt(settings.rto_initial, settings.rto_min, settings.rto_max),
      // Small writes with nodelay make one segment each: room for a send buffer of 256-byte
      // messages (small segments received are packed together). Allocated here, once.
      _snd_queue(settings.send_buffer / 256 + 8),
      _rcv_queue(settings.receive_buffer / 256 + 8, settings.out_of_order_segments, stats) {}

bool tcp_connection::synchronized() const {
    return _state != tcp_state::closed && _state != tcp_state::listen && _state != tcp_state::syn_sent &&
           _state != tcp_state::syn_received;
}

void tcp_connection::reset_state() {
    _snd_queue.reset(_snd_queue.end());
    _rcv_queue.clear();
    _fin_queued = _fin_sent = _fin_received = false;
    _wscale_ok = _ts_ok = _sack_ok = false;
    _snd_wscale = _rcv_wscale = 0;
    _snd_wnd = _max_snd_wnd = 0;
    _rcv_adv = _rcv_nxt = _snd_una = _snd_nxt = _snd_max = seq32{};
    _snd_mss = _segment_budget = 536;
    _ts_recent = 0;
    _cc = tcp_congestion{};
    _dup_acks = 0;
    _in_recovery = _sack_recovery = false;
    _high_sack = seq32{};
    _pto_at = instant::never();
    _tlp_outstanding = _tlp_retransmission = false;
    _tlp_end = seq32{};
    _rack_xmit_ts = instant{};
    _rack_end_seq = seq32{};
    _rack_rtt = duration{};
    _rack_min_rtt = duration::s(3600);
    _rack_delivered = _rack_reordering = false;
    _rack_at = instant::never();
    _rtt = rtt_estimator(_settings.rto_initial, _settings.rto_min, _settings.rto_max);
    _timers = tcp_recovery_timers{_settings.rto_min, _settings.pto_min, _settings.tlp_delayed_ack};
    _rto_at = _persist_at = _delack_at = _keepalive_at = _time_wait_at = _connect_deadline = instant::never();
    _persist_backoff = duration{};
    _user_timeout = duration{};
    _keepalive_sent = 0;
    _syn_transmissions = 0;
    _retransmissions = 0;
    _ack_pending = _ack_now = false;
    _notified = false;
    _segments_since_ack = 0;
    _nagle = _settings.nagle;
    _keepalive = _settings.keepalive;
    _send_limit = _settings.send_buffer;
    _recv_limit = _settings.receive_buffer;
}

tcp_events tcp_connection::finish(tcp_close_reason reason) {
    tcp_events ev;
    if (!_notified) {
        ev.closed = true;
        ev.reason = reason;
        switch (reason) {
        case tcp_close_reason::normal: ++_stats.closed_normal; break;
        case tcp_close_reason::reset: ++_stats.closed_reset; break;
        case tcp_close_reason::aborted: ++_stats.closed_aborted; break;
        case tcp_close_reason::unreachable: ++_stats.closed_unreachable; break;
        default: ++_stats.closed_timeout; break;
        }
    }
    reset_state();
    _state = tcp_state::closed;
    return ev;
}

tcp_events tcp_connection::enter_time_wait(instant now) {
    // RFC 9293 §3.10.7.4: TIME-WAIT lasts 2 MSL; the buffers are no longer needed.
    enter(tcp_state::time_wait);
    _time_wait_at = now + _settings.msl * 2;
    _rto_at = _pto_at = _rack_at = _persist_at = _keepalive_at = _delack_at = instant::never();
    _snd_queue.reset(_snd_queue.end());
    tcp_events ev;
    if (!_notified) {
        _notified = true;
        ev.closed = true;
        ev.reason = tcp_close_reason::normal;
        ++_stats.closed_normal;
    }
    return ev;
}

void tcp_connection::negotiate(const wire::tcp_options& o, uint16_t local_mss) {
    // RFC 9293 §3.7.1: without an MSS option the peer takes 536.
    _snd_mss = std::min<uint32_t>(o.has_mss ? o.mss : 536, local_mss);
    _segment_budget = _snd_mss;
    // RFC 7323 §2.2: scaling is in effect only when both SYNs carry the option.
    if (o.has_window_scale) {
        _wscale_ok = true;
        _snd_wscale = o.window_scale;
        _rcv_wscale = _settings.window_scale;
    }
    _ts_ok = _settings.timestamps && o.has_timestamps;
    if (_ts_ok) {
        _ts_recent = o.ts_val;
        _snd_mss -= 12; // RFC 9293 §3.7.1: the options of every segment come out of the MSS
    }
    _sack_ok = _settings.sack && o.sack_permitted;
    // RFC 5681 §3.1 (RFC 3390): the initial window.
    _cc.start(_snd_mss);
}

void tcp_connection::open_active(const tcp_tuple& t, seq32 iss, uint16_t local_mss, instant now, duration timeout,
                                 tcp_emit_queue& out) {
    reset_state();
    _tuple = t;
    _local_mss = local_mss;
    _iss = iss;
    _snd_una = iss;
    _snd_nxt = iss + 1;
    _snd_max = _snd_nxt;
    _recover = iss; // RFC 6582 §3.2: "recover" starts at the initial send sequence number
    _high_sack = iss;
    _snd_queue.reset(iss + 1);
    _last_received = now;
    _connect_deadline = now + timeout;
    enter(tcp_state::syn_sent);
    ++_stats.active_opens;
    _syn_sent_at = now;
    _syn_transmissions = 1;
    send_control(tf::syn, iss, now, out);
    arm_rto(now);
}

void tcp_connection::open_passive(const tcp_tuple& t, const wire::tcp_repr& syn, seq32 iss, uint16_t local_mss,
                                  instant now, tcp_emit_queue& out, bool from_cookie) {
    reset_state();
    _tuple = t;
    _local_mss = local_mss;
    _irs = syn.seq;
    _rcv_nxt = syn.seq + 1;
    _rcv_adv = _rcv_nxt;
    _iss = iss;
    _snd_una = iss;
    _snd_nxt = iss + 1;
    _snd_max = _snd_nxt;
    _recover = iss;
    _high_sack = iss;
    _snd_queue.reset(iss + 1);
    _last_received = now;
    negotiate(syn.options, local_mss);
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    _snd_wnd = syn.window;
    _max_snd_wnd = _snd_wnd;
    _snd_wl1 = syn.seq;
    _snd_wl2 = iss;
    enter(tcp_state::syn_received);
    ++_stats.passive_opens;
    _connect_deadline = now + _settings.connect_timeout;
    _syn_sent_at = now;
    if (from_cookie) {
        _syn_transmissions = 0; // when our SYN-ACK left is unknown: no RTT sample from it
        return;
    }
    _syn_transmissions = 1;
    send_control(tf::syn | tf::ack, iss, now, out);
    arm_rto(now);
}

size_t tcp_connection::send_space() const {
    switch (_state) {
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::close_wait:
        break;
    default:
        return 0;
    }
    if (_fin_queued) return 0;
    const size_t bytes = _snd_queue.bytes() >= _send_limit ? 0 : _send_limit - _snd_queue.bytes();
    // What the queue's slots can still hold: the tail's room, then one segment per free slot.
    // Promising more would make a sender push frames the ring has no slot for.
    const size_t slots = _snd_queue.capacity() - _snd_queue.size();
    return std::min(bytes, send_tail_room() + slots * _snd_mss);
}

packet* tcp_connection::send_tail() {
    tcp_tx_entry* e = _snd_queue.growable_tail(_snd_mss);
    return e != nullptr ? &e->frame : nullptr;
}

size_t tcp_connection::send_tail_room() const { return _snd_queue.tail_room(_snd_mss); }

void tcp_connection::extend_tail(size_t n) { _snd_queue.extend_tail(n); }

void tcp_connection::set_recovery_timers(const tcp_recovery_timers& t) {
    _timers = t;
    _rtt.set_min(t.rto_min);
}

bool tcp_connection::push_send(packet&& frame) { return _snd_queue.push(std::move(frame)); }

std::span<const std::byte> tcp_connection::readable() const { return _rcv_queue.readable(); }

void tcp_connection::consume(size_t n) {
    if (n == 0 || _rcv_queue.bytes() == 0) return;
    const uint32_t before = receive_window();
    _rcv_queue.consume(n);
    if (_rcv_queue.out_of_order_count() > 0) {
        // A held segment may have waited for this room (the queue was full when its gap
        // filled): it follows now, and the peer hears at once that RCV.NXT moved.
        const seq32 was = _rcv_nxt;
        _rcv_queue.pull(_rcv_nxt);
        if (_rcv_nxt != was) _ack_pending = _ack_now = true;
    }
    // RFC 1122 §4.2.3.3 (receiver SWS avoidance): announce a reopened window once it grew by
    // a full segment or half the buffer.
    const uint32_t after = receive_window();
    const uint32_t advertised = _rcv_adv > _rcv_nxt ? uint32_t(_rcv_adv - _rcv_nxt) : 0;
    if (after > advertised && after - std::max(before, advertised) >= std::min<uint32_t>(_snd_mss, uint32_t(_recv_limit / 2)))
        _ack_pending = _ack_now = true;
}

void tcp_connection::close() {
    switch (_state) {
    case tcp_state::syn_sent:
        // RFC 9293 §3.10.4: nothing was synchronized yet: just forget it.
        finish(tcp_close_reason::normal);
        return;
    case tcp_state::syn_received:
    case tcp_state::established:
        _fin_queued = true;
        if (_state == tcp_state::established) enter(tcp_state::fin_wait_1);
        return;
    case tcp_state::close_wait:
        _fin_queued = true;
        enter(tcp_state::last_ack);
        return;
    default:
        return;
    }
}

tcp_events tcp_connection::abort(tcp_emit_queue& out) {
    // RFC 9293 §3.10.5: a RST in the synchronized states (and SYN-RECEIVED), then forget.
    if (synchronized() || _state == tcp_state::syn_received) {
        if (_state != tcp_state::time_wait) send_rst(_snd_nxt, out);
    }
    return finish(tcp_close_reason::aborted);
}

tcp_events tcp_connection::fail(tcp_close_reason reason) { return finish(reason); }

void tcp_connection::set_buffer_sizes(size_t send, size_t receive) {
    // Each at most the configured size (the queues were sized for it) and at least 2 KiB; the
    // receive window never shrinks below what was already advertised (RFC 9293 §3.8.6.2.2).
    if (send != 0) _send_limit = std::clamp<size_t>(send, 2048, _settings.send_buffer);
    if (receive != 0) _recv_limit = std::clamp<size_t>(receive, 2048, _settings.receive_buffer);
}

void tcp_connection::set_keepalive(bool on, instant now) {
    _keepalive = on;
    _keepalive_sent = 0;
    _keepalive_at = on && synchronized() ? now + _settings.keepalive_idle : instant::never();
}

} // namespace tachyon
