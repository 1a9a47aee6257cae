/// SYN cookies (RFC 4987 §3.6): a cookie checks for its tuple and peer ISN within two minute
/// ticks and for nothing else; options survive in the TSval's low bits; forgeries fail.

#include "stack/net/syn_cookie.hpp"

#include <random>

#include <gtest/gtest.h>

namespace tachyon {
namespace {

const siphash_key key{0x0123456789abcdefull, 0xfedcba9876543210ull};
const tcp_tuple tuple{ipv4_address{198, 18, 0, 2}, 9000, ipv4_address{198, 18, 7, 9}, 40000};

instant at_s(int64_t s) { return instant{} + duration::s(s); }

TEST(syn_cookie, round_trip_gives_the_largest_table_mss_not_above_the_peers) {
    const syn_cookies c(key);
    const std::pair<uint16_t, uint16_t> cases[] = {{0, 536},     {536, 536},   {1299, 536}, {1300, 1300},
                                                   {1400, 1300}, {1440, 1440}, {1460, 1460}, {9000, 1460}};
    for (auto [offered, expected] : cases) {
        const wire::seq32 isn{123456789u + offered};
        const wire::seq32 cookie = c.make(tuple, isn, offered, at_s(1000));
        const auto mss = c.check(tuple, isn, cookie, at_s(1000));
        ASSERT_TRUE(mss.has_value()) << offered;
        EXPECT_EQ(*mss, expected) << offered;
    }
}

TEST(syn_cookie, good_for_two_ticks_and_no_longer) {
    const syn_cookies c(key);
    const wire::seq32 isn{42};
    const wire::seq32 cookie = c.make(tuple, isn, 1460, at_s(640)); // the start of tick 10
    EXPECT_TRUE(c.check(tuple, isn, cookie, at_s(640)));
    EXPECT_TRUE(c.check(tuple, isn, cookie, at_s(703)));
    EXPECT_TRUE(c.check(tuple, isn, cookie, at_s(767))) << "the next tick still";
    EXPECT_FALSE(c.check(tuple, isn, cookie, at_s(768))) << "two ticks later: too old";
    EXPECT_FALSE(c.check(tuple, isn, cookie, at_s(600))) << "from the future";
}

TEST(syn_cookie, another_tuple_isn_or_key_does_not_check) {
    const syn_cookies c(key);
    const wire::seq32 isn{777};
    const wire::seq32 cookie = c.make(tuple, isn, 1460, at_s(5000));
    tcp_tuple other = tuple;
    other.remote_port = 40001;
    EXPECT_FALSE(c.check(other, isn, cookie, at_s(5000)));
    other = tuple;
    other.remote_address = ipv4_address{198, 18, 7, 10};
    EXPECT_FALSE(c.check(other, isn, cookie, at_s(5000)));
    EXPECT_FALSE(c.check(tuple, isn + 1, cookie, at_s(5000)));
    EXPECT_FALSE(c.check(tuple, isn, cookie + 1, at_s(5000)));
    const syn_cookies other_key(siphash_key{1, 2});
    EXPECT_FALSE(other_key.check(tuple, isn, cookie, at_s(5000)));
}

TEST(syn_cookie, random_guesses_almost_never_check) {
    // A blind attacker guessing cookies: 4 of 2^24 values per tick pass, for two ticks.
    const syn_cookies c(key);
    std::mt19937 rng(4987);
    int passed = 0;
    for (int i = 0; i < 200000; ++i)
        passed += c.check(tuple, wire::seq32{uint32_t(rng())}, wire::seq32{uint32_t(rng())}, at_s(9000)).has_value();
    EXPECT_LE(passed, 2);
}

TEST(syn_cookie, options_ride_in_the_tsval_low_bits) {
    for (uint8_t ws : {uint8_t(0), uint8_t(7), uint8_t(14)})
        for (bool sack : {false, true}) {
            wire::tcp_options syn;
            syn.has_window_scale = true;
            syn.window_scale = ws;
            syn.sack_permitted = sack;
            const uint32_t now = 0x12345678;
            const uint32_t ts = syn_cookies::encode_ts(now, syn);
            EXPECT_LE(int32_t(ts - now), 0) << "never ahead of our clock";
            EXPECT_LT(now - ts, 128u);
            wire::tcp_options ack;
            ack.has_timestamps = true;
            ack.ts_val = 999;
            ack.ts_ecr = ts;
            const wire::tcp_options o = syn_cookies::decode(1460, ack);
            EXPECT_TRUE(o.has_mss && o.mss == 1460);
            EXPECT_TRUE(o.has_window_scale);
            EXPECT_EQ(o.window_scale, ws);
            EXPECT_EQ(o.sack_permitted, sack);
            EXPECT_TRUE(o.has_timestamps && o.ts_val == 999);
        }
    // No window scale offered; and an ACK without timestamps keeps only the MSS.
    wire::tcp_options plain;
    wire::tcp_options ack;
    ack.has_timestamps = true;
    ack.ts_ecr = syn_cookies::encode_ts(1000, plain);
    EXPECT_FALSE(syn_cookies::decode(536, ack).has_window_scale);
    const wire::tcp_options bare = syn_cookies::decode(536, wire::tcp_options{});
    EXPECT_FALSE(bare.has_window_scale || bare.sack_permitted || bare.has_timestamps);
}

} // namespace
} // namespace tachyon
