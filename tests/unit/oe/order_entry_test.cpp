/// Order entry over the session: an Enter Order leaves as one whole Unsequenced Data packet,
/// the exchange's messages move the order table, refusals (not logged in, token in use, table
/// full, send buffer full) are counted and send nothing, and after a reconnect a replayed
/// Accepted or Executed is never applied twice.

#include "apps/oe/order_entry.hpp"

#include <gtest/gtest.h>

#include "unit/oe/session_host.hpp"

namespace tachyon::oe {
namespace {

using namespace test;

instant t0() { return instant::from_ns(0); }

ouch_token tok(const char* s) {
    ouch_token t;
    t.fill(' ');
    for (size_t i = 0; s[i] != 0 && i < t.size(); ++i) t[i] = s[i];
    return t;
}

ouch_enter_order order(const char* token, uint32_t shares) {
    ouch_enter_order o;
    o.token = tok(token);
    o.side = 'S';
    o.shares = shares;
    o.stock = {'M', 'S', 'F', 'T', ' ', ' ', ' ', ' '};
    o.price = 3100000;
    o.time_in_force = 99999;
    o.display = 'Y';
    o.capacity = 'A';
    o.iso = 'N';
    o.cross_type = 'N';
    o.customer_type = 'N';
    return o;
}

/// An outbound OUCH message as the Sequenced Data packet that carries it.
template <class M>
std::vector<std::byte> seq(const M& m) {
    std::vector<std::byte> b(ouch_packet_length<M>());
    (void)ouch_emit_packet(m, std::span<std::byte>(b));
    return b;
}

/// Accepted for `token` with `shares`.
ouch_accepted accept(const char* token, uint32_t shares, uint64_t ref = 0) {
    ouch_accepted a;
    a.token = tok(token);
    a.terms.shares = shares;
    a.terms.order_ref = ref;
    return a;
}

/// A host that also records the order events.
struct order_host : session_host {
    std::vector<std::pair<char, order_state>> events; ///< (message type, state after)
    void on_order(const order_record& r, char type) { events.emplace_back(type, r.state); }
};

struct fixture {
    order_host host;
    order_entry oe{soup_session_config::make("TRADER", "SECRET"), 2};
    void login(uint64_t seq = 1) {
        ASSERT_TRUE(oe.connected(t0(), host));
        (void)host.take();
        oe.receive(accepted("SESS1", seq), t0(), host);
        ASSERT_EQ(oe.session().state(), soup_session_state::logged_in);
    }
};

TEST(order_entry, an_order_leaves_whole_and_its_life_follows_the_exchange) {
    fixture f;
    f.login();
    ASSERT_EQ(f.oe.enter(order("ORD1", 200), t0(), f.host), entry_result::sent);
    EXPECT_EQ(f.host.sends, 2u); // the login, then the order in one piece
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].type, soup_type::unsequenced_data);
    ouch_enter_order back;
    ASSERT_EQ(ouch_parse(sent[0].payload, back), ouch_error::ok);
    EXPECT_EQ(back, order("ORD1", 200));

    const ouch_accepted a = accept("ORD1", 200, 5);
    ouch_executed e;
    e.token = tok("ORD1");
    e.executed_shares = 200;
    ouch_system_event se;
    se.event_code = 'S';
    f.oe.receive(cat({seq(se), seq(a), seq(e)}), t0(), f.host);
    EXPECT_EQ(f.oe.orders().find(tok("ORD1"))->state, order_state::executed);
    ASSERT_EQ(f.host.events.size(), 2u);
    EXPECT_EQ(f.host.events[0], std::make_pair('A', order_state::accepted));
    EXPECT_EQ(f.host.events[1], std::make_pair('E', order_state::executed));
    EXPECT_EQ(f.oe.stats().system_events, 1u);
    EXPECT_EQ(f.oe.ouch_counts().by_type['E'], 1u);
}

TEST(order_entry, refusals_are_counted_and_send_nothing) {
    fixture f;
    EXPECT_EQ(f.oe.enter(order("A", 1), t0(), f.host), entry_result::not_logged_in);
    f.login();
    ASSERT_EQ(f.oe.enter(order("A", 1), t0(), f.host), entry_result::sent);
    EXPECT_EQ(f.oe.enter(order("A", 1), t0(), f.host), entry_result::duplicate);
    f.host.space = ouch_packet_length<ouch_enter_order>() - 1;
    EXPECT_EQ(f.oe.enter(order("B", 1), t0(), f.host), entry_result::buffer_full);
    EXPECT_EQ(f.oe.orders().find(tok("B")), nullptr); // not in the table either
    f.host.space = 1 << 20;
    ASSERT_EQ(f.oe.enter(order("B", 1), t0(), f.host), entry_result::sent);
    EXPECT_EQ(f.oe.enter(order("C", 1), t0(), f.host), entry_result::table_full);
    EXPECT_EQ(f.oe.cancel(tok("A"), 0, t0(), f.host), entry_result::not_live); // not accepted yet
    EXPECT_EQ(f.oe.cancel(tok("Z"), 0, t0(), f.host), entry_result::unknown_token);
    const auto& s = f.oe.stats();
    EXPECT_EQ(s.orders_sent, 2u);
    EXPECT_EQ(s.refused_not_logged_in, 1u);
    EXPECT_EQ(s.refused_duplicate, 1u);
    EXPECT_EQ(s.refused_buffer_full, 1u);
    EXPECT_EQ(s.refused_table_full, 1u);
    EXPECT_EQ(s.refused_other, 2u);
    EXPECT_EQ(f.host.take().size(), 2u); // exactly the two orders
}

TEST(order_entry, cancel_goes_out_and_the_canceled_ends_the_order) {
    fixture f;
    f.login();
    f.oe.enter(order("A", 100), t0(), f.host);
    const ouch_accepted a = accept("A", 100);
    f.oe.receive(seq(a), t0(), f.host);
    (void)f.host.take();
    ASSERT_EQ(f.oe.cancel(tok("A"), 0, t0(), f.host), entry_result::sent);
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    ouch_cancel_order x;
    ASSERT_EQ(ouch_parse(sent[0].payload, x), ouch_error::ok);
    EXPECT_EQ(x.token, tok("A"));
    ouch_canceled c;
    c.token = tok("A");
    c.decrement_shares = 100;
    c.reason = 'U';
    f.oe.receive(seq(c), t0(), f.host);
    EXPECT_EQ(f.oe.orders().find(tok("A"))->state, order_state::canceled);
    EXPECT_TRUE(f.oe.erase(tok("A")));
}

TEST(order_entry, a_replay_after_reconnect_is_never_applied_twice) {
    fixture f;
    f.login();
    f.oe.enter(order("A", 100), t0(), f.host);
    const ouch_accepted a = accept("A", 100);
    ouch_executed e;
    e.token = tok("A");
    e.executed_shares = 40;
    f.oe.receive(cat({seq(a), seq(e)}), t0(), f.host);
    f.oe.disconnected(f.host);
    ASSERT_EQ(f.oe.enter(order("B", 1), t0(), f.host), entry_result::not_logged_in);
    ASSERT_TRUE(f.oe.connected(t0(), f.host));
    // The server replays from 1: Accepted and the first Executed again, then a new Executed.
    f.oe.receive(cat({accepted("SESS1", 1), seq(a), seq(e), seq(e)}), t0(), f.host);
    const order_record* r = f.oe.orders().find(tok("A"));
    EXPECT_EQ(r->executed, 80u);
    EXPECT_EQ(r->state, order_state::partially_executed);
    EXPECT_EQ(f.oe.orders().stats().accepted, 1u);
    EXPECT_EQ(f.oe.orders().stats().executions, 2u);
    EXPECT_EQ(f.oe.session().stats().duplicates, 2u);
    EXPECT_EQ(f.oe.stats().table_mismatch, 0u);
}

TEST(order_entry, resend_repeats_only_an_unanswered_order_and_leaves_the_table_alone) {
    fixture f;
    f.login();
    ASSERT_EQ(f.oe.enter(order("A", 100), t0(), f.host), entry_result::sent);
    ASSERT_EQ(f.oe.enter(order("B", 100), t0(), f.host), entry_result::sent);
    const ouch_accepted a = accept("A", 100);
    f.oe.receive(seq(a), t0(), f.host);
    f.oe.disconnected(f.host);
    EXPECT_EQ(f.oe.resend(order("B", 100), t0(), f.host), entry_result::not_logged_in);
    ASSERT_TRUE(f.oe.connected(t0(), f.host));
    f.oe.receive(accepted("SESS1", 2), t0(), f.host);
    (void)f.host.take();
    EXPECT_EQ(f.oe.resend(order("A", 100), t0(), f.host), entry_result::not_live); // answered already
    EXPECT_EQ(f.oe.resend(order("C", 100), t0(), f.host), entry_result::unknown_token);
    ASSERT_EQ(f.oe.resend(order("B", 100), t0(), f.host), entry_result::sent);
    auto sent = f.host.take();
    ASSERT_EQ(sent.size(), 1u);
    ouch_enter_order back;
    ASSERT_EQ(ouch_parse(sent[0].payload, back), ouch_error::ok);
    EXPECT_EQ(back.token, tok("B"));
    EXPECT_EQ(f.oe.stats().resent, 1u);
    EXPECT_EQ(f.oe.stats().orders_sent, 2u);
    EXPECT_EQ(f.oe.orders().size(), 2u);
}

TEST(order_entry, a_message_the_table_cannot_apply_is_counted) {
    fixture f;
    f.login();
    ouch_executed e;
    e.token = tok("GHOST");
    e.executed_shares = 1;
    f.oe.receive(seq(e), t0(), f.host);
    EXPECT_EQ(f.oe.stats().table_mismatch, 1u);
    EXPECT_TRUE(f.host.events.empty());
}

} // namespace
} // namespace tachyon::oe
