/// The keys every program takes (`add_backend_flags`): the backend and its device, the
/// stack's addresses, capture, stats, logging, and every stack_config field (add_stack_keys).

#include <charconv>

#include "api/cli.hpp"
#include "api/config_keys.hpp"
#include "api/stat_segment.hpp"
#include "stack/core/log.hpp"

namespace tachyon {

namespace {

error bad(std::string text) { return make_error(errc::invalid_argument, std::move(text)); }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

} // namespace

void add_backend_flags(cli& c, backend_options& o) {
    c.key(shared_key("backend", "tap|dpdk|xdp|auto", "tap, dpdk, xdp or auto",
                     "the device: tap (io_uring over a TAP interface), dpdk, xdp (AF_XDP on --iface), or auto "
                     "(dpdk if a port is usable, else xdp if built and --iface allows it, else tap)",
                     [&o](std::string_view v) -> result<void> {
        if (v != "tap" && v != "dpdk" && v != "xdp" && v != "auto") return bad("must be tap, dpdk, xdp or auto");
        o.backend = std::string(v);
        return {};
    }, [&o] { return o.backend; }));
    c.key(bool_key("strict", "", o.strict, "with --backend auto: falling back from dpdk is an error, not a log line"));
    c.key(shared_key("tap", "NAME", "1 to 15 characters", "TAP interface to create or attach to", [&o](std::string_view v) -> result<void> {
        if (v.empty() || v.size() > 15) return bad("an interface name has 1 to 15 characters");
        o.tap = std::string(v);
        return {};
    }, [&o] { return o.tap; }));
    c.key(shared_key("dpdk", "\"EAL ARGS\"", "", "DPDK EAL arguments (with --backend dpdk or auto)", [&o](std::string_view v) -> result<void> {
        o.dpdk_args = std::string(v);
        return {};
    }, [&o] { return o.dpdk_args; }));
    config_key ip = shared_key("ip", "A.B.C.D/N", "a unicast host address with a prefix of 1 to 32",
                               "the stack's address and subnet (required)", [&o](std::string_view v) -> result<void> {
        auto cidr = ipv4_cidr::parse(v);
        if (!cidr || v.find('/') == std::string_view::npos) return bad("expected an address with a prefix, like 198.18.0.2/24");
        o.stack.address = *cidr;
        o.have_ip = true;
        return {};
    }, [&o] { return o.have_ip ? o.stack.address.to_string() : std::string(); });
    ip.field = "address";
    c.key(std::move(ip));
    config_key gw = shared_key("gateway", "A.B.C.D", "a unicast address on the subnet", "default router, resolved at start-up",
                               [&o](std::string_view v) -> result<void> {
        auto a = ipv4_address::parse(v);
        if (!a) return bad("expected an IPv4 address like 198.18.0.1");
        o.stack.gateway = *a;
        return {};
    }, [&o] { return o.stack.gateway ? o.stack.gateway->to_string() : std::string(); });
    gw.field = "gateway";
    c.key(std::move(gw));
    config_key arp = shared_key("arp", "IP=MAC", "", "static neighbour entry, never aged", [&o](std::string_view v) -> result<void> {
        auto eq = v.find('=');
        if (eq == std::string_view::npos) return bad("expected IP=MAC, like 198.18.0.1=02:00:00:00:00:01");
        auto ip = ipv4_address::parse(v.substr(0, eq));
        auto mac = mac_address::parse(v.substr(eq + 1));
        if (!ip) return bad(quoted(v.substr(0, eq)) + " is not an IPv4 address");
        if (!mac) return bad(quoted(v.substr(eq + 1)) + " is not a MAC address like 02:00:00:00:00:01");
        o.stack.static_arp.push_back({*ip, *mac});
        return {};
    }, {});
    arp.field = "static_arp";
    arp.repeatable = true;
    c.key(std::move(arp));
    config_key mac = shared_key("mac", "MAC", "a unicast MAC", "the stack's MAC (default: the device's, or random on a TAP)",
                                [&o](std::string_view v) -> result<void> {
        auto m = mac_address::parse(v);
        if (!m) return bad("expected a MAC address like 02:00:00:00:00:02");
        o.stack.mac = *m;
        return {};
    }, [&o] { return o.stack.mac ? o.stack.mac->to_string() : std::string(); });
    mac.field = "mac";
    c.key(std::move(mac));
    add_pcap_flags(c, o);
    c.key(shared_key("stats", "FILE", "", "write the counters as JSON at exit and every --stats-interval",
                     [&o](std::string_view v) -> result<void> {
        if (v.empty()) return bad("expected a file name");
        o.stats_path = std::string(v);
        return {};
    }, [&o] { return o.stats_path.value_or(""); }));
    c.key(seconds_key("stats-interval", "", o.stats_interval, duration::ns(1), duration::s(86400),
                      "how often --stats is rewritten"));
    c.key(shared_key("name", "NAME", "1 to 48 letters, digits, '.', '_' or '-', not starting with '.'",
                     "this stack's name for tachyon-stat: /dev/shm/tachyon-NAME (default PROGRAM-PID)",
                     [&o](std::string_view v) -> result<void> {
        if (!stat_name_valid(v)) return bad("1 to 48 letters, digits, '.', '_' or '-', not starting with '.'");
        o.name = std::string(v);
        return {};
    }, [&o] { return o.name; }));
    c.key(shared_key("log-level", "LEVEL", "trace, debug, info, warn, error or off", "how much the program logs",
                     [&o](std::string_view v) -> result<void> {
        if (!set_log_level(v)) return bad("expected trace, debug, info, warn, error or off");
        o.log_level = std::string(v);
        return {};
    }, [&o] { return o.log_level; }));
    c.key(shared_key("duration", "SECONDS", "0 or more", "stop by itself after this long (default: run until a signal)",
                     [&o](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d) return bad("expected a number of seconds");
        o.run_for = *d;
        return {};
    }, [&o] { return o.run_for ? format_seconds(*o.run_for) : std::string(); }));
    c.key(bool_key("idle", "", o.idle, "sleep briefly when nothing arrives instead of busy-polling"));
    c.key(bool_key("sqpoll", "", o.sqpoll, "TAP backend: io_uring SQPOLL mode, no system calls in steady state"));
    c.key(count_key("port", "", o.port, 0, 65534, "N", "DPDK backend: the ethdev port to use"));
    c.key(shared_key("core", "N", "0 to 1023", "DPDK backend: the lcore that runs the stack (-l N, or --main-lcore N when --dpdk has -l)",
                     [&o](std::string_view v) -> result<void> {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || n >= 1024) return bad("expected an lcore number");
        o.core = n;
        return {};
    }, [&o] { return o.core ? std::to_string(*o.core) : std::string(); }));
    auto& t = o.tap_device;
    c.key(count_key("tap-mtu", "", t.mtu, 68, 9000, "bytes", "TAP backend: the link's MTU (set on the kernel side too)"));
    c.key(count_key("tap-rx-depth", "", t.rx_depth, 1, 4096, "reads", "TAP backend: io_uring reads kept outstanding"));
    c.key(count_key("tap-pool-size", "", t.pool_size, 64, 1u << 20, "buffers", "TAP backend: buffers in the device's pool"));
    c.key(count_key("tap-ring-entries", "", t.ring_entries, 8, 32768, "entries",
                    "TAP backend: io_uring submission queue entries (also the writes in flight)"));
    c.key(count_key("tap-sqpoll-idle", "", t.sqpoll_idle_ms, 1, 60000, "ms",
                    "TAP backend with --sqpoll: how long the kernel thread spins before it sleeps"));
    auto& d = o.dpdk_device;
    c.key(count_key("dpdk-rx-descriptors", "", d.rx_descriptors, 32, 32768, "descriptors",
                    "DPDK backend: receive ring size (adjusted to the driver's limits)"));
    c.key(count_key("dpdk-tx-descriptors", "", d.tx_descriptors, 32, 32768, "descriptors",
                    "DPDK backend: transmit ring size (adjusted to the driver's limits)"));
    c.key(count_key("dpdk-mbufs", "", d.mbufs, 1023, 1u << 24, "mbufs", "DPDK backend: mbufs in the pool (2^n - 1 is best)"));
    c.key(count_key("dpdk-mtu", "", d.mtu, 68, 9000, "bytes", "DPDK backend: the port's MTU"));
    c.key(bool_key("dpdk-offloads", "", d.offloads, "DPDK backend: use the checksum offloads the port advertises (false: software sums)"));
    add_stack_keys(c, o.stack);
    add_xdp_flags(c, o.xdp);
}

result<void> backend_options::validate() const {
    if (!have_ip) return bad("--ip is required (or ip in the --config file or TACHYON_CONFIG), like --ip 198.18.0.2/24");
    if (backend == "dpdk" && dpdk_args.empty()) return bad("--backend dpdk needs --dpdk \"EAL ARGS\"");
    if (backend == "xdp" && xdp.iface.empty()) return bad("--backend xdp needs --iface NAME (the interface to share)");
    if (!capture_flag.empty() && !pcap) return bad("--" + capture_flag + " needs --pcap FILE");
    if (auto ok = stack.validate(); !ok) return ok;
    return {};
}

} // namespace tachyon
