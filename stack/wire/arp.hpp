#pragma once
/// ARP for IPv4 over Ethernet only (RFC 826; RFC 5227 for probes and announcements, which are
/// ordinary requests here). Other hardware or protocol types fail to parse.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/core/addr.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ethernet.hpp"

namespace tachyon::wire {

/// The ARP opcode (RFC 826 "ar$op").
enum class arp_operation : uint16_t {
    request = 1, ///< who has target_protocol_address?
    reply = 2,   ///< sender_protocol_address is at sender_hardware_address
};

/// An Ethernet/IPv4 ARP packet as a value.
struct arp_repr {
    arp_operation operation = arp_operation::request; ///< request or reply
    mac_address sender_hardware_address;              ///< who sends (ar$sha)
    ipv4_address sender_protocol_address;             ///< the sender's IPv4 address (ar$spa)
    mac_address target_hardware_address;              ///< who is asked or answered (ar$tha)
    ipv4_address target_protocol_address;             ///< the address asked about (ar$tpa)

    /// Bytes in an Ethernet/IPv4 ARP packet.
    static constexpr size_t packet_len = 28;
    /// The hardware type for Ethernet (ar$hrd).
    static constexpr uint16_t hardware_type_ethernet = 1;

    /// Validates and reads the packet at the front of `bytes`: truncated (< 28); bad_hardware_type
    /// (htype != 1); bad_protocol_type (ptype != 0x0800); bad_address_length (hlen != 6 or
    /// plen != 4); bad_operation (not 1 or 2). Trailing bytes (Ethernet padding) are ignored.
    /// `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, arp_repr& out) {
        if (bytes.size() < packet_len) [[unlikely]]
            return wire_error::truncated;
        const std::byte* p = bytes.data();
        if (load_be16(p) != hardware_type_ethernet) [[unlikely]]
            return wire_error::bad_hardware_type;
        if (load_be16(p + 2) != ethertype::ipv4) [[unlikely]]
            return wire_error::bad_protocol_type;
        if (p[4] != std::byte{6} || p[5] != std::byte{4}) [[unlikely]]
            return wire_error::bad_address_length;
        const uint16_t op = load_be16(p + 6);
        if (op != uint16_t(arp_operation::request) && op != uint16_t(arp_operation::reply)) [[unlikely]]
            return wire_error::bad_operation;
        out.operation = arp_operation(op);
        std::memcpy(out.sender_hardware_address.bytes.data(), p + 8, 6);
        out.sender_protocol_address = ipv4_address{load_be32(p + 14)};
        std::memcpy(out.target_hardware_address.bytes.data(), p + 18, 6);
        out.target_protocol_address = ipv4_address{load_be32(p + 24)};
        return wire_error::ok;
    }

    /// Writes the packet's 28 bytes at the front of `out` (which must hold at least that many).
    void emit(std::span<std::byte> out) const {
        assert(out.size() >= packet_len);
        std::byte* p = out.data();
        store_be16(p, hardware_type_ethernet);
        store_be16(p + 2, ethertype::ipv4);
        p[4] = std::byte{6};
        p[5] = std::byte{4};
        store_be16(p + 6, uint16_t(operation));
        std::memcpy(p + 8, sender_hardware_address.bytes.data(), 6);
        store_be32(p + 14, sender_protocol_address.value);
        std::memcpy(p + 18, target_hardware_address.bytes.data(), 6);
        store_be32(p + 24, target_protocol_address.value);
    }

    /// Field-wise equality.
    bool operator==(const arp_repr&) const = default;
};

} // namespace tachyon::wire
