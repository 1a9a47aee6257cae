/// tcp_send_queue: queueing, growing the tail, partial and whole acknowledgment, going back
/// after a timeout; then random operations against a plain reference model (a deque of byte
/// ranges), with the ring's invariants checked after each.

#include "stack/net/tcp_send_queue.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "stack/buf/pool.hpp"

namespace tachyon {
namespace {

using wire::seq32;

packet payload(packet_pool& pool, size_t len) {
    packet p = pool.alloc();
    p.append(len);
    return p;
}

TEST(tcp_send_queue, entries_take_consecutive_sequence_numbers_and_never_overwrite) {
    packet_pool pool(8);
    tcp_send_queue q(3);
    q.reset(seq32{100});
    EXPECT_TRUE(q.push(payload(pool, 10)));
    EXPECT_TRUE(q.push(payload(pool, 20)));
    EXPECT_TRUE(q.push(payload(pool, 30)));
    packet extra = payload(pool, 5);
    EXPECT_FALSE(q.push(std::move(extra))) << "full: the oldest entry holds unacknowledged data";
    EXPECT_TRUE(extra) << "a refused frame stays the caller's";
    EXPECT_EQ(q.at(1).seq, seq32{110});
    EXPECT_EQ(q.at(2).seq, seq32{130});
    EXPECT_EQ(q.end(), seq32{160});
    EXPECT_EQ(q.bytes(), 60u);
}

TEST(tcp_send_queue, a_partial_ack_trims_the_head_in_its_buffer_and_a_whole_one_releases_it) {
    packet_pool pool(8);
    tcp_send_queue q(4);
    q.reset(seq32{0});
    q.push(payload(pool, 100));
    q.push(payload(pool, 100));
    q.mark_sent();
    q.mark_sent();
    const uint32_t offset = q.at(0).offset;
    int seen = 0;
    q.take_acked(seq32{40}, [&](const tcp_tx_entry&) { ++seen; });
    EXPECT_EQ(seen, 0);
    EXPECT_EQ(q.at(0).seq, seq32{40});
    EXPECT_EQ(q.at(0).len, 60u);
    EXPECT_EQ(q.at(0).offset, offset + 40);
    q.take_acked(seq32{150}, [&](const tcp_tx_entry& e) {
        ++seen;
        EXPECT_EQ(e.end(), seq32{100});
    });
    EXPECT_EQ(seen, 1);
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.in_flight(), 1u);
    EXPECT_EQ(q.bytes(), 50u);
    EXPECT_EQ(pool.available(), 7u);
}

TEST(tcp_send_queue, only_an_unsent_tail_grows_and_only_to_the_mss) {
    packet_pool pool(4);
    tcp_send_queue q(4);
    q.reset(seq32{0});
    EXPECT_EQ(q.growable_tail(100), nullptr);
    q.push(payload(pool, 60));
    ASSERT_NE(q.growable_tail(100), nullptr);
    EXPECT_EQ(q.tail_room(100), 40u);
    q.extend_tail(40);
    EXPECT_EQ(q.growable_tail(100), nullptr) << "full segment";
    EXPECT_EQ(q.end(), seq32{100});
    q.push(payload(pool, 10));
    q.mark_sent();
    q.mark_sent();
    EXPECT_EQ(q.growable_tail(100), nullptr) << "sent: its bytes are on the wire";
    EXPECT_EQ(q.tail_room(100), 0u);
}

/// Random pushes, tail growth, sends, ACKs (within what was sent) and timeouts against a deque
/// of (seq, len). After each step: the same entries in the same order, contiguous sequence
/// numbers, bytes and end agree, in_flight within size, and every frame not queued is back in
/// the pool.
TEST(tcp_send_queue, property_against_a_deque_model) {
    struct range {
        uint32_t seq, len;
    };
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        std::mt19937 rng(seed);
        packet_pool pool(32, 2048, 128);
        tcp_send_queue q(1 + rng() % 12);
        const uint32_t isn = rng();
        q.reset(seq32{isn});
        std::deque<range> model;
        uint32_t end = isn, sent = 0, una = isn;
        for (int step = 0; step < 600; ++step) {
            switch (rng() % 6) {
            case 0:
            case 1: {
                const uint32_t len = 1 + rng() % 1400;
                const bool ok = q.push(payload(pool, len));
                ASSERT_EQ(ok, model.size() < q.capacity()) << "seed " << seed;
                if (ok) {
                    model.push_back({end, len});
                    end += len;
                }
                break;
            }
            case 2: {
                const uint32_t mss = 1460;
                const size_t room = q.tail_room(mss);
                if (room > 0) {
                    const size_t n = 1 + rng() % room;
                    q.extend_tail(n);
                    model.back().len += uint32_t(n);
                    end += uint32_t(n);
                }
                break;
            }
            case 3:
                if (q.has_unsent()) {
                    q.mark_sent();
                    ++sent;
                }
                break;
            case 4: {
                // An ACK between SND.UNA and the end of what was sent.
                const uint32_t sent_end = sent == 0 ? una : model[sent - 1].seq + model[sent - 1].len;
                const uint32_t span = sent_end - una;
                const uint32_t ack = una + (span == 0 ? 0 : rng() % (span + 1));
                size_t visited = 0;
                q.take_acked(seq32{ack}, [&](const tcp_tx_entry& e) {
                    ASSERT_FALSE(model.empty());
                    ASSERT_EQ(e.seq, seq32{model.front().seq});
                    ASSERT_LE(uint32_t(e.end() - seq32{una}), ack - una);
                    model.pop_front();
                    ++visited;
                });
                sent -= uint32_t(std::min<size_t>(visited, sent));
                if (!model.empty() && seq32{model.front().seq} < seq32{ack}) {
                    const uint32_t n = ack - model.front().seq;
                    model.front().seq += n;
                    model.front().len -= n;
                }
                una = ack;
                break;
            }
            default:
                q.rewind();
                sent = 0;
                break;
            }
            ASSERT_EQ(q.size(), model.size()) << "seed " << seed << " step " << step;
            ASSERT_EQ(q.in_flight(), sent);
            ASSERT_LE(q.in_flight(), q.size());
            ASSERT_EQ(q.end(), seq32{end});
            uint64_t bytes = 0;
            for (size_t i = 0; i < model.size(); ++i) {
                ASSERT_EQ(q.at(i).seq, seq32{model[i].seq});
                ASSERT_EQ(q.at(i).len, model[i].len);
                ASSERT_TRUE(q.at(i).frame);
                if (i > 0) {
                    ASSERT_EQ(q.at(i - 1).end(), q.at(i).seq) << "contiguous";
                }
                bytes += model[i].len;
            }
            ASSERT_EQ(q.bytes(), bytes);
            ASSERT_EQ(pool.available(), 32 - model.size()) << "a frame leaked or was released twice";
        }
        q.reset(q.end());
        EXPECT_EQ(pool.available(), 32u);
    }
}

} // namespace
} // namespace tachyon
