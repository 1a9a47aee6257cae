// The packet buffer and its pool: headroom, trim/prepend symmetry, shared references, and
// every buffer coming home.

#include <gtest/gtest.h>

#include "stack/buf/pool.hpp"

namespace tachyon {
namespace {

TEST(packet, prepend_and_trim_walk_the_headroom) {
    packet_pool pool(4, 2048, 128);
    packet p = pool.alloc();
    ASSERT_TRUE(p);
    EXPECT_EQ(p.headroom(), 128u);
    EXPECT_EQ(p.size(), 0u);
    std::byte* body = p.append(10);
    ASSERT_NE(body, nullptr);
    body[0] = std::byte{0xab};
    std::byte* hdr = p.prepend(14);
    ASSERT_EQ(hdr + 14, body);
    EXPECT_EQ(p.size(), 24u);
    EXPECT_EQ(p.headroom(), 114u);
    p.trim_front(14);
    EXPECT_EQ(p.data(), body);
    EXPECT_EQ(p.data()[0], std::byte{0xab});
    EXPECT_EQ(p.prepend(1000), nullptr) << "not enough headroom: unchanged";
    EXPECT_EQ(p.size(), 10u);
    EXPECT_EQ(p.append(5000), nullptr);
    p.truncate(4);
    EXPECT_EQ(p.size(), 4u);
    p.truncate(400);
    EXPECT_EQ(p.size(), 4u) << "truncate never grows";
}

TEST(packet, moves_own_and_shares_count) {
    packet_pool pool(2);
    {
        packet a = pool.alloc();
        packet b = std::move(a);
        EXPECT_FALSE(a);
        EXPECT_TRUE(b);
        EXPECT_EQ(pool.available(), 1u);
        packet c = b.share();
        EXPECT_TRUE(b.shared());
        EXPECT_EQ(c.data(), b.data());
        b.reset();
        EXPECT_FALSE(c.shared());
        EXPECT_EQ(pool.available(), 1u) << "still referenced by c";
    }
    EXPECT_EQ(pool.available(), 2u);
}

TEST(packet_pool, runs_dry_without_allocating_and_refills) {
    packet_pool pool(3);
    packet burst[5];
    EXPECT_EQ(pool.alloc_burst(burst), 3u);
    EXPECT_FALSE(pool.alloc());
    burst[1].reset();
    packet again = pool.alloc();
    EXPECT_TRUE(again);
    EXPECT_EQ(again.headroom(), packet_pool::default_headroom);
}

TEST(packet_pool, rejects_nonsense_sizes) {
    EXPECT_THROW(packet_pool(0), std::invalid_argument);
    EXPECT_THROW(packet_pool(1, 64, 64), std::invalid_argument);
}

} // namespace
} // namespace tachyon
