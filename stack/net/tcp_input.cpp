/// TCP input (RFC 9293 §3.10.7 SEGMENT ARRIVES): the checks in order, acknowledgement
/// processing (RFC 5681 fast retransmit, RFC 6298 RTT samples), and the receive queue with its
/// out-of-order store.

#include "stack/core/log.hpp"
#include "stack/net/tcp_connection.hpp"

#include <algorithm>
#include <cstring>

namespace tachyon {

namespace tf = wire::tcp_flags;

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
    // RFC 6675 §5: every ACK's SACK blocks update the scoreboard first.
    _ack_delivered = 0; // RFC 6937 DeliveredData: what this ACK newly SACKs or acknowledges
    const bool dsack = _sack_ok && seg.options.sack_count > 0 && update_scoreboard(seg.options, seg.ack, now);
    const bool advanced = seg.ack > _snd_una;
    uint32_t acked = 0;
    if (advanced) {
        acked = uint32_t(seg.ack - _snd_una);
        _ack_delivered += acked - take_acked(seg.ack, now);
        _snd_una = seg.ack;
        if (_snd_nxt < _snd_una) _snd_nxt = _snd_una; // after go-back-N, a late ACK
        if (_high_sack < _snd_una) _high_sack = _snd_una; // HighSACK never lags HighACK
    }
    // RFC 8985 §6.2 step 5: RACK marks what this ACK shows lost before the ACK's response (as
    // Linux orders it), so that PRR sizes the response with the pipe those losses leave.
    const bool rack_found = _sack_ok && _rack_delivered && _snd_queue.in_flight() > 0 && rack_detect_loss(now);
    bool responded = true;
    if (advanced) {
        on_new_ack(seg.ack, acked, now, out);
        // RFC 6298 (5.2)/(5.3): stop the timer when everything is acknowledged, else restart it.
        if (_snd_una == _snd_max) _rto_at = instant::never();
        else arm_rto(now);
        if (!_fin_queued) ev.writable = true;
    } else if (seg.ack == _snd_una && seg_len == 0 && _snd_max != _snd_una && wnd == _snd_wnd) {
        // RFC 5681 §2: a duplicate ACK.
        ++_stats.dup_acks;
        on_dup_ack(now, out);
    } else {
        responded = false;
    }
    if (_tlp_outstanding) tlp_on_ack(seg.ack, dsack, advanced);
    if (_snd_queue.in_flight() == 0) {
        // Nothing in flight (a request/response's usual ACK): no loss to look for or probe.
        _rack_at = _pto_at = instant::never();
    } else {
        if (rack_found && !responded) rack_respond(now, out); // an ACK neither new nor duplicate
        if (advanced) arm_pto(now); // RFC 8985 §7.2: and with each ACK of new data
    }
    _ack_delivered = 0; // the ACK's responses are done: a timer that enters recovery delivered nothing
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
    // The FIN sits right after the last byte queued (_snd_queue.end()): acknowledged once SND.UNA passes
    // it, even when a timeout had gone back to SND.UNA and not yet sent it again.
    const bool fin_acked = _fin_queued && _snd_una > _snd_queue.end();
    if (fin_acked && !_fin_sent) {
        _fin_sent = true;
        _fin_seq = _snd_queue.end();
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

uint32_t tcp_connection::take_acked(seq32 ack, instant now) {
    bool timed = false;
    instant newest_sent;
    uint32_t sacked = 0;
    _snd_queue.take_acked(ack, [&](const tcp_tx_entry& e) {
        if (e.sacked) sacked += e.len; // delivered already, when its SACK block came
        else rack_delivered(e, now);
        // Karn's rule (RFC 6298 §3): time only segments sent once.
        if (e.transmissions == 1) {
            timed = true;
            newest_sent = e.sent_at;
        }
    });
    if (timed) _rtt.sample(now - newest_sent);
    return sacked;
}

void tcp_connection::on_new_ack(seq32 ack, uint32_t acked, instant now, tcp_emit_queue& out) {
    if (_in_recovery && _sack_recovery) {
        if (ack >= _recover) {
            // RFC 6675 §5: recovery ends once RecoveryPoint is acknowledged; cwnd is ssthresh.
            _cc.exit_recovery(_snd_mss);
            _in_recovery = _sack_recovery = false;
            _dup_acks = 0;
        } else {
            // A partial ACK: the scoreboard says what else is lost (§5 step C); PRR says how
            // much may go (RFC 6937 §3.1).
            mark_lost();
            _cc.on_recovery_ack(_ack_delivered, pipe(), _snd_mss);
            recovery_send(now, out);
        }
        return;
    }
    if (_in_recovery) {
        if (ack >= _recover) {
            // RFC 6582 §3.2 step 3: a full acknowledgment ends fast recovery.
            _cc.newreno_exit(flight_size(), _snd_mss);
            _in_recovery = false;
            _dup_acks = 0;
        } else {
            // Step 4: a partial acknowledgment: retransmit the next hole, deflate the window
            // by what was acknowledged and add back one segment.
            ++_stats.fast_retransmits;
            retransmit_head(now, out);
            _cc.newreno_partial_ack(acked, _snd_mss);
        }
        return;
    }
    _dup_acks = 0;
    // RFC 6675 §5 (4): the scoreboard may show the new first segment lost already.
    if (_sack_ok && _high_sack > _snd_una && _snd_una >= _recover && head_lost()) {
        enter_recovery(now, out);
        return;
    }
    _cc.on_ack(acked, _snd_mss);
}

void tcp_connection::on_dup_ack(instant now, tcp_emit_queue& out) {
    ++_dup_acks;
    if (_in_recovery) {
        if (_sack_recovery) {
            // RFC 6675 §5 step C: send what the scoreboard and PRR allow.
            mark_lost();
            _cc.on_recovery_ack(_ack_delivered, pipe(), _snd_mss);
            recovery_send(now, out);
        } else {
            _cc.newreno_dup_ack(_snd_mss); // RFC 5681 §3.2 step 4
        }
        return;
    }
    // RFC 6582 §3.2 step 2 (RFC 6675 §5 (4) likewise): enter fast retransmit only for losses
    // after the last recovery; with SACK, also as soon as the scoreboard shows the first
    // segment lost (IsLost(HighACK + 1)).
    if (_snd_una >= _recover && (_dup_acks == 3 || (_sack_ok && _high_sack > _snd_una && head_lost())))
        enter_recovery(now, out);
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
        if (!_rcv_queue.can_append(len)) [[unlikely]] {
            // No slot left to hold it: not accepted, not acknowledged; the peer retransmits.
            TACHYON_DROP(_stats.drop_receive_queue_full);
            return;
        }
        _rcv_queue.append(std::move(payload));
        _rcv_nxt += len;
        const bool filled_gap = _rcv_queue.pull(_rcv_nxt);
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
    _rcv_queue.hold(seq, std::move(payload));
    send_ack(now, out);
}

} // namespace tachyon
