/// MoldUDP64 1.00: golden downstream packets, heartbeat, end of session and request written
/// out by hand from the specification's tables; builder round trips; every malformed shape
/// rejected without reading past the datagram (each case is an exact-size heap copy, so ASan
/// sees any overread).

#include "apps/md/moldudp64.hpp"

#include <random>

#include <gtest/gtest.h>

#include "unit/md/golden.hpp"

namespace tachyon::md {
namespace {

using test::bytes;
using test::cat;
using test::same;

/// "SESSION001" in ASCII.
const std::vector<std::byte> session_bytes = bytes({0x53, 0x45, 0x53, 0x53, 0x49, 0x4f, 0x4e, 0x30, 0x30, 0x31});
const mold_session session = text<10>("SESSION001");

/// Sequence 0x0000000100000203, two blocks: "abc" and "z".
const std::vector<std::byte> two_blocks = cat({
    session_bytes,
    bytes({0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x03}), // Sequence Number
    bytes({0x00, 0x02}),                                     // Message Count
    bytes({0x00, 0x03, 0x61, 0x62, 0x63}),                   // Message Length 3, "abc"
    bytes({0x00, 0x01, 0x7a}),                               // Message Length 1, "z"
});

TEST(moldudp64, a_data_packet_parses_into_its_header_and_blocks) {
    mold_packet p;
    ASSERT_EQ(mold_packet::parse(two_blocks, p), mold_error::ok);
    EXPECT_EQ(p.header.session, session);
    EXPECT_EQ(p.header.sequence, 0x0000000100000203u);
    EXPECT_EQ(p.header.count, 2);
    EXPECT_EQ(p.kind(), mold_kind::data);
    EXPECT_EQ(p.messages(), 2);
    mold_block_iterator it(p);
    std::span<const std::byte> m;
    ASSERT_TRUE(it.next(m));
    EXPECT_TRUE(same(m, bytes({0x61, 0x62, 0x63})));
    EXPECT_EQ(m.data(), two_blocks.data() + 22) << "a view into the datagram";
    ASSERT_TRUE(it.next(m));
    EXPECT_TRUE(same(m, bytes({0x7a})));
    EXPECT_FALSE(it.next(m));
}

TEST(moldudp64, the_builder_writes_the_same_bytes) {
    std::vector<std::byte> out(1500);
    mold_packet_builder b(out, session, 0x0000000100000203u);
    ASSERT_TRUE(b.append(bytes({0x61, 0x62, 0x63})));
    ASSERT_TRUE(b.append(bytes({0x7a})));
    EXPECT_TRUE(same(b.finish(), two_blocks));
}

TEST(moldudp64, heartbeat_and_end_of_session) {
    const auto heartbeat = cat({session_bytes, bytes({0, 0, 0, 0, 0, 0, 0x10, 0x00}), bytes({0x00, 0x00})});
    const auto end = cat({session_bytes, bytes({0, 0, 0, 0, 0, 0, 0x10, 0x00}), bytes({0xff, 0xff})});
    mold_packet p;
    ASSERT_EQ(mold_packet::parse(heartbeat, p), mold_error::ok);
    EXPECT_EQ(p.kind(), mold_kind::heartbeat);
    EXPECT_EQ(p.header.sequence, 0x1000u);
    EXPECT_EQ(p.messages(), 0);
    ASSERT_EQ(mold_packet::parse(end, p), mold_error::ok);
    EXPECT_EQ(p.kind(), mold_kind::end_of_session);
    EXPECT_EQ(p.messages(), 0) << "0xFFFF is not a count";

    std::vector<std::byte> out(64);
    EXPECT_TRUE(same(mold_packet_builder(out, session, 0x1000).finish_as(mold_heartbeat), heartbeat));
    EXPECT_TRUE(same(mold_packet_builder(out, session, 0x1000).finish_as(mold_end_of_session), end));
}

TEST(moldudp64, an_empty_message_block_is_valid) {
    const auto packet = cat({session_bytes, bytes({0, 0, 0, 0, 0, 0, 0, 7}), bytes({0x00, 0x01}), bytes({0x00, 0x00})});
    mold_packet p;
    ASSERT_EQ(mold_packet::parse(packet, p), mold_error::ok);
    mold_block_iterator it(p);
    std::span<const std::byte> m;
    ASSERT_TRUE(it.next(m));
    EXPECT_TRUE(m.empty());
    EXPECT_FALSE(it.next(m));
}

TEST(moldudp64, a_request_packet_golden_and_round_trip) {
    const auto golden = cat({session_bytes, bytes({0, 0, 0, 0, 0, 0x01, 0x86, 0xa0}), bytes({0x03, 0xe8})});
    mold_request r;
    ASSERT_EQ(mold_request::parse(golden, r), mold_error::ok);
    EXPECT_EQ(r.header.session, session);
    EXPECT_EQ(r.header.sequence, 100000u);
    EXPECT_EQ(r.header.count, 1000);
    std::vector<std::byte> out(20);
    ASSERT_EQ(r.emit(out), 20u);
    EXPECT_TRUE(same(out, golden));
    auto longer = golden;
    longer.push_back(std::byte{0});
    EXPECT_EQ(mold_request::parse(longer, r), mold_error::wrong_length);
    EXPECT_EQ(mold_request::parse(std::span(golden).first(19), r), mold_error::wrong_length);
}

/// Parses an exact-size copy of `b` (an overread is outside the allocation).
mold_error parse_copy(const std::vector<std::byte>& b) {
    std::vector<std::byte> exact(b.begin(), b.end());
    exact.shrink_to_fit();
    mold_packet p;
    return mold_packet::parse(exact, p);
}

TEST(moldudp64, every_malformed_shape_is_rejected) {
    const auto header = [&](unsigned count_hi, unsigned count_lo) {
        return cat({session_bytes, bytes({0, 0, 0, 0, 0, 0, 0, 1}), bytes({count_hi, count_lo})});
    };
    struct shape {
        const char* name;
        std::vector<std::byte> datagram;
        mold_error expected;
    };
    const std::vector<shape> shapes = {
        {"empty", {}, mold_error::truncated},
        {"19 bytes", std::vector<std::byte>(two_blocks.begin(), two_blocks.begin() + 19), mold_error::truncated},
        {"count 2, one block", cat({header(0, 2), bytes({0x00, 0x01, 0x41})}), mold_error::block_past_end},
        {"length past the end", cat({header(0, 1), bytes({0x00, 0x05, 0x41, 0x42})}), mold_error::block_past_end},
        {"half a length field", cat({header(0, 1), bytes({0x00})}), mold_error::block_past_end},
        {"count 65534, one block", cat({header(0xff, 0xfe), bytes({0x00, 0x01, 0x41})}), mold_error::block_past_end},
        {"bytes after the blocks", cat({header(0, 1), bytes({0x00, 0x01, 0x41, 0x99})}), mold_error::trailing_bytes},
        {"heartbeat with data", cat({header(0, 0), bytes({0x00, 0x01, 0x41})}), mold_error::trailing_bytes},
        {"65535 messages claimed", cat({header(0xff, 0xff), bytes({0x00, 0x01, 0x41})}), mold_error::trailing_bytes},
    };
    for (const shape& s : shapes) EXPECT_EQ(parse_copy(s.datagram), s.expected) << s.name;
}

TEST(moldudp64, random_bytes_never_read_past_the_end_and_valid_blocks_stay_inside) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> d(rng() % 64);
        for (auto& b : d) b = std::byte(rng() % 4 == 0 ? 0 : rng()); // zeros make short lengths likely
        if (d.size() >= 20 && rng() % 2) d[18] = std::byte{0}, d[19] = std::byte(rng() % 4);
        d.shrink_to_fit();
        mold_packet p;
        if (mold_packet::parse(d, p) != mold_error::ok) continue;
        mold_block_iterator it(p);
        std::span<const std::byte> m;
        size_t n = 0;
        while (it.next(m)) {
            ASSERT_GE(m.data(), d.data());
            ASSERT_LE(m.data() + m.size(), d.data() + d.size());
            ++n;
        }
        ASSERT_EQ(n, p.messages());
    }
}

TEST(moldudp64, the_builder_refuses_what_does_not_fit) {
    std::vector<std::byte> out(26);
    mold_packet_builder b(out, session, 1);
    EXPECT_TRUE(b.append(bytes({1, 2, 3, 4})));   // 20 + 6 = 26
    EXPECT_FALSE(b.append(bytes({5})));           // no room left
    EXPECT_EQ(b.count(), 1);
    mold_packet p;
    ASSERT_EQ(mold_packet::parse(b.finish(), p), mold_error::ok);
    EXPECT_EQ(p.messages(), 1);
}

} // namespace
} // namespace tachyon::md
