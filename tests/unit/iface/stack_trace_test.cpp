// The stack read as packet traces: a test plays the far end of a memory link, feeding frames
// and checking what comes back, on a manual clock.

#include "trace_fixture.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;

TEST_F(stack_trace, start_announces_our_address_and_asks_for_the_gateway) {
    make(/*with_gateway=*/true);
    st->start(clock.now());
    auto frames = sent();
    ASSERT_EQ(frames.size(), 2u);
    wire::ethernet_repr e;
    wire::arp_repr a;
    // RFC 5227 §2.3 announcement: a broadcast request with sender and target both ours.
    ASSERT_EQ(wire::ethernet_repr::parse(frames[0], e), wire::wire_error::ok);
    EXPECT_TRUE(e.dst.is_broadcast());
    EXPECT_EQ(e.ethertype, wire::ethertype::arp);
    ASSERT_EQ(wire::arp_repr::parse(std::span(frames[0]).subspan(14), a), wire::wire_error::ok);
    EXPECT_EQ(a.sender_protocol_address, our_ip);
    EXPECT_EQ(a.target_protocol_address, our_ip);
    // The gateway request.
    ASSERT_EQ(wire::arp_repr::parse(std::span(frames[1]).subspan(14), a), wire::wire_error::ok);
    EXPECT_EQ(a.operation, wire::arp_operation::request);
    EXPECT_EQ(a.target_protocol_address, peer_ip);
    EXPECT_EQ(a.sender_hardware_address, our_mac);
    // Unanswered: asked again once a second, for as long as it takes (past the cache's
    // own max_requests).
    for (int i = 0; i < 20; ++i) {
        clock.advance(duration::ms(500));
        st->poll(clock.now());
    }
    EXPECT_EQ(sent().size(), 10u);
    EXPECT_EQ(st->gateway_mac(clock.now()), nullptr);
    // The reply resolves it.
    feed(eth(our_mac, wire::ethertype::arp, arp(wire::arp_operation::reply, our_ip, our_mac)));
    ASSERT_NE(st->gateway_mac(clock.now()), nullptr);
    EXPECT_EQ(*st->gateway_mac(clock.now()), peer_mac);
    clock.advance(duration::s(5));
    st->poll(clock.now());
    EXPECT_TRUE(sent().empty()) << "no more requests once resolved";
}

TEST_F(stack_trace, answers_an_arp_request_for_us_and_learns_the_asker) {
    make();
    feed(eth(mac_address::broadcast(), wire::ethertype::arp, arp(wire::arp_operation::request, our_ip)));
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    wire::ethernet_repr e;
    wire::arp_repr a;
    ASSERT_EQ(wire::ethernet_repr::parse(frames[0], e), wire::wire_error::ok);
    EXPECT_EQ(e.dst, peer_mac);
    EXPECT_EQ(e.src, our_mac);
    ASSERT_EQ(wire::arp_repr::parse(std::span(frames[0]).subspan(14), a), wire::wire_error::ok);
    EXPECT_EQ(a.operation, wire::arp_operation::reply);
    EXPECT_EQ(a.sender_hardware_address, our_mac);
    EXPECT_EQ(a.sender_protocol_address, our_ip);
    EXPECT_EQ(a.target_hardware_address, peer_mac);
    EXPECT_EQ(a.target_protocol_address, peer_ip);
    EXPECT_NE(st->neighbours().peek(peer_ip, clock.now()), nullptr);
    // A request for someone else: no answer, counted.
    feed(eth(mac_address::broadcast(), wire::ethertype::arp, arp(wire::arp_operation::request, ipv4_address{198, 18, 0, 77})));
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(st->stats().arp.drop_not_for_us, 1u);
}

// Found by fuzz_stack_frames: a request from hardware address 00:00:00:00:00:00 was answered to
// that address. A request whose sender is not a unicast station, or whose sender protocol address
// is multicast, broadcast or loopback, has no one to answer; it is counted and dropped.
TEST_F(stack_trace, arp_request_from_a_sender_that_cannot_be_answered_is_dropped) {
    make();
    const auto request = [&](mac_address sha, ipv4_address spa) {
        std::vector<std::byte> a(wire::arp_repr::packet_len);
        wire::arp_repr{wire::arp_operation::request, sha, spa, {}, our_ip}.emit(a);
        feed(eth(mac_address::broadcast(), wire::ethertype::arp, a));
    };
    request(mac_address::zero(), ipv4_address{0, 45, 0, 1});
    request(mac_address::broadcast(), peer_ip);
    request(mac_address{{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01}}, peer_ip);
    request(peer_mac, ipv4_address{239, 1, 1, 1});
    request(peer_mac, ipv4_address{255, 255, 255, 255});
    request(peer_mac, ipv4_address{127, 0, 0, 1});
    EXPECT_TRUE(sent().empty());
    EXPECT_EQ(st->stats().arp.drop_bad_sender, 6u);
    EXPECT_EQ(st->stats().arp.tx_replies, 0u);
    // An RFC 5227 probe (sender 0.0.0.0) from a unicast station is still answered.
    request(peer_mac, ipv4_address{0, 0, 0, 0});
    EXPECT_EQ(sent().size(), 1u);
}

// TCP is unicast only (RFC 1122 §4.2.3.10): a SYN to the subnet's broadcast address gets no
// RST and is counted under TCP, not as an IPv4 packet for someone else.
TEST_F(stack_trace, tcp_to_a_broadcast_address_is_dropped_under_tcp) {
    make();
    introduce_peer();
    const ipv4_address bcast{198, 18, 0, 255};
    std::vector<std::byte> pkt(20 + 20);
    wire::tcp_repr syn;
    syn.src_port = 40000;
    syn.dst_port = 7;
    syn.seq = wire::seq32{1};
    syn.flags = wire::tcp_flags::syn;
    syn.window = 1000;
    syn.emit(std::span(pkt).subspan(20), peer_ip, bcast, 0);
    wire::ipv4_repr ip;
    ip.total_len = uint16_t(pkt.size());
    ip.protocol = wire::ip_protocol::tcp;
    ip.src = peer_ip;
    ip.dst = bcast;
    ip.emit(pkt);
    feed(eth(mac_address::broadcast(), wire::ethertype::ipv4, pkt));
    EXPECT_TRUE(sent().empty()) << "no RST to a broadcast";
    EXPECT_EQ(st->stats().tcp.drop_not_unicast, 1u);
    EXPECT_EQ(st->stats().ipv4.drop_not_for_us, 0u);
}

TEST_F(stack_trace, echo_reply_mirrors_the_request) {
    make();
    feed(eth(mac_address::broadcast(), wire::ethertype::arp, arp(wire::arp_operation::request, our_ip)));
    (void)sent();
    std::vector<std::byte> data(56);
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 7);
    feed(eth(our_mac, wire::ethertype::ipv4, ping(9, data)));
    auto frames = sent();
    ASSERT_EQ(frames.size(), 1u);
    auto f = std::span<const std::byte>(frames[0]);
    wire::ipv4_repr ip;
    ASSERT_EQ(wire::ipv4_repr::parse(f.subspan(14), ip), wire::wire_error::ok);
    EXPECT_EQ(ip.src, our_ip);
    EXPECT_EQ(ip.dst, peer_ip);
    EXPECT_EQ(ip.ttl, 64);
    wire::icmp_repr icmp;
    ASSERT_EQ(wire::icmp_repr::parse(f.subspan(14 + 20, ip.payload_len()), icmp), wire::wire_error::ok)
        << "checksum valid after the incremental update";
    EXPECT_EQ(icmp.type, wire::icmp_type::echo_reply);
    EXPECT_EQ(icmp.identifier, 0x4242);
    EXPECT_EQ(icmp.sequence, 9);
    ASSERT_EQ(icmp.data.size(), data.size());
    EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp.data.begin()));
    EXPECT_EQ(st->stats().icmp.tx_echo_replies, 1u);
}

// Issue 9, item 5: an echo whose identifier, sequence and data are all zero sums to +0; the
// RFC 1624 incremental update gave the reply the checksum 0x0000 instead of 0xFFFF, which
// Linux and our own parser reject.
TEST_F(stack_trace, echo_reply_checksum_is_right_when_the_message_sums_to_zero) {
    make();
    introduce_peer();
    for (size_t len : {size_t(0), size_t(1), size_t(56)}) {
        feed(eth(our_mac, wire::ethertype::ipv4, ping(0, std::vector<std::byte>(len), our_ip, 0)));
        auto frames = sent();
        ASSERT_EQ(frames.size(), 1u);
        auto msg = std::span<const std::byte>(frames[0]).subspan(14 + 20);
        EXPECT_EQ(wire::internet_checksum(msg), 0) << "the reply verifies, data length " << len;
        EXPECT_EQ(wire::load_be16(msg.data() + 2), 0xffff) << "an all-zero message's checksum is 0xFFFF";
    }
    EXPECT_EQ(st->stats().icmp.tx_echo_replies, 3u);
}

TEST_F(stack_trace, malformed_frames_are_counted_by_reason) {
    make();
    auto good = ping(1, std::vector<std::byte>(8));
    auto with = [&](auto mutate) {
        auto p = good;
        mutate(p);
        return eth(our_mac, wire::ethertype::ipv4, p);
    };
    auto fix_header_checksum = [](std::vector<std::byte>& p) {
        p[10] = p[11] = std::byte{0};
        uint16_t c = wire::internet_checksum(std::span(p).first(20));
        p[10] = std::byte(c >> 8);
        p[11] = std::byte(c & 0xff);
    };
    feed(std::vector<std::byte>(10));                                                  // runt
    feed(eth(our_mac, 0x86dd, std::vector<std::byte>(40)));                            // IPv6
    feed(eth(mac_address{{0x02, 9, 9, 9, 9, 9}}, wire::ethertype::ipv4, good));       // not our MAC
    feed(eth(our_mac, wire::ethertype::ipv4, std::vector<std::byte>(good.begin(), good.begin() + 12))); // truncated IP
    feed(with([](auto& p) { p[10] ^= std::byte{1}; }));                                // header checksum
    feed(with([&](auto& p) { p[0] = std::byte{0x65}; fix_header_checksum(p); }));     // version 6
    feed(with([&](auto& p) { p[0] = std::byte{0x44}; fix_header_checksum(p); }));     // IHL 4
    feed(with([&](auto& p) { p[3] = std::byte{0xff}; fix_header_checksum(p); }));     // total length past frame
    feed(with([&](auto& p) { p[6] = std::byte{0x20}; fix_header_checksum(p); }));     // more fragments
    feed(with([&](auto& p) { p[9] = std::byte{99}; fix_header_checksum(p); }));       // unknown protocol
    feed(with([](auto& p) { p[22] ^= std::byte{1}; }));                                // ICMP checksum
    feed(eth(our_mac, wire::ethertype::arp, std::vector<std::byte>(20)));              // truncated ARP
    const auto& s = st->stats();
    EXPECT_EQ(s.ethernet.drop_too_short, 1u);
    EXPECT_EQ(s.ethernet.drop_unknown_ethertype, 1u);
    EXPECT_EQ(s.ethernet.drop_not_for_us, 1u);
    EXPECT_EQ(s.ipv4.drop_truncated, 1u);
    EXPECT_EQ(s.ipv4.drop_bad_checksum, 1u);
    EXPECT_EQ(s.ipv4.drop_bad_version, 1u);
    EXPECT_EQ(s.ipv4.drop_bad_header_length, 1u);
    EXPECT_EQ(s.ipv4.drop_bad_total_length, 1u);
    EXPECT_EQ(s.ipv4.drop_fragment, 1u);
    EXPECT_EQ(s.ipv4.drop_unknown_protocol, 1u);
    EXPECT_EQ(s.icmp.drop_bad_checksum, 1u);
    EXPECT_EQ(s.arp.drop_truncated, 1u);
    EXPECT_EQ(s.ethernet.drops() + s.ipv4.drops() + s.icmp.drops() + s.arp.drops(), 12u) << "one reason each";
    EXPECT_TRUE(sent().empty());
}

} // namespace
} // namespace tachyon
