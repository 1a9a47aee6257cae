/// IPv4 (RFC 791, RFC 1122 §3.2.1): captured headers, emit, round trip, options, fragments,
/// and the validation order as a table.

#include "stack/wire/ipv4.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "unit/wire/byte_edits.hpp"
#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::as_bytes;
using test::from;
using test::keep;

/// The captured echo request's IPv4 datagram (header + ICMP).
std::span<const std::byte> ping_datagram() { return from(test::echo_request_frame, test::ip_offset); }

TEST(ipv4, a_real_ping_header_verifies_and_parses) {
    ipv4_repr ip;
    ASSERT_EQ(ipv4_repr::parse(ping_datagram(), ip), wire_error::ok);
    EXPECT_EQ(ip.header_len, 20);
    EXPECT_EQ(ip.dscp_ecn, 0);
    EXPECT_EQ(ip.total_len, 60);
    EXPECT_EQ(ip.identification, 0x62fd);
    EXPECT_TRUE(ip.dont_fragment);
    EXPECT_FALSE(ip.more_fragments);
    EXPECT_EQ(ip.fragment_offset, 0);
    EXPECT_FALSE(ip.is_fragment());
    EXPECT_EQ(ip.ttl, 64);
    EXPECT_EQ(ip.protocol, ip_protocol::icmp);
    EXPECT_EQ(ip.checksum, 0xc3c1);
    EXPECT_EQ(ip.src, ipv4_address(10, 0, 0, 1));
    EXPECT_EQ(ip.dst, ipv4_address(10, 0, 0, 2));
    EXPECT_EQ(ip.payload_len(), 40u);
}

TEST(ipv4, captured_reply_and_port_unreachable_parse) {
    ipv4_repr ip;
    ASSERT_EQ(ipv4_repr::parse(from(test::echo_reply_frame, test::ip_offset), ip), wire_error::ok);
    EXPECT_FALSE(ip.dont_fragment);
    EXPECT_EQ(ip.identification, 0xbadd);
    EXPECT_EQ(ip.src, ipv4_address(10, 0, 0, 2));

    ASSERT_EQ(ipv4_repr::parse(from(test::port_unreachable_frame, test::ip_offset), ip), wire_error::ok);
    EXPECT_EQ(ip.dscp_ecn, 0xc0);
    EXPECT_EQ(ip.total_len, 59);
    EXPECT_EQ(ip.payload_len(), 39u);
}

TEST(ipv4, a_quoted_header_parses_only_as_quoted) {
    // An ICMP error quotes the header and 8 bytes of payload (RFC 792): total length runs past.
    ipv4_repr ip;
    ip.total_len = 1500;
    ip.protocol = ip_protocol::tcp;
    ip.src = ipv4_address{198, 18, 0, 2};
    ip.dst = ipv4_address{198, 18, 0, 1};
    std::vector<std::byte> quoted(28);
    ip.emit(quoted);
    ipv4_repr out;
    EXPECT_EQ(ipv4_repr::parse(quoted, out), wire_error::bad_total_length);
    ASSERT_EQ(ipv4_repr::parse_quoted(quoted, out), wire_error::ok);
    EXPECT_EQ(out.total_len, 1500);
    EXPECT_EQ(out.src, ip.src);
    EXPECT_EQ(out.header_len, 20);
    EXPECT_EQ(ipv4_repr::parse_quoted(std::span(quoted).first(19), out), wire_error::truncated);
    quoted[10] = std::byte{0x12};
    EXPECT_EQ(ipv4_repr::parse_quoted(quoted, out), wire_error::bad_checksum);
}

TEST(ipv4, emits_the_captured_header) {
    ipv4_repr ip;
    ip.total_len = 60;
    ip.identification = 0x62fd;
    ip.dont_fragment = true;
    ip.ttl = 64;
    ip.protocol = ip_protocol::icmp;
    ip.src = ipv4_address(10, 0, 0, 1);
    ip.dst = ipv4_address(10, 0, 0, 2);
    std::array<std::byte, 20> out{};
    ip.emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), ping_datagram().begin()));
}

TEST(ipv4, emit_without_checksum_leaves_zero) {
    ipv4_repr ip;
    ASSERT_EQ(ipv4_repr::parse(ping_datagram(), ip), wire_error::ok);
    std::array<std::byte, 20> out;
    out.fill(std::byte{0xee});
    ip.emit(out, false);
    EXPECT_EQ(load_be16(out.data() + 10), 0);
    store_be16(out.data() + 10, 0xc3c1);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), ping_datagram().begin()));
}

TEST(ipv4, emit_ignores_the_checksum_field_and_header_len) {
    ipv4_repr ip;
    ASSERT_EQ(ipv4_repr::parse(ping_datagram(), ip), wire_error::ok);
    ip.checksum = 0x1234;
    ip.header_len = 24;
    std::array<std::byte, 20> out{};
    ip.emit(out);
    EXPECT_EQ(uint8_t(out[0]), 0x45);
    EXPECT_EQ(load_be16(out.data() + 10), 0xc3c1);
}

TEST(ipv4, round_trips_random_headers) {
    std::mt19937 rng(791);
    for (int i = 0; i < 2000; ++i) {
        ipv4_repr ip;
        ip.dscp_ecn = uint8_t(rng());
        ip.total_len = uint16_t(20 + rng() % 60);
        ip.identification = uint16_t(rng());
        ip.dont_fragment = rng() & 1;
        ip.more_fragments = rng() & 1;
        ip.fragment_offset = uint16_t(rng() & 0x1fff);
        ip.ttl = uint8_t(rng());
        ip.protocol = uint8_t(rng());
        ip.src = ipv4_address{uint32_t(rng())};
        ip.dst = ipv4_address{uint32_t(rng())};
        std::array<std::byte, 80> out{};
        ip.emit(out);
        EXPECT_EQ(internet_checksum(std::span(out).first(20)), 0);
        ipv4_repr back;
        ASSERT_EQ(ipv4_repr::parse(out, back), wire_error::ok);
        ip.checksum = back.checksum; // parse reports what emit computed
        ASSERT_EQ(back, ip);
    }
}

TEST(ipv4, options_are_skipped) {
    // IGMP report to 224.0.0.22 with a Router Alert option (RFC 2113): IHL 6, 24-byte header.
    // clang-format off
    constexpr uint8_t datagram[] = {
        0x46, 0x00,             // version 4, IHL 6
        0x00, 0x20,             // total length 32
        0x00, 0x01,             // identification
        0x00, 0x00,             // no flags
        0x01, 0x02,             // TTL 1, protocol IGMP
        0x84, 0x17,             // header checksum (hand-checked over all 24 bytes)
        0xc0, 0xa8, 0x00, 0x01, // src 192.168.0.1
        0xe0, 0x00, 0x00, 0x16, // dst 224.0.0.22
        0x94, 0x04, 0x00, 0x00, // option: Router Alert
        0x16, 0x00, 0xfa, 0x04, 0xe0, 0x00, 0x00, 0xfb, // 8 bytes of IGMP payload
    };
    // clang-format on
    ipv4_repr ip;
    ASSERT_EQ(ipv4_repr::parse(as_bytes(datagram), ip), wire_error::ok);
    EXPECT_EQ(ip.header_len, 24);
    EXPECT_EQ(ip.total_len, 32);
    EXPECT_EQ(ip.payload_len(), 8u);
    EXPECT_EQ(ip.protocol, ip_protocol::igmp);
    EXPECT_TRUE(ip.dst.is_multicast());
}

TEST(ipv4, ethernet_padding_after_total_length_is_allowed) {
    // A 46-byte minimum Ethernet payload carrying a 31-byte datagram: total_len < bytes.size().
    std::array<std::byte, 46> padded{};
    const auto udp = from(test::udp_frame, test::ip_offset);
    std::copy(udp.begin(), udp.end(), padded.begin());
    ipv4_repr ip;
    ASSERT_EQ(ipv4_repr::parse(padded, ip), wire_error::ok);
    EXPECT_EQ(ip.total_len, 31);
    EXPECT_EQ(ip.payload_len(), 11u);
}

TEST(ipv4, fragments) {
    ipv4_repr ip;
    EXPECT_FALSE(ip.is_fragment());
    ip.dont_fragment = true;
    EXPECT_FALSE(ip.is_fragment());
    ip.more_fragments = true; // the first fragment
    EXPECT_TRUE(ip.is_fragment());
    ip.more_fragments = false;
    ip.fragment_offset = 185; // the last fragment, 1480 bytes in
    EXPECT_TRUE(ip.is_fragment());

    // The flags word on the wire: MF | offset 185 = 0x20b9; DF = 0x4000.
    ipv4_repr first;
    first.total_len = 20;
    first.more_fragments = true;
    first.fragment_offset = 185;
    std::array<std::byte, 20> out{};
    first.emit(out);
    EXPECT_EQ(load_be16(out.data() + 6), 0x20b9);
    ipv4_repr back;
    ASSERT_EQ(ipv4_repr::parse(out, back), wire_error::ok);
    EXPECT_TRUE(back.more_fragments);
    EXPECT_FALSE(back.dont_fragment);
    EXPECT_EQ(back.fragment_offset, 185);
}

TEST(ipv4, reserved_flag_is_ignored) {
    auto bytes = test::copy_of(ping_datagram());
    bytes[6] |= std::byte{0x80}; // the "evil bit" (RFC 3514)
    ipv4_repr ip;
    EXPECT_EQ(ipv4_repr::parse(bytes, ip, false), wire_error::ok);
    EXPECT_TRUE(ip.dont_fragment);
    EXPECT_EQ(ip.fragment_offset, 0);
}

/// One validation case: how to spoil the captured ping datagram and what parse must say.
struct ipv4_case {
    const char* name;                                  ///< what is wrong
    std::function<void(std::vector<std::byte>&)> edit; ///< spoils the bytes (may resize them)
    bool fix_checksum;    ///< re-checksum after the edit, so only the edit is wrong
    bool verify_checksum; ///< parse's flag
    wire_error expected;  ///< the verdict
};

/// Sets the version/IHL byte.
auto version_ihl(uint8_t v) {
    return [v](std::vector<std::byte>& b) { b[0] = std::byte{v}; };
}
/// Sets the total length field.
auto total_length(uint16_t v) {
    return [v](std::vector<std::byte>& b) { store_be16(b.data() + 2, v); };
}

TEST(ipv4, validation_table) {
    const auto none = [](std::vector<std::byte>&) {};
    const ipv4_case cases[] = {
        {"valid", none, false, true, wire_error::ok},
        {"header only, total 60 > 20", keep(20), false, true, wire_error::bad_total_length},
        {"empty", keep(0), false, true, wire_error::truncated},
        {"1 byte", keep(1), false, true, wire_error::truncated},
        {"19 bytes", keep(19), false, true, wire_error::truncated},
        {"truncated beats bad version",
         [](auto& b) {
             b.resize(19);
             b[0] = std::byte{0x65};
         },
         false, true, wire_error::truncated},
        {"version 6", version_ihl(0x65), true, true, wire_error::bad_version},
        {"version 0", version_ihl(0x05), true, true, wire_error::bad_version},
        {"version 15", version_ihl(0xf5), true, true, wire_error::bad_version},
        {"bad version beats bad IHL", version_ihl(0x60), true, true, wire_error::bad_version},
        {"IHL 0", version_ihl(0x40), true, true, wire_error::bad_header_length},
        {"IHL 4", version_ihl(0x44), true, true, wire_error::bad_header_length},
        {"IHL 6 in a 20-byte buffer",
         [](auto& b) {
             b.resize(20);
             b[0] = std::byte{0x46};
         },
         false, true, wire_error::bad_header_length},
        {"IHL 15 (60 bytes) in a 40-byte buffer",
         [](auto& b) {
             b.resize(40);
             b[0] = std::byte{0x4f};
         },
         false, true, wire_error::bad_header_length},
        {"bad IHL beats bad total length",
         [](auto& b) {
             b[0] = std::byte{0x44};
             store_be16(b.data() + 2, 0);
         },
         false, true, wire_error::bad_header_length},
        {"total length 0", total_length(0), true, true, wire_error::bad_total_length},
        {"total length 19 < header", total_length(19), true, true, wire_error::bad_total_length},
        {"total length 20 (no payload)", total_length(20), true, true, wire_error::ok},
        {"total length 61 > 60 bytes", total_length(61), true, true, wire_error::bad_total_length},
        {"total length 65535", total_length(65535), true, true, wire_error::bad_total_length},
        {"total length < IHL 6 header",
         [](auto& b) {
             b[0] = std::byte{0x46};
             store_be16(b.data() + 2, 20);
         },
         true, true, wire_error::bad_total_length},
        {"bad total length beats bad checksum", total_length(100), false, true, wire_error::bad_total_length},
        {"checksum off by one", [](auto& b) { b[11] ^= std::byte{0x01}; }, false, true,
         wire_error::bad_checksum},
        {"TTL changed, checksum not", [](auto& b) { b[8] = std::byte{63}; }, false, true,
         wire_error::bad_checksum},
        {"address changed, checksum not", [](auto& b) { b[19] = std::byte{3}; }, false, true,
         wire_error::bad_checksum},
        {"bad checksum, not verified", [](auto& b) { b[11] ^= std::byte{0x01}; }, false, false,
         wire_error::ok},
        {"checksum zeroed (offload), not verified", [](auto& b) { store_be16(b.data() + 10, 0); }, false,
         false, wire_error::ok},
        {"payload corruption is not the header's business", [](auto& b) { b[30] ^= std::byte{0xff}; }, false,
         true, wire_error::ok},
        {"IHL 6 with a valid checksum", version_ihl(0x46), true, true, wire_error::ok},
    };
    for (const auto& c : cases) {
        auto bytes = test::copy_of(ping_datagram());
        c.edit(bytes);
        if (c.fix_checksum && bytes.size() >= 20) {
            const size_t hlen = std::min<size_t>(size_t(uint8_t(bytes[0]) & 0x0f) * 4, bytes.size());
            store_be16(bytes.data() + 10, 0);
            store_be16(bytes.data() + 10,
                       internet_checksum(std::span(bytes).first(std::max<size_t>(hlen, 20))));
        }
        ipv4_repr ip;
        EXPECT_EQ(ipv4_repr::parse(bytes, ip, c.verify_checksum), c.expected)
            << c.name << ": got " << to_string(ipv4_repr::parse(bytes, ip, c.verify_checksum));
    }
}

TEST(ipv4, out_is_untouched_on_error) {
    auto bytes = test::copy_of(ping_datagram());
    bytes[11] ^= std::byte{0x01};
    ipv4_repr ip;
    ip.ttl = 7;
    EXPECT_EQ(ipv4_repr::parse(bytes, ip), wire_error::bad_checksum);
    ipv4_repr want;
    want.ttl = 7;
    EXPECT_EQ(ip, want);
}

} // namespace
} // namespace tachyon::wire
