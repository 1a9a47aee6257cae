#pragma once
/// The devices' own settings that a configuration may change (keys tap-* and dpdk-*), with the
/// devices' defaults: tap_config (fallback/tap_device.hpp) and dpdk_config
/// (stack/device/dpdk/dpdk_device.hpp); unit tests check that the defaults agree.

#include <cstdint>

namespace tachyon {

/// The TAP device's (io_uring) settings.
struct tap_settings {
    uint16_t mtu = 1500;            ///< the link's MTU (set on the kernel side too)
    uint32_t rx_depth = 64;         ///< reads kept outstanding
    uint32_t pool_size = 4096;      ///< buffers in the device's pool
    uint32_t ring_entries = 256;    ///< submission queue entries (also the writes in flight)
    uint32_t sqpoll_idle_ms = 1000; ///< with --sqpoll: how long the kernel thread spins before it sleeps
};

/// The DPDK device's settings.
struct dpdk_settings {
    uint16_t rx_descriptors = 1024; ///< receive ring size (adjusted to the driver's limits)
    uint16_t tx_descriptors = 1024; ///< transmit ring size (adjusted to the driver's limits)
    uint32_t mbufs = 8191;          ///< mbufs in the pool
    uint16_t mtu = 1500;            ///< the port's MTU
    bool offloads = true;           ///< use the checksum offloads the port advertises
};

} // namespace tachyon
