/// tcp_table: slots, ids and their generations, the 4-tuple index, listeners and backlogs,
/// ephemeral ports and the dirty list; then random operations against a plain reference model.

#include "stack/net/tcp_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

namespace tachyon {
namespace {

constexpr ipv4_address local{198, 18, 0, 2};

/// A table of `n` connections and 2 listeners (backlog cap 4).
struct table_fixture {
    tcp_settings settings;
    tcp_stats stats;
    tcp_emit_queue out;
    tcp_table table;
    explicit table_fixture(size_t n)
        : settings(make(n)), out(64, 100, stats), table(settings, stats) {}
    static tcp_settings make(size_t n) {
        tcp_settings s;
        s.max_connections = n;
        s.max_listeners = 2;
        s.syn_backlog = 4;
        return s;
    }
    /// Allocates a slot for the tuple and opens it (SYN-SENT), as the stack's connect does.
    uint32_t open(ipv4_address remote, uint16_t remote_port, uint16_t local_port) {
        const tcp_tuple t{local, local_port, remote, remote_port};
        auto got = table.allocate(t);
        if (!got) return tcp_table::npos;
        table[*got].tcb->open_active(t, wire::seq32{1000}, 1460, instant{}, duration::s(5), out);
        out.clear();
        return *got;
    }
    /// Ends the connection in `slot` and gives the slot back, as the stack does.
    void close(uint32_t slot) {
        (void)table[slot].tcb->abort(out);
        out.clear();
        table.release(slot);
    }
};

TEST(tcp_table, ids_name_their_connection_until_the_slot_is_released) {
    table_fixture f(4);
    const uint32_t s = f.open({198, 18, 0, 1}, 80, 50000);
    ASSERT_NE(s, tcp_table::npos);
    const tcp_id id = f.table.id_of(s);
    EXPECT_EQ(tcp_table::slot_of(id), s);
    EXPECT_EQ(f.table.find(id), s);
    EXPECT_EQ(f.table.find({198, 18, 0, 1}, 80, 50000), s);
    EXPECT_EQ(f.table.find({198, 18, 0, 1}, 80, 50001), tcp_table::npos);
    f.close(s);
    EXPECT_FALSE(f.table.current(id));
    EXPECT_EQ(f.table.find(id), tcp_table::npos);
    EXPECT_EQ(f.table.find({198, 18, 0, 1}, 80, 50000), tcp_table::npos);
    // The slot comes back first (LIFO), under a new id: the old one stays stale.
    const uint32_t again = f.open({198, 18, 0, 1}, 80, 50000);
    EXPECT_EQ(again, s);
    EXPECT_NE(f.table.id_of(again), id);
    EXPECT_EQ(f.table.find(id), tcp_table::npos);
    EXPECT_EQ(f.table.find(f.table.id_of(again)), again);
    EXPECT_EQ(f.table.find(tcp_id(0xfffff)), tcp_table::npos) << "a slot past the table";
}

TEST(tcp_table, a_full_table_refuses_and_counts) {
    table_fixture f(2);
    ASSERT_NE(f.open({198, 18, 0, 1}, 80, 50000), tcp_table::npos);
    ASSERT_NE(f.open({198, 18, 0, 1}, 80, 50001), tcp_table::npos);
    auto got = f.table.allocate({local, 50002, {198, 18, 0, 1}, 80});
    ASSERT_FALSE(got);
    EXPECT_EQ(got.err().code, errc::no_space);
    EXPECT_EQ(f.stats.drop_table_full, 1u);
    EXPECT_EQ(f.table.size(), 2u);
}

TEST(tcp_table, allocation_clears_what_the_last_user_left) {
    table_fixture f(1);
    const uint32_t s = f.open({198, 18, 0, 1}, 80, 50000);
    f.table[s].callbacks.context = &f;
    f.table[s].eof_pending = true;
    f.close(s);
    const uint32_t again = f.open({198, 18, 0, 1}, 80, 50000);
    EXPECT_EQ(f.table[again].callbacks.context, nullptr);
    EXPECT_FALSE(f.table[again].eof_pending);
    EXPECT_EQ(f.table[again].listener, -1);
}

void accept_nothing(void*, tcp_id) {}

TEST(tcp_table, listeners_and_their_backlog) {
    table_fixture f(4);
    EXPECT_EQ(f.table.listen(0, 8, accept_nothing, nullptr).err().code, errc::invalid_argument);
    EXPECT_EQ(f.table.listen(80, 0, accept_nothing, nullptr).err().code, errc::invalid_argument);
    EXPECT_EQ(f.table.listen(80, 8, nullptr, nullptr).err().code, errc::invalid_argument);
    auto l = f.table.listen(80, 8, accept_nothing, nullptr);
    ASSERT_TRUE(l);
    EXPECT_EQ(f.table.listener(*l).backlog, 4u) << "capped at syn_backlog";
    EXPECT_EQ(f.table.find_listener(80), *l);
    EXPECT_EQ(f.table.listen(80, 8, accept_nothing, nullptr).err().code, errc::in_use);
    ASSERT_TRUE(f.table.listen(81, 8, accept_nothing, nullptr));
    EXPECT_EQ(f.table.listen(82, 8, accept_nothing, nullptr).err().code, errc::no_space);

    // A half-open connection holds one place until it is established or released.
    const uint32_t a = f.open({198, 18, 0, 1}, 40000, 80), b = f.open({198, 18, 0, 1}, 40001, 80);
    f.table.hold_backlog(a, *l);
    f.table.hold_backlog(b, *l);
    EXPECT_EQ(f.table.listener(*l).half_open, 2u);
    f.table.unhold_backlog(a);
    f.table.unhold_backlog(a); // once only
    EXPECT_EQ(f.table.listener(*l).half_open, 1u);
    f.close(b); // released while half-open: the place comes back
    EXPECT_EQ(f.table.listener(*l).half_open, 0u);

    f.table.unlisten(80);
    EXPECT_EQ(f.table.find_listener(80), tcp_table::npos);
    EXPECT_TRUE(f.table.listen(82, 8, accept_nothing, nullptr)) << "the slot is free again";
}

TEST(tcp_table, ephemeral_ports_skip_tuples_in_use_and_listening_ports) {
    table_fixture f(4);
    ASSERT_NE(f.open({198, 18, 0, 1}, 80, 49152), tcp_table::npos);
    ASSERT_TRUE(f.table.listen(49153, 1, accept_nothing, nullptr));
    EXPECT_EQ(f.table.ephemeral_port({198, 18, 0, 1}, 80), 49154);
    EXPECT_EQ(f.table.ephemeral_port({198, 18, 0, 1}, 80), 49155) << "in turn";
    // Another remote: 49152 is free towards it, but the turn goes on.
    EXPECT_EQ(f.table.ephemeral_port({198, 18, 0, 9}, 80), 49156);
}

TEST(tcp_table, ephemeral_ports_wrap_and_run_out) {
    tcp_settings s = table_fixture::make(1);
    s.max_listeners = 1;
    tcp_stats stats;
    tcp_table t(s, stats);
    uint16_t last = 0;
    for (int i = 0; i < 16384; ++i) last = t.ephemeral_port({198, 18, 0, 1}, 80);
    EXPECT_EQ(last, 65535);
    EXPECT_EQ(t.ephemeral_port({198, 18, 0, 1}, 80), 49152) << "wraps to the start of the range";
}

TEST(tcp_table, dirty_slots_are_visited_once_in_order_and_again_when_marked_again) {
    table_fixture f(4);
    EXPECT_TRUE(f.table.mark_dirty(2));
    EXPECT_TRUE(f.table.mark_dirty(0));
    EXPECT_FALSE(f.table.mark_dirty(2));
    std::vector<uint32_t> seen;
    bool remarked = false;
    f.table.drain_dirty([&](uint32_t s) {
        seen.push_back(s);
        if (s == 0 && !remarked) remarked = f.table.mark_dirty(0); // a callback sends again
    });
    EXPECT_EQ(seen, (std::vector<uint32_t>{2, 0, 0}));
    EXPECT_FALSE(f.table[0].dirty);
    seen.clear();
    f.table.drain_dirty([&](uint32_t s) { seen.push_back(s); });
    EXPECT_TRUE(seen.empty());
}

// Random opens, closes and lookups against a reference model: the open connections by slot
// with their tuple and id, and every id ever handed out.
TEST(tcp_table, random_operations_match_a_reference_model) {
    for (uint32_t seed = 1; seed <= 8; ++seed) {
        SCOPED_TRACE(seed);
        std::mt19937 rng(seed);
        const size_t n = 1 + rng() % 40;
        table_fixture f(n);
        struct open_conn {
            ipv4_address remote;
            uint16_t remote_port, local_port;
            tcp_id id;
        };
        std::map<uint32_t, open_conn> model;
        std::set<uint64_t> tuples_in_use;
        std::vector<tcp_id> stale;
        const auto tuple_key = [](ipv4_address r, uint16_t rp, uint16_t lp) {
            return uint64_t(r.value) << 32 | uint32_t(rp) << 16 | lp;
        };
        for (int step = 0; step < 3000; ++step) {
            const unsigned op = rng() % 4;
            if (op <= 1) { // open a tuple not in use (the stack checks before it allocates)
                const ipv4_address r{198, 18, 1, uint8_t(rng() % 8)};
                const uint16_t rp = uint16_t(80 + rng() % 4), lp = uint16_t(50000 + rng() % 16);
                if (tuples_in_use.count(tuple_key(r, rp, lp))) continue;
                const uint32_t s = f.open(r, rp, lp);
                if (model.size() == n) {
                    ASSERT_EQ(s, tcp_table::npos) << "full";
                    continue;
                }
                ASSERT_NE(s, tcp_table::npos);
                ASSERT_EQ(model.count(s), 0u) << "a slot handed out twice";
                model[s] = {r, rp, lp, f.table.id_of(s)};
                tuples_in_use.insert(tuple_key(r, rp, lp));
            } else if (op == 2 && !model.empty()) { // close one
                auto it = std::next(model.begin(), long(rng() % model.size()));
                f.close(it->first);
                stale.push_back(it->second.id);
                tuples_in_use.erase(tuple_key(it->second.remote, it->second.remote_port, it->second.local_port));
                model.erase(it);
            } else if (!stale.empty()) { // an old id never reaches a connection
                const tcp_id old = stale[rng() % stale.size()];
                ASSERT_EQ(f.table.find(old), tcp_table::npos);
            }
            // Invariants after every step.
            ASSERT_EQ(f.table.size(), model.size());
            for (const auto& [slot, c] : model) {
                ASSERT_EQ(f.table.find(c.id), slot);
                ASSERT_EQ(f.table.find(c.remote, c.remote_port, c.local_port), slot);
            }
        }
    }
}

} // namespace
} // namespace tachyon
