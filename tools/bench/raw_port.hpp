#pragma once
/// A DPDK port with no stack, for the raw modes (raw-pingpong, blast, rx-drop): one receive and
/// one transmit queue on its own mbuf pool, started and with its link up. Built only with DPDK.

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <memory>

#include "stack/device/dpdk/dpdk_device.hpp"
#include "stack/device/dpdk/eal.hpp"
#include "tools/bench/harness.hpp"

namespace tachyon::bench {

/// IEEE's local experimental EtherType: the raw ping-pong's frames.
constexpr uint16_t raw_ethertype = 0x88B5;
/// The sequence number that tells the raw ping-pong server to stop.
constexpr uint64_t stop_seq = UINT64_MAX;

/// The port of --port on the EAL of --dpdk, stopped, closed and its pool freed on destruction.
struct raw_port {
    std::shared_ptr<eal_session> eal; ///< the EAL, held while the port lives
    rte_mempool* pool = nullptr;      ///< the port's mbufs
    uint16_t port = 0;                ///< the DPDK port id
    bool started = false;             ///< rte_eth_dev_start succeeded
    rte_ether_addr mac{};             ///< the port's MAC

    raw_port() = default;
    raw_port(const raw_port&) = delete;
    raw_port& operator=(const raw_port&) = delete;
    /// Stops and closes the port and frees its pool.
    ~raw_port();

    /// Configures and starts the port and waits up to `link_wait_s` for its link.
    result<void> open(const bench_options& o, double link_wait_s = 30);
};

} // namespace tachyon::bench
