/// tcp_receive_queue: reading in place, small segments packed onto the tail, held segments
/// pulled in order as a gap fills, SACK blocks (RFC 2018 §4); then random arrivals and reads
/// against a plain reference model of the byte stream.

#include "stack/net/tcp_receive_queue.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>

#include "stack/buf/pool.hpp"

namespace tachyon {
namespace {

using wire::seq32;

/// The stream's byte at sequence number `s`: data is a function of its place, so any byte
/// read out of order or twice shows.
std::byte stream_byte(uint32_t s) { return std::byte(uint8_t(s * 7 + (s >> 8))); }

/// A frame holding stream bytes [seq, seq + len), trimmed to the payload as the TCB gets it.
packet segment(packet_pool& pool, uint32_t seq, size_t len) {
    packet p = pool.alloc();
    std::byte* d = p.append(len);
    for (size_t i = 0; i < len; ++i) d[i] = stream_byte(seq + uint32_t(i));
    return p;
}

/// Reads everything readable; checks it is the stream from `read_at` on.
size_t drain(tcp_receive_queue& q, uint32_t& read_at) {
    size_t total = 0;
    while (!q.readable().empty()) {
        const auto bytes = q.readable();
        for (size_t i = 0; i < bytes.size(); ++i) EXPECT_EQ(bytes[i], stream_byte(read_at + uint32_t(i)));
        read_at += uint32_t(bytes.size());
        total += bytes.size();
        q.consume(bytes.size());
    }
    return total;
}

TEST(tcp_receive_queue, small_segments_pack_onto_the_tail_frame) {
    packet_pool pool(8);
    tcp_stats stats;
    tcp_receive_queue q(2, 4, stats);
    for (uint32_t s = 0; s < 10 * 50; s += 50) {
        ASSERT_TRUE(q.can_append(50));
        q.append(segment(pool, s, 50));
    }
    EXPECT_EQ(q.bytes(), 500u);
    EXPECT_EQ(q.readable().size(), 500u) << "one frame holds them all";
    EXPECT_EQ(pool.available(), 7u) << "the others went back at once";
    uint32_t read_at = 0;
    EXPECT_EQ(drain(q, read_at), 500u);
    EXPECT_EQ(pool.available(), 8u);
}

TEST(tcp_receive_queue, held_segments_follow_when_the_gap_fills_and_sack_names_them) {
    packet_pool pool(8, 256, 0); // small rooms: nothing packs
    tcp_stats stats;
    tcp_receive_queue q(8, 4, stats);
    seq32 rcv_nxt{0};
    q.hold(seq32{300}, segment(pool, 300, 100));
    q.hold(seq32{100}, segment(pool, 100, 100));
    q.hold(seq32{100}, segment(pool, 100, 100)); // a duplicate: ignored
    EXPECT_EQ(q.out_of_order_count(), 2u);
    EXPECT_EQ(q.out_of_order_bytes(), 200u);
    EXPECT_EQ(stats.out_of_order, 2u);
    wire::tcp_options o;
    q.fill_sack(o, rcv_nxt);
    ASSERT_EQ(o.sack_count, 2u);
    EXPECT_EQ(o.sack_blocks[0].first, seq32{100}) << "the most recent arrival's block first";
    EXPECT_EQ(o.sack_blocks[0].second, seq32{200});
    EXPECT_EQ(o.sack_blocks[1].first, seq32{300});
    q.append(segment(pool, 0, 100));
    rcv_nxt += 100;
    EXPECT_TRUE(q.pull(rcv_nxt));
    EXPECT_EQ(rcv_nxt, seq32{200}) << "the held segment at 100 followed; 300 still waits";
    EXPECT_EQ(q.out_of_order_count(), 1u);
    q.append(segment(pool, 200, 100));
    rcv_nxt += 100;
    EXPECT_TRUE(q.pull(rcv_nxt));
    EXPECT_EQ(rcv_nxt, seq32{400});
    uint32_t read_at = 0;
    EXPECT_EQ(drain(q, read_at), 400u);
    EXPECT_FALSE(q.pull(rcv_nxt));
}

TEST(tcp_receive_queue, a_full_store_counts_and_a_full_queue_keeps_what_it_acknowledged_held) {
    packet_pool pool(8, 256, 0);
    tcp_stats stats;
    tcp_receive_queue q(1, 1, stats);
    q.hold(seq32{200}, segment(pool, 200, 200));
    q.hold(seq32{500}, segment(pool, 500, 200));
    EXPECT_EQ(stats.drop_out_of_order_full, 1u);
    q.append(segment(pool, 0, 200)); // fills the one slot (56 bytes of room: too few to pack onto)
    seq32 rcv_nxt{200};
    EXPECT_TRUE(q.pull(rcv_nxt));
    EXPECT_EQ(rcv_nxt, seq32{200}) << "no place for it: it stays held (SACKed data is never dropped)";
    EXPECT_EQ(stats.drop_receive_queue_full, 1u);
    uint32_t read_at = 0;
    drain(q, read_at);
    q.pull(rcv_nxt); // as the TCB does after each read
    EXPECT_EQ(rcv_nxt, seq32{400});
}

/// Random arrivals (in order, beyond a gap, duplicates, overlaps) and reads against a model
/// that keeps the set of stream bytes received. After every step: what was read is the stream
/// in order, `bytes()` and RCV.NXT match the model, and the SACK blocks cover only bytes held.
TEST(tcp_receive_queue, property_against_a_byte_set_model) {
    for (uint32_t seed = 1; seed <= 30; ++seed) {
        std::mt19937 rng(seed);
        packet_pool pool(64, 512, 0);
        tcp_stats stats;
        tcp_receive_queue q(8, 6, stats);
        const uint32_t isn = rng(); // wraps around 2^32 on some seeds
        seq32 rcv_nxt{isn};
        uint32_t read_at = isn;
        std::map<uint32_t, bool> held_model; // offset from isn -> byte held out of order
        for (int step = 0; step < 400; ++step) {
            const uint32_t next = uint32_t(rcv_nxt - seq32{isn});
            const int op = int(rng() % 10);
            if (op < 7) {
                // An arrival at or beyond RCV.NXT, as the TCB passes them after trimming.
                const uint32_t off = next + (rng() % 3 == 0 ? 0 : uint32_t(rng() % 1200));
                const size_t len = 1 + rng() % 300;
                if (pool.available() == 0) continue;
                packet p = segment(pool, isn + off, len);
                if (off == next) {
                    if (!q.can_append(len)) continue; // the TCB drops it unacknowledged
                    q.append(std::move(p));
                    rcv_nxt += uint32_t(len);
                    q.pull(rcv_nxt);
                } else {
                    const size_t before = q.out_of_order_count();
                    q.hold(seq32{isn + off}, std::move(p));
                    if (q.out_of_order_count() > before)
                        for (uint32_t i = 0; i < len; ++i) held_model[off + i] = true;
                }
            } else {
                const auto bytes = q.readable();
                const size_t n = bytes.empty() ? 0 : 1 + rng() % bytes.size();
                for (size_t i = 0; i < n; ++i) ASSERT_EQ(bytes[i], stream_byte(read_at + uint32_t(i))) << "seed " << seed;
                read_at += uint32_t(n);
                q.consume(n);
                q.pull(rcv_nxt); // as the TCB does after each read: held data may fit now
            }
            // Invariants.
            ASSERT_EQ(q.bytes(), size_t(rcv_nxt - seq32{read_at})) << "seed " << seed << " step " << step;
            const uint32_t now_next = uint32_t(rcv_nxt - seq32{isn});
            for (auto it = held_model.begin(); it != held_model.end() && it->first < now_next;) it = held_model.erase(it);
            // Liveness: a held byte at RCV.NXT waits only for room, which the next read makes.
            ASSERT_TRUE(held_model.count(now_next) == 0 || q.bytes() > 0) << "a held byte at RCV.NXT was not pulled";
            wire::tcp_options o;
            q.fill_sack(o, rcv_nxt);
            if (q.out_of_order_count() == 0) {
                ASSERT_EQ(o.sack_count, 0u);
            }
            for (size_t b = 0; b < o.sack_count; ++b) {
                const auto [l, r] = o.sack_blocks[b];
                ASSERT_TRUE(rcv_nxt <= l && l < r) << "a SACK block below RCV.NXT, or empty";
                for (seq32 s = l; s < r; s += 1)
                    ASSERT_TRUE(held_model.count(uint32_t(s - seq32{isn}))) << "SACKed a byte not held";
            }
        }
        // Fill every gap in order: every byte arrives readable, once, in order.
        const uint32_t end = uint32_t(rcv_nxt - seq32{isn}) + 2000;
        while (uint32_t(rcv_nxt - seq32{isn}) < end) {
            drain(q, read_at);
            const uint32_t off = uint32_t(rcv_nxt - seq32{isn});
            const size_t len = std::min<size_t>(200, end - off);
            ASSERT_TRUE(q.can_append(len));
            q.append(segment(pool, isn + off, len));
            rcv_nxt += uint32_t(len);
            q.pull(rcv_nxt);
        }
        drain(q, read_at);
        EXPECT_EQ(seq32{read_at}, rcv_nxt);
        q.clear();
        EXPECT_EQ(pool.available(), 64u) << "seed " << seed << ": every frame went back";
    }
}

} // namespace
} // namespace tachyon
