#pragma once
/// ICMP for IPv4 (RFC 792; RFC 1122 §3.2.2 for what a host must answer, RFC 1191 for the
/// next-hop MTU in "fragmentation needed"). The message is the 8-byte header plus data; its
/// checksum covers the whole message.
///
/// The rest-of-header word (bytes 4..7) depends on the type: identifier and sequence for echo
/// request/reply, unused + next-hop MTU for destination unreachable, and is read as zero for
/// any other type.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"

namespace tachyon::wire {

/// ICMP message types this stack sends or answers.
namespace icmp_type {
/// An answer to an echo request (ping reply).
inline constexpr uint8_t echo_reply = 0;
/// A datagram could not be delivered (the code says why).
inline constexpr uint8_t destination_unreachable = 3;
/// A ping.
inline constexpr uint8_t echo_request = 8;
} // namespace icmp_type

/// Codes of a destination-unreachable message (RFC 792, RFC 1191).
namespace icmp_unreachable_code {
/// The network is unreachable.
inline constexpr uint8_t net = 0;
/// The host is unreachable.
inline constexpr uint8_t host = 1;
/// The transport protocol is not supported.
inline constexpr uint8_t protocol = 2;
/// No socket listens on the port.
inline constexpr uint8_t port = 3;
/// The datagram needed fragmenting but had DF set; next_hop_mtu says how big it may be.
inline constexpr uint8_t fragmentation_needed = 4;
} // namespace icmp_unreachable_code

/// An ICMP message as a value; `data` points into the buffer it was parsed from.
struct icmp_repr {
    uint8_t type = 0;                ///< message type (see `icmp_type::`)
    uint8_t code = 0;                ///< subtype (see `icmp_unreachable_code::`)
    uint16_t identifier = 0;         ///< echo request/reply: matches replies to requests
    uint16_t sequence = 0;           ///< echo request/reply: counts requests
    uint16_t next_hop_mtu = 0;       ///< destination unreachable, code 4 (RFC 1191); else 0
    std::span<const std::byte> data; ///< echo data, or the quoted IP header + first 8 payload bytes

    /// Bytes in the ICMP header.
    static constexpr size_t header_len = 8;

    /// Reads the message in `bytes` (exactly the IPv4 payload): truncated (< 8); bad_checksum (the
    /// whole message must checksum to 0 when verify_checksum). Unknown types parse fine (type/code
    /// set, data = bytes after the 8-byte header, identifier/sequence 0). `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, icmp_repr& out,
                                          bool verify_checksum = true) {
        if (bytes.size() < header_len) [[unlikely]]
            return wire_error::truncated;
        if (verify_checksum && internet_checksum(bytes) != 0) [[unlikely]]
            return wire_error::bad_checksum;
        const std::byte* p = bytes.data();
        out.type = uint8_t(p[0]);
        out.code = uint8_t(p[1]);
        out.identifier = 0;
        out.sequence = 0;
        out.next_hop_mtu = 0;
        if (out.is_echo()) {
            out.identifier = load_be16(p + 4);
            out.sequence = load_be16(p + 6);
        } else if (out.type == icmp_type::destination_unreachable &&
                   out.code == icmp_unreachable_code::fragmentation_needed) {
            out.next_hop_mtu = load_be16(p + 6);
        }
        out.data = bytes.subspan(header_len);
        return wire_error::ok;
    }

    /// True for echo request and echo reply.
    bool is_echo() const { return type == icmp_type::echo_request || type == icmp_type::echo_reply; }

    /// Bytes in the message: header_len + data.size().
    size_t message_len() const { return header_len + data.size(); }

    /// Writes message_len() bytes at the front of `out`: the header, the data (moved with memmove,
    /// so `data` may alias out+8 or overlap it) and the checksum.
    void emit(std::span<std::byte> out) const {
        assert(out.size() >= message_len());
        std::byte* p = out.data();
        // The data first: it may overlap the header bytes written next.
        if (!data.empty() && data.data() != p + header_len)
            std::memmove(p + header_len, data.data(), data.size());
        p[0] = std::byte{type};
        p[1] = std::byte{code};
        store_be16(p + 2, 0);
        if (is_echo()) {
            store_be16(p + 4, identifier);
            store_be16(p + 6, sequence);
        } else if (type == icmp_type::destination_unreachable) {
            store_be16(p + 4, 0);
            store_be16(p + 6, code == icmp_unreachable_code::fragmentation_needed ? next_hop_mtu : 0);
        } else {
            store_be32(p + 4, 0);
        }
        store_be16(p + 2, internet_checksum(out.first(message_len())));
    }
};

} // namespace tachyon::wire
