/// TCP timers: the retransmission timer (RFC 6298), the handshake RTT sample, keepalive
/// (RFC 1122 §4.2.3.6), TIME-WAIT (2 MSL) and the zero-window probe; `next_deadline` for the
/// caller's timer wheel.

#include "stack/core/log.hpp"
#include "stack/net/tcp_connection.hpp"

#include <algorithm>
#include <cstring>

namespace tachyon {

namespace tf = wire::tcp_flags;

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
    if (_user_timeout > duration{} && _snd_queue.size() > 0 && _snd_queue.at(0).transmissions > 0)
        _rto_at = std::min(_rto_at, _snd_queue.at(0).sent_at + _user_timeout);
}

tcp_events tcp_connection::on_timer(instant now, tcp_emit_queue& out) {
    tcp_events ev;
    if (now >= _time_wait_at) return finish(tcp_close_reason::normal);
    if (now >= _connect_deadline) {
        // The connect timeout: no answer to our SYN (or to our SYN,ACK).
        return finish(tcp_close_reason::timeout);
    }
    if (now >= _rack_at && now < _rto_at) {
        _rack_at = instant::never();
        // RFC 8985 §6.3: the reordering window has passed.
        if (rack_detect_loss(now)) rack_respond(now, out);
    }
    if (now >= _pto_at && now < _rto_at) send_loss_probe(now, out); // RFC 8985 §7.3
    if (now >= _rto_at) {
        ++_stats.rto_expirations;
        _rtt.back_off(); // RFC 6298 (5.5)
        if (_state == tcp_state::syn_sent || _state == tcp_state::syn_received) {
            // max_retransmits counts retransmissions: the original SYN is not one of them.
            if (_syn_transmissions > _settings.max_retransmits) return finish(tcp_close_reason::timeout);
            ++_syn_transmissions;
            ++_stats.retransmits;
            ++_retransmissions;
            send_control(_state == tcp_state::syn_sent ? tf::syn : tf::syn | tf::ack, _iss, now, out);
            arm_rto(now);
        } else if (_snd_una != _snd_max) {
            const bool too_many =
                (_snd_queue.size() > 0 && _snd_queue.at(0).transmissions > _settings.max_retransmits) ||
                _rtt.backoffs() > _settings.max_retransmits ||
                (_user_timeout > duration{} && _snd_queue.size() > 0 && now - _snd_queue.at(0).sent_at >= _user_timeout);
            if (too_many) {
                send_rst(_snd_nxt, out);
                return finish(tcp_close_reason::timeout);
            }
            // RFC 5681 §3.1 eq. (4) and the loss window; RFC 6582 §4: recover = highest sent.
            _cc.on_timeout(flight_size(), _snd_mss);
            _in_recovery = false;
            _dup_acks = 0;
            _recover = _snd_max;
            clear_scoreboard();
            // Go back to SND.UNA: everything unacknowledged is sent again as the window grows.
            _snd_queue.rewind();
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
    if (now >= _keepalive_at && (_snd_una != _snd_max || _snd_queue.size() > 0)) {
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
    return std::min({_rto_at, _pto_at, _rack_at, _persist_at, _delack_at, _keepalive_at, _time_wait_at, _connect_deadline});
}

} // namespace tachyon
