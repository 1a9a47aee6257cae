// A property of the send path against a plain reference model: for any sequence of sends
// (small and large, as an order gateway makes them), reads, clock steps and a link that loses,
// duplicates and reorders, every byte `tcp_send` accepted arrives exactly once and in order,
// and the send space always comes back. The model is the concatenation of what was accepted.

#include <random>
#include <vector>

#include "tcp_pair.hpp"

namespace tachyon {
namespace {

using namespace tachyon::pair_test;

struct send_property : tcp_pair, ::testing::WithParamInterface<uint32_t> {
    size_t buffer = 0;
    void tweak(stack_config& c) override {
        std::mt19937 rng(GetParam());
        // Small send buffers make a small ring (buffer / 256 + 8 slots): easy to fill.
        buffer = size_t(2048) << (rng() % 4);
        c.tcp.send_buffer = buffer;
        c.tcp.receive_buffer = size_t(4096) << (rng() % 3);
        c.tcp.max_retransmits = 100; // the link may lose a lot: never give up here
    }
};

TEST_P(send_property, every_accepted_byte_arrives_once_in_order_and_send_space_comes_back) {
    std::mt19937 rng(GetParam());
    connect();
    link_faults f;
    f.loss = double(rng() % 8) / 100;
    f.duplicate = double(rng() % 5) / 100;
    f.reorder = double(rng() % 5) / 100;
    f.seed = GetParam();
    ASSERT_TRUE(link.set_faults(f).ok());

    std::vector<std::byte> model; // every byte tcp_send accepted, in order
    std::vector<std::byte> chunk;
    size_t checked = 0; // server.received only grows: bytes before this were compared already
    auto check_invariants = [&](int step) {
        const tcp_connection* c = a->tcp_connection_of(client.id);
        ASSERT_NE(c, nullptr) << "step " << step;
        ASSERT_EQ(c->state(), tcp_state::established);
        ASSERT_LE(server.received.size(), model.size()) << "step " << step;
        ASSERT_TRUE(std::equal(server.received.begin() + ptrdiff_t(checked), server.received.end(),
                               model.begin() + ptrdiff_t(checked)))
            << "a byte arrived that was not sent there, step " << step;
        checked = server.received.size();
        ASSERT_LE(a->tcp_send_space(client.id), buffer);
        if (c->snd_una() == c->snd_nxt() && server.received.size() == model.size()) {
            ASSERT_EQ(a->tcp_send_space(client.id), buffer) << "nothing in flight, yet no send space: step " << step;
        }
    };
    for (int step = 0; step < 3000; ++step) {
        // A burst of messages before the next poll: small orders, now and then a larger one
        // (several segments). Each small one leaves at once and takes a slot of the ring.
        const uint32_t burst = rng() % 3 == 0 ? 0 : 1 + rng() % 40;
        for (uint32_t m = 0; m < burst; ++m) {
            chunk.resize(rng() % 8 == 0 ? 500 + rng() % 6000 : 1 + rng() % 64);
            for (auto& x : chunk) x = std::byte(rng());
            const size_t took = a->tcp_send(client.id, chunk, clock.now());
            ASSERT_LE(took, chunk.size());
            model.insert(model.end(), chunk.begin(), chunk.begin() + ptrdiff_t(took));
        }
        // The reader: sometimes stalls, sometimes sips, usually drinks.
        const uint32_t r = rng() % 10;
        const bool was_stalled = server.consume_limit == 0;
        server.consume_limit = r == 0 ? 0 : r < 3 ? 1 + rng() % 100 : SIZE_MAX;
        // A reader that returned 0 asks for delivery again when it is ready (api/tcp.hpp's
        // resume_reading, which is this call).
        if (was_stalled && server.consume_limit != 0) {
            ASSERT_EQ(b->tcp_set_callbacks(server.id, server.callbacks()), errc::ok);
        }
        clock.advance(duration::us(int64_t(10 + rng() % 3000)));
        a->poll(clock.now());
        b->poll(clock.now());
        if (rng() % 50 == 0) { // jump to the next timer
            const instant next = std::min(a->next_deadline(), b->next_deadline());
            if (next != instant::never()) clock.set(next);
        }
        check_invariants(step);
        if (HasFatalFailure()) return;
    }
    // Drain: the reader reads everything; the link stays as it is.
    server.consume_limit = SIZE_MAX;
    ASSERT_EQ(b->tcp_set_callbacks(server.id, server.callbacks()), errc::ok);
    for (int i = 0; i < 200000 && server.received.size() < model.size(); ++i) {
        clock.advance(duration::us(200));
        a->poll(clock.now());
        b->poll(clock.now());
        const instant next = std::min(a->next_deadline(), b->next_deadline());
        if (i % 16 == 15 && next != instant::never() && next > clock.now()) clock.set(next);
    }
    const tcp_connection* c = a->tcp_connection_of(client.id);
    const tcp_connection* d = b->tcp_connection_of(server.id);
    ASSERT_TRUE(c && d);
    ASSERT_EQ(server.received.size(), model.size())
        << "client " << to_string(c->state()) << " una=" << c->snd_una().value() << " nxt=" << c->snd_nxt().value()
        << " wnd=" << c->snd_wnd() << " cwnd=" << c->cwnd() << " rto=" << c->rtt().rto().count_ms()
        << " space=" << a->tcp_send_space(client.id) << "; server rcv_nxt=" << d->rcv_nxt().value()
        << " held=" << d->received_bytes() << " ooo=" << d->out_of_order_count() << "\n"
        << a->stats_json() << "\n" << b->stats_json();
    EXPECT_TRUE(server.received == model) << "the stream arrived intact";
    run(duration::s(2));
    EXPECT_EQ(a->tcp_send_space(client.id), buffer) << "all send space back once everything is acknowledged";
}

INSTANTIATE_TEST_SUITE_P(seeds, send_property, ::testing::Range(1u, 25u));

} // namespace
} // namespace tachyon
