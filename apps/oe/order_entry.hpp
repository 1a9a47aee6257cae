#pragma once
/// An OUCH 4.2 order-entry session: a `soup_session` (login, heartbeats, replay) plus the
/// `order_table` that the exchange's Sequenced Data messages drive. Sans-IO like its parts:
/// the caller hands in received bytes and `now`, and a host (the `soup_session` host contract:
/// `send_space`, `send`) carries the bytes out. Optional host members are told of events:
///
///     void on_order(const order_record& r, char message_type);  // after an OUCH message applied
///     void on_system_event(const ouch_system_event& e);
///     void on_state(soup_session_state s);
///
/// Sending an order (`enter`, `cancel`) either puts the whole packet in the host's send buffer
/// in one piece (encoded on the stack frame, then copied once by the host) or refuses it with
/// the reason, counted, leaving the table unchanged: not logged in, table full, token already
/// used, send buffer full.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "apps/oe/order_table.hpp"
#include "apps/oe/ouch.hpp"
#include "apps/oe/soup_session.hpp"

namespace tachyon::oe {

/// What became of an order the caller asked to send.
enum class entry_result : uint8_t {
    sent,           ///< in the host's send buffer, and in the table
    not_logged_in,  ///< the session is not logged in
    table_full,     ///< no free slot in the order table
    duplicate,      ///< the token is in the table already
    unknown_token,  ///< (cancel, resend) no such order
    not_live,       ///< (cancel) the order is not live; (resend) not pending_new
    buffer_full,    ///< no room in the send buffer for the whole packet
};

/// A name for `r`.
const char* to_string(entry_result r);

/// Refusals by reason.
struct entry_stats {
    uint64_t orders_sent = 0;   ///< Enter Orders sent
    uint64_t cancels_sent = 0;  ///< Cancel Orders sent
    uint64_t resent = 0;        ///< Enter Orders sent again after a reconnect (`resend`)
    uint64_t refused_not_logged_in = 0; ///< refused: not logged in
    uint64_t refused_table_full = 0;    ///< refused: order table full
    uint64_t refused_duplicate = 0;     ///< refused: token in use
    uint64_t refused_buffer_full = 0;   ///< refused: send buffer full
    uint64_t refused_other = 0;         ///< refused: cancel of an unknown or dead order
    uint64_t system_events = 0;         ///< System Event messages
    uint64_t table_mismatch = 0;        ///< OUCH messages the table refused (unknown token, bad transition)
};

/// A SoupBinTCP session carrying OUCH 4.2, with its orders (see the file comment).
class order_entry {
public:
    /// A session logging in as `config`, tracking up to `max_orders` orders at once.
    order_entry(const soup_session_config& config, size_t max_orders)
        : _session(config), _orders(max_orders) {}

    /// The TCP connection is up: logs in (see `soup_session::connected`).
    template <class Host>
    bool connected(instant now, Host& host) {
        bridge<Host> b{*this, host};
        return _session.connected(now, b);
    }
    /// The TCP connection is gone.
    template <class Host>
    void disconnected(Host& host) {
        bridge<Host> b{*this, host};
        _session.disconnected(b);
    }
    /// Takes received bytes; applies each new OUCH message to the orders.
    template <class Host>
    soup_error receive(std::span<const std::byte> bytes, instant now, Host& host) {
        bridge<Host> b{*this, host};
        return _session.receive(bytes, now, b);
    }
    /// Runs the session's timers.
    template <class Host>
    void poll(instant now, Host& host) {
        bridge<Host> b{*this, host};
        _session.poll(now, b);
    }
    /// Sends a Logout Request.
    template <class Host>
    bool logout(instant now, Host& host) {
        bridge<Host> b{*this, host};
        return _session.logout(now, b);
    }

    /// Sends Enter Order `o` and records it (pending_new), or refuses it (counted).
    template <class Host>
    entry_result enter(const ouch_enter_order& o, instant now, Host& host) {
        if (_session.state() != soup_session_state::logged_in) [[unlikely]]
            return refuse(entry_result::not_logged_in);
        if (_orders.find(o.token) != nullptr) [[unlikely]]
            return refuse(entry_result::duplicate);
        if (_orders.size() == _orders.capacity()) [[unlikely]]
            return refuse(entry_result::table_full);
        std::array<std::byte, ouch_packet_length<ouch_enter_order>()> buf;
        if (host.send_space() < buf.size()) [[unlikely]]
            return refuse(entry_result::buffer_full);
        (void)ouch_emit_packet(o, std::span<std::byte>(buf));
        (void)_orders.enter(o); // room and a new token checked above
        bridge<Host> b{*this, host};
        (void)_session.send(buf, now, b); // logged in, well formed, room: sent
        ++_stats.orders_sent;
        return entry_result::sent;
    }

    /// Sends Enter Order `o` again for an order still `pending_new` (after a reconnect, when the
    /// exchange may never have received it): OUCH 4.2 tokens are day-unique and the exchange
    /// ignores a token it has seen, so a resend is never a second order. The table is unchanged.
    template <class Host>
    entry_result resend(const ouch_enter_order& o, instant now, Host& host) {
        if (_session.state() != soup_session_state::logged_in) [[unlikely]]
            return refuse(entry_result::not_logged_in);
        const order_record* r = _orders.find(o.token);
        if (r == nullptr) [[unlikely]]
            return refuse(entry_result::unknown_token);
        if (r->state != order_state::pending_new) [[unlikely]]
            return refuse(entry_result::not_live);
        std::array<std::byte, ouch_packet_length<ouch_enter_order>()> buf;
        if (host.send_space() < buf.size()) [[unlikely]]
            return refuse(entry_result::buffer_full);
        (void)ouch_emit_packet(o, std::span<std::byte>(buf));
        bridge<Host> b{*this, host};
        (void)_session.send(buf, now, b);
        ++_stats.resent;
        return entry_result::sent;
    }

    /// Sends Cancel Order for `token` (`shares` left open; 0 cancels all) and notes it, or
    /// refuses it (counted).
    template <class Host>
    entry_result cancel(const ouch_token& token, uint32_t shares, instant now, Host& host) {
        if (_session.state() != soup_session_state::logged_in) [[unlikely]]
            return refuse(entry_result::not_logged_in);
        const order_record* r = _orders.find(token);
        if (r == nullptr) [[unlikely]]
            return refuse(entry_result::unknown_token);
        if (r->state != order_state::accepted && r->state != order_state::partially_executed) [[unlikely]]
            return refuse(entry_result::not_live);
        std::array<std::byte, ouch_packet_length<ouch_cancel_order>()> buf;
        if (host.send_space() < buf.size()) [[unlikely]]
            return refuse(entry_result::buffer_full);
        (void)ouch_emit_packet(ouch_cancel_order{token, shares}, std::span<std::byte>(buf));
        (void)_orders.request_cancel(token);
        bridge<Host> b{*this, host};
        (void)_session.send(buf, now, b);
        ++_stats.cancels_sent;
        return entry_result::sent;
    }

    /// The SoupBinTCP session.
    const soup_session& session() const { return _session; }
    /// The orders.
    const order_table& orders() const { return _orders; }
    /// Frees a token's slot (once its order is final and accounted for).
    bool erase(const ouch_token& token) { return _orders.erase(token); }
    /// Refusals and OUCH counts.
    const entry_stats& stats() const { return _stats; }
    /// OUCH messages received, by type (the tshark check compares them).
    const ouch_stats& ouch_counts() const { return _ouch; }

private:
    /// The host the session sees: sends go to the caller's host, messages to the table.
    template <class Host>
    struct bridge {
        order_entry& self;
        Host& host;
        size_t send_space() { return host.send_space(); }
        void send(std::span<const std::byte> b) { host.send(b); }
        void on_message(uint64_t, std::span<const std::byte> msg) {
            (void)ouch_dispatch(ouch_direction::outbound, msg, *this, self._ouch);
        }
        void on_state(soup_session_state s) {
            if constexpr (requires(Host& h) { h.on_state(s); }) host.on_state(s);
        }
        void on_message(const ouch_system_event& e) {
            ++self._stats.system_events;
            if constexpr (requires(Host& h) { h.on_system_event(e); }) host.on_system_event(e);
        }
        // Inbound types: ouch_dispatch names them, but never calls them for the outbound direction.
        void on_message(const ouch_enter_order&) {}
        void on_message(const ouch_replace_order&) {}
        void on_message(const ouch_cancel_order&) {}
        template <class M>
        void on_message(const M& m) {
            if (self._orders.apply(m) != order_outcome::applied) [[unlikely]] {
                ++self._stats.table_mismatch;
                return;
            }
            if constexpr (requires(Host& h, const order_record& r) { h.on_order(r, M::type); }) {
                if constexpr (requires(const M& x) { x.replacement_token; })
                    host.on_order(*self._orders.find(m.replacement_token), M::type);
                else
                    host.on_order(*self._orders.find(m.token), M::type);
            }
        }
    };

    entry_result refuse(entry_result r) {
        switch (r) {
        case entry_result::not_logged_in: ++_stats.refused_not_logged_in; break;
        case entry_result::table_full: ++_stats.refused_table_full; break;
        case entry_result::duplicate: ++_stats.refused_duplicate; break;
        case entry_result::buffer_full: ++_stats.refused_buffer_full; break;
        default: ++_stats.refused_other; break;
        }
        return r;
    }

    soup_session _session;
    order_table _orders;
    entry_stats _stats;
    ouch_stats _ouch;
};

} // namespace tachyon::oe
