/// The program's ops for everything but TCP segments: UDP sockets and datagrams, ICMP echo,
/// ARP, IGMP queries, raw frames (with the checksums fixed on request) and socket options.

#include <algorithm>
#include <cstring>

#include "stack/wire/arp.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/igmp.hpp"
#include "support/fuzz_target.hpp"
#include "support/program.hpp"
#include "support/raw_frame.hpp"

namespace tachyon::fuzz {

namespace {

constexpr uint16_t udp_port = 5000;

ipv4_address group_of(uint8_t b) { return ipv4_address{239, 1, 1, uint8_t(b & 3)}; }

/// A host on our subnet other than us and the peer.
ipv4_address host_of(uint8_t b) { return ipv4_address{198, 18, 0, uint8_t(10 + b % 200)}; }
mac_address mac_of(uint8_t b) { return mac_address{{0x02, 0, 0, 0, 0x01, uint8_t(10 + b % 200)}}; }

} // namespace

void program_run::op_udp() {
    const uint8_t sub = _in.below(7), b1 = _in.u8(), b2 = _in.u8(), b3 = _in.u8();
    stack& st = _rig->st();
    const instant now = _rig->now();
    const bool have = !_udp.empty();
    const udp_id id = have ? _udp[b1 % _udp.size()] : 0;
    switch (sub) {
    case 0: {
        if (_udp.size() >= 4) return;
        auto r = st.udp_open();
        if (!r.ok()) return;
        if (st.udp_bind(*r, ipv4_address::any(), uint16_t(udp_port + (b1 & 3))) != errc::ok) {
            st.udp_close(*r, now);
            return;
        }
        if (b2 & 1) (void)st.udp_on_datagram(*r, &program_run::on_datagram, this);
        _udp.push_back(*r);
        return;
    }
    case 1:
        if (have) (void)st.udp_join(id, group_of(b2), (b3 & 1) ? peer_ip : ipv4_address::any(), now);
        break;
    case 2:
        if (have) (void)st.udp_leave(id, group_of(b2), (b3 & 1) ? peer_ip : ipv4_address::any(), now);
        break;
    case 3: {
        // A datagram from the peer to us, a group or the broadcast; to a bound port or another.
        const ipv4_address dst = b3 % 3 == 0 ? our_ip : b3 % 3 == 1 ? group_of(b2) : ipv4_address{198, 18, 0, 255};
        const uint16_t port = b1 >= 200 ? b1 : uint16_t(udp_port + (b1 & 3));
        const size_t len = size_t(b2) * 5 % 1400;
        std::vector<std::byte> d(8 + len);
        for (size_t i = 0; i < len; ++i) d[8 + i] = std::byte(uint8_t(i * 13 + b2));
        wire::udp_repr u{40000, port, uint16_t(d.size()), 0};
        u.emit(d, peer_ip, dst, (b3 & 8) ? wire::udp_checksum_mode::none : wire::udp_checksum_mode::full);
        (void)_rig->inject(stack_rig::ipv4(peer_ip, dst, wire::ip_protocol::udp, d));
        _rig->poll();
        return;
    }
    case 4:
        if (have) {
            std::vector<std::byte> d(size_t(b2) * 5, std::byte{b3});
            (void)st.udp_send_to(id, (b3 & 1) ? peer_ip : group_of(b2), 6000, d, now);
        }
        break;
    case 5:
        if (have) {
            datagram d;
            packet p = st.udp_recv(id, d);
            if (p) on_datagram(this, d);
        }
        break;
    case 6:
        if (have) {
            st.udp_close(id, now);
            _udp.erase(std::find(_udp.begin(), _udp.end(), id));
        }
        break;
    default: break;
    }
}

void program_run::op_ping() {
    const uint16_t ident = _in.u16(), seq = _in.u16();
    const uint8_t len = _in.u8(), fill = _in.u8();
    std::vector<std::byte> data(len, std::byte{fill});
    wire::icmp_repr echo;
    echo.type = wire::icmp_type::echo_request;
    echo.identifier = ident;
    echo.sequence = seq;
    echo.data = data;
    std::vector<std::byte> msg(echo.message_len());
    echo.emit(msg);
    const ipv4_address dst = (fill & 0x80) && (len & 1) ? ipv4_address{198, 18, 0, 255} : our_ip;
    (void)_rig->inject(stack_rig::ipv4(peer_ip, dst, wire::ip_protocol::icmp, msg));
    _rig->poll();
}

void program_run::op_raw() {
    const uint8_t fix = _in.u8();
    const auto bytes = _in.take(_in.u16() % 1515);
    const auto frame = raw_frame(bytes, fix, [this](uint8_t proto, std::span<std::byte> l4) {
        // A segment on a 4-tuple the harness plays carries the peer's bytes, as all its segments
        // do, and its acknowledgment number is one the peer sent.
        if (proto != wire::ip_protocol::tcp || l4.size() < 20) return;
        peer_conn* p = find_peer(wire::load_be16(l4.data()), wire::load_be16(l4.data() + 2));
        if (p == nullptr) return;
        p->acks_sent[p->acks_next++ % p->acks_sent.size()] = wire::load_be32(l4.data() + 8);
        const uint32_t seq = wire::load_be32(l4.data() + 4);
        const size_t hlen = std::max<size_t>(20, size_t(uint8_t(l4[12]) >> 4) * 4);
        const uint32_t first = seq + ((uint8_t(l4[13]) & wire::tcp_flags::syn) ? 1 : 0);
        for (size_t i = hlen; i < l4.size(); ++i) l4[i] = std::byte{peer_byte(first + uint32_t(i - hlen))};
    });
    (void)_rig->inject(frame);
    _rig->poll();
}

void program_run::op_arp() {
    const uint8_t kind = _in.below(6), host = _in.u8();
    wire::arp_repr a{wire::arp_operation::request, mac_of(host), host_of(host), mac_address::zero(), our_ip};
    mac_address to = mac_address::broadcast();
    switch (kind) {
    case 0: a.sender_hardware_address = peer_mac; a.sender_protocol_address = peer_ip; break;
    case 1: break;                                                               // a new neighbour asks for us
    case 2: a.operation = wire::arp_operation::reply; a.target_hardware_address = our_mac; to = our_mac; break;
    case 3: a.target_protocol_address = host_of(uint8_t(host + 1)); break;      // for someone else
    case 4: a.target_protocol_address = a.sender_protocol_address; break;       // gratuitous
    case 5: a.sender_protocol_address = our_ip; break;                           // a conflict
    default: break;
    }
    std::vector<std::byte> body(wire::arp_repr::packet_len);
    a.emit(body);
    (void)_rig->inject(stack_rig::ethernet(to, wire::ethertype::arp, body));
    _rig->poll();
}

void program_run::op_igmp_query() {
    const uint8_t version = _in.below(3), g = _in.u8(), max_resp = _in.u8();
    wire::igmp_query q;
    q.version = version == 0 ? wire::igmp_version::v1 : version == 1 ? wire::igmp_version::v2 : wire::igmp_version::v3;
    q.max_resp_code = max_resp;
    q.group = (g & 1) ? group_of(uint8_t(g >> 1)) : ipv4_address::any();
    const std::array<std::byte, 8> sources = {std::byte{198}, std::byte{18}, std::byte{0}, std::byte{1},
                                              std::byte{198}, std::byte{18}, std::byte{0}, std::byte{9}};
    if (q.version == wire::igmp_version::v3) q.sources = std::span(sources).first((g >> 3) % 3 * 4);
    const ipv4_address dst = q.is_general() ? wire::igmp_address::all_systems : q.group;
    std::vector<std::byte> pkt(wire::ipv4_router_alert_header_len + q.message_len());
    q.emit(std::span(pkt).subspan(wire::ipv4_router_alert_header_len));
    wire::emit_ipv4_with_router_alert(pkt, wire::igmp_ipv4_repr(ipv4_address{198, 18, 0, 254}, dst, q.message_len()));
    (void)_rig->inject(stack_rig::ethernet(multicast_mac(dst), wire::ethertype::ipv4, pkt));
    _rig->poll();
}

void program_run::op_sockopt() {
    app_conn* a = pick_app();
    const uint8_t which = _in.below(5), v = _in.u8();
    if (a == nullptr) return;
    stack& st = _rig->st();
    constexpr size_t sizes[5] = {0, 2048, 3000, 4096, 100000};
    constexpr duration timeouts[4] = {duration{}, duration::ms(300), duration::s(2), duration::s(10)};
    switch (which) {
    case 0: (void)st.tcp_set_keepalive(a->id, (v & 1) != 0, _rig->now()); break;
    case 1: (void)st.tcp_set_nodelay(a->id, (v & 1) != 0); break;
    case 2: (void)st.tcp_set_buffer_sizes(a->id, sizes[v % 5], sizes[(v >> 3) % 5]); break;
    case 3: (void)st.tcp_set_user_timeout(a->id, timeouts[v & 3]); break;
    default: (void)st.tcp_set_callbacks(a->id, callbacks()); break; // delivers what waits
    }
}

} // namespace tachyon::fuzz
