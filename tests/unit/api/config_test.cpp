/// Configuration (api/cli): every key from the --config file, TACHYON_CONFIG and the command
/// line in every combination (flags > env > file > defaults), --doc covering every stack_config
/// field, and errors that name the key and where its value came from.

#include <gtest/gtest.h>

#include <charconv>
#include <fstream>
#include <map>
#include <set>

#include "api/cli.hpp"
#include "api/config_keys.hpp"
#include "fallback/tap_device.hpp"
#include "stack/core/log.hpp"

namespace tachyon {
namespace {

/// A program's settings as the apps declare them: the shared keys and a few of its own.
struct program {
    backend_options o;
    std::string extra;
    std::vector<std::string> list;
    bool on = false;
    cli c{"tachyon-test", "a test program"};

    program() {
        add_backend_flags(c, o);
        c.option("extra", "TEXT", "a program's own value", [this](std::string_view v) -> result<void> {
            extra = std::string(v);
            return {};
        });
        c.option("list", "TEXT", "a program's own list", [this](std::string_view v) -> result<void> {
            list.emplace_back(v);
            return {};
        }, true);
        c.toggle("switch", "a program's own switch", [this] { on = true; });
    }

    /// Parses `flags` (without the program name) with `env` as TACHYON_CONFIG.
    result<cli_outcome> parse(std::vector<std::string> flags, std::optional<std::string> env = std::nullopt) {
        std::vector<const char*> argv{"tachyon-test"};
        for (const auto& f : flags) argv.push_back(f.c_str());
        return c.parse(int(argv.size()), argv.data(), env);
    }
};

std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

/// Three values `k` accepts, as its getter prints them (two for a boolean or a choice of two).
std::vector<std::string> samples(const config_key& k) {
    static const std::map<std::string, std::vector<std::string>> by_name = {
        {"backend", {"dpdk", "xdp", "auto"}},
        {"tap", {"ta0", "tb0", "tc0"}},
        {"dpdk", {"--no-huge", "-l 0 --no-pci", "--vdev net_null0"}},
        {"ip", {"198.18.0.2/24", "198.18.1.3/16", "198.19.0.4/15"}},
        {"gateway", {"198.18.0.1", "198.18.0.9", "198.18.0.10"}},
        {"arp", {"198.18.0.1=02:00:00:00:00:01", "198.18.0.7=02:00:00:00:00:07", "198.18.0.8=02:00:00:00:00:08"}},
        {"mac", {"02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"}},
        {"pcap", {"a.pcapng", "b.pcapng", "c.pcap"}},
        {"pcap-format", {"pcap", "pcapng"}},
        {"pcap-snaplen", {"64", "128", "262144"}},
        {"pcap-rotate", {"1", "0.5", "2"}},
        {"stats", {"a.json", "b.json", "c.json"}},
        {"name", {"n1", "n2", "n3"}},
        {"log-level", {"debug", "warn", "error"}},
        {"duration", {"1", "2.5", "3"}},
        {"core", {"1", "2", "3"}},
        {"iface", {"ea0", "eb0", "ec0"}},
        {"xdp-mode", {"copy", "zerocopy", "auto"}},
        {"xdp-attach", {"native", "skb", "auto"}},
        {"extra", {"x", "y", "z"}},
        {"list", {"l1", "l2", "l3"}},
    };
    if (auto it = by_name.find(k.name); it != by_name.end()) return it->second;
    if (k.type == "bool" || k.type == "switch")
        return k.default_value == "true" ? std::vector<std::string>{"false", "true"} : std::vector<std::string>{"true", "false"};
    // A range "LOW to HIGH" (LOW may be "above 0"); std::regex would do, but GCC 12 warns inside it under ASan.
    const size_t to = k.range.find(" to ");
    if (to == std::string::npos) return {};
    const std::string low = k.range.substr(0, to), high = k.range.substr(to + 4);
    if (high.empty() || high.find_first_not_of("0123456789.") != std::string::npos) return {};
    if (low != "above 0" && (low.empty() || low.find_first_not_of("0123456789.") != std::string::npos)) return {};
    if (k.type == "seconds") {
        const duration max = *parse_seconds(high);
        return {format_seconds(max), format_seconds(duration::ns(max.count_ns() / 2)), format_seconds(duration::ns(max.count_ns() / 4))};
    }
    const uint64_t lo = low == "above 0" ? 1 : std::stoull(low), hi = std::stoull(high);
    return {std::to_string(hi), std::to_string(lo), std::to_string(lo + (hi - lo) / 2)};
}

TEST(config, every_key_has_values_to_test_with) {
    program p;
    for (const auto& k : p.c.keys()) {
        const auto s = samples(k);
        EXPECT_GE(s.size(), 2u) << k.name << ": add values for it in samples()";
        for (size_t i = 1; i < s.size(); ++i) EXPECT_NE(s[i], s[i - 1]) << k.name;
    }
}

// Each key from every subset of {file, env, flag}: the one of highest precedence wins, with its
// source; the others are ignored. Values alternate between neighbouring sources, so a wrong
// winner shows in the value as well as in the source.
TEST(config, precedence_table_for_every_key_and_every_combination_of_sources) {
    const std::vector<std::string> names = [] {
        program p;
        std::vector<std::string> out;
        for (const auto& k : p.c.keys()) out.push_back(k.name);
        return out;
    }();
    ASSERT_GT(names.size(), 70u);
    size_t checked = 0;
    for (const auto& name : names) {
        for (unsigned mask = 0; mask < 8; ++mask) {
            program p;
            const config_key* k = nullptr;
            for (const auto& key : p.c.keys())
                if (key.name == name) k = &key;
            ASSERT_NE(k, nullptr);
            const auto vs = samples(*k);
            ASSERT_GE(vs.size(), 2u) << name;
            std::vector<std::string> flags;
            std::optional<std::string> env;
            std::string expected;
            config_source expected_source = config_source::defaults;
            size_t next = 0;
            auto pick = [&] { return vs[next++ % vs.size()]; };
            if (mask & 1) {
                const std::string v = pick();
                const std::string file = write_file("precedence.toml", k->repeatable ? name + " = [\"" + v + "\"]\n"
                                                                                     : name + " = \"" + v + "\"\n");
                flags = {"--config", file};
                expected = v;
                expected_source = config_source::file;
            }
            if (mask & 2) {
                const std::string v = pick();
                env = "log-level=" + std::string(name == "log-level" ? v : "info") + "; " + name + "=" + v + ";";
                if (name == "log-level") env = name + "=" + v;
                expected = v;
                expected_source = config_source::env;
            }
            if (mask & 4) {
                const std::string v = pick();
                flags.push_back("--" + name + "=" + v);
                expected = v;
                expected_source = config_source::flag;
            }
            auto r = p.parse(flags, env);
            ASSERT_TRUE(r) << name << " mask " << mask << ": " << r.err().message;
            EXPECT_EQ(p.c.source(name), expected_source) << name << " mask " << mask;
            if (expected_source != config_source::defaults) {
                EXPECT_EQ(p.c.values(name), std::vector<std::string>{expected}) << name << " mask " << mask;
            } else if (!k->default_value.empty()) {
                EXPECT_EQ(p.c.values(name), std::vector<std::string>{k->default_value}) << name;
            }
            ++checked;
        }
    }
    EXPECT_EQ(checked, names.size() * 8);
    set_log_level("info");
}

TEST(config, a_list_from_a_higher_source_replaces_the_lower_ones) {
    program p;
    const std::string file = write_file("list.toml", "list = [\"a\", \"b\"]\narp = [\"198.18.0.1=02:00:00:00:00:01\"]\n");
    ASSERT_TRUE(p.parse({"--config", file, "--list", "c"}, "list=d;list=e"));
    EXPECT_EQ(p.list, (std::vector<std::string>{"c"}));
    EXPECT_EQ(p.c.source("list"), config_source::flag);
    ASSERT_EQ(p.o.stack.static_arp.size(), 1u);
    EXPECT_EQ(p.c.source("arp"), config_source::file);

    program q;
    ASSERT_TRUE(q.parse({"--config", file}, "list=d;list=e"));
    EXPECT_EQ(q.list, (std::vector<std::string>{"d", "e"}));
}

TEST(config, a_file_may_spell_keys_with_sections_and_underscores_in_toml_or_ini) {
    const std::string toml = write_file("spell.toml", "ip = \"198.18.0.2/24\"\n[tcp]\nsend_buffer = 131072\n"
                                                      "[multicast]\nmax_groups = 8\n[arp]\nmax-requests = 5\n");
    program p;
    ASSERT_TRUE(p.parse({"--config", toml}));
    EXPECT_EQ(p.o.stack.tcp.send_buffer, 131072u);
    EXPECT_EQ(p.o.stack.multicast.max_groups, 8u);
    EXPECT_EQ(p.o.stack.arp.max_requests, 5u);
    EXPECT_EQ(p.o.stack.address.to_string(), "198.18.0.2/24");

    const std::string ini = write_file("spell.ini", "; a comment\nip = 198.18.0.3/24\nswitch = true\n[tcp]\nnagle = true\n");
    program q;
    ASSERT_TRUE(q.parse({"--config", ini}));
    EXPECT_TRUE(q.o.stack.tcp.nagle);
    EXPECT_TRUE(q.on);
    EXPECT_EQ(q.o.stack.address.to_string(), "198.18.0.3/24");
}

TEST(config, print_config_reads_back_as_the_same_configuration) {
    program p;
    ASSERT_TRUE(p.parse({"--ip", "198.18.0.2/24", "--tcp-rto-min", "0.01", "--arp", "198.18.0.1=02:00:00:00:00:01", "--idle",
                         "--list", "a", "--extra", "b"},
                        "tcp-send-buffer=100000"));
    const std::string text = p.c.effective();
    EXPECT_NE(text.find("tcp-send-buffer = 100000"), std::string::npos) << text;
    EXPECT_NE(text.find("# TACHYON_CONFIG"), std::string::npos) << text;
    EXPECT_NE(text.find("# command line"), std::string::npos) << text;
    program q;
    ASSERT_TRUE(q.parse({"--config", write_file("printed.toml", text)}));
    for (const auto& k : p.c.keys()) EXPECT_EQ(q.c.values(k.name), p.c.values(k.name)) << k.name;
    EXPECT_EQ(q.o.stack.tcp.rto_min, duration::ms(10));
    EXPECT_EQ(q.c.source("ip"), config_source::file);
}

// Every field of stack_config, named once: the structured binding below stops compiling when a
// field is added or removed, and the test then asks for a key (or a reason) for the new one.
#define STACK_CONFIG_FIELDS address, gateway, static_arp, mac, default_ttl, arp, rx_burst, tx_queue, gateway_retry, \
    udp_sockets, udp_queue, multicast, tcp, secret, icmp_error_rate, icmp_error_burst
#define ARP_FIELDS capacity, pending_per_neighbour, reachable_time, retry_interval, max_requests
#define MULTICAST_FIELDS max_groups, memberships_per_socket, robustness, unsolicited_report_interval, query_interval, \
    query_response_interval, multicast_ttl
#define TCP_FIELDS max_connections, max_listeners, syn_backlog, send_buffer, receive_buffer, out_of_order_segments, msl, \
    rto_initial, rto_min, rto_max, max_retransmits, connect_timeout, delayed_ack, delayed_ack_timeout, nagle, timestamps, \
    sack, tail_loss_probe, pto_min, tlp_delayed_ack, window_scale, keepalive, keepalive_idle, keepalive_interval, \
    keepalive_probes, challenge_ack_limit, syn_cookies
#define NAMES_OF_(...) #__VA_ARGS__
#define NAMES_OF(...) NAMES_OF_(__VA_ARGS__)

std::vector<std::string> split_names(std::string_view list, const std::string& prefix) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : list) {
        if (ch == ',') {
            out.push_back(prefix + cur);
            cur.clear();
        } else if (ch != ' ' && ch != '\n' && ch != '\\') {
            cur += ch;
        }
    }
    out.push_back(prefix + cur);
    return out;
}

TEST(config, doc_lists_a_key_for_every_field_of_stack_config) {
    {
        [[maybe_unused]] stack_config s;
        [[maybe_unused]] auto& [STACK_CONFIG_FIELDS] = s;
        [[maybe_unused]] auto& [ARP_FIELDS] = s.arp;
        [[maybe_unused]] auto& [MULTICAST_FIELDS] = s.multicast;
        [[maybe_unused]] auto& [TCP_FIELDS] = s.tcp;
    }
    // Sections are checked field by field; the ISN secret is random per run (RFC 6528 §3), never configured.
    const std::set<std::string> not_keys = {"arp", "multicast", "tcp", "secret"};
    std::vector<std::string> fields;
    for (const auto& f : split_names(NAMES_OF(STACK_CONFIG_FIELDS), ""))
        if (!not_keys.contains(f)) fields.push_back(f);
    for (const auto& [list, prefix] : {std::pair{NAMES_OF(ARP_FIELDS), "arp."}, {NAMES_OF(MULTICAST_FIELDS), "multicast."},
                                       {NAMES_OF(TCP_FIELDS), "tcp."}})
        for (const auto& f : split_names(list, prefix)) fields.push_back(f);
    EXPECT_EQ(fields.size(), 12u + 5u + 7u + 27u);

    program p;
    const std::string doc = p.c.doc();
    std::map<std::string, std::string> key_of_field;
    for (const auto& k : p.c.keys()) {
        if (k.field.empty()) continue;
        EXPECT_TRUE(key_of_field.emplace(k.field, k.name).second) << k.field << " has two keys";
        EXPECT_TRUE(k.shared) << k.name;
    }
    for (const auto& f : fields) {
        auto it = key_of_field.find(f);
        ASSERT_NE(it, key_of_field.end()) << "stack_config " << f << " has no configuration key (api/config_keys.cpp)";
        EXPECT_NE(doc.find("\n" + it->second + "  ("), std::string::npos) << f;
        EXPECT_NE(doc.find("stack_config " + f + "\n"), std::string::npos) << f;
    }
    EXPECT_EQ(key_of_field.size(), fields.size()) << "a key names a field that stack_config does not have";
    // Every key is documented with its type, default and meaning.
    for (const auto& k : p.c.keys()) {
        EXPECT_FALSE(k.type.empty()) << k.name;
        EXPECT_FALSE(k.help.empty()) << k.name;
        if (k.shared && !k.field.empty() && k.get && k.name != "ip" && k.name != "gateway" && k.name != "mac") {
            EXPECT_FALSE(k.default_value.empty()) << k.name;
        }
    }
}

TEST(config, tap_settings_default_as_the_tap_device_does) {
    const tap_settings s;
    const tap_config d;
    EXPECT_EQ(s.mtu, d.mtu);
    EXPECT_EQ(s.rx_depth, d.rx_depth);
    EXPECT_EQ(s.pool_size, d.pool_size);
    EXPECT_EQ(s.ring_entries, d.ring_entries);
    EXPECT_EQ(s.sqpoll_idle_ms, d.sqpoll_idle_ms);
}

struct bad_case {
    std::string key, value, why;
};

TEST(config, bad_values_name_the_key_the_value_and_the_source) {
    const std::vector<bad_case> cases = {
        {"tcp-send-buffer", "1", "out of range"},       {"tcp-send-buffer", "big", "expected a whole number"},
        {"tcp-window-scale", "15", "out of range"},      {"tcp-rto-min", "-1", "seconds"},
        {"tcp-delayed-ack-timeout", "0.6", "out of range"}, {"tcp-nagle", "maybe", "true or false"},
        {"ip", "198.18.0.300/24", "expected an address"}, {"backend", "netmap", "must be"},
        {"extra", "", ""},
    };
    for (const auto& c : cases) {
        if (c.why.empty()) continue;
        program f;
        auto r = f.parse({"--config", write_file("bad.toml", c.key + " = \"" + c.value + "\"\n")});
        ASSERT_FALSE(r) << c.key;
        EXPECT_NE(r.err().message.find("config file "), std::string::npos) << r.err().message;
        EXPECT_NE(r.err().message.find("bad.toml: " + c.key + " = " + c.value + ": "), std::string::npos) << r.err().message;
        EXPECT_NE(r.err().message.find(c.why), std::string::npos) << r.err().message;

        program e;
        r = e.parse({}, c.key + "=" + c.value);
        ASSERT_FALSE(r) << c.key;
        EXPECT_NE(r.err().message.find("TACHYON_CONFIG: " + c.key + "=" + c.value + ": "), std::string::npos) << r.err().message;
        EXPECT_NE(r.err().message.find(c.why), std::string::npos) << r.err().message;

        program g;
        r = g.parse({"--" + c.key + "=" + c.value});
        ASSERT_FALSE(r) << c.key;
        EXPECT_NE(r.err().message.find("--" + c.key + " " + c.value + ": "), std::string::npos) << r.err().message;
        EXPECT_NE(r.err().message.find(c.why), std::string::npos) << r.err().message;
    }
}

TEST(config, unknown_keys_and_malformed_input_name_their_source) {
    program f;
    auto r = f.parse({"--config", write_file("unknown.toml", "[tcp]\nsend_bufer = 1\n")});
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("unknown.toml: unknown key 'tcp-send-bufer'"), std::string::npos) << r.err().message;

    program e;
    r = e.parse({}, "tcp-send-buffer=65536;nagle=true");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("TACHYON_CONFIG: unknown key 'nagle'"), std::string::npos) << r.err().message;

    program m;
    r = m.parse({}, "tcp-nagle");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("TACHYON_CONFIG: 'tcp-nagle' is not key=value"), std::string::npos) << r.err().message;

    program g;
    r = g.parse({"--tcp-nagel"});
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("--tcp-nagel"), std::string::npos) << r.err().message;

    program t;
    r = t.parse({}, "ip=198.18.0.2/24;ip=198.18.0.3/24");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("TACHYON_CONFIG: ip given twice"), std::string::npos) << r.err().message;

    program n;
    r = n.parse({"--config", ::testing::TempDir() + "no-such-file.toml"});
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("config file "), std::string::npos) << r.err().message;
}

TEST(config, doc_and_print_config_end_the_program_with_help) {
    program p;
    testing::internal::CaptureStdout();
    auto r = p.parse({"--doc"});
    const std::string doc = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, cli_outcome::help);
    EXPECT_NE(doc.find("tcp-send-buffer  (bytes)\n    default 65536; range 2048 to 67108864; stack_config tcp.send_buffer"),
              std::string::npos) << doc;
    EXPECT_NE(doc.find("## keys of tachyon-test\n\nextra  (TEXT)"), std::string::npos) << doc;

    program q;
    testing::internal::CaptureStdout();
    r = q.parse({"--print-config", "--tcp-nagle"}, "tcp-msl=5");
    const std::string printed = testing::internal::GetCapturedStdout();
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, cli_outcome::help);
    EXPECT_NE(printed.find("tcp-nagle = true"), std::string::npos) << printed;
    EXPECT_NE(printed.find("tcp-msl = 5 "), std::string::npos) << printed;
}

} // namespace
} // namespace tachyon
