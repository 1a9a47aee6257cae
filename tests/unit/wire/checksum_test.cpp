/// The internet checksum (RFC 1071), incremental updates (RFC 1624) and the pseudo header,
/// against RFC examples, real captures and a naive reference implementation.

#include "stack/wire/checksum.hpp"

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "stack/wire/ipv4.hpp"
#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::as_bytes;
using test::from;

/// The textbook definition, one 16-bit word at a time: the reference the fast path must match.
uint16_t naive_checksum(std::span<const std::byte> data) {
    uint32_t sum = 0;
    for (size_t i = 0; i < data.size(); i += 2) {
        const uint32_t hi = uint8_t(data[i]);
        const uint32_t lo = i + 1 < data.size() ? uint8_t(data[i + 1]) : 0;
        sum += (hi << 8) | lo;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return uint16_t(~sum);
}

std::vector<std::byte> random_bytes(std::mt19937& rng, size_t n) {
    std::vector<std::byte> v(n);
    for (auto& b : v) b = std::byte(rng() & 0xff);
    return v;
}

TEST(checksum, rfc1071_section3_example) {
    // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0x2ddf0, folded 0xddf2.
    constexpr uint8_t example[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(detail::fold_to_16(checksum_partial(as_bytes(example))), 0xddf2u);
    EXPECT_EQ(checksum_fold(checksum_partial(as_bytes(example))), 0x220d);
    EXPECT_EQ(checksum_fold(0x2ddf0), 0x220d); // the unfolded sum folds the same way
    EXPECT_EQ(internet_checksum(as_bytes(example)), 0x220d);
}

TEST(checksum, empty_data_sums_to_zero) {
    EXPECT_EQ(checksum_partial({}), 0u);
    EXPECT_EQ(checksum_partial({}, 0x1234), 0x1234u);
    EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(checksum, odd_trailing_byte_is_padded_with_zero) {
    constexpr uint8_t one[] = {0xab};
    EXPECT_EQ(checksum_partial(as_bytes(one)), 0xab00u);
    constexpr uint8_t three[] = {0x00, 0x01, 0xf2};
    EXPECT_EQ(checksum_partial(as_bytes(three)), 0xf201u);
    constexpr uint8_t nine[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x01};
    EXPECT_EQ(checksum_partial(as_bytes(nine)), 0xdef2u); // 0xddf2 + 0x0100
}

TEST(checksum, matches_the_naive_sum_for_every_length_and_alignment) {
    std::mt19937 rng(1071);
    const auto data = random_bytes(rng, 300);
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t len = 0; offset + len <= data.size(); ++len) {
            const auto chunk = std::span(data).subspan(offset, len);
            ASSERT_EQ(internet_checksum(chunk), naive_checksum(chunk))
                << "offset " << offset << " len " << len;
        }
    }
}

TEST(checksum, carries_out_of_64_bits_are_not_lost) {
    // All-ones data makes every 64-bit addition carry.
    const std::vector<std::byte> ones(65536 + 6, std::byte{0xff});
    EXPECT_EQ(checksum_partial(ones), 0xffffu);
    EXPECT_EQ(internet_checksum(ones), 0x0000);
    EXPECT_EQ(naive_checksum(ones), 0x0000);
    std::mt19937 rng(64);
    for (size_t len : {9000u, 65535u}) {
        const auto data = random_bytes(rng, len);
        EXPECT_EQ(internet_checksum(data), naive_checksum(data)) << len;
    }
}

TEST(checksum, partial_sums_chain_over_even_sized_chunks) {
    std::mt19937 rng(793);
    for (int round = 0; round < 500; ++round) {
        const auto data = random_bytes(rng, 1 + rng() % 1600);
        uint32_t sum = rng() % 0x10000; // something already summed, e.g. a pseudo header
        const uint32_t start = sum;
        size_t at = 0;
        while (at < data.size()) {
            size_t n = 2 * (rng() % 40);                    // even, possibly empty
            if (at + n > data.size()) n = data.size() - at; // the last chunk may be odd
            sum = checksum_partial(std::span(data).subspan(at, n), sum);
            ASSERT_LE(sum, 0xffffu);
            at += n;
        }
        ASSERT_EQ(checksum_fold(sum), checksum_fold(checksum_partial(data, start))) << round;
    }
}

TEST(checksum, a_large_starting_sum_does_not_overflow) {
    constexpr uint8_t example[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    // 0xffffffff is 0xffff folded twice over: a ones' complement negative zero.
    EXPECT_EQ(checksum_fold(checksum_partial(as_bytes(example), 0xffffffffu)), 0x220d);
}

TEST(checksum, well_known_ipv4_header) {
    // The classic example: 192.168.0.1 -> 192.168.0.199, UDP, total length 115; checksum b861.
    constexpr uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
                                  0x40, 0x11, 0x00, 0x00, // checksum field zeroed
                                  0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(internet_checksum(as_bytes(header)), 0xb861);
}

TEST(checksum, real_ping_headers_checksum_to_zero) {
    EXPECT_EQ(internet_checksum(from(test::echo_request_frame, test::ip_offset).first(20)), 0);
    EXPECT_EQ(internet_checksum(from(test::echo_reply_frame, test::ip_offset).first(20)), 0);
    EXPECT_EQ(internet_checksum(from(test::echo_request_frame, test::l4_offset)), 0);
    EXPECT_EQ(internet_checksum(from(test::echo_reply_frame, test::l4_offset)), 0);
    EXPECT_EQ(internet_checksum(from(test::port_unreachable_frame, test::l4_offset)), 0);
}

TEST(checksum, pseudo_header_sum_is_what_linux_seeds_for_offload) {
    // Frame 11 crossed the veth with checksum offload pending (CHECKSUM_PARTIAL): its UDP
    // checksum field holds the folded, uncomplemented pseudo-header sum for the NIC to finish.
    const auto udp = from(test::udp_frame, test::l4_offset);
    ASSERT_EQ(udp.size(), 11u);
    const uint32_t pseudo = pseudo_header_sum(ipv4_address(10, 0, 0, 2), ipv4_address(10, 0, 0, 1),
                                              ip_protocol::udp, uint16_t(udp.size()));
    EXPECT_EQ(pseudo, 0x0a00u + 0x0002u + 0x0a00u + 0x0001u + 17u + 11u);
    EXPECT_EQ(load_be16(udp.data() + 6), pseudo);
}

TEST(checksum, pseudo_header_completes_a_udp_checksum) {
    // Finishing frame 11's checksum in software: zero the field, sum pseudo header and datagram.
    auto udp = test::copy_of(from(test::udp_frame, test::l4_offset));
    const uint32_t pseudo = pseudo_header_sum(ipv4_address(10, 0, 0, 2), ipv4_address(10, 0, 0, 1),
                                              ip_protocol::udp, uint16_t(udp.size()));
    store_be16(udp.data() + 6, 0);
    const uint16_t sum = checksum_fold(checksum_partial(udp, pseudo));
    EXPECT_EQ(sum, 0xc4ef); // hand-checked
    store_be16(udp.data() + 6, sum);
    EXPECT_EQ(checksum_fold(checksum_partial(udp, pseudo)), 0) << "the receiver's check";
    // The same, chaining the 8-byte header and the odd-length payload separately.
    EXPECT_EQ(checksum_fold(checksum_partial(std::span(udp).subspan(8),
                                             checksum_partial(std::span(udp).first(8), pseudo))),
              0);
}

TEST(checksum_update, rfc1624_example_gives_zero_not_ffff) {
    // RFC 1624 §4: the other header words sum to 0xcd7a and a field m = 0x5555 becomes 0x3285.
    constexpr uint16_t c = 0xcd7a;
    const uint16_t hc = checksum_fold(uint32_t(c) + 0x5555);
    ASSERT_EQ(hc, 0xdd2f);
    const uint16_t recomputed = checksum_fold(uint32_t(c) + 0x3285); // ~0xffff
    ASSERT_EQ(recomputed, 0x0000);
    // Eqn. 2 (HC' = HC - ~m - m') would say 0xffff here; eqn. 3 agrees with recomputation.
    EXPECT_EQ(checksum_update16(hc, 0x5555, 0x3285), 0x0000);
    // And back again from a checksum of zero.
    EXPECT_EQ(checksum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
}

TEST(checksum_update, cannot_tell_a_sum_of_plus_zero_from_minus_zero) {
    // An ICMP echo request with identifier, sequence and data all zero: 08 00 f7 ff 00 00 00 00.
    // Its reply is all zeros but the checksum, which must be 0xFFFF (a verifier sums to -0).
    std::array<std::byte, 8> reply{};
    store_be16(reply.data() + 2, 0xffff);
    EXPECT_EQ(internet_checksum(reply), 0);
    // Eqn. 3 gives 0x0000 here (the callers with no pseudo header recompute on 0x0000).
    EXPECT_EQ(checksum_update16(0xf7ff, 0x0800, 0x0000), 0x0000);
    store_be16(reply.data() + 2, 0x0000);
    EXPECT_NE(internet_checksum(reply), 0) << "0x0000 would not verify";
}

TEST(checksum_update, no_change_is_no_change) {
    EXPECT_EQ(checksum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
    EXPECT_EQ(checksum_update32(0x1234, 0xdeadbeef, 0xdeadbeef), 0x1234);
    EXPECT_EQ(checksum_update16(0x0000, 0x5555, 0x5555), 0x0000);
}

TEST(checksum_update, echo_request_to_reply) {
    // Turning frame 6 into frame 7's ICMP: the type/code word 0x0800 becomes 0x0000.
    EXPECT_EQ(checksum_update16(0x476e, 0x0800, 0x0000), 0x4f6e);
}

TEST(checksum_update, ttl_decrement_on_a_real_header) {
    auto header = test::copy_of(from(test::echo_request_frame, test::ip_offset).first(20));
    const uint16_t old_word = load_be16(header.data() + 8); // TTL 64, protocol 1
    const auto new_word = uint16_t(old_word - 0x0100);
    header[8] = std::byte{63};
    const uint16_t updated = checksum_update16(load_be16(header.data() + 10), old_word, new_word);
    store_be16(header.data() + 10, updated);
    EXPECT_EQ(internet_checksum(header), 0);
    EXPECT_EQ(updated, 0xc4c1); // RFC 1141: the checksum goes up by 0x0100
}

/// A random, valid IPv4 header as bytes with its checksum filled.
std::array<std::byte, 20> random_header(std::mt19937& rng) {
    ipv4_repr r;
    r.dscp_ecn = uint8_t(rng());
    r.total_len = uint16_t(20 + rng() % 1480);
    r.identification = uint16_t(rng());
    r.dont_fragment = rng() & 1;
    r.ttl = uint8_t(rng());
    r.protocol = uint8_t(rng());
    r.src = ipv4_address{uint32_t(rng())};
    r.dst = ipv4_address{uint32_t(rng())};
    std::array<std::byte, 20> b{};
    r.emit(b);
    return b;
}

/// The header's checksum computed from scratch.
uint16_t recompute(std::array<std::byte, 20> b) {
    store_be16(b.data() + 10, 0);
    return internet_checksum(b);
}

TEST(checksum_update, matches_recomputation_for_random_16_bit_changes) {
    std::mt19937 rng(1624);
    for (int round = 0; round < 20000; ++round) {
        auto b = random_header(rng);
        size_t word = rng() % 9; // any of the 10 words except the checksum (word 5)
        if (word >= 5) ++word;
        const uint16_t old_word = load_be16(b.data() + 2 * word);
        // Now and then pick the value that makes the new sum 0xffff (checksum 0x0000).
        auto new_word = uint16_t(rng());
        if (round % 8 == 0) {
            const auto rest = uint16_t(~checksum_update16(load_be16(b.data() + 10), old_word, 0));
            new_word = uint16_t(0xffff - rest);
        }
        const uint16_t updated = checksum_update16(load_be16(b.data() + 10), old_word, new_word);
        store_be16(b.data() + 2 * word, new_word);
        ASSERT_EQ(updated, recompute(b)) << "round " << round << " word " << word;
        store_be16(b.data() + 10, updated);
        ASSERT_EQ(internet_checksum(b), 0) << round;
    }
}

TEST(checksum_update, zero_checksum_edge_cases_are_exercised) {
    // The 0x0000 results the random test forces really occur, and agree with recomputation.
    std::mt19937 rng(1624);
    int zeros = 0;
    for (int round = 0; round < 2000; ++round) {
        auto b = random_header(rng);
        const uint16_t old_word = load_be16(b.data() + 4);
        const auto rest = uint16_t(~checksum_update16(load_be16(b.data() + 10), old_word, 0));
        const auto new_word = uint16_t(0xffff - rest);
        const uint16_t updated = checksum_update16(load_be16(b.data() + 10), old_word, new_word);
        store_be16(b.data() + 4, new_word);
        ASSERT_EQ(updated, recompute(b));
        zeros += updated == 0;
    }
    EXPECT_EQ(zeros, 2000);
}

TEST(checksum_update, matches_recomputation_for_random_address_rewrites) {
    std::mt19937 rng(3022); // RFC 3022, NAT: rewrite an address, patch the checksum
    for (int round = 0; round < 20000; ++round) {
        auto b = random_header(rng);
        const size_t at = (rng() & 1) ? 12 : 16;
        const uint32_t old_value = load_be32(b.data() + at);
        const auto new_value = uint32_t(rng());
        const uint16_t updated = checksum_update32(load_be16(b.data() + 10), old_value, new_value);
        store_be32(b.data() + at, new_value);
        ASSERT_EQ(updated, recompute(b)) << round;
    }
}

TEST(checksum, constexpr_helpers_work_at_compile_time) {
    static_assert(checksum_fold(0x2ddf0) == 0x220d);
    static_assert(checksum_update16(0xdd2f, 0x5555, 0x3285) == 0x0000);
    static_assert(pseudo_header_sum(ipv4_address(0xffffffff), ipv4_address(0xffffffff), 255, 0xffff) ==
                  4 * 0xffffu + 255 + 0xffff);
    SUCCEED();
}

} // namespace
} // namespace tachyon::wire
