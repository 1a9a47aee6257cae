// The shared-memory segment of a stack (api/stat_segment, stat_reader, stat_publisher): created
// and read back, the stack counting straight into it, names taken by a live process refused, a
// dead owner's segment seen as stale and removed, another layout refused, an incomplete one left
// alone, the seqlock giving whole tables while a writer rewrites them, and the published table.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "api/stat_publisher.hpp"
#include "api/stat_reader.hpp"
#include "api/stat_segment.hpp"
#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"

namespace tachyon {
namespace {

std::string unique_name(const char* what) {
    static int n = 0;
    return "unit-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
}

bool listed(const std::string& name, stat_liveness* liveness = nullptr) {
    for (const auto& e : stat_list())
        if (e.name == name) {
            if (liveness) *liveness = e.liveness;
            return true;
        }
    return false;
}

stat_identity identity(const std::string& name) { return {name, "unit_api", "198.18.0.2/24", "memory test"}; }

TEST(stat_segment, names) {
    EXPECT_TRUE(stat_name_valid("tachyon-echo-1234"));
    EXPECT_TRUE(stat_name_valid("a.b_c-d"));
    EXPECT_FALSE(stat_name_valid(""));
    EXPECT_FALSE(stat_name_valid(".hidden"));
    EXPECT_FALSE(stat_name_valid("a/b"));
    EXPECT_FALSE(stat_name_valid(std::string(49, 'x')));
    EXPECT_TRUE(stat_name_valid(stat_default_name())) << stat_default_name();
    EXPECT_TRUE(stat_default_name().ends_with("-" + std::to_string(::getpid())));
    EXPECT_NE(process_start_time(::getpid()), 0u);
    EXPECT_EQ(stat_layout_hash(), stat_layout_hash());
}

TEST(stat_segment, create_read_and_remove) {
    const std::string name = unique_name("crr");
    {
        auto seg = stat_segment::create(identity(name), 8);
        ASSERT_TRUE(seg) << seg.err().message;
        seg.value().counters()->udp.rx_datagrams = 41;
        ++seg.value().counters()->udp.rx_datagrams;
        stat_liveness l{};
        ASSERT_TRUE(listed(name, &l));
        EXPECT_EQ(l, stat_liveness::running);

        auto r = stat_reader::open(name);
        ASSERT_TRUE(r) << r.err().message;
        EXPECT_EQ(r.value().header().pid, ::getpid());
        EXPECT_STREQ(r.value().header().program, "unit_api");
        EXPECT_EQ(r.value().header().table_capacity, 8u);
        EXPECT_EQ(r.value().liveness(), stat_liveness::running);
        const stat_snapshot s = r.value().snapshot(false);
        EXPECT_EQ(s.counters.udp.rx_datagrams, 42u) << "the reader sees the stored counter";
        EXPECT_TRUE(s.consistent);
        EXPECT_TRUE(s.rows.empty());
        EXPECT_EQ(s.table_ns, 0);
    }
    EXPECT_FALSE(listed(name)) << "destruction removes the segment";
    EXPECT_FALSE(stat_reader::open(name));
}

TEST(stat_segment, a_live_owner_keeps_its_name) {
    const std::string name = unique_name("taken");
    auto first = stat_segment::create(identity(name), 1);
    ASSERT_TRUE(first);
    auto second = stat_segment::create(identity(name), 1);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.err().code, errc::in_use);
    EXPECT_NE(second.err().message.find("running process"), std::string::npos) << second.err().message;
    auto removed = stat_remove_stale(name);
    EXPECT_FALSE(removed) << "gc leaves a running stack's segment";
    EXPECT_TRUE(listed(name));
}

// A child creates the segment and dies by SIGKILL: nothing cleans up.
void create_in_killed_child(const std::string& name) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto seg = stat_segment::create(identity(name), 4);
        if (seg) seg.value().counters()->tcp.active_opens = 7;
        ::kill(::getpid(), SIGKILL);
        ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));
}

TEST(stat_segment, a_dead_owner_leaves_a_stale_segment_that_gc_removes) {
    const std::string name = unique_name("stale");
    create_in_killed_child(name);
    stat_liveness l{};
    ASSERT_TRUE(listed(name, &l));
    EXPECT_EQ(l, stat_liveness::stale);
    auto r = stat_reader::open(name);
    ASSERT_TRUE(r) << "a stale segment stays readable: " << r.err().message;
    EXPECT_EQ(r.value().liveness(), stat_liveness::stale);
    EXPECT_EQ(r.value().snapshot(true, duration::ms(10)).counters.tcp.active_opens, 7u) << "its last values";
    ASSERT_TRUE(stat_remove_stale(name));
    EXPECT_FALSE(listed(name));
    EXPECT_FALSE(stat_remove_stale(name)) << "nothing left to remove";
}

TEST(stat_segment, a_new_stack_takes_over_a_stale_name) {
    const std::string name = unique_name("over");
    create_in_killed_child(name);
    auto seg = stat_segment::create(identity(name), 2);
    ASSERT_TRUE(seg) << seg.err().message;
    auto r = stat_reader::open(name);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().header().pid, ::getpid());
    EXPECT_EQ(r.value().snapshot(false).counters.tcp.active_opens, 0u) << "fresh counters";
}

TEST(stat_segment, another_layout_is_refused) {
    const std::string name = unique_name("foreign");
    auto seg = stat_segment::create(identity(name), 2);
    ASSERT_TRUE(seg);
    seg.value().header().layout ^= 1; // as another build would have written it
    auto r = stat_reader::open(name);
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("another build"), std::string::npos) << r.err().message;
    stat_liveness l{};
    ASSERT_TRUE(listed(name, &l));
    EXPECT_EQ(l, stat_liveness::foreign);
    EXPECT_FALSE(stat_remove_stale(name)) << "its owner still runs";
}

TEST(stat_segment, an_incomplete_segment_is_refused_and_a_young_one_kept) {
    const std::string name = unique_name("partial");
    const int fd = ::shm_open(stat_shm_path(name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, off_t(stat_segment_bytes(1))), 0);
    ::close(fd);
    auto r = stat_reader::open(name);
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("not a complete"), std::string::npos) << r.err().message;
    stat_liveness l{};
    ASSERT_TRUE(listed(name, &l));
    EXPECT_EQ(l, stat_liveness::incomplete);
    EXPECT_FALSE(stat_remove_stale(name)) << "it may be one being created now";
    ::shm_unlink(stat_shm_path(name).c_str());
}

// A writer rewrites the whole table with one value per round (a round every few microseconds,
// far more often than the runtime's millisecond) while a reader copies it: every copy holds one
// round's value throughout.
TEST(stat_segment, seqlock_snapshots_are_whole) {
    const std::string name = unique_name("seq");
    auto created = stat_segment::create(identity(name), 64);
    ASSERT_TRUE(created);
    stat_segment& seg = created.value();
    std::atomic<bool> stop{false};
    std::atomic<uint32_t> rounds{0};
    struct joiner {
        std::atomic<bool>& stop;
        std::thread t;
        ~joiner() {
            stop = true;
            t.join();
        }
    };
    joiner writer{stop, std::thread([&] {
        for (uint32_t k = 1; !stop.load(std::memory_order_relaxed); ++k) {
            stat_header& h = seg.header();
            stat_write_begin(h);
            seg.cold().device.rx_frames = k;
            for (auto& row : seg.table()) {
                row.snd_una = row.snd_nxt = row.rcv_nxt = row.cwnd = row.srtt_us = k;
                row.rx = row.tx = k;
            }
            h.table_rows = 1 + k % 64;
            h.table_ns = k;
            stat_write_end(h);
            rounds.store(k, std::memory_order_relaxed);
            std::this_thread::sleep_for(std::chrono::microseconds(5));
        }
    })};
    auto r = stat_reader::open(name);
    ASSERT_TRUE(r);
    size_t checked = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (int i = 0; (i < 3000 || rounds.load() < 1000) && std::chrono::steady_clock::now() < until; ++i) {
        const stat_snapshot s = r.value().snapshot(false);
        ASSERT_TRUE(s.consistent);
        const uint64_t k = s.cold.device.rx_frames;
        ASSERT_EQ(uint64_t(s.table_ns), k);
        ASSERT_EQ(s.rows.size(), k == 0 ? 0 : 1 + k % 64);
        for (const auto& row : s.rows) {
            ASSERT_EQ(row.snd_una, k);
            ASSERT_EQ(row.rcv_nxt, k);
            ASSERT_EQ(row.srtt_us, k);
            ASSERT_EQ(row.tx, k);
        }
        checked += s.rows.size();
    }
    EXPECT_GT(checked, 0u);
    EXPECT_GE(rounds.load(), 1000u) << "the writer wrote while the reader read";
}

// Two stacks over the memory link, one counting into a segment: the counters move in the
// segment itself, and the publisher's table shows the listener, the connection and the socket.
struct stat_stack_test : ::testing::Test {
    manual_clock clock;
    memory_link link;
    std::string name = unique_name("stack");
    stat_segment seg; // before the stacks: b counts into it until its destruction
    std::unique_ptr<stack> a, b;

    void SetUp() override {
        stack_config ca, cb;
        ca.address = ipv4_cidr{ipv4_address{198, 18, 0, 1}, 24};
        cb.address = ipv4_cidr{ipv4_address{198, 18, 0, 2}, 24};
        auto created = stat_segment::create(identity(name), stat_table_rows(cb));
        ASSERT_TRUE(created);
        seg = std::move(created.value());
        a = std::move(stack::create(ca, link.a()).value());
        b = std::move(stack::create(cb, link.b(), seg.counters()).value());
        a->start(clock.now());
        b->start(clock.now());
    }
    void run(int rounds = 20) {
        for (int i = 0; i < rounds; ++i) {
            clock.advance(duration::us(100));
            a->poll(clock.now());
            b->poll(clock.now());
        }
    }
    static size_t stat_table_rows(const stack_config& c) {
        return c.tcp.max_connections + c.tcp.max_listeners + c.udp_sockets;
    }
};

TEST_F(stat_stack_test, counters_live_in_the_segment_and_the_table_is_published) {
    ASSERT_EQ(&b->stats(), seg.counters()) << "the stack counts in the segment";
    const auto accept = [](void*, tcp_id) {};
    ASSERT_TRUE(b->tcp_listen(9000, 8, accept, nullptr));
    auto udp = b->udp_open();
    ASSERT_TRUE(udp);
    ASSERT_EQ(b->udp_bind(udp.value(), ipv4_address::any(), 7000), errc::ok);
    auto conn = a->tcp_connect(ipv4_address{198, 18, 0, 2}, 9000, tcp_callbacks{}, duration::s(5), clock.now());
    ASSERT_TRUE(conn);
    run();
    ASSERT_EQ(a->tcp_connection_of(conn.value())->state(), tcp_state::established);

    stat_publisher pub(seg, *b);
    auto r = stat_reader::open(name);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().snapshot(false).table_ns, 0) << "nothing published yet";
    pub.refresh(clock.now(), true);
    const stat_snapshot s = r.value().snapshot(false);
    EXPECT_GT(s.counters.tcp.passive_opens, 0u);
    EXPECT_GT(s.counters.ipv4.rx_packets, 0u);
    EXPECT_EQ(s.cold.device.rx_frames, b->dev().stats().rx_frames);
    EXPECT_GT(s.cold.device.rx_frames, 0u);
    EXPECT_EQ(s.table_ns, clock.now().ns_since_epoch());
    ASSERT_EQ(s.rows.size(), 3u);
    const auto find = [&](stat_kind k) {
        return std::find_if(s.rows.begin(), s.rows.end(), [&](const stat_connection& c) { return c.kind == k; });
    };
    const auto listener = find(stat_kind::tcp_listen);
    ASSERT_NE(listener, s.rows.end());
    EXPECT_EQ(listener->local_port, 9000);
    const auto tcp = find(stat_kind::tcp);
    ASSERT_NE(tcp, s.rows.end());
    EXPECT_EQ(tcp_state(tcp->state), tcp_state::established);
    EXPECT_EQ(tcp->local_port, 9000);
    EXPECT_EQ(tcp->remote_address, (ipv4_address{198, 18, 0, 1}.value));
    const tcp_connection& c = *a->tcp_connection_of(conn.value());
    EXPECT_EQ(tcp->remote_port, c.tuple().local_port);
    EXPECT_EQ(tcp->rcv_nxt, c.snd_nxt().value());
    EXPECT_EQ(tcp->snd_nxt, c.rcv_nxt().value());
    EXPECT_GT(tcp->cwnd, 0u);
    EXPECT_GT(tcp->rto_us, 0u);
    EXPECT_NE(tcp->flags & stat_sack, 0) << "both ends offer SACK by default";
    const auto udp_row = find(stat_kind::udp);
    ASSERT_NE(udp_row, s.rows.end());
    EXPECT_EQ(udp_row->local_port, 7000);

    // A reader's request is answered by the next refresh, not before the period is up.
    const instant before = clock.now();
    pub.maybe_refresh(before); // within the period: nothing
    seg.header().request.fetch_add(1);
    pub.maybe_refresh(before);
    EXPECT_NE(seg.header().served, seg.header().request.load());
    clock.advance(duration::ms(1));
    pub.maybe_refresh(clock.now());
    EXPECT_EQ(seg.header().served, seg.header().request.load());
    EXPECT_EQ(r.value().snapshot(false).table_ns, clock.now().ns_since_epoch());
}

} // namespace
} // namespace tachyon
