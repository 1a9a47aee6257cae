#pragma once
/// Ethernet II framing: destination MAC, source MAC, EtherType (IEEE 802.3 clause 3, RFC 894 for
/// IPv4 over Ethernet). The 4-byte FCS is stripped by the NIC and never seen here; 802.1Q tags
/// are reported as ethertype `vlan` and left to the caller.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/core/addr.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"

namespace tachyon::wire {

/// EtherType values this stack recognises (IEEE registry).
namespace ethertype {
/// Internet Protocol version 4.
inline constexpr uint16_t ipv4 = 0x0800;
/// Address Resolution Protocol.
inline constexpr uint16_t arp = 0x0806;
/// An IEEE 802.1Q VLAN tag follows.
inline constexpr uint16_t vlan = 0x8100;
/// Internet Protocol version 6.
inline constexpr uint16_t ipv6 = 0x86dd;
} // namespace ethertype

/// An Ethernet II header as a value.
struct ethernet_repr {
    mac_address dst;        ///< destination address
    mac_address src;        ///< source address
    uint16_t ethertype = 0; ///< what the payload is (see `ethertype::`)

    /// Bytes in the header.
    static constexpr size_t header_len = 14;

    /// Reads the header at the front of `frame`; truncated if it is shorter than 14 bytes.
    /// `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> frame, ethernet_repr& out) {
        if (frame.size() < header_len) [[unlikely]]
            return wire_error::truncated;
        const std::byte* p = frame.data();
        std::memcpy(out.dst.bytes.data(), p, 6);
        std::memcpy(out.src.bytes.data(), p + 6, 6);
        out.ethertype = load_be16(p + 12);
        return wire_error::ok;
    }

    /// Writes the header's 14 bytes at the front of `out` (which must hold at least that many).
    void emit(std::span<std::byte> out) const {
        assert(out.size() >= header_len);
        std::byte* p = out.data();
        std::memcpy(p, dst.bytes.data(), 6);
        std::memcpy(p + 6, src.bytes.data(), 6);
        store_be16(p + 12, ethertype);
    }

    /// Field-wise equality.
    bool operator==(const ethernet_repr&) const = default;
};

} // namespace tachyon::wire
