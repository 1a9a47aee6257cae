/// Initial sequence numbers (RFC 6528) and the SipHash-2-4 under them: the reference vectors,
/// determinism for a key, distinct 4-tuples and keys apart, and M ticking once per 4 microseconds.

#include "stack/net/isn.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "stack/core/siphash.hpp"

namespace tachyon {
namespace {

/// The key of the SipHash paper's examples and the reference vectors: bytes 00 01 .. 0f.
constexpr siphash_key reference_key() {
    std::array<std::byte, 16> b{};
    for (size_t i = 0; i < b.size(); ++i) b[i] = std::byte(uint8_t(i));
    return siphash_key::from_bytes(b);
}

/// The message of the reference vectors: bytes 00 01 .. (n-1).
constexpr std::array<std::byte, 64> counting_bytes() {
    std::array<std::byte, 64> m{};
    for (size_t i = 0; i < m.size(); ++i) m[i] = std::byte(uint8_t(i));
    return m;
}

/// SipHash-2-4 of bytes 00 .. (n-1) under key 00 .. 0f for n = 0..63: `vectors_sip64` of the
/// reference implementation (the 8 output bytes there are this word little-endian). Checked
/// against OpenSSL 3.0's SIPHASH MAC; entry 15 is the paper's Appendix A example.
constexpr uint64_t reference_vectors[64] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
    0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
    0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
    0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
    0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull, 0x2f2e6163076bcfadull,
    0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull, 0xad87a3535c49ef28ull, 0x32d892fad841c342ull,
    0x7127512f72f27cceull, 0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull, 0x9abfd8766a33735cull,
    0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull, 0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull,
    0xf935451de4f21df2ull, 0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull, 0xa192d576b245165aull,
    0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full, 0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull,
    0xb78dbfaf3a8d83bdull, 0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull, 0x958a324ceb064572ull,
};

/// Bytes 00 .. 3f (the paper's Appendix A message is the first 15).
constexpr std::array<std::byte, 64> counting = counting_bytes();

// The paper's Appendix A example, at compile time: 15 bytes 00 .. 0e under key 00 .. 0f.
static_assert(siphash24(reference_key(), std::span(counting).first(15)) == 0xa129ca6149be45e5ull);

TEST(siphash, the_key_is_two_little_endian_words) {
    // Appendix A: k0 = 0706050403020100, k1 = 0f0e0d0c0b0a0908.
    EXPECT_EQ(reference_key().k0, 0x0706050403020100ull);
    EXPECT_EQ(reference_key().k1, 0x0f0e0d0c0b0a0908ull);
}

TEST(siphash, matches_the_reference_vectors) {
    const auto m = counting_bytes();
    for (size_t n = 0; n < 64; ++n) {
        EXPECT_EQ(siphash24(reference_key(), std::span(m).first(n)), reference_vectors[n]) << n;
    }
}

TEST(siphash, depends_on_every_key_bit) {
    const auto m = counting_bytes();
    const uint64_t base = siphash24(reference_key(), std::span(m).first(12));
    for (int bit = 0; bit < 128; ++bit) {
        siphash_key k = reference_key();
        (bit < 64 ? k.k0 : k.k1) ^= uint64_t(1) << (bit % 64);
        EXPECT_NE(siphash24(k, std::span(m).first(12)), base) << bit;
    }
}

/// A fixed test secret (the stack takes its own from getrandom).
constexpr siphash_key secret{0x243f6a8885a308d3ull, 0x13198a2e03707344ull};

constexpr ipv4_address local{198, 18, 5, 1};
constexpr ipv4_address remote{198, 18, 5, 2};

TEST(isn, m_ticks_once_every_4_microseconds) {
    EXPECT_EQ(isn_generator::timer(instant::from_ns(0)), 0u);
    EXPECT_EQ(isn_generator::timer(instant::from_ns(3'999)), 0u);
    EXPECT_EQ(isn_generator::timer(instant::from_ns(4'000)), 1u);
    EXPECT_EQ(isn_generator::timer(instant::from_ns(1'000'000'000)), 250'000u) << "250 000 per second";
    // Before the epoch, ticks are still 4 us wide (floor, not truncation towards zero).
    EXPECT_EQ(isn_generator::timer(instant::from_ns(-1)), 0xffffffffu);
    EXPECT_EQ(isn_generator::timer(instant::from_ns(-4'000)), 0xffffffffu);
    EXPECT_EQ(isn_generator::timer(instant::from_ns(-4'001)), 0xfffffffeu);
    // It wraps modulo 2^32, every 2^32 * 4 us (about 4.77 hours).
    const int64_t wrap_ns = (int64_t(1) << 32) * isn_generator::tick_ns;
    EXPECT_EQ(isn_generator::timer(instant::from_ns(wrap_ns)), 0u);
    EXPECT_EQ(isn_generator::timer(instant::from_ns(wrap_ns - 1)), 0xffffffffu);
}

TEST(isn, is_deterministic_for_a_key) {
    const isn_generator a(secret), b(secret);
    const instant t = instant::from_ns(123'456'789'000);
    EXPECT_EQ(a.isn(t, local, 40001, remote, 5001), b.isn(t, local, 40001, remote, 5001));
    EXPECT_EQ(a.isn(t, local, 40001, remote, 5001), a.isn(t, local, 40001, remote, 5001));
    EXPECT_EQ(a.isn(t, local, 40001, remote, 5001),
              wire::seq32{isn_generator::timer(t)} + a.offset(local, 40001, remote, 5001))
        << "ISN = M + F";
}

TEST(isn, another_key_gives_other_numbers) {
    const isn_generator a(secret);
    const isn_generator b(siphash_key{secret.k0, secret.k1 ^ 1});
    const instant t = instant::from_ns(0);
    EXPECT_NE(a.isn(t, local, 40001, remote, 5001), b.isn(t, local, 40001, remote, 5001));
}

TEST(isn, different_4_tuples_differ) {
    const isn_generator g(secret);
    const uint32_t base = g.offset(local, 40001, remote, 5001);
    EXPECT_NE(g.offset(ipv4_address(198, 18, 5, 3), 40001, remote, 5001), base) << "local address";
    EXPECT_NE(g.offset(local, 40002, remote, 5001), base) << "local port";
    EXPECT_NE(g.offset(local, 40001, ipv4_address(198, 18, 5, 4), 5001), base) << "remote address";
    EXPECT_NE(g.offset(local, 40001, remote, 5002), base) << "remote port";
    EXPECT_NE(g.offset(remote, 5001, local, 40001), base) << "the same pair seen from the other end";
    EXPECT_NE(g.offset(local, 5001, remote, 40001), base) << "ports swapped";
    EXPECT_NE(g.offset(remote, 40001, local, 5001), base) << "addresses swapped";
    // Reconnects from 10 000 consecutive ports all get different offsets (for a 32-bit PRF a
    // collision among 10 000 values has a ~1% chance; with this fixed key there is none).
    std::set<uint32_t> seen;
    for (uint32_t port = 30000; port < 40000; ++port)
        seen.insert(g.offset(local, uint16_t(port), remote, 5001));
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(isn, grows_with_time_for_one_tuple) {
    const isn_generator g(secret);
    const instant t0 = instant::from_ns(5'000'000'000);
    const wire::seq32 first = g.isn(t0, local, 40001, remote, 5001);
    // Within one 4 us tick: the same number.
    EXPECT_EQ(g.isn(t0 + duration::ns(3'999), local, 40001, remote, 5001), first);
    // One more per 4 us, whatever F is, across any wrap of the sequence space.
    wire::seq32 prev = first;
    for (int64_t k = 1; k <= 1000; ++k) {
        const wire::seq32 now = g.isn(t0 + duration::us(4 * k), local, 40001, remote, 5001);
        EXPECT_EQ(now - first, k);
        EXPECT_TRUE(now > prev);
        prev = now;
    }
    EXPECT_EQ(g.isn(t0 + duration::s(1), local, 40001, remote, 5001) - first, 250'000);
    // A minute later (a TIME_WAIT's length): exactly M's growth.
    EXPECT_EQ(g.isn(t0 + duration::s(60), local, 40001, remote, 5001) - first, 15'000'000);
}

TEST(isn, wraps_with_the_timer) {
    const isn_generator g(secret);
    const int64_t wrap_ns = (int64_t(1) << 32) * isn_generator::tick_ns;
    const wire::seq32 before = g.isn(instant::from_ns(wrap_ns - 4'000), local, 40001, remote, 5001);
    const wire::seq32 after = g.isn(instant::from_ns(wrap_ns), local, 40001, remote, 5001);
    EXPECT_EQ(after - before, 1);
    EXPECT_EQ(after, wire::seq32{g.offset(local, 40001, remote, 5001)});
}

TEST(isn, keyed_offsets_look_uniform) {
    // F's top bit is set for about half of the tuples (a smoke test, not a randomness test).
    const isn_generator g(secret);
    std::mt19937 rng(6528);
    int high = 0;
    for (int i = 0; i < 4096; ++i) {
        high += (g.offset(ipv4_address{uint32_t(rng())}, uint16_t(rng()), remote, 443) >> 31) != 0 ? 1 : 0;
    }
    EXPECT_GT(high, 1848); // 4096 / 2 -+ 200 (more than 6 sigma)
    EXPECT_LT(high, 2248);
}

} // namespace
} // namespace tachyon
