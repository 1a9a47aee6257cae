// The stack over the pcap decorator: every frame received is recorded inbound at exactly the
// receive time the stack gave its burst (before the stack rewrites an echo request into its
// reply in place), every frame sent is recorded outbound at the time it was handed over.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/device/pcap.hpp"
#include "stack/iface/stack.hpp"
#include "unit/device/pcapng_reader.hpp"

namespace tachyon {
namespace {

constexpr int64_t epoch_offset = 1'600'000'000'000'000'000;

/// The ICMP type of an Ethernet/IPv4/ICMP frame (20-byte IP header), or -1.
int icmp_type(const std::vector<uint8_t>& f) {
    if (f.size() < 35 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 1) return -1;
    return f[34];
}

TEST(pcap_capture, records_the_stacks_receive_time_and_the_direction) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("tachyon-pcap-stack-" + std::to_string(::getpid()) + ".pcapng")).string();
    manual_clock clock;
    memory_link link;
    std::vector<instant> rx_times; // b's receive time of each frame it got, in order
    {
        pcap_writer w;
        ASSERT_TRUE(w.open(path));
        pcap_device cap{link.b(), w, make_capture_clock(clock, epoch_offset)};
        stack_config ca, cb;
        ca.address = ipv4_cidr{ipv4_address{198, 18, 0, 1}, 24};
        cb.address = ipv4_cidr{ipv4_address{198, 18, 0, 2}, 24};
        auto a = std::move(stack::create(ca, link.a()).value());
        auto b = std::move(stack::create(cb, cap).value());
        a->start(clock.now());
        b->start(clock.now());
        const std::vector<std::byte> data(24, std::byte{0x5a});
        for (uint16_t seq = 0; seq < 20; ++seq) {
            (void)a->send_echo_request(ipv4_address{198, 18, 0, 2}, 9, seq, data, clock.now());
            for (int k = 0; k < 3; ++k) {
                clock.advance(duration::us(137));
                a->poll(clock.now());
                clock.advance(duration::us(11));
                const size_t n = b->poll(clock.now());
                rx_times.insert(rx_times.end(), n, clock.now());
            }
        }
        EXPECT_EQ(b->stats().icmp.tx_echo_replies, 20u);
    }
    const auto f = test::parse_pcapng(test::read_bytes(path));
    std::filesystem::remove(path);
    ASSERT_TRUE(f.ok) << f.error;

    size_t inbound = 0, requests = 0, replies = 0;
    for (const auto& p : f.packets) {
        ASSERT_TRUE(p.has_flags);
        ASSERT_TRUE(p.flags == 1 || p.flags == 2) << p.flags;
        if (p.flags == 1) {
            ASSERT_LT(inbound, rx_times.size());
            EXPECT_EQ(p.timestamp, uint64_t(rx_times[inbound].ns_since_epoch() + epoch_offset))
                << "frame " << inbound << " carries the stack's receive time";
            ++inbound;
            if (icmp_type(p.data) == 8) ++requests;
            EXPECT_NE(icmp_type(p.data), 0) << "a request was recorded before it became the reply";
        } else {
            if (icmp_type(p.data) == 0) ++replies;
            EXPECT_NE(icmp_type(p.data), 8);
        }
    }
    EXPECT_EQ(inbound, rx_times.size()) << "every frame received was recorded";
    EXPECT_EQ(requests, 20u);
    EXPECT_EQ(replies, 20u);
}

} // namespace
} // namespace tachyon
