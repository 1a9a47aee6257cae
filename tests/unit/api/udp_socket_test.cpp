// The UDP socket handle over two stacks on a memory link: unicast both ways through the
// callback and the pull queue, zero-copy send, and closing on destruction.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/udp_socket.hpp"
#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"

namespace tachyon {
namespace {

struct udp_socket_test : ::testing::Test {
    manual_clock clock;
    memory_link link;
    std::unique_ptr<stack> a, b;

    void SetUp() override {
        stack_config ca, cb;
        ca.address = ipv4_cidr{ipv4_address{198, 18, 0, 1}, 24};
        cb.address = ipv4_cidr{ipv4_address{198, 18, 0, 2}, 24};
        a = std::move(stack::create(ca, link.a()).value());
        b = std::move(stack::create(cb, link.b()).value());
        a->start(clock.now());
        b->start(clock.now());
    }
    void run(int rounds = 10) {
        for (int i = 0; i < rounds; ++i) {
            clock.advance(duration::us(100));
            a->poll(clock.now());
            b->poll(clock.now());
        }
    }
};

std::span<const std::byte> as_bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

TEST_F(udp_socket_test, request_and_response_through_callback_and_pull) {
    auto server = udp_socket::open(*b).value();
    ASSERT_EQ(server.bind({ipv4_address::any(), 7000}), errc::ok);
    std::vector<std::string> heard;
    auto on = [&](const datagram& d) {
        heard.emplace_back(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
        EXPECT_EQ(server.send_to({d.src, d.src_port}, d.payload), errc::ok);
    };
    ASSERT_EQ(server.on_datagram(on), errc::ok);

    auto client = udp_socket::open(*a).value();
    ASSERT_EQ(client.connect({ipv4_address{198, 18, 0, 2}, 7000}), errc::ok);
    ASSERT_EQ(client.send(as_bytes("ping")), errc::ok) << "queued behind ARP";
    run();
    ASSERT_EQ(heard, std::vector<std::string>{"ping"});
    datagram d;
    packet owner = client.recv(d);
    ASSERT_TRUE(owner);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(d.payload.data()), d.payload.size()), "ping");
    EXPECT_EQ(d.src_port, 7000);

    // Zero-copy: write straight into the frame.
    packet frame = client.prepare(5);
    ASSERT_TRUE(frame);
    std::memcpy(frame.data(), "pong!", 5);
    ASSERT_EQ(client.send_prepared(std::move(frame), {ipv4_address{198, 18, 0, 2}, 7000}), errc::ok);
    run();
    ASSERT_EQ(heard.size(), 2u);
    EXPECT_EQ(heard[1], "pong!");
}

TEST_F(udp_socket_test, a_closed_socket_frees_its_port) {
    {
        auto s = udp_socket::open(*b).value();
        ASSERT_EQ(s.bind({ipv4_address::any(), 7001}), errc::ok);
        auto t = udp_socket::open(*b).value();
        EXPECT_EQ(t.bind({ipv4_address::any(), 7001}), errc::in_use);
    }
    auto u = udp_socket::open(*b).value();
    EXPECT_EQ(u.bind({ipv4_address::any(), 7001}), errc::ok);
}

} // namespace
} // namespace tachyon
