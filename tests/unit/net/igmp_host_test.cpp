// The IGMP host on a manual clock: state-change reports and their repetitions, merged
// changes, answers to general and group queries within the maximum response time, and the
// fall-back to v2 and v1 when older queriers speak (RFC 3376 §5, §7.2; RFC 2236 §3).

#include <gtest/gtest.h>

#include <vector>

#include "stack/core/clock.hpp"
#include "stack/net/igmp_host.hpp"

namespace tachyon {
namespace {

const ipv4_address g1{239, 1, 1, 1};
const ipv4_address g2{239, 1, 1, 2};
const ipv4_address s1{198, 18, 0, 10};
const ipv4_address s2{198, 18, 0, 11};

/// One message as sent, with its records copied out.
struct sent_message {
    instant at;
    uint8_t type;
    ipv4_address group;
    struct record {
        wire::igmp_record_type type;
        ipv4_address group;
        std::vector<ipv4_address> sources;
    };
    std::vector<record> records;
};

struct igmp_host_test : ::testing::Test {
    multicast_settings settings;
    manual_clock clock;
    std::vector<sent_message> sent;

    void tick(igmp_host& h, duration total, duration step = duration::ms(10)) {
        for (duration d{}; d < total; d += step) {
            clock.advance(step);
            h.on_timer(clock.now(), [&](const igmp_output& m) {
                sent_message s{clock.now(), m.type, m.group, {}};
                for (const auto& r : m.records)
                    s.records.push_back({r.type, r.group, std::vector<ipv4_address>(r.sources.begin(), r.sources.end())});
                sent.push_back(std::move(s));
            });
        }
    }
    static wire::igmp_query query(wire::igmp_version v, ipv4_address group, uint8_t max_resp_code) {
        wire::igmp_query q;
        q.version = v;
        q.group = group;
        q.max_resp_code = max_resp_code;
        return q;
    }
};

TEST_F(igmp_host_test, an_any_source_join_is_reported_at_once_and_once_more_within_a_second) {
    igmp_host h(settings, 1);
    ASSERT_EQ(h.set_state(g1, true, {}, clock.now()), errc::ok);
    EXPECT_TRUE(h.joined(g1));
    EXPECT_TRUE(h.accepts(g1, s1));
    instant joined = clock.now();
    h.on_timer(clock.now(), [&](const igmp_output& m) {
        ASSERT_EQ(m.type, wire::igmp_type::v3_membership_report);
        ASSERT_EQ(m.records.size(), 1u);
        EXPECT_EQ(m.records[0].type, wire::igmp_record_type::change_to_exclude);
        EXPECT_EQ(m.records[0].group, g1);
        sent.push_back({clock.now(), m.type, {}, {}});
    });
    ASSERT_EQ(sent.size(), 1u) << "sent immediately";
    tick(h, duration::s(3));
    ASSERT_EQ(sent.size(), 2u) << "robustness 2: one repetition";
    EXPECT_LE(sent[1].at - joined, duration::s(1)) << "within the unsolicited report interval";
    EXPECT_EQ(h.next_deadline(), instant::never());
}

TEST_F(igmp_host_test, leaving_reports_to_include_nothing_then_forgets_the_group) {
    igmp_host h(settings, 2);
    (void)h.set_state(g1, true, {}, clock.now());
    tick(h, duration::s(2));
    sent.clear();
    ASSERT_EQ(h.set_state(g1, false, {}, clock.now()), errc::ok);
    EXPECT_FALSE(h.joined(g1));
    tick(h, duration::s(2));
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& m : sent) {
        ASSERT_EQ(m.records.size(), 1u);
        EXPECT_EQ(m.records[0].type, wire::igmp_record_type::change_to_include);
        EXPECT_TRUE(m.records[0].sources.empty());
    }
    EXPECT_EQ(h.size(), 0u) << "the slot is free once the leave is reported";
}

TEST_F(igmp_host_test, source_specific_joins_allow_and_block_sources) {
    igmp_host h(settings, 3);
    const ipv4_address one[] = {s1};
    ASSERT_EQ(h.set_state(g1, false, one, clock.now()), errc::ok);
    EXPECT_TRUE(h.accepts(g1, s1));
    EXPECT_FALSE(h.accepts(g1, s2));
    tick(h, duration::s(2));
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent[0].records[0].type, wire::igmp_record_type::allow_new_sources);
    EXPECT_EQ(sent[0].records[0].sources, std::vector<ipv4_address>{s1});
    sent.clear();
    const ipv4_address other[] = {s2};
    ASSERT_EQ(h.set_state(g1, false, other, clock.now()), errc::ok);
    tick(h, duration::ms(10));
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].records.size(), 2u) << "INCLUDE(A) to INCLUDE(B): ALLOW(B-A) and BLOCK(A-B)";
    EXPECT_EQ(sent[0].records[0].type, wire::igmp_record_type::allow_new_sources);
    EXPECT_EQ(sent[0].records[0].sources, std::vector<ipv4_address>{s2});
    EXPECT_EQ(sent[0].records[1].type, wire::igmp_record_type::block_old_sources);
    EXPECT_EQ(sent[0].records[1].sources, std::vector<ipv4_address>{s1});
}

TEST_F(igmp_host_test, a_change_during_repetitions_is_merged) {
    igmp_host h(settings, 4);
    const ipv4_address one[] = {s1};
    (void)h.set_state(g1, false, one, clock.now());
    tick(h, duration::ms(10)); // first report sent; a repetition is pending
    sent.clear();
    (void)h.set_state(g1, true, {}, clock.now()); // now any source
    tick(h, duration::s(2));
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& m : sent) EXPECT_EQ(m.records[0].type, wire::igmp_record_type::change_to_exclude);
}

TEST_F(igmp_host_test, a_leave_while_the_join_is_being_repeated_is_reported) {
    igmp_host h(settings, 11);
    (void)h.set_state(g1, true, {}, clock.now());
    tick(h, duration::ms(10)); // the join went out; its repetition is pending
    sent.clear();
    (void)h.set_state(g1, false, {}, clock.now());
    tick(h, duration::s(3));
    ASSERT_EQ(sent.size(), 2u);
    for (const auto& m : sent) {
        ASSERT_EQ(m.records.size(), 1u);
        EXPECT_EQ(m.records[0].type, wire::igmp_record_type::change_to_include) << "RFC 3376 §5.1: TO_IN({})";
    }
    // Joined and left before anything went out: nothing to say.
    sent.clear();
    (void)h.set_state(g2, true, {}, clock.now());
    (void)h.set_state(g2, false, {}, clock.now());
    tick(h, duration::s(3));
    EXPECT_TRUE(sent.empty());
}

TEST_F(igmp_host_test, a_general_query_is_answered_with_every_group_within_max_response_time) {
    igmp_host h(settings, 5);
    const ipv4_address one[] = {s1};
    (void)h.set_state(g1, true, {}, clock.now());
    (void)h.set_state(g2, false, one, clock.now());
    tick(h, duration::s(2));
    sent.clear();
    instant asked = clock.now();
    h.on_query(query(wire::igmp_version::v3, ipv4_address::any(), 20), wire::igmp_address::all_systems, clock.now()); // 2 s
    tick(h, duration::s(3));
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_LE(sent[0].at - asked, duration::s(2));
    ASSERT_EQ(sent[0].records.size(), 2u);
    EXPECT_EQ(sent[0].records[0].type, wire::igmp_record_type::mode_is_exclude);
    EXPECT_EQ(sent[0].records[1].type, wire::igmp_record_type::mode_is_include);
    EXPECT_EQ(sent[0].records[1].sources, std::vector<ipv4_address>{s1});
}

TEST_F(igmp_host_test, a_group_query_is_answered_for_that_group_only) {
    igmp_host h(settings, 6);
    (void)h.set_state(g1, true, {}, clock.now());
    (void)h.set_state(g2, true, {}, clock.now());
    tick(h, duration::s(2));
    sent.clear();
    h.on_query(query(wire::igmp_version::v3, g2, 10), g2, clock.now());
    h.on_query(query(wire::igmp_version::v3, ipv4_address{239, 9, 9, 9}, 10), ipv4_address{239, 9, 9, 9}, clock.now());
    tick(h, duration::s(2));
    ASSERT_EQ(sent.size(), 1u);
    ASSERT_EQ(sent[0].records.size(), 1u);
    EXPECT_EQ(sent[0].records[0].group, g2);
}

TEST_F(igmp_host_test, a_v2_querier_turns_the_host_to_v2_reports_and_leaves) {
    igmp_host h(settings, 7);
    (void)h.set_state(g1, true, {}, clock.now());
    tick(h, duration::s(2));
    sent.clear();
    h.on_query(query(wire::igmp_version::v2, ipv4_address::any(), 50), wire::igmp_address::all_systems, clock.now());
    EXPECT_EQ(h.version(clock.now()), wire::igmp_version::v2);
    tick(h, duration::s(6));
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type, wire::igmp_type::v2_membership_report);
    EXPECT_EQ(sent[0].group, g1);
    sent.clear();
    (void)h.set_state(g1, false, {}, clock.now());
    tick(h, duration::s(12));
    ASSERT_EQ(sent.size(), 1u) << "one leave";
    EXPECT_EQ(sent[0].type, wire::igmp_type::v2_leave_group);
    // RFC 3376 §7.2.1: back to v3 after the Older Version Querier Present Timeout (2*125+10 s).
    clock.advance(duration::s(261));
    EXPECT_EQ(h.version(clock.now()), wire::igmp_version::v3);
}

TEST_F(igmp_host_test, v2_reports_are_suppressed_by_another_hosts_report) {
    igmp_host h(settings, 8);
    (void)h.set_state(g1, true, {}, clock.now());
    tick(h, duration::s(2));
    sent.clear();
    h.on_query(query(wire::igmp_version::v2, ipv4_address::any(), 100), wire::igmp_address::all_systems, clock.now());
    h.on_report(g1, clock.now()); // someone else answered first
    tick(h, duration::s(11));
    EXPECT_TRUE(sent.empty());
}

TEST_F(igmp_host_test, a_v1_querier_means_v1_reports_and_no_leave) {
    igmp_host h(settings, 9);
    h.on_query(query(wire::igmp_version::v1, ipv4_address::any(), 0), wire::igmp_address::all_systems, clock.now());
    (void)h.set_state(g1, true, {}, clock.now());
    tick(h, duration::s(12));
    ASSERT_FALSE(sent.empty());
    for (const auto& m : sent) EXPECT_EQ(m.type, wire::igmp_type::v1_membership_report);
    sent.clear();
    (void)h.set_state(g1, false, {}, clock.now());
    tick(h, duration::s(12));
    EXPECT_TRUE(sent.empty()) << "IGMPv1 has no leave";
}

TEST_F(igmp_host_test, refuses_what_it_cannot_hold) {
    settings.max_groups = 1;
    igmp_host h(settings, 10);
    EXPECT_EQ(h.set_state(ipv4_address{198, 18, 0, 1}, true, {}, clock.now()), errc::invalid_argument);
    EXPECT_EQ(h.set_state(ipv4_address{224, 0, 0, 5}, true, {}, clock.now()), errc::invalid_argument);
    EXPECT_EQ(h.set_state(g1, true, {}, clock.now()), errc::ok);
    EXPECT_EQ(h.set_state(g2, true, {}, clock.now()), errc::no_space);
    std::vector<ipv4_address> many(igmp_host::max_sources + 1);
    for (size_t i = 0; i < many.size(); ++i) many[i] = ipv4_address{198, 18, 1, uint8_t(i + 1)};
    EXPECT_EQ(h.set_state(g1, false, many, clock.now()), errc::no_space);
}

} // namespace
} // namespace tachyon
