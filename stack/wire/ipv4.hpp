#pragma once
/// The IPv4 header (RFC 791 §3.1), checked as RFC 1122 §3.2.1.1-3.2.1.2 asks of a host.
/// Options are accepted and skipped on parse (their bytes stay in [20, header_len)) and never
/// emitted. Reassembly is not done here: `is_fragment` tells the caller to drop or reassemble.
///
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-------+-------+---------------+-------------------------------+
/// |Version|  IHL  |  DSCP / ECN   |          Total Length         |
/// +-------+-------+---------------+-----+-------------------------+
/// |         Identification        |Flags|      Fragment Offset    |
/// +---------------+---------------+-----+-------------------------+
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// +---------------+---------------+-------------------------------+
/// |                       Source Address                          |
/// |                    Destination Address                        |
/// +---------------------------------------------------------------+

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/core/addr.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"

namespace tachyon::wire {

/// IP protocol numbers this stack recognises (IANA "Assigned Internet Protocol Numbers").
namespace ip_protocol {
/// Internet Control Message Protocol (RFC 792).
inline constexpr uint8_t icmp = 1;
/// Internet Group Management Protocol (RFC 3376).
inline constexpr uint8_t igmp = 2;
/// Transmission Control Protocol (RFC 9293).
inline constexpr uint8_t tcp = 6;
/// User Datagram Protocol (RFC 768).
inline constexpr uint8_t udp = 17;
} // namespace ip_protocol

/// An IPv4 header as a value.
struct ipv4_repr {
    uint8_t header_len = 20;      ///< header bytes including options, 20..60 (IHL * 4)
    uint8_t dscp_ecn = 0;         ///< the former TOS byte: DSCP (high 6 bits) and ECN (low 2)
    uint16_t total_len = 0;       ///< header plus payload, in bytes
    uint16_t identification = 0;  ///< groups the fragments of one datagram
    bool dont_fragment = false;   ///< DF: routers must not fragment this datagram
    bool more_fragments = false;  ///< MF: more fragments follow this one
    uint16_t fragment_offset = 0; ///< where this fragment's payload goes, in 8-byte units
    uint8_t ttl = 64;             ///< time to live (hops)
    uint8_t protocol = 0;         ///< what the payload is (see `ip_protocol::`)
    uint16_t checksum = 0;        ///< the header checksum as received (ignored by `emit`)
    ipv4_address src;             ///< source address
    ipv4_address dst;             ///< destination address

    /// Bytes in a header without options.
    static constexpr size_t min_header_len = 20;
    /// The DF bit in the flags/fragment-offset word.
    static constexpr uint16_t flag_dont_fragment = 0x4000;
    /// The MF bit in the flags/fragment-offset word.
    static constexpr uint16_t flag_more_fragments = 0x2000;
    /// The fragment offset bits in the flags/fragment-offset word.
    static constexpr uint16_t fragment_offset_mask = 0x1fff;

    /// Validates per RFC 1122 §3.2.1.1-3.2.1.2, in this order: truncated (< 20 bytes); bad_version (!= 4);
    /// bad_header_length (IHL < 5, or IHL*4 > bytes.size()); bad_total_length (total_len < IHL*4 or >
    /// bytes.size()); bad_checksum (when verify_checksum and the header does not checksum to zero). `out` is
    /// written only on success; the reserved flag bit is ignored.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, ipv4_repr& out,
                                          bool verify_checksum = true) {
        return parse_header(bytes, out, verify_checksum, false);
    }

    /// The same for the header an ICMP error quotes (RFC 792: the header and the first 8 bytes
    /// of the payload): the total length may run past `bytes`; the header must be whole.
    [[nodiscard]] static wire_error parse_quoted(std::span<const std::byte> bytes, ipv4_repr& out) {
        return parse_header(bytes, out, true, true);
    }

    /// True when this datagram is a fragment: MF set or offset not zero.
    bool is_fragment() const { return more_fragments || fragment_offset != 0; }

    /// Payload bytes: total_len - header_len.
    size_t payload_len() const { return size_t(total_len) - header_len; }

private:
    [[nodiscard]] static wire_error parse_header(std::span<const std::byte> bytes, ipv4_repr& out,
                                                 bool verify_checksum, bool quoted) {
        if (bytes.size() < min_header_len) [[unlikely]]
            return wire_error::truncated;
        const std::byte* p = bytes.data();
        const auto version_ihl = uint8_t(p[0]);
        if ((version_ihl >> 4) != 4) [[unlikely]]
            return wire_error::bad_version;
        const size_t hlen = size_t(version_ihl & 0x0f) * 4;
        if (hlen < min_header_len || hlen > bytes.size()) [[unlikely]]
            return wire_error::bad_header_length;
        const uint16_t tlen = load_be16(p + 2);
        if (tlen < hlen || (tlen > bytes.size() && !quoted)) [[unlikely]]
            return wire_error::bad_total_length;
        if (verify_checksum && internet_checksum(bytes.first(hlen)) != 0) [[unlikely]]
            return wire_error::bad_checksum;
        const uint16_t frag = load_be16(p + 6);
        out.header_len = uint8_t(hlen);
        out.dscp_ecn = uint8_t(p[1]);
        out.total_len = tlen;
        out.identification = load_be16(p + 4);
        out.dont_fragment = (frag & flag_dont_fragment) != 0;
        out.more_fragments = (frag & flag_more_fragments) != 0;
        out.fragment_offset = frag & fragment_offset_mask;
        out.ttl = uint8_t(p[8]);
        out.protocol = uint8_t(p[9]);
        out.checksum = load_be16(p + 10);
        out.src = ipv4_address{load_be32(p + 12)};
        out.dst = ipv4_address{load_be32(p + 16)};
        return wire_error::ok;
    }

public:
    /// Writes a 20-byte header (IHL 5; `header_len` is ignored) with `total_len` as given, and the
    /// checksum computed when `fill_checksum`, else 0 (left to NIC offload). `out` must hold 20 bytes.
    void emit(std::span<std::byte> out, bool fill_checksum = true) const {
        assert(out.size() >= min_header_len);
        std::byte* p = out.data();
        p[0] = std::byte{0x45};
        p[1] = std::byte{dscp_ecn};
        store_be16(p + 2, total_len);
        store_be16(p + 4, identification);
        store_be16(p + 6, uint16_t((dont_fragment ? flag_dont_fragment : 0) |
                                   (more_fragments ? flag_more_fragments : 0) |
                                   (fragment_offset & fragment_offset_mask)));
        p[8] = std::byte{ttl};
        p[9] = std::byte{protocol};
        store_be16(p + 10, 0);
        store_be32(p + 12, src.value);
        store_be32(p + 16, dst.value);
        if (fill_checksum) store_be16(p + 10, internet_checksum(out.first(min_header_len)));
    }

    /// Field-wise equality.
    bool operator==(const ipv4_repr&) const = default;
};

} // namespace tachyon::wire
