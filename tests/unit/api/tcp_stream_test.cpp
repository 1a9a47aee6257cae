// The TCP handles (api/tcp.hpp) over two stacks on a memory link: listen and accept, connect,
// data both ways through the handler's view, partial consumption, backpressure and resume,
// half-close, close on destruction (FIN), abort (RST), refusal, timeouts, moves, destruction
// from inside a callback, and the stack-level buffer sizes.

#include <gtest/gtest.h>

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "api/tcp.hpp"
#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"

namespace tachyon {
namespace {

const ipv4_address ip_a{198, 18, 0, 1};
const ipv4_address ip_b{198, 18, 0, 2};
constexpr uint16_t port = 9100;

std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

/// A handler that records everything; its data policy is set per test.
struct recorder {
    tcp_stream* last_stream = nullptr;
    int connected = 0, eofs = 0, writables = 0, closes = 0;
    tcp_close_reason reason = tcp_close_reason::none;
    std::string received;
    std::vector<size_t> view_sizes;
    size_t consume_limit = SIZE_MAX; // bytes taken per call
    bool paused = false;             // take nothing (backpressure)
    bool echo = false;               // send back what arrives
    bool close_on_eof = false;

    void on_connected(tcp_stream& s) {
        ++connected;
        last_stream = &s;
    }
    size_t on_data(tcp_stream& s, std::span<const std::byte> b) {
        last_stream = &s;
        EXPECT_FALSE(b.empty()) << "the end of data is on_eof, never an empty view";
        view_sizes.push_back(b.size());
        if (paused) return 0;
        size_t n = std::min(b.size(), consume_limit);
        if (echo) n = s.send(b.first(n));
        received.append(reinterpret_cast<const char*>(b.data()), n);
        return n;
    }
    void on_eof(tcp_stream& s) {
        ++eofs;
        if (close_on_eof) (void)s.close();
    }
    void on_writable(tcp_stream&) { ++writables; }
    void on_closed(tcp_stream& s, tcp_close_reason r) {
        last_stream = &s;
        ++closes;
        reason = r;
    }
};

/// The server side: accepted streams are kept here, each with its own recorder.
struct acceptor {
    std::list<std::pair<tcp_stream, recorder>> conns;
    recorder templ; // the policy new connections start with
    int accepted = 0;
    bool drop = false; // let accepted streams go at once (closing them)

    void on_accept(tcp_stream&& s) {
        ++accepted;
        if (drop) return;
        auto& c = conns.emplace_back(std::move(s), templ);
        ASSERT_EQ(c.first.set_handler(c.second), errc::ok);
    }
    tcp_stream& stream(size_t i = 0) { return std::next(conns.begin(), ptrdiff_t(i))->first; }
    recorder& rec(size_t i = 0) { return std::next(conns.begin(), ptrdiff_t(i))->second; }
};

struct tcp_stream_test : ::testing::Test {
    manual_clock clock;
    memory_link link{memory_link_config{.queue_capacity = 1024, .pool_size = 4096}};
    std::unique_ptr<stack> a, b;
    acceptor server;

    void SetUp() override { build({}); }
    void build(tcp_buffer_sizes sizes) {
        stack_config ca, cb;
        ca.address = ipv4_cidr{ip_a, 24};
        cb.address = ipv4_cidr{ip_b, 24};
        ca.secret[0] = 1;
        cb.secret[0] = 2;
        ca.tcp.connect_timeout = cb.tcp.connect_timeout = duration::s(2);
        if (sizes.send != 0) {
            set_tcp_buffer_sizes(ca, sizes);
            set_tcp_buffer_sizes(cb, sizes);
        }
        a = std::move(stack::create(ca, link.a()).value());
        b = std::move(stack::create(cb, link.b()).value());
        a->start(clock.now());
        b->start(clock.now());
    }
    void run(duration total, duration step = duration::us(50)) {
        for (duration d{}; d < total; d += step) {
            clock.advance(step);
            a->poll(clock.now());
            b->poll(clock.now());
        }
    }
    tcp_listener listen() {
        auto l = tcp_listener::listen(*b, port, 16, server);
        EXPECT_TRUE(l.ok());
        return std::move(l.value());
    }
    tcp_stream connect(recorder& r, uint16_t p = port) {
        auto s = tcp_stream::connect(*a, {ip_b, p}, r, duration::s(1));
        EXPECT_TRUE(s.ok()) << s.err().message;
        return std::move(s.value());
    }
};

TEST_F(tcp_stream_test, request_response_half_close_and_normal_close) {
    tcp_listener l = listen();
    EXPECT_EQ(l.port(), port);
    recorder client;
    tcp_stream c = connect(client);
    EXPECT_TRUE(c.is_open());
    EXPECT_FALSE(c.is_connected());
    run(duration::ms(5));
    ASSERT_EQ(client.connected, 1);
    EXPECT_EQ(client.last_stream, &c);
    EXPECT_TRUE(c.is_connected());
    EXPECT_EQ(c.state(), tcp_state::established);
    ASSERT_EQ(server.accepted, 1);
    EXPECT_EQ(server.stream().remote().address, ip_a);
    EXPECT_EQ(server.stream().remote().port, c.local().port);
    EXPECT_EQ(c.remote().port, port);

    EXPECT_EQ(c.send(bytes_of("NEW ORDER 42")), 12u);
    run(duration::ms(2));
    EXPECT_EQ(server.rec().received, "NEW ORDER 42");
    EXPECT_EQ(server.stream().send(bytes_of("ACK 42")), 6u);
    run(duration::ms(2));
    EXPECT_EQ(client.received, "ACK 42");

    // Half-close: the client's FIN reaches the server, which can still answer.
    ASSERT_EQ(c.shutdown(), errc::ok);
    run(duration::ms(2));
    EXPECT_EQ(server.rec().eofs, 1);
    EXPECT_EQ(server.stream().send(bytes_of("BYE")), 3u);
    run(duration::ms(2));
    EXPECT_EQ(client.received, "ACK 42BYE");
    EXPECT_EQ(client.closes, 0);
    ASSERT_EQ(server.stream().close(), errc::ok);
    run(duration::ms(2));
    EXPECT_EQ(client.eofs, 1);
    EXPECT_EQ(client.closes, 1);
    EXPECT_EQ(client.reason, tcp_close_reason::normal);
    EXPECT_EQ(server.rec().closes, 1);
    EXPECT_EQ(server.rec().reason, tcp_close_reason::normal);
    EXPECT_FALSE(c.is_open());
    EXPECT_EQ(c.send(bytes_of("late")), 0u);
    EXPECT_EQ(c.shutdown(), errc::not_found);
}

TEST_F(tcp_stream_test, the_handler_takes_part_and_sees_the_rest_again) {
    tcp_listener l = listen();
    server.templ.consume_limit = 5;
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    ASSERT_EQ(c.send(bytes_of("0123456789abcdefghij")), 20u);
    run(duration::ms(2));
    EXPECT_EQ(server.rec().received, "0123456789abcdefghij");
    EXPECT_EQ(server.rec().view_sizes, (std::vector<size_t>{20, 15, 10, 5}));
}

TEST_F(tcp_stream_test, backpressure_closes_the_window_and_resume_reopens_it) {
    tcp_listener l = listen();
    server.templ.paused = true;
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    const size_t rbuf = get_tcp_buffer_sizes(*b).receive;
    const size_t sbuf = c.buffer_sizes().send;
    std::string big(rbuf + sbuf + 10000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 23);
    size_t sent = c.send(bytes_of(big));
    EXPECT_LE(sent, sbuf);
    for (int i = 0; i < 50 && sent < big.size(); ++i) {
        run(duration::ms(2));
        sent += c.send(bytes_of(big).subspan(sent));
    }
    // The server's window is closed: what it holds is at most its receive buffer, and the
    // client's send buffer is full.
    EXPECT_LT(sent, big.size());
    EXPECT_EQ(c.send_space(), 0u);
    EXPECT_EQ(server.rec().received.size(), 0u);
    const tcp_connection* sc = server.stream().control_block();
    ASSERT_NE(sc, nullptr);
    EXPECT_LE(sc->received_bytes(), rbuf);
    EXPECT_GT(sc->received_bytes(), rbuf / 2);

    // Resume: what waits is delivered at once, and the window update lets the rest come.
    const size_t waiting = sc->received_bytes();
    server.rec().paused = false;
    server.stream().resume_reading();
    EXPECT_EQ(server.rec().received.size(), waiting) << "resume_reading delivers what waits before returning";
    const size_t after_resume = server.rec().received.size();
    // The window update must leave promptly (well before any zero-window probe would reopen it).
    run(duration::ms(5));
    EXPECT_GT(server.rec().received.size(), after_resume)
        << "no window update after resume_reading: the peer waits for its persist timer";
    for (int i = 0; i < 400 && (sent < big.size() || server.rec().received.size() < big.size()); ++i) {
        sent += c.send(bytes_of(big).subspan(sent));
        run(duration::ms(1));
    }
    EXPECT_EQ(sent, big.size());
    EXPECT_EQ(server.rec().received, big);
    EXPECT_GT(client.writables, 0);
}

TEST_F(tcp_stream_test, resume_outside_a_callback_sends_the_window_update_at_once) {
    tcp_listener l = listen();
    server.templ.paused = true;
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    std::string big(300 * 1024, 'z');
    size_t sent = 0;
    for (int i = 0; i < 50; ++i) {
        sent += c.send(bytes_of(big).subspan(sent));
        run(duration::ms(2));
    }
    const tcp_connection* sc = server.stream().control_block();
    ASSERT_NE(sc, nullptr);
    ASSERT_GT(sc->received_bytes(), 0u);
    EXPECT_LT(c.control_block()->snd_wnd(), c.control_block()->send_mss()) << "the server's window is (nearly) closed";
    // Resume from the application's loop (between polls, as tachyon-nc does): the window
    // update should leave with the next poll, not wait for the client's zero-window probe.
    const uint64_t tx_before = b->stats().tcp.tx_segments;
    server.rec().paused = false;
    server.stream().resume_reading(); // outside poll: the update leaves at once
    clock.advance(duration::us(50));
    b->poll(clock.now());
    EXPECT_GT(b->stats().tcp.tx_segments, tx_before)
        << "stack::tcp_set_callbacks delivered and consumed, but the window update was not sent";
    // How long the transfer stalls otherwise (for the report).
    const size_t got = server.rec().received.size();
    duration stalled{};
    while (server.rec().received.size() == got && stalled < duration::s(5)) {
        run(duration::ms(1), duration::ms(1));
        stalled += duration::ms(1);
    }
    EXPECT_LT(stalled, duration::ms(5)) << "the transfer stalled for " << stalled.count_ns() / 1000000 << " ms";
}

TEST_F(tcp_stream_test, a_destroyed_stream_closes_with_fin_and_reports_nothing_more) {
    tcp_listener l = listen();
    server.templ.close_on_eof = true;
    recorder client;
    {
        tcp_stream c = connect(client);
        run(duration::ms(5));
        ASSERT_EQ(c.send(bytes_of("last words")), 10u);
    } // destroyed: FIN after the queued data
    run(duration::ms(5));
    EXPECT_EQ(server.rec().received, "last words");
    EXPECT_EQ(server.rec().eofs, 1);
    EXPECT_EQ(server.rec().closes, 1);
    EXPECT_EQ(server.rec().reason, tcp_close_reason::normal);
    EXPECT_EQ(client.closes, 0) << "a destroyed stream reports nothing";
    EXPECT_EQ(a->stats().tcp.closed_normal, 1u);
    EXPECT_EQ(a->stats().tcp.tx_resets, 0u);
}

TEST_F(tcp_stream_test, abort_sends_rst) {
    tcp_listener l = listen();
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    ASSERT_EQ(c.abort(), errc::ok);
    EXPECT_EQ(client.closes, 1) << "on_closed(aborted) before abort returns";
    EXPECT_EQ(client.reason, tcp_close_reason::aborted);
    EXPECT_FALSE(c.is_open());
    run(duration::ms(2));
    EXPECT_EQ(server.rec().closes, 1);
    EXPECT_EQ(server.rec().reason, tcp_close_reason::reset);
}

TEST_F(tcp_stream_test, a_closed_port_refuses_and_a_closed_listener_too) {
    recorder client;
    tcp_stream c = connect(client, port + 1);
    run(duration::ms(5));
    EXPECT_EQ(client.closes, 1);
    EXPECT_EQ(client.reason, tcp_close_reason::reset);
    EXPECT_EQ(client.connected, 0);

    tcp_listener l = listen();
    l.close();
    EXPECT_EQ(l.port(), 0);
    recorder second;
    tcp_stream c2 = connect(second);
    run(duration::ms(5));
    EXPECT_EQ(second.reason, tcp_close_reason::reset);
    EXPECT_EQ(server.accepted, 0);
}

TEST_F(tcp_stream_test, connect_to_nobody_times_out) {
    recorder client;
    auto s = tcp_stream::connect(*a, {ipv4_address{198, 18, 0, 9}, port}, client, duration::ms(300));
    ASSERT_TRUE(s.ok());
    run(duration::ms(200), duration::ms(1));
    EXPECT_EQ(client.closes, 0);
    run(duration::s(3), duration::ms(1));
    EXPECT_EQ(client.closes, 1);
    EXPECT_TRUE(client.reason == tcp_close_reason::timeout || client.reason == tcp_close_reason::unreachable)
        << to_string(client.reason);
}

TEST_F(tcp_stream_test, moved_streams_keep_their_events) {
    tcp_listener l = listen();
    recorder client;
    std::vector<tcp_stream> held;
    held.push_back(connect(client));
    for (int i = 0; i < 8; ++i) held.emplace_back(); // reallocation moves the stream
    run(duration::ms(5));
    ASSERT_EQ(client.connected, 1);
    EXPECT_EQ(client.last_stream, &held[0]);
    tcp_stream moved = std::move(held[0]);
    EXPECT_FALSE(held[0].is_open());
    ASSERT_EQ(server.stream().send(bytes_of("to the new home")), 15u);
    run(duration::ms(2));
    EXPECT_EQ(client.received, "to the new home");
    EXPECT_EQ(client.last_stream, &moved);
    // Assigning over an open stream closes it (FIN).
    tcp_stream other;
    other = std::move(moved);
    other = tcp_stream();
    run(duration::ms(2));
    EXPECT_EQ(server.rec().eofs, 1);
}

/// A handler that destroys its own stream from inside callbacks.
struct self_destroyer {
    std::unique_ptr<tcp_stream> stream;
    bool destroy_on_data = true;
    int data_calls = 0;
    size_t on_data(tcp_stream&, std::span<const std::byte> b) {
        ++data_calls;
        if (destroy_on_data) stream.reset(); // closes (FIN)
        return b.size();
    }
    void on_closed(tcp_stream&, tcp_close_reason) { stream.reset(); }
    void on_accept(tcp_stream&& s) {
        stream = std::make_unique<tcp_stream>(std::move(s));
        (void)stream->set_handler(*this);
    }
};

TEST_F(tcp_stream_test, a_handler_may_destroy_its_stream_in_a_callback) {
    self_destroyer srv;
    auto l = tcp_listener::listen(*b, port, 4, srv);
    ASSERT_TRUE(l.ok());
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    ASSERT_TRUE(srv.stream);
    ASSERT_EQ(c.send(bytes_of("goodbye")), 7u);
    run(duration::ms(5));
    EXPECT_EQ(srv.data_calls, 1);
    EXPECT_FALSE(srv.stream);
    EXPECT_EQ(client.eofs, 1); // the destroyed stream's FIN
    // More data to the orphaned connection is taken and discarded; closing completes.
    EXPECT_EQ(c.send(bytes_of("anyone?")), 7u);
    ASSERT_EQ(c.close(), errc::ok);
    run(duration::ms(5));
    EXPECT_EQ(client.closes, 1);
    EXPECT_EQ(client.reason, tcp_close_reason::normal);

    // And from on_closed: an abort from the peer.
    srv.destroy_on_data = false;
    recorder second;
    tcp_stream c2 = connect(second);
    run(duration::ms(5));
    ASSERT_TRUE(srv.stream);
    ASSERT_EQ(c2.abort(), errc::ok);
    run(duration::ms(5));
    EXPECT_FALSE(srv.stream);
}

TEST_F(tcp_stream_test, dropping_an_accepted_stream_closes_it) {
    tcp_listener l = listen();
    server.drop = true;
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    EXPECT_EQ(server.accepted, 1);
    EXPECT_EQ(client.eofs, 1);
    ASSERT_EQ(c.close(), errc::ok);
    run(duration::ms(5));
    EXPECT_EQ(client.reason, tcp_close_reason::normal);
}

TEST_F(tcp_stream_test, echo_through_the_view) {
    tcp_listener l = listen();
    server.templ.echo = true;
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    std::string msg(3000, 'q');
    ASSERT_EQ(c.send(bytes_of(msg)), msg.size());
    run(duration::ms(5));
    EXPECT_EQ(client.received, msg);
}

TEST_F(tcp_stream_test, options_and_stack_level_buffer_sizes) {
    a.reset();
    b.reset();
    build({32 * 1024, 16 * 1024});
    tcp_listener l = listen();
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    EXPECT_EQ(c.buffer_sizes().send, 32u * 1024);
    EXPECT_EQ(c.buffer_sizes().receive, 16u * 1024);
    EXPECT_EQ(get_tcp_buffer_sizes(*b).receive, 16u * 1024);
    EXPECT_EQ(c.send_space(), 32u * 1024);
    EXPECT_EQ(c.set_nodelay(false), errc::ok);
    EXPECT_EQ(c.set_nodelay(true), errc::ok);
    EXPECT_EQ(c.set_keepalive(true), errc::ok);
    EXPECT_EQ(c.set_user_timeout(duration::s(3)), errc::ok);
    tcp_stream empty;
    EXPECT_EQ(empty.set_nodelay(true), errc::not_found);
    EXPECT_EQ(empty.send(bytes_of("x")), 0u);
    EXPECT_EQ(empty.state(), tcp_state::closed);
}

TEST_F(tcp_stream_test, user_timeout_ends_a_connection_whose_data_is_never_acknowledged) {
    tcp_listener l = listen();
    recorder client;
    tcp_stream c = connect(client);
    run(duration::ms(5));
    ASSERT_EQ(c.set_user_timeout(duration::ms(500)), errc::ok);
    ASSERT_TRUE(link.set_faults(link_faults{.loss = 1.0}).ok()); // the path goes dark
    ASSERT_EQ(c.send(bytes_of("into the void")), 13u);
    run(duration::ms(400), duration::ms(1));
    EXPECT_EQ(client.closes, 0);
    run(duration::s(2), duration::ms(1));
    EXPECT_EQ(client.closes, 1);
    EXPECT_EQ(client.reason, tcp_close_reason::timeout);
}

} // namespace
} // namespace tachyon
