/// IGMP on the wire for the stack (RFC 3376 §4, RFC 2236 §2): queries and other hosts'
/// reports in, our reports and leaves out with TTL 1 and the Router Alert option. What to
/// report and when is stack/net/igmp_host's business.

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"
#include "stack/wire/igmp.hpp"

namespace tachyon {

void stack::igmp_input(packet&& frame, const wire::ipv4_repr& ip, instant now) {
    wire::igmp_message msg;
    igmp_stats& s = _igmp.stats();
    switch (wire::parse_igmp(frame.bytes(), msg)) {
    case wire::wire_error::ok: break;
    case wire::wire_error::bad_checksum: TACHYON_DROP(s.drop_bad_checksum); return;
    case wire::wire_error::bad_type: TACHYON_DROP(s.drop_bad_type); return;
    default: TACHYON_DROP(s.drop_truncated); return;
    }
    switch (msg.type) {
    case wire::igmp_type::membership_query:
        // RFC 3376 §4.1.12: a general query goes to all-systems, a group query to its group.
        if (!msg.query.is_general() && ip.dst != msg.query.group && ip.dst != wire::igmp_address::all_systems) {
            TACHYON_DROP(s.drop_bad_destination);
            return;
        }
        _igmp.on_query(msg.query, ip.dst, now);
        return;
    case wire::igmp_type::v1_membership_report:
    case wire::igmp_type::v2_membership_report:
        _igmp.on_report(msg.v2_message.group, now);
        return;
    default:
        // v3 reports and leaves are for routers; a host only notes them.
        ++s.rx_reports;
        return;
    }
}

void stack::send_igmp(const igmp_output& m) {
    const bool v3 = m.type == wire::igmp_type::v3_membership_report;
    const size_t len = v3 ? wire::igmp_v3_report_len(m.records) : wire::igmp_v2_message::message_len;
    // RFC 3376 §4.2.14: v3 reports to 224.0.0.22; RFC 2236 §3: v2 reports to the group,
    // leaves to all-routers.
    const ipv4_address dst = v3 ? wire::igmp_address::v3_routers
                             : m.type == wire::igmp_type::v2_leave_group ? wire::igmp_address::all_routers
                                                                          : m.group;
    packet frame = alloc_frame();
    if (!frame) [[unlikely]]
        return;
    std::byte* p = frame.append(wire::ipv4_router_alert_header_len + len);
    if (p == nullptr) [[unlikely]]
        return;
    wire::emit_ipv4_with_router_alert({p, wire::ipv4_router_alert_header_len},
                                      wire::igmp_ipv4_repr(_config.address.address, dst, len));
    std::span<std::byte> body{p + wire::ipv4_router_alert_header_len, len};
    if (v3) {
        wire::emit_igmp_v3_report(body, m.records);
    } else {
        wire::igmp_v2_message{m.type, 0, m.group}.emit(body);
    }
    // Both checksums are computed here (IPv4 header with its option, IGMP message).
    frame.set_tx_l4(v3 ? wire::igmp_v3_report_header_len : wire::igmp_v2_message::message_len, 0);
    frame.set_tx_ipv4(wire::ethernet_repr::header_len, wire::ipv4_router_alert_header_len, false);
    ++_stats.ipv4.tx_packets;
    ethernet_output(std::move(frame), multicast_mac(dst), wire::ethertype::ipv4);
}

} // namespace tachyon
