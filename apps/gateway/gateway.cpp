#include "apps/gateway/gateway.hpp"

#include <algorithm>
#include <cstring>

#include "api/runtime.hpp"
#include "stack/core/log.hpp"

namespace tachyon::gateway {

namespace {
std::string num(uint64_t v) { return std::to_string(v); }
} // namespace

gateway::gateway(stack& st, const gateway_config& c) : _st(st), _c(c), _oe(c.session, c.max_orders) {}

oe::ouch_token gateway::token_of(uint64_t n) const {
    oe::ouch_token t;
    t.fill(' ');
    const size_t p = std::min(_c.token_prefix.size(), t.size());
    std::memcpy(t.data(), _c.token_prefix.data(), p);
    char digits[20];
    size_t d = 0;
    do {
        digits[d++] = char('0' + n % 10);
        n /= 10;
    } while (n != 0);
    for (size_t i = 0; i < d && p + i < t.size(); ++i) t[p + i] = digits[d - 1 - i];
    return t;
}

oe::ouch_enter_order gateway::make_order(uint64_t n) const {
    oe::ouch_enter_order o = _c.order;
    o.token = token_of(n);
    if (!_c.stocks.empty()) o.stock = _c.stocks[n % _c.stocks.size()];
    return o;
}

void gateway::end(int code) {
    if (_done) return;
    _done = true;
    _exit_code = code;
    request_stop();
}

void gateway::connect(instant now) {
    if (_oe.session().stats().connects > 0 || _connect_failures > 0) {
        if (_reconnects >= _c.max_reconnects) {
            _error = "gave up after " + num(_reconnects) + " reconnects";
            end(1);
            return;
        }
        ++_reconnects;
    }
    auto s = tcp_stream::connect(_st, _c.exchange, *this, duration::s(2));
    if (!s) {
        ++_connect_failures;
        log().warn("connect to {}:{}: {}", _c.exchange.address.to_string(), _c.exchange.port, s.err().message);
        _reconnect_at = now + _c.reconnect_delay;
        return;
    }
    _stream = std::move(*s);
}

void gateway::on_connected(tcp_stream& s) {
    log().info("connected to {}:{}; logging in for sequence number {}", _c.exchange.address.to_string(),
               _c.exchange.port, _oe.session().next_expected());
    if (!_oe.connected(_st.now(), *this)) (void)s.abort();
}

size_t gateway::on_data(tcp_stream&, std::span<const std::byte> bytes) {
    (void)_oe.receive(bytes, _st.now(), *this);
    return bytes.size();
}

void gateway::on_closed(tcp_stream&, tcp_close_reason r) {
    _oe.disconnected(*this);
    if (_logout_sent) return;
    if (_oe.session().stats().connects == 0) ++_connect_failures;
    log().warn("connection closed ({}); next expected sequence number {}", to_string(r),
               _oe.session().next_expected());
    _reconnect_at = _st.now() + _c.reconnect_delay;
}

void gateway::on_state(oe::soup_session_state s) {
    using st = oe::soup_session_state;
    if (s == st::logged_in) {
        log().info("logged in: session {}, sequence number {}",
                   std::string(_oe.session().session_name().begin(), _oe.session().session_name().end()),
                   _oe.session().accepted_sequence());
        if (!_started) {
            _started = true;
            _start = _st.now();
        }
        _resend_wanted = true;
        _cancel_cursor = 0; // cancels lost with the last connection go again (the exchange
        _cancels_sent = false; // ignores a cancel of an order already canceled)
    } else if (s == st::failed || s == st::rejected || s == st::ended) {
        log().error("session: {}", _oe.session().error_text());
        _abort_wanted = true; // not from inside the receive path: in the next step
    }
}

void gateway::on_order(const oe::order_record& r, char) {
    if (!oe::is_final(r.state)) return;
    switch (r.state) {
    case oe::order_state::executed: ++_final_executed; break;
    case oe::order_state::canceled: ++_final_canceled; break;
    case oe::order_state::rejected: ++_final_rejected; break;
    default: break;
    }
    const oe::ouch_token t = r.token;
    (void)_oe.erase(t); // accounted for: the slot is free for the next order
}

uint64_t gateway::unanswered() const {
    const auto& t = _oe.orders().stats();
    return t.entered - t.accepted - t.rejected;
}

uint64_t gateway::open_orders() const {
    const auto& t = _oe.orders().stats();
    return t.accepted - t.fully_executed - t.fully_canceled - t.replaced;
}

void gateway::resend_unanswered(instant now) {
    for (; _lowest_open < _entered; ++_lowest_open) {
        const oe::order_record* r = _oe.orders().find(token_of(_lowest_open));
        if (r != nullptr && r->state == oe::order_state::pending_new) break;
    }
    for (uint64_t n = _lowest_open; n < _entered; ++n) {
        const oe::order_record* r = _oe.orders().find(token_of(n));
        if (r == nullptr || r->state != oe::order_state::pending_new) continue;
        if (_oe.resend(make_order(n), now, *this) != oe::entry_result::sent) return; // no room: next step
        _last_order_at = now;
    }
    _resend_wanted = false;
}

void gateway::enter_due(instant now) {
    for (int budget = 256; budget > 0 && _entered < _c.count; --budget) {
        if (_c.rate > 0 && now < _start + duration::from_ns(int64_t(double(_entered) * 1e9 / _c.rate))) return;
        if (_oe.enter(make_order(_entered), now, *this) != oe::entry_result::sent) return; // counted
        ++_entered;
        _last_order_at = now;
    }
}

void gateway::cancel_open_orders(instant now) {
    for (; _cancel_cursor < _entered; ++_cancel_cursor) {
        const oe::order_record* r = _oe.orders().find(token_of(_cancel_cursor));
        if (r == nullptr ||
            (r->state != oe::order_state::accepted && r->state != oe::order_state::partially_executed))
            continue;
        if (_oe.cancel(r->token, 0, now, *this) != oe::entry_result::sent) return; // no room: next step
        _last_order_at = now;
    }
    _cancels_sent = true;
}

void gateway::finish_if_answered(instant now) {
    if (_entered < _c.count) return;
    const bool waiting = unanswered() > 0 || (_cancels_sent && open_orders() > 0);
    if (waiting && now - _last_order_at > _c.answer_timeout) {
        _error = num(unanswered()) + " orders unanswered, " + num(open_orders()) + " open " +
                 std::to_string(_c.answer_timeout.count_ms()) + " ms after the last order or cancel";
        end(1);
        return;
    }
    if (unanswered() > 0) return;
    if (_c.cancel_open && open_orders() > 0) {
        if (!_cancels_sent) cancel_open_orders(now);
        return;
    }
    if (!_logout_sent && _oe.logout(now, *this)) {
        _logout_sent = true;
        _last_order_at = now; // the exchange closes now; step() stops waiting after answer_timeout
        log().info("every order answered; logged out");
    }
}

void gateway::step(instant now) {
    if (_done) return;
    if (_abort_wanted) {
        _abort_wanted = false;
        if (_stream.is_open()) (void)_stream.abort();
    }
    const oe::soup_session& s = _oe.session();
    if (!s.retryable()) {
        _error = s.error_text();
        end(1);
        return;
    }
    if (!_stream.is_open()) {
        if (_logout_sent) {
            end(0);
            return;
        }
        if (now >= _reconnect_at) connect(now);
        return;
    }
    _oe.poll(now, *this);
    if (s.state() != oe::soup_session_state::logged_in) {
        if (_logout_sent && now - _last_order_at > _c.answer_timeout) end(0); // the exchange never closed
        return;
    }
    if (_resend_wanted) resend_unanswered(now);
    enter_due(now);
    finish_if_answered(now);
}

std::string gateway::stats_json() const {
    const auto& e = _oe.stats();
    const auto& t = _oe.orders().stats();
    const auto& s = _oe.session().stats();
    const auto& f = _oe.session().stream_stats();
    std::string types = "{";
    const auto& by = _oe.ouch_counts().by_type;
    for (size_t c = 0; c < by.size(); ++c)
        if (by[c] != 0) types += (types.size() > 1 ? ", \"" : "\"") + std::string(1, char(c)) + "\": " + num(by[c]);
    types += "}";
    return "\"gateway\": {\"orders\": {\"sent\": " + num(e.orders_sent) + ", \"resent\": " + num(e.resent) +
           ", \"accepted\": " + num(t.accepted) + ", \"rejected\": " + num(t.rejected) +
           ", \"executed\": " + num(t.fully_executed) + ", \"canceled\": " + num(t.fully_canceled) +
           ", \"open\": " + num(open_orders()) + ", \"unanswered\": " + num(unanswered()) +
           ", \"executions\": " + num(t.executions) + ", \"executed_shares\": " + num(t.executed_shares) +
           ", \"canceled_shares\": " + num(t.canceled_shares) + ", \"cancels_sent\": " + num(e.cancels_sent) +
           "}, \"refused\": {\"not_logged_in\": " + num(e.refused_not_logged_in) +
           ", \"table_full\": " + num(e.refused_table_full) + ", \"duplicate\": " + num(e.refused_duplicate) +
           ", \"buffer_full\": " + num(e.refused_buffer_full) + ", \"other\": " + num(e.refused_other) +
           "}, \"table_mismatch\": " + num(e.table_mismatch) + ", \"system_events\": " + num(e.system_events) +
           ", \"reconnects\": " + num(_reconnects) + ", \"connect_failures\": " + num(_connect_failures) +
           ", \"session\": {\"state\": \"" + oe::to_string(_oe.session().state()) + "\", \"error\": \"" +
           oe::to_string(_oe.session().error()) + "\", \"next_expected\": " + num(_oe.session().next_expected()) +
           ", \"connects\": " + num(s.connects) + ", \"logins_accepted\": " + num(s.logins_accepted) +
           ", \"logins_rejected\": " + num(s.logins_rejected) + ", \"messages\": " + num(s.messages) +
           ", \"duplicates\": " + num(s.duplicates) + ", \"sent\": " + num(s.sent) + ", \"refused\": " +
           num(s.refused) + ", \"heartbeats_sent\": " + num(s.heartbeats_sent) + ", \"heartbeats_blocked\": " +
           num(s.heartbeats_blocked) + ", \"heartbeats_received\": " + num(s.heartbeats_received) +
           ", \"debug_received\": " + num(s.debug_received) + ", \"unexpected\": " + num(s.unexpected) +
           ", \"server_silent\": " + num(s.server_silent) + ", \"framing_lost\": " + num(s.framing_lost) +
           ", \"future_sequence\": " + num(s.future_sequence) + ", \"logouts\": " + num(s.logouts) +
           ", \"end_of_session\": " + num(s.end_of_session) + ", \"packets\": " + num(f.packets) +
           ", \"reassembled\": " + num(f.reassembled) + ", \"unknown_type\": " + num(f.unknown_type) +
           ", \"wrong_length\": " + num(f.wrong_length) + "}, \"ouch\": {\"by_type\": " + types +
           ", \"skipped\": " + num(_oe.ouch_counts().skipped) + ", \"unknown_type\": " +
           num(_oe.ouch_counts().unknown_type) + ", \"wrong_length\": " + num(_oe.ouch_counts().wrong_length) +
           "}, \"error\": \"" + (_error.find('"') == std::string::npos ? _error : std::string("see the log")) + "\"}";
}

std::string gateway::summary() const {
    const auto& e = _oe.stats();
    const auto& t = _oe.orders().stats();
    const auto& s = _oe.session().stats();
    return "orders: " + num(e.orders_sent) + " sent (" + num(e.resent) + " resent after a reconnect), " +
           num(t.accepted) + " accepted, " + num(t.rejected) + " rejected, " + num(t.fully_executed) +
           " executed, " + num(t.fully_canceled) + " canceled, " + num(open_orders()) + " open, " +
           num(unanswered()) + " unanswered\nfills: " + num(t.executions) + " executions, " +
           num(t.executed_shares) + " shares\nrefused: " + num(e.refused_not_logged_in) + " not logged in, " +
           num(e.refused_buffer_full) + " send buffer full, " + num(e.refused_table_full) +
           " table full\nsession: " + oe::to_string(_oe.session().state()) + ", " + num(_reconnects) +
           " reconnects, " + num(s.logins_accepted) + " logins, " + num(s.messages) + " messages, " +
           num(s.duplicates) + " replayed duplicates skipped, heartbeats " + num(s.heartbeats_sent) + " sent / " +
           num(s.heartbeats_received) + " received, next expected " + num(_oe.session().next_expected()) +
           (_error.empty() ? std::string() : "\nerror: " + _error) + "\n";
}

} // namespace tachyon::gateway
