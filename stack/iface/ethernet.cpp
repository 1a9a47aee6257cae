/// Ethernet II receive and transmit for the stack (IEEE 802.3 framing, RFC 894).

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {

namespace {

// 01:00:5e:00:00:00 - 01:00:5e:7f:ff:ff (RFC 1112 §6.4).
bool is_ipv4_multicast_mac(const mac_address& m) {
    return m.bytes[0] == 0x01 && m.bytes[1] == 0x00 && m.bytes[2] == 0x5e && (m.bytes[3] & 0x80) == 0;
}

} // namespace

void stack::ethernet_input(packet&& frame, instant now) {
    ++_stats.ethernet.rx_frames;
    wire::ethernet_repr eth;
    if (wire::ethernet_repr::parse(frame.bytes(), eth) != wire::wire_error::ok) [[unlikely]] {
        TACHYON_DROP(_stats.ethernet.drop_too_short);
        return;
    }
    if (eth.dst != _mac && !eth.dst.is_broadcast() && !is_ipv4_multicast_mac(eth.dst)) [[unlikely]] {
        // IPv4 multicast MACs pass: 32 groups share each one (RFC 1112 §6.4), so IPv4 decides
        // by the group address; the device's filter keeps the groups we did not join away.
        TACHYON_DROP(_stats.ethernet.drop_not_for_us);
        return;
    }
    if (eth.src.is_multicast()) [[unlikely]] {
        TACHYON_DROP(_stats.ethernet.drop_bad_source);
        return;
    }
    frame.trim_front(wire::ethernet_repr::header_len);
    switch (eth.ethertype) {
    case wire::ethertype::ipv4:
        ipv4_input(std::move(frame), now);
        return;
    case wire::ethertype::arp:
        arp_input(std::move(frame), now);
        return;
    default:
        TACHYON_DROP(_stats.ethernet.drop_unknown_ethertype);
        return;
    }
}

void stack::ethernet_output(packet&& frame, const mac_address& dst, uint16_t ethertype) {
    std::byte* h = frame.prepend(wire::ethernet_repr::header_len);
    if (h == nullptr) [[unlikely]] {
        TACHYON_DROP(_stats.tx.drop_no_headroom);
        return;
    }
    // The frame's offload metadata, this header's length included, was recorded by the layer
    // above (ipv4_output, ARP, IGMP) with its other lengths, in one store.
    wire::ethernet_repr{dst, _mac, ethertype}.emit({h, wire::ethernet_repr::header_len});
    transmit(std::move(frame));
}

} // namespace tachyon
