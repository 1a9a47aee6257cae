/// tachyon-bench: the measurements behind docs/BENCHMARKS.md (tools/bench/run drives it).
///
///     tachyon-bench MODE [flags]       (tachyon-bench MODE --help lists the flags)
///
/// Modes (DPDK ones take the shared backend flags: --dpdk "EAL ARGS", --core N, --ip, --mac, --arp):
///   raw-pingpong --role server|client   L2 frames bounced over DPDK with no stack: the floor
///   udp-pingpong | icmp-pingpong        a client stack against a server stack (closed loop, or
///                                       open loop at --rate with latency from the scheduled time)
///   tcp-pingpong                        the same over TCP (a client connection to stack-server)
///   stack-server                        the server stack for them: UDP and TCP echo on --port, ICMP echo
///   blast                               raw DPDK sender of pre-built UDP frames (for the rx rate)
///   rx-drop                             raw DPDK receive-and-drop: datagrams per second
///   udp-rx                              the stack receiving the same datagrams into a callback
///   tcp-stream --role server|client     TCP bulk transfer, one direction: the client sends MSS-sized
///                                       segments as fast as the windows allow, the server (a sink)
///                                       measures bytes and segments per second over its window
///   mem-pingpong --proto udp|icmp|tcp   two stacks over the in-process memory link (callgrind)
///   mem-mcast-rx --burst N              multicast datagrams received over the memory link (callgrind)
///
/// Every mode prints one JSON object on stdout (what tools/bench/run reads) and a human summary
/// on stderr. Allocation and system-call counts cover only the measured phase of the thread
/// that runs the stack (hooks.hpp).
///
/// This file holds the mode table; the harness (options, clock, report) is in harness.hpp,
/// options.hpp and report.hpp, and each mode (or family of modes) in its own file (modes.hpp).

#include <cstdio>
#include <string>

#include "tools/bench/modes.hpp"
#include "tools/bench/options.hpp"

namespace {

using namespace tachyon::bench;

/// Whose address a mode's stack takes when --ip is not given.
enum class side {
    client,  ///< --src
    server,  ///< --dst
    by_role, ///< --dst with --role server, else --src
};

/// One mode of the table.
struct mode {
    const char* name;                 ///< the first argument
    int (*run)(const bench_options&); ///< its entry point (null: raw, and this build has no DPDK)
    side address;                     ///< its default address
    bool raw;                         ///< a raw DPDK mode: needs DPDK and the stop signals from the start
};

/// udp-pingpong.
int pingpong_udp(const bench_options& o) { return stack_client(o, proto::udp); }
/// icmp-pingpong.
int pingpong_icmp(const bench_options& o) { return stack_client(o, proto::icmp); }
/// tcp-pingpong: the client stack with or without delayed ACKs (--delayed-ack).
int pingpong_tcp(const bench_options& o) {
    bench_options tcp = o;
    tcp.backend.stack.tcp.delayed_ack = o.delayed_ack;
    return stack_client(tcp, proto::tcp);
}
/// tcp-stream: the sink or the sender.
int tcp_stream(const bench_options& o) {
    return o.role == "server" ? tcp_stream_server(o) : tcp_stream_client(o);
}

#ifdef TACHYON_HAVE_DPDK
/// raw-pingpong: the bouncer or the timer.
int raw_pingpong(const bench_options& o) { return o.role == "server" ? raw_server(o) : raw_client(o); }
/// A raw mode's entry point, in a build with DPDK.
#define TACHYON_BENCH_RAW(f) f
#else
/// A raw mode's entry point, in a build without DPDK: none.
#define TACHYON_BENCH_RAW(f) nullptr
#endif

/// Every mode, in the order the usage lists them.
const mode modes[] = {
    {"raw-pingpong", TACHYON_BENCH_RAW(raw_pingpong), side::client, true},
    {"udp-pingpong", pingpong_udp, side::client, false},
    {"icmp-pingpong", pingpong_icmp, side::client, false},
    {"stack-server", stack_server, side::server, false},
    {"blast", TACHYON_BENCH_RAW(raw_blast), side::client, true},
    {"rx-drop", TACHYON_BENCH_RAW(raw_drop), side::server, true},
    {"udp-rx", stack_rx, side::server, false},
    {"mem-pingpong", mem_pingpong, side::client, false},
    {"mem-mcast-rx", mem_mcast_rx, side::server, false},
    {"tcp-pingpong", pingpong_tcp, side::client, false},
    {"tcp-stream", tcp_stream, side::by_role, false},
    {"jitter", jitter, side::client, false},
    {"selftest-counters", selftest_counters, side::client, false},
};

/// Says what is wrong and how the command line goes; exit code 2.
int usage_error(const std::string& what) {
    std::string names;
    for (const mode& m : modes) names += std::string(names.empty() ? "" : ", ") + m.name;
    std::fprintf(stderr, "tachyon-bench: %s\n", what.c_str());
    std::fprintf(stderr, "usage: tachyon-bench MODE [flags]; MODE one of %s (MODE --help for flags)\n",
                 names.c_str());
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return usage_error("the first argument is the mode");
    bench_options o;
    o.mode = argv[1];
    if (auto exit_code = parse_options(argc, argv, o)) return *exit_code;
    const mode* m = nullptr;
    for (const mode& x : modes)
        if (o.mode == x.name) m = &x;
    if (m == nullptr) return usage_error("unknown mode " + o.mode);
    if (!o.backend.have_ip) {
        // The stack modes need an address; default to the role's usual one.
        const bool serverish =
            m->address == side::server || (m->address == side::by_role && o.role == "server");
        o.backend.stack.address = tachyon::ipv4_cidr{serverish ? o.dst : o.src, 24};
        o.backend.have_ip = true;
    }
    if (m->raw) {
        if (m->run == nullptr)
            return usage_error("this build has no DPDK (configure found no libdpdk): raw modes need it");
        tachyon::install_stop_signals();
    }
    return m->run(o);
}
