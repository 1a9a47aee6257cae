// The neighbour cache on a manual clock: resolution, ageing and refresh, the request rate
// limit, the bound on waiting frames, static entries, and a full table.

#include <gtest/gtest.h>

#include <vector>

#include "stack/buf/pool.hpp"
#include "stack/core/clock.hpp"
#include "stack/net/arp_cache.hpp"

namespace tachyon {
namespace {

const ipv4_address peer{198, 18, 0, 1};
const mac_address peer_mac{{0x02, 0, 0, 0, 0, 0x11}};

struct arp_cache_test : ::testing::Test {
    arp_settings settings;
    manual_clock clock;
    packet_pool pool{64};
    std::vector<std::pair<packet, mac_address>> sent;

    packet frame(uint8_t tag) {
        packet p = pool.alloc();
        *p.append(1) = std::byte{tag};
        return p;
    }
    auto sender() {
        return [this](packet&& p, const mac_address& m) { sent.emplace_back(std::move(p), m); };
    }
};

TEST_F(arp_cache_test, miss_queues_and_reply_releases_in_order) {
    arp_cache cache(settings);
    EXPECT_EQ(cache.lookup(peer, clock.now()).mac, nullptr);
    EXPECT_EQ(cache.enqueue(peer, frame(1), clock.now()), arp_request_kind::broadcast);
    EXPECT_EQ(cache.enqueue(peer, frame(2), clock.now()), arp_request_kind::none) << "one request per interval";
    clock.advance(duration::ms(3));
    cache.update(peer, peer_mac, false, clock.now(), sender());
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].first.data()[0], std::byte{1});
    EXPECT_EQ(sent[1].first.data()[0], std::byte{2});
    EXPECT_EQ(sent[0].second, peer_mac);
    EXPECT_EQ(cache.stats().resolved, 1u);
    auto hit = cache.lookup(peer, clock.now());
    ASSERT_NE(hit.mac, nullptr);
    EXPECT_EQ(*hit.mac, peer_mac);
    EXPECT_EQ(hit.request, arp_request_kind::none);
}

TEST_F(arp_cache_test, unsolicited_information_is_learned_only_when_for_us) {
    arp_cache cache(settings);
    cache.update(peer, peer_mac, /*create=*/false, clock.now(), sender());
    EXPECT_EQ(cache.peek(peer, clock.now()), nullptr) << "RFC 826: merge only, no new entry";
    cache.update(peer, peer_mac, /*create=*/true, clock.now(), sender());
    ASSERT_NE(cache.peek(peer, clock.now()), nullptr);
    // A later packet (gratuitous, not for us) updates the known entry: the merge flag.
    const mac_address moved{{0x02, 0, 0, 0, 0, 0x22}};
    cache.update(peer, moved, false, clock.now(), sender());
    EXPECT_EQ(*cache.peek(peer, clock.now()), moved);
}

TEST_F(arp_cache_test, retries_once_per_interval_then_gives_up_and_drops_waiting_frames) {
    settings.max_requests = 3;
    arp_cache cache(settings);
    std::vector<instant> requests;
    auto record = [&](ipv4_address ip) {
        EXPECT_EQ(ip, peer);
        requests.push_back(clock.now());
    };
    ASSERT_EQ(cache.enqueue(peer, frame(1), clock.now()), arp_request_kind::broadcast);
    instant start = clock.now();
    EXPECT_EQ(cache.next_deadline(), start + settings.retry_interval);
    for (int i = 0; i < 50; ++i) {
        clock.advance(duration::ms(100));
        cache.on_timer(clock.now(), record);
    }
    // Requests at 0 s (the enqueue), 1 s and 2 s; given up at 3 s.
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0], start + duration::s(1));
    EXPECT_EQ(requests[1], start + duration::s(2));
    EXPECT_EQ(cache.stats().failed, 1u);
    EXPECT_EQ(cache.stats().drop_unresolved, 1u);
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.next_deadline(), instant::never());
    EXPECT_EQ(pool.available(), pool.capacity()) << "the waiting frame went back to its pool";
}

TEST_F(arp_cache_test, waiting_frames_are_bounded_per_neighbour) {
    settings.pending_per_neighbour = 3;
    arp_cache cache(settings);
    for (uint8_t i = 0; i < 5; ++i) (void)cache.enqueue(peer, frame(i), clock.now());
    EXPECT_EQ(cache.stats().drop_pending_overflow, 2u);
    cache.update(peer, peer_mac, true, clock.now(), sender());
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[2].first.data()[0], std::byte{2}) << "the first three are kept";
}

TEST_F(arp_cache_test, ageing_refreshes_by_unicast_then_expires) {
    arp_cache cache(settings); // reachable 60 s, retry 1 s
    cache.update(peer, peer_mac, true, clock.now(), sender());
    clock.advance(duration::s(29));
    EXPECT_EQ(cache.lookup(peer, clock.now()).request, arp_request_kind::none);
    clock.advance(duration::s(2)); // 31 s: past half-life, refresh while still usable
    auto hit = cache.lookup(peer, clock.now());
    ASSERT_NE(hit.mac, nullptr);
    EXPECT_EQ(hit.request, arp_request_kind::unicast);
    EXPECT_EQ(cache.lookup(peer, clock.now()).request, arp_request_kind::none) << "rate limited";
    clock.advance(duration::s(1));
    EXPECT_EQ(cache.lookup(peer, clock.now()).request, arp_request_kind::unicast);
    // A reply confirms it: fresh again.
    cache.update(peer, peer_mac, false, clock.now(), sender());
    EXPECT_EQ(cache.lookup(peer, clock.now()).request, arp_request_kind::none);
    // Unanswered for the whole reachable time: the entry expires and resolution restarts.
    clock.advance(duration::s(60));
    auto miss = cache.lookup(peer, clock.now());
    EXPECT_EQ(miss.mac, nullptr);
    EXPECT_EQ(miss.request, arp_request_kind::broadcast);
    EXPECT_EQ(cache.stats().expired, 1u);
    EXPECT_EQ(cache.peek(peer, clock.now()), nullptr);
}

TEST_F(arp_cache_test, static_entries_never_age_and_are_never_overwritten) {
    arp_cache cache(settings);
    ASSERT_TRUE(cache.add_static(peer, peer_mac).ok());
    clock.advance(duration::s(3600));
    auto hit = cache.lookup(peer, clock.now());
    ASSERT_NE(hit.mac, nullptr);
    EXPECT_EQ(*hit.mac, peer_mac);
    EXPECT_EQ(hit.request, arp_request_kind::none);
    cache.update(peer, mac_address{{0x02, 0, 0, 0, 0, 0x99}}, true, clock.now(), sender());
    EXPECT_EQ(*cache.peek(peer, clock.now()), peer_mac);
}

TEST_F(arp_cache_test, a_full_table_evicts_the_oldest_reachable_entry_but_never_a_static_one) {
    settings.capacity = 4;
    arp_cache cache(settings);
    ASSERT_TRUE(cache.add_static(ipv4_address{198, 18, 0, 100}, peer_mac).ok());
    for (uint8_t i = 1; i <= 3; ++i) {
        cache.update(ipv4_address{198, 18, 0, i}, peer_mac, true, clock.now(), sender());
        clock.advance(duration::s(1));
    }
    cache.update(ipv4_address{198, 18, 0, 4}, peer_mac, true, clock.now(), sender());
    EXPECT_EQ(cache.stats().evicted, 1u);
    EXPECT_EQ(cache.peek(ipv4_address{198, 18, 0, 1}, clock.now()), nullptr) << "oldest went";
    EXPECT_NE(cache.peek(ipv4_address{198, 18, 0, 100}, clock.now()), nullptr);
    EXPECT_NE(cache.peek(ipv4_address{198, 18, 0, 4}, clock.now()), nullptr);
    // Fill the rest with resolutions in progress: nothing evictable is left.
    for (uint8_t i = 10; i < 13; ++i) (void)cache.enqueue(ipv4_address{198, 18, 0, i}, frame(i), clock.now());
    (void)cache.enqueue(ipv4_address{198, 18, 0, 20}, frame(20), clock.now());
    EXPECT_EQ(cache.stats().drop_table_full, 1u);
    EXPECT_EQ(cache.size(), 4u);
}

} // namespace
} // namespace tachyon
