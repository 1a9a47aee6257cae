#include "support/frame_check.hpp"

#include "stack/wire/arp.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/igmp.hpp"
#include "support/fuzz_target.hpp"

namespace tachyon::fuzz {

uint16_t reference_sum(std::span<const std::byte> data, uint32_t initial) {
    uint64_t sum = initial;
    for (size_t i = 0; i < data.size(); i += 2) {
        const uint32_t hi = uint32_t(data[i]);
        const uint32_t lo = i + 1 < data.size() ? uint32_t(data[i + 1]) : 0;
        sum += hi << 8 | lo;
    }
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(sum);
}

uint32_t reference_pseudo(ipv4_address src, ipv4_address dst, uint8_t protocol, size_t length) {
    return (src.value >> 16) + (src.value & 0xffff) + (dst.value >> 16) + (dst.value & 0xffff) + protocol +
           uint32_t(length);
}

bool split_addresses(const uint8_t* data, size_t size, addressed_input& out) {
    if (size < 8) return false;
    const auto b = std::as_bytes(std::span(data, size));
    out.src = ipv4_address{wire::load_be32(b.data())};
    out.dst = ipv4_address{wire::load_be32(b.data() + 4)};
    out.rest = b.subspan(8);
    return true;
}

bool same_but_checksum(std::span<const std::byte> a, std::span<const std::byte> b, size_t at) {
    if (a.size() != b.size() || a.size() < at + 2) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (i != at && i != at + 1 && a[i] != b[i]) return false;
    auto field = [at](std::span<const std::byte> s) { return uint16_t(uint16_t(s[at]) << 8 | uint16_t(s[at + 1])); };
    return same_checksum(field(a), field(b));
}

namespace {

void check_tcp(std::span<const std::byte> l4, const wire::ipv4_repr& ip, sent_frame& out) {
    FUZZ_CHECK(reference_sum(l4, reference_pseudo(ip.src, ip.dst, wire::ip_protocol::tcp, l4.size())) == 0xffff,
               "sent a TCP segment with a bad checksum (%zu bytes)", l4.size());
    const auto e = wire::tcp_repr::parse(l4, ip.src, ip.dst, out.tcp, true);
    FUZZ_CHECK(e == wire::wire_error::ok, "sent a TCP segment that does not parse: %s", wire::to_string(e));
    FUZZ_CHECK(!(out.tcp.has(wire::tcp_flags::syn) && out.tcp.has(wire::tcp_flags::rst)), "sent SYN together with RST");
    out.is_tcp = true;
    out.tcp_payload = out.tcp.payload(l4);
    FUZZ_CHECK(out.tcp_payload.empty() || !out.tcp.has(wire::tcp_flags::rst), "sent a RST carrying data");
}

void check_udp(std::span<const std::byte> l4, const wire::ipv4_repr& ip, sent_frame& out) {
    FUZZ_CHECK(l4.size() >= 8, "sent a truncated UDP datagram");
    const uint16_t sum = uint16_t(uint16_t(l4[6]) << 8 | uint16_t(l4[7]));
    FUZZ_CHECK(sum != 0, "sent a UDP datagram without a checksum");
    FUZZ_CHECK(reference_sum(l4, reference_pseudo(ip.src, ip.dst, wire::ip_protocol::udp, l4.size())) == 0xffff,
               "sent a UDP datagram with a bad checksum");
    const auto e = wire::udp_repr::parse(l4, ip.src, ip.dst, out.udp, true);
    FUZZ_CHECK(e == wire::wire_error::ok, "sent a UDP datagram that does not parse: %s", wire::to_string(e));
    FUZZ_CHECK(out.udp.length == l4.size(), "sent a UDP length (%u) that is not the IP payload's (%zu)",
               out.udp.length, l4.size());
    out.is_udp = true;
}

void check_icmp(std::span<const std::byte> l4, sent_frame& out) {
    FUZZ_CHECK(reference_sum(l4) == 0xffff, "sent an ICMP message with a bad checksum (type %u, %zu bytes)",
               l4.empty() ? 0u : unsigned(l4[0]), l4.size());
    const auto e = wire::icmp_repr::parse(l4, out.icmp, true);
    FUZZ_CHECK(e == wire::wire_error::ok, "sent an ICMP message that does not parse: %s", wire::to_string(e));
    FUZZ_CHECK(out.icmp.type == wire::icmp_type::echo_reply || out.icmp.type == wire::icmp_type::echo_request ||
                   out.icmp.type == wire::icmp_type::destination_unreachable,
               "sent ICMP type %u", out.icmp.type);
    out.is_icmp = true;
}

void check_igmp(std::span<const std::byte> l3, std::span<const std::byte> l4, const wire::ipv4_repr& ip) {
    FUZZ_CHECK(wire::has_router_alert(l3.first(ip.header_len)), "sent IGMP without Router Alert (RFC 2113)");
    FUZZ_CHECK(ip.ttl == 1 && ip.dst.is_multicast(), "sent IGMP with TTL %u to %s", ip.ttl,
               ip.dst.to_string().c_str());
    FUZZ_CHECK(reference_sum(l4) == 0xffff, "sent an IGMP message with a bad checksum");
    wire::igmp_message m;
    const auto e = wire::parse_igmp(l4, m, true);
    FUZZ_CHECK(e == wire::wire_error::ok, "sent an IGMP message that does not parse: %s", wire::to_string(e));
    FUZZ_CHECK(m.type != wire::igmp_type::membership_query, "a host sent an IGMP query");
}

} // namespace

sent_frame check_sent_frame(std::span<const std::byte> frame, const mac_address& mac, ipv4_address ip_addr) {
    sent_frame out;
    wire::ethernet_repr eth;
    FUZZ_CHECK(wire::ethernet_repr::parse(frame, eth) == wire::wire_error::ok, "sent a %zu-byte frame", frame.size());
    FUZZ_CHECK(eth.src == mac, "sent a frame from MAC %s", eth.src.to_string().c_str());
    FUZZ_CHECK(eth.dst != mac_address::zero(), "sent a frame to MAC 00:00:00:00:00:00");
    FUZZ_CHECK(frame.size() <= 1514, "sent a %zu-byte frame (MTU 1500)", frame.size());
    out.ethertype = eth.ethertype;
    const auto l3 = frame.subspan(wire::ethernet_repr::header_len);
    if (eth.ethertype == wire::ethertype::arp) {
        wire::arp_repr arp;
        const auto e = wire::arp_repr::parse(l3, arp);
        FUZZ_CHECK(e == wire::wire_error::ok, "sent ARP that does not parse: %s", wire::to_string(e));
        FUZZ_CHECK(arp.sender_hardware_address == mac && arp.sender_protocol_address == ip_addr,
                   "sent ARP in someone else's name");
        return out;
    }
    FUZZ_CHECK(eth.ethertype == wire::ethertype::ipv4, "sent ethertype 0x%04x", eth.ethertype);
    wire::ipv4_repr& ip = out.ip;
    const auto e = wire::ipv4_repr::parse(l3, ip, false);
    FUZZ_CHECK(e == wire::wire_error::ok, "sent an IPv4 header that does not parse: %s", wire::to_string(e));
    FUZZ_CHECK(reference_sum(l3.first(ip.header_len)) == 0xffff, "sent an IPv4 header with a bad checksum");
    FUZZ_CHECK(l3.size() == ip.total_len || (frame.size() <= 60 && l3.size() > ip.total_len),
               "sent IPv4 total length %u in %zu bytes", ip.total_len, l3.size());
    FUZZ_CHECK(ip.src == ip_addr, "sent IPv4 from %s", ip.src.to_string().c_str());
    FUZZ_CHECK(!ip.is_fragment() && ip.ttl > 0, "sent a fragment or TTL 0");
    const auto l4 = l3.subspan(ip.header_len, ip.payload_len());
    switch (ip.protocol) {
    case wire::ip_protocol::tcp: check_tcp(l4, ip, out); break;
    case wire::ip_protocol::udp: check_udp(l4, ip, out); break;
    case wire::ip_protocol::icmp: check_icmp(l4, out); break;
    case wire::ip_protocol::igmp: check_igmp(l3, l4, ip); break;
    default: fail("sent IP protocol %u", ip.protocol);
    }
    return out;
}

} // namespace tachyon::fuzz
