// UDP through the stack as packet traces: delivery to a callback and to a pull queue, the
// queue bound, connected-socket filtering, port unreachable and its rate limit, sending,
// ephemeral ports, and malformed datagrams counted by reason.

#include <string>

#include "trace_fixture.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;

std::vector<std::byte> bytes_of(const std::string& s) {
    std::vector<std::byte> v(s.size());
    std::memcpy(v.data(), s.data(), s.size());
    return v;
}

struct udp_trace : stack_trace {
    std::vector<std::pair<std::string, datagram>> got;
    static void collect(void* self, const datagram& d) {
        auto* t = static_cast<udp_trace*>(self);
        t->got.emplace_back(std::string(reinterpret_cast<const char*>(d.payload.data()), d.payload.size()), d);
    }
    udp_id open_bound(uint16_t port) {
        auto id = st->udp_open();
        EXPECT_TRUE(id.ok());
        EXPECT_EQ(st->udp_bind(*id, ipv4_address::any(), port), errc::ok);
        return *id;
    }
};

TEST_F(udp_trace, a_datagram_reaches_the_callback_with_its_metadata) {
    make();
    udp_id id = open_bound(5000);
    ASSERT_EQ(st->udp_on_datagram(id, &udp_trace::collect, this), errc::ok);
    clock.advance(duration::us(7));
    feed(eth(our_mac, wire::ethertype::ipv4, udp(40000, 5000, bytes_of("hello"))));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].first, "hello");
    EXPECT_EQ(got[0].second.src, peer_ip);
    EXPECT_EQ(got[0].second.src_port, 40000);
    EXPECT_EQ(got[0].second.dst, our_ip);
    EXPECT_EQ(got[0].second.dst_port, 5000);
    EXPECT_EQ(got[0].second.rx_time, clock.now());
    EXPECT_EQ(st->stats().udp.rx_datagrams, 1u);
}

TEST_F(udp_trace, pull_mode_queues_up_to_its_bound_and_counts_the_rest) {
    stack_config c;
    c.address = ipv4_cidr{our_ip, 24};
    c.udp_queue = 3;
    st = std::move(stack::create(c, link.b()).value());
    udp_id id = open_bound(5000);
    for (int i = 0; i < 5; ++i) feed(eth(our_mac, wire::ethertype::ipv4, udp(40000, 5000, bytes_of("m" + std::to_string(i)))));
    EXPECT_EQ(st->stats().udp.drop_queue_full, 2u);
    for (int i = 0; i < 3; ++i) {
        datagram d;
        packet owner = st->udp_recv(id, d);
        ASSERT_TRUE(owner);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(d.payload.data()), d.payload.size()), "m" + std::to_string(i));
        EXPECT_EQ(d.src_port, 40000);
        EXPECT_EQ(d.dst, our_ip);
    }
    datagram d;
    EXPECT_FALSE(st->udp_recv(id, d)) << "empty: nothing waits";
}

TEST_F(udp_trace, a_socket_may_take_a_shorter_pull_queue) {
    make();
    udp_id id = open_bound(5000);
    EXPECT_EQ(st->udp_set_receive_queue(id, 0), errc::invalid_argument);
    EXPECT_EQ(st->udp_set_receive_queue(id, 100000), errc::invalid_argument) << "beyond the configured length";
    ASSERT_EQ(st->udp_set_receive_queue(id, 2), errc::ok);
    for (int i = 0; i < 4; ++i) feed(eth(our_mac, wire::ethertype::ipv4, udp(40000, 5000, bytes_of("m"))));
    EXPECT_EQ(st->stats().udp.drop_queue_full, 2u);
    EXPECT_EQ(st->udp_state(id)->rx_drop_queue_full, 2u);
}

TEST_F(udp_trace, a_connected_socket_accepts_only_its_peer) {
    make();
    udp_id id = open_bound(5000);
    ASSERT_EQ(st->udp_connect(id, peer_ip, 40000), errc::ok);
    ASSERT_EQ(st->udp_on_datagram(id, &udp_trace::collect, this), errc::ok);
    feed(eth(our_mac, wire::ethertype::ipv4, udp(40001, 5000, bytes_of("stranger"))));
    feed(eth(our_mac, wire::ethertype::ipv4, udp(40000, 5000, bytes_of("peer"))));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].first, "peer");
    EXPECT_EQ(st->stats().udp.drop_no_socket, 1u);
}

TEST_F(udp_trace, a_closed_port_answers_port_unreachable_quoting_the_datagram) {
    make();
    introduce_peer();
    auto sent_pkt = udp(40000, 6000, bytes_of("anyone there?"));
    feed(eth(our_mac, wire::ethertype::ipv4, sent_pkt));
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    auto f = std::span<const std::byte>(frames[0]);
    wire::ipv4_repr ip;
    ASSERT_EQ(wire::ipv4_repr::parse(f.subspan(14), ip), wire::wire_error::ok);
    EXPECT_EQ(ip.dst, peer_ip);
    wire::icmp_repr icmp;
    ASSERT_EQ(wire::icmp_repr::parse(f.subspan(14 + 20, ip.payload_len()), icmp), wire::wire_error::ok);
    EXPECT_EQ(icmp.type, wire::icmp_type::destination_unreachable);
    EXPECT_EQ(icmp.code, wire::icmp_unreachable_code::port);
    ASSERT_EQ(icmp.data.size(), sent_pkt.size()) << "small datagrams are quoted whole";
    EXPECT_TRUE(std::equal(sent_pkt.begin(), sent_pkt.end(), icmp.data.begin()));
    // Nothing for a datagram sent to the broadcast address (RFC 1122 §3.2.2).
    feed(eth(mac_address::broadcast(), wire::ethertype::ipv4, udp(40000, 6000, bytes_of("all?"), ipv4_address{198, 18, 0, 255})));
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(st->stats().udp.drop_no_socket, 2u);
}

TEST_F(udp_trace, port_unreachable_is_rate_limited) {
    stack_config c;
    c.address = ipv4_cidr{our_ip, 24};
    c.icmp_error_rate = 10;
    c.icmp_error_burst = 5;
    st = std::move(stack::create(c, link.b()).value());
    introduce_peer();
    for (int i = 0; i < 20; ++i) feed(eth(our_mac, wire::ethertype::ipv4, udp(40000, 6000, bytes_of("x"))));
    EXPECT_EQ(sent().size(), 5u) << "the burst";
    EXPECT_EQ(st->stats().udp.unreachable_rate_limited, 15u);
    clock.advance(duration::ms(300)); // 3 tokens at 10 per second
    for (int i = 0; i < 10; ++i) feed(eth(our_mac, wire::ethertype::ipv4, udp(40000, 6000, bytes_of("x"))));
    EXPECT_EQ(sent().size(), 3u);
}

TEST_F(udp_trace, send_to_builds_a_valid_datagram_from_an_ephemeral_port) {
    make();
    introduce_peer();
    auto id = st->udp_open();
    ASSERT_TRUE(id.ok());
    auto data = bytes_of("order 42");
    ASSERT_EQ(st->udp_send_to(*id, peer_ip, 9000, data, clock.now()), errc::ok);
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u) << "sent at once from outside poll";
    auto f = std::span<const std::byte>(frames[0]);
    wire::ipv4_repr ip;
    ASSERT_EQ(wire::ipv4_repr::parse(f.subspan(14), ip), wire::wire_error::ok);
    wire::udp_repr u;
    ASSERT_EQ(wire::udp_repr::parse(f.subspan(34, ip.payload_len()), ip.src, ip.dst, u), wire::wire_error::ok);
    EXPECT_GE(u.src_port, 49152) << "RFC 6335 dynamic range";
    EXPECT_EQ(u.dst_port, 9000);
    EXPECT_NE(u.checksum, 0) << "we always send a checksum";
    auto payload = u.payload(f.subspan(34, ip.payload_len()));
    EXPECT_TRUE(std::equal(data.begin(), data.end(), payload.begin(), payload.end()));
    // Too large for the MTU: refused, not fragmented.
    std::vector<std::byte> big(1473);
    EXPECT_EQ(st->udp_send_to(*id, peer_ip, 9000, big, clock.now()), errc::invalid_argument);
    std::vector<std::byte> fits(1472);
    EXPECT_EQ(st->udp_send_to(*id, peer_ip, 9000, fits, clock.now()), errc::ok);
}

TEST_F(udp_trace, binding_rules) {
    make();
    udp_id a = open_bound(5000);
    auto b = st->udp_open();
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(st->udp_bind(*b, ipv4_address::any(), 5000), errc::in_use);
    EXPECT_EQ(st->udp_bind(*b, ipv4_address{198, 18, 0, 99}, 5001), errc::invalid_argument) << "not our address";
    EXPECT_EQ(st->udp_bind(*b, our_ip, 5001), errc::ok);
    st->udp_close(a, clock.now());
    auto c = st->udp_open();
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(st->udp_bind(*c, ipv4_address::any(), 5000), errc::ok) << "free again after close";
}

TEST_F(udp_trace, malformed_datagrams_are_counted_by_reason) {
    make();
    udp_id id = open_bound(5000);
    (void)id;
    auto good = udp(40000, 5000, bytes_of("payload"));
    auto with = [&](auto mutate) {
        auto p = good;
        mutate(p);
        return eth(our_mac, wire::ethertype::ipv4, p);
    };
    auto fix_ip = [](std::vector<std::byte>& p, size_t total) {
        p.resize(total);
        p[2] = std::byte(total >> 8);
        p[3] = std::byte(total & 0xff);
        p[10] = p[11] = std::byte{0};
        uint16_t c = wire::internet_checksum(std::span(p).first(20));
        p[10] = std::byte(c >> 8);
        p[11] = std::byte(c & 0xff);
    };
    feed(with([&](auto& p) { fix_ip(p, 24); }));                          // truncated header
    feed(with([](auto& p) { p[24] = std::byte{0}; p[25] = std::byte{4}; })); // length < 8
    feed(with([](auto& p) { p[24] = std::byte{1}; }));                     // length past the packet
    feed(with([](auto& p) { p[30] ^= std::byte{0xff}; }));                 // payload corrupted
    const auto& s = st->stats().udp;
    EXPECT_EQ(s.drop_truncated, 1u);
    EXPECT_EQ(s.drop_bad_length, 2u);
    EXPECT_EQ(s.drop_bad_checksum, 1u);
    EXPECT_EQ(s.rx_datagrams, 0u);
    // A zero checksum means "not computed" (RFC 768) and is accepted.
    feed(with([](auto& p) { p[26] = p[27] = std::byte{0}; }));
    EXPECT_EQ(s.rx_datagrams, 1u);
}

} // namespace
} // namespace tachyon
