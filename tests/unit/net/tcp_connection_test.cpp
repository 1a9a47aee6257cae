/// The TCB on its own, sans-IO: segments in as `tcp_repr` + payload, descriptors out of the
/// emit queue, a manual clock. No stack, no frames on a wire: what each RFC rule makes the
/// connection send, read straight from its output.

#include "stack/net/tcp_connection.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "stack/buf/pool.hpp"

namespace tachyon {
namespace {

using wire::seq32;
namespace tf = wire::tcp_flags;

/// One connection, passively opened and established with a peer whose ISS is 5000; ours is
/// 1000. The peer offers MSS 1000 and SACK, no timestamps or window scaling, so the figures
/// below are plain.
struct tcb_fixture {
    tcp_settings settings;
    tcp_stats stats;
    tcp_emit_queue out;
    packet_pool pool{256, 2048, 128};
    std::optional<tcp_connection> c;
    instant now = instant::from_ns(1'000'000'000);
    static constexpr tcp_tuple tuple{{198, 18, 0, 2}, 80, {198, 18, 0, 1}, 40000};

    explicit tcb_fixture(tcp_settings s = defaults()) : settings(s), out(64, 100, stats) {
        c.emplace(settings, stats);
        wire::tcp_repr syn;
        syn.flags = tf::syn;
        syn.seq = seq32{5000};
        syn.window = 65535;
        syn.options.has_mss = true;
        syn.options.mss = 1000;
        syn.options.sack_permitted = true;
        c->open_passive(tuple, syn, seq32{1000}, 1460, now, out);
        take();
        (void)arrive(tf::ack, 5001, 1001, 0);
        take();
    }
    static tcp_settings defaults() {
        tcp_settings s;
        s.timestamps = false;
        s.receive_buffer = 8 * 1024;
        return s;
    }
    /// A segment from the peer with `len` payload bytes (the stream's bytes: seq's low byte).
    tcp_events arrive(uint8_t flags, uint32_t seq, uint32_t ack, size_t len, uint16_t window = 65535) {
        wire::tcp_repr r;
        r.flags = flags;
        r.seq = seq32{seq};
        r.ack = seq32{ack};
        r.window = window;
        packet p;
        if (len > 0) {
            p = pool.alloc();
            std::byte* d = p.append(len);
            for (size_t i = 0; i < len; ++i) d[i] = std::byte(uint8_t(seq + i));
        }
        return c->on_segment(r, std::move(p), now, out);
    }
    /// 20 bytes at `seq` in a frame that stays shared (the returned reference): it cannot take
    /// other segments packed onto it, so each one holds a slot of the in-order queue.
    packet arrive_shared(uint32_t seq) {
        wire::tcp_repr r;
        r.flags = tf::ack;
        r.seq = seq32{seq};
        r.ack = seq32{1001};
        r.window = 65535;
        packet p = pool.alloc();
        p.append(20);
        packet ref = p.share();
        (void)c->on_segment(r, std::move(p), now, out);
        return ref;
    }
    /// The segments the connection asked to send since the last call (and runs `output`).
    std::vector<tcp_segment_out> take() {
        c->output(now, out);
        std::vector<tcp_segment_out> v(out.segments().begin(), out.segments().end());
        out.clear();
        return v;
    }
    /// Queues `len` bytes of application data.
    void send(size_t len) {
        packet p = pool.alloc();
        p.append(len);
        ASSERT_TRUE(c->push_send(std::move(p)));
    }
};

TEST(tcp_connection, passive_open_answers_syn_with_syn_ack_and_establishes_on_the_ack) {
    tcp_settings s = tcb_fixture::defaults();
    tcp_stats stats;
    tcp_emit_queue out(8, 100, stats);
    tcp_connection c(s, stats);
    wire::tcp_repr syn;
    syn.flags = tf::syn;
    syn.seq = seq32{5000};
    syn.window = 1000;
    c.open_passive(tcb_fixture::tuple, syn, seq32{1000}, 1460, instant{}, out);
    ASSERT_EQ(out.segments().size(), 1u);
    EXPECT_EQ(out.segments()[0].flags, tf::syn | tf::ack);
    EXPECT_EQ(out.segments()[0].seq, seq32{1000});
    EXPECT_EQ(out.segments()[0].ack, seq32{5001});
    EXPECT_TRUE(out.segments()[0].options.has_mss);
    EXPECT_EQ(c.state(), tcp_state::syn_received);
    EXPECT_EQ(c.send_mss(), 536u) << "RFC 9293 §3.7.1: no MSS option means 536";
}

TEST(tcp_connection, data_in_order_is_readable_in_place_and_acknowledged) {
    tcb_fixture f;
    ASSERT_EQ(f.c->state(), tcp_state::established);
    const tcp_events ev = f.arrive(tf::ack | tf::psh, 5001, 1001, 100);
    EXPECT_TRUE(ev.readable);
    ASSERT_EQ(f.c->readable().size(), 100u);
    EXPECT_EQ(f.c->readable()[0], std::byte(uint8_t(5001)));
    const auto sent = f.take();
    ASSERT_EQ(sent.size(), 1u) << "no delayed ACKs: one ACK at the end of the call";
    EXPECT_EQ(sent[0].ack, seq32{5101});
}

TEST(tcp_connection, a_segment_beyond_a_gap_is_held_and_a_duplicate_ack_with_sack_goes_at_once) {
    tcb_fixture f;
    (void)f.arrive(tf::ack, 5101, 1001, 100);
    ASSERT_EQ(f.out.segments().size(), 1u) << "RFC 5681 §4.2: at once, not merged";
    const tcp_segment_out& a = f.out.segments()[0];
    EXPECT_EQ(a.ack, seq32{5001});
    ASSERT_EQ(a.options.sack_count, 1u);
    EXPECT_EQ(a.options.sack_blocks[0].first, seq32{5101});
    EXPECT_EQ(a.options.sack_blocks[0].second, seq32{5201});
    f.out.clear();
    (void)f.arrive(tf::ack, 5001, 1001, 100);
    EXPECT_EQ(f.c->rcv_nxt(), seq32{5201}) << "the gap filled: the held segment followed";
    EXPECT_EQ(f.c->received_bytes(), 200u);
}

/// Regression: a held segment whose gap filled while the receive queue had no room stayed
/// held after the application read, and RCV.NXT stood still until the peer's retransmission
/// timeout resent data the peer knew (by SACK) had arrived.
TEST(tcp_connection, reads_pull_held_data_in_and_acknowledge_it_without_waiting_for_the_peer) {
    tcp_settings s = tcb_fixture::defaults();
    s.receive_buffer = 2048;
    tcb_fixture f(s);
    std::vector<packet> refs;
    uint32_t seq = 5001;
    // Fill 15 of the 16 slots with unpackable frames, hold one segment beyond a gap, then fill
    // the gap into the 16th slot: the held segment has nowhere to go.
    for (int i = 0; i < 15; ++i) {
        refs.push_back(f.arrive_shared(seq));
        seq += 20;
    }
    (void)f.arrive(tf::ack, seq + 20, 1001, 20); // held
    refs.push_back(f.arrive_shared(seq));
    EXPECT_EQ(f.c->rcv_nxt(), seq32{seq + 20}) << "the gap filled; the held segment waits for a slot";
    EXPECT_EQ(f.c->out_of_order_count(), 1u);
    f.take();
    refs.clear();
    f.c->consume(f.c->readable().size()); // one slot free
    EXPECT_EQ(f.c->rcv_nxt(), seq32{seq + 40}) << "the read made room: the held segment followed";
    const auto sent = f.take();
    ASSERT_EQ(sent.size(), 1u) << "and the peer hears it at once";
    EXPECT_EQ(sent[0].ack, seq32{seq + 40});
}

TEST(tcp_connection, new_data_is_sent_within_the_windows_and_acknowledged_data_leaves_the_queue) {
    tcb_fixture f;
    f.send(1000);
    f.send(1000);
    const auto sent = f.take();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].seq, seq32{1001});
    EXPECT_EQ(sent[0].payload_len, 1000u);
    EXPECT_EQ(sent[1].seq, seq32{2001});
    EXPECT_EQ(f.c->queued_bytes(), 2000u);
    f.now = f.now + duration::ms(10);
    const tcp_events ev = f.arrive(tf::ack, 5001, 2001, 0);
    EXPECT_TRUE(ev.writable);
    EXPECT_EQ(f.c->snd_una(), seq32{2001});
    EXPECT_EQ(f.c->queued_bytes(), 1000u);
    EXPECT_TRUE(f.c->rtt().has_sample());
}

TEST(tcp_connection, close_sends_fin_after_the_data_and_the_peers_fin_leads_to_time_wait) {
    tcb_fixture f;
    f.send(100);
    f.c->close();
    EXPECT_EQ(f.c->state(), tcp_state::fin_wait_1);
    const auto sent = f.take();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].flags, tf::fin | tf::ack);
    EXPECT_EQ(sent[1].seq, seq32{1101});
    (void)f.arrive(tf::ack, 5001, 1102, 0);
    EXPECT_EQ(f.c->state(), tcp_state::fin_wait_2);
    const tcp_events ev = f.arrive(tf::ack | tf::fin, 5001, 1102, 0);
    EXPECT_TRUE(ev.eof);
    EXPECT_TRUE(ev.closed);
    EXPECT_EQ(ev.reason, tcp_close_reason::normal);
    EXPECT_EQ(f.c->state(), tcp_state::time_wait);
    f.now = f.now + f.settings.msl * 2;
    (void)f.c->on_timer(f.now, f.out);
    EXPECT_EQ(f.c->state(), tcp_state::closed);
}

TEST(tcp_connection, an_exact_rst_resets_and_an_inexact_one_gets_a_challenge_ack) {
    tcb_fixture f;
    tcp_events ev = f.arrive(tf::rst, 5002, 0, 0);
    EXPECT_FALSE(ev.closed);
    ASSERT_EQ(f.out.segments().size(), 1u) << "RFC 5961 §3.2";
    EXPECT_EQ(f.out.segments()[0].flags, tf::ack);
    EXPECT_EQ(f.stats.challenge_acks, 1u);
    f.out.clear();
    ev = f.arrive(tf::rst, 5001, 0, 0);
    EXPECT_TRUE(ev.closed);
    EXPECT_EQ(ev.reason, tcp_close_reason::reset);
    EXPECT_FALSE(f.c->in_use());
}

TEST(tcp_connection, the_retransmission_timer_resends_the_head_and_backs_off) {
    tcb_fixture f;
    f.send(500);
    (void)f.take();
    const instant first = f.c->next_deadline();
    ASSERT_NE(first, instant::never());
    f.now = first;
    (void)f.c->on_timer(f.now, f.out);
    const auto sent = f.take();
    ASSERT_GE(sent.size(), 1u);
    EXPECT_EQ(sent[0].seq, seq32{1001});
    EXPECT_EQ(sent[0].payload_len, 500u);
    EXPECT_EQ(f.stats.rto_expirations, 1u);
    EXPECT_GT(f.c->next_deadline() - f.now, first - instant::from_ns(1'000'000'000)) << "RFC 6298 (5.5) doubles it";
    EXPECT_EQ(f.c->cwnd(), f.c->send_mss()) << "RFC 5681 §3.1: the loss window";
}

TEST(tcp_connection, abort_sends_rst_and_frees_every_buffer) {
    tcb_fixture f;
    f.send(100);
    (void)f.arrive(tf::ack, 5101, 1001, 50); // held beyond a gap
    (void)f.take();
    const size_t before = f.pool.available();
    const tcp_events ev = f.c->abort(f.out);
    EXPECT_TRUE(ev.closed);
    EXPECT_EQ(ev.reason, tcp_close_reason::aborted);
    ASSERT_EQ(f.out.segments().size(), 1u);
    EXPECT_EQ(f.out.segments()[0].flags, tf::rst);
    f.out.clear();
    EXPECT_EQ(f.pool.available(), before + 2) << "the send queue's and the held frame";
}

} // namespace
} // namespace tachyon
