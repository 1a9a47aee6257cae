#pragma once
/// IGMP, the host side of IPv4 multicast group membership: version 3 (RFC 3376) with the older
/// versions it must interoperate with, version 2 (RFC 2236) and version 1 (RFC 1112 appendix I).
/// Read RFC 3376 §4 (message formats) and §7 (telling the versions apart) before this file.
///
/// Every message starts with type, a code byte, and a checksum over the whole message (the entire
/// IP payload). A query is told apart by its length (RFC 3376 §7.1): 8 bytes is v1 (code 0) or v2,
/// 12 or more is v3, anything else is ignored. Every IGMP datagram carries the IPv4 Router Alert
/// option (RFC 2113), so its IP header is 24 bytes: `emit_ipv4_with_router_alert` writes one.
///
/// Membership query (v3; v1/v2 stop after the group address):
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +---------------+---------------+-------------------------------+
/// |  Type = 0x11  | Max Resp Code |           Checksum            |
/// +---------------+---------------+-------------------------------+
/// |                         Group Address                         |
/// +-------+-+-----+---------------+-------------------------------+
/// | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
/// +-------+-+-----+---------------+-------------------------------+
/// |                  Source Address [1..N]                        |
///
/// Version 3 report: type 0x22, reserved, checksum, reserved (16), number of group records (16),
/// then each record: record type, aux data length (32-bit words), number of sources (16),
/// multicast address, the sources, the aux data.

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

#include "stack/core/addr.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ipv4.hpp"

namespace tachyon::wire {

/// IGMP message types (RFC 3376 §4, RFC 2236 §2.1, RFC 1112 appendix I).
namespace igmp_type {
/// Membership query, every version (told apart by length and code).
inline constexpr uint8_t membership_query = 0x11;
/// Version 1 membership report.
inline constexpr uint8_t v1_membership_report = 0x12;
/// Version 2 membership report.
inline constexpr uint8_t v2_membership_report = 0x16;
/// Version 2 leave group.
inline constexpr uint8_t v2_leave_group = 0x17;
/// Version 3 membership report.
inline constexpr uint8_t v3_membership_report = 0x22;
} // namespace igmp_type

/// The addresses IGMP messages go to.
namespace igmp_address {
/// All systems on this subnet: general queries (RFC 1112).
inline constexpr ipv4_address all_systems{224, 0, 0, 1};
/// All routers on this subnet: v2 leave group (RFC 2236 §3).
inline constexpr ipv4_address all_routers{224, 0, 0, 2};
/// All IGMPv3-capable routers: v3 reports (RFC 3376 §4.2.14).
inline constexpr ipv4_address v3_routers{224, 0, 0, 22};
} // namespace igmp_address

/// The IGMP version of a query (RFC 3376 §7.1), or that a host runs in.
enum class igmp_version : uint8_t {
    v1 = 1, ///< RFC 1112
    v2 = 2, ///< RFC 2236
    v3 = 3, ///< RFC 3376
};

/// The value of a v3 Max Resp Code or QQIC byte (RFC 3376 §4.1.1, §4.1.7): below 128 the code is
/// the value; from 128 on it is 1|exp(3)|mant(4) meaning (mant | 0x10) << (exp + 3), up to 31744.
[[nodiscard]] constexpr uint32_t igmp_decode_code(uint8_t code) {
    if (code < 128) return code;
    const uint32_t exp = (code >> 4) & 0x07;
    const uint32_t mant = code & 0x0f;
    return (mant | 0x10) << (exp + 3);
}

/// The code for `value` in the RFC 3376 §4.1.1 format, rounded down to what the format holds
/// (a querier must not promise more time than it means); values above 31744 give 0xff.
[[nodiscard]] constexpr uint8_t igmp_encode_code(uint32_t value) {
    if (value < 128) return uint8_t(value);
    for (uint32_t exp = 0; exp < 8; ++exp) {
        const uint32_t mant = value >> (exp + 3);
        if (mant < 32) return uint8_t(0x80 | (exp << 4) | (mant & 0x0f));
    }
    return 0xff;
}

/// A membership query as a value (any version); `sources` points into the parsed buffer.
struct igmp_query {
    igmp_version version = igmp_version::v3; ///< from the length and code (RFC 3376 §7.1)
    uint8_t max_resp_code = 0;               ///< v2: tenths of a second; v3: coded (§4.1.1); v1: 0
    ipv4_address group;                      ///< 0.0.0.0 for a general query
    bool suppress_router_processing = false; ///< v3 S flag (§4.1.5); false for v1/v2
    uint8_t qrv = 0;                         ///< v3 querier's robustness variable, 0..7 (0: none given)
    uint8_t qqic = 0;                        ///< v3 querier's query interval code (§4.1.7); 0 for v1/v2
    std::span<const std::byte> sources;      ///< v3 source addresses, 4 raw bytes each

    /// Bytes in a v1/v2 query.
    static constexpr size_t v2_len = 8;
    /// Bytes in a v3 query without sources.
    static constexpr size_t v3_min_len = 12;

    /// Reads the query in `bytes` (the IP payload): truncated (< 8 bytes, 9..11 bytes, which
    /// RFC 3376 §7.1 says to ignore, or fewer than the v3 source count needs); bad_checksum (the whole
    /// message, when verify_checksum); bad_type (not 0x11). Bytes after the sources are ignored
    /// (§4.1.10). `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, igmp_query& out,
                                          bool verify_checksum = true) {
        if (bytes.size() < v2_len) [[unlikely]]
            return wire_error::truncated;
        if (verify_checksum && internet_checksum(bytes) != 0) [[unlikely]]
            return wire_error::bad_checksum;
        const std::byte* p = bytes.data();
        if (uint8_t(p[0]) != igmp_type::membership_query) [[unlikely]]
            return wire_error::bad_type;
        const auto code = uint8_t(p[1]);
        const ipv4_address group{load_be32(p + 4)};
        if (bytes.size() == v2_len) {
            out.version = code == 0 ? igmp_version::v1 : igmp_version::v2;
            out.max_resp_code = code;
            out.group = group;
            out.suppress_router_processing = false;
            out.qrv = 0;
            out.qqic = 0;
            out.sources = {};
            return wire_error::ok;
        }
        if (bytes.size() < v3_min_len) [[unlikely]]
            return wire_error::truncated;
        const size_t n = load_be16(p + 10);
        if (v3_min_len + 4 * n > bytes.size()) [[unlikely]]
            return wire_error::truncated;
        out.version = igmp_version::v3;
        out.max_resp_code = code;
        out.group = group;
        out.suppress_router_processing = (uint8_t(p[8]) & 0x08) != 0;
        out.qrv = uint8_t(p[8]) & 0x07;
        out.qqic = uint8_t(p[9]);
        out.sources = bytes.subspan(v3_min_len, 4 * n);
        return wire_error::ok;
    }

    /// True for a general query (group 0.0.0.0); otherwise group (and maybe source) specific.
    bool is_general() const { return group.is_any(); }

    /// How many sources a v3 query lists.
    size_t source_count() const { return sources.size() / 4; }

    /// The `i`th source (i < source_count()).
    ipv4_address source(size_t i) const {
        assert(i < source_count());
        return ipv4_address{load_be32(sources.data() + 4 * i)};
    }

    /// The maximum response time in tenths of a second: v3 decodes the code (§4.1.1), v2 takes it
    /// as is, and a v1 query means 10 s (RFC 1112 appendix I; RFC 2236 §4).
    uint32_t max_response_time_ds() const {
        switch (version) {
        case igmp_version::v1:
            return 100;
        case igmp_version::v2:
            return max_resp_code;
        case igmp_version::v3:
            break;
        }
        return igmp_decode_code(max_resp_code);
    }

    /// The querier's query interval in seconds, decoded from QQIC (§4.1.7); 0 for v1/v2 or none given.
    uint32_t querier_query_interval_s() const { return igmp_decode_code(qqic); }

    /// Bytes `emit` writes: 8 for v1/v2, 12 + sources for v3.
    size_t message_len() const { return version == igmp_version::v3 ? v3_min_len + sources.size() : v2_len; }

    /// Writes message_len() bytes at the front of `out`, checksum included. v1 writes code 0; v1/v2
    /// ignore the v3 fields. The sources are moved with memmove, so they may alias `out + 12`.
    void emit(std::span<std::byte> out) const {
        assert(out.size() >= message_len() && sources.size() % 4 == 0 && sources.size() / 4 <= 0xffff);
        std::byte* p = out.data();
        if (version == igmp_version::v3) {
            if (!sources.empty() && sources.data() != p + v3_min_len)
                std::memmove(p + v3_min_len, sources.data(), sources.size());
            p[8] = std::byte(uint8_t((suppress_router_processing ? 0x08 : 0) | (qrv & 0x07)));
            p[9] = std::byte{qqic};
            store_be16(p + 10, uint16_t(sources.size() / 4));
        }
        p[0] = std::byte{igmp_type::membership_query};
        p[1] = std::byte{version == igmp_version::v1 ? uint8_t(0) : max_resp_code};
        store_be16(p + 2, 0);
        store_be32(p + 4, group.value);
        store_be16(p + 2, internet_checksum(out.first(message_len())));
    }
};

/// A v1 or v2 membership report or a v2 leave group (8 bytes; RFC 2236 §2, RFC 1112 appendix I).
struct igmp_v2_message {
    uint8_t type = igmp_type::v2_membership_report; ///< 0x12, 0x16 or 0x17 (see `igmp_type::`)
    uint8_t max_resp_time = 0;                      ///< unused in reports and leaves: sent as 0
    ipv4_address group;                             ///< the group reported or left

    /// Bytes in the message.
    static constexpr size_t message_len = 8;

    /// Reads the message in `bytes` (the IP payload): truncated (< 8); bad_checksum (the whole
    /// payload, when verify_checksum); bad_type (not a v1/v2 report or v2 leave). Bytes past the
    /// eighth are ignored (RFC 2236 §2.5). `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, igmp_v2_message& out,
                                          bool verify_checksum = true) {
        if (bytes.size() < message_len) [[unlikely]]
            return wire_error::truncated;
        if (verify_checksum && internet_checksum(bytes) != 0) [[unlikely]]
            return wire_error::bad_checksum;
        const std::byte* p = bytes.data();
        const auto type = uint8_t(p[0]);
        if (type != igmp_type::v1_membership_report && type != igmp_type::v2_membership_report &&
            type != igmp_type::v2_leave_group) [[unlikely]]
            return wire_error::bad_type;
        out.type = type;
        out.max_resp_time = uint8_t(p[1]);
        out.group = ipv4_address{load_be32(p + 4)};
        return wire_error::ok;
    }

    /// Writes the 8 bytes at the front of `out`, checksum included.
    void emit(std::span<std::byte> out) const {
        assert(out.size() >= message_len);
        std::byte* p = out.data();
        p[0] = std::byte{type};
        p[1] = std::byte{max_resp_time};
        store_be16(p + 2, 0);
        store_be32(p + 4, group.value);
        store_be16(p + 2, internet_checksum(out.first(message_len)));
    }

    /// Field-wise equality.
    bool operator==(const igmp_v2_message&) const = default;
};

/// The type of a v3 group record (RFC 3376 §4.2.12).
enum class igmp_record_type : uint8_t {
    mode_is_include = 1,   ///< current state: INCLUDE these sources
    mode_is_exclude = 2,   ///< current state: EXCLUDE these sources
    change_to_include = 3, ///< filter mode changed to INCLUDE (TO_IN({}) is a leave)
    change_to_exclude = 4, ///< filter mode changed to EXCLUDE (TO_EX({}) is an any-source join)
    allow_new_sources = 5, ///< these sources are now wanted
    block_old_sources = 6, ///< these sources are no longer wanted
};

/// A group record to emit in a v3 report.
struct igmp_group_record {
    igmp_record_type type = igmp_record_type::mode_is_exclude; ///< what the record says
    ipv4_address group;                                        ///< the multicast address
    std::span<const ipv4_address> sources;                     ///< the sources it lists
};

/// Bytes in a group record's fixed part (before its sources).
inline constexpr size_t igmp_group_record_header_len = 8;
/// Bytes in a v3 report's fixed part (before its records).
inline constexpr size_t igmp_v3_report_header_len = 8;

/// Bytes a v3 report with these records takes. Keeping it within the MTU (splitting records across
/// reports, RFC 3376 §4.2.16) is the caller's job.
[[nodiscard]] inline size_t igmp_v3_report_len(std::span<const igmp_group_record> records) {
    size_t n = igmp_v3_report_header_len;
    for (const auto& r : records) n += igmp_group_record_header_len + 4 * r.sources.size();
    return n;
}

/// Writes a v3 report with `records` (no aux data) at the front of `out`, checksum included;
/// `out` holds at least igmp_v3_report_len(records) bytes.
inline void emit_igmp_v3_report(std::span<std::byte> out, std::span<const igmp_group_record> records) {
    const size_t len = igmp_v3_report_len(records);
    assert(out.size() >= len && records.size() <= 0xffff);
    std::byte* p = out.data();
    p[0] = std::byte{igmp_type::v3_membership_report};
    p[1] = std::byte{0};
    store_be16(p + 2, 0);
    store_be16(p + 4, 0);
    store_be16(p + 6, uint16_t(records.size()));
    std::byte* r = p + igmp_v3_report_header_len;
    for (const auto& rec : records) {
        assert(rec.sources.size() <= 0xffff);
        r[0] = std::byte{uint8_t(rec.type)};
        r[1] = std::byte{0};
        store_be16(r + 2, uint16_t(rec.sources.size()));
        store_be32(r + 4, rec.group.value);
        r += igmp_group_record_header_len;
        for (const auto s : rec.sources) {
            store_be32(r, s.value);
            r += 4;
        }
    }
    store_be16(p + 2, internet_checksum(out.first(len)));
}

/// A group record of a received v3 report; `sources` points into the parsed buffer.
struct igmp_v3_record {
    igmp_record_type type{};    ///< as received: values beyond 6 are passed on, for the caller to ignore
    uint8_t aux_data_words = 0; ///< aux data length in 32-bit words (skipped)
    ipv4_address group;         ///< the multicast address
    std::span<const std::byte> sources; ///< the source addresses, 4 raw bytes each

    /// How many sources the record lists.
    size_t source_count() const { return sources.size() / 4; }

    /// The `i`th source (i < source_count()).
    ipv4_address source(size_t i) const {
        assert(i < source_count());
        return ipv4_address{load_be32(sources.data() + 4 * i)};
    }
};

/// A received v3 report, validated whole by `parse` so that walking its records cannot fail.
struct igmp_v3_report {
    uint16_t record_count = 0;          ///< number of group records
    std::span<const std::byte> records; ///< the records' bytes, exactly (trailing bytes excluded)

    /// Reads the report in `bytes` (the IP payload): truncated (< 8, or the records, their sources or
    /// aux data run past the end); bad_checksum (when verify_checksum); bad_type (not 0x22). Bytes
    /// after the last record are ignored. `out` is written only on success.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, igmp_v3_report& out,
                                          bool verify_checksum = true) {
        if (bytes.size() < igmp_v3_report_header_len) [[unlikely]]
            return wire_error::truncated;
        if (verify_checksum && internet_checksum(bytes) != 0) [[unlikely]]
            return wire_error::bad_checksum;
        const std::byte* p = bytes.data();
        if (uint8_t(p[0]) != igmp_type::v3_membership_report) [[unlikely]]
            return wire_error::bad_type;
        const uint16_t count = load_be16(p + 6);
        size_t at = igmp_v3_report_header_len;
        for (uint16_t i = 0; i < count; ++i) {
            if (bytes.size() - at < igmp_group_record_header_len) [[unlikely]]
                return wire_error::truncated;
            const size_t body = 4 * (size_t(load_be16(p + at + 2)) + uint8_t(p[at + 1]));
            if (bytes.size() - at - igmp_group_record_header_len < body) [[unlikely]]
                return wire_error::truncated;
            at += igmp_group_record_header_len + body;
        }
        out.record_count = count;
        out.records = bytes.subspan(igmp_v3_report_header_len, at - igmp_v3_report_header_len);
        return wire_error::ok;
    }

    /// Calls `on_record(const igmp_v3_record&)` for each record, in order.
    template <typename F>
    void for_each_record(F&& on_record) const {
        const std::byte* p = records.data();
        for (uint16_t i = 0; i < record_count; ++i) {
            igmp_v3_record r;
            r.type = igmp_record_type(uint8_t(p[0]));
            r.aux_data_words = uint8_t(p[1]);
            const size_t n = load_be16(p + 2);
            r.group = ipv4_address{load_be32(p + 4)};
            r.sources = std::span<const std::byte>(p + igmp_group_record_header_len, 4 * n);
            on_record(std::as_const(r));
            p += igmp_group_record_header_len + 4 * (n + r.aux_data_words);
        }
    }
};

/// Any IGMP message: `type` says which member `parse_igmp` filled.
struct igmp_message {
    uint8_t type = 0;           ///< the message type (see `igmp_type::`)
    igmp_query query;           ///< type membership_query
    igmp_v2_message v2_message; ///< type v1_membership_report, v2_membership_report or v2_leave_group
    igmp_v3_report v3_report;   ///< type v3_membership_report
};

/// Reads any IGMP message in `bytes` (the IP payload): truncated (< 8, or a v3 query's sources or a
/// v3 report's records overrun); bad_checksum (over the whole message, when verify_checksum);
/// bad_type (a type not in `igmp_type::`). `out` is written only on success.
[[nodiscard]] inline wire_error parse_igmp(std::span<const std::byte> bytes, igmp_message& out,
                                           bool verify_checksum = true) {
    if (bytes.size() < igmp_v2_message::message_len) [[unlikely]]
        return wire_error::truncated;
    if (verify_checksum && internet_checksum(bytes) != 0) [[unlikely]]
        return wire_error::bad_checksum;
    wire_error e = wire_error::bad_type;
    const auto type = uint8_t(bytes[0]);
    switch (type) {
    case igmp_type::membership_query:
        e = igmp_query::parse(bytes, out.query, false);
        break;
    case igmp_type::v1_membership_report:
    case igmp_type::v2_membership_report:
    case igmp_type::v2_leave_group:
        e = igmp_v2_message::parse(bytes, out.v2_message, false);
        break;
    case igmp_type::v3_membership_report:
        e = igmp_v3_report::parse(bytes, out.v3_report, false);
        break;
    default:
        break;
    }
    if (e == wire_error::ok) out.type = type;
    return e;
}

/// The IPv4 Router Alert option (RFC 2113 §2.1): type 148 (copied, class 0, number 20), length 4,
/// value 0 ("routers shall examine this packet").
inline constexpr std::array<std::byte, 4> router_alert_option = {std::byte{0x94}, std::byte{0x04},
                                                                 std::byte{0x00}, std::byte{0x00}};

/// Bytes in an IPv4 header carrying only the Router Alert option (IHL 6).
inline constexpr size_t ipv4_router_alert_header_len = ipv4_repr::min_header_len + router_alert_option.size();

/// The IPv4 header of an IGMP message of `igmp_len` bytes as Linux sends it: TOS 0xc0 (CS6), TTL 1
/// (RFC 3376 §4, RFC 2236 §2), DF, identification 0, protocol IGMP, Router Alert.
[[nodiscard]] constexpr ipv4_repr igmp_ipv4_repr(ipv4_address src, ipv4_address dst, size_t igmp_len) {
    ipv4_repr ip;
    ip.header_len = uint8_t(ipv4_router_alert_header_len);
    ip.dscp_ecn = 0xc0;
    ip.total_len = uint16_t(ipv4_router_alert_header_len + igmp_len);
    ip.dont_fragment = true;
    ip.ttl = 1;
    ip.protocol = ip_protocol::igmp;
    ip.src = src;
    ip.dst = dst;
    return ip;
}

/// Writes a 24-byte IPv4 header (IHL 6: `ip` as `ipv4_repr::emit` writes it, then Router Alert) with
/// its checksum at the front of `out`. `ip.total_len` must count the 24 bytes; `header_len` is ignored.
inline void emit_ipv4_with_router_alert(std::span<std::byte> out, const ipv4_repr& ip) {
    assert(out.size() >= ipv4_router_alert_header_len);
    ip.emit(out, false);
    out[0] = std::byte{0x46};
    std::memcpy(out.data() + ipv4_repr::min_header_len, router_alert_option.data(),
                router_alert_option.size());
    store_be16(out.data() + 10, internet_checksum(out.first(ipv4_router_alert_header_len)));
}

/// True when the IPv4 header `header` (its first header_len bytes, options included) carries the
/// Router Alert option. Stops at End of Option List or at a malformed option.
[[nodiscard]] inline bool has_router_alert(std::span<const std::byte> header) {
    if (header.size() <= ipv4_repr::min_header_len) return false;
    auto opts = header.subspan(ipv4_repr::min_header_len);
    while (!opts.empty()) {
        const auto kind = uint8_t(opts[0]);
        if (kind == 0) return false; // End of Option List
        if (kind == 1) {             // No Operation
            opts = opts.subspan(1);
            continue;
        }
        if (opts.size() < 2) return false;
        const auto len = uint8_t(opts[1]);
        if (len < 2 || len > opts.size()) return false;
        if (kind == uint8_t(router_alert_option[0]) && len == router_alert_option.size()) return true;
        opts = opts.subspan(len);
    }
    return false;
}

} // namespace tachyon::wire
