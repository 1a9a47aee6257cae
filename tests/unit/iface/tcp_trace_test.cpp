// TCP through the stack as packet traces (style rule 14): the test plays the peer on the far
// end of a memory link, on a manual clock. "p" numbers are the peer's sequence space (chosen
// here), "s" numbers the stack's (read from its SYN or SYN-ACK). Delayed ACK is off (the
// default): every poll that received data ends with one ACK, unless a response carried it.

#include <string>

#include "tcp_trace.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;
using std::string;

// ---------------------------------------------------------------------------------------------
// Handshakes (RFC 9293 §3.5 figure 6, §3.7.1 MSS, RFC 7323 §2.2/§3.2, RFC 2018 §2)

TEST_F(tcp_trace, server_handshake_answers_only_the_options_offered) {
    make_tcp();
    // Peer offers everything.
    peer(syn(1000).mss(1460).wscale(2).sack_ok().ts(500, 0));
    out_seg sa = expect_sent(SYN | ACK, any, 1001, 0);
    EXPECT_TRUE(sa.opt.has_mss && sa.opt.mss == 1460) << "MSS = MTU - 40";
    EXPECT_TRUE(sa.opt.has_window_scale && sa.opt.window_scale == 7);
    EXPECT_TRUE(sa.opt.sack_permitted);
    EXPECT_TRUE(sa.opt.has_timestamps && sa.opt.ts_ecr == 500) << describe(sa);
    EXPECT_EQ(sa.wnd, 65535) << "a SYN's window is never scaled (RFC 7323 §2.2)";
    const uint32_t s = sa.seq;
    EXPECT_EQ(app.accepts, 0) << "not before the handshake completes";
    peer(ack(1001, s + 1).ts(501, sa.opt.ts_val));
    expect_silence();
    EXPECT_EQ(app.accepts, 1);
    EXPECT_EQ(state(), tcp_state::established);
    // Established: timestamps on every segment, our window scaled by 7.
    peer(data(1001, s + 1, "hi").ts(502, sa.opt.ts_val));
    out_seg a = expect_sent(ACK, s + 1, 1003, 0);
    EXPECT_TRUE(a.opt.has_timestamps && a.opt.ts_ecr == 502) << describe(a);
    EXPECT_EQ(a.wnd, (64 * 1024) >> 7) << "the 2 bytes were read in on_data";
    EXPECT_EQ(app.got, "hi");

    // A second peer offers nothing: the SYN-ACK carries the MSS only.
    peer(syn(7000).from(40001));
    auto v = segments();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_TRUE(segment_is(v[0], SYN | ACK, any, 7001, 0));
    EXPECT_EQ(v[0].dst, 40001);
    EXPECT_TRUE(v[0].opt.has_mss && v[0].opt.mss == 1460);
    EXPECT_FALSE(v[0].opt.has_window_scale);
    EXPECT_FALSE(v[0].opt.sack_permitted);
    EXPECT_FALSE(v[0].opt.has_timestamps);
    const uint32_t s2 = v[0].seq;
    peer(ack(7001, s2 + 1).from(40001));
    peer(data(7001, s2 + 1, "yo").from(40001));
    v = segments();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_TRUE(segment_is(v[0], ACK, s2 + 1, 7003, 0));
    EXPECT_FALSE(v[0].opt.has_timestamps);
    EXPECT_EQ(v[0].wnd, 65535) << "unscaled: 64 KiB capped to 65535";
}

TEST_F(tcp_trace, client_handshake_offers_everything_and_uses_the_peer_mss) {
    make_tcp();
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(10), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    out_seg sy = expect_sent(SYN, any, any, 0);
    EXPECT_EQ(sy.dst, 7000);
    EXPECT_GE(sy.src, 49152) << "RFC 6335 ephemeral range";
    EXPECT_TRUE(sy.opt.has_mss && sy.opt.mss == 1460);
    EXPECT_TRUE(sy.opt.has_window_scale && sy.opt.window_scale == 7);
    EXPECT_TRUE(sy.opt.sack_permitted);
    EXPECT_TRUE(sy.opt.has_timestamps && sy.opt.ts_ecr == 0);
    EXPECT_EQ(state(), tcp_state::syn_sent);
    const uint32_t s = sy.seq;
    // SYN-ACK with a smaller MSS and timestamps.
    time(ms(5));
    peer(synack(5000, s + 1).mss(1000).wscale(3).sack_ok().ts(77, sy.opt.ts_val).from(7000).to(sy.src));
    out_seg a = expect_sent(ACK, s + 1, 5001, 0);
    EXPECT_TRUE(a.opt.has_timestamps && a.opt.ts_ecr == 77);
    EXPECT_TRUE(app.connected);
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(conn()->rtt().srtt(), ms(5)) << "the SYN's round trip is the first sample";
    // Data is cut at MSS 1000 less the 12 bytes of timestamps (RFC 9293 §3.7.1).
    EXPECT_EQ(app_send(string(2000, 'x')), 2000u);
    auto v = segments();
    ASSERT_EQ(v.size(), 3u) << describe(v);
    EXPECT_TRUE(segment_is(v[0], ACK, s + 1, 5001, 988));
    EXPECT_TRUE(segment_is(v[1], ACK, s + 989, 5001, 988));
    EXPECT_TRUE(segment_is(v[2], ACK, s + 1977, 5001, 24));
}

TEST_F(tcp_trace, client_without_options_from_the_peer_sends_536_byte_segments_without_timestamps) {
    make_tcp();
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(10), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    out_seg sy = expect_sent(SYN, any, any, 0);
    peer(synack(5000, sy.seq + 1).from(7000).to(sy.src));
    out_seg a = expect_sent(ACK, sy.seq + 1, 5001, 0);
    EXPECT_FALSE(a.opt.has_timestamps) << "RFC 7323 §3.2: only when both SYNs carried them";
    EXPECT_EQ(a.wnd, 65535) << "no scaling: the peer's SYN-ACK had no window scale";
    EXPECT_EQ(app_send(string(600, 'y')), 600u);
    auto v = segments();
    ASSERT_EQ(v.size(), 2u) << describe(v);
    EXPECT_EQ(v[0].len(), 536u) << "RFC 9293 §3.7.1: no MSS option means 536";
    EXPECT_EQ(v[1].len(), 64u);
}

TEST_F(tcp_trace, a_retransmitted_syn_in_syn_received_gets_the_syn_ack_again) {
    make_tcp();
    peer(syn(1000).mss(1460));
    out_seg sa = expect_sent(SYN | ACK, any, 1001, 0);
    // The SYN-ACK was lost; the peer (SYN-SENT) sends its SYN again. Only a SYN-ACK can
    // complete its handshake: an ACK without SYN is dropped in SYN-SENT (RFC 9293 §3.10.7.3
    // "fifth"), so anything else leaves the peer waiting for our own retransmission timeout.
    at(ms(300));
    peer(syn(1000).mss(1460));
    expect_sent(SYN | ACK, sa.seq, 1001, 0);
    EXPECT_EQ(state(), tcp_state::syn_received);
}

TEST_F(tcp_trace, syn_ack_is_retransmitted_at_1_3_7_s_then_the_half_open_connection_is_dropped) {
    make_tcp([](stack_config& c) { c.tcp.connect_timeout = sec(10); });
    peer(syn(1000));
    out_seg sa = expect_sent(SYN | ACK, any, 1001, 0);
    for (int64_t t : {1000, 3000, 7000}) {
        at(ms(t - 1));
        expect_silence();
        at(ms(t));
        expect_sent(SYN | ACK, sa.seq, 1001, 0);
    }
    at(ms(10000));
    EXPECT_EQ(st->stats().tcp.closed_timeout, 1u);
    // The slot is free: the same SYN opens a new connection.
    peer(syn(1000));
    expect_sent(SYN | ACK, any, 1001, 0);
}

// ---------------------------------------------------------------------------------------------
// Simultaneous open (RFC 9293 §3.5 figure 7)

TEST_F(tcp_trace, simultaneous_open) {
    make_tcp();
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(10), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    // 2.  SYN-SENT     --> <SEQ=s><CTL=SYN>
    out_seg sy = expect_sent(SYN, any, any, 0);
    const uint32_t s = sy.seq;
    const uint16_t port = sy.src;
    // 3.  SYN-RECEIVED <-- <SEQ=300><CTL=SYN>
    peer(syn(300).mss(1460).from(7000).to(port));
    // 5.  SYN-RECEIVED --> <SEQ=s><ACK=301><CTL=SYN,ACK>
    expect_sent(SYN | ACK, s, 301, 0);
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_FALSE(app.connected);
    // 6.  ESTABLISHED  <-- <SEQ=300><ACK=s+1><CTL=SYN,ACK>
    peer(synack(300, s + 1).mss(1460).from(7000).to(port));
    (void)segments(); // an ACK here is harmless
    EXPECT_EQ(state(), tcp_state::established) << "figure 7 line 6: the SYN,ACK completes the open";
    EXPECT_TRUE(app.connected);
    // Either way, an ACK completes it, and data flows.
    peer(ack(301, s + 1).from(7000).to(port));
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_TRUE(app.connected);
    peer(data(301, s + 1, "abc").from(7000).to(port));
    expect_sent(ACK, s + 1, 304, 0);
    EXPECT_EQ(app.got, "abc");
}

// ---------------------------------------------------------------------------------------------
// Closing (RFC 9293 §3.6, figures 12 and 13)

TEST_F(tcp_trace, active_close_fin_wait_1_fin_wait_2_time_wait_closed_after_2msl) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    at(sec(1));
    ASSERT_EQ(st->tcp_close(id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    EXPECT_EQ(state(), tcp_state::fin_wait_1);
    EXPECT_EQ(app_send("late"), 0u) << "no sends after close";
    peer(ack(1001, s + 2));
    expect_silence();
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    EXPECT_FALSE(app.closed);
    time(sec(2));
    peer(fin(1001, s + 2));
    expect_sent(ACK, s + 2, 1002, 0);
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_TRUE(app.eof);
    EXPECT_TRUE(app.closed) << "the application is done; TIME-WAIT is the stack's";
    EXPECT_EQ(app.reason, tcp_close_reason::normal);
    // 2 MSL = 4 s.
    at(sec(6) - ms(1));
    EXPECT_EQ(state(), tcp_state::time_wait);
    at(sec(6));
    EXPECT_EQ(st->tcp_connection_of(id), nullptr) << "CLOSED: the slot is free";
    expect_silence();
    EXPECT_EQ(st->stats().tcp.closed_normal, 1u);
}

TEST_F(tcp_trace, passive_close_close_wait_last_ack_closed) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    peer(fin(1001, s + 1));
    expect_sent(ACK, s + 1, 1002, 0);
    EXPECT_TRUE(app.eof);
    EXPECT_EQ(state(), tcp_state::close_wait);
    // The application may still send (the peer only closed its side).
    EXPECT_EQ(app_send("last words"), 10u);
    expect_sent(ACK, s + 1, 1002, 10);
    peer(ack(1002, s + 11));
    ASSERT_EQ(st->tcp_close(id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 11, 1002, 0);
    EXPECT_EQ(state(), tcp_state::last_ack);
    EXPECT_FALSE(app.closed);
    peer(ack(1002, s + 12));
    expect_silence();
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::normal);
    EXPECT_EQ(st->tcp_connection_of(id), nullptr) << "no TIME-WAIT for the passive closer";
}

TEST_F(tcp_trace, closing_from_the_eof_callback_sends_one_fin_carrying_the_ack) {
    make_tcp();
    const uint32_t s = handshake(1000);
    // Close as soon as EOF is seen, inside the callback.
    tcp_callbacks cb = callbacks();
    cb.on_data = [](void* c, tcp_id id, std::span<const std::byte> b) -> size_t {
        if (b.empty()) (void)self(c).st->tcp_close(id, self(c).st->now());
        return b.size();
    };
    ASSERT_EQ(st->tcp_set_callbacks(app.id, cb), errc::ok);
    peer(fin(1001, s + 1));
    expect_sent(FIN | ACK, s + 1, 1002, 0);
    EXPECT_EQ(state(), tcp_state::last_ack);
}

TEST_F(tcp_trace, simultaneous_close_closing_then_time_wait) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    ASSERT_EQ(st->tcp_close(id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    // The peer's FIN crosses ours: it has not seen our FIN yet.
    peer(fin(1001, s + 1));
    expect_sent(ACK, s + 2, 1002, 0);
    EXPECT_EQ(state(), tcp_state::closing);
    // The ACK of our FIN.
    time(sec(1));
    peer(ack(1002, s + 2));
    expect_silence();
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::normal);
    at(sec(5) - ms(1));
    EXPECT_EQ(state(), tcp_state::time_wait);
    at(sec(5));
    EXPECT_EQ(st->tcp_connection_of(id), nullptr);
}

TEST_F(tcp_trace, fin_with_data_delivers_the_data_then_eof) {
    make_tcp();
    const uint32_t s = handshake(1000);
    seg last = data(1001, s + 1, "bye");
    last.with(FIN);
    peer(last);
    expect_sent(ACK, s + 1, 1005, 0); // 3 bytes + FIN
    EXPECT_EQ(app.got, "bye");
    EXPECT_TRUE(app.eof);
    EXPECT_EQ(state(), tcp_state::close_wait);
}

TEST_F(tcp_trace, half_close_shutdown_then_still_receiving) {
    make_tcp();
    const uint32_t s = handshake(1000);
    ASSERT_EQ(st->tcp_shutdown(app.id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    peer(ack(1001, s + 2));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    // The peer goes on sending; we go on receiving and acknowledging.
    peer(data(1001, s + 2, "more"));
    expect_sent(ACK, s + 2, 1005, 0);
    peer(data(1005, s + 2, " data"));
    expect_sent(ACK, s + 2, 1010, 0);
    EXPECT_EQ(app.got, "more data");
    EXPECT_FALSE(app.closed);
    peer(fin(1010, s + 2));
    expect_sent(ACK, s + 2, 1011, 0);
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_TRUE(app.eof);
    EXPECT_TRUE(app.closed);
}

// ---------------------------------------------------------------------------------------------
// Retransmission (RFC 6298)

TEST_F(tcp_trace, syn_is_retransmitted_at_1_2_4_8_s_intervals) {
    make_tcp();
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(120), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    out_seg sy = expect_sent(SYN, any, any, 0);
    // RFC 6298 (2.1) initial RTO 1 s, (5.5) doubled at each timeout: sent at 0, 1, 3, 7, 15 s.
    for (int64_t t : {1000, 3000, 7000, 15000}) {
        at(ms(t - 1));
        expect_silence();
        at(ms(t));
        expect_sent(SYN, sy.seq, any, 0);
    }
    EXPECT_EQ(st->stats().tcp.retransmits, 4u);
    time(ms(15100));
    peer(synack(5000, sy.seq + 1).from(7000).to(sy.src));
    expect_sent(ACK, sy.seq + 1, 5001, 0);
    EXPECT_TRUE(app.connected);
    EXPECT_FALSE(conn()->rtt().has_sample()) << "Karn: the SYN was retransmitted, no sample";
}

TEST_F(tcp_trace, rto_is_reset_to_3_s_after_a_retransmitted_syn) {
    make_tcp();
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(120), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    out_seg sy = expect_sent(SYN, any, any, 0);
    at(sec(1));
    expect_sent(SYN, sy.seq, any, 0);
    at(sec(3));
    expect_sent(SYN, sy.seq, any, 0);
    time(ms(3100));
    peer(synack(5000, sy.seq + 1).from(7000).to(sy.src));
    expect_sent(ACK, sy.seq + 1, 5001, 0);
    // RFC 6298 (5.7): "If the timer expires awaiting the ACK of a SYN segment and the TCP
    // implementation is using an RTO less than 3 seconds, the RTO MUST be re-initialized to
    // 3 seconds when data transmission begins".
    EXPECT_EQ(conn()->rtt().rto(), sec(3));
    at(sec(4));
    EXPECT_EQ(app_send("x"), 1u);
    expect_sent(ACK, sy.seq + 1, 5001, 1);
    at(sec(7) - ms(1));
    expect_silence();
    at(sec(7));
    expect_sent(ACK, sy.seq + 1, 5001, 1);
}

TEST_F(tcp_trace, syn_gives_up_after_max_retransmits_retransmissions) {
    make_tcp([](stack_config& c) { c.tcp.max_retransmits = 3; });
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(120), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    out_seg sy = expect_sent(SYN, any, any, 0);
    // "max_retransmits: retransmissions of one segment before giving up" (config.hpp): three.
    for (int64_t t : {1000, 3000, 7000}) {
        at(ms(t));
        expect_sent(SYN, sy.seq, any, 0);
    }
    EXPECT_FALSE(app.closed);
    at(ms(15000));
    expect_silence();
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::timeout);
}

TEST_F(tcp_trace, data_is_retransmitted_after_rto_with_exponential_backoff) {
    make_tcp();
    const uint32_t s = handshake(1000); // a 0 RTT sample: RTO = the 200 ms floor
    EXPECT_EQ(conn()->rtt().rto(), ms(200));
    at(sec(1));
    ASSERT_EQ(app_send("order"), 5u);
    expect_sent(ACK | PSH, s + 1, 1001, 5);
    // RFC 6298 (5.4)-(5.6): retransmit the earliest segment, double the RTO, restart the timer.
    for (int64_t t : {200, 600, 1400, 3000}) {
        at(sec(1) + ms(t) - ms(1));
        expect_silence();
        at(sec(1) + ms(t));
        out_seg r = expect_sent(ACK, s + 1, 1001, 5);
        EXPECT_EQ(r.payload, "order");
    }
    EXPECT_EQ(conn()->rtt().rto(), ms(3200));
    EXPECT_EQ(st->stats().tcp.retransmits, 4u);
    peer(ack(1001, s + 6));
    expect_silence();
    EXPECT_EQ(conn()->snd_una().value(), s + 6);
    // Nothing outstanding: no more retransmissions.
    at(sec(20));
    expect_silence();
}

TEST_F(tcp_trace, rto_follows_the_measured_rtt_per_rfc_6298) {
    make_tcp();
    const uint32_t s = handshake(1000, {}, ms(100)); // the SYN-ACK's round trip: 100 ms
    // (2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR = 300 ms.
    EXPECT_EQ(conn()->rtt().srtt(), ms(100));
    EXPECT_EQ(conn()->rtt().rttvar(), ms(50));
    EXPECT_EQ(conn()->rtt().rto(), ms(300));
    at(sec(1));
    app_send("a");
    expect_sent(ACK, s + 1, 1001, 1);
    time(sec(1) + ms(20));
    peer(ack(1001, s + 2));
    // (2.3): RTTVAR = 3/4 * 50 + 1/4 * |100 - 20| = 57.5; SRTT = 7/8 * 100 + 1/8 * 20 = 90;
    // RTO = 90 + 4 * 57.5 = 320 ms.
    EXPECT_EQ(conn()->rtt().rttvar(), duration::us(57500));
    EXPECT_EQ(conn()->rtt().srtt(), ms(90));
    EXPECT_EQ(conn()->rtt().rto(), ms(320));
    at(sec(2));
    app_send("b");
    expect_sent(ACK, s + 2, 1001, 1);
    at(sec(2) + ms(319));
    expect_silence();
    at(sec(2) + ms(320));
    expect_sent(ACK, s + 2, 1001, 1);
}

TEST_F(tcp_trace, rto_has_a_200_ms_floor) {
    make_tcp();
    const uint32_t s = handshake(1000, {}, duration::us(20)); // a co-located peer
    EXPECT_EQ(conn()->rtt().rto(), ms(200)) << "20 us + 4 * 10 us, raised to rto_min";
    app_send("a");
    expect_sent(ACK, s + 1, 1001, 1);
    const duration sent_at = clock.now() - t0;
    at(sent_at + ms(199));
    expect_silence();
    at(sent_at + ms(201)); // the timer wheel's 100 us grid
    expect_sent(ACK, s + 1, 1001, 1);
}

TEST_F(tcp_trace, karns_rule_no_sample_from_a_retransmitted_segment) {
    make_tcp();
    const uint32_t s = handshake(1000, {}, ms(100)); // SRTT 100, RTTVAR 50, RTO 300
    at(sec(1));
    app_send("a");
    expect_sent(ACK, s + 1, 1001, 1);
    at(sec(1) + ms(300));
    expect_sent(ACK, s + 1, 1001, 1); // retransmitted; RTO backed off to 600
    // This ACK may answer either transmission: no sample (RFC 6298 §3).
    time(sec(1) + ms(350));
    peer(ack(1001, s + 2));
    EXPECT_EQ(conn()->rtt().srtt(), ms(100));
    EXPECT_EQ(conn()->rtt().rttvar(), ms(50));
    EXPECT_EQ(conn()->rtt().rto(), ms(600)) << "the backed-off RTO stays until a valid sample";
    // The next segment, sent once and acknowledged after 40 ms, is a valid sample.
    at(sec(2));
    app_send("b");
    expect_sent(ACK, s + 2, 1001, 1);
    time(sec(2) + ms(40));
    peer(ack(1001, s + 3));
    EXPECT_EQ(conn()->rtt().srtt(), duration::us(92500)); // 7/8 * 100 + 1/8 * 40
    EXPECT_EQ(conn()->rtt().rto(), duration::us(92500) + duration::us(52500) * 4); // RTTVAR 3/4*50 + 1/4*60
}

TEST_F(tcp_trace, gives_up_after_max_retransmits_with_a_rst_and_closed_timeout) {
    make_tcp([](stack_config& c) { c.tcp.max_retransmits = 3; });
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    at(sec(1));
    app_send("hello");
    expect_sent(ACK, s + 1, 1001, 5);
    for (int64_t t : {200, 600, 1400}) {
        at(sec(1) + ms(t));
        expect_sent(ACK, s + 1, 1001, 5);
    }
    EXPECT_FALSE(app.closed);
    at(sec(1) + ms(3000));
    out_seg r = expect_sent(RST, any, any, 0);
    EXPECT_EQ(r.seq, s + 6) << "RST at SND.NXT";
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::timeout);
    EXPECT_EQ(st->tcp_connection_of(id), nullptr);
    EXPECT_EQ(st->stats().tcp.closed_timeout, 1u);
}

// ---------------------------------------------------------------------------------------------
// Fast retransmit and NewReno (RFC 5681 §3.2, RFC 6582 §3.2)

TEST_F(tcp_trace, fast_retransmit_on_the_third_duplicate_ack_and_newreno_partial_acks) {
    make_tcp();
    const uint32_t s = handshake(1000, [](seg& x) { x.mss(100); });
    EXPECT_EQ(conn()->cwnd(), 400u) << "RFC 5681 §3.1: IW = 4 segments of 100 bytes";
    // Open the congestion window: 4 segments, each acknowledged (slow start, +1 MSS per ACK).
    app_send(string(400, 'a'));
    ASSERT_EQ(segments().size(), 4u);
    for (uint32_t i = 1; i <= 4; ++i) peer(ack(1001, s + 1 + 100 * i));
    (void)segments();
    EXPECT_EQ(conn()->cwnd(), 800u);
    // Eight segments B0..B7 in flight.
    const uint32_t b = s + 401;
    string payload;
    for (char c = '0'; c < '8'; ++c) payload += string(100, c);
    app_send(payload);
    auto flight = segments();
    ASSERT_EQ(flight.size(), 8u) << describe(flight);
    for (uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(segment_is(flight[i], ACK, b + 100 * i, 1001, 100));
    // B0 and B2 are lost. B1, B3, B4 arrive: three duplicate ACKs for B0.
    peer(ack(1001, b));
    peer(ack(1001, b));
    expect_silence();
    peer(ack(1001, b));
    out_seg fr = expect_sent(ACK, b, 1001, 100);
    EXPECT_EQ(fr.payload, string(100, '0'));
    EXPECT_EQ(st->stats().tcp.fast_retransmits, 1u);
    EXPECT_EQ(st->stats().tcp.dup_acks, 3u);
    // ssthresh = max(FlightSize / 2, 2 SMSS) = 400; cwnd = ssthresh + 3 SMSS.
    EXPECT_EQ(conn()->cwnd(), 700u);
    // B5, B6, B7: more duplicates inflate the window, nothing new to send.
    for (int i = 0; i < 3; ++i) peer(ack(1001, b));
    expect_silence();
    EXPECT_EQ(conn()->cwnd(), 1000u);
    // The retransmitted B0 fills the first hole: a partial ACK up to B2. RFC 6582 step 4:
    // retransmit the first unacknowledged segment at once.
    peer(ack(1001, b + 200));
    out_seg pr = expect_sent(ACK, b + 200, 1001, 100);
    EXPECT_EQ(pr.payload, string(100, '2'));
    // Everything up to "recover" acknowledged: recovery ends, cwnd = min(ssthresh, FlightSize + SMSS).
    peer(ack(1001, b + 800));
    expect_silence();
    EXPECT_EQ(conn()->snd_una().value(), b + 800);
    EXPECT_LE(conn()->cwnd(), 400u);
    EXPECT_EQ(st->stats().tcp.retransmits, 0u) << "no timeout involved";
}

// ---------------------------------------------------------------------------------------------
// Out-of-order reassembly and SACK (RFC 9293 §3.10.7.4, RFC 5681 §4.2, RFC 2018 §4)

TEST_F(tcp_trace, out_of_order_segments_are_held_sacked_and_delivered_in_order) {
    make_tcp();
    const uint32_t s = handshake(1000, [](seg& x) { x.sack_ok(); });
    const uint32_t p = 1001;
    const string d0(100, 'A'), d1(100, 'B'), d2(100, 'C'), d3(100, 'D');
    // D1 beyond a gap: held, an immediate duplicate ACK carries its SACK block.
    peer(data(p + 100, s + 1, d1));
    out_seg a = expect_sent(ACK, s + 1, p, 0);
    ASSERT_EQ(a.opt.sack_count, 1u) << describe(a);
    EXPECT_EQ(a.opt.sack_blocks[0].first.value(), p + 100);
    EXPECT_EQ(a.opt.sack_blocks[0].second.value(), p + 200);
    EXPECT_EQ(app.got, "");
    EXPECT_EQ(conn()->out_of_order_count(), 1u);
    // D3 beyond another gap: the first block is the most recent segment's.
    peer(data(p + 300, s + 1, d3));
    a = expect_sent(ACK, s + 1, p, 0);
    ASSERT_EQ(a.opt.sack_count, 2u) << describe(a);
    EXPECT_EQ(a.opt.sack_blocks[0].first.value(), p + 300);
    EXPECT_EQ(a.opt.sack_blocks[0].second.value(), p + 400);
    EXPECT_EQ(a.opt.sack_blocks[1].first.value(), p + 100);
    EXPECT_EQ(a.opt.sack_blocks[1].second.value(), p + 200);
    EXPECT_EQ(st->stats().tcp.out_of_order, 2u);
    // D0 fills the first gap: D0 D1 delivered, one ACK for both, still SACKing D3.
    peer(data(p, s + 1, d0));
    a = expect_sent(ACK, s + 1, p + 200, 0);
    ASSERT_EQ(a.opt.sack_count, 1u) << describe(a);
    EXPECT_EQ(a.opt.sack_blocks[0].first.value(), p + 300);
    EXPECT_EQ(app.got, d0 + d1);
    // A retransmission overlapping what we have on both sides (the tail of D1, D2, the head
    // of D3): trimmed, D2 and D3 delivered once.
    peer(data(p + 150, s + 1, d1.substr(50) + d2 + d3.substr(0, 50)));
    a = expect_sent(ACK, s + 1, p + 400, 0);
    EXPECT_EQ(a.opt.sack_count, 0u) << describe(a);
    EXPECT_EQ(app.got, d0 + d1 + d2 + d3);
    EXPECT_EQ(conn()->out_of_order_count(), 0u);
    // An old duplicate is acknowledged at once, never delivered again.
    peer(data(p, s + 1, d0));
    expect_sent(ACK, s + 1, p + 400, 0);
    EXPECT_EQ(app.got.size(), 400u);
}

TEST_F(tcp_trace, out_of_order_without_sack_permitted_sends_plain_duplicate_acks) {
    make_tcp();
    const uint32_t s = handshake(1000);
    peer(data(1101, s + 1, string(100, 'B')));
    out_seg a = expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(a.opt.sack_count, 0u) << "RFC 2018 §2: SACK only when permitted";
    peer(data(1001, s + 1, string(100, 'A')));
    expect_sent(ACK, s + 1, 1201, 0);
    EXPECT_EQ(app.got, string(100, 'A') + string(100, 'B'));
}

// ---------------------------------------------------------------------------------------------
// Zero window and persist (RFC 9293 §3.8.6, RFC 1122 §4.2.2.17)

TEST_F(tcp_trace, a_receiver_that_does_not_read_advertises_a_zero_window_then_reopens_it) {
    make_tcp([](stack_config& c) { c.tcp.receive_buffer = 2048; });
    app.reading = false;
    peer(syn(1000));
    out_seg sa = expect_sent(SYN | ACK, any, 1001, 0);
    EXPECT_EQ(sa.wnd, 2048);
    const uint32_t s = sa.seq;
    peer(ack(1001, s + 1));
    peer(data(1001, s + 1, string(1024, 'a')));
    out_seg a = expect_sent(ACK, s + 1, 2025, 0);
    EXPECT_EQ(a.wnd, 1024);
    peer(data(2025, s + 1, string(1024, 'b')));
    a = expect_sent(ACK, s + 1, 3049, 0);
    EXPECT_EQ(a.wnd, 0) << "the application read nothing";
    // The peer's zero-window probe (one byte beyond the window) is answered with the window.
    peer(data(3049, s + 1, "c"));
    a = expect_sent(ACK, s + 1, 3049, 0);
    EXPECT_EQ(a.wnd, 0);
    EXPECT_EQ(app.got, "");
    // The application starts reading: it gets the 2048 bytes, and the window reopens.
    app.reading = true;
    ASSERT_EQ(st->tcp_set_callbacks(app.id, callbacks()), errc::ok);
    EXPECT_EQ(app.got, string(1024, 'a') + string(1024, 'b'));
    st->poll(clock.now());
    auto v = segments();
    ASSERT_EQ(v.size(), 1u) << "a window update once the reader frees the buffer (RFC 1122 §4.2.3.3):"
                            << describe(v);
    EXPECT_TRUE(segment_is(v[0], ACK, s + 1, 3049, 0));
    EXPECT_EQ(v[0].wnd, 2048);
}

TEST_F(tcp_trace, a_sender_facing_a_zero_window_probes_with_backoff_and_resumes_when_it_opens) {
    make_tcp();
    const uint32_t s = handshake(1000, {}, {}, /*wnd=*/0); // RTO 200 ms
    at(sec(1));
    EXPECT_EQ(app_send("queued"), 6u);
    expect_silence();
    // Probes at RTO, then doubling: 200, 600, 1400, 3000 ms. Each one an old sequence
    // number (SND.UNA - 1) the peer must answer with its window.
    for (int64_t t : {200, 600, 1400, 3000}) {
        at(sec(1) + ms(t) - ms(1));
        expect_silence();
        at(sec(1) + ms(t));
        expect_sent(ACK, s, 1001, 0);
        peer(ack(1001, s + 1, 0)); // still closed
        expect_silence();
    }
    EXPECT_EQ(st->stats().tcp.window_probes, 4u);
    // The window opens: the data goes at once.
    time(sec(5));
    peer(ack(1001, s + 1, 1000));
    out_seg d = expect_sent(ACK, s + 1, 1001, 6);
    EXPECT_EQ(d.payload, "queued");
    peer(ack(1001, s + 7, 1000));
    at(sec(30));
    expect_silence();
}

TEST_F(tcp_trace, the_advertised_window_is_the_real_one_whatever_the_peers_isn) {
    // The same trace as above with a peer ISN in the upper half of the sequence space.
    make_tcp([](stack_config& c) { c.tcp.receive_buffer = 2048; });
    app.reading = false;
    const uint32_t p = 0x90000000u;
    peer(syn(p));
    out_seg sa = expect_sent(SYN | ACK, any, p + 1, 0);
    EXPECT_EQ(sa.wnd, 2048);
    const uint32_t s = sa.seq;
    peer(ack(p + 1, s + 1));
    peer(data(p + 1, s + 1, string(1024, 'a')));
    out_seg a = expect_sent(ACK, s + 1, p + 1025, 0);
    EXPECT_EQ(a.wnd, 1024) << "RFC 9293 §3.8.6.2: the window is the room left in the buffer";
    peer(data(p + 1025, s + 1, string(1024, 'b')));
    a = expect_sent(ACK, s + 1, p + 2049, 0);
    EXPECT_EQ(a.wnd, 0);
    // Beyond the window: not accepted.
    peer(data(p + 2049, s + 1, string(1024, 'c')));
    a = expect_sent(ACK, s + 1, p + 2049, 0);
    EXPECT_EQ(a.wnd, 0);
    EXPECT_EQ(conn()->received_bytes(), 2048u);
}

// ---------------------------------------------------------------------------------------------
// TIME-WAIT (RFC 9293 §3.10.7.4 "eighth", RFC 6191)

TEST_F(tcp_trace, a_retransmitted_fin_in_time_wait_is_acked_and_restarts_2msl) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    st->tcp_close(id, clock.now());
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    peer(ack(1001, s + 2));
    time(sec(1));
    peer(fin(1001, s + 2));
    expect_sent(ACK, s + 2, 1002, 0);
    ASSERT_EQ(state(), tcp_state::time_wait); // until 5 s
    // Our ACK was lost; the peer retransmits its FIN at 3 s.
    time(sec(3));
    peer(fin(1001, s + 2));
    expect_sent(ACK, s + 2, 1002, 0);
    // "TIME-WAIT STATE: ... Acknowledge it, and restart the 2 MSL timeout": until 7 s.
    at(sec(5) + ms(500));
    EXPECT_EQ(state(), tcp_state::time_wait) << "2 MSL restarted by the retransmitted FIN";
    at(sec(7));
    EXPECT_EQ(st->tcp_connection_of(id), nullptr);
}

TEST_F(tcp_trace, a_new_syn_beyond_rcv_nxt_takes_over_a_time_wait_tuple) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id old_id = app.id;
    st->tcp_close(old_id, clock.now());
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    peer(ack(1001, s + 2));
    peer(fin(1001, s + 2));
    expect_sent(ACK, s + 2, 1002, 0);
    ASSERT_EQ(state(), tcp_state::time_wait);
    // An old SYN (at or below RCV.NXT) does not: it is answered with an ACK.
    peer(syn(900));
    expect_sent(ACK, s + 2, 1002, 0);
    EXPECT_EQ(st->tcp_connection_of(old_id)->state(), tcp_state::time_wait);
    EXPECT_EQ(st->stats().tcp.time_wait_reused, 0u);
    // A reconnect from the same port with a higher ISN (RFC 6191 §2).
    time(sec(1));
    peer(syn(500000).mss(1460));
    out_seg sa = expect_sent(SYN | ACK, any, 500001, 0);
    EXPECT_EQ(st->stats().tcp.time_wait_reused, 1u);
    EXPECT_EQ(st->tcp_connection_of(old_id), nullptr) << "the TIME-WAIT connection is gone";
    peer(ack(500001, sa.seq + 1));
    EXPECT_EQ(app.accepts, 2);
    EXPECT_EQ(state(), tcp_state::established);
    peer(data(500001, sa.seq + 1, "again"));
    expect_sent(ACK, sa.seq + 1, 500006, 0);
    EXPECT_EQ(app.got, "again");
}

// ---------------------------------------------------------------------------------------------
// RFC 5961: blind reset, SYN and data injection

TEST_F(tcp_trace, rfc5961_rst_at_rcv_nxt_resets) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    (void)s;
    peer(rst(1001));
    expect_silence();
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::reset);
    EXPECT_EQ(st->tcp_connection_of(id), nullptr);
    EXPECT_EQ(st->stats().tcp.closed_reset, 1u);
}

TEST_F(tcp_trace, rfc5961_rst_in_window_elsewhere_gets_a_challenge_ack_and_out_of_window_is_ignored) {
    make_tcp();
    const uint32_t s = handshake(1000);
    // In the window but not RCV.NXT: challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>, connection kept.
    peer(rst(1001 + 1000));
    expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_FALSE(app.closed);
    EXPECT_EQ(st->stats().tcp.challenge_acks, 1u);
    // Out of the window: dropped silently.
    peer(rst(1001 + 100000));
    expect_silence();
    peer(rst(1001 - 10));
    expect_silence();
    EXPECT_EQ(state(), tcp_state::established);
    // The connection still works.
    peer(data(1001, s + 1, "ok"));
    expect_sent(ACK, s + 1, 1003, 0);
    EXPECT_EQ(app.got, "ok");
}

TEST_F(tcp_trace, rfc5961_syn_in_established_gets_a_challenge_ack) {
    make_tcp();
    const uint32_t s = handshake(1000);
    peer(syn(1001 + 50));
    expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(st->stats().tcp.challenge_acks, 1u);
    EXPECT_EQ(state(), tcp_state::established);
    // §4.2: "irrespective of the sequence number".
    peer(syn(1001 + 1000000));
    expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(app.accepts, 1);
}

TEST_F(tcp_trace, rfc5961_ack_for_unsent_data_is_answered_and_its_data_dropped) {
    make_tcp();
    const uint32_t s = handshake(1000);
    // SEG.ACK > SND.MAX: "send an ACK, drop the segment" (RFC 9293; RFC 5961 §5.2).
    peer(data(1001, s + 1 + 5000, "forged"));
    expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(app.got, "");
    EXPECT_EQ(st->stats().tcp.drop_bad_ack, 1u);
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(tcp_trace, rfc5961_ack_too_old_gets_a_challenge_ack_and_its_data_dropped) {
    make_tcp();
    const uint32_t s = handshake(1000); // MAX.SND.WND = 65535
    // SEG.ACK < SND.UNA - MAX.SND.WND: challenge ACK, data not accepted.
    peer(data(1001, s + 1 - 70000, "blind"));
    expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(app.got, "");
    EXPECT_EQ(st->stats().tcp.drop_bad_ack, 1u);
    EXPECT_EQ(st->stats().tcp.challenge_acks, 1u);
    // An old ACK within MAX.SND.WND is fine: its data is taken.
    peer(data(1001, s + 1 - 1000, "fine"));
    expect_sent(ACK, s + 1, 1005, 0);
    EXPECT_EQ(app.got, "fine");
}

TEST_F(tcp_trace, rfc5961_challenge_acks_are_rate_limited) {
    make_tcp([](stack_config& c) { c.tcp.challenge_ack_limit = 3; });
    const uint32_t s = handshake(1000);
    for (int i = 0; i < 5; ++i) peer(rst(1001 + 100 + uint32_t(i)));
    auto v = segments();
    EXPECT_EQ(v.size(), 3u) << describe(v);
    for (const auto& a : v) EXPECT_TRUE(segment_is(a, ACK, s + 1, 1001, 0));
    EXPECT_EQ(st->stats().tcp.challenge_acks, 3u);
    EXPECT_EQ(st->stats().tcp.challenge_acks_limited, 2u);
    // A second later, allowed again (§7).
    clock.advance(sec(1));
    peer(syn(1001 + 5));
    expect_sent(ACK, s + 1, 1001, 0);
    EXPECT_EQ(state(), tcp_state::established);
}

// ---------------------------------------------------------------------------------------------
// Sequence numbers wrapping around 2^32 (RFC 9293 §3.4)

TEST_F(tcp_trace, receiving_across_the_sequence_wrap) {
    make_tcp([](stack_config& c) { c.tcp.out_of_order_segments = 8; });
    const uint32_t p = 0xFFFFFFE0u; // the peer's ISN: RCV.NXT = 2^32 - 31
    const uint32_t s = handshake(p, [](seg& x) { x.sack_ok(); });
    const string x(32, 'x'), y(32, 'y'), z(32, 'z');
    // Y starts right after the wrap (at 1): ahead of RCV.NXT, held, not taken for old.
    peer(data(p + 1 + 32, s + 1, y));
    out_seg a = expect_sent(ACK, s + 1, p + 1, 0);
    ASSERT_EQ(a.opt.sack_count, 1u);
    EXPECT_EQ(a.opt.sack_blocks[0].first.value(), 1u);
    EXPECT_EQ(a.opt.sack_blocks[0].second.value(), 33u);
    // X spans the wrap (2^32 - 31 .. 0): both delivered in order.
    peer(data(p + 1, s + 1, x));
    expect_sent(ACK, s + 1, 33u, 0);
    EXPECT_EQ(app.got, x + y);
    // An old duplicate from before the wrap is acknowledged, not delivered.
    peer(data(0xFFFFFFF0u, s + 1, string(16, 'x')));
    expect_sent(ACK, s + 1, 33u, 0);
    peer(data(33u, s + 1, z));
    expect_sent(ACK, s + 1, 65u, 0);
    EXPECT_EQ(app.got, x + y + z);
    // A FIN after the wrap.
    peer(fin(65u, s + 1));
    expect_sent(ACK, s + 1, 66u, 0);
    EXPECT_EQ(state(), tcp_state::close_wait);
}

TEST_F(tcp_trace, sending_across_the_sequence_wrap) {
    make_tcp();
    // Our ISN is M + F (RFC 6528): with the key (all zero here) we know F, so choosing the
    // time of the peer's SYN chooses the ISN: put it 16 bytes before 2^32.
    const isn_generator isn(siphash_key::from_bytes(std::as_bytes(std::span(st->config().secret))));
    const uint32_t target = 0xFFFFFFF0u;
    const uint32_t f = isn.offset(our_ip, our_port, peer_ip, peer_port);
    int64_t ticks = int64_t(uint32_t(target - f));
    while (ticks * isn_generator::tick_ns <= clock.now().ns_since_epoch()) ticks += int64_t(1) << 32;
    clock.set(instant::from_ns(ticks * isn_generator::tick_ns));
    t0 = clock.now();
    st->poll(clock.now());
    const uint32_t s = handshake(1000);
    ASSERT_EQ(s, target) << "the ISN is M + F (isn.hpp)";
    // 64 bytes from 2^32 - 15 to 49, across the wrap.
    string msg;
    for (int i = 0; i < 64; ++i) msg += char('a' + i % 26);
    app_send(msg);
    out_seg d = expect_sent(ACK, s + 1, 1001, 64);
    EXPECT_EQ(d.seq, 0xFFFFFFF1u);
    // An ACK past the wrap, inside what was sent: acceptable, a partial acknowledgment.
    peer(ack(1001, 16u));
    expect_silence();
    EXPECT_EQ(conn()->snd_una().value(), 16u);
    // An ACK past what was sent (beyond the wrap too): ACK and drop (RFC 5961 §5.2).
    peer(ack(1001, 200u));
    expect_sent(ACK, 49u, 1001, 0);
    EXPECT_EQ(conn()->snd_una().value(), 16u);
    // The timeout retransmits only what is unacknowledged, from 16.
    at(sec(1));
    out_seg r = expect_sent(ACK, 16u, 1001, 33);
    EXPECT_EQ(r.payload, msg.substr(31));
    peer(ack(1001, 49u));
    EXPECT_EQ(conn()->snd_una().value(), 49u);
    // A FIN after the wrap.
    st->tcp_close(app.id, clock.now());
    expect_sent(FIN | ACK, 49u, 1001, 0);
    peer(ack(1001, 50u));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

// ---------------------------------------------------------------------------------------------
// Segments for no connection (RFC 9293 §3.10.7.1)

TEST_F(tcp_trace, a_closed_port_answers_rst_in_both_forms_and_never_a_rst_for_a_rst) {
    make_tcp();
    // Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    peer(syn(1000).to(9999));
    out_seg r = expect_sent(RST | ACK, 0u, 1001, 0);
    EXPECT_EQ(r.src, 9999);
    EXPECT_EQ(r.dst, peer_port);
    seg no_ack = data(5000, 0, "abc");
    no_ack.flags = PSH | FIN;
    peer(no_ack.to(9999));
    expect_sent(RST | ACK, 0u, 5004, 0); // 3 bytes + FIN
    // With ACK: <SEQ=SEG.ACK><CTL=RST>.
    peer(ack(1000, 777777).to(9999));
    expect_sent(RST, 777777u, any, 0);
    peer(data(1000, 888888, "data").to(9999));
    expect_sent(RST, 888888u, any, 0);
    // A RST is never answered.
    peer(rst(1000).to(9999));
    expect_silence();
    seg ra = ack(1000, 5);
    ra.flags = RST | ACK;
    peer(ra.to(9999));
    expect_silence();
    // A listening port answers a stray ACK (no connection) the same way.
    peer(ack(1000, 4242));
    expect_sent(RST, 4242u, any, 0);
    EXPECT_EQ(st->stats().tcp.drop_no_connection, 7u);
    EXPECT_EQ(st->stats().tcp.tx_resets, 5u);
}

// ---------------------------------------------------------------------------------------------
// Keepalive (RFC 1122 §4.2.3.6) and user timeout (RFC 9293 §3.8.3)

TEST_F(tcp_trace, keepalive_probes_an_idle_connection_and_drops_it_after_the_configured_probes) {
    make_tcp([](stack_config& c) {
        c.tcp.keepalive = true;
        c.tcp.keepalive_idle = sec(10);
        c.tcp.keepalive_interval = sec(2);
        c.tcp.keepalive_probes = 3;
    });
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    at(sec(10) - ms(1));
    expect_silence();
    // A probe: SEG.SEQ = SND.NXT - 1, no data.
    at(sec(10));
    expect_sent(ACK, s, 1001, 0);
    // Answered: the connection is alive; idle again from now.
    time(sec(10) + ms(500));
    peer(ack(1001, s + 1));
    expect_silence();
    at(sec(20));
    expect_silence();
    at(sec(20) + ms(500));
    expect_sent(ACK, s, 1001, 0);
    // Unanswered: probes every 2 s, then the connection is dropped.
    at(sec(22) + ms(500));
    expect_sent(ACK, s, 1001, 0);
    at(sec(24) + ms(500));
    expect_sent(ACK, s, 1001, 0);
    EXPECT_FALSE(app.closed);
    at(sec(26) + ms(500));
    expect_sent(RST, s + 1, any, 0);
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::timeout);
    EXPECT_EQ(st->tcp_connection_of(id), nullptr);
    EXPECT_EQ(st->stats().tcp.keepalive_probes, 4u);
}

TEST_F(tcp_trace, keepalive_can_be_turned_on_per_connection) {
    make_tcp([](stack_config& c) {
        c.tcp.keepalive_idle = sec(10);
        c.tcp.keepalive_interval = sec(2);
    });
    const uint32_t s = handshake(1000);
    at(sec(60));
    expect_silence(); // off by default
    ASSERT_EQ(st->tcp_set_keepalive(app.id, true, clock.now()), errc::ok);
    at(sec(70));
    expect_sent(ACK, s, 1001, 0);
}

TEST_F(tcp_trace, user_timeout_aborts_when_data_stays_unacknowledged_that_long) {
    make_tcp();
    const uint32_t s = handshake(1000); // RTO 200 ms: timeouts at 0.2, 0.6, 1.4, 3.0 s...
    ASSERT_EQ(st->tcp_set_user_timeout(app.id, sec(1)), errc::ok);
    const tcp_id id = app.id;
    app_send("x");
    expect_sent(ACK, s + 1, 1001, 1);
    at(ms(200));
    expect_sent(ACK, s + 1, 1001, 1);
    at(ms(600));
    expect_sent(ACK, s + 1, 1001, 1);
    at(ms(999));
    EXPECT_FALSE(app.closed);
    // RFC 9293 §3.8.3: when data is not delivered within the user timeout, abort.
    at(ms(1001));
    EXPECT_TRUE(app.closed) << "1 s after the data was sent, not at the next RTO (1.4 s)";
    EXPECT_EQ(app.reason, tcp_close_reason::timeout);
    at(ms(1400));
    EXPECT_TRUE(app.closed);
    auto v = segments();
    ASSERT_FALSE(v.empty());
    EXPECT_TRUE(segment_is(v.back(), RST, s + 2, any, 0)) << describe(v);
    EXPECT_EQ(st->tcp_connection_of(id), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Malformed segments: counted, dropped, never answered (not even by the closed port's RST)

TEST_F(tcp_trace, malformed_segments_are_counted_by_reason_and_never_answered) {
    make_tcp();
    // A valid ACK to a closed port: answered with a RST.
    const seg good = ack(1000, 2000).to(9999);
    auto ip_packet = [&](const seg& s) {
        auto f = frame(s);
        return std::vector<std::byte>(f.begin() + 14, f.end());
    };
    peer(good);
    expect_sent(RST, 2000u, any, 0);
    auto fix_tcp_checksum = [](std::vector<std::byte>& pkt) {
        auto t = std::span(pkt).subspan(20);
        t[16] = t[17] = std::byte{0};
        const uint32_t pseudo = wire::pseudo_header_sum(peer_ip, our_ip, wire::ip_protocol::tcp, 0) + uint32_t(t.size());
        const uint16_t c = wire::checksum_fold(wire::checksum_partial(t, pseudo));
        t[16] = std::byte(c >> 8);
        t[17] = std::byte(c & 0xff);
    };
    auto send_mutated = [&](auto mutate) {
        auto pkt = ip_packet(good);
        mutate(pkt);
        feed(ip_frame(pkt));
    };
    send_mutated([&](auto& p) { p[20 + 12] = std::byte{0x40}; fix_tcp_checksum(p); }); // data offset 4
    send_mutated([&](auto& p) { p[20 + 12] = std::byte{0xf0}; fix_tcp_checksum(p); }); // offset 15 > 20 bytes
    send_mutated([&](auto& p) { p[20 + 4] ^= std::byte{0x01}; });                       // checksum
    send_mutated([&](auto& p) { p[20] = p[21] = std::byte{0}; fix_tcp_checksum(p); }); // source port 0
    send_mutated([&](auto& p) { p[22] = p[23] = std::byte{0}; fix_tcp_checksum(p); }); // destination port 0
    // Options whose length overruns: data offset 6, MSS claiming 8 bytes in a 4-byte space.
    send_mutated([&](auto& p) {
        p.insert(p.begin() + 40, {std::byte{2}, std::byte{8}, std::byte{0x05}, std::byte{0xb4}});
        p[20 + 12] = std::byte{0x60};
        fix_tcp_checksum(p);
    });
    // An option with length 1 (below 2).
    send_mutated([&](auto& p) {
        p.insert(p.begin() + 40, {std::byte{8}, std::byte{1}, std::byte{1}, std::byte{1}});
        p[20 + 12] = std::byte{0x60};
        fix_tcp_checksum(p);
    });
    // Shorter than a TCP header.
    send_mutated([&](auto& p) { p.resize(30); });
    expect_silence();
    const auto& t = st->stats().tcp;
    EXPECT_EQ(t.drop_bad_header_length, 2u);
    EXPECT_EQ(t.drop_bad_checksum, 1u);
    EXPECT_EQ(t.drop_bad_port, 2u);
    EXPECT_EQ(t.drop_bad_option, 2u);
    EXPECT_EQ(t.drop_truncated, 1u);
    EXPECT_EQ(t.drop_no_connection, 1u) << "only the valid segment reached the RST";
    EXPECT_EQ(t.rx_segments, 1u);
}

TEST_F(tcp_trace, malformed_segments_to_a_connection_are_dropped_without_effect) {
    make_tcp();
    const uint32_t s = handshake(1000);
    auto f = frame(data(1001, s + 1, "evil"));
    f[14 + 20 + 20] ^= std::byte{0x20}; // payload corrupted: checksum fails
    feed(f);
    expect_silence();
    EXPECT_EQ(app.got, "");
    EXPECT_EQ(st->stats().tcp.drop_bad_checksum, 1u);
    peer(data(1001, s + 1, "good"));
    expect_sent(ACK, s + 1, 1005, 0);
    EXPECT_EQ(app.got, "good");
}

// ---------------------------------------------------------------------------------------------
// Two frames per request/response (delayed ACK off, the default)

TEST_F(tcp_trace, a_request_answered_in_on_data_costs_one_frame_back) {
    make_tcp();
    const uint32_t s = handshake(1000);
    app.on_request = [](tcp_trace& t, std::string_view req) {
        if (req == "PING") t.app_send("PONG");
    };
    peer(data(1001, s + 1, "PING"));
    out_seg r = expect_sent(ACK, s + 1, 1005, 4); // the response carries the ACK
    EXPECT_EQ(r.payload, "PONG");
    peer(data(1005, s + 5, "PING"));
    r = expect_sent(ACK, s + 5, 1009, 4);
    EXPECT_EQ(r.payload, "PONG");
    // A request not answered: one pure ACK at the end of the poll.
    peer(data(1009, s + 9, "NOREPLY"));
    expect_sent(ACK, s + 9, 1016, 0);
    at(sec(5));
    expect_silence(); // no delayed ACK, no extra window update
}

TEST_F(tcp_trace, a_burst_of_requests_in_one_poll_is_acknowledged_once) {
    make_tcp();
    const uint32_t s = handshake(1000);
    // Two requests queued before one poll: one ACK for both.
    packet p1 = alloc_a(), p2 = alloc_a();
    auto f1 = frame(data(1001, s + 1, "one")), f2 = frame(data(1004, s + 1, "two"));
    std::copy(f1.begin(), f1.end(), p1.append(f1.size()));
    std::copy(f2.begin(), f2.end(), p2.append(f2.size()));
    packet burst[2] = {std::move(p1), std::move(p2)};
    ASSERT_EQ(link.a().tx_burst(burst), 2u);
    st->poll(clock.now());
    expect_sent(ACK, s + 1, 1007, 0);
    EXPECT_EQ(app.got, "onetwo");
}

} // namespace
} // namespace tachyon
