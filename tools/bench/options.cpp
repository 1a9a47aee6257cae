#include "tools/bench/options.hpp"

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

namespace tachyon::bench {

namespace {

/// A whole number.
result<void> parse_u64(std::string_view v, uint64_t& out) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size()) return make_error(errc::invalid_argument, "expected a whole number");
    out = n;
    return {};
}
/// A non-negative number.
result<void> parse_double(std::string_view v, double& out) {
    try {
        size_t used = 0;
        out = std::stod(std::string(v), &used);
        if (used != v.size() || !(out >= 0)) throw 0;
    } catch (...) {
        return make_error(errc::invalid_argument, "expected a non-negative number");
    }
    return {};
}

} // namespace

std::optional<int> parse_options(int argc, char** argv, bench_options& o) {
    o.backend.backend = "dpdk";
    o.backend.log_level = "warn";
    tachyon::cli cli("tachyon-bench " + o.mode, "One benchmark of tachyon (tools/bench/run runs them all).");
    tachyon::add_backend_flags(cli, o.backend);
    auto u64 = [](uint64_t& dst) { return [&dst](std::string_view v) { return parse_u64(v, dst); }; };
    auto dbl = [](double& dst) { return [&dst](std::string_view v) { return parse_double(v, dst); }; };
    auto ip = [](ipv4_address& dst) {
        return [&dst](std::string_view v) -> result<void> {
            auto a = ipv4_address::parse(v);
            if (!a) return make_error(errc::invalid_argument, "expected an IPv4 address");
            dst = *a;
            return {};
        };
    };
    cli.option("delayed-ack", "0|1", "TCP client stack: delayed ACKs (RFC 1122 §4.2.3.2; default 0)",
               [&](std::string_view v) -> result<void> {
        if (v != "0" && v != "1") return make_error(errc::invalid_argument, "expected 0 or 1");
        o.delayed_ack = v == "1";
        return {};
    });
    cli.option("tcp-buffer", "BYTES", "TCP send and receive buffers of the stack (default: the stack's, 64 KiB)",
               [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n < 4096 || n > (64u << 20))
            return make_error(errc::invalid_argument, "expected 4096 to 64 MiB");
        o.backend.stack.tcp.send_buffer = o.backend.stack.tcp.receive_buffer = size_t(n);
        return {};
    });
    cli.option("role", "server|client", "raw-pingpong, tcp-stream: which end", [&](std::string_view v) -> result<void> {
        if (v != "server" && v != "client") return make_error(errc::invalid_argument, "expected server or client");
        o.role = std::string(v);
        return {};
    });
    cli.option("proto", "udp|icmp|tcp", "mem-pingpong: the protocol", [&](std::string_view v) -> result<void> {
        if (v != "udp" && v != "icmp" && v != "tcp") return make_error(errc::invalid_argument, "expected udp, icmp or tcp");
        o.proto = std::string(v);
        return {};
    });
    cli.option("burst", "N", "mem-mcast-rx: datagrams per receiver poll, 1 to 32 (default 1)",
               [&](std::string_view v) -> result<void> {
        if (auto ok = parse_u64(v, o.burst); !ok || o.burst < 1 || o.burst > 32)
            return make_error(errc::invalid_argument, "expected 1 to 32");
        return {};
    });
    cli.option("count", "N", "measured messages (blast: frames at most)", u64(o.count));
    cli.option("warmup", "N", "messages before the measurement starts", u64(o.warmup));
    cli.option("size", "BYTES", "payload bytes (default 64)", [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n < 8 || n > 1472)
            return make_error(errc::invalid_argument, "expected 8 to 1472 (a 1514-byte frame)");
        o.size = uint32_t(n);
        return {};
    });
    cli.option("rate", "PER_SECOND", "open loop at this rate (default: closed loop)", dbl(o.rate));
    cli.option("seconds", "S", "rx modes: measured window; servers and blast: longest run", dbl(o.seconds));
    cli.option("warmup-seconds", "S", "rx modes: time after the first datagram before measuring", dbl(o.warmup_seconds));
    cli.option("dst", "A.B.C.D", "the peer's address (default 198.18.0.2)", ip(o.dst));
    cli.option("src", "A.B.C.D", "blast and mem-pingpong: the sender's address (default 198.18.0.1)", ip(o.src));
    cli.option("udp-port", "PORT", "UDP port of the server / receiver (default 7000; --port is the DPDK ethdev port)", [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n == 0 || n > 65000) return make_error(errc::invalid_argument, "expected a port");
        o.port = uint16_t(n);
        return {};
    });
    cli.option("group", "GROUP", "blast / udp-rx / mem-mcast-rx: a multicast group instead of unicast", [&](std::string_view v) -> result<void> {
        auto g = ipv4_address::parse(v);
        if (!g || !g->is_multicast()) return make_error(errc::invalid_argument, "expected a multicast group");
        o.group = *g;
        return {};
    });
    cli.option("peer-mac", "MAC", "raw modes: the MAC frames are sent to", [&](std::string_view v) -> result<void> {
        auto m = mac_address::parse(v);
        if (!m) return make_error(errc::invalid_argument, "expected a MAC");
        o.peer_mac = *m;
        return {};
    });
    cli.option("cdf", "FILE", "write the latency CDF (ns, fraction) here", [&](std::string_view v) -> result<void> {
        o.cdf_path = std::string(v);
        return {};
    });
    cli.option("collect", "server|client|both|none", "mem-pingpong, mem-mcast-rx (server: the receiver): what callgrind collects (run under callgrind "
               "with --collect-atstart=no)", [&](std::string_view v) -> result<void> {
        if (v != "server" && v != "client" && v != "both" && v != "none")
            return make_error(errc::invalid_argument, "expected server, client, both or none");
        o.collect = std::string(v);
        return {};
    });
    auto parsed = cli.parse(argc - 1, argv + 1);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-bench: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == tachyon::cli_outcome::help) return 0;
    return std::nullopt;
}

} // namespace tachyon::bench
