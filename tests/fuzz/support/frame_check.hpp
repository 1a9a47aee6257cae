#pragma once
/// The transmit oracle: every frame the stack sends must parse, and every checksum in it must be
/// right. The checksums are verified by `reference_sum`, a plain byte-at-a-time RFC 1071 sum
/// written apart from stack/wire/checksum.hpp, so that a flaw there is not checked by itself.

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/core/addr.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"
#include "stack/wire/udp.hpp"

namespace tachyon::fuzz {

/// The ones' complement sum of `data` as big-endian 16-bit words (odd byte padded with zero),
/// added to `initial` and folded to 16 bits; not complemented. Correct data sums to 0xffff.
uint16_t reference_sum(std::span<const std::byte> data, uint32_t initial = 0);

/// True when two checksum fields mean the same: equal, or 0x0000 and 0xffff (ones' complement's
/// two zeros, either of which verifies when the rest sums to 0xffff).
constexpr bool same_checksum(uint16_t a, uint16_t b) {
    return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0);
}

/// True when `a` and `b` (equal sizes) are the same bytes but for a checksum at `at`, which
/// `same_checksum` accepts.
bool same_but_checksum(std::span<const std::byte> a, std::span<const std::byte> b, size_t at);

/// The TCP/UDP pseudo header's words (RFC 9293 §3.1, RFC 768), unfolded.
uint32_t reference_pseudo(ipv4_address src, ipv4_address dst, uint8_t protocol, size_t length);

/// An input that starts with a pseudo header's two addresses (the udp and tcp targets).
struct addressed_input {
    ipv4_address src;                ///< bytes 0-3
    ipv4_address dst;                ///< bytes 4-7
    std::span<const std::byte> rest; ///< the bytes after them
};

/// Splits `size` bytes at `data` into two addresses and the rest; false when shorter than 8.
bool split_addresses(const uint8_t* data, size_t size, addressed_input& out);

/// What a transmitted frame carried, for the caller's own checks (spans point into the frame).
struct sent_frame {
    uint16_t ethertype = 0;                 ///< ARP or IPv4
    wire::ipv4_repr ip;                     ///< the IPv4 header, when IPv4
    bool is_tcp = false;                    ///< a TCP segment
    wire::tcp_repr tcp;                     ///< its header, when TCP
    std::span<const std::byte> tcp_payload; ///< its payload, when TCP
    bool is_icmp = false;                   ///< an ICMP message
    wire::icmp_repr icmp;                   ///< its header, when ICMP
    bool is_udp = false;                    ///< a UDP datagram
    wire::udp_repr udp;                     ///< its header, when UDP
};

/// Checks a frame the stack (MAC `mac`, address `ip`) sent: Ethernet from our MAC; ARP that
/// parses and names us; IPv4 from us, header checksum right, total length the frame's, not a
/// fragment; ICMP, UDP, TCP and IGMP that parse with checksums right by `reference_sum`.
/// Aborts through `fail` on the first fault; returns what the frame carried.
sent_frame check_sent_frame(std::span<const std::byte> frame, const mac_address& mac, ipv4_address ip);

} // namespace tachyon::fuzz
