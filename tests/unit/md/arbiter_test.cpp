/// A/B arbitration and gap recovery as traces on a manual clock: which line's copy wins,
/// partial overlaps, both lines losing the same messages (a request), the reply lost (a
/// resend), the retry limit (messages declared lost, delivery carries on), heartbeats that
/// reveal a lost tail, end of session, bad packets and bad answers counted.

#include "apps/md/arbiter.hpp"

#include <gtest/gtest.h>

#include "stack/core/clock.hpp"

namespace tachyon::md {
namespace {

const mold_session test_session = text<10>("TEST000001");

/// A downstream packet of `test_session` numbering its messages from `first`; message i is the
/// 8-byte big-endian sequence number it carries (so the sink can check what it got).
std::vector<std::byte> packet(uint64_t first, uint64_t last, const mold_session& s = test_session) {
    std::vector<std::byte> out(1500);
    mold_packet_builder b(out, s, first);
    for (uint64_t seq = first; seq <= last; ++seq) {
        std::byte m[8];
        wire::store_be64(m, seq);
        EXPECT_TRUE(b.append(m));
    }
    auto bytes = b.finish();
    return {bytes.begin(), bytes.end()};
}

/// A heartbeat or end of session announcing `next`.
std::vector<std::byte> control(uint64_t next, uint16_t count) {
    std::vector<std::byte> out(32);
    auto bytes = mold_packet_builder(out, test_session, next).finish_as(count);
    return {bytes.begin(), bytes.end()};
}

/// Records what the arbiter hands over.
struct recorder {
    std::vector<uint64_t> delivered;
    std::vector<uint64_t> from_hold;
    std::vector<uint64_t> lost;
    void on_message(uint64_t seq, std::span<const std::byte> msg, bool held) {
        ASSERT_EQ(msg.size(), 8u);
        ASSERT_EQ(wire::load_be64(msg.data()), seq) << "the message carried is the one numbered";
        delivered.push_back(seq);
        if (held) from_hold.push_back(seq);
    }
    void on_loss(uint64_t seq) { lost.push_back(seq); }
};

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> v;
    for (uint64_t s = first; s <= last; ++s) v.push_back(s);
    return v;
}

class arbiter_trace : public ::testing::Test {
protected:
    arbiter_config config() {
        arbiter_config c;
        c.gap_wait = duration::ms(5);
        c.request_timeout = duration::ms(100);
        c.max_retries = 2;
        return c;
    }
    void recv(feed_line l, const std::vector<std::byte>& d) { arb.on_datagram(l, d, clock.now(), sink); }
    std::optional<mold_request> poll() { return arb.poll(clock.now(), sink); }
    void expect_request(const std::optional<mold_request>& r, uint64_t seq, uint16_t count) {
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->header.session, test_session);
        EXPECT_EQ(r->header.sequence, seq);
        EXPECT_EQ(r->header.count, count);
    }

    manual_clock clock;
    arbiter arb{config()};
    recorder sink;
};

TEST_F(arbiter_trace, line_a_ahead_of_b_a_wins_b_counts_duplicates) {
    recv(feed_line::a, packet(1, 3));
    recv(feed_line::a, packet(4, 6));
    clock.advance(duration::us(20));
    recv(feed_line::b, packet(1, 3));
    recv(feed_line::b, packet(4, 6));
    EXPECT_EQ(sink.delivered, range(1, 6));
    EXPECT_EQ(arb.line(feed_line::a).delivered, 6u);
    EXPECT_EQ(arb.line(feed_line::b).duplicates, 6u);
    EXPECT_FALSE(poll().has_value());
    EXPECT_EQ(arb.missing(), 0u);
    EXPECT_EQ(arb.stats().gaps, 0u);
}

TEST_F(arbiter_trace, line_b_ahead_and_a_partial_overlap_is_trimmed_message_by_message) {
    recv(feed_line::b, packet(1, 4));
    recv(feed_line::a, packet(1, 2));
    recv(feed_line::a, packet(3, 6)); // 3 and 4 already delivered from B: trimmed
    recv(feed_line::b, packet(5, 8));
    EXPECT_EQ(sink.delivered, range(1, 8));
    EXPECT_EQ(arb.line(feed_line::b).delivered, 6u); // 1-4, 7-8
    EXPECT_EQ(arb.line(feed_line::a).delivered, 2u); // 5-6
    EXPECT_EQ(arb.line(feed_line::a).duplicates, 4u);
    EXPECT_EQ(arb.line(feed_line::b).duplicates, 2u);
}

TEST_F(arbiter_trace, a_loss_on_one_line_is_filled_by_the_other_without_a_request) {
    recv(feed_line::a, packet(1, 2));
    recv(feed_line::a, packet(5, 6)); // A lost 3-4
    EXPECT_EQ(arb.line(feed_line::a).gaps, 1u);
    EXPECT_FALSE(poll().has_value()) << "B has not passed the gap yet";
    clock.advance(duration::ms(1));
    recv(feed_line::b, packet(1, 2));
    recv(feed_line::b, packet(3, 4));
    EXPECT_EQ(sink.delivered, range(1, 6));
    EXPECT_EQ(sink.from_hold, range(5, 6));
    EXPECT_FALSE(poll().has_value());
    EXPECT_EQ(arb.stats().requests, 0u);
}

TEST_F(arbiter_trace, both_lines_lose_the_same_messages_recovery_fills_them) {
    for (feed_line l : {feed_line::a, feed_line::b}) {
        recv(l, packet(1, 2));
        recv(l, packet(5, 7));
    }
    EXPECT_EQ(sink.delivered, range(1, 2));
    expect_request(poll(), 3, 2); // both lines passed 3: ask at once
    EXPECT_FALSE(poll().has_value()) << "one request outstanding";
    EXPECT_EQ(arb.missing(), 2u);
    clock.advance(duration::us(300));
    recv(feed_line::recovery, packet(3, 4));
    EXPECT_EQ(sink.delivered, range(1, 7));
    EXPECT_EQ(sink.from_hold, range(5, 7));
    EXPECT_EQ(arb.line(feed_line::recovery).delivered, 2u);
    EXPECT_EQ(arb.missing(), 0u);
    EXPECT_EQ(arb.stats().gaps, 1u);
    EXPECT_FALSE(poll().has_value());
}

TEST_F(arbiter_trace, a_silent_line_b_delays_the_request_by_gap_wait_only) {
    recv(feed_line::a, packet(1, 2));
    recv(feed_line::a, packet(4, 4));
    EXPECT_FALSE(poll().has_value());
    clock.advance(duration::ms(4));
    EXPECT_FALSE(poll().has_value());
    clock.advance(duration::ms(1));
    expect_request(poll(), 3, 1);
}

TEST_F(arbiter_trace, a_lost_reply_is_asked_again_after_the_timeout) {
    for (feed_line l : {feed_line::a, feed_line::b}) recv(l, packet(1, 1)), recv(l, packet(3, 3));
    expect_request(poll(), 2, 1);
    clock.advance(duration::ms(99));
    EXPECT_FALSE(poll().has_value());
    clock.advance(duration::ms(1));
    expect_request(poll(), 2, 1); // the reply was lost
    EXPECT_EQ(arb.stats().retries, 1u);
    recv(feed_line::recovery, packet(2, 2));
    EXPECT_EQ(sink.delivered, range(1, 3));
    recv(feed_line::recovery, packet(2, 2)); // the late answer to the first request
    EXPECT_EQ(arb.line(feed_line::recovery).unexpected, 1u);
    EXPECT_EQ(sink.delivered, range(1, 3));
}

TEST_F(arbiter_trace, the_retry_limit_declares_the_run_lost_and_delivery_carries_on) {
    for (feed_line l : {feed_line::a, feed_line::b}) recv(l, packet(1, 1)), recv(l, packet(4, 5));
    expect_request(poll(), 2, 2);
    clock.advance(duration::ms(100));
    expect_request(poll(), 2, 2);
    clock.advance(duration::ms(100));
    expect_request(poll(), 2, 2);
    EXPECT_EQ(arb.stats().retries, 2u);
    clock.advance(duration::ms(100));
    EXPECT_FALSE(poll().has_value()) << "max_retries resends, then given up";
    EXPECT_EQ(sink.lost, range(2, 3));
    EXPECT_EQ(sink.delivered, (std::vector<uint64_t>{1, 4, 5}));
    EXPECT_EQ(arb.stats().lost, 2u);
    EXPECT_EQ(arb.missing(), 2u) << "lost messages stay missing";
    recv(feed_line::a, packet(6, 6));
    EXPECT_EQ(sink.delivered.back(), 6u);
}

TEST_F(arbiter_trace, heartbeats_reveal_a_lost_tail) {
    for (feed_line l : {feed_line::a, feed_line::b}) recv(l, packet(1, 2));
    clock.advance(duration::s(1));
    for (feed_line l : {feed_line::a, feed_line::b}) recv(l, control(4, mold_heartbeat));
    EXPECT_EQ(arb.line(feed_line::a).heartbeats, 1u);
    expect_request(poll(), 3, 1);
    recv(feed_line::recovery, packet(3, 3));
    EXPECT_EQ(sink.delivered, range(1, 3));
    EXPECT_FALSE(arb.session_ended());
}

TEST_F(arbiter_trace, end_of_session_ends_once_everything_before_it_is_in) {
    recv(feed_line::a, packet(1, 3));
    recv(feed_line::a, control(6, mold_end_of_session)); // 4 and 5 lost on A
    recv(feed_line::b, control(6, mold_end_of_session));
    EXPECT_FALSE(arb.session_ended());
    expect_request(poll(), 4, 2);
    recv(feed_line::recovery, packet(4, 5));
    EXPECT_TRUE(arb.session_ended());
    EXPECT_EQ(arb.missing(), 0u);
    EXPECT_EQ(arb.line(feed_line::a).end_of_session, 1u);
}

TEST_F(arbiter_trace, bad_packets_and_bad_answers_are_counted_and_change_nothing) {
    recv(feed_line::a, packet(1, 2));
    recv(feed_line::a, packet(3, 4, text<10>("OTHER00001")));
    EXPECT_EQ(arb.line(feed_line::a).wrong_session, 1u);
    const std::vector<std::byte> garbage(7, std::byte{0x55});
    recv(feed_line::b, garbage);
    EXPECT_EQ(arb.line(feed_line::b).malformed, 1u);
    auto claim = packet(3, 3);
    claim[18] = claim[19] = std::byte{0xff}; // claims 65535 messages (end of session with data)
    recv(feed_line::b, claim);
    EXPECT_EQ(arb.line(feed_line::b).malformed, 2u);
    recv(feed_line::recovery, packet(3, 3)); // nothing was asked
    EXPECT_EQ(arb.line(feed_line::recovery).unexpected, 1u);
    recv(feed_line::a, packet(UINT64_MAX - 1, UINT64_MAX - 1));
    EXPECT_EQ(arb.line(feed_line::a).implausible, 1u);
    for (feed_line l : {feed_line::a, feed_line::b}) recv(l, packet(5, 5));
    expect_request(poll(), 3, 2);
    recv(feed_line::recovery, packet(4, 4));                           // wrong sequence
    recv(feed_line::recovery, packet(3, 4, text<10>("OTHER00001")));   // wrong session
    EXPECT_EQ(arb.line(feed_line::recovery).unexpected, 2u);
    EXPECT_EQ(arb.line(feed_line::recovery).wrong_session, 1u);
    EXPECT_EQ(sink.delivered, range(1, 2));
    recv(feed_line::recovery, packet(3, 4));
    EXPECT_EQ(sink.delivered, range(1, 5));
}

TEST(arbiter, messages_beyond_the_hold_window_are_fetched_again) {
    arbiter_config c;
    c.hold_messages = 4;
    c.lines = 1;
    arbiter arb(c);
    recorder sink;
    manual_clock clock;
    arb.on_datagram(feed_line::a, packet(1, 2), clock.now(), sink);
    arb.on_datagram(feed_line::a, packet(5, 12), clock.now(), sink); // 3-4 lost; window holds 5, 6
    EXPECT_EQ(arb.stats().hold_overflow, 6u);
    auto r = arb.poll(clock.now(), sink);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.sequence, 3u);
    EXPECT_EQ(r->header.count, 2);
    arb.on_datagram(feed_line::recovery, packet(3, 4), clock.now(), sink);
    r = arb.poll(clock.now(), sink);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.sequence, 7u);
    EXPECT_EQ(r->header.count, 6);
    arb.on_datagram(feed_line::recovery, packet(7, 12), clock.now(), sink);
    EXPECT_EQ(sink.delivered, range(1, 12));
    EXPECT_EQ(arb.missing(), 0u);
}

} // namespace
} // namespace tachyon::md
