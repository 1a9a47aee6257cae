/// Ethernet II: parse and emit against captured frames, round trip, truncation.

#include "stack/wire/ethernet.hpp"

#include <algorithm>
#include <array>

#include <gtest/gtest.h>

#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::as_bytes;

const mac_address mac1{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const mac_address mac2{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

TEST(ethernet, parses_a_captured_ipv4_frame) {
    ethernet_repr eth;
    ASSERT_EQ(ethernet_repr::parse(as_bytes(test::echo_request_frame), eth), wire_error::ok);
    EXPECT_EQ(eth.dst, mac2);
    EXPECT_EQ(eth.src, mac1);
    EXPECT_EQ(eth.ethertype, ethertype::ipv4);
}

TEST(ethernet, parses_a_captured_broadcast_arp_frame) {
    ethernet_repr eth;
    ASSERT_EQ(ethernet_repr::parse(as_bytes(test::arp_request_frame), eth), wire_error::ok);
    EXPECT_TRUE(eth.dst.is_broadcast());
    EXPECT_EQ(eth.src, mac1);
    EXPECT_EQ(eth.ethertype, ethertype::arp);
}

TEST(ethernet, emits_the_captured_header) {
    const ethernet_repr eth{mac1, mac2, ethertype::ipv4};
    std::array<std::byte, ethernet_repr::header_len> out{};
    eth.emit(out);
    const auto want = as_bytes(test::echo_reply_frame).first(ethernet_repr::header_len);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), want.begin()));
}

TEST(ethernet, emit_writes_only_the_header) {
    const ethernet_repr eth{mac_address::broadcast(), mac1, ethertype::vlan};
    std::array<std::byte, 20> out;
    out.fill(std::byte{0xee});
    eth.emit(out);
    // clang-format off
    constexpr uint8_t want[] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // dst: broadcast
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // src
        0x81, 0x00,                         // ethertype: 802.1Q
        0xee, 0xee, 0xee, 0xee, 0xee, 0xee, // untouched
    };
    // clang-format on
    EXPECT_TRUE(std::equal(out.begin(), out.end(), as_bytes(want).begin()));
}

TEST(ethernet, round_trips) {
    for (uint16_t type :
         {ethertype::ipv4, ethertype::arp, ethertype::vlan, ethertype::ipv6, uint16_t(0x88f7)}) {
        const ethernet_repr eth{mac_address{{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}}, mac2, type};
        std::array<std::byte, ethernet_repr::header_len> out{};
        eth.emit(out);
        ethernet_repr back;
        ASSERT_EQ(ethernet_repr::parse(out, back), wire_error::ok);
        EXPECT_EQ(back, eth);
    }
}

TEST(ethernet, truncated_below_14_bytes) {
    const auto frame = as_bytes(test::echo_request_frame);
    for (size_t n = 0; n < ethernet_repr::header_len; ++n) {
        ethernet_repr eth{mac1, mac1, 0x1234};
        EXPECT_EQ(ethernet_repr::parse(frame.first(n), eth), wire_error::truncated) << n;
        EXPECT_EQ(eth, (ethernet_repr{mac1, mac1, 0x1234})) << "out is untouched on error";
    }
    ethernet_repr eth;
    EXPECT_EQ(ethernet_repr::parse(frame.first(ethernet_repr::header_len), eth), wire_error::ok);
}

} // namespace
} // namespace tachyon::wire
