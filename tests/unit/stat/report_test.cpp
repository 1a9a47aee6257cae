// tachyon-stat's formatting: every kernel name is made of counters the stack has, the sums are
// right, rates come from two snapshots, and the connection table reads like ss -tin.

#include <gtest/gtest.h>

#include "apps/stat/report.hpp"

namespace tachyon::stat {
namespace {

stat_entry who() {
    stat_entry e;
    e.name = "echo-1";
    e.liveness = stat_liveness::running;
    e.alive = true;
    e.pid = 1234;
    e.program = "tachyon-echo";
    e.address = "198.18.0.2/24";
    e.device = "tap tt1";
    return e;
}

TEST(nstat, every_term_names_a_counter) {
    const flat_counters all = flatten(stat_snapshot{});
    EXPECT_GT(all.size(), 100u);
    EXPECT_TRUE(nstat_unknown_terms(all).empty()) << ::testing::PrintToString(nstat_unknown_terms(all));
    EXPECT_FALSE(nstat_unknown_terms({{"ipv4.rx_packets", 1}}).empty()) << "the check can fail";
}

TEST(nstat, sums_and_differences) {
    stat_snapshot s;
    s.counters.ipv4.rx_packets = 100;
    s.counters.ipv4.drop_bad_checksum = 3;
    s.counters.ipv4.drop_truncated = 2;
    s.counters.ipv4.drop_unknown_protocol = 5;
    s.counters.udp.drop_queue_full = 4;
    s.counters.udp.drop_bad_checksum = 1;
    s.counters.tcp.retransmits = 6;
    s.counters.tcp.fast_retransmits = 2;
    const auto values = nstat_values(flatten(s));
    const auto get = [&](std::string_view name) {
        for (const auto& [n, v] : values)
            if (n == name) return v;
        ADD_FAILURE() << name << " missing";
        return uint64_t(0);
    };
    EXPECT_EQ(get("IpInReceives"), 105u);
    EXPECT_EQ(get("IpInHdrErrors"), 5u);
    EXPECT_EQ(get("IpInDelivers"), 95u);
    EXPECT_EQ(get("UdpInErrors"), 5u);
    EXPECT_EQ(get("UdpRcvbufErrors"), 4u);
    EXPECT_EQ(get("TcpRetransSegs"), 8u);
}

TEST(report, counters_with_rates) {
    stat_snapshot a, b;
    a.taken_ns = 1'000'000'000;
    b.taken_ns = 3'000'000'000;
    a.counters.udp.rx_datagrams = 10;
    b.counters.udp.rx_datagrams = 210;
    b.cold.device.rx_frames = 7;
    const json j = counters_json(who(), b, &a);
    EXPECT_EQ(j["nstat"]["UdpInDatagrams"], 210);
    EXPECT_EQ(j["counters"]["udp"]["rx_datagrams"], 210);
    EXPECT_EQ(j["counters"]["device"]["rx_frames"], 7);
    EXPECT_DOUBLE_EQ(j["rates"]["UdpInDatagrams"].get<double>(), 100.0);
    EXPECT_DOUBLE_EQ(j["rates"]["udp.rx_datagrams"].get<double>(), 100.0);
    EXPECT_DOUBLE_EQ(j["interval_s"].get<double>(), 2.0);
    const std::string text = counters_text(who(), b, &a, false);
    EXPECT_NE(text.find("#echo-1 running, pid 1234"), std::string::npos) << text;
    EXPECT_NE(text.find("UdpInDatagrams"), std::string::npos) << text;
    EXPECT_NE(text.find("100.0"), std::string::npos) << text;
    EXPECT_EQ(text.find("TcpActiveOpens"), std::string::npos) << "zeros only with --all";
    EXPECT_NE(counters_text(who(), b, nullptr, true).find("TcpActiveOpens"), std::string::npos);
}

TEST(report, connections_like_ss) {
    stat_snapshot s;
    s.taken_ns = 5'000'000;
    s.table_ns = 4'000'000;
    stat_connection tcp;
    tcp.kind = stat_kind::tcp;
    tcp.state = uint8_t(tcp_state::established);
    tcp.flags = stat_sack | stat_timestamps;
    tcp.local_address = ipv4_address{198, 18, 0, 2}.value;
    tcp.local_port = 11112;
    tcp.remote_address = ipv4_address{198, 18, 0, 1}.value;
    tcp.remote_port = 40000;
    tcp.srtt_us = 1500;
    tcp.rto_us = 200000;
    tcp.cwnd = 14600;
    stat_connection udp;
    udp.kind = stat_kind::udp;
    udp.local_port = 11111;
    udp.rx = 9;
    s.rows = {tcp, udp};
    const json j = connections_json(who(), s);
    ASSERT_EQ(j["connections"].size(), 2u);
    EXPECT_EQ(j["connections"][0]["state"], "ESTABLISHED");
    EXPECT_EQ(j["connections"][0]["local"], "198.18.0.2:11112");
    EXPECT_EQ(j["connections"][0]["remote"], "198.18.0.1:40000");
    EXPECT_EQ(j["connections"][0]["srtt_us"], 1500);
    EXPECT_EQ(j["connections"][0]["sack"], true);
    EXPECT_EQ(j["connections"][0]["wscale"], false);
    EXPECT_EQ(j["connections"][1]["proto"], "udp");
    EXPECT_EQ(j["connections"][1]["remote"], "0.0.0.0:*");
    EXPECT_DOUBLE_EQ(j["table_age_ms"].get<double>(), 1.0);
    const std::string text = connections_text(who(), s);
    EXPECT_NE(text.find("ESTAB"), std::string::npos) << text;
    EXPECT_NE(text.find("ts sack rto:200.000 rtt:1.500/0.000"), std::string::npos) << text;
    EXPECT_NE(text.find("UNCONN"), std::string::npos) << text;
    EXPECT_NE(text.find("rx:9"), std::string::npos) << text;
}

TEST(report, list) {
    stat_entry stale = who();
    stale.name = "gone";
    stale.liveness = stat_liveness::stale;
    stale.alive = false;
    const json j = list_json({who(), stale});
    ASSERT_EQ(j["stacks"].size(), 2u);
    EXPECT_EQ(j["stacks"][1]["state"], "stale");
    EXPECT_EQ(j["stacks"][1]["alive"], false);
    EXPECT_NE(list_text({stale}).find("stale"), std::string::npos);
    EXPECT_NE(list_text({}).find("no tachyon stacks"), std::string::npos);
}

} // namespace
} // namespace tachyon::stat
