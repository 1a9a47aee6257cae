/// ARP (RFC 826, Ethernet/IPv4): captured request and reply, padding, every malformed field.

#include "stack/wire/arp.hpp"

#include <algorithm>
#include <array>
#include <random>

#include <gtest/gtest.h>

#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::as_bytes;
using test::from;

const mac_address mac1{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const mac_address mac2{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const ipv4_address ip1(10, 0, 0, 1);
const ipv4_address ip2(10, 0, 0, 2);

/// The ARP packet of the captured request, after its Ethernet header.
std::span<const std::byte> request() { return from(test::arp_request_frame, ethernet_repr::header_len); }
/// The ARP packet of the captured reply, after its Ethernet header.
std::span<const std::byte> reply() { return from(test::arp_reply_frame, ethernet_repr::header_len); }

TEST(arp, parses_a_captured_request) {
    arp_repr arp;
    ASSERT_EQ(arp_repr::parse(request(), arp), wire_error::ok);
    EXPECT_EQ(arp.operation, arp_operation::request);
    EXPECT_EQ(arp.sender_hardware_address, mac1);
    EXPECT_EQ(arp.sender_protocol_address, ip1);
    EXPECT_EQ(arp.target_hardware_address, mac_address::zero());
    EXPECT_EQ(arp.target_protocol_address, ip2);
}

TEST(arp, parses_a_captured_reply) {
    arp_repr arp;
    ASSERT_EQ(arp_repr::parse(reply(), arp), wire_error::ok);
    EXPECT_EQ(arp.operation, arp_operation::reply);
    EXPECT_EQ(arp.sender_hardware_address, mac2);
    EXPECT_EQ(arp.sender_protocol_address, ip2);
    EXPECT_EQ(arp.target_hardware_address, mac1);
    EXPECT_EQ(arp.target_protocol_address, ip1);
}

TEST(arp, emits_the_captured_request_and_reply) {
    std::array<std::byte, arp_repr::packet_len> out{};
    const arp_repr req{arp_operation::request, mac1, ip1, mac_address::zero(), ip2};
    req.emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), request().begin()));

    const arp_repr rep{arp_operation::reply, mac2, ip2, mac1, ip1};
    rep.emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), reply().begin()));
}

TEST(arp, ethernet_padding_after_the_packet_is_ignored) {
    // A real NIC pads the 42-byte frame to 60: 18 zero bytes after the ARP packet.
    std::array<std::byte, 60 - ethernet_repr::header_len> padded{};
    std::copy(request().begin(), request().end(), padded.begin());
    arp_repr arp;
    ASSERT_EQ(arp_repr::parse(padded, arp), wire_error::ok);
    EXPECT_EQ(arp.target_protocol_address, ip2);
}

TEST(arp, round_trips_random_packets) {
    std::mt19937 rng(826);
    for (int i = 0; i < 1000; ++i) {
        arp_repr arp;
        arp.operation = (rng() & 1) ? arp_operation::request : arp_operation::reply;
        for (auto& b : arp.sender_hardware_address.bytes) b = uint8_t(rng());
        for (auto& b : arp.target_hardware_address.bytes) b = uint8_t(rng());
        arp.sender_protocol_address = ipv4_address{uint32_t(rng())};
        arp.target_protocol_address = ipv4_address{uint32_t(rng())};
        std::array<std::byte, arp_repr::packet_len> out{};
        arp.emit(out);
        arp_repr back;
        ASSERT_EQ(arp_repr::parse(out, back), wire_error::ok);
        ASSERT_EQ(back, arp);
    }
}

TEST(arp, truncated_at_every_length_below_28) {
    for (size_t n = 0; n < arp_repr::packet_len; ++n) {
        arp_repr arp;
        EXPECT_EQ(arp_repr::parse(request().first(n), arp), wire_error::truncated) << n;
    }
}

/// One malformed-packet case: a byte to overwrite and the error it must produce.
struct arp_case {
    const char* name;    ///< what is wrong
    size_t offset;       ///< which byte to overwrite
    uint8_t value;       ///< with what
    wire_error expected; ///< the verdict
};

TEST(arp, rejects_each_malformed_field) {
    // clang-format off
    const arp_case cases[] = {
        {"htype 6 (IEEE 802)", 1, 0x06, wire_error::bad_hardware_type},
        {"htype 0x0101", 0, 0x01, wire_error::bad_hardware_type},
        {"ptype 0x86dd (IPv6)", 2, 0x86, wire_error::bad_protocol_type},
        {"ptype 0x0801", 3, 0x01, wire_error::bad_protocol_type},
        {"hlen 8", 4, 0x08, wire_error::bad_address_length},
        {"hlen 0", 4, 0x00, wire_error::bad_address_length},
        {"plen 16", 5, 0x10, wire_error::bad_address_length},
        {"op 0", 7, 0x00, wire_error::bad_operation},
        {"op 3 (RARP request)", 7, 0x03, wire_error::bad_operation},
        {"op 8 (InARP request)", 7, 0x08, wire_error::bad_operation},
        {"op 0x0101", 6, 0x01, wire_error::bad_operation},
    };
    // clang-format on
    for (const auto& c : cases) {
        auto bytes = test::copy_of(request());
        bytes[c.offset] = std::byte{c.value};
        arp_repr arp;
        EXPECT_EQ(arp_repr::parse(bytes, arp), c.expected) << c.name;
    }
}

TEST(arp, checks_fields_in_order) {
    auto bytes = test::copy_of(request());
    bytes[1] = std::byte{6}; // bad htype
    bytes[3] = std::byte{0}; // bad ptype
    bytes[7] = std::byte{9}; // bad op
    arp_repr arp;
    EXPECT_EQ(arp_repr::parse(bytes, arp), wire_error::bad_hardware_type);
    EXPECT_EQ(arp_repr::parse(std::span(bytes).first(27), arp), wire_error::truncated);
}

} // namespace
} // namespace tachyon::wire
