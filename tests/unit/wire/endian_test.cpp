/// Big-endian loads and stores: network order regardless of host order or alignment.

#include "stack/wire/endian.hpp"

#include <array>

#include <gtest/gtest.h>

namespace tachyon::wire {
namespace {

TEST(endian, loads_read_network_order_at_any_alignment) {
    const std::array<std::byte, 7> b{std::byte{0x00}, std::byte{0x12}, std::byte{0x34}, std::byte{0x56},
                                     std::byte{0x78}, std::byte{0x9a}, std::byte{0xbc}};
    EXPECT_EQ(load_be16(b.data()), 0x0012);
    EXPECT_EQ(load_be16(b.data() + 1), 0x1234);
    EXPECT_EQ(load_be32(b.data() + 1), 0x12345678u);
    EXPECT_EQ(load_be32(b.data() + 3), 0x56789abcu);
}

TEST(endian, stores_write_network_order_and_nothing_else) {
    std::array<std::byte, 8> b{};
    store_be16(b.data() + 1, 0xbeef);
    store_be32(b.data() + 3, 0xdeadc0deu);
    const std::array<std::byte, 8> want{std::byte{0x00}, std::byte{0xbe}, std::byte{0xef}, std::byte{0xde},
                                        std::byte{0xad}, std::byte{0xc0}, std::byte{0xde}, std::byte{0x00}};
    EXPECT_EQ(b, want);
    EXPECT_EQ(load_be16(b.data() + 1), 0xbeef);
    EXPECT_EQ(load_be32(b.data() + 3), 0xdeadc0deu);
}

} // namespace
} // namespace tachyon::wire
