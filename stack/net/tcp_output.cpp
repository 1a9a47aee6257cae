/// TCP output (RFC 9293 §3.10.4 SEND, §3.8.6 window management): building segments, the
/// options they carry (RFC 7323 timestamps, RFC 2018 SACK), control segments and resets,
/// retransmission of the head, and `output`, which sends what the windows allow.

#include "stack/core/log.hpp"
#include "stack/net/tcp_connection.hpp"

#include <algorithm>
#include <cstring>

namespace tachyon {

namespace tf = wire::tcp_flags;

uint32_t tcp_connection::receive_window() const {
    const size_t used = _rcv_queue.bytes() + _rcv_queue.out_of_order_bytes();
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
    if (_sack_ok) _rcv_queue.fill_sack(o, _rcv_nxt);
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

void tcp_connection::send_entry(tcp_tx_entry& e, instant now, tcp_emit_queue& out) {
    tcp_segment_out s = make_segment(tf::ack | tf::psh, e.seq, now);
    // Payload and options share the segment size: SACK blocks that do not fit beside a full
    // segment are left out (the pure ACKs carry them).
    while (s.options.sack_count > 0 && e.len + s.options.emitted_len() > _segment_budget) --s.options.sack_count;
    s.data = &e.frame;
    s.payload_offset = e.offset;
    s.payload_len = e.len;
    if (e.transmissions == 0) e.sent_at = now;
    e.last_sent = now;
    if (e.transmissions < 255) ++e.transmissions;
    out.push(s);
}

void tcp_connection::retransmit_head(instant now, tcp_emit_queue& out) {
    if (_snd_queue.size() > 0 && _snd_queue.at(0).transmissions > 0) {
        send_entry(_snd_queue.at(0), now, out);
        ++_retransmissions;
        arm_rto(now);
    } else if (_fin_sent && _snd_una == _fin_seq) {
        send_control(tf::fin | tf::ack, _fin_seq, now, out);
        arm_rto(now);
    }
}

void tcp_connection::send_next_new(instant now, tcp_emit_queue& out) {
    tcp_tx_entry& e = _snd_queue.at(_snd_queue.in_flight());
    const bool retransmission = e.transmissions > 0; // after a timeout went back to SND.UNA
    send_entry(e, now, out);
    if (retransmission) {
        ++_stats.retransmits;
        ++_retransmissions;
    }
    _snd_nxt = e.seq + e.len;
    if (_snd_nxt > _snd_max) _snd_max = _snd_nxt;
    _snd_queue.mark_sent();
    if (_rto_at == instant::never()) arm_rto(now);
}

void tcp_connection::output(instant now, tcp_emit_queue& out) {
    const bool can_send_data = _state == tcp_state::established || _state == tcp_state::close_wait ||
                               _state == tcp_state::fin_wait_1 || _state == tcp_state::last_ack ||
                               _state == tcp_state::closing;
    bool sent = false;
    if (can_send_data && _sack_recovery) {
        // RFC 6675 §5 step C: holes first, then new data, as the pipe allows.
        const seq32 before = _snd_nxt;
        recovery_send(now, out);
        sent = _snd_nxt != before;
    } else if (can_send_data) {
        while (_snd_queue.has_unsent() && !out.full()) {
            tcp_tx_entry& e = _snd_queue.at(_snd_queue.in_flight());
            const uint32_t in_flight = flight_size();
            const uint32_t wnd = std::min(_snd_wnd, _cc.cwnd());
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
            send_next_new(now, out);
            sent = true;
        }
        // RFC 8985 §7.2: the probe timer (re)starts when new data goes out.
        if (sent) arm_pto(now);
    }
    if (can_send_data) {
        // CLOSE: the FIN follows the last byte queued (RFC 9293 §3.10.4).
        if (_fin_queued && !_fin_sent && !_snd_queue.has_unsent()) {
            _fin_seq = _snd_queue.end();
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

} // namespace tachyon
