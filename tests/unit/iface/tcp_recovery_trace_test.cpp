// Loss recovery on the sender's side, as packet traces on a manual clock: SACK-based recovery
// that resends holes only (RFC 6675), D-SACK (RFC 2883), and the tail loss probe (RFC 8985 §7).

#include "tcp_trace.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;
using std::string;

/// The trace's peer offers SACK and an MSS of 100; its ACK of the SYN-ACK comes 10 ms later,
/// so SRTT is 10 ms (RTO: the 200 ms floor).
struct tcp_recovery : tcp_trace {
    uint32_t s = 0; // the stack's ISS
    static constexpr uint32_t p = 1001; // the peer's next sequence number

    void open(const std::function<void(stack_config&)>& tweak = {}) {
        make_tcp(tweak);
        s = handshake(1000, [](seg& x) { x.mss(100).sack_ok(); }, ms(10));
        ASSERT_EQ(conn()->rtt().srtt(), ms(10));
    }
    /// Opens the congestion window to 8 segments (slow start: 4 segments sent at 1 s, each
    /// acknowledged 10 ms later); the clock is then at 2 s. Returns the next byte's number.
    uint32_t open_window() {
        at(sec(1));
        app_send(string(400, 'a'));
        EXPECT_EQ(segments().size(), 4u);
        at(sec(1) + ms(10));
        for (uint32_t i = 1; i <= 4; ++i) peer(ack(p, s + 1 + 100 * i));
        (void)segments();
        EXPECT_EQ(conn()->cwnd(), 800u);
        at(sec(2));
        return s + 401;
    }
    /// Sends `n` segments of 100 bytes, the i-th filled with '0' + i.
    void send_segments(int n) {
        string payload;
        for (int i = 0; i < n; ++i) payload += string(100, char('0' + i));
        app_send(payload);
        ASSERT_EQ(segments().size(), size_t(n));
    }
    /// The peer's ACK of `ack_no` carrying SACK blocks.
    seg sack_ack(uint32_t ack_no, std::initializer_list<std::pair<uint32_t, uint32_t>> blocks) {
        seg a = ack(p, ack_no);
        for (auto [l, r] : blocks) a.sack(l, r);
        return a;
    }
    /// 2 s + `us` microseconds, after the window opened.
    static duration after(int64_t us) { return sec(2) + duration::us(us); }
    const tcp_stats& tcp() const { return st->stats().tcp; }
};

TEST_F(tcp_recovery, holes_are_resent_once_each_in_order_as_the_scoreboard_finds_them) {
    open();
    const uint32_t b = open_window();
    send_segments(8);
    // B0 and B2 are lost; B1, B3, B4 arrive within the reordering window (2.5 ms): three
    // duplicate ACKs with growing SACK blocks.
    at(after(10'000));
    peer(sack_ack(b, {{b + 100, b + 200}}));
    at(after(10'100));
    peer(sack_ack(b, {{b + 300, b + 400}, {b + 100, b + 200}}));
    expect_silence();
    at(after(10'200));
    peer(sack_ack(b, {{b + 300, b + 500}, {b + 100, b + 200}}));
    // RFC 6675 §5 (4): B0 (three segments SACKed above it) resent; ssthresh = 400. B2 is
    // still within RACK's reordering window, so the pipe is B0 again, B2 and B5-B7 (500),
    // above ssthresh: PRR (RFC 6937 §3.1) sends in proportion to what was delivered, 50 bytes'
    // worth after the retransmission's 100: cwnd = pipe, nothing more goes.
    out_seg r0 = expect_sent(ACK, b, p, 100);
    EXPECT_EQ(r0.payload, string(100, '0'));
    EXPECT_TRUE(conn()->in_recovery());
    EXPECT_EQ(conn()->ssthresh(), 400u);
    EXPECT_EQ(conn()->cwnd(), 500u);
    EXPECT_EQ(tcp().sack_recoveries, 1u);
    // B5 arrives: room in the pipe: B2 resent.
    at(after(10'300));
    peer(sack_ack(b, {{b + 300, b + 600}, {b + 100, b + 200}}));
    out_seg r2 = expect_sent(ACK, b + 200, p, 100);
    EXPECT_EQ(r2.payload, string(100, '2'));
    // B6 arrives: nothing else is missing below the highest SACK: nothing to send.
    at(after(10'400));
    peer(sack_ack(b, {{b + 300, b + 700}, {b + 100, b + 200}}));
    expect_silence();
    // B7 arrives, then the resent B0 (a partial ACK), then B2: recovery ends at RecoveryPoint.
    at(after(10'500));
    peer(sack_ack(b, {{b + 300, b + 800}, {b + 100, b + 200}}));
    expect_silence();
    at(after(20'200));
    peer(sack_ack(b + 200, {{b + 300, b + 800}}));
    expect_silence();
    EXPECT_TRUE(conn()->in_recovery());
    at(after(20'300));
    peer(ack(p, b + 800));
    expect_silence();
    EXPECT_FALSE(conn()->in_recovery());
    EXPECT_EQ(conn()->cwnd(), 400u);
    EXPECT_EQ(tcp().fast_retransmits, 2u) << "each hole once";
    EXPECT_EQ(tcp().retransmits, 0u) << "no timeout, no probe";
    EXPECT_EQ(tcp().rto_expirations, 0u);
}

TEST_F(tcp_recovery, prr_spreads_the_sending_over_the_recovery_in_proportion_to_what_arrives) {
    open();
    uint32_t b = open_window();
    // Slow start to a window of 16 segments: 8 more sent and acknowledged.
    send_segments(8);
    at(sec(2) + ms(10));
    for (uint32_t i = 1; i <= 8; ++i) peer(ack(p, b + 100 * i));
    (void)segments();
    ASSERT_EQ(conn()->cwnd(), 1600u);
    b += 800;
    // B0-B15 go out (the window), 8 more segments N0-N7 wait behind them.
    at(sec(3));
    app_send(string(2400, 'x'));
    ASSERT_EQ(segments().size(), 16u);
    // B0 is lost; B1-B15 arrive and each is SACKed, 10 us apart.
    auto arrives = [&](uint32_t k) {
        at(sec(3) + ms(10) + duration::us(10 * k));
        peer(sack_ack(b, {{b + 100, b + 100 * (k + 1)}}));
        return segments();
    };
    EXPECT_TRUE(arrives(1).empty());
    EXPECT_TRUE(arrives(2).empty());
    // The third duplicate ACK: B0 resent (RFC 6675 §5 (4.3)); RecoverFS = 1600, ssthresh = 800.
    auto v = arrives(3);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].seq, b);
    EXPECT_EQ(conn()->ssthresh(), 800u);
    // RFC 6937 §3.1: while the pipe is above ssthresh, sndcnt = ceil(prr_delivered * 800 /
    // 1600) - prr_out: one new segment for every two delivered (after the retransmission's
    // 100 bytes are paid for). At B10 the pipe has come down to ssthresh; from B11 PRR-SSRB
    // sends one per segment delivered. (RFC 6675 alone, with cwnd = ssthresh, would have sent
    // nothing before B11.)
    uint32_t next_new = b + 1600;
    for (uint32_t k = 4; k <= 15; ++k) {
        v = arrives(k);
        const bool expect_one = k == 6 || k == 8 || k >= 11;
        ASSERT_EQ(v.size(), expect_one ? 1u : 0u) << "on the ACK of B" << k;
        if (expect_one) {
            EXPECT_EQ(v[0].seq, next_new) << "new data, in order";
            EXPECT_EQ(v[0].payload.size(), 100u);
            next_new += 100;
        }
    }
    EXPECT_EQ(tcp().fast_retransmits, 1u) << "B0 once";
    // The resent B0 arrives: everything up to RecoveryPoint is acknowledged; cwnd = ssthresh.
    at(sec(3) + ms(20));
    peer(ack(p, b + 1600));
    EXPECT_FALSE(conn()->in_recovery());
    EXPECT_EQ(conn()->cwnd(), 800u);
    EXPECT_EQ(tcp().retransmits, 0u) << "no timeout, no probe";
}

TEST_F(tcp_recovery, rack_resends_a_lost_segment_on_the_first_sack_once_the_reordering_window_passed) {
    open();
    const uint32_t b = open_window();
    send_segments(4);
    // B0 is lost; B1's SACK comes one RTT later: a single duplicate ACK.
    at(after(10'000));
    peer(sack_ack(b, {{b + 100, b + 200}}));
    expect_silence();
    // RFC 8985 §6.2: B0, sent before B1, is lost once RACK.rtt (10 ms) and the reordering
    // window (min RTT / 4 = 2.5 ms) have passed since it was sent.
    at(after(12'499));
    expect_silence();
    at(after(12'500));
    out_seg r = expect_sent(ACK, b, p, 100);
    EXPECT_EQ(r.payload, string(100, '0'));
    EXPECT_EQ(tcp().dup_acks, 1u) << "long before three duplicate ACKs";
    EXPECT_EQ(tcp().sack_recoveries, 1u);
    at(after(22'500));
    peer(ack(p, b + 400));
    expect_silence();
    EXPECT_FALSE(conn()->in_recovery());
    EXPECT_EQ(tcp().fast_retransmits, 1u);
}

TEST_F(tcp_recovery, a_segment_late_within_the_reordering_window_is_not_resent) {
    open();
    const uint32_t b = open_window();
    send_segments(4);
    // B0 is late, not lost: B1 and B2 arrive first (two duplicates), then B0 and B3.
    at(after(10'000));
    peer(sack_ack(b, {{b + 100, b + 200}}));
    at(after(10'500));
    peer(sack_ack(b, {{b + 100, b + 300}}));
    expect_silence();
    at(after(11'000));
    peer(ack(p, b + 300));
    peer(ack(p, b + 400));
    at(after(30'000));
    expect_silence();
    EXPECT_EQ(tcp().fast_retransmits, 0u);
    EXPECT_EQ(tcp().sack_recoveries, 0u);
}

TEST_F(tcp_recovery, sack_blocks_outside_what_was_sent_change_nothing) {
    open();
    const uint32_t b = open_window();
    send_segments(4);
    // Blocks past SND.MAX, inverted, or below the cumulative ACK (a D-SACK only when first).
    const auto bogus = [&] { return sack_ack(b, {{b + 1000, b + 2000}, {b + 300, b + 200}, {b - 500, b - 400}}); };
    at(after(1'000));
    peer(bogus());
    peer(bogus());
    expect_silence();
    EXPECT_EQ(tcp().sack_recoveries, 0u) << "nothing SACKed: no segment is lost yet";
    // They are duplicate ACKs all the same (RFC 5681 §2): the third starts recovery, and only
    // the head goes again (nothing above it counts as SACKed).
    peer(bogus());
    expect_sent(ACK, b, p, 100);
    EXPECT_EQ(tcp().dup_acks, 3u);
    at(after(11'000));
    peer(ack(p, b + 400));
    expect_silence();
    EXPECT_EQ(tcp().fast_retransmits, 1u);
    EXPECT_FALSE(conn()->in_recovery());
}

TEST_F(tcp_recovery, two_lost_tail_segments_are_found_by_the_probe_and_rack) {
    open();
    const uint32_t b = open_window();
    send_segments(4);
    // B0 and B1 arrive; B2 and B3 are lost. Two segments in flight: PTO = 2 SRTT = 20 ms.
    at(after(10'000));
    peer(ack(p, b + 200));
    expect_silence();
    at(after(30'000));
    out_seg probe = expect_sent(ACK, b + 300, p, 100);
    EXPECT_EQ(probe.payload, string(100, '3'));
    // The probe is SACKed: RACK knows B2, sent before it, lost: resent at once.
    at(after(40'000));
    peer(sack_ack(b + 200, {{b + 300, b + 400}}));
    out_seg r = expect_sent(ACK, b + 200, p, 100);
    EXPECT_EQ(r.payload, string(100, '2'));
    at(after(50'000));
    peer(ack(p, b + 400));
    expect_silence();
    EXPECT_EQ(tcp().loss_probes, 1u);
    EXPECT_EQ(tcp().rto_expirations, 0u) << "40 ms, where the RTO would have taken 210";
}

TEST_F(tcp_recovery, a_lost_tail_is_probed_after_two_srtt_not_the_rto) {
    // A peer that acknowledges at once (no delayed ACK to wait for: WCDelAckT 0).
    open([](stack_config& c) { c.tcp.tlp_delayed_ack = duration{}; });
    at(sec(1));
    app_send(string(400, 'a'));
    ASSERT_EQ(segments().size(), 4u);
    // The first three arrive, the last is lost.
    at(sec(1) + ms(10));
    peer(ack(p, s + 301));
    expect_silence();
    // PTO = 2 SRTT (20 ms) after that ACK; the RTO would be 200 ms.
    EXPECT_EQ(conn()->pto_deadline(), t0 + sec(1) + ms(30));
    at(sec(1) + ms(29));
    expect_silence();
    at(sec(1) + ms(30));
    out_seg probe = expect_sent(ACK, s + 301, p, 100);
    EXPECT_EQ(probe.payload, string(100, 'a'));
    EXPECT_EQ(tcp().loss_probes, 1u);
    // The probe's ACK; then later data acknowledged past it with no D-SACK: it repaired a loss.
    at(sec(1) + ms(40));
    peer(ack(p, s + 401));
    expect_silence();
    app_send(string(100, 'b'));
    (void)segments();
    at(sec(1) + ms(50));
    peer(ack(p, s + 501));
    EXPECT_EQ(tcp().loss_probe_recoveries, 1u);
    EXPECT_EQ(tcp().rto_expirations, 0u);
}

TEST_F(tcp_recovery, a_probe_that_duplicated_arrived_data_is_told_by_dsack) {
    open([](stack_config& c) { c.tcp.tlp_delayed_ack = duration{}; });
    at(sec(1));
    app_send(string(200, 'a'));
    ASSERT_EQ(segments().size(), 2u);
    // Nothing is acknowledged in time: a probe (the last segment) at 2 SRTT after sending.
    at(sec(1) + ms(20));
    expect_sent(ACK, s + 101, p, 100);
    // Both originals were only late; the probe arrives after them and is reported by D-SACK.
    at(sec(1) + ms(25));
    peer(ack(p, s + 201));
    const uint32_t cwnd = conn()->cwnd();
    peer(sack_ack(s + 201, {{s + 101, s + 201}}));
    expect_silence();
    EXPECT_EQ(tcp().dsacks_received, 1u);
    EXPECT_EQ(tcp().loss_probe_recoveries, 0u);
    EXPECT_EQ(conn()->cwnd(), cwnd) << "no loss: no reduction";
}

TEST_F(tcp_recovery, with_one_segment_in_flight_the_probe_waits_for_a_delayed_ack) {
    // RFC 8985 §7.2: WCDelAckT is added when one segment is in flight (at most the RTO floor;
    // here the floor is 1 s so that the probe comes first).
    open([](stack_config& c) { c.tcp.rto_min = sec(1); });
    at(sec(1));
    app_send("order");
    expect_sent(ACK | PSH, s + 1, p, 5);
    EXPECT_EQ(conn()->pto_deadline(), t0 + sec(1) + ms(20) + ms(200));
    at(sec(1) + ms(219));
    expect_silence();
    at(sec(1) + ms(220));
    expect_sent(ACK, s + 1, p, 5);
}

TEST_F(tcp_recovery, without_sack_there_is_no_probe) {
    make_tcp();
    s = handshake(1000, [](seg& x) { x.mss(100); }, ms(10));
    at(sec(1));
    app_send(string(200, 'a'));
    ASSERT_EQ(segments().size(), 2u);
    EXPECT_EQ(conn()->pto_deadline(), instant::never());
    at(sec(1) + ms(199));
    expect_silence();
    at(sec(1) + ms(200));
    EXPECT_EQ(segments().size(), 1u) << "the RTO resends the head";
    EXPECT_EQ(tcp().loss_probes, 0u);
}

TEST_F(tcp_recovery, when_every_ack_is_lost_the_probe_then_the_rto_resend_and_back_off) {
    open([](stack_config& c) { c.tcp.tlp_delayed_ack = duration{}; });
    at(sec(1));
    app_send(string(200, 'a'));
    ASSERT_EQ(segments().size(), 2u);
    at(sec(1) + ms(20));
    expect_sent(ACK, s + 101, p, 100); // the probe
    // The RTO is re-armed from the probe: 200 ms later, go-back-N from SND.UNA.
    at(sec(1) + ms(219));
    expect_silence();
    at(sec(1) + ms(220));
    auto again = segments();
    ASSERT_GE(again.size(), 1u);
    EXPECT_TRUE(segment_is(again[0], ACK, s + 1, p, 100));
    EXPECT_EQ(tcp().rto_expirations, 1u);
    EXPECT_EQ(tcp().loss_probes, 1u) << "one probe per flight";
    // Backed off: the next timeout is 400 ms later, with no probe in between.
    at(sec(1) + ms(619));
    expect_silence();
    at(sec(1) + ms(620));
    EXPECT_GE(segments().size(), 1u);
    EXPECT_EQ(tcp().rto_expirations, 2u);
    EXPECT_EQ(tcp().loss_probes, 1u);
}

} // namespace
} // namespace tachyon
