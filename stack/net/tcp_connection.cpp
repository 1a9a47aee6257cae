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
      _tx(settings.send_buffer / 256 + 8),
      _rx(settings.receive_buffer / 256 + 8),
      _ooo(settings.out_of_order_segments) {}

bool tcp_connection::synchronized() const {
    return _state != tcp_state::closed && _state != tcp_state::listen && _state != tcp_state::syn_sent &&
           _state != tcp_state::syn_received;
}

void tcp_connection::reset_state() {
    for (size_t i = 0; i < _tx_count; ++i) tx_at(i).frame.reset();
    _tx_head = _tx_count = _tx_sent = 0;
    _tx_bytes = 0;
    _rx.clear();
    _rx_bytes = 0;
    for (size_t i = 0; i < _ooo_count; ++i) _ooo[i].frame.reset();
    _ooo_count = 0;
    _ooo_bytes = 0;
    _fin_queued = _fin_sent = _fin_received = false;
    _wscale_ok = _ts_ok = _sack_ok = false;
    _snd_wscale = _rcv_wscale = 0;
    _snd_wnd = _max_snd_wnd = 0;
    _rcv_adv = _rcv_nxt = _snd_una = _snd_nxt = _snd_max = seq32{};
    _snd_mss = _segment_budget = 536;
    _ts_recent = 0;
    _cwnd = _ssthresh = _dup_acks = 0;
    _in_recovery = false;
    _rtt = rtt_estimator(_settings.rto_initial, _settings.rto_min, _settings.rto_max);
    _rto_at = _persist_at = _delack_at = _keepalive_at = _time_wait_at = _connect_deadline = instant::never();
    _persist_backoff = duration{};
    _user_timeout = duration{};
    _keepalive_sent = 0;
    _syn_transmissions = 0;
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
    _rto_at = _persist_at = _keepalive_at = _delack_at = instant::never();
    for (size_t i = 0; i < _tx_count; ++i) tx_at(i).frame.reset();
    _tx_head = _tx_count = _tx_sent = 0;
    _tx_bytes = 0;
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
    _cwnd = _snd_mss > 2190 ? 2 * _snd_mss : _snd_mss > 1095 ? 3 * _snd_mss : 4 * _snd_mss;
    _ssthresh = UINT32_MAX / 2;
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
    _tx_end = iss + 1;
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
    _tx_end = iss + 1;
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

uint32_t tcp_connection::receive_window() const {
    const size_t used = _rx_bytes + _ooo_bytes;
    return used >= _recv_limit ? 0 : uint32_t(_recv_limit - used);
}

uint16_t tcp_connection::window_field(bool syn) const {
    uint32_t wnd = receive_window();
    // RFC 9293 §3.8.6.2.2: never shrink the window: keep the right edge already advertised.
    if (_rcv_adv > _rcv_nxt) wnd = std::max(wnd, uint32_t(_rcv_adv - _rcv_nxt));
    if (syn || !_wscale_ok) return uint16_t(std::min<uint32_t>(wnd, 65535)); // RFC 7323 §2.2
    return uint16_t(std::min<uint32_t>(wnd >> _rcv_wscale, 65535));
}

wire::tcp_options tcp_connection::segment_options(bool syn, instant now) const {
    wire::tcp_options o;
    if (syn) {
        o.has_mss = true;
        o.mss = _local_mss;
        const bool active = _state == tcp_state::syn_sent;
        // An active open offers everything configured; a SYN-ACK answers only what was offered.
        if (active ? true : _wscale_ok) {
            o.has_window_scale = true;
            o.window_scale = _settings.window_scale;
        }
        o.sack_permitted = active ? _settings.sack : _sack_ok;
        if (active ? _settings.timestamps : _ts_ok) {
            o.has_timestamps = true;
            o.ts_val = ts_clock(now);
            o.ts_ecr = active ? 0 : _ts_recent;
        }
        return o;
    }
    if (_ts_ok) {
        o.has_timestamps = true;
        o.ts_val = ts_clock(now);
        o.ts_ecr = _ts_recent;
    }
    if (_sack_ok && _ooo_count > 0) fill_sack(o);
    return o;
}

tcp_segment_out tcp_connection::make_segment(uint8_t flags, seq32 seq, instant now) {
    tcp_segment_out s;
    s.flags = flags;
    s.seq = seq;
    const bool syn = (flags & tf::syn) != 0;
    if ((flags & tf::ack) != 0) {
        // Every segment with ACK carries the acknowledgment owed: nothing else need go.
        s.ack = _rcv_nxt;
        _last_ack_sent = _rcv_nxt;
        _ack_pending = _ack_now = false;
        _delack_at = instant::never();
        _segments_since_ack = 0;
    }
    s.window = window_field(syn);
    if (!syn) {
        const uint32_t scaled = _wscale_ok ? uint32_t(s.window) << _rcv_wscale : s.window;
        if (_rcv_nxt + scaled > _rcv_adv) _rcv_adv = _rcv_nxt + scaled;
    }
    s.options = segment_options(syn, now);
    return s;
}

void tcp_connection::send_control(uint8_t flags, seq32 seq, instant now, tcp_emit_queue& out) {
    out.push(make_segment(flags, seq, now));
}

void tcp_connection::send_ack(instant now, tcp_emit_queue& out) { send_control(tf::ack, _snd_nxt, now, out); }

void tcp_connection::send_challenge_ack(instant now, tcp_emit_queue& out) {
    // RFC 5961 §7: challenge ACKs are rate limited across the stack.
    if (!out.challenge_allowed(now)) {
        ++_stats.challenge_acks_limited;
        return;
    }
    ++_stats.challenge_acks;
    send_ack(now, out);
}

void tcp_connection::send_rst(seq32 seq, tcp_emit_queue& out) {
    tcp_segment_out s;
    s.flags = tf::rst;
    s.seq = seq;
    out.push(s);
    ++_stats.tx_resets;
}

void tcp_connection::send_entry(tx_entry& e, instant now, tcp_emit_queue& out) {
    tcp_segment_out s = make_segment(tf::ack | tf::psh, e.seq, now);
    // Payload and options share the segment size: SACK blocks that do not fit beside a full
    // segment are left out (the pure ACKs carry them).
    while (s.options.sack_count > 0 && e.len + s.options.emitted_len() > _segment_budget) --s.options.sack_count;
    s.data = &e.frame;
    s.payload_offset = e.offset;
    s.payload_len = e.len;
    if (e.transmissions == 0) e.sent_at = now;
    if (e.transmissions < 255) ++e.transmissions;
    out.push(s);
}

void tcp_connection::fill_sack(wire::tcp_options& o) const {
    // RFC 2018 §4: the first block holds the most recently received segment; the rest follow.
    std::array<std::pair<seq32, seq32>, 8> runs{};
    size_t n = 0;
    for (size_t i = 0; i < _ooo_count && n < runs.size(); ++i) {
        seq32 start = _ooo[i].seq;
        seq32 end = start + uint32_t(_ooo[i].frame.size());
        if (n > 0 && start <= runs[n - 1].second) {
            runs[n - 1].second = wire::seq_max(runs[n - 1].second, end);
        } else {
            runs[n++] = {start, end};
        }
    }
    size_t first = 0;
    for (size_t i = 0; i < n; ++i)
        if (runs[i].first <= _last_ooo_seq && _last_ooo_seq < runs[i].second) first = i;
    o.sack_count = 0;
    o.sack_blocks[o.sack_count++] = runs[first];
    for (size_t i = 0; i < n && o.sack_count < wire::tcp_options::max_sack_blocks; ++i)
        if (i != first) o.sack_blocks[o.sack_count++] = runs[i];
}

void tcp_connection::handshake_rtt(instant now) {
    // Karn's rule: a SYN sent once gives a sample; RFC 6298 (5.7): after a SYN timed out, the
    // RTO starts data transfer at 3 s.
    if (_syn_transmissions == 1) _rtt.sample(now - _syn_sent_at);
    else if (_syn_transmissions > 1) _rtt.restart(std::max(duration::s(3), _settings.rto_initial));
}

void tcp_connection::arm_rto(instant now) {
    _rto_at = now + _rtt.rto();
    // RFC 9293 §3.8.3: with a user timeout, the timer also fires when the oldest unacknowledged
    // data reaches it, so the connection is given up on time, not at the next backed-off RTO.
    if (_user_timeout > duration{} && _tx_count > 0 && _tx[_tx_head].transmissions > 0)
        _rto_at = std::min(_rto_at, _tx[_tx_head].sent_at + _user_timeout);
}

tcp_events tcp_connection::on_segment(const wire::tcp_repr& seg, packet&& payload, instant now, tcp_emit_queue& out) {
    tcp_events ev;
    const uint32_t plen = payload ? uint32_t(payload.size()) : 0;
    const uint32_t seg_len = seg.segment_len(plen);
    const bool rst = (seg.flags & tf::rst) != 0;
    const bool syn = (seg.flags & tf::syn) != 0;
    const bool ack = (seg.flags & tf::ack) != 0;
    const bool fin = (seg.flags & tf::fin) != 0;
    _last_received = now;
    if (_keepalive && synchronized()) {
        _keepalive_at = now + _settings.keepalive_idle;
        _keepalive_sent = 0;
    }

    if (_state == tcp_state::syn_sent) {
        // RFC 9293 §3.10.7.3.
        if (ack && (seg.ack <= _iss || seg.ack > _snd_nxt)) {
            if (!rst) send_rst(seg.ack, out);
            return ev;
        }
        if (rst) {
            // Acceptable only when it acknowledges our SYN (RFC 5961 §3.2 keeps that rule):
            // "connection refused".
            return ack ? finish(tcp_close_reason::reset) : ev;
        }
        if (!syn) return ev;
        _irs = seg.seq;
        _rcv_nxt = seg.seq + 1;
        _rcv_adv = _rcv_nxt; // nothing advertised yet: the right edge starts at RCV.NXT
        negotiate(seg.options, _local_mss);
        if (ack) {
            _snd_una = seg.ack;
            handshake_rtt(now);
            _rto_at = instant::never();
            _connect_deadline = instant::never();
            _snd_wnd = seg.window; // RFC 7323 §2.2: a SYN's window is not scaled
            _max_snd_wnd = _snd_wnd;
            _snd_wl1 = seg.seq;
            _snd_wl2 = seg.ack;
            enter(tcp_state::established);
            ++_stats.established;
            ev.connected = true;
            _ack_pending = _ack_now = true; // the ACK of the SYN-ACK (it may ride on data)
            if (_keepalive) _keepalive_at = now + _settings.keepalive_idle;
            return ev;
        }
        // Simultaneous open (RFC 9293 §3.5, figure 7): answer SYN with SYN,ACK.
        _snd_wnd = seg.window;
        _max_snd_wnd = _snd_wnd;
        _snd_wl1 = seg.seq;
        enter(tcp_state::syn_received);
        send_control(tf::syn | tf::ack, _iss, now, out);
        arm_rto(now);
        return ev;
    }

    // RFC 7323 §5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate.
    if (_ts_ok && seg.options.has_timestamps && !rst && int32_t(seg.options.ts_val - _ts_recent) < 0) {
        TACHYON_DROP(_stats.drop_paws);
        send_ack(now, out);
        return ev;
    }
    if (_state == tcp_state::syn_received && syn && !rst && seg.seq == _irs) {
        if (!ack) {
            // The peer's SYN again: our SYN,ACK was lost (answer before the window test,
            // which a SYN at IRS fails).
            send_control(tf::syn | tf::ack, _iss, now, out);
            return ev;
        }
        // Simultaneous open (RFC 9293 §3.5 figure 7, line 6): the peer's SYN,ACK completes it.
        if (!process_ack(seg, seg_len, now, out, ev)) return ev;
        _ack_pending = _ack_now = true;
        return ev;
    }
    if (_state == tcp_state::time_wait && fin && !rst && seg.seq + plen + 1 == _rcv_nxt) {
        // RFC 9293 §3.10.7.4: a retransmitted FIN in TIME-WAIT (the peer did not hear our ACK):
        // ACK it again and restart the 2 MSL timeout.
        _time_wait_at = now + _settings.msl * 2;
        send_ack(now, out);
        return ev;
    }
    if (syn && !rst && _state != tcp_state::syn_received) {
        // RFC 5961 §4.2: a SYN on a synchronized connection, whatever its sequence number,
        // gets a (rate-limited) challenge ACK.
        TACHYON_DROP(_stats.drop_syn_in_window);
        send_challenge_ack(now, out);
        return ev;
    }
    // First: is the sequence number acceptable? (RFC 9293 §3.10.7.4)
    uint32_t rcv_wnd = receive_window();
    if (_rcv_adv > _rcv_nxt) rcv_wnd = std::max(rcv_wnd, uint32_t(_rcv_adv - _rcv_nxt));
    if (!wire::segment_acceptable(_rcv_nxt, rcv_wnd, seg.seq, seg_len)) {
        TACHYON_DROP(_stats.drop_not_acceptable);
        if (!rst) send_ack(now, out);
        return ev;
    }
    // Second: RST. RFC 5961 §3.2: reset only on an exact match, else a challenge ACK.
    if (rst) {
        if (seg.seq == _rcv_nxt) {
            if (_state == tcp_state::time_wait || _state == tcp_state::last_ack || _state == tcp_state::closing) {
                // RFC 9293: in these states a RST simply ends the connection.
                return finish(tcp_close_reason::normal);
            }
            return finish(tcp_close_reason::reset);
        }
        TACHYON_DROP(_stats.drop_rst_in_window);
        send_challenge_ack(now, out);
        return ev;
    }
    // Fourth: SYN (handled above, before the window test, per RFC 5961 §4.2). In SYN-RECEIVED
    // a SYN other than the peer's own is out of place: challenge it too.
    if (syn) {
        TACHYON_DROP(_stats.drop_syn_in_window);
        send_challenge_ack(now, out);
        return ev;
    }
    // Fifth: ACK.
    if (!ack) {
        TACHYON_DROP(_stats.drop_no_ack);
        return ev;
    }
    if (!process_ack(seg, seg_len, now, out, ev)) return ev;
    if (_state == tcp_state::closed) return ev;
    // RFC 7323 §4.3: remember the timestamp to echo.
    if (_ts_ok && seg.options.has_timestamps && seg.seq <= _last_ack_sent &&
        int32_t(seg.options.ts_val - _ts_recent) >= 0)
        _ts_recent = seg.options.ts_val;
    // Seventh: the segment text.
    if (plen > 0) {
        if (_state == tcp_state::established || _state == tcp_state::fin_wait_1 || _state == tcp_state::fin_wait_2) {
            receive_data(seg.seq, std::move(payload), now, out, ev);
        } else {
            TACHYON_DROP(_stats.drop_after_close); // the peer sent FIN already: RFC 9293 says ignore
        }
    }
    // Eighth: FIN, once everything before it has arrived.
    if (fin) {
        if (seg.seq + plen == _rcv_nxt && !_fin_received) {
            _rcv_nxt += 1;
            _fin_received = true;
            _ack_pending = _ack_now = true;
            ev.eof = true;
            switch (_state) {
            case tcp_state::established: enter(tcp_state::close_wait); break;
            case tcp_state::fin_wait_1: enter(tcp_state::closing); break; // our FIN not yet acked
            case tcp_state::fin_wait_2: ev.merge(enter_time_wait(now)); break;
            default: break;
            }
        } else if (_state == tcp_state::time_wait) {
            // The peer did not hear our ACK of its FIN: ACK again, restart 2 MSL.
            _time_wait_at = now + _settings.msl * 2;
            send_ack(now, out);
        } else {
            _ack_now = true;
        }
    }
    return ev;
}

bool tcp_connection::process_ack(const wire::tcp_repr& seg, uint32_t seg_len, instant now, tcp_emit_queue& out,
                                 tcp_events& ev) {
    if (_state == tcp_state::syn_received) {
        // RFC 9293 §3.10.7.4: SND.UNA < SEG.ACK =< SND.NXT moves us to ESTABLISHED.
        if (!wire::acceptable_ack(_snd_una, seg.ack, _snd_nxt)) {
            send_rst(seg.ack, out);
            return false;
        }
        _snd_una = seg.ack;
        handshake_rtt(now);
        _rto_at = instant::never();
        _connect_deadline = instant::never();
        _snd_wnd = uint32_t(seg.window) << _snd_wscale;
        _max_snd_wnd = std::max(_max_snd_wnd, _snd_wnd);
        _snd_wl1 = seg.seq;
        _snd_wl2 = seg.ack;
        enter(tcp_state::established);
        ++_stats.established;
        ev.connected = true;
        if (_keepalive) _keepalive_at = now + _settings.keepalive_idle;
        if (_fin_queued) enter(tcp_state::fin_wait_1);
        return true;
    }
    // RFC 5961 §5.2: acceptable when (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.MAX.
    if (seg.ack > _snd_max) {
        TACHYON_DROP(_stats.drop_bad_ack);
        send_challenge_ack(now, out); // RFC 9293: "send an ACK, drop the segment"
        return false;
    }
    if (seg.ack < _snd_una - _max_snd_wnd) {
        TACHYON_DROP(_stats.drop_bad_ack);
        send_challenge_ack(now, out);
        return false;
    }
    const uint32_t wnd = uint32_t(seg.window) << _snd_wscale;
    if (seg.ack > _snd_una) {
        const uint32_t acked = uint32_t(seg.ack - _snd_una);
        take_acked(seg.ack, now, ev);
        _snd_una = seg.ack;
        if (_snd_nxt < _snd_una) _snd_nxt = _snd_una; // after go-back-N, a late ACK
        on_new_ack(seg.ack, acked, now, out);
        // RFC 6298 (5.2)/(5.3): stop the timer when everything is acknowledged, else restart it.
        if (_snd_una == _snd_max) _rto_at = instant::never();
        else arm_rto(now);
        if (!_fin_queued) ev.writable = true;
    } else if (seg.ack == _snd_una && seg_len == 0 && _snd_max != _snd_una && wnd == _snd_wnd) {
        // RFC 5681 §2: a duplicate ACK.
        ++_stats.dup_acks;
        on_dup_ack(now, out);
    }
    // RFC 9293 §3.10.7.4: update the send window from the newest segment.
    if (_snd_wl1 < seg.seq || (_snd_wl1 == seg.seq && _snd_wl2 <= seg.ack)) {
        if (wnd > _snd_wnd && !_fin_queued) ev.writable = true;
        _snd_wnd = wnd;
        _max_snd_wnd = std::max(_max_snd_wnd, wnd);
        _snd_wl1 = seg.seq;
        _snd_wl2 = seg.ack;
        if (_snd_wnd > 0) {
            _persist_at = instant::never();
            _persist_backoff = duration{};
        }
    }
    // The FIN sits right after the last byte queued (_tx_end): acknowledged once SND.UNA passes
    // it, even when a timeout had gone back to SND.UNA and not yet sent it again.
    const bool fin_acked = _fin_queued && _snd_una > _tx_end;
    if (fin_acked && !_fin_sent) {
        _fin_sent = true;
        _fin_seq = _tx_end;
    }
    switch (_state) {
    case tcp_state::fin_wait_1:
        if (fin_acked) enter(tcp_state::fin_wait_2);
        break;
    case tcp_state::closing:
        if (fin_acked) ev.merge(enter_time_wait(now));
        break;
    case tcp_state::last_ack:
        if (fin_acked) {
            ev.merge(finish(tcp_close_reason::normal));
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

void tcp_connection::take_acked(seq32 ack, instant now, tcp_events& ev) {
    (void)ev;
    const tx_entry* newest_clean = nullptr;
    instant newest_sent;
    while (_tx_count > 0) {
        tx_entry& e = tx_at(0);
        const seq32 end = e.seq + e.len;
        if (end <= ack) {
            // Karn's rule (RFC 6298 §3): time only segments sent once.
            if (e.transmissions == 1) {
                newest_clean = &e;
                newest_sent = e.sent_at;
            }
            _tx_bytes -= e.len;
            e.frame.reset();
            e.transmissions = 0;
            _tx_head = (_tx_head + 1) % _tx.size();
            --_tx_count;
            if (_tx_sent > 0) --_tx_sent;
        } else {
            if (e.seq < ack) {
                // Part of a segment acknowledged: the rest stays, in the same buffer.
                const uint32_t n = uint32_t(ack - e.seq);
                e.seq += n;
                e.offset += n;
                e.len -= n;
                _tx_bytes -= n;
            }
            break;
        }
    }
    if (newest_clean != nullptr) _rtt.sample(now - newest_sent);
}

void tcp_connection::on_new_ack(seq32 ack, uint32_t acked, instant now, tcp_emit_queue& out) {
    if (_in_recovery) {
        if (ack >= _recover) {
            // RFC 6582 §3.2 step 3: a full acknowledgment ends fast recovery.
            _cwnd = std::min(_ssthresh, std::max(flight_size(), _snd_mss) + _snd_mss);
            _in_recovery = false;
            _dup_acks = 0;
        } else {
            // Step 4: a partial acknowledgment: retransmit the next hole, deflate the window
            // by what was acknowledged and add back one segment.
            retransmit_head(now, out);
            _cwnd = _cwnd > acked ? _cwnd - acked : 0;
            if (acked >= _snd_mss) _cwnd += _snd_mss;
            _cwnd = std::max(_cwnd, _snd_mss);
        }
        return;
    }
    _dup_acks = 0;
    if (_cwnd < _ssthresh) {
        _cwnd += std::min(acked, _snd_mss); // RFC 5681 §3.1 eq. (2): slow start
    } else {
        _cwnd += std::max<uint32_t>(1, uint32_t(uint64_t(_snd_mss) * _snd_mss / _cwnd)); // eq. (3)
    }
}

void tcp_connection::on_dup_ack(instant now, tcp_emit_queue& out) {
    ++_dup_acks;
    if (_in_recovery) {
        _cwnd += _snd_mss; // RFC 5681 §3.2 step 4: each further duplicate inflates the window
        return;
    }
    // RFC 6582 §3.2 step 2: enter fast retransmit only for losses after the last recovery.
    if (_dup_acks == 3 && _snd_una >= _recover) {
        _ssthresh = std::max(flight_size() / 2, 2 * _snd_mss); // RFC 5681 eq. (4)
        _recover = _snd_max;
        ++_stats.fast_retransmits;
        retransmit_head(now, out);
        _cwnd = _ssthresh + 3 * _snd_mss; // RFC 5681 §3.2 step 3
        _in_recovery = true;
    }
}

void tcp_connection::retransmit_head(instant now, tcp_emit_queue& out) {
    if (_tx_count > 0 && tx_at(0).transmissions > 0) {
        send_entry(tx_at(0), now, out);
        arm_rto(now);
    } else if (_fin_sent && _snd_una == _fin_seq) {
        send_control(tf::fin | tf::ack, _fin_seq, now, out);
        arm_rto(now);
    }
}

bool tcp_connection::can_append(size_t len) {
    const packet* tail = _rx.back();
    return _rx.size() < _rx.capacity() || (tail != nullptr && !tail->shared() && tail->tailroom() >= len);
}

void tcp_connection::append_in_order(packet&& payload) {
    const size_t len = payload.size();
    packet* tail = _rx.back();
    // Small segments behind data the application has not read yet are copied onto the end of
    // the last one (when it has room and nobody else refers to it), so that a slow reader of
    // small messages does not hold a buffer per message.
    if (tail != nullptr && !tail->shared() && tail->tailroom() >= len) {
        std::memcpy(tail->append(len), payload.data(), len);
        _rx_bytes += len;
        payload.reset();
        return;
    }
    if (_rx.push(std::move(payload))) _rx_bytes += len;
}

void tcp_connection::receive_data(seq32 seq, packet&& payload, instant now, tcp_emit_queue& out, tcp_events& ev) {
    // Trim what we already have (a retransmission overlapping RCV.NXT) and what lies beyond
    // the window (RFC 9293 §3.10.7.4: "trimmed to fit the window").
    if (seq < _rcv_nxt) {
        const uint32_t dup = uint32_t(_rcv_nxt - seq);
        if (dup >= payload.size()) {
            _ack_pending = _ack_now = true;
            return;
        }
        payload.trim_front(dup);
        seq = _rcv_nxt;
    }
    uint32_t wnd = receive_window();
    if (_rcv_adv > _rcv_nxt) wnd = std::max(wnd, uint32_t(_rcv_adv - _rcv_nxt));
    const uint32_t room = uint32_t(_rcv_nxt + wnd - seq);
    if (payload.size() > room) payload.truncate(room);
    if (payload.size() == 0) return;

    if (seq == _rcv_nxt) {
        const uint32_t len = uint32_t(payload.size());
        if (!can_append(len)) [[unlikely]] {
            // No slot left to hold it: not accepted, not acknowledged; the peer retransmits.
            TACHYON_DROP(_stats.drop_receive_queue_full);
            return;
        }
        append_in_order(std::move(payload));
        _rcv_nxt += len;
        const bool filled_gap = _ooo_count > 0;
        pull_out_of_order();
        ev.readable = true;
        _ack_pending = true;
        ++_segments_since_ack;
        // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: with delayed ACKs, every second full segment is
        // acknowledged at once, and so is one that fills a gap.
        if (filled_gap) {
            send_ack(now, out); // RFC 5681 §4.2: at once when a gap fills
        } else if (!_settings.delayed_ack || _segments_since_ack >= 2) {
            _ack_now = true;
        } else if (_delack_at == instant::never()) {
            _delack_at = now + _settings.delayed_ack_timeout;
        }
        return;
    }
    // Beyond a gap: keep it (bounded) and tell the sender at once, one duplicate ACK per
    // segment, carrying SACK blocks (RFC 5681 §4.2, RFC 2018 §4): three of them trigger its
    // fast retransmit, so they are not merged into the iteration's single ACK.
    store_out_of_order(seq, std::move(payload));
    send_ack(now, out);
}

void tcp_connection::store_out_of_order(seq32 seq, packet&& payload) {
    size_t i = 0;
    while (i < _ooo_count && _ooo[i].seq < seq) ++i;
    if (i < _ooo_count && _ooo[i].seq == seq && _ooo[i].frame.size() >= payload.size()) return; // a duplicate
    if (_ooo_count == _ooo.size()) {
        TACHYON_DROP(_stats.drop_out_of_order_full);
        return;
    }
    ++_stats.out_of_order;
    for (size_t j = _ooo_count; j > i; --j) _ooo[j] = std::move(_ooo[j - 1]);
    _ooo_bytes += payload.size();
    _ooo[i] = ooo_entry{seq, std::move(payload)};
    ++_ooo_count;
    _last_ooo_seq = seq;
}

void tcp_connection::pull_out_of_order() {
    while (_ooo_count > 0 && _ooo[0].seq <= _rcv_nxt) {
        // Never take a segment out before it has a place: what was SACKed stays held
        // (RFC 2018 §8 allows reneging, but the sender would then wait for a timeout).
        if (!can_append(_ooo[0].frame.size())) [[unlikely]] {
            TACHYON_DROP(_stats.drop_receive_queue_full);
            break;
        }
        ooo_entry e = std::move(_ooo[0]);
        for (size_t j = 1; j < _ooo_count; ++j) _ooo[j - 1] = std::move(_ooo[j]);
        --_ooo_count;
        _ooo_bytes -= e.frame.size();
        const seq32 end = e.seq + uint32_t(e.frame.size());
        if (end <= _rcv_nxt) continue; // all of it arrived again meanwhile
        e.frame.trim_front(uint32_t(_rcv_nxt - e.seq));
        const uint32_t len = uint32_t(e.frame.size());
        append_in_order(std::move(e.frame));
        _rcv_nxt += len;
    }
}

void tcp_connection::output(instant now, tcp_emit_queue& out) {
    const bool can_send_data = _state == tcp_state::established || _state == tcp_state::close_wait ||
                               _state == tcp_state::fin_wait_1 || _state == tcp_state::last_ack ||
                               _state == tcp_state::closing;
    bool sent = false;
    if (can_send_data) {
        while (_tx_sent < _tx_count && !out.full()) {
            tx_entry& e = tx_at(_tx_sent);
            const uint32_t in_flight = flight_size();
            const uint32_t wnd = std::min(_snd_wnd, _cwnd);
            if (in_flight + e.len > wnd) {
                // RFC 9293 §3.8.6.1: a window too small for the next segment with nothing in
                // flight starts the persist timer, which probes it open.
                if (in_flight == 0 && _snd_wnd < e.len && _persist_at == instant::never()) {
                    _persist_backoff = _rtt.rto();
                    _persist_at = now + _persist_backoff;
                }
                break;
            }
            // RFC 1122 §4.2.3.4 (Nagle), when asked for: hold a small segment while data is
            // unacknowledged.
            if (_nagle && e.len < _snd_mss && in_flight > 0) break;
            const bool retransmission = e.transmissions > 0;
            send_entry(e, now, out);
            if (retransmission) ++_stats.retransmits;
            _snd_nxt = e.seq + e.len;
            if (_snd_nxt > _snd_max) _snd_max = _snd_nxt;
            ++_tx_sent;
            sent = true;
            if (_rto_at == instant::never()) arm_rto(now);
        }
        // CLOSE: the FIN follows the last byte queued (RFC 9293 §3.10.4).
        if (_fin_queued && !_fin_sent && _tx_sent == _tx_count) {
            _fin_seq = _tx_end;
            send_control(tf::fin | tf::ack, _fin_seq, now, out);
            _fin_sent = true;
            _snd_nxt = _fin_seq + 1;
            if (_snd_nxt > _snd_max) _snd_max = _snd_nxt;
            sent = true;
            if (_rto_at == instant::never()) arm_rto(now);
        }
    }
    if (!sent && _ack_now && _state != tcp_state::closed && _state != tcp_state::syn_sent) send_ack(now, out);
}

tcp_events tcp_connection::on_timer(instant now, tcp_emit_queue& out) {
    tcp_events ev;
    if (now >= _time_wait_at) return finish(tcp_close_reason::normal);
    if (now >= _connect_deadline) {
        // The connect timeout: no answer to our SYN (or to our SYN,ACK).
        return finish(tcp_close_reason::timeout);
    }
    if (now >= _rto_at) {
        ++_stats.rto_expirations;
        _rtt.back_off(); // RFC 6298 (5.5)
        if (_state == tcp_state::syn_sent || _state == tcp_state::syn_received) {
            // max_retransmits counts retransmissions: the original SYN is not one of them.
            if (_syn_transmissions > _settings.max_retransmits) return finish(tcp_close_reason::timeout);
            ++_syn_transmissions;
            ++_stats.retransmits;
            send_control(_state == tcp_state::syn_sent ? tf::syn : tf::syn | tf::ack, _iss, now, out);
            arm_rto(now);
        } else if (_snd_una != _snd_max) {
            const bool too_many =
                (_tx_count > 0 && tx_at(0).transmissions > _settings.max_retransmits) ||
                _rtt.backoffs() > _settings.max_retransmits ||
                (_user_timeout > duration{} && _tx_count > 0 && now - tx_at(0).sent_at >= _user_timeout);
            if (too_many) {
                send_rst(_snd_nxt, out);
                return finish(tcp_close_reason::timeout);
            }
            // RFC 5681 §3.1 eq. (4) and the loss window; RFC 6582 §4: recover = highest sent.
            _ssthresh = std::max(flight_size() / 2, 2 * _snd_mss);
            _cwnd = _snd_mss;
            _in_recovery = false;
            _dup_acks = 0;
            _recover = _snd_max;
            // Go back to SND.UNA: everything unacknowledged is sent again as the window grows.
            _tx_sent = 0;
            _snd_nxt = _snd_una;
            if (_fin_sent && _snd_una <= _fin_seq) _fin_sent = false;
            _rto_at = instant::never();
            output(now, out);
            arm_rto(now);
        } else {
            _rto_at = instant::never();
        }
    }
    if (now >= _persist_at) {
        // RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe a zero window; the probe is an old
        // sequence number, which the peer must answer with its current window.
        ++_stats.window_probes;
        send_control(tf::ack, _snd_una - 1, now, out);
        _persist_backoff = std::min(_persist_backoff * 2, _settings.rto_max);
        _persist_at = now + _persist_backoff;
    }
    if (now >= _delack_at) {
        _delack_at = instant::never();
        if (_ack_pending) send_ack(now, out);
    }
    if (now >= _keepalive_at && (_snd_una != _snd_max || _tx_count > 0)) {
        // RFC 1122 §4.2.3.6 probes an idle connection only: with data queued or in flight the
        // retransmission and persist timers watch the peer (Linux does the same). Looking again
        // a keepalive period later also keeps keepalive from ending the connection in the call
        // that just queued a retransmission pointing into the send queue.
        _keepalive_at = now + _settings.keepalive_idle;
        _keepalive_sent = 0;
    }
    if (now >= _keepalive_at) {
        // RFC 1122 §4.2.3.6: a probe with SEG.SEQ = SND.NXT - 1 and no data.
        if (_keepalive_sent >= _settings.keepalive_probes) {
            send_rst(_snd_nxt, out);
            return finish(tcp_close_reason::timeout);
        }
        ++_keepalive_sent;
        ++_stats.keepalive_probes;
        send_control(tf::ack, _snd_nxt - 1, now, out);
        _keepalive_at = now + _settings.keepalive_interval;
    }
    return ev;
}

instant tcp_connection::next_deadline() const {
    return std::min({_rto_at, _persist_at, _delack_at, _keepalive_at, _time_wait_at, _connect_deadline});
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
    const size_t bytes = _tx_bytes >= _send_limit ? 0 : _send_limit - _tx_bytes;
    // What the queue's slots can still hold: the tail's room, then one segment per free slot.
    // Promising more would make a sender push frames the ring has no slot for.
    const size_t slots = _tx.size() - _tx_count;
    return std::min(bytes, send_tail_room() + slots * _snd_mss);
}

packet* tcp_connection::send_tail() {
    if (_tx_count == 0 || _tx_sent == _tx_count) return nullptr;
    tx_entry& e = tx_at(_tx_count - 1);
    if (e.transmissions > 0 || e.len >= _snd_mss) return nullptr;
    return &e.frame;
}

size_t tcp_connection::send_tail_room() const {
    if (_tx_count == 0 || _tx_sent == _tx_count) return 0;
    const tx_entry& e = _tx[(_tx_head + _tx_count - 1) % _tx.size()];
    if (e.transmissions > 0 || e.len >= _snd_mss) return 0;
    return std::min<size_t>(_snd_mss - e.len, e.frame.tailroom());
}

void tcp_connection::extend_tail(size_t n) {
    tx_entry& e = tx_at(_tx_count - 1);
    e.len += uint32_t(n);
    _tx_bytes += n;
    _tx_end += uint32_t(n);
}

bool tcp_connection::push_send(packet&& frame) {
    if (!send_slot_free()) [[unlikely]]
        return false; // never overwrite an entry: the oldest one holds unacknowledged data
    tx_entry& e = tx_at(_tx_count);
    e.len = uint32_t(frame.size());
    e.offset = uint32_t(frame.headroom());
    e.seq = _tx_end;
    e.transmissions = 0;
    e.frame = std::move(frame);
    _tx_end += e.len;
    _tx_bytes += e.len;
    ++_tx_count;
    return true;
}

std::span<const std::byte> tcp_connection::readable() const {
    const packet* head = _rx.front();
    if (head == nullptr) return {};
    return {head->data(), head->size()};
}

void tcp_connection::consume(size_t n, instant now, tcp_emit_queue& out) {
    (void)now;
    (void)out;
    packet* head = _rx.front();
    if (head == nullptr || n == 0) return;
    n = std::min(n, head->size());
    const uint32_t before = receive_window();
    head->trim_front(n);
    _rx_bytes -= n;
    if (head->size() == 0) _rx.pop().reset();
    // RFC 1122 §4.2.3.3 (receiver SWS avoidance): announce a reopened window once it grew by
    // a full segment or half the buffer.
    const uint32_t after = receive_window();
    const uint32_t advertised = _rcv_adv > _rcv_nxt ? uint32_t(_rcv_adv - _rcv_nxt) : 0;
    if (after > advertised && after - std::max(before, advertised) >= std::min<uint32_t>(_snd_mss, uint32_t(_recv_limit / 2)))
        _ack_pending = _ack_now = true;
}

void tcp_connection::close(instant now, tcp_emit_queue& out) {
    (void)now;
    (void)out;
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
