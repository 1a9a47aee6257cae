#pragma once
/// tachyon-gateway's client: one SoupBinTCP/OUCH 4.2 session (`oe::order_entry`) on a
/// `tcp_stream`, entering orders at a rate, reconnecting after a drop. Called after every
/// `stack::poll` (`step`); everything it sends from there leaves at once, one frame per order
/// (a send outside a callback goes to the device in the same iteration; the encoded order is
/// copied once, into the TCP send buffer).
///
/// After a drop it connects again after `reconnect_delay` and logs in with the next expected
/// sequence number; the exchange replays what was missed, the session skips what it had. Orders
/// still unanswered are sent again once logged in: OUCH 4.2 tokens are day-unique and the
/// exchange ignores a token it has seen, so an order the exchange had is not entered twice and
/// one lost in flight is entered once. Orders that reach a final state leave the table.

#include <cstdint>
#include <string>
#include <vector>

#include "api/tcp.hpp"
#include "apps/oe/order_entry.hpp"

namespace tachyon::gateway {

/// What the gateway does.
struct gateway_config {
    endpoint exchange;                  ///< the exchange's order-entry address
    oe::soup_session_config session;    ///< login and timers
    size_t max_orders = 65536;          ///< orders in flight at once (the table)
    uint64_t count = 1000;              ///< orders to enter
    double rate = 1000;                 ///< orders a second (0: as fast as the send buffer takes them)
    oe::ouch_enter_order order;         ///< every order's terms (the token is set per order)
    std::vector<oe::ouch_stock> stocks; ///< order n goes to stocks[n % size] (empty: `order.stock`)
    std::string token_prefix = "TG";    ///< tokens are this prefix and the order's number
    duration reconnect_delay = duration::ms(100); ///< wait before connecting again
    uint64_t max_reconnects = 1000;     ///< give up after this many
    duration answer_timeout = duration::s(10);    ///< after the last order, wait this long for answers
    bool cancel_open = false;           ///< at the end, cancel the orders still open
};

/// The client (see the file comment). Also the tcp_stream handler and the session's host.
class gateway {
public:
    /// A gateway on `st`.
    gateway(stack& st, const gateway_config& c);

    /// Runs after each poll: connects, runs the session's timers, enters orders, ends the run.
    void step(instant now);
    /// True once the run is over (every order answered and logged out, or a final error).
    bool done() const { return _done; }
    /// The exit code: 0, or 1 after a final error (login rejected, session from the future,
    /// reconnects exhausted) or orders left unanswered.
    int exit_code() const { return _exit_code; }
    /// The "gateway" member of the --stats JSON.
    std::string stats_json() const;
    /// The summary printed at the end.
    std::string summary() const;

    /// tcp_stream: connected.
    void on_connected(tcp_stream& s);
    /// tcp_stream: bytes received (all taken).
    size_t on_data(tcp_stream& s, std::span<const std::byte> bytes);
    /// tcp_stream: the exchange closed its side: the connection is over (RST, then reconnect).
    void on_eof(tcp_stream& s) { (void)s.abort(); }
    /// tcp_stream: the connection is gone.
    void on_closed(tcp_stream& s, tcp_close_reason r);

    /// Session host: room in the TCP send buffer.
    size_t send_space() { return _stream.send_space(); }
    /// Session host: one whole packet into the TCP send buffer (it fits).
    void send(std::span<const std::byte> packet) { _sent_bytes += _stream.send(packet); }
    /// Session host: an OUCH message moved an order.
    void on_order(const oe::order_record& r, char type);
    /// Session host: the session's state changed.
    void on_state(oe::soup_session_state s);

private:
    oe::ouch_enter_order make_order(uint64_t n) const;
    oe::ouch_token token_of(uint64_t n) const;
    void connect(instant now);
    void resend_unanswered(instant now);
    void enter_due(instant now);
    void finish_if_answered(instant now);
    void cancel_open_orders(instant now);
    uint64_t unanswered() const;
    uint64_t open_orders() const;
    void end(int code);

    stack& _st;
    gateway_config _c;
    oe::order_entry _oe;
    tcp_stream _stream;
    bool _connecting = false;
    bool _abort_wanted = false;
    bool _resend_wanted = false;
    bool _logout_sent = false;
    bool _cancels_sent = false;
    bool _done = false;
    int _exit_code = 0;
    instant _reconnect_at;
    instant _start;
    instant _last_order_at;
    bool _started = false;
    uint64_t _entered = 0;    ///< orders entered (numbers 0 .. _entered-1)
    uint64_t _lowest_open = 0; ///< no order below this number is unanswered
    uint64_t _cancel_cursor = 0; ///< --cancel-open: orders below this number were asked to cancel
    uint64_t _reconnects = 0;
    uint64_t _connect_failures = 0;
    uint64_t _final_executed = 0, _final_canceled = 0, _final_rejected = 0;
    uint64_t _sent_bytes = 0;
    std::string _error;
};

} // namespace tachyon::gateway
