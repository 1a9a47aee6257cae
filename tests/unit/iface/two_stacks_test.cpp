// Two stacks joined by the memory link ping each other: over a perfect link, and over one
// that loses 10% of frames each way.

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {
namespace {

struct pinger {
    std::map<uint16_t, std::vector<std::byte>> replies;
    static void on_reply(void* self, const echo_reply& r) {
        static_cast<pinger*>(self)->replies[r.sequence].assign(r.data.begin(), r.data.end());
    }
};

std::vector<std::byte> payload_for(uint16_t seq) {
    std::vector<std::byte> d(32 + seq % 64);
    for (size_t i = 0; i < d.size(); ++i) d[i] = std::byte(seq * 31 + i);
    return d;
}

struct two_stacks : ::testing::Test {
    manual_clock clock;
    memory_link link;
    std::unique_ptr<stack> a, b;
    pinger results;

    void SetUp() override {
        stack_config ca, cb;
        ca.address = ipv4_cidr{ipv4_address{198, 18, 0, 1}, 24};
        cb.address = ipv4_cidr{ipv4_address{198, 18, 0, 2}, 24};
        a = std::move(stack::create(ca, link.a()).value());
        b = std::move(stack::create(cb, link.b()).value());
        a->on_echo_reply(&pinger::on_reply, &results);
        a->start(clock.now());
        b->start(clock.now());
    }
    void run(int sends, duration gap) {
        for (int i = 0; i < sends; ++i) {
            auto data = payload_for(uint16_t(i));
            EXPECT_EQ(a->send_echo_request(ipv4_address{198, 18, 0, 2}, 7, uint16_t(i), data, clock.now()), errc::ok);
            for (int k = 0; k < 4; ++k) {
                clock.advance(gap / 4);
                a->poll(clock.now());
                b->poll(clock.now());
            }
        }
        for (int k = 0; k < 100; ++k) {
            clock.advance(duration::ms(100));
            a->poll(clock.now());
            b->poll(clock.now());
        }
    }
    void check_payloads() {
        for (const auto& [seq, data] : results.replies) EXPECT_EQ(data, payload_for(seq)) << "seq " << seq;
    }
};

TEST_F(two_stacks, ping_over_a_perfect_link) {
    run(100, duration::ms(1));
    EXPECT_EQ(results.replies.size(), 100u) << "the first waits for ARP, none is lost";
    check_payloads();
    EXPECT_EQ(b->stats().icmp.tx_echo_replies, 100u);
    EXPECT_EQ(a->stats().arp.tx_requests, 2u) << "the announcement and one resolution";
}

TEST_F(two_stacks, ping_over_a_link_losing_ten_percent) {
    link_faults f;
    f.loss = 0.10;
    f.seed = 42;
    ASSERT_TRUE(link.set_faults(f).ok());
    run(500, duration::ms(10));
    // Each echo crosses twice: about 81% come back. ARP recovers by retrying.
    EXPECT_GT(results.replies.size(), 350u);
    EXPECT_LT(results.replies.size(), 460u);
    check_payloads();
    EXPECT_EQ(a->stats().icmp.rx_echo_replies, results.replies.size());
}

} // namespace
} // namespace tachyon
