#pragma once
/// A/B line arbitration and gap recovery for one MoldUDP64 session, sans-IO: datagrams and
/// `now` come in, messages go out in sequence order to a sink, and `poll(now)` says which
/// retransmission request to send. Nothing here reads a clock, a socket or a logger.
///
/// - Arbitration (MoldUDP64 "Downstream Packets": the sequence number numbers the first
///   message, the following ones implicitly): the first copy of each sequence number wins,
///   from whichever line; later copies are counted as duplicates, message by message, so a
///   packet that partly overlaps what was delivered is trimmed.
/// - Messages beyond the next expected one wait in a bounded hold window (fixed slots, one
///   per sequence number modulo its size); when the gap fills they are delivered in order.
///   A message beyond the window is dropped and counted: recovery fetches it again later.
/// - A gap is asked for once every configured line has passed it, or once it has been open
///   for `gap_wait` (a silent line). One request is outstanding at a time, for the missing
///   run starting at the next expected message, at most `max_request` messages ("Request
///   Packet"); it is resent after `request_timeout`, and after `max_retries` resends the run
///   is declared lost: the sink hears `on_loss` for each message and delivery carries on.
/// - Heartbeats and end of session carry the next sequence number (spec "Heartbeats",
///   "End of Session Message"): they reveal a lost tail; the session has ended once the end
///   of session was seen and everything before it is delivered or declared lost.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "apps/md/moldudp64.hpp"
#include "stack/core/time.hpp"

namespace tachyon::md {

/// Where a datagram came from.
enum class feed_line : uint8_t {
    a = 0,        ///< multicast line A
    b = 1,        ///< multicast line B
    recovery = 2, ///< the retransmission server's unicast answers
};

/// Settings, fixed at construction.
struct arbiter_config {
    uint64_t first_sequence = 1;          ///< the session's first sequence number
    size_t hold_messages = 1u << 16;      ///< hold window (rounded up to a power of two)
    size_t hold_message_bytes = 64;       ///< longest message a hold slot keeps (ITCH 5.0: 50)
    unsigned lines = 2;                   ///< multicast lines configured (1: A only, 2: A and B)
    duration gap_wait = duration::ms(5);  ///< how long a gap may wait for the other line
    duration request_timeout = duration::ms(100); ///< resend an unanswered request after this
    unsigned max_retries = 5;             ///< resends before a run is declared lost
    uint16_t max_request = 1000;          ///< messages per request (the server's maximum)
    uint64_t max_ahead = uint64_t(1) << 24; ///< a packet further ahead than this is implausible
};

/// Counters of one line.
struct line_stats {
    uint64_t packets = 0;        ///< datagrams received
    uint64_t messages = 0;       ///< message blocks in valid packets
    uint64_t delivered = 0;      ///< messages whose first copy came from this line
    uint64_t duplicates = 0;     ///< messages already delivered (or held) when they arrived
    uint64_t gaps = 0;           ///< times this line skipped sequence numbers
    uint64_t heartbeats = 0;     ///< heartbeat packets
    uint64_t end_of_session = 0; ///< end-of-session packets
    uint64_t malformed = 0;      ///< datagrams that are not MoldUDP64 (dropped)
    uint64_t wrong_session = 0;  ///< packets of another session (dropped)
    uint64_t implausible = 0;    ///< sequence too far ahead or overflowing (dropped)
    uint64_t unexpected = 0;     ///< recovery: answers to no outstanding request (dropped)
    uint64_t next_sequence = 0;  ///< the sequence number after the last one this line carried
    instant last_rx = instant::never(); ///< when the last datagram arrived
};

/// Counters of recovery and the hold window.
struct arbiter_stats {
    uint64_t gaps = 0;          ///< gaps in the merged stream (both lines missed)
    uint64_t requests = 0;      ///< requests sent, first tries
    uint64_t retries = 0;       ///< requests resent after a timeout
    uint64_t lost = 0;          ///< messages declared lost after the retry limit
    uint64_t held = 0;          ///< messages that waited in the hold window
    uint64_t hold_overflow = 0; ///< messages beyond the hold window (fetched again later)
    uint64_t hold_too_long = 0; ///< messages longer than a hold slot (fetched again later)
};

/// The arbiter for one session.
class arbiter {
public:
    /// An arbiter with `config`; the hold window is allocated here.
    explicit arbiter(const arbiter_config& config);

    /// Takes one datagram from `line`. `sink.on_message(seq, bytes, from_hold)` runs for every
    /// message that becomes deliverable, in sequence order; `sink.on_loss(seq)` never runs here.
    template <class Sink>
    void on_datagram(feed_line line, std::span<const std::byte> datagram, instant now, Sink& sink);
    /// Runs timers: returns the request to send now, if any. Declaring a run lost calls
    /// `sink.on_loss(seq)` per lost message and delivers what was held behind it.
    template <class Sink>
    std::optional<mold_request> poll(instant now, Sink& sink);

    /// The next sequence number to deliver.
    uint64_t next_sequence() const { return _next; }
    /// The sequence number after the last one known to exist (any line, heartbeat, end).
    uint64_t known_end() const { return _known_end; }
    /// Messages known to exist and not delivered (held ones excluded), plus those declared lost.
    uint64_t missing() const { return _stats.lost + (_known_end - _next) - _held; }
    /// True once the end of session was seen and everything before it handled.
    bool session_ended() const { return _end_seen && _next >= _end_sequence; }
    /// True while a request waits for its answer.
    bool request_outstanding() const { return _request.has_value(); }
    /// The session name (valid once `has_session`).
    const mold_session& session() const { return _session; }
    /// True once a packet fixed the session.
    bool has_session() const { return _have_session; }
    /// A line's counters.
    const line_stats& line(feed_line l) const { return _lines[size_t(l)]; }
    /// Recovery and hold counters.
    const arbiter_stats& stats() const { return _stats; }

private:
    struct outstanding {
        mold_request request;
        instant sent_at;
        unsigned tries = 0;
    };

    bool accept(feed_line line, const mold_packet& p);
    void on_control(feed_line line, const mold_packet& p, instant now);
    void hold(feed_line line, uint64_t seq, std::span<const std::byte> msg);
    void after_progress(instant now);
    std::optional<mold_request> next_request(instant now);
    template <class Sink>
    void drain(Sink& sink);

    arbiter_config _config;
    uint64_t _mask;
    std::vector<uint64_t> _hold_seq;   // 0: empty (sequence numbers start at 1)
    std::vector<uint16_t> _hold_len;
    std::vector<std::byte> _hold_bytes;
    uint64_t _held = 0;
    uint64_t _next;
    uint64_t _known_end;
    uint64_t _end_sequence = 0;
    bool _end_seen = false;
    bool _have_session = false;
    mold_session _session{};
    instant _gap_since = instant::never();
    std::optional<outstanding> _request;
    std::array<line_stats, 3> _lines{};
    arbiter_stats _stats;
};

template <class Sink>
void arbiter::drain(Sink& sink) {
    for (;;) {
        const uint64_t i = _next & _mask;
        if (_hold_seq[i] != _next) return;
        sink.on_message(_next, std::span<const std::byte>(&_hold_bytes[i * _config.hold_message_bytes], _hold_len[i]),
                        true);
        _hold_seq[i] = 0;
        --_held;
        ++_next;
    }
}

template <class Sink>
void arbiter::on_datagram(feed_line line, std::span<const std::byte> datagram, instant now, Sink& sink) {
    line_stats& ls = _lines[size_t(line)];
    ++ls.packets;
    ls.last_rx = now;
    mold_packet p;
    if (mold_packet::parse(datagram, p) != mold_error::ok) [[unlikely]] {
        ++ls.malformed;
        return;
    }
    if (!accept(line, p)) [[unlikely]]
        return;
    if (p.kind() != mold_kind::data) [[unlikely]] {
        on_control(line, p, now);
        return;
    }
    const uint64_t first = p.header.sequence;
    if (first > ls.next_sequence && line != feed_line::recovery) ++ls.gaps;
    if (first + p.header.count > ls.next_sequence) ls.next_sequence = first + p.header.count;
    if (first + p.header.count > _known_end) _known_end = first + p.header.count;
    ls.messages += p.header.count;
    uint64_t seq = first;
    mold_block_iterator it(p);
    std::span<const std::byte> msg;
    while (it.next(msg)) {
        if (seq == _next) [[likely]] {
            sink.on_message(seq, msg, false);
            ++ls.delivered;
            ++_next;
            if (_held != 0) drain(sink);
        } else if (seq < _next) {
            ++ls.duplicates;
        } else {
            hold(line, seq, msg);
        }
        ++seq;
    }
    after_progress(now);
}

template <class Sink>
std::optional<mold_request> arbiter::poll(instant now, Sink& sink) {
    if (_request && now >= _request->sent_at + _config.request_timeout && _request->tries > _config.max_retries) {
        // The retry limit: the run is lost. Deliver what arrived meanwhile, report the rest.
        const uint64_t end = _request->request.header.sequence + _request->request.header.count;
        _request.reset();
        while (_next < end) {
            const uint64_t i = _next & _mask;
            if (_hold_seq[i] == _next) {
                drain(sink);
                continue;
            }
            sink.on_loss(_next);
            ++_stats.lost;
            ++_next;
        }
        drain(sink);
        after_progress(now);
    }
    return next_request(now);
}

} // namespace tachyon::md
