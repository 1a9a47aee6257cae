/// ARP for the stack, per RFC 826 ("Packet Reception") and RFC 1122 §2.3.2; the cache's
/// policy is in stack/net/arp_cache.hpp.

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {

void stack::arp_input(packet&& frame, instant now) {
    wire::arp_repr arp;
    switch (wire::arp_repr::parse(frame.bytes(), arp)) {
    case wire::wire_error::ok: break;
    case wire::wire_error::bad_hardware_type: TACHYON_DROP(_stats.arp.drop_bad_hardware_type); return;
    case wire::wire_error::bad_protocol_type: TACHYON_DROP(_stats.arp.drop_bad_protocol_type); return;
    case wire::wire_error::bad_address_length: TACHYON_DROP(_stats.arp.drop_bad_address_length); return;
    case wire::wire_error::bad_operation: TACHYON_DROP(_stats.arp.drop_bad_operation); return;
    default: TACHYON_DROP(_stats.arp.drop_truncated); return;
    }
    const ipv4_address ours = _config.address.address;
    const bool for_us = arp.target_protocol_address == ours;
    if (arp.operation == wire::arp_operation::reply) ++_stats.arp.rx_replies;

    if (arp.sender_protocol_address == ours) [[unlikely]] {
        // RFC 5227 §2.4: someone else uses our address. Count it and never learn from it.
        ++_stats.arp.conflicts;
        return;
    }
    // A sender no one can answer: a hardware address that is zero or a group address, or a
    // protocol address no host may use as its own (RFC 1122 §3.2.1.3). 0.0.0.0 is an RFC 5227
    // probe: answered (to defend our address) but never learnt.
    const ipv4_address spa = arp.sender_protocol_address;
    const bool sender_ok = arp.sender_hardware_address.is_unicast() && !spa.is_multicast() &&
                           !spa.is_broadcast() && !spa.is_loopback();
    // RFC 826: merge the sender into the table when known; add it when the packet is for us.
    if (sender_ok && !spa.is_any()) {
        _arp.update(arp.sender_protocol_address, arp.sender_hardware_address, for_us, now,
                    [&](packet&& waiting, const mac_address& mac) {
                        ethernet_output(std::move(waiting), mac, wire::ethertype::ipv4);
                    });
    }
    if (arp.operation != wire::arp_operation::request) return;
    if (!for_us) {
        TACHYON_DROP(_stats.arp.drop_not_for_us);
        return;
    }
    // Answering such a sender would put a frame to 00:00:00:00:00:00 or a group on the wire.
    if (!sender_ok) [[unlikely]] {
        TACHYON_DROP(_stats.arp.drop_bad_sender);
        return;
    }
    ++_stats.arp.rx_requests;
    // Answer in the request's own buffer: swap the addresses, set the operation (RFC 826).
    wire::arp_repr reply{wire::arp_operation::reply, _mac, ours, arp.sender_hardware_address,
                         arp.sender_protocol_address};
    frame.truncate(wire::arp_repr::packet_len);
    reply.emit(frame.bytes());
    frame.set_tx_link_only(wire::ethernet_repr::header_len);
    ++_stats.arp.tx_replies;
    ethernet_output(std::move(frame), arp.sender_hardware_address, wire::ethertype::arp);
}

void stack::send_arp_request(ipv4_address target, arp_request_kind kind, const mac_address* known) {
    switch (kind) {
    case arp_request_kind::none: return;
    case arp_request_kind::broadcast:
        send_arp_request(target, mac_address::broadcast(), mac_address::zero());
        return;
    case arp_request_kind::unicast:
        send_arp_request(target, *known, *known);
        return;
    }
}

void stack::send_arp_request(ipv4_address target, const mac_address& dst_mac, const mac_address& target_mac) {
    packet frame = alloc_frame();
    if (!frame) [[unlikely]]
        return;
    std::byte* p = frame.append(wire::arp_repr::packet_len);
    wire::arp_repr{wire::arp_operation::request, _mac, _config.address.address, target_mac, target}.emit(
        {p, wire::arp_repr::packet_len});
    frame.set_tx_link_only(wire::ethernet_repr::header_len);
    ++_stats.arp.tx_requests;
    ethernet_output(std::move(frame), dst_mac, wire::ethertype::arp);
}

} // namespace tachyon
