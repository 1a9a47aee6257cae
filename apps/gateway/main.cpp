/// tachyon-gateway: a SoupBinTCP 3.00 / OUCH 4.2 order-entry session on the tachyon stack.
/// Connects to the exchange, logs in, enters --count orders at --rate, reconnects after a drop
/// with the next expected sequence number (the exchange replays what was missed; unanswered
/// orders are sent again, which the exchange ignores when it had them), logs out once every
/// order is answered, prints a summary and writes --stats (the "gateway" section next to the
/// stack's counters).
///
///     tachyon-gateway --tap tch0 --ip 198.18.0.2/24 --exchange 198.18.0.1:15000
///         --user TRADER --password SECRET --symbol AAPL --side B --price 100.25 --qty 100
///         --count 10000 --rate 5000 --stats gateway.json

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "apps/gateway/gateway.hpp"
#include "apps/mcast/args.hpp"
#include "apps/mcast/flag_setters.hpp"
#include "stack/core/log.hpp"

namespace tachyon::gateway {
namespace {

using mcast::number_flag;
using mcast::seconds_flag;

/// Reads an Alpha field of `N` characters at most (left-justified, space-padded).
template <size_t N>
cli::setter alpha(std::array<char, N>& out) {
    return [&out](std::string_view v) -> result<void> {
        if (v.size() > N) return make_error(errc::invalid_argument, "at most " + std::to_string(N) + " characters");
        out.fill(' ');
        std::copy(v.begin(), v.end(), out.begin());
        return {};
    };
}

/// A price in dollars ("100", "100.25", at most 4 decimals) as Price(4).
result<uint32_t> parse_price(std::string_view v) {
    const size_t dot = v.find('.');
    auto whole = mcast::parse_number(v.substr(0, dot), 0, 199999);
    if (!whole) return make_error(errc::invalid_argument, "expected dollars such as 100.25");
    uint64_t frac = 0;
    if (dot != std::string_view::npos) {
        std::string_view f = v.substr(dot + 1);
        if (f.empty() || f.size() > 4) return make_error(errc::invalid_argument, "1 to 4 decimals");
        auto n = mcast::parse_number(f, 0, 9999);
        if (!n) return make_error(errc::invalid_argument, "expected dollars such as 100.25");
        frac = *n;
        for (size_t i = f.size(); i < 4; ++i) frac *= 10;
    }
    return uint32_t(*whole * 10000 + frac);
}

int run(int argc, char** argv) {
    backend_options options;
    gateway_config g;
    std::array<char, 6> user;
    std::array<char, 10> password, session;
    user.fill(' ');
    password.fill(' ');
    session.fill(' ');
    bool have_exchange = false;
    uint64_t qty = 100, tif = 99999, max_orders = g.max_orders, first_sequence = 1;
    g.order.side = 'B';
    g.order.stock = {'A', 'A', 'P', 'L', ' ', ' ', ' ', ' '};
    g.order.price = 1000000;
    g.order.firm = {' ', ' ', ' ', ' '};
    g.order.display = 'Y';
    g.order.capacity = 'A';
    g.order.iso = 'N';
    g.order.cross_type = 'N';
    g.order.customer_type = 'N';

    cli c("tachyon-gateway",
          "SoupBinTCP 3.00 / OUCH 4.2 order entry: logs in to the exchange, enters orders at a rate, reconnects "
          "after a drop with the next expected sequence number, logs out once every order is answered.");
    add_backend_flags(c, options);
    c.option("exchange", "HOST:PORT", "the exchange's order-entry port", [&](std::string_view v) -> result<void> {
        auto ep = mcast::parse_address_port(v, false);
        if (!ep) return ep.err();
        g.exchange = *ep;
        have_exchange = true;
        return {};
    });
    c.option("user", "NAME", "SoupBinTCP Username (6 characters at most)", alpha(user));
    c.option("password", "TEXT", "SoupBinTCP Password (10 characters at most)", alpha(password));
    c.option("session", "NAME", "Requested Session (default: the exchange's current one)", alpha(session));
    c.option("first-sequence", "N", "sequence number asked at the first login (0: from now; default 1)",
             number_flag(first_sequence, 0, UINT64_MAX));
    c.option("symbol", "SYM[,SYM...]", "the stock (8 characters at most; default AAPL); with several, order n "
             "goes to the n-th modulo their count", [&](std::string_view v) -> result<void> {
                 g.stocks.clear();
                 while (!v.empty()) {
                     const size_t comma = v.find(',');
                     std::string_view sym = v.substr(0, comma);
                     if (sym.empty() || sym.size() > 8) return make_error(errc::invalid_argument, "symbols are 1 to 8 characters");
                     oe::ouch_stock st;
                     st.fill(' ');
                     std::copy(sym.begin(), sym.end(), st.begin());
                     g.stocks.push_back(st);
                     v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
                 }
                 return {};
             });
    c.option("side", "B|S|T|E", "buy, sell, sell short, sell short exempt (default B)", [&](std::string_view v) -> result<void> {
        if (v.size() != 1 || std::string_view("BSTE").find(v[0]) == std::string_view::npos)
            return make_error(errc::invalid_argument, "one of B, S, T, E");
        g.order.side = v[0];
        return {};
    });
    c.option("price", "DOLLARS", "limit price (default 100)", [&](std::string_view v) -> result<void> {
        auto p = parse_price(v);
        if (!p) return p.err();
        g.order.price = *p;
        return {};
    });
    c.option("qty", "SHARES", "shares per order (default 100)", number_flag(qty, 1, 0xFFFFFFFF));
    c.option("tif", "SECONDS", "Time In Force (0 IOC, 99998 market hours, 99999 system hours: default)",
             number_flag(tif, 0, 99999));
    c.option("count", "N", "orders to enter (default 1000)", number_flag(g.count, 0, UINT32_MAX));
    c.option("rate", "PER_SECOND", "orders a second (0: as fast as the send buffer takes them; default 1000)",
             [&](std::string_view v) -> result<void> {
                 if (v == "0") {
                     g.rate = 0;
                     return {};
                 }
                 auto r = mcast::parse_rate(v);
                 if (!r) return r.err();
                 g.rate = *r;
                 return {};
             });
    c.option("token-prefix", "TEXT", "Order Tokens are this prefix and the order's number (default TG)",
             [&](std::string_view v) -> result<void> {
                 if (v.size() > 6) return make_error(errc::invalid_argument, "6 characters at most");
                 g.token_prefix = std::string(v);
                 return {};
             });
    c.option("max-orders", "N", "orders in flight at once (the order table; default 65536)",
             number_flag(max_orders, 1, 1u << 24));
    c.option("heartbeat", "SECONDS", "Client Heartbeat after this long without sending (default 1)",
             seconds_flag(g.session.heartbeat_interval));
    c.option("server-timeout", "SECONDS", "the exchange is dead after this long unheard (default 15)",
             seconds_flag(g.session.server_timeout));
    c.option("reconnect-delay", "SECONDS", "wait before connecting again after a drop (default 0.1)",
             seconds_flag(g.reconnect_delay));
    c.option("max-reconnects", "N", "give up after this many reconnects (default 1000)", number_flag(g.max_reconnects, 0, 1u << 30));
    c.option("answer-timeout", "SECONDS", "after the last order, wait this long for every answer (default 10)",
             seconds_flag(g.answer_timeout));
    c.toggle("cancel-open", "at the end, cancel the orders still open before logging out", [&] { g.cancel_open = true; });
    auto parsed = c.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-gateway: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == cli_outcome::help) return 0;
    if (!have_exchange) {
        std::fprintf(stderr, "tachyon-gateway: --exchange HOST:PORT is needed (see --help)\n");
        return 2;
    }
    g.session.username = user;
    g.session.password = password;
    g.session.session = session;
    g.session.first_sequence = first_sequence;
    g.order.shares = uint32_t(qty);
    g.order.time_in_force = uint32_t(tif);
    g.max_orders = max_orders;

    auto opened = runtime::open(options);
    if (!opened) {
        std::fprintf(stderr, "tachyon-gateway: %s\n", opened.err().message.c_str());
        return 1;
    }
    runtime& rt = **opened;
    gateway gw(rt.net(), g);
    rt.set_stats_members([&] { return gw.stats_json(); });
    const int rc = rt.run([&](instant now) { gw.step(now); });
    std::fputs(gw.summary().c_str(), stdout);
    std::fflush(stdout);
    return rc != 0 ? rc : gw.exit_code();
}

} // namespace
} // namespace tachyon::gateway

int main(int argc, char** argv) { return tachyon::gateway::run(argc, argv); }
