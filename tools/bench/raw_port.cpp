#include "tools/bench/raw_port.hpp"

#include <time.h>

#include <algorithm>

namespace tachyon::bench {

raw_port::~raw_port() {
    if (started) {
        rte_eth_dev_stop(port);
        rte_eth_dev_close(port);
    }
    if (pool != nullptr) rte_mempool_free(pool);
}

result<void> raw_port::open(const bench_options& o, double link_wait_s) {
    auto args = eal_args_with_core(o.backend.dpdk_args, o.backend.core);
    if (!args) return args.err();
    auto e = eal_session::acquire(*args);
    if (!e) return e.err();
    eal = std::move(e.value());
    port = o.backend.port;
    if (!rte_eth_dev_is_valid_port(port)) return make_error(errc::invalid_argument, "no such DPDK port");
    const int socket = std::max(0, rte_eth_dev_socket_id(port));
    pool = rte_pktmbuf_pool_create("bench_raw", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool == nullptr) return make_error(errc::no_buffer, "cannot create the mbuf pool");
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(port, 1, 1, &conf) != 0)
        return make_error(errc::invalid_argument, "rte_eth_dev_configure");
    uint16_t rxd = 1024, txd = 1024;
    rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
    if (rte_eth_rx_queue_setup(port, 0, rxd, unsigned(socket), nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(port, 0, txd, unsigned(socket), nullptr) != 0)
        return make_error(errc::invalid_argument, "queue setup");
    if (rte_eth_dev_start(port) != 0) return make_error(errc::invalid_argument, "rte_eth_dev_start");
    started = true;
    rte_eth_macaddr_get(port, &mac);
    const int64_t until = now_ns() + int64_t(link_wait_s * 1e9);
    for (;;) {
        rte_eth_link link{};
        rte_eth_link_get_nowait(port, &link);
        if (link.link_status == RTE_ETH_LINK_UP) break;
        if (now_ns() > until || stop_requested())
            return make_error(errc::unreachable, "link did not come up");
        timespec ts{0, 1'000'000};
        ::nanosleep(&ts, nullptr);
    }
    return {};
}

} // namespace tachyon::bench
