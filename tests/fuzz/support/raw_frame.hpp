#pragma once
/// Raw frames from the input, with what the input asks fixed up, so that arbitrary bytes can get
/// past the checksums to the code behind them. The fix-up byte's bits:
///   0 (`as_ipv4`)      the bytes are an IPv4 packet: frame it from the peer to our MAC
///   1 (`ip_header`)    version/IHL 0x45, total length the packet's, not a fragment, checksum right
///   2 (`addresses`)    source the peer, destination us
///   3 (`l4_checksum`)  the TCP, UDP, ICMP or IGMP checksum right
///   4 (`broadcast`)    to the broadcast MAC instead of ours
/// Without bit 0 the bytes are a whole Ethernet frame, used as they are.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace tachyon::fuzz {

/// The fix-up bits (see the file comment).
namespace fixup {
inline constexpr uint8_t as_ipv4 = 0x01;     ///< frame the bytes as an IPv4 packet
inline constexpr uint8_t ip_header = 0x02;   ///< fix the IPv4 header
inline constexpr uint8_t addresses = 0x04;   ///< peer to us
inline constexpr uint8_t l4_checksum = 0x08; ///< fix the transport checksum
inline constexpr uint8_t broadcast = 0x10;   ///< to the broadcast MAC
} // namespace fixup

/// Sees (and may rewrite) the transport bytes of a fixed-up packet before its checksum is made.
using l4_editor = std::function<void(uint8_t protocol, std::span<std::byte> l4)>;

/// The Ethernet frame for `bytes` under the fix-ups `fix` (see the file comment).
std::vector<std::byte> raw_frame(std::span<const uint8_t> bytes, uint8_t fix, const l4_editor& edit = {});

} // namespace tachyon::fuzz
