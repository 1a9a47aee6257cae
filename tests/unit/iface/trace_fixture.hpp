#pragma once
// A packet-trace fixture: the test plays the far end of a memory link (port a), feeding
// frames to a stack on port b and reading what it sends, on a manual clock.

#include <gtest/gtest.h>

#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/udp.hpp"

namespace tachyon::trace {

const ipv4_address our_ip{198, 18, 0, 2};
const ipv4_address peer_ip{198, 18, 0, 1};
const mac_address peer_mac{{0x02, 0, 0, 0, 0, 0x01}}; // memory link port a
const mac_address our_mac{{0x02, 0, 0, 0, 0, 0x02}};  // memory link port b

struct stack_trace : ::testing::Test {
    manual_clock clock;
    memory_link link;
    std::unique_ptr<stack> st;

    void make(bool with_gateway = false) {
        stack_config c;
        c.address = ipv4_cidr{our_ip, 24};
        if (with_gateway) c.gateway = peer_ip;
        auto made = stack::create(c, link.b());
        ASSERT_TRUE(made.ok()) << made.err().message;
        st = std::move(made.value());
    }
    // Sends a frame from the peer (port a) to the stack, then polls once.
    void feed(const std::vector<std::byte>& bytes) {
        packet p = link.a().capabilities().mac == peer_mac ? alloc_a() : packet{};
        std::byte* d = p.append(bytes.size());
        std::copy(bytes.begin(), bytes.end(), d);
        packet one[1] = {std::move(p)};
        ASSERT_EQ(link.a().tx_burst(one), 1u);
        st->poll(clock.now());
    }
    packet alloc_a() {
        packet p[1];
        EXPECT_EQ(link.a().alloc_burst(p), 1u);
        return std::move(p[0]);
    }
    // Frames the stack sent, as the peer receives them.
    std::vector<std::vector<std::byte>> sent() {
        std::vector<std::vector<std::byte>> out;
        packet burst[32];
        size_t n;
        while ((n = link.a().rx_burst(burst)) > 0)
            for (size_t i = 0; i < n; ++i) {
                out.emplace_back(burst[i].bytes().begin(), burst[i].bytes().end());
                burst[i].reset();
            }
        return out;
    }
    static std::vector<std::byte> eth(const mac_address& dst, uint16_t type, const std::vector<std::byte>& payload) {
        std::vector<std::byte> f(14 + payload.size());
        wire::ethernet_repr{dst, peer_mac, type}.emit(f);
        std::copy(payload.begin(), payload.end(), f.begin() + 14);
        return f;
    }
    static std::vector<std::byte> arp(wire::arp_operation op, ipv4_address target, mac_address target_mac = {}) {
        std::vector<std::byte> a(wire::arp_repr::packet_len);
        wire::arp_repr{op, peer_mac, peer_ip, target_mac, target}.emit(a);
        return a;
    }
    // An IPv4 packet from the peer carrying a UDP datagram.
    static std::vector<std::byte> udp(uint16_t src_port, uint16_t dst_port, std::vector<std::byte> data,
                                      ipv4_address dst = our_ip) {
        std::vector<std::byte> pkt(20 + 8 + data.size());
        std::copy(data.begin(), data.end(), pkt.begin() + 28);
        wire::udp_repr u{src_port, dst_port, uint16_t(8 + data.size()), 0};
        u.emit(std::span(pkt).subspan(20), peer_ip, dst);
        wire::ipv4_repr ip;
        ip.total_len = uint16_t(pkt.size());
        ip.protocol = wire::ip_protocol::udp;
        ip.src = peer_ip;
        ip.dst = dst;
        ip.emit(pkt);
        return pkt;
    }
    // Makes the stack know the peer (as if it had asked for our MAC).
    void introduce_peer() {
        feed(eth(mac_address::broadcast(), wire::ethertype::arp, arp(wire::arp_operation::request, our_ip)));
        (void)sent();
    }
    static std::vector<std::byte> ping(uint16_t seq, std::vector<std::byte> data, ipv4_address dst = our_ip,
                                       uint16_t identifier = 0x4242) {
        wire::icmp_repr echo;
        echo.type = wire::icmp_type::echo_request;
        echo.identifier = identifier;
        echo.sequence = seq;
        echo.data = data;
        std::vector<std::byte> pkt(20 + echo.message_len());
        wire::ipv4_repr ip;
        ip.total_len = uint16_t(pkt.size());
        ip.protocol = wire::ip_protocol::icmp;
        ip.src = peer_ip;
        ip.dst = dst;
        ip.emit(pkt);
        echo.emit(std::span(pkt).subspan(20));
        return pkt;
    }
};

} // namespace tachyon::trace
