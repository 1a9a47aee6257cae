#include "api/backend_open.hpp"

#include <filesystem>

#include "fallback/tap_device.hpp"
#ifdef TACHYON_HAVE_DPDK
#include "stack/device/dpdk/dpdk_device.hpp"
#endif
#ifdef TACHYON_HAVE_XDP
#include "stack/device/xdp/xdp_device.hpp"
#endif
#include "stack/core/log.hpp"

namespace tachyon {

namespace {

result<opened_backend> open_one(const backend_options& o, const std::string& backend) {
    if (backend == "tap") {
        tap_config tc;
        tc.name = o.tap;
        if (o.stack.mac) tc.mac = *o.stack.mac;
        tc.sqpoll = o.sqpoll;
        tc.mtu = o.tap_device.mtu;
        tc.rx_depth = o.tap_device.rx_depth;
        tc.pool_size = o.tap_device.pool_size;
        tc.ring_entries = o.tap_device.ring_entries;
        tc.sqpoll_idle_ms = o.tap_device.sqpoll_idle_ms;
        auto dev = tap_device::open(tc);
        if (!dev) return dev.err();
        return opened_backend{std::move(dev.value()), backend};
    }
    if (backend == "xdp") {
#ifdef TACHYON_HAVE_XDP
        xdp_config xc;
        xc.options = o.xdp;
        xc.address = o.stack.address.address;
        xc.mac = o.stack.mac;
        auto dev = xdp_device::open(xc);
        if (!dev) return dev.err();
        return opened_backend{std::move(dev.value()), backend};
#else
        return make_error(errc::invalid_argument,
                          "--backend xdp: this build has no AF_XDP device (configure found no libxdp/libbpf or "
                          "clang: install libxdp-dev libbpf-dev clang-14 and reconfigure)");
#endif
    }
#ifdef TACHYON_HAVE_DPDK
    dpdk_config dc;
    dc.eal_args = o.dpdk_args;
    dc.port = o.port;
    dc.core = o.core;
    dc.mac = o.stack.mac;
    dc.rx_descriptors = o.dpdk_device.rx_descriptors;
    dc.tx_descriptors = o.dpdk_device.tx_descriptors;
    dc.mbufs = o.dpdk_device.mbufs;
    dc.mtu = o.dpdk_device.mtu;
    dc.offloads = o.dpdk_device.offloads;
    auto dev = dpdk_device::open(dc);
    if (!dev) return dev.err();
    return opened_backend{std::move(dev.value()), backend};
#else
    return make_error(errc::invalid_argument,
                      "--backend dpdk: this build has no DPDK device (configure found no libdpdk: "
                      "install libdpdk-dev and reconfigure); use --backend tap");
#endif
}

/// Why DPDK is not used (`false` with the reason), or true when it is worth opening.
bool dpdk_worth_trying(const backend_options& o, std::string& why) {
#ifndef TACHYON_HAVE_DPDK
    (void)o;
    why = "this build has no DPDK device";
    return false;
#else
    if (!o.dpdk_args.empty()) return true;
    why = dpdk_unusable_without_args();
    return why.empty();
#endif
}

/// Why AF_XDP is not used (`false` with the reason), or true when it is worth opening.
bool xdp_worth_trying(const backend_options& o, std::string& why) {
#ifndef TACHYON_HAVE_XDP
    (void)o;
    why = "this build has no AF_XDP device";
    return false;
#else
    if (!o.xdp.iface.empty()) return true;
    why = "no --iface to share";
    return false;
#endif
}

result<opened_backend> open_auto(const backend_options& o) {
    std::string dpdk_why, xdp_why;
    if (dpdk_worth_trying(o, dpdk_why)) {
        auto d = open_one(o, "dpdk");
        if (d) {
            log().info("backend auto: dpdk (port {} is usable)", o.port);
            return d;
        }
        dpdk_why = d.err().message;
    }
    if (o.strict)
        return make_error(errc::not_found, "--backend auto --strict: no usable DPDK port (" + dpdk_why + ")");
    if (xdp_worth_trying(o, xdp_why)) {
        auto x = open_one(o, "xdp");
        if (x) {
            log().info("backend auto: xdp on {} (dpdk: {})", o.xdp.iface, dpdk_why);
            return x;
        }
        xdp_why = x.err().message;
    }
    auto t = open_one(o, "tap");
    if (t) log().info("backend auto: tap {} (dpdk: {}; xdp: {})", o.tap, dpdk_why, xdp_why);
    return t;
}

} // namespace

std::string dpdk_unusable_without_args() {
    // A NIC bound to a DPDK-capable kernel driver is what the EAL would probe by default.
    namespace fs = std::filesystem;
    for (const char* driver : {"vfio-pci", "uio_pci_generic", "igb_uio"}) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(fs::path("/sys/bus/pci/drivers") / driver, ec))
            if (e.path().filename().string().find(':') != std::string::npos)
                return ""; // a PCI address: a device is bound
    }
    return "no --dpdk EAL arguments and no NIC bound to vfio-pci, uio_pci_generic or igb_uio";
}

result<opened_backend> open_backend(const backend_options& options) {
    if (options.backend == "auto") return open_auto(options);
    return open_one(options, options.backend);
}

} // namespace tachyon
