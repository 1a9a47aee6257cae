#pragma once
/// Opens the device that --backend names: tap, dpdk, xdp, or auto (DPDK when a port is usable,
/// else AF_XDP when built and --iface allows it, else the TAP fallback; one log line says which
/// and why, and --strict makes anything but DPDK an error). Control path only.

#include <memory>
#include <string>

#include "api/cli.hpp"
#include "stack/core/result.hpp"
#include "stack/device/device.hpp"

namespace tachyon {

/// A device and the backend it is (tap, dpdk or xdp: --backend auto says which it chose).
struct opened_backend {
    std::unique_ptr<device> dev; ///< the device
    std::string backend;         ///< which backend it is
};

/// Opens the backend `options` ask for; the error says what failed and what to do.
result<opened_backend> open_backend(const backend_options& options);

/// Why DPDK cannot be tried without EAL arguments on this machine ("" when a NIC is bound to a
/// DPDK driver: vfio-pci, uio_pci_generic or igb_uio).
std::string dpdk_unusable_without_args();

} // namespace tachyon
