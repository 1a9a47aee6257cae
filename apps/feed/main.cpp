/// tachyon-feed: a MoldUDP64 / ITCH 5.0 feed handler on the tachyon stack. Joins line A and
/// (optionally) line B, arbitrates them by sequence number, recovers gaps from the
/// retransmission server, keeps the order books, measures tick-to-book, and stops at the end
/// of the session (or on SIGINT/SIGTERM, or --duration), printing a summary and writing
/// --stats, --books and --histogram.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "api/udp_socket.hpp"
#include "apps/feed/feed_handler.hpp"
#include "apps/mcast/args.hpp"
#include "apps/mcast/flag_setters.hpp"
#include "stack/core/log.hpp"

namespace tachyon::feed {
namespace {

/// One multicast line: group, port and an optional source (source-specific join).
struct line_spec {
    endpoint group;
    ipv4_address source = ipv4_address::any();
};

result<line_spec> parse_line(std::string_view v) {
    line_spec s;
    const size_t at = v.find('@');
    auto ep = mcast::parse_address_port(v.substr(0, at), true);
    if (!ep) return ep.err();
    s.group = *ep;
    if (at != std::string_view::npos) {
        auto src = ipv4_address::parse(v.substr(at + 1));
        if (!src || src->is_any() || src->is_multicast() || src->is_broadcast())
            return make_error(errc::invalid_argument, "the source after '@' must be a unicast IPv4 address");
        s.source = *src;
    }
    return s;
}

result<void> write_file(const std::string& path, const std::string& text) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    bool ok = f != nullptr && std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = (f != nullptr && std::fclose(f) == 0) && ok;
    if (!ok) return make_error(errc::invalid_argument, "cannot write " + path);
    return {};
}

using mcast::number_flag;
using mcast::seconds_flag;

int run(int argc, char** argv) {
    backend_options options;
    std::optional<line_spec> line_a, line_b;
    std::optional<endpoint> recovery;
    std::vector<std::string> symbols;
    duration stale_after = duration::s(2);
    std::optional<std::string> histogram_path, books_path;
    md::arbiter_config arb;
    md::book_config books;
    uint64_t hold = arb.hold_messages, max_orders = books.max_orders, max_levels = books.max_levels;
    uint64_t max_retries = arb.max_retries, max_request = arb.max_request;
    bool keep_running = false;

    cli c("tachyon-feed",
          "MoldUDP64 / ITCH 5.0 feed handler: joins line A and line B, keeps the first copy of each message, "
          "asks the retransmission server for what both lines lost, keeps an order book per symbol and measures "
          "tick-to-book (receive timestamp to book updated). Stops at the end of the session.");
    add_backend_flags(c, options);
    auto line_flag = [](std::optional<line_spec>& out) {
        return [&out](std::string_view v) -> result<void> {
            auto s = parse_line(v);
            if (!s) return s.err();
            out = *s;
            return {};
        };
    };
    c.option("line-a", "GROUP:PORT[@SOURCE]", "line A: join GROUP (from SOURCE only, when given) and receive on PORT",
             line_flag(line_a));
    c.option("line-b", "GROUP:PORT[@SOURCE]", "line B, arbitrated with line A", line_flag(line_b));
    c.option("recovery", "HOST:PORT", "the MoldUDP64 retransmission server (unicast requests and answers)",
             [&](std::string_view v) -> result<void> {
                 auto ep = mcast::parse_address_port(v, false);
                 if (!ep) return ep.err();
                 recovery = *ep;
                 return {};
             });
    c.option("symbols", "SYM,SYM,...", "keep only these books (default: every symbol of the directory)",
             [&](std::string_view v) -> result<void> {
                 while (!v.empty()) {
                     const size_t comma = v.find(',');
                     std::string_view s = v.substr(0, comma);
                     if (s.empty() || s.size() > 8) return make_error(errc::invalid_argument, "symbols are 1 to 8 characters");
                     symbols.emplace_back(s);
                     v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
                 }
                 return {};
             });
    c.option("stale-after", "SECONDS", "report a line silent this long (heartbeats keep it alive; default 2)",
             seconds_flag(stale_after));
    c.option("histogram", "FILE", "write the tick-to-book histogram as HdrHistogram .hgrm text at exit",
             [&](std::string_view v) -> result<void> { histogram_path = std::string(v); return {}; });
    c.option("books", "FILE", "write every kept book as JSON at exit", [&](std::string_view v) -> result<void> {
        books_path = std::string(v);
        return {};
    });
    c.option("hold", "N", "messages the hold window keeps while a gap is open (default 65536)", number_flag(hold, 16, 1u << 24));
    c.option("max-orders", "N", "order table capacity (default 1048576)", number_flag(max_orders, 1, 1u << 28));
    c.option("max-levels", "N", "price level table capacity (default 262144)", number_flag(max_levels, 1, 1u << 26));
    c.option("gap-wait", "SECONDS", "how long a gap waits for the other line before a request (default 0.005)",
             seconds_flag(arb.gap_wait));
    c.option("request-timeout", "SECONDS", "resend an unanswered request after this (default 0.1)",
             seconds_flag(arb.request_timeout));
    c.option("max-retries", "N", "resends before a gap is declared lost (default 5)", number_flag(max_retries, 0, 1000));
    c.option("max-request", "N", "messages asked per request (default 1000)", number_flag(max_request, 1, 65534));
    c.toggle("keep-running", "keep running after the end of session (until a signal or --duration)",
             [&] { keep_running = true; });
    auto parsed = c.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-feed: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == cli_outcome::help) return 0;
    if (!line_a) {
        std::fprintf(stderr, "tachyon-feed: --line-a GROUP:PORT is needed (see --help)\n");
        return 2;
    }
    if (line_b && line_b->group.address == line_a->group.address && line_b->group.port == line_a->group.port) {
        std::fprintf(stderr, "tachyon-feed: --line-a and --line-b must differ (group or port)\n");
        return 2;
    }
    arb.hold_messages = hold;
    arb.lines = line_b ? 2 : 1;
    arb.max_retries = unsigned(max_retries);
    arb.max_request = uint16_t(max_request);
    books.max_orders = max_orders;
    books.max_levels = max_levels;

    auto opened = runtime::open(options);
    if (!opened) {
        std::fprintf(stderr, "tachyon-feed: %s\n", opened.err().message.c_str());
        return 1;
    }
    runtime& rt = *opened.value();
    stack& net = rt.net();
    feed_handler handler(arb, books, symbols);
    rt.set_stats_members([&] { return stats_members(handler); });

    line_callback callbacks[3] = {{&handler, md::feed_line::a}, {&handler, md::feed_line::b},
                                  {&handler, md::feed_line::recovery}};
    std::vector<udp_socket> sockets; // closed (groups left) before the runtime goes
    sockets.reserve(3);
    auto open_line = [&](const line_spec& s, line_callback& cb, const char* name) -> bool {
        auto sock = udp_socket::open(net);
        if (!sock) {
            std::fprintf(stderr, "tachyon-feed: %s\n", sock.err().message.c_str());
            return false;
        }
        sockets.push_back(std::move(sock.value()));
        udp_socket& u = sockets.back();
        errc r = u.bind(s.group);
        if (r == errc::ok) r = u.on_datagram(cb);
        if (r == errc::ok) r = u.join(s.group.address, s.source);
        if (r != errc::ok) {
            std::fprintf(stderr, "tachyon-feed: line %s: %s\n", name, to_string(r));
            return false;
        }
        log().info("line {}: joined {}:{}{}", name, s.group.address.to_string(), s.group.port,
                   s.source.is_any() ? std::string() : " from " + s.source.to_string());
        return true;
    };
    if (!open_line(*line_a, callbacks[0], "A")) return 1;
    if (line_b && !open_line(*line_b, callbacks[1], "B")) return 1;
    udp_socket* requests = nullptr;
    if (recovery) {
        auto sock = udp_socket::open(net);
        if (!sock) {
            std::fprintf(stderr, "tachyon-feed: %s\n", sock.err().message.c_str());
            return 1;
        }
        sockets.push_back(std::move(sock.value()));
        requests = &sockets.back();
        errc r = requests->bind({ipv4_address::any(), 0});
        if (r == errc::ok) r = requests->connect(*recovery);
        if (r == errc::ok) r = requests->on_datagram(callbacks[2]);
        if (r != errc::ok) {
            std::fprintf(stderr, "tachyon-feed: --recovery: %s\n", to_string(r));
            return 1;
        }
    }

    const instant started = monotonic_clock::now();
    uint64_t unsent_requests = 0;
    struct {
        uint64_t lost = 0, orders_full = 0, levels_full = 0;
    } reported;
    instant next_report = started;
    // Losses and full tables, logged when they grow (once a second at most, and at exit).
    auto report_problems = [&] {
        const md::arbiter& a = handler.arbiter();
        const md::builder_stats& b = handler.builder().stats();
        if (a.stats().lost != reported.lost)
            log().warn("recovery gave up on {} message(s) in all: every book is marked stale", a.stats().lost);
        if (b.orders_full != reported.orders_full || b.levels_full != reported.levels_full)
            log().warn("book tables full: {} order(s) and {} price level(s) refused in all (--max-orders, "
                       "--max-levels)", b.orders_full, b.levels_full);
        reported = {a.stats().lost, b.orders_full, b.levels_full};
    };
    const int code = rt.run([&](instant now) {
        md::arbiter& a = handler.arbiter();
        if (auto req = a.poll(now, handler)) [[unlikely]] {
            std::byte bytes[md::mold_header_len];
            req->emit(bytes);
            if (requests == nullptr || requests->send(bytes) != errc::ok) ++unsent_requests;
        }
        handler.check_silence(now, started, stale_after, arb.lines, [&](unsigned l, bool silent) {
            if (silent) log().warn("line {}: silent for {} ms", l == 0 ? "A" : "B", stale_after.count_ms());
            else log().info("line {}: receiving again", l == 0 ? "A" : "B");
        });
        if (now >= next_report) [[unlikely]] {
            next_report = now + duration::s(1);
            report_problems();
        }
        if (a.session_ended() && !keep_running) [[unlikely]]
            request_stop();
    });

    report_problems();
    std::fputs(summary(handler).c_str(), stdout);
    if (unsent_requests != 0) std::printf("requests not sent (no --recovery or send failed): %llu\n", (unsigned long long)unsent_requests);
    std::fflush(stdout);
    if (histogram_path) {
        if (auto r = write_file(*histogram_path, hgrm(handler.tick_to_book())); !r) log().error("{}", r.err().message);
    }
    if (books_path) {
        if (auto r = write_file(*books_path, handler.builder().books_json()); !r) log().error("{}", r.err().message);
    }
    return code;
}

} // namespace
} // namespace tachyon::feed

int main(int argc, char** argv) { return tachyon::feed::run(argc, argv); }
