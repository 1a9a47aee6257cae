#pragma once
/// Address value types: MAC (EUI-48) and IPv4, with parsing and formatting for the control path.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tachyon {

/// A 48-bit Ethernet MAC address.
struct mac_address {
    std::array<uint8_t, 6> bytes{}; ///< the address in wire order

    /// The broadcast address ff:ff:ff:ff:ff:ff.
    static constexpr mac_address broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    /// The all-zero address (unknown target in an ARP request).
    static constexpr mac_address zero() { return {}; }
    /// True for the broadcast address.
    constexpr bool is_broadcast() const { return *this == broadcast(); }
    /// True for a group (multicast or broadcast) address: the I/G bit is set.
    constexpr bool is_multicast() const { return (bytes[0] & 0x01) != 0; }
    /// True for an individual (unicast) address that is not all zero.
    constexpr bool is_unicast() const { return !is_multicast() && *this != zero(); }
    /// Parses "aa:bb:cc:dd:ee:ff" (or with '-').
    static std::optional<mac_address> parse(std::string_view s);
    /// Formats as "aa:bb:cc:dd:ee:ff".
    std::string to_string() const;

    constexpr auto operator<=>(const mac_address&) const = default;
};

/// An IPv4 address, held in host byte order (a.b.c.d is (a << 24) | (b << 16) | (c << 8) | d).
struct ipv4_address {
    uint32_t value = 0; ///< the address in host byte order

    constexpr ipv4_address() = default;
    /// From a host-order 32-bit value.
    constexpr explicit ipv4_address(uint32_t v) : value(v) {}
    /// From dotted-quad octets.
    constexpr ipv4_address(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
        : value((uint32_t(a) << 24) | (uint32_t(b) << 16) | (uint32_t(c) << 8) | d) {}

    /// 0.0.0.0, "any".
    static constexpr ipv4_address any() { return ipv4_address{}; }
    /// 255.255.255.255, the limited broadcast address.
    static constexpr ipv4_address broadcast() { return ipv4_address{0xffffffffu}; }
    /// True for 0.0.0.0.
    constexpr bool is_any() const { return value == 0; }
    /// True for 255.255.255.255.
    constexpr bool is_broadcast() const { return value == 0xffffffffu; }
    /// True for class D, 224.0.0.0/4 (RFC 1112).
    constexpr bool is_multicast() const { return (value >> 28) == 0xe; }
    /// True for 127.0.0.0/8.
    constexpr bool is_loopback() const { return (value >> 24) == 127; }
    /// The octet at `i` (0 is the first on the wire).
    constexpr uint8_t octet(int i) const { return uint8_t(value >> (24 - 8 * i)); }
    /// Parses dotted-quad "a.b.c.d".
    static std::optional<ipv4_address> parse(std::string_view s);
    /// Formats as dotted quad.
    std::string to_string() const;

    constexpr auto operator<=>(const ipv4_address&) const = default;
};

/// An IPv4 address with a prefix length, "a.b.c.d/n": an interface address and its subnet.
struct ipv4_cidr {
    ipv4_address address; ///< the interface address
    uint8_t prefix_len = 32; ///< the subnet's prefix length, 0..32

    /// The subnet mask in host order.
    constexpr uint32_t mask() const { return prefix_len == 0 ? 0 : ~uint32_t(0) << (32 - prefix_len); }
    /// True when `a` is on this subnet.
    constexpr bool contains(ipv4_address a) const { return ((a.value ^ address.value) & mask()) == 0; }
    /// The subnet's directed broadcast address.
    constexpr ipv4_address directed_broadcast() const { return ipv4_address{address.value | ~mask()}; }
    /// Parses "a.b.c.d/n" (a bare address means /32).
    static std::optional<ipv4_cidr> parse(std::string_view s);
    /// Formats as "a.b.c.d/n".
    std::string to_string() const;

    constexpr auto operator<=>(const ipv4_cidr&) const = default;
};

/// The multicast MAC for an IPv4 group: 01:00:5e plus the low 23 bits (RFC 1112 §6.4).
constexpr mac_address multicast_mac(ipv4_address group) {
    return {{0x01, 0x00, 0x5e, uint8_t((group.value >> 16) & 0x7f), uint8_t(group.value >> 8),
             uint8_t(group.value)}};
}

} // namespace tachyon
