/// TCP loss recovery on the sender's side: the RFC 6675 scoreboard (which segments the peer's
/// SACK blocks say it holds, IsLost, the pipe), SACK-based recovery that retransmits holes only
/// (NextSeg), D-SACK (RFC 2883), and the tail loss probe of RFC 8985 §7, which turns a lost
/// last segment into a SACK-detected loss instead of a retransmission timeout.
///
/// The scoreboard is kept per send-queue entry (one segment each), as Linux keeps it per skb:
/// a segment counts as SACKed when a block covers all of it. Without SACK on the connection,
/// recovery stays NewReno's (tcp_input.cpp).

#include "stack/net/tcp_connection.hpp"

#include <algorithm>

namespace tachyon {

namespace {
/// RFC 6675 §2 DupThresh.
constexpr uint32_t dup_thresh = 3;
} // namespace

bool tcp_connection::update_scoreboard(const wire::tcp_options& o, seq32 ack, instant now) {
    size_t first = 0;
    bool dsack = false;
    // RFC 2883 §4: the first block reports a duplicate when it lies below the cumulative ACK,
    // or inside the second block.
    const auto [l0, r0] = o.sack_blocks[0];
    if (l0 < ack || (o.sack_count > 1 && o.sack_blocks[1].first <= l0 && r0 <= o.sack_blocks[1].second)) {
        ++_stats.dsacks_received;
        dsack = true;
        first = 1;
    }
    for (size_t b = first; b < o.sack_count; ++b) {
        const auto [left, right] = o.sack_blocks[b];
        // RFC 2018 §3 blocks lie within what was sent and above the cumulative ACK: others are
        // stale or bogus and change nothing.
        if (!(left < right) || left < ack || right > _snd_max) continue;
        for (size_t i = 0; i < _snd_queue.in_flight(); ++i) {
            tcp_tx_entry& e = _snd_queue.at(i);
            if (e.seq >= right) break;
            if (!e.sacked && e.seq >= left && e.seq + e.len <= right) {
                e.sacked = true;
                _ack_delivered += e.len;
                rack_delivered(e, now);
            }
        }
        if (right > _high_sack) _high_sack = right;
    }
    return dsack;
}

void tcp_connection::mark_lost() {
    // RFC 6675 §4 IsLost(S): DupThresh SACKed segments above S, or more than
    // (DupThresh - 1) * SMSS SACKed bytes above it. One pass from the top.
    uint32_t sacked_segments = 0;
    uint64_t sacked_bytes = 0;
    for (size_t i = _snd_queue.in_flight(); i-- > 0;) {
        tcp_tx_entry& e = _snd_queue.at(i);
        if (e.sacked) {
            ++sacked_segments;
            sacked_bytes += e.len;
        } else if (sacked_segments >= dup_thresh || sacked_bytes > uint64_t(dup_thresh - 1) * _snd_mss) {
            e.lost = true;
        }
    }
}

bool tcp_connection::head_lost() {
    mark_lost();
    return _snd_queue.in_flight() > 0 && !_snd_queue.at(0).sacked && _snd_queue.at(0).lost;
}

uint32_t tcp_connection::pipe() const {
    // RFC 6675 §4 SetPipe: every octet not SACKed counts once when not lost (still in the
    // network) and once more when it was retransmitted in this recovery.
    uint32_t p = 0;
    for (size_t i = 0; i < _snd_queue.in_flight(); ++i) {
        const tcp_tx_entry& e = _snd_queue.at(i);
        if (e.sacked) continue;
        if (!e.lost) p += e.len;
        if (e.rexmit) p += e.len;
    }
    return p;
}

void tcp_connection::enter_recovery(instant now, tcp_emit_queue& out) {
    // RFC 6675 §5 (4) / RFC 5681 §3.2: RecoveryPoint = HighData, ssthresh = FlightSize / 2;
    // RFC 6937: PRR starts (RecoverFS = FlightSize).
    _cc.enter_recovery(flight_size(), _snd_mss);
    _recover = _snd_max;
    _in_recovery = true;
    _pto_at = instant::never();
    _tlp_outstanding = false;
    if (!_sack_ok || _snd_queue.in_flight() == 0) {
        // RFC 6582 NewReno: the head again, the window inflated by the three duplicates.
        ++_stats.fast_retransmits;
        retransmit_head(now, out);
        _cc.newreno_enter(_snd_mss);
        return;
    }
    _sack_recovery = true;
    ++_stats.sack_recoveries;
    for (size_t i = 0; i < _snd_queue.in_flight(); ++i) _snd_queue.at(i).rexmit = false; // HighRxt starts at HighACK
    // RFC 6675 §5 (4.2): the pipe, not inflation, accounts for what left.
    mark_lost();
    retransmit_entry(0, now, out); // (4.3): the first segment presumed lost, whatever the pipe
    // (4.4), paced by PRR from this ACK on (RFC 6937 §3.1: the entering ACK counts).
    _cc.on_recovery_ack(_ack_delivered, pipe(), _snd_mss);
    recovery_send(now, out);
}

void tcp_connection::retransmit_entry(size_t i, instant now, tcp_emit_queue& out) {
    tcp_tx_entry& e = _snd_queue.at(i);
    send_entry(e, now, out);
    e.rexmit = true;
    _cc.on_recovery_sent(e.len); // RFC 6937 prr_out
    ++_stats.fast_retransmits;
    ++_retransmissions;
    if (i == 0) arm_rto(now); // RFC 6298 (5.3) keeps the timer on the oldest segment
}

void tcp_connection::recovery_send(instant now, tcp_emit_queue& out) {
    uint32_t in_pipe = pipe();
    size_t lost_at = 0, other_at = 0; // scan positions: what lies before them was looked at
    // RFC 6675 §5 (C): while cwnd - pipe >= 1 SMSS, send what NextSeg() names.
    while (!out.full() && _cc.cwnd() >= in_pipe + _snd_mss) {
        // NextSeg (1): the lowest segment below HighSACK that is lost and not yet resent.
        for (; lost_at < _snd_queue.in_flight(); ++lost_at) {
            const tcp_tx_entry& e = _snd_queue.at(lost_at);
            if (e.seq >= _high_sack) {
                lost_at = _snd_queue.in_flight();
                break;
            }
            if (!e.sacked && !e.rexmit && e.lost) break;
        }
        if (lost_at < _snd_queue.in_flight()) {
            retransmit_entry(lost_at, now, out);
            in_pipe += _snd_queue.at(lost_at).len; // it was not in the pipe as lost; it is now
            continue;
        }
        // (2): new data, when the peer's window takes it.
        if (_snd_queue.has_unsent()) {
            const tcp_tx_entry& n = _snd_queue.at(_snd_queue.in_flight());
            if (uint32_t(n.seq + n.len - _snd_una) <= _snd_wnd) {
                in_pipe += n.len;
                _cc.on_recovery_sent(n.len); // RFC 6937 prr_out
                send_next_new(now, out);
                continue;
            }
        }
        // (3): a segment below HighSACK neither SACKed nor resent yet (not known lost).
        for (; other_at < _snd_queue.in_flight(); ++other_at) {
            const tcp_tx_entry& e = _snd_queue.at(other_at);
            if (e.seq >= _high_sack) {
                other_at = _snd_queue.in_flight();
                break;
            }
            if (!e.sacked && !e.rexmit) break;
        }
        if (other_at < _snd_queue.in_flight()) {
            retransmit_entry(other_at, now, out);
            in_pipe += _snd_queue.at(other_at).len;
            continue;
        }
        break;
    }
}

void tcp_connection::clear_scoreboard() {
    // After a timeout everything unacknowledged goes again: the scoreboard starts over
    // (RFC 6675 §5.1; the peer may have reneged, RFC 2018 §8).
    for (size_t i = 0; i < _snd_queue.size(); ++i) {
        tcp_tx_entry& e = _snd_queue.at(i);
        e.sacked = e.lost = e.rexmit = false;
    }
    _high_sack = _snd_una;
    _sack_recovery = false;
    _pto_at = _rack_at = instant::never();
    _tlp_outstanding = false;
}

void tcp_connection::arm_pto(instant now) {
    // RFC 8985 §7.2: a probe timer while new data is in flight, outside recovery (fast or after
    // a timeout: SND.UNA below "recover"), with SACK (the ACK of a probe tells whether it
    // repaired a loss through D-SACK, §7.4), one probe at a time, and only with an RTT sample.
    if (!_settings.tail_loss_probe || !_sack_ok || _in_recovery || _snd_una < _recover || _tlp_outstanding ||
        _snd_una == _snd_max || _snd_queue.in_flight() == 0 || !_rtt.has_sample()) {
        _pto_at = instant::never();
        return;
    }
    duration pto = _rtt.srtt() * 2;
    // One segment in flight: the peer may delay its ACK (WCDelAckT), at most the RTO floor.
    if (_snd_queue.in_flight() == 1) pto = pto + std::min(_timers.tlp_delayed_ack, _timers.rto_min);
    pto = std::max(pto, _timers.pto_min);
    _pto_at = now + pto;
    // PTO = min(PTO, RTO): when the retransmission timer comes first, it acts instead.
    if (_rto_at != instant::never() && _pto_at >= _rto_at) _pto_at = instant::never();
}

void tcp_connection::send_loss_probe(instant now, tcp_emit_queue& out) {
    _pto_at = instant::never();
    if (_snd_una == _snd_max || _in_recovery || _snd_queue.in_flight() == 0) return;
    // RFC 8985 §7.3: new data when there is some and the peer's window takes it, else the last
    // segment sent again.
    bool probed = false;
    if (_snd_queue.has_unsent()) {
        const tcp_tx_entry& n = _snd_queue.at(_snd_queue.in_flight());
        if (uint32_t(n.seq + n.len - _snd_una) <= _snd_wnd) {
            send_next_new(now, out);
            _tlp_retransmission = false;
            probed = true;
        }
    }
    if (!probed) {
        send_entry(_snd_queue.at(_snd_queue.in_flight() - 1), now, out);
        ++_stats.retransmits;
        ++_retransmissions;
        _tlp_retransmission = true;
    }
    ++_stats.loss_probes;
    _tlp_outstanding = true;
    _tlp_end = _snd_nxt;
    arm_rto(now); // §7.3: the RTO, not another probe, watches from here
}

void tcp_connection::tlp_on_ack(seq32 ack, bool dsack, bool advanced) {
    // RFC 8985 §7.4 (as Linux's tcp_process_tlp_ack decides it).
    if (!_tlp_outstanding || ack < _tlp_end) return;
    if (!_tlp_retransmission || dsack) {
        // New data probed, or a D-SACK says the probe duplicated data that had arrived: no loss.
        _tlp_outstanding = false;
    } else if (ack > _tlp_end) {
        // Past the probe without a D-SACK: the probe repaired a loss the ACK clock never saw.
        // §7.4.2: respond as to any loss.
        _tlp_outstanding = false;
        ++_stats.loss_probe_recoveries;
        _cc.on_loss_repaired_by_probe(_snd_mss);
    } else if (!advanced) {
        // A duplicate ACK at the probe's end: both the original and the probe arrived.
        _tlp_outstanding = false;
    }
    // Else the ACK that covers the probe, advancing: the original's or the probe's, unknown
    // until a D-SACK or a later ACK tells.
}

void tcp_connection::rack_delivered(const tcp_tx_entry& e, instant now) {
    // RFC 8985 §6.2 step 2: a retransmitted segment delivered sooner than the minimum RTT
    // after its retransmission was most likely the original's ACK: no sample from it.
    const duration rtt = now - e.last_sent;
    if (e.transmissions > 1 && rtt < _rack_min_rtt) return;
    _rack_min_rtt = std::min(_rack_min_rtt, rtt);
    const seq32 end = e.seq + e.len;
    // Step 3: delivered, never resent, yet below a segment delivered before it: reordering.
    if (_rack_delivered && e.transmissions == 1 && end < _rack_end_seq) _rack_reordering = true;
    if (!_rack_delivered || e.last_sent > _rack_xmit_ts || (e.last_sent == _rack_xmit_ts && end > _rack_end_seq)) {
        _rack_xmit_ts = e.last_sent;
        _rack_end_seq = end;
        _rack_rtt = rtt;
        _rack_delivered = true;
    }
}

bool tcp_connection::rack_detect_loss(instant now) {
    // RFC 8985 §6.2 step 4: the reordering window, a quarter of the minimum RTT (at most
    // SRTT); none in recovery while no reordering was seen.
    duration reo_wnd{};
    if (_rack_reordering || (!_in_recovery && _dup_acks < dup_thresh))
        reo_wnd = std::min(_rack_min_rtt / 4, _rtt.srtt());
    // Step 5: a segment sent before the newest delivered one is lost once RACK.rtt plus the
    // window have passed since it was sent; else the timer looks again then.
    bool found = false;
    duration wait{};
    for (size_t i = 0; i < _snd_queue.in_flight(); ++i) {
        tcp_tx_entry& e = _snd_queue.at(i);
        const bool sent_before = e.last_sent < _rack_xmit_ts ||
                                 (e.last_sent == _rack_xmit_ts && e.seq + e.len <= _rack_end_seq);
        if (!sent_before) {
            if (e.transmissions == 1) break; // first transmissions go out in order: so did the rest
            continue;
        }
        if (e.sacked || (e.lost && !e.rexmit)) continue;
        const duration remaining = (e.last_sent + _rack_rtt + reo_wnd) - now;
        if (remaining <= duration{}) {
            e.lost = true;
            e.rexmit = false; // a lost retransmission goes again
            found = true;
        } else {
            wait = std::max(wait, remaining);
        }
    }
    _rack_at = wait > duration{} ? now + wait : instant::never();
    return found;
}

void tcp_connection::rack_respond(instant now, tcp_emit_queue& out) {
    // A segment RACK finds lost starts recovery, or feeds the one under way (RFC 8985 §6.2).
    if (_in_recovery && _sack_recovery) recovery_send(now, out);
    else if (!_in_recovery && _snd_una >= _recover) enter_recovery(now, out);
}

} // namespace tachyon
