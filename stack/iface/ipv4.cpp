/// IPv4 for the stack, per RFC 791 and RFC 1122 §3.2.1: validate once at the boundary, then
/// hand the payload up; on the way down, route (on-link or via the gateway) and resolve.

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/igmp.hpp"

namespace tachyon {

bool stack::is_our_destination(ipv4_address dst) const {
    // RFC 1122 §3.2.1.3: ours, the limited broadcast, or our subnet's directed broadcast.
    return dst == _config.address.address || dst.is_broadcast() ||
           (_config.address.prefix_len < 31 && dst == _config.address.directed_broadcast());
}

void stack::ipv4_input(packet&& frame, instant now) {
    wire::ipv4_repr ip;
    // The header checksum is checked here unless the device's NIC found it good (only a device
    // with receive offload marks frames: the flag test spares the others a load).
    const bool verify = !(_caps.rx_ipv4_checksum && frame.rx_checksum_good(checksum_bit::ipv4));
    switch (wire::ipv4_repr::parse(frame.bytes(), ip, verify)) {
    case wire::wire_error::ok: break;
    case wire::wire_error::bad_version: TACHYON_DROP(_stats.ipv4.drop_bad_version); return;
    case wire::wire_error::bad_header_length: TACHYON_DROP(_stats.ipv4.drop_bad_header_length); return;
    case wire::wire_error::bad_total_length: TACHYON_DROP(_stats.ipv4.drop_bad_total_length); return;
    case wire::wire_error::bad_checksum: TACHYON_DROP(_stats.ipv4.drop_bad_checksum); return;
    default: TACHYON_DROP(_stats.ipv4.drop_truncated); return;
    }
    if (ip.src.is_broadcast() || ip.src.is_multicast()) [[unlikely]] {
        TACHYON_DROP(_stats.ipv4.drop_bad_source);
        return;
    }
    if (ip.dst.is_multicast()) {
        // RFC 1112 §6.2: a host takes the groups it joined, and all-systems (224.0.0.1),
        // which every host is a member of.
        if (!_igmp.joined(ip.dst) && ip.dst != wire::igmp_address::all_systems) [[unlikely]] {
            TACHYON_DROP(_stats.ipv4.drop_not_joined);
            return;
        }
    } else if (!is_our_destination(ip.dst)) [[unlikely]] {
        TACHYON_DROP(_stats.ipv4.drop_not_for_us);
        return;
    }
    if (ip.is_fragment()) [[unlikely]] {
        // RFC 1122 §3.3.2 asks for reassembly; this stack drops fragments and says so.
        TACHYON_DROP(_stats.ipv4.drop_fragment);
        return;
    }
    ++_stats.ipv4.rx_packets;
    frame.truncate(ip.total_len); // Ethernet padding goes
    frame.trim_front(ip.header_len);
    switch (ip.protocol) {
    case wire::ip_protocol::icmp:
        icmp_input(std::move(frame), ip, now);
        return;
    case wire::ip_protocol::udp:
        udp_input(std::move(frame), ip, now);
        return;
    case wire::ip_protocol::tcp:
        _tcp.input(std::move(frame), ip, now);
        return;
    case wire::ip_protocol::igmp:
        igmp_input(std::move(frame), ip, now);
        return;
    default:
        // RFC 1122 §3.2.2.1 suggests a protocol unreachable here; we count and stay silent.
        TACHYON_DROP(_stats.ipv4.drop_unknown_protocol);
        return;
    }
}

errc stack::ipv4_output(packet&& frame, ipv4_address dst, uint8_t protocol, instant now, uint8_t ttl) {
    wire::ipv4_repr ip;
    ip.total_len = uint16_t(wire::ipv4_repr::min_header_len + frame.size());
    if (protocol == wire::ip_protocol::tcp) {
        // TCP segments never exceed the MTU (the MSS comes from it): atomic datagrams, sent
        // with DF (RFC 1191 path MTU discovery), whose ID may be any value (RFC 6864 §4.1).
        ip.dont_fragment = true;
        ip.identification = 0;
    } else {
        ip.identification = _ip_id_counters[(dst.value * _ip_id_key) >> 24]++; // RFC 7739 §5.4
    }
    ip.ttl = ttl != 0 ? ttl : _config.default_ttl;
    ip.protocol = protocol;
    ip.src = _config.address.address;
    ip.dst = dst;
    std::byte* h = frame.prepend(wire::ipv4_repr::min_header_len);
    if (h == nullptr) [[unlikely]] {
        TACHYON_DROP(_stats.ipv4.drop_no_headroom);
        return errc::no_buffer;
    }
    ip.emit({h, wire::ipv4_repr::min_header_len}, !_caps.tx_ipv4_checksum);
    frame.set_tx_ipv4(wire::ethernet_repr::header_len, wire::ipv4_repr::min_header_len, _caps.tx_ipv4_checksum);
    ++_stats.ipv4.tx_packets;

    if (dst.is_broadcast() || (_config.address.prefix_len < 31 && dst == _config.address.directed_broadcast())) {
        ethernet_output(std::move(frame), mac_address::broadcast(), wire::ethertype::ipv4);
        return errc::ok;
    }
    if (dst.is_multicast()) {
        ethernet_output(std::move(frame), multicast_mac(dst), wire::ethertype::ipv4);
        return errc::ok;
    }
    // RFC 1122 §3.3.1.1: on-link destinations go direct, the rest to the gateway.
    ipv4_address next_hop = dst;
    if (!_config.address.contains(dst)) {
        if (!_config.gateway) [[unlikely]] {
            TACHYON_DROP(_stats.ipv4.drop_no_route);
            return errc::unreachable;
        }
        next_hop = *_config.gateway;
    }
    neighbour_output(std::move(frame), next_hop, now);
    return errc::ok;
}

void stack::neighbour_output(packet&& frame, ipv4_address next_hop, instant now) {
    arp_lookup hit = _arp.lookup(next_hop, now);
    if (hit.mac != nullptr) [[likely]] {
        mac_address mac = *hit.mac;
        if (hit.request != arp_request_kind::none) send_arp_request(next_hop, hit.request, &mac);
        ethernet_output(std::move(frame), mac, wire::ethertype::ipv4);
        return;
    }
    // A miss: the frame waits (bounded) while ARP resolves (RFC 1122 §2.3.2.2).
    arp_request_kind kind = _arp.enqueue(next_hop, std::move(frame), now);
    send_arp_request(next_hop, kind, nullptr);
}

} // namespace tachyon
