/// tachyon-ping: sends ICMP echo requests from the tachyon stack and checks every reply: that
/// it came back, once, with the payload sent. What users run to measure a link's round trip
/// without the kernel, and what the tests use to make two tachyon processes talk:
///
///     tachyon-ping --backend dpdk --dpdk "..." --ip 198.18.0.3/24 --dst 198.18.0.2 --count 100
///
/// The first request also resolves the destination (ARP); the rest follow at --interval once
/// its reply is in (or after --timeout). Prints one line per reply and a summary with min, avg,
/// max and percentiles; exits 0 when every reply came back intact, 1 otherwise.

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "stack/core/log.hpp"

namespace {

/// The byte at `i` of the payload of request `seq`: a pattern that differs per request, so a
/// reply carrying another request's data is caught.
std::byte pattern(uint16_t seq, size_t i) { return std::byte((seq * 31u + i * 7u + 0x5a) & 0xff); }

/// The state of one ping run: what was sent when, what came back.
struct pinger {
    tachyon::stack* net = nullptr;
    tachyon::ipv4_address dst;
    uint16_t identifier = 0;
    uint32_t count = 0;
    size_t size = 0;
    bool quiet = false;
    std::vector<tachyon::instant> sent_at;  // per sequence number
    std::vector<uint8_t> replies;           // replies seen per sequence number
    std::vector<int64_t> rtts_ns;
    uint32_t sent = 0;
    uint32_t received = 0;
    uint32_t duplicates = 0;
    uint32_t corrupt = 0;
    uint32_t foreign = 0;   // replies to someone else's identifier, or from another host
    uint32_t send_errors = 0;
    std::vector<std::byte> payload;

    static void on_reply(void* self, const tachyon::echo_reply& r) { static_cast<pinger*>(self)->reply(r); }

    void reply(const tachyon::echo_reply& r) {
        if (r.identifier != identifier || r.source != dst || r.sequence >= sent) {
            ++foreign;
            return;
        }
        const uint16_t seq = r.sequence;
        bool intact = r.data.size() == size;
        for (size_t i = 0; intact && i < size; ++i) intact = r.data[i] == pattern(seq, i);
        if (!intact) {
            ++corrupt;
            std::printf("%zu bytes from %s: icmp_seq=%u WRONG DATA\n", r.data.size(), dst.to_string().c_str(), seq);
            return;
        }
        if (replies[seq]++ != 0) {
            ++duplicates;
            std::printf("%zu bytes from %s: icmp_seq=%u (DUP!)\n", r.data.size(), dst.to_string().c_str(), seq);
            return;
        }
        ++received;
        const int64_t rtt = (r.rx_time - sent_at[seq]).count_ns();
        rtts_ns.push_back(rtt);
        if (!quiet)
            std::printf("%zu bytes from %s: icmp_seq=%u time=%.3f us\n", r.data.size(), dst.to_string().c_str(), seq,
                        double(rtt) / 1e3);
    }

    void send(tachyon::instant now) {
        const auto seq = uint16_t(sent);
        for (size_t i = 0; i < size; ++i) payload[i] = pattern(seq, i);
        sent_at[seq] = now;
        if (net->send_echo_request(dst, identifier, seq, payload, now) != tachyon::errc::ok) ++send_errors;
        ++sent;
    }
};

double percentile(const std::vector<int64_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = size_t(p / 100.0 * double(sorted.size() - 1) + 0.5);
    return double(sorted[std::min(rank, sorted.size() - 1)]) / 1e3;
}

tachyon::result<void> parse_count(std::string_view v, uint32_t& out, uint32_t max) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || n > max)
        return tachyon::make_error(tachyon::errc::invalid_argument, "expected a whole number up to " + std::to_string(max));
    out = n;
    return {};
}

} // namespace

int main(int argc, char** argv) {
    tachyon::backend_options options;
    std::optional<tachyon::ipv4_address> dst;
    uint32_t count = 10;
    uint32_t size = 56;
    tachyon::duration interval = tachyon::duration::s(1);
    tachyon::duration timeout = tachyon::duration::s(2);
    bool quiet = false;
    tachyon::cli cli("tachyon-ping", "Sends ICMP echo requests from the tachyon stack and checks every reply.");
    tachyon::add_backend_flags(cli, options);
    cli.option("dst", "A.B.C.D", "the address to ping (required)", [&](std::string_view v) -> tachyon::result<void> {
        dst = tachyon::ipv4_address::parse(v);
        if (!dst) return tachyon::make_error(tachyon::errc::invalid_argument, "expected an IPv4 address like 198.18.0.1");
        return {};
    });
    cli.option("count", "N", "requests to send (default 10, at most 65536)",
               [&](std::string_view v) { return parse_count(v, count, 65536); });
    cli.option("interval", "SECONDS", "time between requests (default 1)", [&](std::string_view v) -> tachyon::result<void> {
        auto d = tachyon::parse_seconds(v);
        if (!d) return tachyon::make_error(tachyon::errc::invalid_argument, "expected a number of seconds");
        interval = *d;
        return {};
    });
    cli.option("size", "BYTES", "echo data bytes per request (default 56, at most 1472)",
               [&](std::string_view v) { return parse_count(v, size, 1472); });
    cli.option("timeout", "SECONDS", "how long to wait for a reply after the last request (default 2)",
               [&](std::string_view v) -> tachyon::result<void> {
                   auto d = tachyon::parse_seconds(v);
                   if (!d) return tachyon::make_error(tachyon::errc::invalid_argument, "expected a number of seconds");
                   timeout = *d;
                   return {};
               });
    cli.toggle("quiet", "print only the summary", [&] { quiet = true; });
    auto parsed = cli.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-ping: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == tachyon::cli_outcome::help) return 0;
    if (!dst) {
        std::fprintf(stderr, "tachyon-ping: --dst is required, like --dst 198.18.0.1\n");
        return 2;
    }
    if (count == 0) {
        std::fprintf(stderr, "tachyon-ping: --count must be at least 1\n");
        return 2;
    }
    auto rt = tachyon::runtime::open(options);
    if (!rt) {
        std::fprintf(stderr, "tachyon-ping: %s\n", rt.err().message.c_str());
        return 1;
    }
    pinger p;
    p.net = &rt.value()->net();
    p.dst = *dst;
    p.identifier = uint16_t(::getpid());
    p.count = count;
    p.size = size;
    p.quiet = quiet;
    p.sent_at.resize(count);
    p.replies.resize(count);
    p.rtts_ns.reserve(count);
    p.payload.resize(size);
    p.net->on_echo_reply(&pinger::on_reply, &p);
    std::printf("PING %s: %u data bytes, %u requests\n", dst->to_string().c_str(), size, count);
    std::fflush(stdout);

    tachyon::instant next{};
    tachyon::instant last_sent{};
    bool started = false;
    bool stopping = false;
    auto stop = [&] {
        // The runtime's loop stops on SIGTERM; asking for one is how a program ends it early.
        if (!stopping) tachyon::request_stop();
        stopping = true;
    };
    int code = rt.value()->run([&](tachyon::instant now) {
        if (stopping) return;
        if (!started) {
            p.send(now); // also resolves the destination
            last_sent = now;
            next = now + timeout;
            started = true;
            return;
        }
        if (p.sent < count) {
            // The first reply (ARP resolved) or its timeout starts the regular train.
            if (p.sent == 1 && p.received + p.corrupt > 0 && next > now + interval) next = now;
            if (now >= next) {
                p.send(now);
                last_sent = now;
                next = now + interval;
            }
            return;
        }
        if (p.received + p.corrupt >= count || now >= last_sent + timeout) stop();
    });
    if (code != 0) return code;

    std::vector<int64_t> sorted = p.rtts_ns;
    std::sort(sorted.begin(), sorted.end());
    const double loss = 100.0 * double(count - p.received) / double(count);
    std::printf("--- %s tachyon-ping statistics ---\n", dst->to_string().c_str());
    std::printf("%u packets transmitted, %u received, %u duplicates, %u corrupt, %.1f%% packet loss, %u send errors\n",
                p.sent, p.received, p.duplicates, p.corrupt, loss, p.send_errors);
    if (!sorted.empty()) {
        double sum = 0;
        for (auto v : sorted) sum += double(v);
        std::printf("rtt min/avg/max = %.3f/%.3f/%.3f us\n", double(sorted.front()) / 1e3,
                    sum / double(sorted.size()) / 1e3, double(sorted.back()) / 1e3);
        std::printf("rtt p50/p90/p99/p99.9 = %.3f/%.3f/%.3f/%.3f us\n", percentile(sorted, 50), percentile(sorted, 90),
                    percentile(sorted, 99), percentile(sorted, 99.9));
    }
    std::fflush(stdout);
    const bool ok = p.received == count && p.corrupt == 0 && p.duplicates == 0;
    return ok ? 0 : 1;
}
