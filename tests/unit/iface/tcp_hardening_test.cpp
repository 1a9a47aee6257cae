// Regressions for the defects a fuzzer and a hostile peer found (issue 9), as packet traces on
// the manual clock, and the callbacks that close, abort or send from inside themselves. Each
// test here failed before its fix.

#include <map>
#include <string>

#include "tcp_trace.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;
using std::string;

/// Everything the stack sent as data, by sequence number: the byte stream the peer can rebuild.
struct stream_rebuilder {
    std::map<uint32_t, string> by_seq;
    void add(const std::vector<out_seg>& v) {
        for (const auto& s : v)
            if (!s.payload.empty()) by_seq[s.seq] = s.payload; // a retransmission rewrites its own place
    }
    /// The contiguous stream from `start` (bytes that overlap are checked to agree).
    string from(uint32_t start) const {
        string out;
        uint32_t next = start;
        for (const auto& [seq, p] : by_seq) {
            const int32_t off = int32_t(next - seq);
            if (off < 0) break; // a hole
            if (size_t(off) >= p.size()) continue;
            out += p.substr(size_t(off));
            next = seq + uint32_t(p.size());
        }
        return out;
    }
};

/// `n` new connections from ports `base`, `base + 1`, ... each get their own control block,
/// which names its own peer: what a slot released twice breaks.
void expect_fresh_connections(tcp_trace& t, uint16_t n, uint16_t base) {
    std::map<tcp_id, uint16_t> seen;
    for (uint16_t i = 0; i < n; ++i) {
        const uint16_t port = uint16_t(base + i);
        t.peer(syn(3000).from(port));
        const out_seg sa = t.expect_sent(SYN | ACK, any, 3001, 0);
        t.peer(ack(3001, sa.seq + 1).from(port));
        (void)t.segments();
        EXPECT_TRUE(seen.emplace(t.app.id, port).second) << "an id handed out twice";
    }
    for (auto [id, port] : seen) {
        const tcp_connection* c = t.st->tcp_connection_of(id);
        ASSERT_NE(c, nullptr);
        EXPECT_EQ(c->tuple().remote_port, port);
        EXPECT_EQ(c->state(), tcp_state::established);
    }
}

// Issue 9, item 1: `tcp_send` budgeted once and pushed more frames than the send ring had free
// slots, overwriting the oldest unacknowledged segment.
TEST_F(tcp_trace, the_send_ring_never_overwrites_unacknowledged_data) {
    make_tcp([](stack_config& c) { c.tcp.send_buffer = 4096; }); // a ring of 4096/256 + 8 = 24 slots
    const uint32_t s = handshake(1000);
    stream_rebuilder peer_view;
    string accepted;
    // Many small unacknowledged segments, each its own slot...
    for (int i = 0; i < 23; ++i) {
        const string one(1, char('a' + i % 26));
        ASSERT_EQ(app_send(one), 1u);
        accepted += one;
    }
    peer_view.add(segments());
    // ...then one send larger than the MSS: only what fits the ring's slots may be taken.
    string big(3000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('A' + i % 26);
    const size_t took = app_send(big);
    accepted += big.substr(0, took);
    peer_view.add(segments());
    // The peer acknowledges everything it got, a little at a time; the application keeps
    // sending what it has left.
    size_t left_from = took;
    for (int round = 0; round < 50 && (peer_view.from(s + 1).size() < accepted.size() || left_from < big.size());
         ++round) {
        const uint32_t acked = s + 1 + uint32_t(peer_view.from(s + 1).size());
        time(ms(10 * (round + 1)));
        peer(ack(1001, acked));
        peer_view.add(segments());
        if (left_from < big.size()) {
            const size_t n = app_send(std::string_view(big).substr(left_from));
            accepted += big.substr(left_from, n);
            left_from += n;
            peer_view.add(segments());
        }
    }
    EXPECT_EQ(left_from, big.size()) << "the application could send everything in the end";
    EXPECT_EQ(peer_view.from(s + 1), accepted) << "every byte accepted reached the wire once, in order";
    peer(ack(1001, s + 1 + uint32_t(accepted.size())));
    ASSERT_NE(conn(), nullptr);
    EXPECT_EQ(conn()->snd_una(), conn()->snd_nxt());
    EXPECT_EQ(st->tcp_send_space(app.id), 4096u) << "all send space is back once all is acknowledged";
}

// Issue 9, item 2: the retransmission timer queued a segment pointing into the send queue,
// then keepalive gave up in the same call and emptied that queue: a null dereference.
TEST_F(tcp_trace, keepalive_and_retransmission_due_together_do_not_crash) {
    make_tcp([](stack_config& c) {
        c.tcp.keepalive = true;
        c.tcp.keepalive_idle = sec(1);
        c.tcp.keepalive_interval = sec(1);
        c.tcp.keepalive_probes = 1;
    });
    const uint32_t s = handshake(1000);
    ASSERT_EQ(app_send("order"), 5u);
    expect_sent(ACK | PSH, s + 1, 1001, 5);
    // Both the RTO (1 s, then 2 s backed off) and keepalive (1 s idle, 1 s interval) fall due
    // together; RFC 1122 §4.2.3.6 probes only an idle connection, and data in flight is
    // the retransmission timer's business, so the connection lives on.
    for (int t = 1; t <= 8; ++t) at(sec(t));
    EXPECT_FALSE(app.closed) << "keepalive does not give up on a connection with data in flight";
    // Retransmissions run out as configured, once.
    for (int t = 9; t <= 1200 && !app.closed; ++t) at(sec(t));
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::timeout);
    EXPECT_EQ(conn(), nullptr);
}

// Issue 9, item 3: a half-open connection that was reset or timed out never gave its backlog
// slot back; after `backlog` of them the listener refused every SYN for good.
TEST_F(tcp_trace, half_opens_that_fail_give_their_backlog_slot_back) {
    make_tcp(); // backlog 16
    for (uint16_t i = 0; i < 40; ++i) {
        const uint16_t port = uint16_t(41000 + i);
        peer(syn(5000).from(port));
        const out_seg sa = expect_sent(SYN | ACK, any, 5001, 0);
        if (i % 2 == 0) {
            peer(rst(5001).from(port)); // abandoned by RST (RFC 9293 §3.10.7.4: SEG.SEQ = RCV.NXT)
            expect_silence();
        } else {
            peer(ack(5001, sa.seq + 7).from(port)); // a bad ACK in SYN-RECEIVED: RST, and we keep waiting
            (void)segments();
            peer(rst(5001).from(port));
        }
    }
    // Abandoned by silence: 20 more, left to time out.
    for (uint16_t i = 0; i < 20; ++i) peer(syn(9000).from(uint16_t(42000 + i)));
    (void)segments();
    at(sec(60));
    (void)segments();
    EXPECT_EQ(st->stats().tcp.syncookies_sent, 4u) << "16 half-opens at most at any time; SYN cookies beyond";
    EXPECT_EQ(st->stats().tcp.drop_syn_backlog_full, 0u);
    // The listener still answers, and completes a handshake.
    time(sec(61));
    peer(syn(7000).from(43000));
    const out_seg sa = expect_sent(SYN | ACK, any, 7001, 0);
    peer(ack(7001, sa.seq + 1).from(43000));
    EXPECT_EQ(app.accepts, 1);
    EXPECT_EQ(state(), tcp_state::established);
}

// Issue 9, item 4: aborting from inside on_data released the slot twice, so two later
// connections shared one control block.
TEST_F(tcp_trace, abort_inside_on_data_releases_the_slot_once) {
    make_tcp();
    const uint32_t s = handshake(1000);
    app.on_request = [](tcp_trace& t, std::string_view) { (void)t.st->tcp_abort(t.app.id, t.clock.now()); };
    peer(data(1001, s + 1, "cancel all"));
    expect_sent(RST, s + 1, any, 0);
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::aborted);
    app.on_request = nullptr;
    // Two new connections: two different control blocks, each naming its own peer.
    std::map<uint16_t, tcp_id> ids;
    for (uint16_t port : {uint16_t(40001), uint16_t(40002)}) {
        peer(syn(2000).from(port));
        const out_seg sa = expect_sent(SYN | ACK, any, 2001, 0);
        peer(ack(2001, sa.seq + 1).from(port));
        ids[port] = app.id;
    }
    ASSERT_NE(ids[40001], ids[40002]);
    for (auto [port, id] : ids) {
        const tcp_connection* c = st->tcp_connection_of(id);
        ASSERT_NE(c, nullptr);
        EXPECT_EQ(c->tuple().remote_port, port);
        EXPECT_EQ(c->state(), tcp_state::established);
    }
    // Data sent on one goes to its own peer.
    ASSERT_EQ(st->tcp_send(ids[40002], std::as_bytes(std::span("hi", 2)), clock.now()), 2u);
    auto v = segments();
    ASSERT_EQ(v.size(), 1u) << describe(v);
    EXPECT_EQ(v[0].dst, 40002);
}

// Every callback with a handler that closes, aborts or sends from inside it: the stack must
// touch nothing the handler released, tell the application once, and keep its tables whole.
struct reentrant_case {
    const char* name;
    void (*act)(tcp_trace& t, tcp_id id);
};

class tcp_reentrant : public tcp_trace, public ::testing::WithParamInterface<reentrant_case> {};

TEST_P(tcp_reentrant, a_handler_acting_inside_on_data_leaves_the_tables_whole) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const auto act = GetParam().act;
    app.on_request = [act](tcp_trace& t, std::string_view) { act(t, t.app.id); };
    peer(data(1001, s + 1, "x"));
    (void)segments();
    app.on_request = nullptr;
    // Whatever happened, new connections each get their own slot and work.
    expect_fresh_connections(*this, 20, 45000);
}

TEST_P(tcp_reentrant, a_handler_acting_inside_on_closed_or_on_writable_is_safe) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const auto act = GetParam().act;
    // on_writable: send space freed by an ACK.
    tcp_callbacks cb = callbacks();
    static void (*writable_act)(tcp_trace&, tcp_id);
    writable_act = act;
    cb.on_writable = [](void* c, tcp_id id) { writable_act(self(c), id); };
    ASSERT_EQ(st->tcp_set_callbacks(app.id, cb), errc::ok);
    ASSERT_EQ(app_send("abc"), 3u);
    (void)segments();
    peer(ack(1001, s + 4));
    (void)segments();
    // And a peer that resets: on_closed acts on a dead id (nothing may happen).
    peer(rst(1001));
    (void)segments();
    peer(syn(3000).from(46000));
    const out_seg sa = expect_sent(SYN | ACK, any, 3001, 0);
    peer(ack(3001, sa.seq + 1).from(46000));
    ASSERT_NE(conn(), nullptr);
    EXPECT_EQ(conn()->tuple().remote_port, 46000);
}

INSTANTIATE_TEST_SUITE_P(
    callbacks, tcp_reentrant,
    ::testing::Values(reentrant_case{"abort", [](tcp_trace& t, tcp_id id) { (void)t.st->tcp_abort(id, t.clock.now()); }},
                      reentrant_case{"close", [](tcp_trace& t, tcp_id id) { (void)t.st->tcp_close(id, t.clock.now()); }},
                      reentrant_case{"send", [](tcp_trace& t, tcp_id id) {
                                         (void)t.st->tcp_send(id, std::as_bytes(std::span("reply", 5)), t.clock.now());
                                     }},
                      reentrant_case{"abort_twice", [](tcp_trace& t, tcp_id id) {
                                         (void)t.st->tcp_abort(id, t.clock.now());
                                         (void)t.st->tcp_abort(id, t.clock.now());
                                     }},
                      reentrant_case{"abort_then_connect", [](tcp_trace& t, tcp_id id) {
                                         (void)t.st->tcp_abort(id, t.clock.now());
                                         (void)t.st->tcp_connect(peer_ip, 7000, tcp_callbacks{}, sec(1), t.clock.now());
                                     }},
                      reentrant_case{"close_then_send", [](tcp_trace& t, tcp_id id) {
                                         (void)t.st->tcp_close(id, t.clock.now());
                                         (void)t.st->tcp_send(id, std::as_bytes(std::span("late", 4)), t.clock.now());
                                     }}),
    [](const ::testing::TestParamInfo<reentrant_case>& i) { return string(i.param.name); });

// An accept handler that refuses the connection at once (abort inside on_accept).
TEST_F(tcp_trace, an_accept_handler_that_aborts_releases_everything) {
    make_tcp();
    ASSERT_TRUE(st->tcp_listen(
                        9001, 4,
                        [](void* c, tcp_id id) {
                            tcp_trace& t = self(c);
                            ++t.app.accepts;
                            (void)t.st->tcp_abort(id, t.clock.now());
                        },
                        this)
                    .ok());
    for (uint16_t i = 0; i < 10; ++i) {
        const uint16_t port = uint16_t(47000 + i);
        peer(syn(100).from(port).to(9001));
        const out_seg sa = expect_sent(SYN | ACK, any, 101, 0);
        peer(data(101, sa.seq + 1, "hello").from(port).to(9001));
        expect_sent(RST, sa.seq + 1, any, 0);
    }
    EXPECT_EQ(app.accepts, 10);
    EXPECT_EQ(st->stats().tcp.drop_syn_backlog_full, 0u);
    EXPECT_EQ(st->stats().tcp.closed_aborted, 10u);
    app.accepts = 0;
    expect_fresh_connections(*this, 20, 48000);
}

// RFC 4987 §3.6: with the backlog full, SYNs are answered with SYN cookies and no state; the
// ACK that returns a cookie opens the connection with the options the SYN offered.
TEST_F(tcp_trace, a_full_backlog_answers_with_syn_cookies_that_open_connections) {
    make_tcp(); // backlog 16
    for (uint16_t i = 0; i < 16; ++i) peer(syn(100).from(uint16_t(50000 + i))); // spoofed: never ACKed
    EXPECT_EQ(segments().size(), 16u);
    const auto in_use_before = st->stats().tcp.passive_opens;
    // A real client now: SYN with MSS 1300, window scale 5, SACK permitted and timestamps.
    peer(syn(7000).from(41000).mss(1300).wscale(5).sack_ok().ts(111, 0));
    const out_seg sa = expect_sent(SYN | ACK, any, 7001, 0);
    EXPECT_EQ(st->stats().tcp.syncookies_sent, 1u);
    EXPECT_EQ(st->stats().tcp.passive_opens, in_use_before) << "no state kept for it";
    EXPECT_TRUE(sa.opt.has_mss && sa.opt.mss == 1460);
    EXPECT_TRUE(sa.opt.has_window_scale && sa.opt.window_scale == 7);
    EXPECT_TRUE(sa.opt.sack_permitted);
    ASSERT_TRUE(sa.opt.has_timestamps);
    EXPECT_EQ(sa.opt.ts_ecr, 111u);
    // Its ACK, carrying the first data: the connection opens, established, and the data is read.
    time(ms(3));
    peer(data(7001, sa.seq + 1, "login").from(41000).ts(112, sa.opt.ts_val));
    EXPECT_EQ(st->stats().tcp.syncookies_recv, 1u);
    EXPECT_EQ(app.accepts, 1);
    ASSERT_NE(conn(), nullptr);
    EXPECT_EQ(conn()->state(), tcp_state::established);
    EXPECT_EQ(conn()->tuple().remote_port, 41000);
    EXPECT_EQ(app.got, "login");
    const out_seg a = expect_sent(ACK, sa.seq + 1, 7006, 0);
    EXPECT_TRUE(a.opt.has_timestamps && a.opt.ts_ecr == 112) << describe(a);
    EXPECT_EQ(a.wnd, (64 * 1024 - 0) >> 7) << "our window scaled by the shift we offered";
    // Its MSS came back from the cookie (1300 - 12 bytes of timestamps per segment), and its
    // window scale from the TSecr.
    EXPECT_EQ(conn()->send_mss(), 1300u - 12u);
    std::string big(3000, 'q');
    ASSERT_EQ(app_send(big), 3000u);
    auto v = segments();
    ASSERT_GE(v.size(), 2u);
    EXPECT_EQ(v[0].len(), 1288u);
    peer(ack(7006, sa.seq + 1 + 3000, 100).from(41000).ts(113, v[0].opt.ts_val));
    EXPECT_EQ(conn()->snd_wnd(), 100u << 5) << "the peer's window shift, recovered";
}

TEST_F(tcp_trace, forged_or_stale_cookies_are_answered_with_rst) {
    make_tcp([](stack_config& c) { c.tcp.syn_backlog = 1; });
    peer(syn(100).from(50000));
    (void)segments();
    peer(syn(7000).from(41000).ts(5, 0));
    const out_seg sa = expect_sent(SYN | ACK, any, 7001, 0);
    // A guess: RST, counted.
    peer(ack(7001, sa.seq + 99).from(41000).ts(6, sa.opt.ts_val));
    expect_sent(RST, sa.seq + 99, any, 0);
    EXPECT_EQ(st->stats().tcp.syncookies_failed, 1u);
    // The right cookie from another port (another tuple): RST.
    peer(ack(7001, sa.seq + 1).from(41001).ts(6, sa.opt.ts_val));
    expect_sent(RST, sa.seq + 1, any, 0);
    // The right cookie, too late (over two 64 s ticks): RST.
    at(sec(200));
    (void)segments();
    peer(syn(100).from(50001)); // the backlog is full again (the first half-open timed out)
    (void)segments();
    peer(ack(7001, sa.seq + 1).from(41000).ts(7, sa.opt.ts_val));
    expect_sent(RST, sa.seq + 1, any, 0);
    EXPECT_EQ(app.accepts, 0);
}

TEST_F(tcp_trace, cookies_can_be_turned_off_then_a_full_backlog_drops_syns) {
    make_tcp([](stack_config& c) {
        c.tcp.syn_backlog = 1;
        c.tcp.syn_cookies = false;
    });
    peer(syn(100).from(50000));
    (void)segments();
    peer(syn(7000).from(41000));
    expect_silence();
    EXPECT_EQ(st->stats().tcp.drop_syn_backlog_full, 1u);
}

// RFC 9293 §3.10.7.2: in LISTEN, a segment with neither SYN nor ACK is dropped, not answered;
// a SYN with FIN is dropped too (as Linux does).
TEST_F(tcp_trace, a_listener_drops_null_fin_only_and_syn_fin_segments) {
    make_tcp();
    peer(make_seg(0, 1000, 0));             // null
    peer(make_seg(FIN, 1000, 0));           // FIN alone
    peer(make_seg(FIN | PSH | tf::urg, 1000, 0)); // "Xmas" without ACK
    peer(make_seg(SYN | FIN, 1000, 0));     // SYN+FIN
    expect_silence();
    EXPECT_EQ(st->stats().tcp.drop_listen_bad_flags, 4u);
    EXPECT_EQ(st->stats().tcp.tx_resets, 0u);
    // A SYN with PSH is still a SYN.
    peer(make_seg(SYN | PSH, 2000, 0));
    expect_sent(SYN | ACK, any, 2001, 0);
}

// RFC 6864 §4.1 / RFC 1191: TCP segments are atomic datagrams, sent with DF; RFC 7739: the IDs
// of other datagrams are not one global counter.
TEST_F(tcp_trace, tcp_segments_carry_df_and_other_datagrams_unpredictable_ids) {
    make_tcp();
    handshake(1000);
    ASSERT_EQ(app_send("x"), 1u);
    for (const auto& f : sent()) {
        wire::ipv4_repr ip;
        ASSERT_EQ(wire::ipv4_repr::parse(std::span<const std::byte>(f).subspan(14), ip), wire::wire_error::ok);
        EXPECT_TRUE(ip.dont_fragment);
        EXPECT_EQ(ip.identification, 0);
    }
    // Pings to the stack: the replies' IDs count up per destination from a value that depends
    // on the stack's secret, and DF is clear.
    std::vector<uint16_t> ids;
    for (uint16_t i = 0; i < 3; ++i) {
        feed(eth(our_mac, wire::ethertype::ipv4, ping(i, std::vector<std::byte>(8))));
        for (const auto& f : sent()) {
            wire::ipv4_repr ip;
            ASSERT_EQ(wire::ipv4_repr::parse(std::span<const std::byte>(f).subspan(14), ip), wire::wire_error::ok);
            EXPECT_FALSE(ip.dont_fragment);
            ids.push_back(ip.identification);
        }
    }
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(uint16_t(ids[1] - ids[0]), 1);
    EXPECT_EQ(uint16_t(ids[2] - ids[1]), 1);
    EXPECT_NE(ids[0], 0) << "not a global counter from 0 (1 chance in 65536 of a false alarm for this secret)";
}

// RFC 1122 §4.2.3.9: ICMP protocol or port unreachable for our SYN ends the connect with the
// reason `unreachable`; soft errors, errors for an established connection and quotes that do
// not carry our SYN's sequence number (RFC 5927 §4.1) change nothing.
std::vector<std::byte> unreachable_for(const std::vector<std::byte>& our_frame, uint8_t code, uint32_t seq_delta = 0) {
    // ICMP: type 3, the code, checksum, 4 unused bytes, then our IP header and 8 bytes of TCP.
    const auto ip_and_tcp = std::span<const std::byte>(our_frame).subspan(14, 20 + 8);
    std::vector<std::byte> icmp(8 + ip_and_tcp.size());
    icmp[0] = std::byte{3};
    icmp[1] = std::byte{code};
    std::copy(ip_and_tcp.begin(), ip_and_tcp.end(), icmp.begin() + 8);
    const uint32_t seq = wire::load_be32(icmp.data() + 8 + 20 + 4) + seq_delta;
    wire::store_be32(icmp.data() + 8 + 20 + 4, seq);
    wire::store_be16(icmp.data() + 2, wire::internet_checksum(icmp));
    std::vector<std::byte> pkt(20 + icmp.size());
    std::copy(icmp.begin(), icmp.end(), pkt.begin() + 20);
    wire::ipv4_repr ip;
    ip.total_len = uint16_t(pkt.size());
    ip.protocol = wire::ip_protocol::icmp;
    ip.src = peer_ip;
    ip.dst = our_ip;
    ip.emit(pkt);
    return stack_trace::eth(our_mac, wire::ethertype::ipv4, pkt);
}

TEST_F(tcp_trace, icmp_port_unreachable_ends_a_connect_in_syn_sent) {
    make_tcp();
    auto id = st->tcp_connect(peer_ip, 7000, callbacks(), sec(10), clock.now());
    ASSERT_TRUE(id.ok());
    app.id = *id;
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    // Soft (host unreachable) and forged (another sequence number): ignored.
    feed(unreachable_for(frames[0], wire::icmp_unreachable_code::host));
    feed(unreachable_for(frames[0], wire::icmp_unreachable_code::port, 12345));
    EXPECT_FALSE(app.closed);
    EXPECT_EQ(state(), tcp_state::syn_sent);
    EXPECT_EQ(st->stats().tcp.icmp_ignored, 2u);
    // Port unreachable quoting our SYN: the connect ends, unreachable, with nothing sent.
    feed(unreachable_for(frames[0], wire::icmp_unreachable_code::port));
    EXPECT_TRUE(app.closed);
    EXPECT_EQ(app.reason, tcp_close_reason::unreachable);
    EXPECT_EQ(st->tcp_connection_of(*id), nullptr);
    expect_silence();
    EXPECT_EQ(st->stats().tcp.closed_unreachable, 1u);
}

TEST_F(tcp_trace, icmp_unreachable_does_not_end_an_established_connection) {
    make_tcp();
    const uint32_t s = handshake(1000);
    ASSERT_EQ(app_send("x"), 1u);
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    feed(unreachable_for(frames[0], wire::icmp_unreachable_code::port));
    EXPECT_FALSE(app.closed) << "a soft error for a synchronized connection (RFC 1122 §4.2.3.9)";
    EXPECT_EQ(state(), tcp_state::established);
    peer(ack(1001, s + 2));
    EXPECT_EQ(st->stats().tcp.icmp_ignored, 1u);
}

// A burst of sends from outside poll under one batch leaves when the batch ends, together;
// without a batch each send leaves at once.
TEST_F(tcp_trace, sends_under_a_batch_leave_together_when_it_ends) {
    make_tcp();
    const uint32_t s = handshake(1000);
    ASSERT_EQ(app_send("a"), 1u);
    expect_sent(ACK | PSH, s + 1, 1001, 1);
    {
        auto batch = st->begin_batch(clock.now());
        for (int i = 0; i < 5; ++i) ASSERT_EQ(app_send("order"), 5u);
        expect_silence();
    }
    auto v = segments();
    ASSERT_EQ(v.size(), 1u) << "the five orders share the last unsent segment: one frame" << describe(v);
    EXPECT_TRUE(segment_is(v[0], ACK | PSH, s + 2, 1001, 25));
}

// Found by the stack_program fuzzer (tests/fuzz/regressions/stack_program/tcp-*): on_data
// aborting in the poll that also took the peer's FIN in FIN-WAIT-2 (so TIME-WAIT's close was
// pending delivery) never got on_closed.
TEST_F(tcp_trace, abort_inside_on_data_in_the_poll_that_took_the_fin_gets_on_closed_once) {
    make_tcp();
    const uint32_t s = handshake(1000);
    ASSERT_EQ(st->tcp_close(app.id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    peer(ack(1001, s + 2));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    int closes = 0;
    tcp_callbacks cb = callbacks();
    static int* closes_seen;
    closes_seen = &closes;
    cb.on_closed = [](void* c, tcp_id, tcp_close_reason r) {
        ++*closes_seen;
        self(c).app.reason = r;
    };
    ASSERT_EQ(st->tcp_set_callbacks(app.id, cb), errc::ok);
    app.on_request = [](tcp_trace& t, std::string_view) { (void)t.st->tcp_abort(t.app.id, t.clock.now()); };
    seg last = data(1001, s + 2, "bye");
    last.flags |= FIN;
    peer(last);
    EXPECT_EQ(closes, 1);
    EXPECT_EQ(app.reason, tcp_close_reason::aborted);
    EXPECT_EQ(conn(), nullptr);
    app.on_request = nullptr;
    expect_fresh_connections(*this, 4, 44000);
}

// Found by the fuzzer: a FIN acknowledged after a retransmission timeout had gone back to
// SND.UNA (and not yet sent the FIN again) was not taken as acknowledged; a second FIN went out
// one sequence number past the first.
TEST_F(tcp_trace, a_fin_acknowledged_after_a_timeout_is_taken_as_acknowledged) {
    make_tcp();
    const uint32_t s = handshake(1000); // no MSS option: 536-byte segments
    ASSERT_EQ(app_send(string(1000, 'd')), 1000u);
    ASSERT_EQ(segments().size(), 2u);
    ASSERT_EQ(st->tcp_close(app.id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 1001, 1001, 0);
    // The RTO: back to SND.UNA with a one-segment window: the first segment only.
    at(sec(1));
    expect_sent(ACK | PSH, s + 1, 1001, 536);
    // The peer's late ACK of everything, FIN included.
    time(sec(1) + ms(10));
    peer(ack(1001, s + 1002));
    expect_silence();
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

// Found by the fuzzer: the end of the stream was told (on_data with an empty view) while bytes
// the application had left unconsumed were still queued; they were shown again after it.
TEST_F(tcp_trace, the_end_of_the_stream_is_told_after_the_last_byte_is_consumed) {
    make_tcp();
    const uint32_t s = handshake(1000);
    app.reading = false; // returns 0: backpressure
    seg last = data(1001, s + 1, "tail");
    last.flags |= FIN;
    peer(last);
    EXPECT_FALSE(app.eof) << "not while 4 bytes wait unread";
    app.reading = true;
    ASSERT_EQ(st->tcp_set_callbacks(app.id, callbacks()), errc::ok); // resume_reading
    EXPECT_EQ(app.got, "tail");
    EXPECT_TRUE(app.eof);
}

// Found by fuzz_stack_program in CI: after on_closed (the connection in TIME-WAIT), the
// application set callbacks on the id again, aborted it, and heard on_closed a second time.
// Once on_closed is told the id is no longer the application's: every call is refused.
TEST_F(tcp_trace, after_on_closed_the_id_takes_no_more_calls_and_on_closed_comes_once) {
    make_tcp();
    const uint32_t s = handshake(1000);
    const tcp_id id = app.id;
    at(sec(1));
    ASSERT_EQ(st->tcp_close(id, clock.now()), errc::ok);
    expect_sent(FIN | ACK, s + 1, 1001, 0);
    peer(fin(1001, s + 2)); // the peer's FIN acknowledges ours: TIME-WAIT
    expect_sent(ACK, s + 2, 1002, 0);
    ASSERT_EQ(state(), tcp_state::time_wait) << "still visible for inspection";
    ASSERT_TRUE(app.closed);
    app.closed = false;
    EXPECT_EQ(st->tcp_set_callbacks(id, callbacks()), errc::not_found);
    EXPECT_EQ(st->tcp_abort(id, clock.now()), errc::not_found);
    EXPECT_EQ(st->tcp_close(id, clock.now()), errc::not_found);
    EXPECT_EQ(st->tcp_set_nodelay(id, true), errc::not_found);
    EXPECT_EQ(app_send("late"), 0u);
    EXPECT_FALSE(app.closed) << "on_closed once";
    expect_silence();
    EXPECT_EQ(state(), tcp_state::time_wait) << "TIME-WAIT runs its course";
}

} // namespace
} // namespace tachyon
