#pragma once
/// What a user chooses about the AF_XDP device (`--backend xdp`): the interface, the queue,
/// copy or zero-copy, native or generic attach, busy polling, the UMEM's size. Plain values
/// with no dependency on libxdp, so the shared command line declares them in every build
/// (a build without AF_XDP then says so instead of not knowing the flags).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tachyon {

/// How frames move between the NIC and the UMEM.
enum class xdp_copy_mode : uint8_t {
    automatic, ///< zero copy when the driver can, else copy (the choice is logged)
    copy,      ///< the kernel copies each frame (every driver)
    zerocopy,  ///< the NIC DMAs into the UMEM; fails when the driver cannot
};

/// Where the steering program runs.
enum class xdp_attach_mode : uint8_t {
    automatic, ///< native when the driver has XDP, else generic (the choice is logged)
    native,    ///< in the driver, before any socket buffer exists
    skb,       ///< generic XDP, after the kernel built the socket buffer (every driver)
};

/// The AF_XDP device's options (`--iface`, `--xdp-*`).
struct xdp_options {
    std::string iface;                               ///< --iface NAME: the interface to share
    uint32_t queue = 0;                              ///< --xdp-queue N: the receive/transmit queue
    xdp_copy_mode copy = xdp_copy_mode::automatic;   ///< --xdp-mode auto|copy|zerocopy
    xdp_attach_mode attach = xdp_attach_mode::automatic; ///< --xdp-attach auto|native|skb
    uint32_t busy_poll_us = 0;                       ///< --xdp-busy-poll USEC: SO_BUSY_POLL (0: off)
    uint32_t frames = 8192;                          ///< --xdp-frames N: UMEM frames of 2048 bytes
};

/// Parses auto|copy|zerocopy.
inline std::optional<xdp_copy_mode> parse_xdp_copy_mode(std::string_view v) {
    if (v == "auto") return xdp_copy_mode::automatic;
    if (v == "copy") return xdp_copy_mode::copy;
    if (v == "zerocopy") return xdp_copy_mode::zerocopy;
    return std::nullopt;
}

/// Parses auto|native|skb.
inline std::optional<xdp_attach_mode> parse_xdp_attach_mode(std::string_view v) {
    if (v == "auto") return xdp_attach_mode::automatic;
    if (v == "native") return xdp_attach_mode::native;
    if (v == "skb") return xdp_attach_mode::skb;
    return std::nullopt;
}

} // namespace tachyon
