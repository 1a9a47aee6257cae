/// Sequence numbers (RFC 9293 §3.4, RFC 1982): modulo-2^32 arithmetic and ordering in every
/// operator across the wrap, the RFC's range tests with their exact ends, and random pairs
/// against a 64-bit reference that never wraps.

#include "stack/wire/seq.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace tachyon::wire {
namespace {

constexpr uint32_t top = 0xffffffffu;

/// True when `s + n` compiles for a length of type T.
template <typename T>
concept addable = requires(seq32 s, T n) {
    s + n;
};
/// True when T has a three-way comparison.
template <typename T>
concept three_way = requires(T a) {
    a <=> a;
};

// Any integer length but bool; and no <=> that could order raw values by mistake.
static_assert(addable<uint32_t> && addable<int32_t> && addable<size_t> && addable<int>);
static_assert(!addable<bool> && !addable<seq32>);
static_assert(!three_way<seq32>);

// Everything is constexpr.
static_assert(seq32{top} + 1u == seq32{0});
static_assert(seq32{0} - 1 == seq32{top});
static_assert(seq32{0} - seq32{top} == 1);
static_assert(seq32{top} < seq32{0});
static_assert(acceptable_ack(seq32{top}, seq32{0}, seq32{1}));
static_assert(segment_acceptable(seq32{top - 1}, 4, seq32{1}, 1));

TEST(seq32, holds_its_value) {
    EXPECT_EQ(seq32{}.value(), 0u);
    EXPECT_EQ(seq32{0x12345678}.value(), 0x12345678u);
    EXPECT_EQ(seq32{top}.value(), top);
    EXPECT_EQ(seq32{7}, seq32{7});
    EXPECT_NE(seq32{7}, seq32{8});
}

TEST(seq32, addition_wraps_at_2_to_the_32) {
    EXPECT_EQ((seq32{top} + 1u).value(), 0u);
    EXPECT_EQ((seq32{top} + uint32_t(2)).value(), 1u);
    EXPECT_EQ((seq32{top - 9} + 20).value(), 10u);
    EXPECT_EQ((seq32{0x80000000u} + 0x80000000u).value(), 0u);
    EXPECT_EQ((seq32{5} + top).value(), 4u) << "adding 2^32 - 1 is subtracting 1";
    EXPECT_EQ((seq32{5} + size_t(10)).value(), 15u) << "a size_t payload length";
    EXPECT_EQ((seq32{5} + (size_t(1) << 32)).value(), 5u) << "taken modulo 2^32";
    EXPECT_EQ((seq32{top} + uint16_t(1)).value(), 0u);
}

TEST(seq32, adding_a_negative_length_moves_back) {
    EXPECT_EQ((seq32{0} + -1).value(), top);
    EXPECT_EQ((seq32{10} + int32_t(-20)).value(), top - 9);
    EXPECT_EQ((seq32{10} + int64_t(-20)).value(), top - 9);
    EXPECT_EQ((seq32{0} + INT32_MIN).value(), 0x80000000u);
}

TEST(seq32, subtraction_wraps_at_zero) {
    EXPECT_EQ((seq32{0} - 1u).value(), top);
    EXPECT_EQ((seq32{3} - uint32_t(5)).value(), top - 1);
    EXPECT_EQ((seq32{3} - -5).value(), 8u);
    EXPECT_EQ((seq32{top} - int32_t(-1)).value(), 0u);
    EXPECT_EQ((seq32{0} - size_t(0x100000001)).value(), top);
}

TEST(seq32, compound_assignment_wraps) {
    seq32 s{top - 1};
    s += 3u;
    EXPECT_EQ(s.value(), 1u);
    s -= 2;
    EXPECT_EQ(s.value(), top);
    s += -1;
    EXPECT_EQ(s.value(), top - 1);
    s -= -2;
    EXPECT_EQ(s.value(), 0u);
}

TEST(seq32, difference_is_signed_and_wrap_aware) {
    EXPECT_EQ(seq32{0} - seq32{top}, 1);
    EXPECT_EQ(seq32{top} - seq32{0}, -1);
    EXPECT_EQ(seq32{5} - seq32{top - 4}, 10);
    EXPECT_EQ(seq32{top - 4} - seq32{5}, -10);
    EXPECT_EQ(seq32{100} - seq32{100}, 0);
    EXPECT_EQ(seq32{0x7fffffffu} - seq32{0}, INT32_MAX);
    EXPECT_EQ(seq32{0x80000001u} - seq32{0}, -INT32_MAX) << "past half the space it is behind";
    // (a - b) + b == a for every a, b.
    const seq32 a{3}, b{top - 2};
    EXPECT_EQ(b + (a - b), a);
    EXPECT_EQ(a + (b - a), b);
}

TEST(seq32, comparisons_follow_the_difference_across_the_wrap) {
    const seq32 before{top - 1}, after{2}; // 4 apart, straddling 2^32
    EXPECT_TRUE(before < after);
    EXPECT_TRUE(before <= after);
    EXPECT_FALSE(before > after);
    EXPECT_FALSE(before >= after);
    EXPECT_TRUE(after > before);
    EXPECT_TRUE(after >= before);
    EXPECT_FALSE(after < before);
    EXPECT_FALSE(after <= before);
    EXPECT_TRUE(before <= before);
    EXPECT_TRUE(before >= before);
    EXPECT_FALSE(before < before);
    EXPECT_FALSE(before > before);
    // The raw values say the opposite: no plain integer comparison hides in there.
    EXPECT_GT(before.value(), after.value());
    EXPECT_TRUE(seq32{0x7fffffffu} > seq32{0});
    EXPECT_TRUE(seq32{0x80000001u} < seq32{0});
}

TEST(seq32, half_the_space_apart_is_undefined_and_both_ways_before) {
    // RFC 1982 §3.2 leaves i1 = i2 + 2^31 undefined; TCP never gets there (windows < 2^30).
    const seq32 a{0}, b{0x80000000u};
    EXPECT_TRUE(a < b);
    EXPECT_TRUE(b < a);
    EXPECT_EQ(a - b, INT32_MIN);
    EXPECT_EQ(b - a, INT32_MIN);
}

TEST(seq32, max_and_min_across_the_wrap) {
    EXPECT_EQ(seq_max(seq32{top}, seq32{1}), seq32{1});
    EXPECT_EQ(seq_min(seq32{top}, seq32{1}), seq32{top});
    EXPECT_EQ(seq_max(seq32{1}, seq32{top}), seq32{1});
    EXPECT_EQ(seq_min(seq32{9}, seq32{9}), seq32{9});
}

TEST(seq32, acceptable_ack_is_exclusive_low_inclusive_high) {
    // RFC 9293 §3.4: SND.UNA < SEG.ACK =< SND.NXT.
    for (const uint32_t una : {0u, 1000u, top - 5, 0x7ffffffeu}) {
        const seq32 snd_una{una}, snd_nxt = snd_una + 10;
        EXPECT_FALSE(acceptable_ack(snd_una, snd_una - 1, snd_nxt)) << una << ": old duplicate";
        EXPECT_FALSE(acceptable_ack(snd_una, snd_una, snd_nxt)) << una << ": acknowledges nothing new";
        EXPECT_TRUE(acceptable_ack(snd_una, snd_una + 1, snd_nxt)) << una;
        EXPECT_TRUE(acceptable_ack(snd_una, snd_nxt, snd_nxt)) << una << ": everything sent";
        EXPECT_FALSE(acceptable_ack(snd_una, snd_nxt + 1, snd_nxt)) << una << ": something not yet sent";
        EXPECT_FALSE(acceptable_ack(snd_una, snd_una, snd_una)) << una << ": nothing in flight";
    }
}

TEST(seq32, between_variants_at_their_ends) {
    const seq32 lo{top - 2}, hi = lo + 5; // [2^32-3, 2]
    EXPECT_FALSE(between_exclusive_inclusive(lo, lo, hi));
    EXPECT_TRUE(between_exclusive_inclusive(lo, lo + 1, hi));
    EXPECT_TRUE(between_exclusive_inclusive(lo, hi, hi));
    EXPECT_FALSE(between_exclusive_inclusive(lo, hi + 1, hi));

    EXPECT_FALSE(between_inclusive_exclusive(lo, lo - 1, hi));
    EXPECT_TRUE(between_inclusive_exclusive(lo, lo, hi));
    EXPECT_TRUE(between_inclusive_exclusive(lo, seq32{0}, hi));
    EXPECT_TRUE(between_inclusive_exclusive(lo, hi - 1, hi));
    EXPECT_FALSE(between_inclusive_exclusive(lo, hi, hi));
    EXPECT_FALSE(between_inclusive_exclusive(lo, lo, lo)) << "an empty range holds nothing";

    EXPECT_FALSE(between_inclusive(lo, lo - 1, hi));
    EXPECT_TRUE(between_inclusive(lo, lo, hi));
    EXPECT_TRUE(between_inclusive(lo, hi, hi));
    EXPECT_FALSE(between_inclusive(lo, hi + 1, hi));
    EXPECT_TRUE(between_inclusive(lo, lo, lo));
    EXPECT_FALSE(between_inclusive(lo, lo + 1, lo));
}

TEST(seq32, between_holds_for_ranges_wider_than_half_the_space) {
    // Measured from lo, so a range of 3 * 2^30 still works, where two comparisons would not.
    const seq32 lo{10}, hi = lo + 0xc0000000u;
    EXPECT_TRUE(between_inclusive_exclusive(lo, lo + 0xa0000000u, hi));
    EXPECT_FALSE(between_inclusive_exclusive(lo, hi + 1, hi));
    EXPECT_FALSE(between_inclusive_exclusive(lo, lo - 1, hi));
}

TEST(seq32, segment_acceptability_has_four_cases) {
    // RFC 9293 §3.10.7.4, around a window that straddles the wrap: RCV.NXT = 2^32 - 4, RCV.WND = 8,
    // so the window is [2^32-4, 4).
    const seq32 nxt{top - 3};
    const uint32_t wnd = 8;
    // SEG.LEN = 0, RCV.WND = 0: only SEG.SEQ = RCV.NXT.
    EXPECT_TRUE(segment_acceptable(nxt, 0, nxt, 0));
    EXPECT_FALSE(segment_acceptable(nxt, 0, nxt + 1, 0));
    EXPECT_FALSE(segment_acceptable(nxt, 0, nxt - 1, 0));
    // SEG.LEN = 0, RCV.WND > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND.
    EXPECT_TRUE(segment_acceptable(nxt, wnd, nxt, 0));
    EXPECT_TRUE(segment_acceptable(nxt, wnd, seq32{0}, 0));
    EXPECT_TRUE(segment_acceptable(nxt, wnd, nxt + 7, 0));
    EXPECT_FALSE(segment_acceptable(nxt, wnd, nxt + 8, 0));
    EXPECT_FALSE(segment_acceptable(nxt, wnd, nxt - 1, 0));
    // SEG.LEN > 0, RCV.WND = 0: never (RFC 9293: but ACK, URG and RST are still processed).
    EXPECT_FALSE(segment_acceptable(nxt, 0, nxt, 1));
    EXPECT_FALSE(segment_acceptable(nxt, 0, nxt - 1, 5));
    // SEG.LEN > 0, RCV.WND > 0: its first or its last octet inside the window.
    EXPECT_TRUE(segment_acceptable(nxt, wnd, nxt, 1));
    EXPECT_TRUE(segment_acceptable(nxt, wnd, nxt - 3, 4)) << "last octet = RCV.NXT: old data with new";
    EXPECT_FALSE(segment_acceptable(nxt, wnd, nxt - 4, 4)) << "entirely before the window";
    EXPECT_TRUE(segment_acceptable(nxt, wnd, nxt + 7, 100)) << "first octet is the window's last";
    EXPECT_FALSE(segment_acceptable(nxt, wnd, nxt + 8, 1)) << "entirely after the window";
    // A segment covering the whole window has neither end inside it: the RFC's test says no.
    EXPECT_FALSE(segment_acceptable(nxt, wnd, nxt - 1, 10));
}

/// A 64-bit position and the seq32 it maps to.
struct point {
    int64_t pos; ///< unwrapped position
    seq32 seq;   ///< pos modulo 2^32
};

TEST(seq32, random_pairs_agree_with_a_64_bit_reference) {
    std::mt19937_64 rng(9293);
    for (int i = 0; i < 200'000; ++i) {
        // Two unwrapped positions less than 2^31 apart, anywhere (often near a wrap).
        const int64_t base = int64_t(rng() % (uint64_t(1) << 40)) + ((i % 4 == 0) ? 0xffffff00 : 0);
        const int64_t d = int64_t(rng() % ((uint64_t(1) << 32) - 1)) - int64_t(0x7fffffff);
        const point a{base, seq32{uint32_t(base)}};
        const point b{base + d, seq32{uint32_t(base + d)}};
        ASSERT_EQ(b.seq - a.seq, d);
        ASSERT_EQ(a.seq + d, b.seq);
        ASSERT_EQ(b.seq - d, a.seq);
        ASSERT_EQ(a.seq + uint32_t(d), b.seq);
        ASSERT_EQ(a.seq < b.seq, a.pos < b.pos) << a.pos << " " << b.pos;
        ASSERT_EQ(a.seq <= b.seq, a.pos <= b.pos);
        ASSERT_EQ(a.seq > b.seq, a.pos > b.pos);
        ASSERT_EQ(a.seq >= b.seq, a.pos >= b.pos);
        ASSERT_EQ(a.seq == b.seq, a.pos == b.pos);
        ASSERT_EQ(seq_max(a.seq, b.seq).value(), uint32_t(std::max(a.pos, b.pos)));
        // A range [lo, lo + span] with span < 2^31 and a point within 2^31 of lo.
        const auto span = int64_t(rng() % 0x80000000u);
        const int64_t lo = a.pos, hi = lo + span;
        const seq32 slo{uint32_t(lo)}, shi{uint32_t(hi)};
        const int64_t x = lo + (int64_t(rng() % (uint64_t(span) + 3)) - 1);
        const seq32 sx{uint32_t(x)};
        ASSERT_EQ(between_exclusive_inclusive(slo, sx, shi), lo < x && x <= hi)
            << lo << " " << x << " " << hi;
        ASSERT_EQ(between_inclusive_exclusive(slo, sx, shi), lo <= x && x < hi);
        ASSERT_EQ(between_inclusive(slo, sx, shi), lo <= x && x <= hi);
        // The RFC's chained comparisons give the same answer for such ranges.
        ASSERT_EQ(between_exclusive_inclusive(slo, sx, shi), slo < sx && sx <= shi);
        ASSERT_EQ(between_inclusive_exclusive(slo, sx, shi), slo <= sx && sx < shi);
        // Segment acceptability against the four-case table on unwrapped numbers.
        const auto wnd = uint32_t(rng() % 70'000) * (i % 5 == 0 ? 0 : 1);
        const auto len = uint32_t(rng() % 3'000) * (i % 7 == 0 ? 0 : 1);
        const int64_t seg = lo + int64_t(rng() % 150'000) - 75'000;
        const int64_t end = lo + wnd;
        bool want = false;
        if (len == 0 && wnd == 0)
            want = seg == lo;
        else if (len == 0)
            want = lo <= seg && seg < end;
        else if (wnd == 0)
            want = false;
        else
            want = (lo <= seg && seg < end) || (lo <= seg + len - 1 && seg + len - 1 < end);
        ASSERT_EQ(segment_acceptable(slo, wnd, seq32{uint32_t(seg)}, len), want)
            << lo << " " << wnd << " " << seg << " " << len;
    }
}

} // namespace
} // namespace tachyon::wire
