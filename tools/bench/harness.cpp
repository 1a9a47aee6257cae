#include "tools/bench/harness.hpp"

#include <cstdio>

namespace tachyon::bench {

// DPDK 22.11's memif PMD unmaps the shared regions from its interrupt thread when the peer
// disconnects, with no synchronisation against the bursts of the polling thread
// (rte_eth_memif.c: memif_disconnect and memif_free_regions against eth_memif_rx/eth_memif_tx):
// a process still polling when its peer exits can fault inside librte_net_memif (seen twice,
// "segfault ... in librte_net_memif.so.23.0"). So every DPDK mode stops polling before it, or
// its peer, exits: servers and receivers once their window has closed (until the driver's
// SIGTERM), clients for a while after their last message.
void linger(double max_seconds) {
    const int64_t until = now_ns() + int64_t(max_seconds * 1e9);
    while (!tachyon::stop_requested() && now_ns() < until) {
        timespec ts{0, 5'000'000};
        ::nanosleep(&ts, nullptr);
    }
}

int window_closed(const char* who) {
    std::fprintf(stderr, "%s: window closed\n", who);
    linger(30); // until the driver has stopped the peer, then SIGTERM
    return 0;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "tachyon-bench: %s\n", what.c_str());
    return 1;
}

std::unique_ptr<runtime> open_runtime(const bench_options& o) {
    auto rt = runtime::open(o.backend);
    if (!rt) {
        fail(rt.err().message);
        return nullptr;
    }
    return std::move(rt.value());
}

} // namespace tachyon::bench
