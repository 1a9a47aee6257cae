// Multicast through the stack as packet traces: a join sends an IGMPv3 report with TTL 1 and
// Router Alert and programs the device filter; datagrams to joined groups are delivered,
// others dropped and counted; a source-specific join filters sources; a query is answered.

#include "stack/wire/igmp.hpp"
#include "trace_fixture.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;

const ipv4_address group{239, 1, 2, 3};

struct multicast_trace : stack_trace {
    std::vector<datagram> got;
    static void collect(void* self, const datagram& d) { static_cast<multicast_trace*>(self)->got.push_back(d); }

    udp_id joined_socket(uint16_t port, ipv4_address source = ipv4_address::any()) {
        auto id = st->udp_open();
        EXPECT_TRUE(id.ok());
        EXPECT_EQ(st->udp_bind(*id, ipv4_address::any(), port), errc::ok);
        EXPECT_EQ(st->udp_on_datagram(*id, &multicast_trace::collect, this), errc::ok);
        EXPECT_EQ(st->udp_join(*id, group, source, clock.now()), errc::ok);
        return *id;
    }
    std::vector<std::byte> to_group(ipv4_address src, uint16_t port, ipv4_address dst = group) {
        auto pkt = udp(40000, port, std::vector<std::byte>(12, std::byte{0x5a}), dst);
        // Rewrite the source address and fix both checksums.
        pkt[12] = std::byte(src.octet(0)); pkt[13] = std::byte(src.octet(1));
        pkt[14] = std::byte(src.octet(2)); pkt[15] = std::byte(src.octet(3));
        wire::ipv4_repr ip;
        (void)wire::ipv4_repr::parse(pkt, ip, false);
        ip.emit(pkt);
        wire::udp_repr u{40000, port, uint16_t(pkt.size() - 20), 0};
        u.emit(std::span(pkt).subspan(20), src, dst);
        return eth(multicast_mac(dst), wire::ethertype::ipv4, pkt);
    }
};

TEST_F(multicast_trace, a_join_sends_a_v3_report_and_sets_the_device_filter) {
    make();
    (void)joined_socket(30001);
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    auto f = std::span<const std::byte>(frames[0]);
    wire::ethernet_repr e;
    ASSERT_EQ(wire::ethernet_repr::parse(f, e), wire::wire_error::ok);
    EXPECT_EQ(e.dst, multicast_mac(wire::igmp_address::v3_routers));
    wire::ipv4_repr ip;
    ASSERT_EQ(wire::ipv4_repr::parse(f.subspan(14), ip), wire::wire_error::ok);
    EXPECT_EQ(ip.ttl, 1) << "RFC 3376 §4";
    EXPECT_EQ(ip.dst, wire::igmp_address::v3_routers);
    EXPECT_TRUE(wire::has_router_alert(f.subspan(14, ip.header_len)));
    wire::igmp_message m;
    ASSERT_EQ(wire::parse_igmp(f.subspan(14 + ip.header_len, ip.payload_len()), m), wire::wire_error::ok);
    EXPECT_EQ(m.type, wire::igmp_type::v3_membership_report);
    ASSERT_EQ(link.b().multicast_filter().size(), 1u);
    EXPECT_EQ(link.b().multicast_filter()[0], multicast_mac(group));
}

TEST_F(multicast_trace, joined_groups_are_delivered_and_others_dropped) {
    make();
    (void)joined_socket(30001);
    (void)sent();
    feed(to_group(peer_ip, 30001));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].dst, group);
    EXPECT_EQ(got[0].src, peer_ip);
    feed(to_group(peer_ip, 30001, ipv4_address{239, 1, 2, 4}));
    EXPECT_EQ(st->stats().ipv4.drop_not_joined, 1u);
    feed(to_group(peer_ip, 30002));
    EXPECT_EQ(st->stats().udp.drop_no_socket, 1u);
    EXPECT_EQ(got.size(), 1u);
    EXPECT_TRUE(sent().empty()) << "no port unreachable for multicast (RFC 1122 §3.2.2)";
}

TEST_F(multicast_trace, a_source_specific_join_filters_other_sources) {
    make();
    (void)joined_socket(30001, peer_ip);
    (void)sent();
    feed(to_group(peer_ip, 30001));
    feed(to_group(ipv4_address{198, 18, 0, 9}, 30001));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].src, peer_ip);
    EXPECT_EQ(st->stats().udp.drop_source_filtered, 1u);
}

TEST_F(multicast_trace, a_socket_bound_to_the_group_takes_its_datagrams_on_a_shared_port) {
    make();
    // The A and B lines of a feed: two sockets, two groups, one port.
    auto a = st->udp_open();
    auto b = st->udp_open();
    ASSERT_EQ(st->udp_bind(*a, group, 30001), errc::ok);
    ASSERT_EQ(st->udp_bind(*b, ipv4_address{239, 1, 2, 4}, 30001), errc::ok);
    std::vector<datagram> got_b;
    ASSERT_EQ(st->udp_on_datagram(*a, &multicast_trace::collect, this), errc::ok);
    ASSERT_EQ(st->udp_on_datagram(*b, [](void* v, const datagram& d) { static_cast<std::vector<datagram>*>(v)->push_back(d); }, &got_b), errc::ok);
    ASSERT_EQ(st->udp_join(*a, group, ipv4_address::any(), clock.now()), errc::ok);
    ASSERT_EQ(st->udp_join(*b, ipv4_address{239, 1, 2, 4}, ipv4_address::any(), clock.now()), errc::ok);
    feed(to_group(peer_ip, 30001));
    feed(to_group(peer_ip, 30001, ipv4_address{239, 1, 2, 4}));
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(got_b.size(), 1u);
    auto c = st->udp_open();
    EXPECT_EQ(st->udp_bind(*c, ipv4_address::any(), 30001), errc::in_use);
}

TEST_F(multicast_trace, multicast_loop_delivers_our_own_datagrams_only_when_asked) {
    make();
    introduce_peer();
    (void)joined_socket(30001);
    (void)sent();
    auto tx = st->udp_open();
    ASSERT_TRUE(tx.ok());
    const std::byte hello[3] = {std::byte{'h'}, std::byte{'i'}, std::byte{'!'}};
    ASSERT_EQ(st->udp_send_to(*tx, group, 30001, hello, clock.now()), errc::ok);
    EXPECT_TRUE(got.empty()) << "loop is off by default";
    EXPECT_EQ(sent().size(), 1u) << "the datagram still leaves for the wire";
    ASSERT_EQ(st->udp_set_multicast_loop(*tx, true), errc::ok);
    ASSERT_EQ(st->udp_send_to(*tx, group, 30001, hello, clock.now()), errc::ok);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].src, our_ip);
    EXPECT_EQ(got[0].dst, group);
    EXPECT_EQ(got[0].payload.size(), 3u);
    EXPECT_EQ(sent().size(), 1u) << "and to the wire as well";
}

// A handler that sends to its own group from inside, with loop on (an application that
// re-publishes what it hears): each looped copy used to be delivered inside the send, so the
// handler recursed until the stack overflowed. Looped copies are now queued and delivered
// after the send, a bounded number per call, the rest at the next poll.
TEST_F(multicast_trace, a_handler_sending_to_its_own_looped_group_does_not_recurse) {
    make();
    introduce_peer();
    struct republisher {
        stack* st;
        udp_id tx;
        ipv4_address to;
        int calls = 0;
        int depth = 0, max_depth = 0;
    } r{st.get(), 0, group};
    auto rx = st->udp_open();
    ASSERT_TRUE(rx.ok());
    ASSERT_EQ(st->udp_bind(*rx, ipv4_address::any(), 30002), errc::ok);
    ASSERT_EQ(st->udp_join(*rx, group, ipv4_address::any(), clock.now()), errc::ok);
    auto tx = st->udp_open();
    ASSERT_TRUE(tx.ok());
    r.tx = *tx;
    ASSERT_EQ(st->udp_set_multicast_loop(*tx, true), errc::ok);
    ASSERT_EQ(st->udp_on_datagram(
                  *rx,
                  [](void* c, const datagram& d) {
                      auto& self = *static_cast<republisher*>(c);
                      ++self.calls;
                      self.max_depth = std::max(self.max_depth, ++self.depth);
                      (void)self.st->udp_send_to(self.tx, self.to, 30002, d.payload, self.st->now());
                      --self.depth;
                  },
                  &r),
              errc::ok);
    (void)sent();
    const std::byte hello[2] = {std::byte{'h'}, std::byte{'i'}};
    ASSERT_EQ(st->udp_send_to(*tx, group, 30002, hello, clock.now()), errc::ok);
    EXPECT_GE(r.calls, 1);
    EXPECT_EQ(r.max_depth, 1) << "never delivered from inside the handler's own send";
    const int after_send = r.calls;
    for (int i = 0; i < 5; ++i) {
        clock.advance(duration::ms(1));
        st->poll(clock.now());
    }
    EXPECT_GT(r.calls, after_send) << "the rest are delivered at the next polls";
    EXPECT_LE(r.calls, after_send + 5 * 64) << "a bounded number per poll";
    EXPECT_EQ(r.max_depth, 1);
}

TEST_F(multicast_trace, a_general_query_is_answered_and_closing_leaves) {
    make();
    udp_id id = joined_socket(30001);
    clock.advance(duration::s(2));
    st->poll(clock.now());
    (void)sent();
    wire::igmp_query q;
    q.version = wire::igmp_version::v3;
    q.max_resp_code = 10; // 1 s
    std::vector<std::byte> body(q.message_len());
    q.emit(body);
    std::vector<std::byte> pkt(wire::ipv4_router_alert_header_len + body.size());
    wire::emit_ipv4_with_router_alert(pkt, wire::igmp_ipv4_repr(peer_ip, wire::igmp_address::all_systems, body.size()));
    std::copy(body.begin(), body.end(), pkt.begin() + wire::ipv4_router_alert_header_len);
    feed(eth(multicast_mac(wire::igmp_address::all_systems), wire::ethertype::ipv4, pkt));
    for (int i = 0; i < 12; ++i) {
        clock.advance(duration::ms(100));
        st->poll(clock.now());
    }
    EXPECT_EQ(sent().size(), 1u) << "one current-state report within 1 s";
    EXPECT_EQ(st->multicast().stats().rx_queries, 1u);
    st->udp_close(id, clock.now());
    EXPECT_EQ(sent().size(), 1u) << "the leave goes out at once";
    EXPECT_TRUE(link.b().multicast_filter().empty());
}

} // namespace
} // namespace tachyon
