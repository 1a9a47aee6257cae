/// UDP (RFC 768): captured datagrams with real checksums, emit in all three checksum modes, the
/// computed-zero case, zero-copy payload, round trip, and the validation order as a table.

#include "stack/wire/udp.hpp"

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
using test::same;
using test::keep;
using test::dst_port;

/// 198.18.4.1, the sender in the TAP captures.
constexpr ipv4_address a1{198, 18, 4, 1};
/// 198.18.4.2, the receiver in the TAP captures.
constexpr ipv4_address a2{198, 18, 4, 2};

/// The captured "tachyon\n" datagram (UDP header + payload).
std::span<const std::byte> tachyon_datagram() { return from(test::udp_tachyon_frame, test::l4_offset); }


TEST(udp, a_captured_datagram_verifies_and_parses) {
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(tachyon_datagram(), a1, a2, udp), wire_error::ok);
    EXPECT_EQ(udp.src_port, 40000);
    EXPECT_EQ(udp.dst_port, 5001);
    EXPECT_EQ(udp.length, 16);
    EXPECT_EQ(udp.checksum, 0xfc98);
    EXPECT_EQ(udp.payload_len(), 8u);
    const auto payload = udp.payload(tachyon_datagram());
    EXPECT_EQ(payload.data(), tachyon_datagram().data() + 8) << "a view, not a copy";
    const char text[] = "tachyon\n";
    EXPECT_TRUE(same(payload, std::as_bytes(std::span(text, 8))));
}

TEST(udp, the_pseudo_header_is_checked) {
    udp_repr udp;
    // Same bytes, other addresses: the pseudo header differs, so the checksum fails (swapping source
    // and destination does not change a ones' complement sum)...
    EXPECT_EQ(udp_repr::parse(tachyon_datagram(), a2, a1, udp), wire_error::ok) << "swapping is sum-neutral";
    EXPECT_EQ(udp_repr::parse(tachyon_datagram(), a1, ipv4_address(198, 18, 4, 3), udp),
              wire_error::bad_checksum);
    EXPECT_EQ(udp_repr::parse(tachyon_datagram(), ipv4_address(198, 18, 5, 1), a2, udp),
              wire_error::bad_checksum);
    // ...unless checking is off.
    EXPECT_EQ(udp_repr::parse(tachyon_datagram(), a1, ipv4_address(198, 18, 4, 3), udp, false),
              wire_error::ok);
}

TEST(udp, emits_the_captured_datagram) {
    udp_repr udp;
    udp.src_port = 40000;
    udp.dst_port = 5001;
    udp.length = 16;
    std::array<std::byte, 16> out{};
    const auto payload = udp.payload_mut(out);
    const auto captured = tachyon_datagram();
    std::copy(captured.begin() + 8, captured.end(), payload.begin());
    udp.emit(out, a1, a2);
    EXPECT_TRUE(same(out, captured));
}

TEST(udp, a_computed_zero_is_sent_as_ffff) {
    // The kernel's own datagram whose checksum computes to 0 (RFC 768: transmit all ones).
    const auto captured = from(test::udp_zero_sum_frame, test::l4_offset);
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(captured, a1, a2, udp), wire_error::ok);
    EXPECT_EQ(udp.checksum, 0xffff);
    EXPECT_EQ(udp.dst_port, 5002);
    auto out = test::copy_of(captured);
    store_be16(out.data() + 6, 0x1234);
    udp.emit(out, a1, a2);
    EXPECT_TRUE(same(out, captured));
    EXPECT_EQ(load_be16(out.data() + 6), 0xffff);
}

TEST(udp, a_zero_checksum_means_not_computed_and_is_accepted) {
    auto bytes = test::copy_of(tachyon_datagram());
    store_be16(bytes.data() + 6, 0);
    bytes[12] ^= std::byte{0xff}; // would fail any real checksum
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(bytes, a1, a2, udp), wire_error::ok);
    EXPECT_EQ(udp.checksum, 0);
}

TEST(udp, emit_without_checksum_writes_zero) {
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(tachyon_datagram(), a1, a2, udp), wire_error::ok);
    auto out = test::copy_of(tachyon_datagram());
    udp.emit(out, a1, a2, udp_checksum_mode::none);
    EXPECT_EQ(load_be16(out.data() + 6), 0);
    udp_repr back;
    EXPECT_EQ(udp_repr::parse(out, a1, a2, back), wire_error::ok);
}

TEST(udp, offload_writes_the_pseudo_header_sum_linux_leaves_for_the_nic) {
    // The veth capture (10.0.0.2:46195 -> 10.0.0.1:9, "hi\n") went out with checksum offload
    // pending: its checksum field is exactly what emit writes in offload mode.
    const auto veth = from(test::udp_frame, test::l4_offset);
    const ipv4_address src(10, 0, 0, 2), dst(10, 0, 0, 1);
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(veth, src, dst, udp, false), wire_error::ok);
    auto out = test::copy_of(veth);
    store_be16(out.data() + 6, 0);
    udp.emit(out, src, dst, udp_checksum_mode::offload);
    EXPECT_TRUE(same(out, veth));
    EXPECT_EQ(load_be16(out.data() + 6), 0x141f);

    // A NIC then sums header + payload from the start of UDP and stores the complement: the result
    // is the full checksum, which verifies.
    store_be16(out.data() + 6, internet_checksum(out));
    EXPECT_EQ(udp_repr::parse(out, src, dst, udp), wire_error::ok);
    auto full = test::copy_of(veth);
    udp.emit(full, src, dst);
    EXPECT_TRUE(same(out, full));
}

TEST(udp, offload_finishes_to_the_captured_checksum) {
    auto out = test::copy_of(tachyon_datagram());
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(out, a1, a2, udp), wire_error::ok);
    udp.emit(out, a1, a2, udp_checksum_mode::offload);
    EXPECT_NE(load_be16(out.data() + 6), 0xfc98);
    store_be16(out.data() + 6, internet_checksum(out));
    EXPECT_TRUE(same(out, tachyon_datagram()));
}

TEST(udp, bytes_after_length_are_ignored) {
    // An IP payload longer than the UDP length (Ethernet padding that IP did not trim, say).
    auto bytes = test::copy_of(tachyon_datagram());
    bytes.resize(bytes.size() + 30, std::byte{0xaa});
    udp_repr udp;
    ASSERT_EQ(udp_repr::parse(bytes, a1, a2, udp), wire_error::ok);
    EXPECT_EQ(udp.length, 16);
    EXPECT_EQ(udp.payload(bytes).size(), 8u);
}

TEST(udp, an_empty_payload_and_an_odd_one) {
    for (const uint16_t len : {8, 9, 15, 1472}) {
        std::vector<std::byte> out(len);
        for (size_t i = 8; i < out.size(); ++i) out[i] = std::byte(uint8_t(i * 7));
        udp_repr udp;
        udp.src_port = 1;
        udp.dst_port = 319;
        udp.length = len;
        udp.emit(out, a1, ipv4_address(239, 1, 2, 3));
        udp_repr back;
        ASSERT_EQ(udp_repr::parse(out, a1, ipv4_address(239, 1, 2, 3), back), wire_error::ok) << len;
        EXPECT_EQ(back.payload_len(), size_t(len) - 8);
    }
}

TEST(udp, round_trips_random_datagrams) {
    std::mt19937 rng(768);
    for (int i = 0; i < 2000; ++i) {
        udp_repr udp;
        udp.src_port = uint16_t(rng());
        udp.dst_port = uint16_t(1 + rng() % 65535);
        udp.length = uint16_t(8 + rng() % 100);
        const ipv4_address src{uint32_t(rng())}, dst{uint32_t(rng())};
        std::vector<std::byte> out(udp.length + rng() % 4);
        for (auto& b : out) b = std::byte(uint8_t(rng()));
        udp.emit(out, src, dst);
        udp_repr back;
        ASSERT_EQ(udp_repr::parse(out, src, dst, back), wire_error::ok);
        EXPECT_NE(back.checksum, 0) << "a computed 0 goes out as 0xffff";
        udp.checksum = back.checksum; // parse reports what emit computed
        ASSERT_EQ(back, udp);
    }
}

/// One validation case: how to spoil the captured datagram and what parse must say.
struct udp_case {
    const char* name;                                  ///< what is wrong
    std::function<void(std::vector<std::byte>&)> edit; ///< spoils the bytes (may resize them)
    bool fix_checksum;    ///< re-checksum after the edit (over the stated length), so only the edit is wrong
    bool verify_checksum; ///< parse's flag
    wire_error expected;  ///< the verdict
};

/// Sets the length field.
auto length(uint16_t v) {
    return [v](std::vector<std::byte>& b) { store_be16(b.data() + 4, v); };
}

TEST(udp, validation_table) {
    const auto none = [](std::vector<std::byte>&) {};
    const udp_case cases[] = {
        {"valid", none, false, true, wire_error::ok},
        {"empty", keep(0), false, true, wire_error::truncated},
        {"1 byte", keep(1), false, true, wire_error::truncated},
        {"7 bytes", keep(7), false, true, wire_error::truncated},
        {"header only, length 16 > 8", keep(8), false, true, wire_error::bad_total_length},
        {"15 bytes, length 16", keep(15), false, true, wire_error::bad_total_length},
        {"length 0", length(0), false, true, wire_error::bad_total_length},
        {"length 7 < header", length(7), false, true, wire_error::bad_total_length},
        {"length 17 > 16 bytes", length(17), false, true, wire_error::bad_total_length},
        {"length 65535", length(65535), false, true, wire_error::bad_total_length},
        {"bad length beats bad checksum, even unverified", length(7), false, false,
         wire_error::bad_total_length},
        {"length 8 (empty payload)", length(8), true, true, wire_error::ok},
        {"length 12 (payload cut short)", length(12), true, true, wire_error::ok},
        {"length 12, checksum over 16", length(12), false, true, wire_error::bad_checksum},
        {"checksum off by one", [](auto& b) { b[7] ^= std::byte{0x01}; }, false, true,
         wire_error::bad_checksum},
        {"payload flipped", [](auto& b) { b[10] ^= std::byte{0x20}; }, false, true, wire_error::bad_checksum},
        {"source port changed", [](auto& b) { b[1] ^= std::byte{0x01}; }, false, true,
         wire_error::bad_checksum},
        {"bad checksum, not verified", [](auto& b) { b[10] ^= std::byte{0x20}; }, false, false,
         wire_error::ok},
        {"checksum 0: not computed", [](auto& b) { store_be16(b.data() + 6, 0); }, false, true,
         wire_error::ok},
        {"checksum ffff where 0 is not the sum", [](auto& b) { store_be16(b.data() + 6, 0xffff); }, false,
         true, wire_error::bad_checksum},
        {"destination port 0", dst_port(0), true, true, wire_error::bad_port},
        {"destination port 0, not verified", dst_port(0), false, false, wire_error::bad_port},
        {"destination port 0, checksum 0",
         [](auto& b) {
             store_be16(b.data() + 2, 0);
             store_be16(b.data() + 6, 0);
         },
         false, true, wire_error::bad_port},
        {"bad checksum beats bad port", dst_port(0), false, true, wire_error::bad_checksum},
        {"source port 0 is fine", [](auto& b) { store_be16(b.data(), 0); }, true, true, wire_error::ok},
        {"destination port 65535", dst_port(65535), true, true, wire_error::ok},
        {"trailing bytes after length", [](auto& b) { b.resize(b.size() + 5, std::byte{0x55}); }, false, true,
         wire_error::ok},
    };
    for (const auto& c : cases) {
        auto bytes = test::copy_of(tachyon_datagram());
        c.edit(bytes);
        if (c.fix_checksum) {
            const uint16_t len = load_be16(bytes.data() + 4);
            store_be16(bytes.data() + 6, 0);
            const uint16_t sum = checksum_fold(checksum_partial(
                std::span(bytes).first(len), pseudo_header_sum(a1, a2, ip_protocol::udp, len)));
            store_be16(bytes.data() + 6, sum == 0 ? 0xffff : sum);
        }
        udp_repr udp;
        EXPECT_EQ(udp_repr::parse(bytes, a1, a2, udp, c.verify_checksum), c.expected)
            << c.name << ": got " << to_string(udp_repr::parse(bytes, a1, a2, udp, c.verify_checksum));
    }
}

TEST(udp, out_is_untouched_on_error) {
    auto bytes = test::copy_of(tachyon_datagram());
    bytes[7] ^= std::byte{0x01};
    udp_repr udp;
    udp.src_port = 7;
    EXPECT_EQ(udp_repr::parse(bytes, a1, a2, udp), wire_error::bad_checksum);
    udp_repr want;
    want.src_port = 7;
    EXPECT_EQ(udp, want);
}

} // namespace
} // namespace tachyon::wire
