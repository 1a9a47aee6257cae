#pragma once
/// The UDP header (RFC 768; RFC 1122 §4.1 for what a host must check). The checksum covers a
/// pseudo header (source and destination address, zero, protocol 17, UDP length), the header and
/// the payload; a transmitted checksum of zero means "not computed" and is accepted, and a computed
/// zero is sent as 0xffff (its ones' complement twin).
///
///  0      7 8     15 16    23 24    31
/// +--------+--------+--------+--------+
/// |   Source Port   | Destination Port|
/// +--------+--------+--------+--------+
/// |     Length      |    Checksum     |
/// +--------+--------+--------+--------+
/// |          payload ...              |

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/core/addr.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ipv4.hpp"

namespace tachyon::wire {

/// What `udp_repr::emit` writes in the checksum field.
enum class udp_checksum_mode : uint8_t {
    full,    ///< the final checksum over pseudo header, header and payload (a computed 0 goes out as 0xffff)
    offload, ///< the folded pseudo-header sum, not complemented, for a NIC with tx L4 checksum offload
    none,    ///< zero: "no checksum" (RFC 768); legal over IPv4, never used by this stack by default
};

/// A UDP header as a value.
struct udp_repr {
    uint16_t src_port = 0; ///< the sender's port (0: no reply expected, RFC 768)
    uint16_t dst_port = 0; ///< the receiver's port (never 0)
    uint16_t length = 0;   ///< header plus payload, in bytes, as on the wire
    uint16_t checksum = 0; ///< the checksum as received (ignored by `emit`); 0 means not computed

    /// Bytes in the header.
    static constexpr size_t header_len = 8;

    /// Reads the datagram at the front of `bytes` (the IPv4 payload, which may run past `length`:
    /// those bytes are ignored). Checks, in this order: truncated (< 8 bytes); bad_total_length
    /// (length < 8 or > bytes.size()); bad_checksum (when verify_checksum and the checksum is not 0
    /// and pseudo header + datagram do not sum to 0xffff); bad_port (destination port 0). The
    /// checksum comes before the port so that a corrupted port counts as corruption. `src`/`dst`
    /// are the IPv4 addresses of the pseudo header. `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, ipv4_address src,
                                          ipv4_address dst, udp_repr& out, bool verify_checksum = true) {
        if (bytes.size() < header_len) [[unlikely]]
            return wire_error::truncated;
        const std::byte* p = bytes.data();
        const uint16_t len = load_be16(p + 4);
        if (len < header_len || len > bytes.size()) [[unlikely]]
            return wire_error::bad_total_length;
        const uint16_t sum = load_be16(p + 6);
        if (verify_checksum && sum != 0 &&
            checksum_fold(checksum_partial(
                bytes.first(len), pseudo_header_sum(src, dst, ip_protocol::udp, len))) != 0) [[unlikely]]
            return wire_error::bad_checksum;
        const uint16_t dport = load_be16(p + 2);
        if (dport == 0) [[unlikely]]
            return wire_error::bad_port;
        out.src_port = load_be16(p);
        out.dst_port = dport;
        out.length = len;
        out.checksum = sum;
        return wire_error::ok;
    }

    /// Payload bytes: length - header_len.
    size_t payload_len() const { return size_t(length) - header_len; }

    /// The payload inside `datagram` (the bytes this header was parsed from or is emitted into).
    std::span<const std::byte> payload(std::span<const std::byte> datagram) const {
        assert(datagram.size() >= length && length >= header_len);
        return datagram.subspan(header_len, payload_len());
    }

    /// The payload inside `datagram`, writable: fill it, then `emit` the header in front of it.
    std::span<std::byte> payload_mut(std::span<std::byte> datagram) const {
        assert(datagram.size() >= length && length >= header_len);
        return datagram.subspan(header_len, payload_len());
    }

    /// Writes the 8-byte header at the front of `out`, whose next payload_len() bytes must already
    /// hold the payload (`out` holds at least `length` bytes, `length` >= 8). The checksum field
    /// gets what `mode` says; with `offload` it holds the pseudo-header sum as Linux leaves it for
    /// CHECKSUM_PARTIAL, so a NIC that sums header + payload and stores the complement there ends
    /// with the full checksum. `src`/`dst` are the IPv4 addresses of the pseudo header.
    void emit(std::span<std::byte> out, ipv4_address src, ipv4_address dst,
              udp_checksum_mode mode = udp_checksum_mode::full) const {
        assert(length >= header_len && out.size() >= length);
        std::byte* p = out.data();
        store_be16(p, src_port);
        store_be16(p + 2, dst_port);
        store_be16(p + 4, length);
        const uint32_t pseudo = pseudo_header_sum(src, dst, ip_protocol::udp, length);
        switch (mode) {
        case udp_checksum_mode::full: {
            store_be16(p + 6, 0);
            const uint16_t sum = checksum_fold(checksum_partial(out.first(length), pseudo));
            store_be16(p + 6, sum == 0 ? 0xffff : sum);
            break;
        }
        case udp_checksum_mode::offload:
            store_be16(p + 6, uint16_t(~checksum_fold(pseudo)));
            break;
        case udp_checksum_mode::none:
            store_be16(p + 6, 0);
            break;
        }
    }

    /// Field-wise equality.
    bool operator==(const udp_repr&) const = default;
};

} // namespace tachyon::wire
