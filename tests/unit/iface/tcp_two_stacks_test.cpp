// Two stacks over the memory link talk TCP: handshake, data both ways, half-close and close;
// then bulk transfers intact over a link that loses, duplicates and reorders.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tcp_pair.hpp"

namespace tachyon {
namespace {

using namespace tachyon::pair_test;

TEST_F(tcp_pair, handshake_request_response_and_close) {
    connect();
    EXPECT_EQ(a->tcp_connection_of(client.id)->state(), tcp_state::established);
    const std::string req = "NEW ORDER 42";
    ASSERT_EQ(a->tcp_send(client.id, std::as_bytes(std::span(req.data(), req.size())), clock.now()), req.size());
    run(duration::ms(2));
    ASSERT_EQ(server.received.size(), req.size());
    const std::string resp = "ACCEPTED";
    ASSERT_EQ(b->tcp_send(server.id, std::as_bytes(std::span(resp.data(), resp.size())), clock.now()), resp.size());
    run(duration::ms(2));
    ASSERT_EQ(client.received.size(), resp.size());
    // Close from the client: the server sees EOF, closes too; both end normally.
    ASSERT_EQ(a->tcp_close(client.id, clock.now()), errc::ok);
    run(duration::ms(2));
    EXPECT_TRUE(server.eof);
    ASSERT_EQ(b->tcp_close(server.id, clock.now()), errc::ok);
    run(duration::ms(2));
    EXPECT_TRUE(server.closed);
    EXPECT_TRUE(client.closed);
    EXPECT_EQ(client.reason, tcp_close_reason::normal);
    EXPECT_EQ(server.reason, tcp_close_reason::normal);
    // The client holds TIME-WAIT for 2 MSL, then the slot is free.
    EXPECT_EQ(a->stats().tcp.closed_normal, 1u);
    run(duration::s(61), duration::ms(100));
    EXPECT_EQ(a->tcp_connection_of(client.id), nullptr);
}

TEST_F(tcp_pair, a_connection_can_take_smaller_buffers_than_the_stacks) {
    connect();
    server.consume_limit = 0; // reads nothing
    ASSERT_EQ(b->tcp_set_buffer_sizes(server.id, 0, 4096), errc::ok);
    ASSERT_EQ(a->tcp_set_buffer_sizes(client.id, 8192, 0), errc::ok);
    EXPECT_EQ(a->tcp_send_space(client.id), 8192u);
    auto data = pattern(20000, 5);
    size_t sent = 0;
    for (int i = 0; i < 200; ++i) {
        sent += a->tcp_send(client.id, std::span(data).subspan(sent), clock.now());
        run(duration::ms(1), duration::ms(1));
    }
    EXPECT_LE(sent, 8192u + 4096u) << "the client's buffer plus what the server took";
    EXPECT_LE(b->tcp_connection_of(server.id)->received_bytes(), 4096u + 1448u) << "the window was 4 KiB";
}

TEST_F(tcp_pair, a_closed_port_is_refused) {
    auto id = a->tcp_connect(ip_b, 9999, client.callbacks(), duration::s(5), clock.now());
    ASSERT_TRUE(id.ok());
    run(duration::ms(5));
    EXPECT_TRUE(client.closed);
    EXPECT_EQ(client.reason, tcp_close_reason::reset);
    EXPECT_EQ(b->stats().tcp.drop_no_connection, 1u);
}

/// A deterministic byte stream: byte i of stream `seed`.
std::byte stream_byte(uint64_t i, uint32_t seed) { return std::byte(uint8_t((i * 2654435761u + seed * 97) >> 7)); }

/// Moves `bytes` each way at once, feeding the sender as fast as it takes data, and compares
/// FNV-1a hashes of what was sent and what arrived.
void bulk(tcp_pair& t, size_t bytes, duration limit) {
    t.client.keep = t.server.keep = false;
    std::vector<std::byte> chunk(64 * 1024);
    auto feed = [&](stack& s, tcp_id id, size_t& sent, uint32_t seed, uint64_t& hash) {
        while (sent < bytes) {
            const size_t n = std::min(chunk.size(), bytes - sent);
            for (size_t i = 0; i < n; ++i) chunk[i] = stream_byte(sent + i, seed);
            const size_t took = s.tcp_send(id, std::span(chunk).first(n), t.clock.now());
            for (size_t i = 0; i < took; ++i) hash = (hash ^ uint8_t(chunk[i])) * 1099511628211ull;
            sent += took;
            if (took < n) return;
        }
    };
    size_t sent_up = 0, sent_down = 0;
    uint64_t hash_up = 1469598103934665603ull, hash_down = 1469598103934665603ull;
    const instant start = t.clock.now();
    while (t.clock.now() - start < limit) {
        const size_t before = sent_up + sent_down;
        feed(*t.a, t.client.id, sent_up, 7, hash_up);
        feed(*t.b, t.server.id, sent_down, 8, hash_down);
        t.clock.advance(duration::us(100));
        const size_t moved = t.a->poll(t.clock.now()) + t.b->poll(t.clock.now());
        if (t.server.count == bytes && t.client.count == bytes) break;
        if (moved == 0 && sent_up + sent_down == before) {
            // Both idle: jump to the next timer (a retransmission timeout) instead of
            // polling through it.
            const instant next = std::min(t.a->next_deadline(), t.b->next_deadline());
            if (next != instant::never()) t.clock.set(next);
        }
    }
    auto describe = [&](stack& s, tcp_id id) {
        const tcp_connection* c = s.tcp_connection_of(id);
        if (c == nullptr) return std::string("gone");
        return std::string(to_string(c->state())) + " una=" + std::to_string(c->snd_una().value()) +
               " nxt=" + std::to_string(c->snd_nxt().value()) + " wnd=" + std::to_string(c->snd_wnd()) +
               " cwnd=" + std::to_string(c->cwnd()) + " rto=" + std::to_string(c->rtt().rto().count_ms()) +
               " ooo=" + std::to_string(c->out_of_order_count()) + " held=" + std::to_string(c->received_bytes());
    };
    ASSERT_EQ(t.server.count, bytes) << "client: " << describe(*t.a, t.client.id) << "\nserver: "
                                     << describe(*t.b, t.server.id);
    ASSERT_EQ(t.client.count, bytes);
    EXPECT_EQ(t.server.hash, hash_up) << "client to server intact";
    EXPECT_EQ(t.client.hash, hash_down) << "server to client intact";
}

TEST_F(tcp_pair, bulk_both_ways_over_a_perfect_link) {
    connect();
    bulk(*this, 100 << 20, duration::s(600));
}

/// Bulk transfer over a link losing the given percentage of frames (and duplicating and
/// reordering 5%), each way.
struct lossy_bulk : tcp_pair, ::testing::WithParamInterface<int> {};

TEST_P(lossy_bulk, both_ways_intact_over_a_lossy_duplicating_reordering_link) {
    connect();
    link_faults f;
    f.loss = GetParam() / 100.0;
    f.duplicate = 0.05;
    f.reorder = 0.05;
    f.seed = 99;
    ASSERT_TRUE(link.set_faults(f).ok());
    // Simulated time: timeouts are skipped over, so hours of it cost seconds.
    const size_t mb = std::getenv("TCP_LOSSY_MB") ? size_t(std::atoi(std::getenv("TCP_LOSSY_MB"))) : 100;
    const instant start = clock.now();
    bulk(*this, mb << 20, duration::s(86400));
    const tcp_stats& s = a->stats().tcp;
    // The report the loss-recovery issue asks for: simulated transfer time and retransmissions.
    std::fprintf(stderr, "loss %d%%: %zu MB each way in %.3f simulated s; client: retransmits %llu (timeout/probe), "
                 "fast %llu, SACK recoveries %llu, probes %llu, RTOs %llu\n",
                 GetParam(), mb, double((clock.now() - start).count_ns()) / 1e9,
                 (unsigned long long)s.retransmits, (unsigned long long)s.fast_retransmits,
                 (unsigned long long)s.sack_recoveries, (unsigned long long)s.loss_probes,
                 (unsigned long long)s.rto_expirations);
    EXPECT_GT(s.retransmits + s.fast_retransmits, 0u);
    EXPECT_GT(b->stats().tcp.out_of_order, 0u);
}

INSTANTIATE_TEST_SUITE_P(loss_percent, lossy_bulk, ::testing::Values(1, 5, 10));

TEST_F(tcp_pair, a_slow_reader_closes_the_window_and_nothing_is_lost) {
    connect();
    server.consume_limit = 0; // reads nothing
    auto data = pattern(300'000, 3);
    size_t sent = 0;
    for (int i = 0; i < 2000; ++i) {
        sent += a->tcp_send(client.id, std::span(data).subspan(sent), clock.now());
        run(duration::ms(1), duration::ms(1));
    }
    EXPECT_LT(sent, data.size()) << "the window closed";
    const size_t held = b->tcp_connection_of(server.id)->received_bytes();
    EXPECT_LE(held, 64u * 1024) << "never more than the receive buffer";
    EXPECT_GT(held, 64u * 1024 - 1448) << "the window filled up to the last whole segment";
    EXPECT_GT(a->stats().tcp.window_probes, 0u);
    server.consume_limit = SIZE_MAX;
    (void)b->tcp_set_callbacks(server.id, server.callbacks());
    for (int i = 0; i < 20000 && server.received.size() < data.size(); ++i) {
        sent += a->tcp_send(client.id, std::span(data).subspan(sent), clock.now());
        run(duration::ms(1), duration::ms(1));
    }
    ASSERT_EQ(server.received.size(), data.size());
    EXPECT_TRUE(server.received == data);
}

} // namespace
} // namespace tachyon
