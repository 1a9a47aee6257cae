/// ICMP (RFC 792, RFC 1191): captured echo request/reply and port unreachable, an in-place
/// echo reply, fragmentation needed, unknown types, truncation and checksums.

#include "stack/wire/icmp.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "stack/wire/ipv4.hpp"
#include "unit/wire/byte_edits.hpp"
#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::as_bytes;
using test::from;
using test::same;

/// The ICMP message of a captured frame.
template <size_t N>
std::span<const std::byte> icmp_of(const uint8_t (&frame)[N]) {
    return from(frame, test::l4_offset);
}


TEST(icmp, parses_a_captured_echo_request) {
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(icmp_of(test::echo_request_frame), icmp), wire_error::ok);
    EXPECT_EQ(icmp.type, icmp_type::echo_request);
    EXPECT_EQ(icmp.code, 0);
    EXPECT_EQ(icmp.identifier, 0x1a15);
    EXPECT_EQ(icmp.sequence, 1);
    EXPECT_EQ(icmp.next_hop_mtu, 0);
    ASSERT_EQ(icmp.data.size(), 32u);
    EXPECT_EQ(icmp.data.data(), icmp_of(test::echo_request_frame).data() + 8) << "data is a view, not a copy";
    EXPECT_EQ(icmp.message_len(), 40u);
}

TEST(icmp, parses_a_captured_echo_reply) {
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(icmp_of(test::echo_reply_frame), icmp), wire_error::ok);
    EXPECT_EQ(icmp.type, icmp_type::echo_reply);
    EXPECT_EQ(icmp.identifier, 0x1a15);
    EXPECT_EQ(icmp.sequence, 1);
    EXPECT_TRUE(same(icmp.data, icmp_of(test::echo_request_frame).subspan(8)));
}

TEST(icmp, emits_the_captured_echo_reply) {
    icmp_repr request;
    ASSERT_EQ(icmp_repr::parse(icmp_of(test::echo_request_frame), request), wire_error::ok);
    icmp_repr reply = request;
    reply.type = icmp_type::echo_reply;
    std::array<std::byte, 40> out{};
    reply.emit(out);
    EXPECT_TRUE(same(out, icmp_of(test::echo_reply_frame)));
}

TEST(icmp, emits_a_reply_in_place_over_the_request) {
    // The zero-copy responder: parse the request in its buffer, flip the type, emit over it.
    auto buffer = test::copy_of(icmp_of(test::echo_request_frame));
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(buffer, icmp), wire_error::ok);
    ASSERT_EQ(icmp.data.data(), buffer.data() + 8);
    icmp.type = icmp_type::echo_reply;
    icmp.emit(buffer);
    EXPECT_TRUE(same(buffer, icmp_of(test::echo_reply_frame)));
}

TEST(icmp, emit_moves_data_that_overlaps_the_header) {
    // Data sitting 4 bytes into the output: it must be moved before the header is written.
    const auto payload = icmp_of(test::echo_request_frame).subspan(8);
    std::vector<std::byte> buffer(4 + 8 + payload.size());
    std::copy(payload.begin(), payload.end(), buffer.begin() + 4);
    icmp_repr icmp;
    icmp.type = icmp_type::echo_reply;
    icmp.identifier = 0x1a15;
    icmp.sequence = 1;
    icmp.data = std::span(buffer).subspan(4, payload.size());
    icmp.emit(buffer);
    EXPECT_TRUE(same(std::span(buffer).first(40), icmp_of(test::echo_reply_frame)));
}

TEST(icmp, parses_a_captured_port_unreachable_and_its_quoted_datagram) {
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(icmp_of(test::port_unreachable_frame), icmp), wire_error::ok);
    EXPECT_EQ(icmp.type, icmp_type::destination_unreachable);
    EXPECT_EQ(icmp.code, icmp_unreachable_code::port);
    EXPECT_EQ(icmp.identifier, 0);
    EXPECT_EQ(icmp.sequence, 0);
    EXPECT_EQ(icmp.next_hop_mtu, 0);
    EXPECT_TRUE(same(icmp.data, from(test::udp_frame, test::ip_offset)));

    // The quoted header is a whole IPv4 header: the upstream demux reads it to find the socket.
    ipv4_repr quoted;
    ASSERT_EQ(ipv4_repr::parse(icmp.data, quoted), wire_error::ok);
    EXPECT_EQ(quoted.protocol, ip_protocol::udp);
    EXPECT_EQ(quoted.src, ipv4_address(10, 0, 0, 2));
    EXPECT_EQ(load_be16(icmp.data.data() + quoted.header_len), 46195); // the source port
}

TEST(icmp, emits_the_captured_port_unreachable) {
    icmp_repr icmp;
    icmp.type = icmp_type::destination_unreachable;
    icmp.code = icmp_unreachable_code::port;
    icmp.data = from(test::udp_frame, test::ip_offset);
    std::array<std::byte, 39> out{};
    ASSERT_EQ(icmp.message_len(), out.size());
    icmp.emit(out);
    EXPECT_TRUE(same(out, icmp_of(test::port_unreachable_frame)));
}

/// Fragmentation needed (RFC 1191), hand-built and hand-checked: a router with a 1400-byte
/// next hop refusing frame 6's DF datagram, quoting its IP header and first 8 ICMP bytes.
// clang-format off
constexpr uint8_t frag_needed[] = {
    0x03, 0x04,             // destination unreachable, fragmentation needed
    0x8d, 0xff,             // checksum
    0x00, 0x00,             // unused
    0x05, 0x78,             // next-hop MTU 1400
    0x45, 0x00, 0x00, 0x3c, 0x62, 0xfd, 0x40, 0x00, 0x40, 0x01, 0xc3, 0xc1, // frame 6's IP header
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
    0x08, 0x00, 0x47, 0x6e, 0x1a, 0x15, 0x00, 0x01, // and the first 8 bytes of its payload
};
// clang-format on

TEST(icmp, fragmentation_needed_carries_the_next_hop_mtu) {
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(as_bytes(frag_needed), icmp), wire_error::ok);
    EXPECT_EQ(icmp.type, icmp_type::destination_unreachable);
    EXPECT_EQ(icmp.code, icmp_unreachable_code::fragmentation_needed);
    EXPECT_EQ(icmp.next_hop_mtu, 1400);
    EXPECT_EQ(icmp.data.size(), 28u);

    std::array<std::byte, sizeof frag_needed> out{};
    icmp.emit(out);
    EXPECT_TRUE(same(out, as_bytes(frag_needed)));
}

TEST(icmp, next_hop_mtu_is_only_for_code_4) {
    // Another code with the same rest-of-header bytes: the MTU is neither read nor written.
    auto bytes = test::copy_of(as_bytes(frag_needed));
    bytes[1] = std::byte{icmp_unreachable_code::host};
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(bytes, icmp, false), wire_error::ok);
    EXPECT_EQ(icmp.next_hop_mtu, 0);
    icmp.next_hop_mtu = 1400;
    std::vector<std::byte> out(icmp.message_len());
    icmp.emit(out);
    EXPECT_EQ(load_be32(out.data() + 4), 0u);
    EXPECT_EQ(internet_checksum(out), 0);
}

TEST(icmp, unknown_types_parse_with_their_data) {
    // A timestamp request (type 13): id/seq live in the same place, but only echo reads them.
    // clang-format off
    constexpr uint8_t timestamp[] = {
        0x0d, 0x00,             // timestamp request, code 0
        0xe0, 0xc3,             // checksum
        0x12, 0x34, 0x00, 0x07, // identifier, sequence
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // timestamps
    };
    // clang-format on
    ASSERT_EQ(internet_checksum(as_bytes(timestamp)), 0);
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(as_bytes(timestamp), icmp), wire_error::ok);
    EXPECT_EQ(icmp.type, 13);
    EXPECT_EQ(icmp.code, 0);
    EXPECT_EQ(icmp.identifier, 0);
    EXPECT_EQ(icmp.sequence, 0);
    EXPECT_EQ(icmp.data.size(), 12u);
    EXPECT_EQ(icmp.data.data(), as_bytes(timestamp).data() + 8);

    // Emitting an unknown type writes a zero rest-of-header and a valid checksum.
    std::array<std::byte, 20> out{};
    icmp.emit(out);
    EXPECT_EQ(load_be32(out.data() + 4), 0u);
    EXPECT_EQ(internet_checksum(out), 0);
    EXPECT_TRUE(same(std::span(out).subspan(8), icmp.data));
}

TEST(icmp, round_trips_echo_with_odd_data_lengths) {
    std::vector<std::byte> payload(101);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = std::byte(i * 7 + 3);
    for (size_t len : {0u, 1u, 7u, 56u, 101u}) {
        icmp_repr icmp;
        icmp.type = icmp_type::echo_request;
        icmp.identifier = 0xbeef;
        icmp.sequence = uint16_t(len);
        icmp.data = std::span(payload).first(len);
        std::vector<std::byte> out(icmp.message_len());
        icmp.emit(out);
        icmp_repr back;
        ASSERT_EQ(icmp_repr::parse(out, back), wire_error::ok) << len;
        EXPECT_EQ(back.type, icmp.type);
        EXPECT_EQ(back.code, icmp.code);
        EXPECT_EQ(back.identifier, icmp.identifier);
        EXPECT_EQ(back.sequence, icmp.sequence);
        EXPECT_EQ(back.next_hop_mtu, 0);
        EXPECT_TRUE(same(back.data, icmp.data)) << len;
    }
}

TEST(icmp, truncated_below_8_bytes) {
    const auto message = icmp_of(test::echo_request_frame);
    for (size_t n = 0; n < icmp_repr::header_len; ++n) {
        icmp_repr icmp;
        EXPECT_EQ(icmp_repr::parse(message.first(n), icmp), wire_error::truncated) << n;
        EXPECT_EQ(icmp_repr::parse(message.first(n), icmp, false), wire_error::truncated) << n;
    }
}

TEST(icmp, a_bare_header_is_a_message) {
    // An echo request with no data: 8 bytes, checksum ~(0x0800 + 0x1a15 + 0x0001) = 0xdde9.
    constexpr uint8_t bare[] = {0x08, 0x00, 0xdd, 0xe9, 0x1a, 0x15, 0x00, 0x01};
    icmp_repr icmp;
    ASSERT_EQ(icmp_repr::parse(as_bytes(bare), icmp), wire_error::ok);
    EXPECT_TRUE(icmp.data.empty());
    EXPECT_EQ(icmp.message_len(), 8u);
}

TEST(icmp, checksum_covers_the_whole_message) {
    const auto message = icmp_of(test::echo_request_frame);
    for (size_t at : {size_t(0), size_t(2), size_t(5), size_t(8), size_t(39)}) {
        auto bytes = test::copy_of(message);
        bytes[at] ^= std::byte{0x10};
        icmp_repr icmp;
        EXPECT_EQ(icmp_repr::parse(bytes, icmp), wire_error::bad_checksum) << at;
        EXPECT_EQ(icmp_repr::parse(bytes, icmp, false), wire_error::ok) << at;
    }
    // A message cut short by a wrong IP total length fails the checksum too.
    icmp_repr icmp;
    EXPECT_EQ(icmp_repr::parse(message.first(39), icmp), wire_error::bad_checksum);
}

} // namespace
} // namespace tachyon::wire
