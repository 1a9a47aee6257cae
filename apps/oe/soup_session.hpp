#pragma once
/// The client side of a SoupBinTCP 3.00 session, sans-IO: the caller hands it the bytes TCP
/// received and the time (`now`), and it writes what to send through the caller's host and
/// reports what happened. It never touches a socket or a clock.
///
/// The host (any type; the session is generic over it, no virtual call) provides:
///
///     size_t send_space();                                   // bytes `send` would take now
///     void send(std::span<const std::byte> packet);          // takes all of it (it fits)
///     void on_message(uint64_t seq, std::span<const std::byte> msg); // Sequenced Data, once each
///     void on_state(soup_session_state s);                   // optional: each state change
///
/// Life of a session (spec "Login Request Packet", "Login Accepted Packet"):
///
///     idle --connected()--> login_sent --'A'--> logged_in --logout()--> logout_sent
///                               |'J'                |'Z'           (the server then closes)
///                               v                   v
///                           rejected              ended
///     login_sent / logged_in --silence, lost framing, 'A' from the future--> failed
///
/// Sequenced Data carries no sequence number on the wire: the first one after Login Accepted
/// has the number the Login Accepted names, each next one the number after. The session keeps
/// the next number it expects (`next_expected`) across connections: after a drop, `connected`
/// logs in again asking for it, so the server replays what was missed; a replayed message the
/// session has already delivered (the server started earlier than asked) is counted and
/// skipped, never delivered twice. A Login Accepted whose number is above the one asked for
/// would skip messages: the session fails with `sequence_from_future`.
///
/// Timers (spec "Heartbeats"): a Client Heartbeat goes out after `heartbeat_interval` (1 s)
/// without sending anything; the server is declared dead after `server_timeout` (15 s)
/// without hearing anything from it. `poll(now)` runs them; `next_deadline()` says when.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "apps/oe/soup_stream.hpp"
#include "apps/oe/soupbintcp.hpp"
#include "stack/core/time.hpp"

namespace tachyon::oe {

/// Where a client session stands.
enum class soup_session_state : uint8_t {
    idle,        ///< no connection (before the first, or after a drop)
    login_sent,  ///< connected, Login Request sent, waiting for the answer
    logged_in,   ///< Login Accepted: data flows both ways
    logout_sent, ///< Logout Request sent; the server will close the connection
    rejected,    ///< Login Rejected (see `reject_reason`)
    ended,       ///< End of Session received: no more data in this session, ever
    failed,      ///< the connection is unusable (see `error`); reconnect unless the error is final
};

/// Why a session stopped working.
enum class soup_session_error : uint8_t {
    none,                 ///< no error
    login_rejected,       ///< Login Rejected: `reject_reason` says why
    sequence_from_future, ///< Login Accepted named a number above the one asked (messages lost)
    server_silent,        ///< nothing heard from the server for `server_timeout`
    framing_lost,         ///< a Packet Length of 0 or above the limit: the stream cannot go on
    end_of_session,       ///< End of Session: the server will send no more in this session
};

/// Why `send` refused a packet (nothing was sent).
enum class soup_send_result : uint8_t {
    sent,          ///< in the host's send buffer
    not_logged_in, ///< the session is not in `logged_in`
    buffer_full,   ///< the host's send buffer has no room for the whole packet now
    malformed,     ///< not one whole Unsequenced Data packet
};

/// A name for `s`.
const char* to_string(soup_session_state s);
/// A name for `e`.
const char* to_string(soup_session_error e);
/// A name for `r`.
const char* to_string(soup_send_result r);

/// How a client session logs in and its timers.
struct soup_session_config {
    std::array<char, 6> username{};  ///< Username (Alpha: left-justified, space-padded)
    std::array<char, 10> password{}; ///< Password (Alpha)
    std::array<char, 10> session{};  ///< Requested Session; all spaces: the server's current one
    uint64_t first_sequence = 1;     ///< asked at the first login; 0: from the most recent
    duration heartbeat_interval = duration::s(1); ///< Client Heartbeat after this long unsent
    duration server_timeout = duration::s(15);    ///< the server is dead after this long unheard
    size_t max_packet = soup_max_length;          ///< the largest Packet Length accepted

    /// A config with `username`, `password` and `session` padded to their Alpha fields.
    static soup_session_config make(const char* username, const char* password, const char* session = "");
};

/// What a session counted.
struct soup_session_stats {
    uint64_t connects = 0;          ///< connections begun (`connected`)
    uint64_t logins_accepted = 0;   ///< Login Accepted received
    uint64_t logins_rejected = 0;   ///< Login Rejected received
    uint64_t messages = 0;          ///< Sequenced Data delivered (each number once)
    uint64_t duplicates = 0;        ///< Sequenced Data already delivered, skipped
    uint64_t sent = 0;              ///< Unsequenced Data packets sent
    uint64_t refused = 0;           ///< sends refused (any `soup_send_result` but `sent`)
    uint64_t heartbeats_sent = 0;   ///< Client Heartbeats sent
    uint64_t heartbeats_blocked = 0; ///< Client Heartbeats due but without room to send
    uint64_t heartbeats_received = 0; ///< Server Heartbeats
    uint64_t debug_received = 0;    ///< Debug packets (ignored)
    uint64_t unexpected = 0;        ///< packets wrong for the state or the direction, ignored
    uint64_t server_silent = 0;     ///< times the server was declared dead
    uint64_t framing_lost = 0;      ///< connections whose framing was lost
    uint64_t future_sequence = 0;   ///< Login Accepted from the future
    uint64_t logouts = 0;           ///< Logout Requests sent
    uint64_t end_of_session = 0;    ///< End of Session received
};

/// A SoupBinTCP 3.00 client session (see the file comment).
class soup_session {
public:
    /// A session that will log in as `config` says.
    explicit soup_session(const soup_session_config& config);

    /// A new TCP connection is up: sends the Login Request for `next_expected()` (the session
    /// accepted before, if any) and waits for the answer. False (nothing sent, state unchanged)
    /// when the host has no room, or the session cannot log in again (`retryable`).
    template <class Host>
    bool connected(instant now, Host& host) {
        if (!retryable()) return false;
        std::array<std::byte, soup_header_len + soup_payload_length<soup_login_request>()> buf;
        soup_login_request req;
        req.username = _config.username;
        req.password = _config.password;
        req.session = _session;
        req.sequence.value = _next_expected;
        if (host.send_space() < buf.size()) return false;
        (void)soup_emit(req, std::span<std::byte>(buf));
        host.send(std::span<const std::byte>(buf));
        ++_stats.connects;
        _stream.reset();
        _numbered = false;
        _error = soup_session_error::none;
        _last_sent = now;
        _last_heard = now;
        set_state(soup_session_state::login_sent, host);
        return true;
    }

    /// The TCP connection is gone: back to `idle` unless the state is final. A partial packet
    /// is forgotten; `next_expected` stays for the next login.
    template <class Host>
    void disconnected(Host& host) {
        _stream.reset();
        if (retryable()) set_state(soup_session_state::idle, host);
    }

    /// Takes the bytes TCP received (all of them); delivers each new Sequenced Data message to
    /// `host.on_message`. Returns ok, or the framing error that stopped the connection.
    template <class Host>
    soup_error receive(std::span<const std::byte> bytes, instant now, Host& host) {
        if (!connection_live() || bytes.empty()) return soup_error::ok; // nothing expected: ignore
        _last_heard = now;
        const soup_error e = _stream.feed(bytes, [&](const soup_packet& p) { on_packet(p, host); });
        if (e != soup_error::ok && _state != soup_session_state::failed && connection_live()) {
            ++_stats.framing_lost;
            _framing_error = e;
            fail(soup_session_error::framing_lost, host);
        }
        return e;
    }

    /// Runs the timers: a Client Heartbeat when nothing was sent for `heartbeat_interval` (while
    /// logged in), the server declared dead when silent for `server_timeout`.
    template <class Host>
    void poll(instant now, Host& host) {
        if (!connection_live()) return;
        if (now - _last_heard >= _config.server_timeout) {
            ++_stats.server_silent;
            fail(soup_session_error::server_silent, host);
            return;
        }
        if (_state == soup_session_state::logged_in && now - _last_sent >= _config.heartbeat_interval) {
            if (send_empty(soup_type::client_heartbeat, now, host)) {
                ++_stats.heartbeats_sent;
            } else {
                ++_stats.heartbeats_blocked;
            }
        }
    }

    /// Sends one whole Unsequenced Data packet (header included, as `ouch_emit_packet` writes
    /// it) through the host in one piece, or refuses it (counted) and sends nothing.
    template <class Host>
    soup_send_result send(std::span<const std::byte> packet, instant now, Host& host) {
        soup_send_result r = soup_send_result::sent;
        if (_state != soup_session_state::logged_in) [[unlikely]]
            r = soup_send_result::not_logged_in;
        else if (!is_unsequenced_packet(packet)) [[unlikely]]
            r = soup_send_result::malformed;
        else if (host.send_space() < packet.size()) [[unlikely]]
            r = soup_send_result::buffer_full;
        if (r != soup_send_result::sent) [[unlikely]] {
            ++_stats.refused;
            return r;
        }
        host.send(packet);
        _last_sent = now;
        ++_stats.sent;
        return r;
    }

    /// Sends a Logout Request (logged in or waiting for the login); the server then closes the
    /// connection. False when there is no session to leave or no room.
    template <class Host>
    bool logout(instant now, Host& host) {
        if (_state != soup_session_state::logged_in && _state != soup_session_state::login_sent) return false;
        if (!send_empty(soup_type::logout_request, now, host)) return false;
        ++_stats.logouts;
        set_state(soup_session_state::logout_sent, host);
        return true;
    }

    /// When `poll` next has something to do (never while no connection is live).
    instant next_deadline() const;
    /// The state.
    soup_session_state state() const { return _state; }
    /// Why the session failed, was rejected or ended (`none` otherwise).
    soup_session_error error() const { return _error; }
    /// The Reject Reason Code of a Login Rejected ('A', 'S', ...), 0 before one.
    char reject_reason() const { return _reject_reason; }
    /// What went wrong, in words (reject reasons spelled out), or "" when nothing did.
    std::string error_text() const;
    /// True when a new connection may log in again (not rejected, ended or from the future).
    bool retryable() const;
    /// The sequence number of the next Sequenced Data to deliver (asked at the next login).
    uint64_t next_expected() const { return _next_expected; }
    /// The session name (the one Login Accepted named, once logged in).
    const std::array<char, 10>& session_name() const { return _session; }
    /// The sequence number the last Login Accepted named.
    uint64_t accepted_sequence() const { return _accepted_sequence; }
    /// Counters.
    const soup_session_stats& stats() const { return _stats; }
    /// The framing layer's counters.
    const soup_stream_stats& stream_stats() const { return _stream.stats(); }

private:
    bool connection_live() const {
        return _state == soup_session_state::login_sent || _state == soup_session_state::logged_in ||
               _state == soup_session_state::logout_sent;
    }
    static bool is_unsequenced_packet(std::span<const std::byte> packet);

    template <class Host>
    void set_state(soup_session_state s, Host& host) {
        _state = s;
        if constexpr (requires(Host& h) { h.on_state(s); }) host.on_state(s);
    }

    template <class Host>
    void fail(soup_session_error e, Host& host) {
        _error = e;
        set_state(soup_session_state::failed, host);
    }

    template <class Host>
    bool send_empty(soup_type t, instant now, Host& host) {
        if (host.send_space() < soup_header_len) return false;
        std::array<std::byte, soup_header_len> buf;
        soup_write_header(buf, t, 0);
        host.send(std::span<const std::byte>(buf));
        _last_sent = now;
        return true;
    }

    template <class Host>
    void on_packet(const soup_packet& p, Host& host) {
        if (!connection_live()) return; // a failure earlier in this feed: ignore the rest
        switch (p.type) {
        case soup_type::sequenced_data:
            if (!_numbered) [[unlikely]] {
                ++_stats.unexpected; // data before Login Accepted has no number
                return;
            }
            on_sequenced(p.payload, host);
            return;
        case soup_type::server_heartbeat: ++_stats.heartbeats_received; return;
        case soup_type::debug: ++_stats.debug_received; return;
        case soup_type::login_accepted: on_login_accepted(p, host); return;
        case soup_type::login_rejected: on_login_rejected(p, host); return;
        case soup_type::end_of_session:
            ++_stats.end_of_session;
            _error = soup_session_error::end_of_session;
            set_state(soup_session_state::ended, host);
            return;
        default: ++_stats.unexpected; return; // a client's packet type from the server
        }
    }

    template <class Host>
    void on_sequenced(std::span<const std::byte> msg, Host& host) {
        const uint64_t seq = _rx_sequence++;
        if (seq < _next_expected) {
            ++_stats.duplicates; // replayed from before what we asked: delivered already
            return;
        }
        _next_expected = seq + 1;
        ++_stats.messages;
        host.on_message(seq, msg);
    }

    template <class Host>
    void on_login_accepted(const soup_packet& p, Host& host) {
        soup_login_accepted a;
        if (_state != soup_session_state::login_sent || soup_parse(p, a) != soup_error::ok) [[unlikely]] {
            ++_stats.unexpected;
            return;
        }
        ++_stats.logins_accepted;
        _accepted_sequence = a.sequence.value;
        // Login Request: "the client ... specify the sequence number of the next message it
        // expects"; the server starts there. Above it, messages in between would be lost.
        if (_next_expected != 0 && a.sequence.value > _next_expected) {
            ++_stats.future_sequence;
            fail(soup_session_error::sequence_from_future, host);
            return;
        }
        _session = a.session;
        _rx_sequence = a.sequence.value;
        _numbered = true;
        if (_next_expected == 0) _next_expected = a.sequence.value; // asked for the most recent
        set_state(soup_session_state::logged_in, host);
    }

    template <class Host>
    void on_login_rejected(const soup_packet& p, Host& host) {
        soup_login_rejected r;
        if (_state != soup_session_state::login_sent || soup_parse(p, r) != soup_error::ok) [[unlikely]] {
            ++_stats.unexpected;
            return;
        }
        ++_stats.logins_rejected;
        _reject_reason = r.reason;
        _error = soup_session_error::login_rejected;
        set_state(soup_session_state::rejected, host);
    }

    soup_session_config _config;
    soup_stream _stream;
    std::array<char, 10> _session;
    soup_session_state _state = soup_session_state::idle;
    soup_session_error _error = soup_session_error::none;
    char _reject_reason = 0;
    soup_error _framing_error = soup_error::ok; ///< why the framing was lost (for error_text)
    uint64_t _next_expected;
    uint64_t _rx_sequence = 0;
    bool _numbered = false; ///< a Login Accepted numbered this connection's Sequenced Data
    uint64_t _accepted_sequence = 0;
    instant _last_sent;
    instant _last_heard;
    soup_session_stats _stats;
};

} // namespace tachyon::oe
