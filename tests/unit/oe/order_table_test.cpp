/// The order table: each OUCH 4.2 life cycle (accepted, partial and full executions, partial
/// and full cancels, rejected, replaced), events it must refuse (counted, nothing changed), a
/// full table, and a property test against a std::map reference under random operations.

#include "apps/oe/order_table.hpp"

#include <iterator>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace tachyon::oe {
namespace {

ouch_token tok(const std::string& s) {
    ouch_token t;
    t.fill(' ');
    for (size_t i = 0; i < s.size() && i < t.size(); ++i) t[i] = s[i];
    return t;
}

ouch_enter_order enter_msg(const std::string& token, uint32_t shares, uint32_t price = 1000000) {
    ouch_enter_order o;
    o.token = tok(token);
    o.side = 'B';
    o.shares = shares;
    o.stock = {'A', 'A', 'P', 'L', ' ', ' ', ' ', ' '};
    o.price = price;
    return o;
}

ouch_accepted accepted_msg(const std::string& token, uint32_t shares, uint64_t ref = 7) {
    ouch_accepted a;
    a.token = tok(token);
    a.terms.shares = shares;
    a.terms.price = 1000000;
    a.terms.order_ref = ref;
    return a;
}

ouch_executed executed_msg(const std::string& token, uint32_t shares) {
    ouch_executed e;
    e.token = tok(token);
    e.executed_shares = shares;
    return e;
}

ouch_canceled canceled_msg(const std::string& token, uint32_t shares) {
    ouch_canceled c;
    c.token = tok(token);
    c.decrement_shares = shares;
    return c;
}

ouch_rejected rejected_msg(const std::string& token) {
    ouch_rejected r;
    r.token = tok(token);
    r.reason = 'S';
    return r;
}

constexpr auto ok = order_outcome::applied;

TEST(order_table, accepted_then_executed_in_two_parts) {
    order_table t(4);
    ASSERT_EQ(t.enter(enter_msg("T1", 300)), ok);
    EXPECT_EQ(t.find(tok("T1"))->state, order_state::pending_new);
    ASSERT_EQ(t.apply(accepted_msg("T1", 300, 99)), ok);
    EXPECT_EQ(t.find(tok("T1"))->order_ref, 99u);
    ASSERT_EQ(t.apply(executed_msg("T1", 100)), ok);
    EXPECT_EQ(t.find(tok("T1"))->state, order_state::partially_executed);
    EXPECT_EQ(t.find(tok("T1"))->leaves(), 200u);
    ASSERT_EQ(t.apply(executed_msg("T1", 200)), ok);
    EXPECT_EQ(t.find(tok("T1"))->state, order_state::executed);
    EXPECT_EQ(t.stats().fully_executed, 1u);
    EXPECT_EQ(t.stats().executed_shares, 300u);
    // Final: nothing more applies.
    EXPECT_EQ(t.apply(executed_msg("T1", 1)), order_outcome::bad_transition);
    EXPECT_EQ(t.apply(canceled_msg("T1", 1)), order_outcome::bad_transition);
    EXPECT_EQ(t.stats().bad_transition, 2u);
}

TEST(order_table, partial_cancel_keeps_it_live_full_cancel_ends_it) {
    order_table t(4);
    t.enter(enter_msg("T1", 300));
    t.apply(accepted_msg("T1", 300));
    ASSERT_EQ(t.request_cancel(tok("T1")), ok);
    EXPECT_TRUE(t.find(tok("T1"))->cancel_requested);
    ASSERT_EQ(t.apply(canceled_msg("T1", 100)), ok);
    EXPECT_EQ(t.find(tok("T1"))->state, order_state::accepted);
    ASSERT_EQ(t.apply(executed_msg("T1", 50)), ok);
    EXPECT_EQ(t.apply(canceled_msg("T1", 151)), order_outcome::bad_transition); // more than is left
    ASSERT_EQ(t.apply(canceled_msg("T1", 150)), ok);
    EXPECT_EQ(t.find(tok("T1"))->state, order_state::canceled);
    EXPECT_EQ(t.stats().fully_canceled, 1u);
    EXPECT_EQ(t.request_cancel(tok("T1")), order_outcome::bad_transition);
}

TEST(order_table, rejected_only_before_acceptance) {
    order_table t(4);
    t.enter(enter_msg("T1", 100));
    ASSERT_EQ(t.apply(rejected_msg("T1")), ok);
    EXPECT_EQ(t.find(tok("T1"))->state, order_state::rejected);
    EXPECT_EQ(t.apply(accepted_msg("T1", 100)), order_outcome::bad_transition);
    t.enter(enter_msg("T2", 100));
    t.apply(accepted_msg("T2", 100));
    EXPECT_EQ(t.apply(rejected_msg("T2")), order_outcome::bad_transition);
    EXPECT_EQ(t.apply(accepted_msg("T2", 100)), order_outcome::bad_transition); // twice
}

TEST(order_table, replaced_moves_the_order_to_its_new_token) {
    order_table t(4);
    t.enter(enter_msg("OLD", 300));
    t.apply(accepted_msg("OLD", 300));
    t.apply(executed_msg("OLD", 100));
    ouch_replace_order rq;
    rq.existing_token = tok("OLD");
    rq.replacement_token = tok("NEW");
    rq.shares = 150;
    rq.price = 990000;
    ASSERT_EQ(t.request_replace(rq), ok);
    EXPECT_EQ(t.find(tok("NEW"))->state, order_state::pending_replace);
    ouch_replaced m;
    m.replacement_token = tok("NEW");
    m.previous_token = tok("OLD");
    m.terms.shares = 150;
    m.terms.price = 990000;
    m.terms.order_ref = 8;
    ASSERT_EQ(t.apply(m), ok);
    EXPECT_EQ(t.find(tok("OLD"))->state, order_state::replaced);
    EXPECT_EQ(t.find(tok("NEW"))->state, order_state::accepted);
    EXPECT_EQ(t.find(tok("NEW"))->leaves(), 150u);
    EXPECT_EQ(t.find(tok("NEW"))->side, 'B');
    EXPECT_EQ(t.apply(m), order_outcome::bad_transition); // twice
    EXPECT_EQ(t.apply(executed_msg("OLD", 1)), order_outcome::bad_transition);
}

TEST(order_table, unknown_tokens_duplicates_and_a_full_table_are_counted) {
    order_table t(2);
    EXPECT_EQ(t.apply(accepted_msg("NOPE", 1)), order_outcome::unknown_token);
    EXPECT_EQ(t.request_cancel(tok("NOPE")), order_outcome::unknown_token);
    ASSERT_EQ(t.enter(enter_msg("A", 1)), ok);
    EXPECT_EQ(t.enter(enter_msg("A", 1)), order_outcome::duplicate);
    ASSERT_EQ(t.enter(enter_msg("B", 1)), ok);
    EXPECT_EQ(t.enter(enter_msg("C", 1)), order_outcome::table_full);
    EXPECT_EQ(t.stats().unknown_token, 2u);
    EXPECT_EQ(t.stats().duplicate, 1u);
    EXPECT_EQ(t.stats().table_full, 1u);
    ASSERT_TRUE(t.erase(tok("A")));
    EXPECT_FALSE(t.erase(tok("A")));
    EXPECT_EQ(t.enter(enter_msg("C", 1)), ok);
    EXPECT_EQ(t.size(), 2u);
}

/// The reference: a std::map of plain records and the rules written out again.
struct ref_order {
    order_state state;
    uint32_t shares, executed = 0, canceled = 0;
    std::string previous;
};

TEST(order_table_property, random_operations_match_a_std_map_reference) {
    std::mt19937_64 rng(15);
    for (int run = 0; run < 40; ++run) {
        const size_t cap = 1 + rng() % 40;
        order_table t(cap);
        std::map<std::string, ref_order> ref;
        const auto live = [](const ref_order& r) {
            return r.state == order_state::accepted || r.state == order_state::partially_executed;
        };
        for (int op = 0; op < 20000; ++op) {
            std::string k = "T" + std::to_string(rng() % 60);
            if (!ref.empty() && rng() % 4 == 0) k = std::next(ref.begin(), long(rng() % ref.size()))->first;
            const auto it = ref.find(k);
            const bool have = it != ref.end();
            const uint32_t n = uint32_t(rng() % 120);
            order_outcome want = ok, got = ok;
            switch (rng() % 8) {
            case 0:
                want = have ? order_outcome::duplicate : ref.size() == cap ? order_outcome::table_full : ok;
                if (want == ok) ref[k] = {order_state::pending_new, n, 0, 0, {}};
                got = t.enter(enter_msg(k, n));
                break;
            case 1:
                want = !have ? order_outcome::unknown_token
                             : it->second.state != order_state::pending_new ? order_outcome::bad_transition : ok;
                if (want == ok) it->second.state = order_state::accepted;
                got = t.apply(accepted_msg(k, have ? it->second.shares : 0));
                break;
            case 2:
                want = !have ? order_outcome::unknown_token
                             : it->second.state != order_state::pending_new ? order_outcome::bad_transition : ok;
                if (want == ok) it->second.state = order_state::rejected;
                got = t.apply(rejected_msg(k));
                break;
            case 3: {
                ref_order none{};
                auto& r = have ? it->second : none;
                want = !have ? order_outcome::unknown_token
                             : !live(r) || n == 0 || n > r.shares - r.executed - r.canceled ? order_outcome::bad_transition
                                                                                            : ok;
                if (want == ok) {
                    r.executed += n;
                    r.state = r.shares == r.executed + r.canceled ? order_state::executed
                                                                  : order_state::partially_executed;
                }
                got = t.apply(executed_msg(k, n));
                break;
            }
            case 4: {
                ref_order none{};
                auto& r = have ? it->second : none;
                want = !have ? order_outcome::unknown_token
                             : !live(r) || n > r.shares - r.executed - r.canceled ? order_outcome::bad_transition : ok;
                if (want == ok) {
                    r.canceled += n;
                    if (r.shares == r.executed + r.canceled) r.state = order_state::canceled;
                }
                got = t.apply(canceled_msg(k, n));
                break;
            }
            case 5: { // replace k by a fresh token, then (usually) the exchange's Replaced
                const std::string k2 = "R" + std::to_string(op);
                ouch_replace_order rq;
                rq.existing_token = tok(k);
                rq.replacement_token = tok(k2);
                rq.shares = n;
                want = !have ? order_outcome::unknown_token
                             : !live(it->second) ? order_outcome::bad_transition
                             : ref.size() == cap ? order_outcome::table_full
                                                 : ok;
                got = t.request_replace(rq);
                if (want != ok) break;
                ref[k2] = {order_state::pending_replace, n, 0, 0, k};
                if (rng() % 4 == 0) break;
                ouch_replaced m;
                m.replacement_token = tok(k2);
                m.previous_token = tok(k);
                m.terms.shares = n;
                ASSERT_EQ(t.apply(m), ok);
                ref[k].state = order_state::replaced;
                ref[k2].state = order_state::accepted;
                break;
            }
            case 6: // erase a final order
                if (have && is_final(it->second.state)) {
                    ASSERT_TRUE(t.erase(tok(k)));
                    ref.erase(it);
                }
                break;
            default:
                want = !have ? order_outcome::unknown_token : !live(it->second) ? order_outcome::bad_transition : ok;
                got = t.request_cancel(tok(k));
                break;
            }
            ASSERT_EQ(got, want) << "run " << run << " op " << op << " token " << k;
            ASSERT_EQ(t.size(), ref.size());
        }
        for (const auto& [k, r] : ref) {
            const order_record* o = t.find(tok(k));
            ASSERT_NE(o, nullptr);
            EXPECT_EQ(o->state, r.state);
            EXPECT_EQ(o->shares, r.shares);
            EXPECT_EQ(o->executed, r.executed);
            EXPECT_EQ(o->canceled, r.canceled);
        }
    }
}

} // namespace
} // namespace tachyon::oe
