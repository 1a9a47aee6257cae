#include "api/cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "api/stat_segment.hpp"
#include "stack/core/log.hpp"

namespace tachyon {

namespace {

error bad(std::string text) { return make_error(errc::invalid_argument, std::move(text)); }

std::string quoted(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.append(1, '\'').append(text).append(1, '\'');
    return out;
}

} // namespace

cli::cli(std::string program, std::string summary) : _program(std::move(program)), _summary(std::move(summary)) {
    toggle("help", "show this help and exit", [] {});
}

void cli::option(std::string name, std::string value_name, std::string help, setter set, bool repeatable) {
    _flags.push_back(flag{std::move(name), std::move(value_name), std::move(help), std::move(set), {}, repeatable});
}

void cli::toggle(std::string name, std::string help, std::function<void()> set) {
    _flags.push_back(flag{std::move(name), "", std::move(help), {}, std::move(set), false});
}

result<cli_outcome> cli::parse(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (!arg.starts_with("--") || arg.size() == 2)
            return bad("unexpected argument '" + std::string(arg) + "' (see --help)");
        arg.remove_prefix(2);
        std::optional<std::string_view> inline_value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        if (arg == "help") {
            std::fputs(usage().c_str(), stdout);
            return cli_outcome::help;
        }
        flag* f = nullptr;
        for (auto& candidate : _flags)
            if (candidate.name == arg) f = &candidate;
        if (f == nullptr) return bad("unknown flag --" + std::string(arg) + " (see --help)");
        if (f->seen && !f->repeatable) return bad("--" + f->name + " given twice");
        f->seen = true;
        if (f->on) {
            if (inline_value) return bad("--" + f->name + " takes no value");
            f->on();
            continue;
        }
        std::string_view value;
        if (inline_value) {
            value = *inline_value;
        } else {
            if (i + 1 >= argc) return bad("--" + f->name + " needs a value: --" + f->name + " " + f->value_name);
            value = argv[++i];
        }
        if (auto ok = f->set(value); !ok) return bad("--" + f->name + " " + std::string(value) + ": " + ok.err().message);
    }
    return cli_outcome::run;
}

std::string cli::usage() const {
    std::string out = "usage: " + _program + " [flags]\n" + _summary + "\n\nflags:\n";
    for (const auto& f : _flags) {
        std::string left = "  --" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
        if (left.size() < 28) left.resize(28, ' ');
        else left += "\n" + std::string(28, ' ');
        out += left + f.help + (f.repeatable ? " (repeatable)" : "") + "\n";
    }
    return out;
}

std::optional<duration> parse_seconds(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v >= 0) || v > 1e9) return std::nullopt;
    return duration::ns(int64_t(std::llround(v * 1e9)));
}

void add_backend_flags(cli& c, backend_options& o) {
    c.option("backend", "tap|dpdk|xdp", "the device: tap (io_uring over a TAP interface), dpdk, or xdp (AF_XDP on --iface)", [&o](std::string_view v) -> result<void> {
        if (v != "tap" && v != "dpdk" && v != "xdp") return bad("must be tap, dpdk or xdp");
        o.backend = std::string(v);
        return {};
    });
    c.option("tap", "NAME", "TAP interface to create or attach to (default tachyon0)", [&o](std::string_view v) -> result<void> {
        if (v.empty() || v.size() > 15) return bad("an interface name has 1 to 15 characters");
        o.tap = std::string(v);
        return {};
    });
    c.option("dpdk", "\"EAL ARGS\"", "DPDK EAL arguments (with --backend dpdk)", [&o](std::string_view v) -> result<void> {
        o.dpdk_args = std::string(v);
        return {};
    });
    c.option("ip", "A.B.C.D/N", "the stack's address and subnet (required)", [&o](std::string_view v) -> result<void> {
        auto cidr = ipv4_cidr::parse(v);
        if (!cidr || v.find('/') == std::string_view::npos) return bad("expected an address with a prefix, like 198.18.0.2/24");
        o.stack.address = *cidr;
        o.have_ip = true;
        return {};
    });
    c.option("gateway", "A.B.C.D", "default router, resolved at start-up", [&o](std::string_view v) -> result<void> {
        auto a = ipv4_address::parse(v);
        if (!a) return bad("expected an IPv4 address like 198.18.0.1");
        o.stack.gateway = *a;
        return {};
    });
    c.option("arp", "IP=MAC", "static neighbour entry, never aged", [&o](std::string_view v) -> result<void> {
        auto eq = v.find('=');
        if (eq == std::string_view::npos) return bad("expected IP=MAC, like 198.18.0.1=02:00:00:00:00:01");
        auto ip = ipv4_address::parse(v.substr(0, eq));
        auto mac = mac_address::parse(v.substr(eq + 1));
        if (!ip) return bad(quoted(v.substr(0, eq)) + " is not an IPv4 address");
        if (!mac) return bad(quoted(v.substr(eq + 1)) + " is not a MAC address like 02:00:00:00:00:01");
        o.stack.static_arp.push_back({*ip, *mac});
        return {};
    }, true);
    c.option("mac", "MAC", "the stack's MAC (default: the device's, or random on a TAP)", [&o](std::string_view v) -> result<void> {
        auto mac = mac_address::parse(v);
        if (!mac) return bad("expected a MAC address like 02:00:00:00:00:02");
        o.stack.mac = *mac;
        return {};
    });
    add_pcap_flags(c, o);
    c.option("stats", "FILE", "write the counters as JSON at exit and every --stats-interval", [&o](std::string_view v) -> result<void> {
        o.stats_path = std::string(v);
        return {};
    });
    c.option("stats-interval", "SECONDS", "how often --stats is rewritten (default 1)", [&o](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d || *d <= duration{}) return bad("expected a positive number of seconds");
        o.stats_interval = *d;
        return {};
    });
    c.option("name", "NAME", "this stack's name for tachyon-stat: /dev/shm/tachyon-NAME (default PROGRAM-PID)",
             [&o](std::string_view v) -> result<void> {
        if (!stat_name_valid(v)) return bad("1 to 48 letters, digits, '.', '_' or '-', not starting with '.'");
        o.name = std::string(v);
        return {};
    });
    c.option("log-level", "LEVEL", "trace, debug, info (default), warn, error or off", [&o](std::string_view v) -> result<void> {
        if (!set_log_level(v)) return bad("expected trace, debug, info, warn, error or off");
        o.log_level = std::string(v);
        return {};
    });
    c.option("duration", "SECONDS", "stop by itself after this long", [&o](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d) return bad("expected a number of seconds");
        o.run_for = *d;
        return {};
    });
    c.toggle("idle", "sleep briefly when nothing arrives instead of busy-polling", [&o] { o.idle = true; });
    c.toggle("sqpoll", "TAP backend: io_uring SQPOLL mode, no system calls in steady state", [&o] { o.sqpoll = true; });
    c.option("port", "N", "DPDK backend: the ethdev port to use (default 0)", [&o](std::string_view v) -> result<void> {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || n >= 65535) return bad("expected a port number from 0");
        o.port = uint16_t(n);
        return {};
    });
    c.option("core", "N", "DPDK backend: the lcore that runs the stack (-l N, or --main-lcore N when --dpdk has -l)",
             [&o](std::string_view v) -> result<void> {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || n >= 1024) return bad("expected an lcore number");
        o.core = n;
        return {};
    });
    c.option("tcp-rto-min", "SECONDS", "TCP: the retransmission timeout's floor (default 0.2; RFC 6298 says 1)",
             [&o](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d || *d <= duration{}) return bad("expected seconds above 0, like 0.01");
        o.stack.tcp.rto_min = *d;
        if (o.stack.tcp.rto_initial < *d) o.stack.tcp.rto_initial = *d;
        return {};
    });
    c.option("tcp-tlp-delayed-ack", "SECONDS",
             "TCP: how long the peer may delay an ACK, added to the tail loss probe's wait when one "
             "segment is in flight (default 0.2; 0 for a peer that ACKs at once)",
             [&o](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d) return bad("expected seconds, like 0.04");
        o.stack.tcp.tlp_delayed_ack = *d;
        return {};
    });
    add_xdp_flags(c, o.xdp);
}

result<void> backend_options::validate() const {
    if (!have_ip) return bad("--ip is required, like --ip 198.18.0.2/24");
    if (backend == "dpdk" && dpdk_args.empty()) return bad("--backend dpdk needs --dpdk \"EAL ARGS\"");
    if (backend == "xdp" && xdp.iface.empty()) return bad("--backend xdp needs --iface NAME (the interface to share)");
    if (!capture_flag.empty() && !pcap) return bad("--" + capture_flag + " needs --pcap FILE");
    if (auto ok = stack.validate(); !ok) return ok;
    return {};
}

} // namespace tachyon
