#pragma once
/// What every tachyon-bench mode shares: the options of one run (options.cpp parses them), the
/// clock, opening the runtime, failing with a message, and waiting without polling before exit.
/// The result line and the human summary are in report.hpp; each mode is in its own file
/// (modes.hpp lists them, main.cpp dispatches).

#include <time.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "stack/core/addr.hpp"
#include "stack/core/time.hpp"

namespace tachyon::bench {

/// The flags of one run (`tachyon-bench MODE --help` lists them).
struct bench_options {
    std::string mode;                  ///< the first argument
    std::string role = "client";       ///< --role: raw-pingpong, tcp-stream
    std::string proto = "udp";         ///< --proto: mem-pingpong
    uint64_t count = 100000;           ///< --count: measured messages
    uint64_t warmup = 10000;           ///< --warmup: messages before the measurement
    uint32_t size = 64;                ///< --size: UDP (or ICMP echo data) payload bytes
    double rate = 0;                   ///< --rate: open loop, messages per second (0: closed loop)
    double seconds = 2;                ///< --seconds: rx modes' measured window; servers' longest run
    double warmup_seconds = 0.3;       ///< --warmup-seconds: rx modes' time before the window opens
    ipv4_address dst{198, 18, 0, 2};   ///< --dst: the peer
    ipv4_address src{198, 18, 0, 1};   ///< --src: the sender (blast, mem-pingpong)
    uint16_t port = 7000;              ///< --port: the server's / receiver's port
    std::optional<ipv4_address> group; ///< --group: blast / udp-rx to a multicast group
    mac_address peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}}; ///< --peer-mac: raw modes
    std::string cdf_path;                                       ///< --cdf: where the latency CDF goes
    std::string collect = "none"; ///< --collect: mem-pingpong, server | client | both | none
    uint64_t burst = 1;           ///< --burst: mem-mcast-rx, datagrams sent before each receiver poll
    bool delayed_ack = false;     ///< --delayed-ack: TCP client (the next request carries the ACK)
    backend_options backend;      ///< the shared backend flags
};

/// The monotonic clock, in nanoseconds.
inline int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
/// The monotonic clock as the stack's `instant`.
inline instant now_instant() { return instant::from_ns(now_ns()); }

/// Waits without polling the device, until SIGINT/SIGTERM or `max_seconds` (see harness.cpp
/// for why every DPDK mode stops polling before it, or its peer, exits).
void linger(double max_seconds);

/// The end of a receiver's or sender's run once its window is over: says "WHO: window closed"
/// on stderr (the driver waits for that line before its SIGTERM) and lingers for up to 30 s
/// without polling; returns 0.
int window_closed(const char* who);

/// Prints "tachyon-bench: WHAT" on stderr and returns 1, a mode's exit code on failure.
int fail(const std::string& what);

/// The runtime of the backend flags (DPDK memif in the benchmarks); null after saying why.
std::unique_ptr<runtime> open_runtime(const bench_options& o);

} // namespace tachyon::bench
