#include "stack/core/config.hpp"

#include <string>

namespace tachyon {

namespace {

error invalid(std::string what) { return make_error(errc::invalid_argument, std::move(what)); }

bool usable_unicast(ipv4_address a) {
    return !a.is_any() && !a.is_broadcast() && !a.is_multicast() && !a.is_loopback() && (a.value >> 28) != 0xf;
}

} // namespace

result<void> stack_config::validate() const {
    const auto& ip = address.address;
    if (!usable_unicast(ip))
        return invalid("--ip " + address.to_string() + ": not a usable unicast address");
    if (address.prefix_len == 0 || address.prefix_len > 32)
        return invalid("--ip " + address.to_string() + ": prefix length must be 1 to 32");
    if (address.prefix_len < 31) {
        // RFC 1122 §3.2.1.3: the all-zeros and all-ones host parts are not host addresses
        // (RFC 3021 allows them on /31 links).
        if (ip == address.directed_broadcast() || (ip.value & ~address.mask()) == 0)
            return invalid("--ip " + address.to_string() + ": the subnet's network or broadcast address");
    }
    if (gateway) {
        if (!usable_unicast(*gateway))
            return invalid("--gateway " + gateway->to_string() + ": not a usable unicast address");
        if (*gateway == ip) return invalid("--gateway " + gateway->to_string() + ": is our own address");
        if (!address.contains(*gateway))
            return invalid("--gateway " + gateway->to_string() + ": not on the subnet " + address.to_string());
    }
    for (size_t i = 0; i < static_arp.size(); ++i) {
        const auto& e = static_arp[i];
        std::string what = "--arp " + e.ip.to_string() + "=" + e.mac.to_string();
        if (!usable_unicast(e.ip)) return invalid(what + ": not a usable unicast address");
        if (!e.mac.is_unicast()) return invalid(what + ": the MAC must be unicast and not zero");
        if (e.ip == ip) return invalid(what + ": is our own address");
        for (size_t j = 0; j < i; ++j)
            if (static_arp[j].ip == e.ip) return invalid(what + ": the address is given twice");
    }
    if (static_arp.size() > arp.capacity)
        return invalid("more static ARP entries than the ARP cache holds (" + std::to_string(arp.capacity) + ")");
    if (mac && !mac->is_unicast()) return invalid("--mac " + mac->to_string() + ": must be unicast and not zero");
    if (default_ttl == 0) return invalid("default TTL must be at least 1");
    if (arp.capacity == 0 || arp.capacity > (1u << 20)) return invalid("ARP capacity must be 1 to 1048576");
    if (arp.pending_per_neighbour == 0 || arp.pending_per_neighbour > 1024)
        return invalid("ARP pending frames per neighbour must be 1 to 1024");
    if (arp.reachable_time <= duration{}) return invalid("ARP reachable time must be positive");
    if (arp.retry_interval <= duration{}) return invalid("ARP retry interval must be positive");
    if (arp.max_requests == 0) return invalid("ARP max requests must be at least 1");
    if (rx_burst == 0 || rx_burst > 512) return invalid("receive burst must be 1 to 512");
    if (tx_queue < rx_burst) return invalid("the transmit queue must hold at least one receive burst");
    if (gateway_retry <= duration{}) return invalid("gateway retry interval must be positive");
    if (udp_sockets == 0 || udp_sockets > 65535) return invalid("UDP sockets must be 1 to 65535");
    if (udp_queue == 0 || udp_queue > 65536) return invalid("UDP queue length must be 1 to 65536");
    if (multicast.max_groups == 0 || multicast.max_groups > 4096) return invalid("multicast groups must be 1 to 4096");
    if (multicast.memberships_per_socket == 0 || multicast.memberships_per_socket > 256)
        return invalid("memberships per socket must be 1 to 256");
    if (multicast.robustness == 0) return invalid("IGMP robustness must be at least 1 (RFC 3376 §8.1)");
    if (multicast.unsolicited_report_interval <= duration{}) return invalid("IGMP unsolicited report interval must be positive");
    if (multicast.multicast_ttl == 0) return invalid("multicast TTL must be at least 1");
    if (tcp.max_connections == 0 || tcp.max_connections > (1u << 20)) return invalid("TCP connections must be 1 to 1048576");
    if (tcp.max_listeners == 0 || tcp.max_listeners > 65535) return invalid("TCP listeners must be 1 to 65535");
    if (tcp.syn_backlog == 0) return invalid("TCP SYN backlog must be at least 1");
    if (tcp.send_buffer < 2048 || tcp.send_buffer > (64u << 20)) return invalid("TCP send buffer must be 2 KiB to 64 MiB");
    if (tcp.receive_buffer < 2048 || tcp.receive_buffer > (64u << 20))
        return invalid("TCP receive buffer must be 2 KiB to 64 MiB");
    if (tcp.window_scale > 14) return invalid("TCP window scale must be 0 to 14 (RFC 7323 §2.3)");
    if (tcp.receive_buffer > (size_t(65535) << tcp.window_scale))
        return invalid("TCP receive buffer too large for the window scale");
    if (tcp.msl <= duration{} || tcp.rto_min <= duration{} || tcp.rto_initial < tcp.rto_min || tcp.rto_max < tcp.rto_initial)
        return invalid("TCP timers must satisfy 0 < rto_min <= rto_initial <= rto_max and msl > 0");
    if (tcp.pto_min <= duration{} || tcp.tlp_delayed_ack < duration{})
        return invalid("TCP tail loss probe timers must satisfy pto_min > 0 and tlp_delayed_ack >= 0");
    if (tcp.max_retransmits == 0) return invalid("TCP max retransmits must be at least 1");
    if (icmp_error_burst == 0 && icmp_error_rate != 0) return invalid("ICMP error burst must be at least 1");
    return {};
}

} // namespace tachyon
