/// The SoupBinTCP client session as traces on a manual clock: login, heartbeats both ways,
/// server silence, logout, reconnect with the next expected sequence number, replayed messages
/// never delivered twice, login rejected, a Login Accepted from the future, and bad input from
/// the server (garbage, oversize and zero length prefixes, a stream split at every byte).

#include "apps/oe/soup_session.hpp"

#include <gtest/gtest.h>

#include "unit/oe/session_host.hpp"

namespace tachyon::oe {
namespace {

using namespace test;

instant at_ms(int64_t ms) { return instant::from_ns(0) + duration::ms(ms); }

/// A session logged in at t = 0 as TRADER/SECRET into "SESS1", from sequence `first`.
struct fixture {
    session_host host;
    soup_session s{soup_session_config::make("TRADER", "SECRET")};

    void login(uint64_t first = 1) {
        ASSERT_TRUE(s.connected(at_ms(0), host));
        (void)host.take();
        feed(accepted("SESS1", first), 0);
        ASSERT_EQ(s.state(), soup_session_state::logged_in);
    }
    soup_error feed(const std::vector<std::byte>& b, int64_t ms) { return s.receive(b, at_ms(ms), host); }
};

TEST(soup_session, login_request_carries_credentials_session_and_sequence) {
    fixture f;
    EXPECT_EQ(f.s.state(), soup_session_state::idle);
    ASSERT_TRUE(f.s.connected(at_ms(0), f.host));
    EXPECT_EQ(f.s.state(), soup_session_state::login_sent);
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].type, soup_type::login_request);
    soup_login_request req;
    ASSERT_EQ(soup_parse(soup_packet{soup_type::login_request, sent[0].payload}, req), soup_error::ok);
    EXPECT_EQ(std::string(req.username.begin(), req.username.end()), "TRADER");
    EXPECT_EQ(std::string(req.password.begin(), req.password.end()), "SECRET    ");
    EXPECT_EQ(std::string(req.session.begin(), req.session.end()), "          ");
    EXPECT_EQ(req.sequence.value, 1u);

    EXPECT_EQ(f.feed(accepted("SESS1", 1), 5), soup_error::ok);
    EXPECT_EQ(f.s.state(), soup_session_state::logged_in);
    EXPECT_EQ(std::string(f.s.session_name().begin(), f.s.session_name().end()), "SESS1     ");
    f.feed(cat({data("one"), data("two"), data("three")}), 6);
    EXPECT_EQ(f.host.seqs, (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(as_text(f.host.messages[2]), "three");
    EXPECT_EQ(f.s.next_expected(), 4u);
    EXPECT_EQ(f.s.stats().messages, 3u);
}

TEST(soup_session, client_heartbeat_after_one_second_without_sending) {
    fixture f;
    f.login();
    f.s.poll(at_ms(999), f.host);
    EXPECT_TRUE(f.host.take().empty());
    EXPECT_EQ(f.s.next_deadline(), at_ms(1000));
    f.s.poll(at_ms(1000), f.host);
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type, soup_type::client_heartbeat);
    // A data packet at 1.5 s moves the next heartbeat to 2.5 s.
    const auto u = packet(soup_type::unsequenced_data, bytes({0x58}));
    EXPECT_EQ(f.s.send(u, at_ms(1500), f.host), soup_send_result::sent);
    (void)f.host.take();
    f.s.poll(at_ms(2499), f.host);
    EXPECT_TRUE(f.host.take().empty());
    f.s.poll(at_ms(2500), f.host);
    EXPECT_EQ(f.host.take().size(), 1u);
    EXPECT_EQ(f.s.stats().heartbeats_sent, 2u);
    // No room: the heartbeat is counted as blocked, nothing partial goes out.
    f.host.space = 2;
    f.s.poll(at_ms(3500), f.host);
    EXPECT_TRUE(f.host.take().empty());
    EXPECT_EQ(f.s.stats().heartbeats_blocked, 1u);
}

TEST(soup_session, server_heartbeats_keep_it_alive_silence_declares_it_dead) {
    fixture f;
    f.login();
    f.feed(packet(soup_type::server_heartbeat), 14'000);
    f.s.poll(at_ms(15'000), f.host);
    EXPECT_EQ(f.s.state(), soup_session_state::logged_in);
    EXPECT_EQ(f.s.stats().heartbeats_received, 1u);
    EXPECT_EQ(f.s.next_deadline(), at_ms(16'000)); // the client heartbeat sent at 15 s, + 1 s
    f.s.poll(at_ms(28'999), f.host);
    EXPECT_EQ(f.s.state(), soup_session_state::logged_in);
    f.s.poll(at_ms(29'000), f.host);
    EXPECT_EQ(f.s.state(), soup_session_state::failed);
    EXPECT_EQ(f.s.error(), soup_session_error::server_silent);
    EXPECT_NE(f.s.error_text().find("silent for 15000 ms"), std::string::npos);
    EXPECT_TRUE(f.s.retryable());
    EXPECT_EQ(f.s.next_deadline(), instant::never());
    // Dead: nothing more is sent or delivered on this connection.
    f.feed(data("late"), 29'001);
    EXPECT_TRUE(f.host.seqs.empty());
    EXPECT_EQ(f.s.send(packet(soup_type::unsequenced_data, bytes({0x58})), at_ms(29'002), f.host),
              soup_send_result::not_logged_in);
}

TEST(soup_session, no_answer_to_the_login_is_silence_too) {
    fixture f;
    ASSERT_TRUE(f.s.connected(at_ms(0), f.host));
    f.s.poll(at_ms(14'999), f.host);
    EXPECT_EQ(f.s.state(), soup_session_state::login_sent);
    EXPECT_EQ(f.s.stats().heartbeats_sent, 0u); // not logged in: no heartbeat
    f.s.poll(at_ms(15'000), f.host);
    EXPECT_EQ(f.s.error(), soup_session_error::server_silent);
}

TEST(soup_session, timers_are_configurable) {
    auto c = soup_session_config::make("TRADER", "SECRET");
    c.heartbeat_interval = duration::ms(100);
    c.server_timeout = duration::ms(300);
    session_host h;
    soup_session s(c);
    ASSERT_TRUE(s.connected(at_ms(0), h));
    s.receive(accepted("S", 1), at_ms(0), h);
    (void)h.take();
    s.poll(at_ms(100), h);
    EXPECT_EQ(h.take().size(), 1u);
    s.poll(at_ms(300), h);
    EXPECT_EQ(s.error(), soup_session_error::server_silent);
}

TEST(soup_session, logout_then_the_server_closes) {
    fixture f;
    f.login();
    ASSERT_TRUE(f.s.logout(at_ms(10), f.host));
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type, soup_type::logout_request);
    EXPECT_EQ(f.s.state(), soup_session_state::logout_sent);
    f.feed(data("in flight"), 11); // still delivered
    EXPECT_EQ(f.host.seqs, (std::vector<uint64_t>{1}));
    EXPECT_EQ(f.s.send(packet(soup_type::unsequenced_data, bytes({0x58})), at_ms(12), f.host),
              soup_send_result::not_logged_in);
    f.s.disconnected(f.host);
    EXPECT_EQ(f.s.state(), soup_session_state::idle);
    EXPECT_FALSE(f.s.logout(at_ms(13), f.host));
}

TEST(soup_session, reconnect_asks_for_the_next_expected_and_skips_replayed_messages) {
    fixture f;
    f.login();
    f.feed(cat({data("m1"), data("m2"), data("m3"), data("m4"), data("m5")}), 1);
    f.s.disconnected(f.host);
    EXPECT_EQ(f.s.state(), soup_session_state::idle);
    EXPECT_EQ(f.s.next_expected(), 6u);

    ASSERT_TRUE(f.s.connected(at_ms(100), f.host));
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    soup_login_request req;
    ASSERT_EQ(soup_parse(soup_packet{soup_type::login_request, sent[0].payload}, req), soup_error::ok);
    EXPECT_EQ(req.sequence.value, 6u);
    EXPECT_EQ(std::string(req.session.begin(), req.session.end()), "SESS1     "); // the accepted one

    // The server starts earlier than asked (at 4): 4 and 5 are skipped, 6 and 7 delivered once.
    f.feed(cat({accepted("SESS1", 4), data("m4"), data("m5"), data("m6"), data("m7")}), 101);
    EXPECT_EQ(f.host.seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(as_text(f.host.messages[5]), "m6");
    EXPECT_EQ(f.s.stats().duplicates, 2u);
    EXPECT_EQ(f.s.stats().connects, 2u);
    EXPECT_EQ(f.s.next_expected(), 8u);

    // A drop mid-packet: the partial packet is forgotten, the next login asks for 8.
    const auto m8 = data("m8");
    f.feed(std::vector<std::byte>(m8.begin(), m8.begin() + 3), 102);
    f.s.disconnected(f.host);
    ASSERT_TRUE(f.s.connected(at_ms(200), f.host));
    (void)f.host.take();
    f.feed(cat({accepted("SESS1", 8), m8}), 201);
    EXPECT_EQ(f.host.seqs.back(), 8u);
    EXPECT_EQ(as_text(f.host.messages.back()), "m8");
}

TEST(soup_session, login_rejected_says_why_in_words_and_stays_down) {
    for (char code : {'A', 'S'}) {
        fixture f;
        ASSERT_TRUE(f.s.connected(at_ms(0), f.host));
        f.feed(rejected(code), 1);
        EXPECT_EQ(f.s.state(), soup_session_state::rejected);
        EXPECT_EQ(f.s.error(), soup_session_error::login_rejected);
        EXPECT_EQ(f.s.reject_reason(), code);
        const std::string words = code == 'A' ? "not authorized" : "session not available";
        EXPECT_NE(f.s.error_text().find(words), std::string::npos) << f.s.error_text();
        EXPECT_FALSE(f.s.retryable());
        f.s.disconnected(f.host);
        EXPECT_EQ(f.s.state(), soup_session_state::rejected);
        (void)f.host.take();
        EXPECT_FALSE(f.s.connected(at_ms(2), f.host));
        EXPECT_TRUE(f.host.take().empty());
    }
}

TEST(soup_session, login_accepted_from_the_future_is_a_clear_error) {
    fixture f;
    f.login();
    f.feed(cat({data("m1"), data("m2")}), 1);
    f.s.disconnected(f.host);
    ASSERT_TRUE(f.s.connected(at_ms(10), f.host));
    f.feed(cat({accepted("SESS1", 9), data("m9")}), 11);
    EXPECT_EQ(f.s.state(), soup_session_state::failed);
    EXPECT_EQ(f.s.error(), soup_session_error::sequence_from_future);
    EXPECT_NE(f.s.error_text().find("sequence number 9 above the 3"), std::string::npos) << f.s.error_text();
    EXPECT_EQ(f.host.seqs.size(), 2u); // m9 not delivered
    EXPECT_FALSE(f.s.retryable());
    f.s.disconnected(f.host);
    EXPECT_FALSE(f.s.connected(at_ms(12), f.host));
}

TEST(soup_session, first_sequence_zero_takes_what_the_server_names) {
    auto c = soup_session_config::make("TRADER", "SECRET", "SESS7");
    c.first_sequence = 0;
    session_host h;
    soup_session s(c);
    ASSERT_TRUE(s.connected(at_ms(0), h));
    s.receive(cat({accepted("SESS7", 42), data("x")}), at_ms(1), h);
    EXPECT_EQ(h.seqs, (std::vector<uint64_t>{42}));
    EXPECT_EQ(s.next_expected(), 43u);
}

TEST(soup_session, end_of_session_is_final) {
    fixture f;
    f.login();
    f.feed(cat({data("m1"), packet(soup_type::end_of_session), data("after")}), 1);
    EXPECT_EQ(f.s.state(), soup_session_state::ended);
    EXPECT_EQ(f.host.seqs.size(), 1u);
    EXPECT_FALSE(f.s.retryable());
    EXPECT_NE(f.s.error_text().find("end of session"), std::string::npos);
}

TEST(soup_session, wrong_packets_for_the_state_or_direction_are_counted_and_ignored) {
    fixture f;
    ASSERT_TRUE(f.s.connected(at_ms(0), f.host));
    f.feed(data("too early"), 1); // no number before Login Accepted
    EXPECT_EQ(f.s.stats().unexpected, 1u);
    f.feed(accepted("SESS1", 1), 2);
    f.feed(cat({accepted("SESS1", 1), rejected('A'), packet(soup_type::client_heartbeat),
                packet(soup_type::unsequenced_data, bytes({0x41})), packet(soup_type::debug, bytes({0x68, 0x69}))}),
           3);
    EXPECT_EQ(f.s.stats().unexpected, 5u);
    EXPECT_EQ(f.s.stats().debug_received, 1u);
    EXPECT_EQ(f.s.state(), soup_session_state::logged_in);
    f.feed(data("m1"), 4);
    EXPECT_EQ(f.host.seqs, (std::vector<uint64_t>{1}));
}

TEST(soup_session, garbage_and_bad_length_prefixes_fail_the_connection_not_the_process) {
    // Unknown types are framed by their length: counted, skipped.
    fixture f;
    f.login();
    f.feed(cat({bytes({0x00, 0x03, 0x7e, 0x01, 0x02}), data("m1")}), 1);
    EXPECT_EQ(f.s.stream_stats().unknown_type, 1u);
    EXPECT_EQ(f.host.seqs.size(), 1u);
    // A zero length loses the framing: the connection fails, a new one starts clean.
    f.feed(bytes({0x00, 0x00, 0x53}), 2);
    EXPECT_EQ(f.s.error(), soup_session_error::framing_lost);
    EXPECT_NE(f.s.error_text().find("zero_length"), std::string::npos);
    f.s.disconnected(f.host);
    ASSERT_TRUE(f.s.connected(at_ms(3), f.host));
    f.feed(cat({accepted("SESS1", 2), data("m2")}), 4);
    EXPECT_EQ(f.host.seqs, (std::vector<uint64_t>{1, 2}));

    // Oversize against a small limit.
    auto c = soup_session_config::make("TRADER", "SECRET");
    c.max_packet = 64;
    session_host h;
    soup_session s(c);
    ASSERT_TRUE(s.connected(at_ms(0), h));
    s.receive(cat({accepted("S", 1), bytes({0x00, 0x41, 0x53})}), at_ms(1), h);
    EXPECT_EQ(s.error(), soup_session_error::framing_lost);
    EXPECT_EQ(s.stats().framing_lost, 1u);
    EXPECT_NE(s.error_text().find("oversize"), std::string::npos);

    // Random garbage: any outcome but a crash or a message delivered twice.
    for (uint32_t seed = 1; seed < 200; ++seed) {
        fixture g;
        g.login();
        std::vector<std::byte> junk(64);
        uint32_t x = seed;
        for (auto& b : junk) b = std::byte((x = x * 1103515245 + 12345) >> 24);
        g.feed(cat({data("a"), junk, data("b")}), 1);
        for (size_t i = 1; i < g.host.seqs.size(); ++i) EXPECT_EQ(g.host.seqs[i], g.host.seqs[i - 1] + 1);
    }
}

TEST(soup_session, a_stream_split_at_every_byte_boundary_delivers_the_same) {
    const auto stream = cat({accepted("SESS1", 1), data("alpha"), packet(soup_type::server_heartbeat),
                             packet(soup_type::debug, bytes({0x21})), data("beta"), data(std::string(300, 'g')),
                             packet(soup_type::end_of_session)});
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        session_host h;
        soup_session s(soup_session_config::make("TRADER", "SECRET"));
        ASSERT_TRUE(s.connected(at_ms(0), h));
        s.receive(std::span(stream).first(cut), at_ms(1), h);
        s.receive(std::span(stream).subspan(cut), at_ms(2), h);
        ASSERT_EQ(h.seqs, (std::vector<uint64_t>{1, 2, 3})) << "cut " << cut;
        EXPECT_EQ(as_text(h.messages[2]), std::string(300, 'g'));
        EXPECT_EQ(s.state(), soup_session_state::ended);
        EXPECT_EQ(s.stats().heartbeats_received, 1u);
    }
    session_host h;
    soup_session s(soup_session_config::make("TRADER", "SECRET"));
    ASSERT_TRUE(s.connected(at_ms(0), h));
    for (size_t i = 0; i < stream.size(); ++i) s.receive(std::span(stream).subspan(i, 1), at_ms(1), h);
    EXPECT_EQ(h.seqs, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(soup_session, sends_are_whole_or_refused_with_the_reason) {
    fixture f;
    const auto u = packet(soup_type::unsequenced_data, bytes({0x4f, 0x01, 0x02}));
    EXPECT_EQ(f.s.send(u, at_ms(0), f.host), soup_send_result::not_logged_in);
    f.login();
    EXPECT_EQ(f.s.send(packet(soup_type::client_heartbeat), at_ms(1), f.host), soup_send_result::malformed);
    EXPECT_EQ(f.s.send(std::span(u).first(4), at_ms(1), f.host), soup_send_result::malformed);
    f.host.space = u.size() - 1;
    EXPECT_EQ(f.s.send(u, at_ms(1), f.host), soup_send_result::buffer_full);
    EXPECT_TRUE(f.host.out.empty());
    f.host.space = u.size();
    EXPECT_EQ(f.s.send(u, at_ms(1), f.host), soup_send_result::sent);
    EXPECT_TRUE(f.host.out == u);
    EXPECT_EQ(f.s.stats().refused, 4u);
    EXPECT_EQ(f.s.stats().sent, 1u);
}

TEST(soup_session, a_login_needs_room_for_the_whole_request) {
    fixture f;
    f.host.space = 10;
    EXPECT_FALSE(f.s.connected(at_ms(0), f.host));
    EXPECT_EQ(f.s.state(), soup_session_state::idle);
    EXPECT_TRUE(f.host.out.empty());
}

} // namespace
} // namespace tachyon::oe
