/// `tachyon-mcast recv`: joins one or more groups (each --group G:P gets a socket bound to the
/// group and port), counts what arrives per group (sequence gaps, duplicates, reordering,
/// payload check, one-way latency), stops after --count datagrams in all or after --duration,
/// prints one line per group and a summary line, and writes --stats (the stack's counters).

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "api/udp_socket.hpp"
#include "apps/mcast/args.hpp"
#include "apps/mcast/clocks.hpp"
#include "apps/mcast/datagram_format.hpp"
#include "apps/mcast/recv.hpp"
#include "apps/mcast/stream_report.hpp"
#include "stack/core/clock.hpp"
#include "stack/core/log.hpp"

namespace tachyon::mcast {

namespace {

volatile std::sig_atomic_t g_leave_requested = 0;

void on_sigusr1(int) { g_leave_requested = 1; }

/// Everything received, over all groups.
struct totals {
    stream_stats all;
    int64_t realtime_offset = 0; ///< CLOCK_REALTIME - CLOCK_MONOTONIC, measured at start
};

/// One --group: its socket, and what arrived on it. The socket's receive callback.
struct stream {
    endpoint group;
    totals* sum = nullptr;
    stream_stats stats;
    std::optional<udp_socket> socket; // last: closed first, while the rest is still there

    void operator()(const datagram& d) {
        account(stats, d, true);
        account(sum->all, d, false);
    }

    void account(stream_stats& s, const datagram& d, bool track_sequence) {
        ++s.received;
        s.bytes += d.payload.size();
        if (s.first_rx == instant::never()) s.first_rx = d.rx_time;
        s.last_rx = d.rx_time;
        if (d.payload.size() < header_len) {
            ++s.short_datagrams;
            return;
        }
        const uint64_t seq = load_be64(d.payload.data());
        const int64_t sent = int64_t(load_be64(d.payload.data() + 8));
        if (track_sequence) (void)s.sequence.on(seq);
        if (!fill_is_valid(d.payload, seq)) ++s.bad_payload;
        const int64_t latency = to_realtime_ns(d.rx_time, sum->realtime_offset) - sent;
        if (latency < 0) ++s.negative_latency;
        s.latency.add(latency < 0 ? 0 : uint64_t(latency));
    }
};

} // namespace

int run_recv(int argc, char** argv) {
    backend_options options;
    std::vector<endpoint> groups;
    std::vector<ipv4_address> sources;
    uint64_t count = 0;
    std::optional<duration> leave_after;
    std::optional<std::string> report_path;
    cli c("tachyon-mcast recv",
          "Joins multicast groups on the tachyon stack and reports, per group, the rate, sequence gaps, "
          "duplicates, reordering and one-way latency of the datagrams that arrive. Datagrams carry a 64-bit "
          "big-endian sequence number and a 64-bit big-endian send time (ns since the Unix epoch, "
          "CLOCK_REALTIME) in their first 16 bytes, then fill byte i = (sequence + i) mod 256 (what "
          "`tachyon-mcast send` writes). Latency clocks: the stack stamps each frame with CLOCK_MONOTONIC when "
          "its poll takes it; recv measures CLOCK_REALTIME - CLOCK_MONOTONIC once at start and adds it, so the "
          "latency is only as good as the agreement of the sender's realtime clock with ours (same host: exact; "
          "other hosts: PTP/NTP error included). Stops after --count datagrams in all, or after --duration; "
          "exits 1 when --count was given and fewer arrived. SIGUSR1 leaves every group (and keeps counting).");
    add_backend_flags(c, options);
    c.option("group", "GROUP:PORT", "join this multicast group and receive on this UDP port",
             [&](std::string_view v) -> result<void> {
                 auto ep = parse_address_port(v, true);
                 if (!ep) return ep.err();
                 for (const endpoint& g : groups)
                     if (g.address == ep->address && g.port == ep->port)
                         return make_error(errc::invalid_argument, "'" + std::string(v) + "' is given twice");
                 groups.push_back(*ep);
                 return {};
             }, true);
    c.option("source", "ADDRESS", "join source-specific (IGMPv3 INCLUDE): only datagrams from these sources",
             [&](std::string_view v) -> result<void> {
                 auto s = ipv4_address::parse(v);
                 if (!s || s->is_any() || s->is_multicast() || s->is_broadcast())
                     return make_error(errc::invalid_argument, "'" + std::string(v) + "': expected a unicast IPv4 address");
                 sources.push_back(*s);
                 return {};
             }, true);
    c.option("count", "N", "stop after N datagrams in all (exit 1 when --duration ends first)",
             [&](std::string_view v) -> result<void> {
                 auto n = parse_number(v, 1, UINT64_MAX);
                 if (!n) return n.err();
                 count = *n;
                 return {};
             });
    c.option("leave-after", "SECONDS", "leave every group after this long and keep counting (to check that switches prune)",
             [&](std::string_view v) -> result<void> {
                 auto d = parse_seconds(v);
                 if (!d || *d < duration{}) return make_error(errc::invalid_argument, "expected a number of seconds");
                 leave_after = *d;
                 return {};
             });
    c.option("report", "FILE", "also write the per-group results as JSON to FILE at the end",
             [&](std::string_view v) -> result<void> {
                 report_path = std::string(v);
                 return {};
             });
    auto parsed = c.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-mcast recv: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == cli_outcome::help) return 0;
    if (groups.empty()) {
        std::fprintf(stderr, "tachyon-mcast recv: at least one --group GROUP:PORT is needed (see --help)\n");
        return 2;
    }
    if (sources.size() > options.stack.multicast.memberships_per_socket) {
        std::fprintf(stderr, "tachyon-mcast recv: at most %zu --source\n", options.stack.multicast.memberships_per_socket);
        return 2;
    }

    auto opened = runtime::open(options);
    if (!opened) {
        std::fprintf(stderr, "tachyon-mcast recv: %s\n", opened.err().message.c_str());
        return 1;
    }
    runtime& rt = *opened.value();
    stack& net = rt.net();
    totals sum;
    sum.realtime_offset = realtime_offset_ns();
    if (sources.empty()) sources.push_back(ipv4_address::any());
    std::vector<std::unique_ptr<stream>> streams; // after rt: the sockets close before the stack goes
    for (const endpoint& g : groups) {
        auto s = std::make_unique<stream>();
        s->group = g;
        s->sum = &sum;
        auto sock = udp_socket::open(net);
        if (!sock) {
            std::fprintf(stderr, "tachyon-mcast recv: %s\n", sock.err().message.c_str());
            return 1;
        }
        s->socket.emplace(std::move(sock.value()));
        const std::string name = g.address.to_string() + ":" + std::to_string(g.port);
        if (errc r = s->socket->bind(g); r != errc::ok) {
            std::fprintf(stderr, "tachyon-mcast recv: --group %s: cannot bind: %s\n", name.c_str(), to_string(r));
            return 1;
        }
        (void)s->socket->on_datagram(*s);
        for (ipv4_address src : sources) {
            if (errc r = s->socket->join(g.address, src); r != errc::ok) {
                std::fprintf(stderr, "tachyon-mcast recv: --group %s: cannot join: %s\n", name.c_str(), to_string(r));
                return 1;
            }
        }
        log().info("joined {}{}", name,
                   sources.front().is_any() ? std::string(" (any source)")
                                            : " (source-specific, " + std::to_string(sources.size()) + " source(s))");
        streams.push_back(std::move(s));
    }

    struct sigaction sa{};
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, nullptr);

    const instant started = monotonic_clock::now();
    bool left = false, stop_raised = false;
    const int code = rt.run([&](instant now) {
        if (!left && (g_leave_requested != 0 || (leave_after && now >= started + *leave_after))) {
            left = true;
            for (auto& s : streams)
                for (ipv4_address src : sources) (void)s->socket->leave(s->group.address, src);
            log().info("left every group");
        }
        if (count != 0 && !stop_raised && sum.all.received >= count) {
            stop_raised = true;
            tachyon::request_stop(); // the loop ends after this iteration
        }
    });
    const instant ended = monotonic_clock::now();

    for (const auto& s : streams) {
        std::printf("group %s:%u %s\n", s->group.address.to_string().c_str(), s->group.port,
                    format_counters(s->stats, true).c_str());
    }
    uint64_t gaps = 0, missing = 0, duplicates = 0, reordered = 0;
    for (const auto& s : streams) {
        gaps += s->stats.sequence.gaps();
        missing += s->stats.sequence.missing();
        duplicates += s->stats.sequence.duplicates();
        reordered += s->stats.sequence.reordered() + s->stats.sequence.too_old();
    }
    const double elapsed = double((ended - started).count_ns()) / 1e9;
    const bool complete = count == 0 || sum.all.received >= count;
    std::printf("summary: %s groups=%zu expected=%llu gaps=%llu missing=%llu duplicates=%llu reordered=%llu "
                "elapsed_s=%.3f %s\n",
                complete ? "ok" : "INCOMPLETE", streams.size(), (unsigned long long)count, (unsigned long long)gaps,
                (unsigned long long)missing, (unsigned long long)duplicates, (unsigned long long)reordered, elapsed,
                format_counters(sum.all, false).c_str());
    std::fflush(stdout);

    if (report_path) {
        std::string json = "{\"groups\": [";
        for (size_t i = 0; i < streams.size(); ++i) {
            const auto& s = streams[i];
            json += (i ? ", " : "") + std::string("{\"group\": \"") + s->group.address.to_string() +
                    "\", \"port\": " + std::to_string(s->group.port) + ", " + format_json_members(s->stats, true) + "}";
        }
        json += "], \"total\": {" + format_json_members(sum.all, false) + "}, \"expected\": " + std::to_string(count) +
                ", \"complete\": " + (complete ? "true" : "false") + ", \"elapsed_s\": " + std::to_string(elapsed) +
                ", \"realtime_offset_ns\": " + std::to_string(sum.realtime_offset) + "}\n";
        std::FILE* f = std::fopen(report_path->c_str(), "w");
        bool ok = f != nullptr && std::fwrite(json.data(), 1, json.size(), f) == json.size();
        ok = (f != nullptr && std::fclose(f) == 0) && ok;
        if (!ok) {
            std::fprintf(stderr, "tachyon-mcast recv: cannot write %s\n", report_path->c_str());
            return 1;
        }
    }
    if (code != 0) return code;
    return complete ? 0 : 1;
}

} // namespace tachyon::mcast
