/// Memory link: frames cross both ways intact and without copies, the receive queue is
/// bounded, each fault is deterministic for a seed and close to its rate, delay follows a
/// manual clock, and every buffer is back in its pool at the end of every test.

#include "stack/device/memory_link.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "stack/core/clock.hpp"
#include "unit/device/frames.hpp"

namespace tachyon {
namespace {

using test::frame_intact;
using test::frame_seq;
using test::make_frame;

constexpr size_t burst = 32;

/// Sends frames seq [first, first + count) from `from` in one burst; returns how many it took.
size_t send(memory_port& from, memory_port& to, uint32_t first, size_t count, size_t len = 64) {
    std::array<packet, burst> frames;
    const size_t n = from.alloc_burst(std::span(frames).first(count));
    for (size_t i = 0; i < n; ++i)
        make_frame(frames[i], to.capabilities().mac, from.capabilities().mac, first + uint32_t(i), len);
    return from.tx_burst(std::span(frames).first(n));
}

/// Receives everything waiting on `port`; appends the sequence numbers to `seqs`.
size_t receive_all(memory_port& port, std::vector<uint32_t>& seqs) {
    std::array<packet, burst> out;
    size_t total = 0;
    for (;;) {
        const size_t n = port.rx_burst(out);
        for (size_t i = 0; i < n; ++i) {
            EXPECT_TRUE(frame_intact(out[i]));
            EXPECT_FALSE(out[i].shared());
            seqs.push_back(frame_seq(out[i]));
            out[i].reset();
        }
        total += n;
        if (n == 0) return total;
    }
}

/// Pushes `count` frames from a to b in bursts, receiving as it goes; returns what b got.
std::vector<uint32_t> stream(memory_link& link, size_t count) {
    std::vector<uint32_t> seqs;
    for (size_t sent = 0; sent < count; sent += burst) {
        const size_t m = std::min(burst, count - sent);
        EXPECT_EQ(send(link.a(), link.b(), uint32_t(sent), m), m);
        receive_all(link.b(), seqs);
    }
    receive_all(link.b(), seqs);
    return seqs;
}

/// Expects both pools to hold all their buffers again.
void expect_pools_full(memory_link& link) {
    EXPECT_EQ(link.a().pool().available(), link.a().pool().capacity());
    EXPECT_EQ(link.b().pool().available(), link.b().pool().capacity());
}

TEST(memory_link, frames_cross_both_ways_intact) {
    memory_link link;
    EXPECT_EQ(link.a().capabilities().mac.to_string(), "02:00:00:00:00:01");
    EXPECT_EQ(link.b().capabilities().mac.to_string(), "02:00:00:00:00:02");
    EXPECT_EQ(link.a().capabilities().mtu, 1500);
    EXPECT_FALSE(link.a().capabilities().multicast_filter);
    EXPECT_FALSE(link.a().capabilities().tx_l4_checksum);

    EXPECT_EQ(send(link.a(), link.b(), 100, 5, 1514), 5u);
    EXPECT_EQ(send(link.b(), link.a(), 200, 3, 60), 3u);
    std::vector<uint32_t> at_b, at_a;
    EXPECT_EQ(receive_all(link.b(), at_b), 5u);
    EXPECT_EQ(receive_all(link.a(), at_a), 3u);
    EXPECT_EQ(at_b, (std::vector<uint32_t>{100, 101, 102, 103, 104}));
    EXPECT_EQ(at_a, (std::vector<uint32_t>{200, 201, 202}));
    EXPECT_EQ(link.a().stats().tx_frames, 5u);
    EXPECT_EQ(link.a().stats().tx_bytes, 5u * 1514);
    EXPECT_EQ(link.b().stats().rx_frames, 5u);
    EXPECT_EQ(link.b().stats().rx_bytes, 5u * 1514);
    EXPECT_EQ(link.a().stats().rx_frames, 3u);
    expect_pools_full(link);
}

TEST(memory_link, frames_move_without_copy_and_return_to_the_sender_pool) {
    memory_link link;
    std::array<packet, 1> f;
    ASSERT_EQ(link.a().alloc_burst(f), 1u);
    make_frame(f[0], link.b().capabilities().mac, link.a().capabilities().mac, 7);
    buf* sent = f[0].descriptor();
    ASSERT_EQ(link.a().tx_burst(f), 1u);
    EXPECT_FALSE(f[0]);
    EXPECT_EQ(link.a().pool().available(), link.a().pool().capacity() - 1);

    std::array<packet, 4> out;
    ASSERT_EQ(link.b().rx_burst(out), 1u);
    EXPECT_EQ(out[0].descriptor(), sent);
    EXPECT_EQ(out[0].descriptor()->pool, static_cast<const buf_pool*>(&link.a().pool()));
    out[0].reset();
    expect_pools_full(link);
}

TEST(memory_link, receive_queue_is_bounded) {
    memory_link_config cfg;
    cfg.queue_capacity = 8;
    memory_link link{cfg};
    std::array<packet, 12> frames;
    ASSERT_EQ(link.a().alloc_burst(frames), 12u);
    for (uint32_t i = 0; i < 12; ++i)
        make_frame(frames[i], link.b().capabilities().mac, link.a().capabilities().mac, i);
    EXPECT_EQ(link.a().tx_burst(frames), 8u);
    EXPECT_EQ(link.a().stats().tx_drop_full, 4u);
    EXPECT_EQ(link.b().queued(), 8u);
    for (size_t i = 0; i < 8; ++i) EXPECT_FALSE(frames[i]);
    for (size_t i = 8; i < 12; ++i) EXPECT_TRUE(frames[i]) << "a refused frame stays with the caller";

    // Once the receiver drains, the refused frames go through.
    std::vector<uint32_t> seqs;
    EXPECT_EQ(receive_all(link.b(), seqs), 8u);
    EXPECT_EQ(link.a().tx_burst(std::span(frames).subspan(8)), 4u);
    EXPECT_EQ(receive_all(link.b(), seqs), 4u);
    EXPECT_EQ(seqs.size(), 12u);
    EXPECT_EQ(seqs.back(), 11u);
    expect_pools_full(link);
}

TEST(memory_link, oversize_frame_is_dropped_and_counted) {
    memory_link link;
    EXPECT_EQ(send(link.a(), link.b(), 0, 1, 1500 + 14 + 4 + 1), 1u);
    EXPECT_EQ(link.a().stats().tx_errors, 1u);
    EXPECT_EQ(link.b().queued(), 0u);
    expect_pools_full(link);
}

TEST(memory_link, loss_is_deterministic_and_near_its_rate) {
    link_faults f;
    f.loss = 0.1;
    f.seed = 42;
    memory_link one, two, other;
    ASSERT_TRUE(one.set_faults(f));
    ASSERT_TRUE(two.set_faults(f));
    f.seed = 43;
    ASSERT_TRUE(other.set_faults(f));
    const auto s1 = stream(one, 10'000), s2 = stream(two, 10'000), s3 = stream(other, 10'000);
    EXPECT_EQ(s1, s2);
    EXPECT_NE(s1, s3);
    EXPECT_NEAR(double(s1.size()), 9'000, 300);
    EXPECT_EQ(one.a().fault_stats().lost, 10'000 - s1.size());
    EXPECT_EQ(one.a().fault_stats().frames, 10'000u);
    EXPECT_TRUE(std::is_sorted(s1.begin(), s1.end()));
    expect_pools_full(one);
    expect_pools_full(two);
    expect_pools_full(other);
}

TEST(memory_link, duplicates_are_private_copies_near_their_rate) {
    link_faults f;
    f.duplicate = 0.05;
    f.seed = 7;
    memory_link one, two;
    ASSERT_TRUE(one.set_faults(f));
    ASSERT_TRUE(two.set_faults(f));
    const auto s1 = stream(one, 10'000), s2 = stream(two, 10'000);
    EXPECT_EQ(s1, s2);
    EXPECT_NEAR(double(s1.size()), 10'500, 150);
    EXPECT_EQ(one.a().fault_stats().duplicated, s1.size() - 10'000);
    // A copy follows its original at once.
    for (size_t i = 1; i < s1.size(); ++i) EXPECT_LE(s1[i - 1], s1[i]);

    // The copy is a separate buffer: writing one leaves the other alone.
    memory_link always;
    link_faults dup;
    dup.duplicate = 1;
    ASSERT_TRUE(always.set_faults(dup));
    ASSERT_EQ(send(always.a(), always.b(), 5, 1), 1u);
    std::array<packet, 4> out;
    ASSERT_EQ(always.b().rx_burst(out), 2u);
    EXPECT_NE(out[0].descriptor(), out[1].descriptor());
    EXPECT_FALSE(out[0].shared());
    out[0].data()[20] = std::byte{0xee};
    EXPECT_TRUE(frame_intact(out[1]));
    EXPECT_EQ(frame_seq(out[1]), 5u);
    out[0].reset();
    out[1].reset();
    expect_pools_full(always);
    expect_pools_full(one);
    expect_pools_full(two);
}

TEST(memory_link, reordering_is_deterministic_and_near_its_rate) {
    link_faults f;
    f.reorder = 0.05;
    f.seed = 99;
    memory_link one, two;
    ASSERT_TRUE(one.set_faults(f));
    ASSERT_TRUE(two.set_faults(f));
    const auto s1 = stream(one, 10'000), s2 = stream(two, 10'000);
    EXPECT_EQ(s1, s2);
    ASSERT_EQ(s1.size(), 10'000u) << "reordering loses nothing";
    size_t inversions = 0;
    for (size_t i = 1; i < s1.size(); ++i)
        if (s1[i] < s1[i - 1]) ++inversions;
    const auto reordered = one.a().fault_stats().reordered;
    EXPECT_NEAR(double(reordered), 500, 100);
    // Each held frame comes after the one that overtook it, except one held at the end of a
    // burst with nothing behind it, which goes out in order once the queue is empty.
    EXPECT_LE(inversions, reordered);
    EXPECT_GE(inversions, reordered * 8 / 10);
    auto sorted = s1;
    std::sort(sorted.begin(), sorted.end());
    for (uint32_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);
    expect_pools_full(one);
    expect_pools_full(two);
}

TEST(memory_link, reordered_frame_follows_the_next_one) {
    link_faults f;
    f.reorder = 1; // hold every frame that can be held
    memory_link link;
    ASSERT_TRUE(link.set_faults(f));
    ASSERT_EQ(send(link.a(), link.b(), 0, 3), 3u);
    // 0 is held, 1 overtakes it and releases it, 2 is held: 1, 0 then 2 once the queue is empty.
    std::vector<uint32_t> seqs;
    receive_all(link.b(), seqs);
    EXPECT_EQ(seqs, (std::vector<uint32_t>{1, 0, 2}));
    EXPECT_EQ(link.a().fault_stats().reordered, 2u);
    expect_pools_full(link);
}

TEST(memory_link, delay_follows_the_clock) {
    manual_clock clock;
    int reads = 0;
    memory_link link{{}, [&] {
                         ++reads;
                         return clock.now();
                     }};
    link_faults f;
    f.delay = duration::us(100);
    ASSERT_TRUE(link.set_faults(f));

    ASSERT_EQ(send(link.a(), link.b(), 0, 10), 10u);
    EXPECT_EQ(reads, 1) << "one clock read per burst";
    std::array<packet, burst> out;
    reads = 0;
    EXPECT_EQ(link.b().rx_burst(out), 0u);
    EXPECT_EQ(reads, 1);
    clock.advance(duration::us(99));
    EXPECT_EQ(link.b().rx_burst(out), 0u);
    ASSERT_EQ(send(link.a(), link.b(), 10, 5), 5u); // sent 99 us after the first burst
    clock.advance(duration::us(1));
    reads = 0;
    EXPECT_EQ(link.b().rx_burst(out), 10u) << "the first burst is due, the second is not";
    EXPECT_EQ(reads, 1);
    EXPECT_EQ(frame_seq(out[0]), 0u);
    for (auto& p : out) p.reset();
    EXPECT_EQ(link.b().rx_burst(out), 0u);
    clock.advance(duration::us(99));
    EXPECT_EQ(link.b().rx_burst(out), 5u);
    EXPECT_EQ(link.a().fault_stats().delayed, 15u);
    for (auto& p : out) p.reset();

    // No delay, no clock read.
    ASSERT_TRUE(link.set_faults({}));
    reads = 0;
    ASSERT_EQ(send(link.a(), link.b(), 0, 4), 4u);
    EXPECT_EQ(link.b().rx_burst(out), 4u);
    EXPECT_EQ(reads, 0);
    for (auto& p : out) p.reset();
    expect_pools_full(link);
}

TEST(memory_link, bad_faults_are_refused) {
    memory_link link;
    link_faults f;
    f.loss = 1.5;
    auto r = link.set_faults(f);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, errc::invalid_argument);
    f.loss = 0;
    f.delay = duration::ms(1);
    r = link.a().set_faults(f);
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("clock"), std::string::npos);
}

TEST(memory_link, multicast_filter_is_recorded) {
    memory_link link;
    const std::array<mac_address, 2> groups{multicast_mac({239, 1, 1, 1}), multicast_mac({239, 1, 1, 2})};
    ASSERT_TRUE(link.a().set_multicast_filter(groups));
    ASSERT_EQ(link.a().multicast_filter().size(), 2u);
    EXPECT_EQ(link.a().multicast_filter()[1], groups[1]);
    EXPECT_TRUE(link.b().multicast_filter().empty());
}

TEST(memory_link, frames_in_flight_return_to_their_pools_when_the_link_goes) {
    // A link destroyed with frames queued and held must not trip the pools' leak check
    // (the assert in ~packet_pool is active in debug builds).
    link_faults f;
    f.reorder = 1;
    memory_link link;
    ASSERT_TRUE(link.set_faults(f));
    ASSERT_EQ(send(link.a(), link.b(), 0, 5), 5u);
    ASSERT_EQ(send(link.b(), link.a(), 0, 5), 5u);
    EXPECT_GT(link.b().queued(), 0u);
}

} // namespace
} // namespace tachyon
