// Per-frame offload metadata (buf_offload): what the stack records in each frame's descriptor as
// it builds it (header lengths, the checksums left to the device), and what it does with the
// receive verdict a device records. A probe device in front of the memory link plays a NIC with
// checksum offload: it captures each frame's metadata at tx_burst, completes the sums the way a
// NIC does from that metadata alone (no parsing), and marks received frames as verified.

#include <gtest/gtest.h>

#include <vector>

#include "tcp_trace.hpp"

namespace tachyon {
namespace {

using namespace tachyon::trace;

/// A frame as the probe saw it at tx_burst.
struct sent_frame {
    buf_offload meta;
    std::vector<std::byte> bytes; // after the probe's completion of the requested sums
};

/// A device decorator that advertises checksum offloads, records every transmitted frame's
/// metadata, completes the requested sums from the metadata alone, and marks received frames
/// with `rx_mark` as the NIC's verdict.
class offload_probe final : public device {
public:
    offload_probe(device& inner, bool tx_offload) : _inner(inner), _caps(inner.capabilities()) {
        _caps.tx_ipv4_checksum = _caps.tx_l4_checksum = tx_offload;
        _caps.rx_ipv4_checksum = _caps.rx_l4_checksum = true; // it may mark frames (rx_mark)
    }
    size_t rx_burst(std::span<packet> out) override {
        const size_t n = _inner.rx_burst(out);
        for (size_t i = 0; i < n; ++i) out[i].descriptor()->offload.rx_checksums_good = rx_mark;
        return n;
    }
    size_t tx_burst(std::span<packet> frames) override {
        for (packet& p : frames) {
            complete(p);
            frames_sent.push_back({p.offload(), {p.bytes().begin(), p.bytes().end()}});
        }
        return _inner.tx_burst(frames);
    }
    size_t alloc_burst(std::span<packet> out) override { return _inner.alloc_burst(out); }
    const device_caps& capabilities() const override { return _caps; }
    result<void> set_multicast_filter(std::span<const mac_address> g) override { return _inner.set_multicast_filter(g); }
    const device_stats& stats() const override { return _inner.stats(); }

    uint8_t rx_mark = 0;
    std::vector<sent_frame> frames_sent;

private:
    // What a NIC does with the metadata: the IPv4 header sum over l3_len bytes into its
    // (zero) field; the transport sum over the rest, seeded by the pseudo-header sum the stack
    // left in the field (UDP at offset 6, TCP at 16), complemented into that field.
    static void complete(packet& p) {
        const buf_offload& o = p.offload();
        std::byte* l3 = p.data() + o.l2_len;
        if ((o.tx_checksums & checksum_bit::ipv4) != 0)
            wire::store_be16(l3 + 10, wire::internet_checksum({l3, o.l3_len}));
        if ((o.tx_checksums & checksum_bit::l4) != 0) {
            std::byte* l4 = l3 + o.l3_len;
            const size_t len = p.size() - o.l2_len - o.l3_len;
            const size_t field = (o.tx_checksums & checksum_bit::tcp) != 0 ? 16 : 6;
            const uint16_t seed = wire::load_be16(l4 + field); // the folded pseudo-header sum
            wire::store_be16(l4 + field, 0);
            uint16_t sum = wire::checksum_fold(wire::checksum_partial({l4, len}, seed));
            if (sum == 0 && field == 6) sum = 0xffff; // RFC 768: a computed 0 is sent as all ones
            wire::store_be16(l4 + field, sum);
        }
    }

    device& _inner;
    device_caps _caps;
};

struct offload_meta : stack_trace {
    std::unique_ptr<offload_probe> probe;

    // The stack goes before the probe it runs on (its destructor flushes through the device).
    ~offload_meta() override { st.reset(); }

    void make_with(bool tx_offload) {
        probe = std::make_unique<offload_probe>(link.b(), tx_offload);
        stack_config c;
        c.address = ipv4_cidr{our_ip, 24};
        auto made = stack::create(c, *probe);
        ASSERT_TRUE(made.ok()) << made.err().message;
        st = std::move(made.value());
        introduce_peer();
        probe->frames_sent.clear();
    }
    // The one frame sent since the last call, its sums checked by the wire parsers (verify on).
    sent_frame one_sent() {
        EXPECT_EQ(probe->frames_sent.size(), 1u);
        sent_frame f = probe->frames_sent.empty() ? sent_frame{} : probe->frames_sent.back();
        probe->frames_sent.clear();
        (void)sent();
        return f;
    }
    static void expect_valid_ipv4(const sent_frame& f, uint8_t protocol) {
        wire::ipv4_repr ip;
        ASSERT_EQ(wire::ipv4_repr::parse(std::span(f.bytes).subspan(14), ip, true), wire::wire_error::ok);
        EXPECT_EQ(ip.protocol, protocol);
        std::span<const std::byte> l4 = std::span(f.bytes).subspan(14 + ip.header_len, ip.total_len - ip.header_len);
        if (protocol == wire::ip_protocol::udp) {
            wire::udp_repr u;
            EXPECT_EQ(wire::udp_repr::parse(l4, ip.src, ip.dst, u, true), wire::wire_error::ok);
        } else if (protocol == wire::ip_protocol::tcp) {
            wire::tcp_repr t;
            EXPECT_EQ(wire::tcp_repr::parse(l4, ip.src, ip.dst, t, true), wire::wire_error::ok);
        } else if (protocol == wire::ip_protocol::icmp) {
            wire::icmp_repr m;
            EXPECT_EQ(wire::icmp_repr::parse(l4, m), wire::wire_error::ok);
        }
    }
    // A SYN from the peer to `port`, as an Ethernet frame.
    static std::vector<std::byte> syn_to(uint16_t port) {
        seg s;
        s.flags = wire::tcp_flags::syn;
        s.seq = 1000;
        s.dst = port;
        return tcp_trace::frame(s);
    }
};

TEST_F(offload_meta, udp_datagram_asks_the_device_for_both_sums) {
    make_with(true);
    const udp_id s = *st->udp_open();
    ASSERT_EQ(st->udp_send_to(s, peer_ip, 9000, std::as_bytes(std::span("payload")), clock.now()), errc::ok);
    const sent_frame f = one_sent();
    EXPECT_EQ(f.meta, (buf_offload{14, 20, 8, checksum_bit::ipv4 | checksum_bit::udp, 0}));
    expect_valid_ipv4(f, wire::ip_protocol::udp); // the probe completed it from the metadata alone
}

TEST_F(offload_meta, without_offload_the_lengths_are_recorded_and_nothing_is_asked) {
    make_with(false);
    const udp_id s = *st->udp_open();
    ASSERT_EQ(st->udp_send_to(s, peer_ip, 9000, std::as_bytes(std::span("payload")), clock.now()), errc::ok);
    const sent_frame f = one_sent();
    EXPECT_EQ(f.meta, (buf_offload{14, 20, 8, 0, 0}));
    expect_valid_ipv4(f, wire::ip_protocol::udp);
}

TEST_F(offload_meta, tcp_segment_of_a_connection_asks_for_the_tcp_sum) {
    make_with(true);
    ASSERT_TRUE(st->tcp_listen(7000, 4, [](void*, tcp_id) {}, nullptr).ok());
    feed(syn_to(7000));
    const sent_frame f = one_sent(); // the SYN-ACK, built by tcp_drain
    const size_t hlen = size_t(uint8_t(f.bytes[14 + 20 + 12]) >> 4) * 4;
    EXPECT_GT(hlen, 20u) << "the SYN-ACK carries options";
    EXPECT_EQ(f.meta, (buf_offload{14, 20, uint8_t(hlen), checksum_bit::ipv4 | checksum_bit::tcp, 0}));
    expect_valid_ipv4(f, wire::ip_protocol::tcp);
}

TEST_F(offload_meta, stateless_reset_carries_its_own_tcp_sum) {
    // A RST for a closed port is checksummed in software whatever the device offers: the
    // metadata asks only for the IPv4 header sum.
    make_with(true);
    feed(syn_to(7001));
    const sent_frame f = one_sent();
    EXPECT_EQ(f.meta, (buf_offload{14, 20, 20, checksum_bit::ipv4, 0}));
    expect_valid_ipv4(f, wire::ip_protocol::tcp);
}

TEST_F(offload_meta, icmp_echo_reply_in_the_request_buffer_asks_only_for_the_ip_sum) {
    make_with(true);
    feed(eth(our_mac, wire::ethertype::ipv4, ping(1, std::vector<std::byte>(32, std::byte{0x5a}))));
    const sent_frame f = one_sent();
    EXPECT_EQ(f.meta, (buf_offload{14, 20, 8, checksum_bit::ipv4, 0}));
    expect_valid_ipv4(f, wire::ip_protocol::icmp);
}

TEST_F(offload_meta, port_unreachable_asks_only_for_the_ip_sum) {
    make_with(true);
    feed(eth(our_mac, wire::ethertype::ipv4, udp(5555, 9999, {std::byte{1}})));
    const sent_frame f = one_sent();
    EXPECT_EQ(f.meta, (buf_offload{14, 20, 8, checksum_bit::ipv4, 0}));
    expect_valid_ipv4(f, wire::ip_protocol::icmp);
}

TEST_F(offload_meta, arp_reply_records_a_link_header_only) {
    make_with(true);
    feed(eth(mac_address::broadcast(), wire::ethertype::arp, arp(wire::arp_operation::request, our_ip)));
    EXPECT_EQ(one_sent().meta, (buf_offload{14, 0, 0, 0, 0}));
}

TEST_F(offload_meta, igmp_report_is_complete_in_software) {
    make_with(true);
    const udp_id s = *st->udp_open();
    ASSERT_EQ(st->udp_join(s, ipv4_address{239, 1, 2, 3}, ipv4_address::any(), clock.now()), errc::ok);
    ASSERT_FALSE(probe->frames_sent.empty());
    // IPv4 with the Router Alert option (24 bytes), the report's 8-byte header.
    EXPECT_EQ(probe->frames_sent.front().meta, (buf_offload{14, 24, 8, 0, 0}));
    probe->frames_sent.clear();
    (void)sent();
}

TEST_F(offload_meta, stack_skips_only_the_sums_the_device_verified) {
    make_with(false);
    const udp_id s = *st->udp_open();
    ASSERT_EQ(st->udp_bind(s, ipv4_address::any(), 9000), errc::ok);
    auto corrupt_udp = [] {
        std::vector<std::byte> pkt = udp(5555, 9000, {std::byte{1}, std::byte{2}});
        pkt[26] ^= std::byte{0xff}; // the UDP checksum
        return pkt;
    };
    // No verdict from the device: the stack checks and drops.
    feed(eth(our_mac, wire::ethertype::ipv4, corrupt_udp()));
    EXPECT_EQ(st->stats().udp.drop_bad_checksum, 1u);
    // The device says only the IPv4 header is good: the UDP sum is still checked.
    probe->rx_mark = checksum_bit::ipv4;
    feed(eth(our_mac, wire::ethertype::ipv4, corrupt_udp()));
    EXPECT_EQ(st->stats().udp.drop_bad_checksum, 2u);
    // The device verified the transport sum: the stack trusts it (here wrongly, which shows
    // that it did not look).
    probe->rx_mark = checksum_bit::ipv4 | checksum_bit::l4;
    feed(eth(our_mac, wire::ethertype::ipv4, corrupt_udp()));
    EXPECT_EQ(st->stats().udp.drop_bad_checksum, 2u);
    EXPECT_EQ(st->stats().udp.rx_datagrams, 1u);
    // Likewise the IPv4 header sum.
    std::vector<std::byte> bad_ip = udp(5555, 9000, {std::byte{3}});
    bad_ip[10] ^= std::byte{0xff};
    probe->rx_mark = checksum_bit::l4;
    feed(eth(our_mac, wire::ethertype::ipv4, bad_ip));
    EXPECT_EQ(st->stats().ipv4.drop_bad_checksum, 1u);
    probe->rx_mark = checksum_bit::ipv4 | checksum_bit::l4;
    feed(eth(our_mac, wire::ethertype::ipv4, bad_ip));
    EXPECT_EQ(st->stats().ipv4.drop_bad_checksum, 1u);
    EXPECT_EQ(st->stats().udp.rx_datagrams, 2u);
}

TEST_F(offload_meta, tcp_checks_its_sum_unless_the_device_verified_it) {
    make_with(false);
    std::vector<std::byte> syn = syn_to(7002);
    syn[14 + 20 + 16] ^= std::byte{0xff}; // the TCP checksum
    feed(syn);
    EXPECT_EQ(st->stats().tcp.drop_bad_checksum, 1u);
    EXPECT_TRUE(probe->frames_sent.empty()) << "no RST for a corrupt segment";
    probe->rx_mark = checksum_bit::ipv4 | checksum_bit::l4;
    feed(syn);
    EXPECT_EQ(st->stats().tcp.drop_bad_checksum, 1u);
    EXPECT_EQ(st->stats().tcp.tx_resets, 1u) << "trusted, so answered as a segment for a closed port";
}

} // namespace
} // namespace tachyon
