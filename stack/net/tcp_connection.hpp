#pragma once
/// One TCP connection: the transmission control block of RFC 9293 and the algorithms around
/// it. Sans-IO: segments come in parsed, with `now`; what the connection wants sent goes into a
/// `tcp_emit_queue` as descriptors that the stack turns into frames. Read RFC 9293 §3.3.2 (the
/// state machine) and §3.10.7 (SEGMENT ARRIVES) first: `on_segment` follows its steps in order.
///
/// Companions: RFC 6298 (retransmission timer, rtt_estimator.hpp), RFC 5681 and RFC 6582
/// (congestion control, fast retransmit, NewReno), RFC 7323 (window scale, timestamps, PAWS),
/// RFC 2018 (SACK: this side sends SACK blocks for what it holds out of order), RFC 6675 and
/// RFC 2883 (SACK-based loss recovery and D-SACK, tcp_recovery.cpp), RFC 8985 §7 (tail loss
/// probe), RFC 5961 (challenge ACKs), RFC 1122 §4.2.3.6 (keepalive), §4.2.2.17 (zero-window
/// probes).
///
/// Buffers: the send queue holds frames of application data, one segment each, at a fixed
/// place in the buffer; a (re)transmission writes headers in front of the payload and sends a
/// reference, so retransmission copies nothing while the device has let go of the frame. The
/// receive queue holds received frames trimmed to their payload: the application reads them
/// in place.

#include <cstdint>
#include <span>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/buf/packet_ring.hpp"
#include "stack/core/addr.hpp"
#include "stack/core/config.hpp"
#include "stack/core/log.hpp"
#include "stack/core/time.hpp"
#include "stack/net/rtt_estimator.hpp"
#include "stack/net/tcp_congestion.hpp"
#include "stack/net/tcp_receive_queue.hpp"
#include "stack/net/tcp_send_queue.hpp"
#include "stack/net/tcp_stats.hpp"
#include "stack/wire/seq.hpp"
#include "stack/wire/tcp.hpp"

namespace tachyon {

using wire::seq32;

/// RFC 9293 §3.3.2 connection states.
enum class tcp_state : uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};

/// The RFC name of a state.
const char* to_string(tcp_state s);

/// Why a connection ended.
enum class tcp_close_reason : uint8_t {
    none,        ///< still open
    normal,      ///< FINs exchanged
    reset,       ///< the peer sent RST (connection refused, when connecting)
    timeout,     ///< retransmissions, keepalive or the connect timeout ran out
    unreachable, ///< ICMP protocol or port unreachable answered our SYN (RFC 1122 §4.2.3.9)
    aborted,     ///< this side aborted (RST sent)
};

/// The name of a close reason.
const char* to_string(tcp_close_reason r);

/// A segment a connection wants sent. `data` (when not null) is a send-queue frame whose
/// payload sits at [payload_offset, payload_offset + payload_len) of its buffer's room.
struct tcp_segment_out {
    uint8_t flags = 0;             ///< control bits
    seq32 seq;                     ///< SEG.SEQ
    seq32 ack;                     ///< SEG.ACK
    uint16_t window = 0;           ///< the window field, already scaled down
    wire::tcp_options options;     ///< options to write
    packet* data = nullptr;        ///< the frame holding the payload, or null (its layout is the sender's to set)
    uint32_t payload_offset = 0;   ///< where the payload starts in `data`'s room
    uint32_t payload_len = 0;      ///< payload bytes
};

/// Where connections put the segments they want sent; the stack drains it after each call.
class tcp_emit_queue {
public:
    /// A queue for up to `capacity` segments per call; at most `challenge_limit` RFC 5961
    /// challenge ACKs a second (§7) across every connection that uses it; a segment that finds
    /// it full is counted in `stats.drop_emit_queue_full`.
    tcp_emit_queue(size_t capacity, uint32_t challenge_limit, tcp_stats& stats)
        : _stats(stats), _challenge_limit(challenge_limit) {
        _q.reserve(capacity);
    }
    /// True when one more challenge ACK may go out in the current second (RFC 5961 §7).
    bool challenge_allowed(instant now) {
        if (now - _challenge_window >= duration::s(1)) {
            _challenge_window = now;
            _challenges = 0;
        }
        return _challenges++ < _challenge_limit;
    }
    /// Adds a segment, or counts it when the queue is full (the retransmission timer then
    /// recovers what it carried).
    void push(const tcp_segment_out& s) {
        if (_q.size() < _q.capacity()) [[likely]]
            _q.push_back(s);
        else
            TACHYON_DROP(_stats.drop_emit_queue_full);
    }
    /// The segments queued.
    std::span<const tcp_segment_out> segments() const { return _q; }
    /// True when no more segments fit until the stack drains the queue.
    bool full() const { return _q.size() == _q.capacity(); }
    /// Forgets them (after sending).
    void clear() { _q.clear(); }

private:
    std::vector<tcp_segment_out> _q;
    tcp_stats& _stats;
    uint32_t _challenge_limit;
    uint32_t _challenges = 0;
    instant _challenge_window;
};

/// What happened to a connection in one call, for the stack to tell the application.
struct tcp_events {
    bool connected = false; ///< it reached ESTABLISHED
    bool readable = false;  ///< new data waits in the receive queue
    bool eof = false;       ///< the peer sent FIN (no more data will come)
    bool writable = false;  ///< send space was freed
    bool closed = false;    ///< the connection ended for the application (see `reason`); the slot is
                            ///< free once `state()` is CLOSED (TIME_WAIT keeps it a while)
    tcp_close_reason reason = tcp_close_reason::none; ///< why it ended

    /// Merges the events of another call.
    void merge(const tcp_events& o) {
        connected |= o.connected;
        readable |= o.readable;
        eof |= o.eof;
        writable |= o.writable;
        if (o.closed) {
            closed = true;
            reason = o.reason;
        }
    }
};

/// The identity of a connection: our port, the peer's address and port (one local address).
struct tcp_tuple {
    ipv4_address local_address; ///< our address
    uint16_t local_port = 0;     ///< our port
    ipv4_address remote_address; ///< the peer's address
    uint16_t remote_port = 0;    ///< the peer's port
};

/// One TCP connection's state and algorithms.
class tcp_connection {
public:
    /// A closed connection whose queues are sized from `settings` (allocated here, once).
    tcp_connection(const tcp_settings& settings, tcp_stats& stats);

    /// Active open (RFC 9293 §3.10.1): sends SYN, enters SYN-SENT.
    void open_active(const tcp_tuple& t, seq32 iss, uint16_t local_mss, instant now, duration timeout,
                     tcp_emit_queue& out);
    /// Passive open from a listener for `syn` (RFC 9293 §3.10.7.2): sends SYN-ACK, enters
    /// SYN-RECEIVED. With `from_cookie` the SYN-ACK already went out, stateless, with `iss` as
    /// its SYN cookie (RFC 4987 §3.6): nothing is sent and the ACK that follows completes it.
    void open_passive(const tcp_tuple& t, const wire::tcp_repr& syn, seq32 iss, uint16_t local_mss, instant now,
                      tcp_emit_queue& out, bool from_cookie = false);

    /// SEGMENT ARRIVES (RFC 9293 §3.10.7.3-4). `payload` is the frame trimmed to the segment's
    /// payload (it may be kept, zero-copy, in the receive queue).
    tcp_events on_segment(const wire::tcp_repr& seg, packet&& payload, instant now, tcp_emit_queue& out);
    /// Sends what may be sent now: new data within the windows, FIN, a pending ACK.
    void output(instant now, tcp_emit_queue& out);
    /// Runs the timers due at `now` (retransmission, persist, delayed ACK, keepalive, TIME_WAIT).
    tcp_events on_timer(instant now, tcp_emit_queue& out);
    /// When `on_timer` next has work.
    instant next_deadline() const;

    /// Bytes the application may still queue for sending.
    size_t send_space() const;
    /// The last queued frame if its payload can grow (to fill it before taking a new one).
    packet* send_tail();
    /// Room left in `send_tail()` for payload.
    size_t send_tail_room() const;
    /// Grows the tail frame's payload by `n` bytes the caller has just written after it.
    void extend_tail(size_t n);
    /// True when the send queue has a free slot for `push_send`.
    bool send_slot_free() const { return _snd_queue.slot_free(); }
    /// Queues a new frame whose payload (its whole current content) is application data; its
    /// headroom must hold the headers. The frame may be grown later through `send_tail`.
    /// Refuses (returns false, the frame untouched) when no slot is free.
    bool push_send(packet&& frame);
    /// The largest payload of one segment (the effective send MSS).
    uint32_t send_mss() const { return _snd_mss; }

    /// The bytes waiting at the head of the receive queue (one frame's worth, contiguous).
    std::span<const std::byte> readable() const;
    /// Marks `n` bytes of `readable()` as taken by the application; may queue a window update.
    void consume(size_t n);
    /// Bytes held in the receive queue.
    size_t received_bytes() const { return _rcv_queue.bytes(); }

    /// CLOSE (RFC 9293 §3.10.4): FIN after the queued data. Further sends are refused.
    void close();
    /// ABORT (RFC 9293 §3.10.5): RST now, everything dropped.
    tcp_events abort(tcp_emit_queue& out);
    /// Ends the connection without a word to the peer, for `reason`: ICMP unreachable in
    /// SYN-SENT, or a TIME-WAIT connection whose tuple a new SYN takes over (RFC 6191).
    tcp_events fail(tcp_close_reason reason);
    /// Sets RFC 896 Nagle on or off.
    void set_nodelay(bool nodelay) { _nagle = !nodelay; }
    /// Sets RFC 1122 keepalive on or off (timings from the settings).
    void set_keepalive(bool on, instant now);
    /// Limits this connection's send and receive buffers (bytes; 0 keeps one as it is), each
    /// at most the stack's configured size.
    void set_buffer_sizes(size_t send, size_t receive);
    /// The send buffer's limit in bytes.
    size_t send_buffer() const { return _send_limit; }
    /// Segments the send queue holds at most (with a tiny MSS this, not the buffer, limits it).
    size_t send_queue_slots() const { return _snd_queue.capacity(); }
    /// The receive buffer's limit in bytes.
    size_t receive_buffer() const { return _recv_limit; }
    /// Sets this connection's RTO floor and tail-loss-probe timings.
    void set_recovery_timers(const tcp_recovery_timers& t);
    /// This connection's RTO floor and tail-loss-probe timings.
    tcp_recovery_timers recovery_timers() const { return _timers; }
    /// Aborts when data stays unacknowledged this long (RFC 9293 §3.8.3 user timeout; 0: off).
    void set_user_timeout(duration d) { _user_timeout = d; }

    /// The state.
    tcp_state state() const { return _state; }
    /// The 4-tuple.
    const tcp_tuple& tuple() const { return _tuple; }
    /// True in every state but CLOSED.
    bool in_use() const { return _state != tcp_state::closed; }
    /// True once the application closed its side (no more sends).
    bool send_closed() const { return _fin_queued; }
    /// The round-trip estimator (for tools and tests).
    const rtt_estimator& rtt() const { return _rtt; }
    /// The congestion window in bytes.
    uint32_t cwnd() const { return _cc.cwnd(); }
    /// ISS: our initial sequence number.
    seq32 iss() const { return _iss; }
    /// SND.UNA.
    seq32 snd_una() const { return _snd_una; }
    /// SND.NXT.
    seq32 snd_nxt() const { return _snd_nxt; }
    /// RCV.NXT.
    seq32 rcv_nxt() const { return _rcv_nxt; }
    /// SND.WND in bytes (scaled).
    uint32_t snd_wnd() const { return _snd_wnd; }
    /// Segments held out of order.
    size_t out_of_order_count() const { return _rcv_queue.out_of_order_count(); }
    /// True during fast recovery (RFC 6675 with SACK, else RFC 6582 NewReno).
    bool in_recovery() const { return _in_recovery; }
    /// When the tail loss probe fires (RFC 8985 §7.2), or never.
    instant pto_deadline() const { return _pto_at; }
    /// Payload bytes in the send queue, sent or not (ss's Send-Q).
    size_t queued_bytes() const { return _snd_queue.bytes(); }
    /// SSTHRESH in bytes (RFC 5681 §3.1).
    uint32_t ssthresh() const { return _cc.ssthresh(); }
    /// True when both sides agreed on SACK (RFC 2018 §2).
    bool sack_enabled() const { return _sack_ok; }
    /// True when both sides agreed on timestamps (RFC 7323 §3.2).
    bool timestamps_enabled() const { return _ts_ok; }
    /// True when both sides agreed on window scaling (RFC 7323 §2.2).
    bool window_scaling_enabled() const { return _wscale_ok; }
    /// Segments this connection retransmitted (timeouts, fast and partial-ACK retransmits, SYNs).
    uint32_t retransmissions() const { return _retransmissions; }
    /// The timestamp clock (RFC 7323 §5.4): milliseconds.
    static uint32_t ts_clock(instant now) { return uint32_t(now.ns_since_epoch() / 1'000'000); }

private:
    void reset_state();
    void enter(tcp_state s) { _state = s; }
    tcp_events finish(tcp_close_reason reason);
    tcp_events enter_time_wait(instant now);
    bool synchronized() const;
    void negotiate(const wire::tcp_options& o, uint16_t local_mss);
    uint16_t window_field(bool syn) const;
    uint32_t receive_window() const;
    wire::tcp_options segment_options(bool syn, instant now) const;
    tcp_segment_out make_segment(uint8_t flags, seq32 seq, instant now);
    void send_control(uint8_t flags, seq32 seq, instant now, tcp_emit_queue& out);
    void send_ack(instant now, tcp_emit_queue& out);
    void send_challenge_ack(instant now, tcp_emit_queue& out);
    void send_entry(tcp_tx_entry& e, instant now, tcp_emit_queue& out);
    void send_rst(seq32 seq, tcp_emit_queue& out);
    bool process_ack(const wire::tcp_repr& seg, uint32_t seg_len, instant now, tcp_emit_queue& out, tcp_events& ev);
    uint32_t take_acked(seq32 ack, instant now); // returns the bytes that were SACKed
    void on_new_ack(seq32 ack, uint32_t acked, instant now, tcp_emit_queue& out);
    void on_dup_ack(instant now, tcp_emit_queue& out);
    void retransmit_head(instant now, tcp_emit_queue& out);
    void receive_data(seq32 seq, packet&& payload, instant now, tcp_emit_queue& out, tcp_events& ev);
    void arm_rto(instant now);
    void handshake_rtt(instant now);
    uint32_t flight_size() const { return uint32_t(_snd_nxt - _snd_una); }
    void send_next_new(instant now, tcp_emit_queue& out);
    // Loss recovery (tcp_recovery.cpp): RFC 6675 scoreboard, RFC 8985 §7 tail loss probe.
    bool update_scoreboard(const wire::tcp_options& o, seq32 ack, instant now);
    void mark_lost();
    bool head_lost();
    uint32_t pipe() const;
    void enter_recovery(instant now, tcp_emit_queue& out);
    void recovery_send(instant now, tcp_emit_queue& out);
    void retransmit_entry(size_t i, instant now, tcp_emit_queue& out);
    void clear_scoreboard();
    void arm_pto(instant now);
    void send_loss_probe(instant now, tcp_emit_queue& out);
    void tlp_on_ack(seq32 ack, bool dsack, bool advanced);
    void rack_delivered(const tcp_tx_entry& e, instant now);
    bool rack_detect_loss(instant now);
    void rack_respond(instant now, tcp_emit_queue& out);

    const tcp_settings& _settings;
    tcp_stats& _stats;
    tcp_state _state = tcp_state::closed;
    tcp_tuple _tuple;

    // Send sequence variables (RFC 9293 §3.3.1).
    seq32 _iss, _snd_una, _snd_nxt, _snd_wl1, _snd_wl2;
    uint32_t _snd_wnd = 0;
    uint32_t _max_snd_wnd = 0;       // RFC 5961 §5.2 MAX.SND.WND
    uint8_t _snd_wscale = 0;         // shift applied to the peer's window (RFC 7323 §2.3)
    uint32_t _snd_mss = 536;         // RFC 9293 §3.7.1 default; payload bytes of a full segment
    uint32_t _segment_budget = 536;  // payload plus options of one segment
    // Receive sequence variables.
    seq32 _irs, _rcv_nxt, _rcv_adv;  // _rcv_adv: the right edge we advertised (never moves left)
    uint8_t _rcv_wscale = 0;
    bool _wscale_ok = false, _ts_ok = false, _sack_ok = false;
    uint32_t _ts_recent = 0;         // RFC 7323 §4.3 TS.Recent
    seq32 _last_ack_sent;

    // Congestion control (tcp_congestion.hpp) and the loss-recovery state around it.
    tcp_congestion _cc;
    uint32_t _ack_delivered = 0;     // RFC 6937 DeliveredData of the ACK being processed (0 outside one)
    uint32_t _dup_acks = 0;
    seq32 _recover;                  // RFC 6582 recover, RFC 6675 RecoveryPoint
    bool _in_recovery = false;
    bool _sack_recovery = false;     // the recovery is RFC 6675's (SACK), not NewReno's
    seq32 _high_sack;                // RFC 6675 HighSACK: the end of the highest SACKed block
    rtt_estimator _rtt;

    // RFC 8985 §7 tail loss probe.
    instant _pto_at = instant::never();
    bool _tlp_outstanding = false;   // TLP.end_seq set: a probe awaits its ACK
    bool _tlp_retransmission = false; // TLP.is_retrans
    seq32 _tlp_end;                  // TLP.end_seq
    tcp_recovery_timers _timers;     // this connection's floors (from the settings)

    // RFC 8985 §6 RACK: the most recently sent segment known delivered.
    instant _rack_xmit_ts;           // RACK.xmit_ts
    seq32 _rack_end_seq;             // RACK.end_seq
    duration _rack_rtt{};            // RACK.rtt
    duration _rack_min_rtt = duration::s(3600); // RACK.min_RTT (none yet: large)
    bool _rack_delivered = false;    // RACK.xmit_ts is set
    bool _rack_reordering = false;   // RACK.reord: a segment arrived after a later one
    instant _rack_at = instant::never(); // the reordering timer

    tcp_send_queue _snd_queue;
    bool _fin_queued = false, _fin_sent = false;
    seq32 _fin_seq;

    // Receive queue and out-of-order segments.
    tcp_receive_queue _rcv_queue;
    bool _fin_received = false;

    // Timers: deadlines in state (instant::never() when off).
    instant _rto_at = instant::never();
    instant _persist_at = instant::never();
    instant _delack_at = instant::never();
    instant _keepalive_at = instant::never();
    instant _time_wait_at = instant::never();
    instant _connect_deadline = instant::never();
    instant _last_received;
    duration _persist_backoff{};
    duration _user_timeout{};
    unsigned _keepalive_sent = 0;
    unsigned _syn_transmissions = 0;
    uint32_t _retransmissions = 0;   // for tools: every retransmitted segment of this connection
    bool _ack_pending = false;
    bool _nagle = false;
    bool _keepalive = false;
    bool _ack_now = false;
    bool _notified = false;          // the application was told the connection ended
    uint32_t _segments_since_ack = 0;
    uint16_t _local_mss = 536;
    size_t _send_limit = 0;          // per-connection limits, at most the settings'
    size_t _recv_limit = 0;
    seq32 _snd_max;                  // the highest sequence number sent (go-back-N keeps it)
    instant _syn_sent_at;
};

} // namespace tachyon
