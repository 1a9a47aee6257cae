// The hash index: insert, find and erase against a reference map, through heavy churn that
// exercises backward-shift deletion.

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "stack/core/index_table.hpp"

namespace tachyon {
namespace {

struct identity {
    uint64_t operator()(uint32_t k) const { return k; }
};

TEST(index_table, matches_a_reference_map_under_churn) {
    index_table<uint32_t, identity> table(100);
    std::map<uint32_t, uint32_t> ref;
    std::mt19937 rng(7);
    for (int step = 0; step < 200000; ++step) {
        uint32_t key = rng() % 300; // many collisions
        if (rng() % 2) {
            bool inserted = table.insert(key, uint32_t(step));
            bool expected = !ref.contains(key) && ref.size() < 100;
            ASSERT_EQ(inserted, expected);
            if (inserted) ref[key] = uint32_t(step);
        } else {
            ASSERT_EQ(table.erase(key), ref.erase(key) == 1);
        }
        if (step % 997 == 0) {
            for (uint32_t k = 0; k < 300; ++k) {
                auto it = ref.find(k);
                ASSERT_EQ(table.find(k), it == ref.end() ? table.npos : it->second) << "key " << k;
            }
        }
    }
    EXPECT_EQ(table.size(), ref.size());
}

TEST(index_table, refuses_beyond_capacity_and_duplicates) {
    index_table<uint32_t, identity> table(2);
    EXPECT_TRUE(table.insert(1, 10));
    EXPECT_FALSE(table.insert(1, 11));
    EXPECT_TRUE(table.insert(2, 20));
    EXPECT_FALSE(table.insert(3, 30));
    EXPECT_EQ(table.find(2), 20u);
    EXPECT_TRUE(table.erase(1));
    EXPECT_FALSE(table.erase(1));
    EXPECT_TRUE(table.insert(3, 30));
}

} // namespace
} // namespace tachyon
