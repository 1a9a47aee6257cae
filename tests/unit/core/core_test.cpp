// Core value types: time arithmetic, address parsing, configuration validation, the JSON
// counters report.

#include <gtest/gtest.h>

#include "stack/core/addr.hpp"
#include "stack/core/clock.hpp"
#include "stack/core/config.hpp"
#include "stack/core/stats.hpp"

namespace tachyon {
namespace {

TEST(time, arithmetic_and_saturation) {
    instant t = instant::from_ns(1000);
    EXPECT_EQ((t + duration::us(2)).ns_since_epoch(), 3000);
    EXPECT_EQ((t + duration::us(2)) - t, duration::ns(2000));
    EXPECT_EQ(t + duration::max(), instant::never()) << "saturates, never wraps";
    EXPECT_EQ(duration::s(1).count_ms(), 1000);
    manual_clock c;
    instant before = c.now();
    c.advance(duration::ms(5));
    EXPECT_EQ(c.now() - before, duration::ms(5));
    c.set(before);
    EXPECT_EQ(c.now() - before, duration::ms(5)) << "never goes backwards";
    instant t1 = monotonic_clock::now();
    instant t2 = monotonic_clock::now();
    EXPECT_LE(t1, t2);
}

TEST(addr, ipv4_parse_and_format) {
    EXPECT_EQ(ipv4_address::parse("198.18.0.2"), ipv4_address(198, 18, 0, 2));
    EXPECT_EQ(ipv4_address(198, 18, 0, 2).to_string(), "198.18.0.2");
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", "1..2.3", "1.2.3.4 ", "01234.1.1.1"})
        EXPECT_FALSE(ipv4_address::parse(bad)) << bad;
    auto cidr = ipv4_cidr::parse("198.18.0.2/24");
    ASSERT_TRUE(cidr);
    EXPECT_TRUE(cidr->contains(ipv4_address{198, 18, 0, 200}));
    EXPECT_FALSE(cidr->contains(ipv4_address{198, 18, 1, 1}));
    EXPECT_EQ(cidr->directed_broadcast(), ipv4_address(198, 18, 0, 255));
    EXPECT_FALSE(ipv4_cidr::parse("198.18.0.2/33"));
    EXPECT_FALSE(ipv4_cidr::parse("198.18.0.2/"));
    EXPECT_TRUE((ipv4_address{239, 1, 1, 1}).is_multicast());
}

TEST(addr, mac_parse_format_and_multicast_mapping) {
    auto m = mac_address::parse("02:AB:cd:00:11:ff");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_string(), "02:ab:cd:00:11:ff");
    EXPECT_TRUE(m->is_unicast());
    EXPECT_FALSE(mac_address::parse("02:ab:cd:00:11"));
    EXPECT_FALSE(mac_address::parse("02:ab:cd:00:11:fg"));
    // RFC 1112 §6.4: the low 23 bits of the group go into 01:00:5e:00:00:00.
    EXPECT_EQ(multicast_mac(ipv4_address{239, 129, 2, 3}).to_string(), "01:00:5e:01:02:03");
}

stack_config valid() {
    stack_config c;
    c.address = *ipv4_cidr::parse("198.18.0.2/24");
    c.gateway = ipv4_address{198, 18, 0, 1};
    return c;
}

TEST(config, validation_names_the_problem) {
    EXPECT_TRUE(valid().validate().ok());
    struct row {
        const char* what;
        void (*mutate)(stack_config&);
        const char* expect;
    };
    const row rows[] = {
        {"no address", [](stack_config& c) { c.address = {}; }, "not a usable unicast"},
        {"multicast address", [](stack_config& c) { c.address.address = ipv4_address{239, 1, 1, 1}; }, "not a usable unicast"},
        {"network address", [](stack_config& c) { c.address.address = ipv4_address{198, 18, 0, 0}; }, "network or broadcast"},
        {"broadcast address", [](stack_config& c) { c.address.address = ipv4_address{198, 18, 0, 255}; }, "network or broadcast"},
        {"prefix 0", [](stack_config& c) { c.address.prefix_len = 0; }, "prefix length"},
        {"gateway off the subnet", [](stack_config& c) { c.gateway = ipv4_address{198, 19, 0, 1}; }, "not on the subnet"},
        {"gateway is us", [](stack_config& c) { c.gateway = c.address.address; }, "our own"},
        {"static arp multicast mac", [](stack_config& c) { c.static_arp.push_back({ipv4_address{198, 18, 0, 9}, mac_address::broadcast()}); }, "unicast"},
        {"static arp twice", [](stack_config& c) {
             mac_address m{{2, 0, 0, 0, 0, 9}};
             c.static_arp.push_back({ipv4_address{198, 18, 0, 9}, m});
             c.static_arp.push_back({ipv4_address{198, 18, 0, 9}, m});
         }, "twice"},
        {"ttl 0", [](stack_config& c) { c.default_ttl = 0; }, "TTL"},
        {"no arp capacity", [](stack_config& c) { c.arp.capacity = 0; }, "ARP capacity"},
        {"burst 0", [](stack_config& c) { c.rx_burst = 0; }, "burst"},
    };
    for (const auto& r : rows) {
        stack_config c = valid();
        r.mutate(c);
        auto res = c.validate();
        ASSERT_FALSE(res.ok()) << r.what;
        EXPECT_NE(res.err().message.find(r.expect), std::string::npos) << r.what << ": " << res.err().message;
    }
}

#define TEST_COUNTERS(X) X(rx_things) X(drop_bad) X(drop_worse)
struct test_stats {
    TACHYON_COUNTERS(TEST_COUNTERS)
};

TEST(stats, counters_serialise_to_json_and_sum_drops) {
    test_stats s;
    s.rx_things = 3;
    s.drop_bad = 4;
    s.drop_worse = 5;
    EXPECT_EQ(s.drops(), 9u);
    json_writer w;
    w.section("layer", s);
    w.begin_section("meta");
    w.field("name", std::string_view("a\"b"));
    w.end_section();
    EXPECT_EQ(w.finish(), "{\"layer\":{\"rx_things\":3,\"drop_bad\":4,\"drop_worse\":5},\"meta\":{\"name\":\"a\\\"b\"}}\n");
}

} // namespace
} // namespace tachyon
