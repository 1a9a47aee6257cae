/// UDP for the stack, per RFC 768 and RFC 1122 §4.1: validate at the boundary, demultiplex by
/// port in one probe, deliver inline to the socket's callback (a view into the received frame)
/// or queue the frame for a pull-mode reader; answer closed ports with a rate-limited ICMP port
/// unreachable (RFC 1122 §4.1.3.1).

#include "stack/core/log.hpp"
#include <algorithm>
#include <cstring>

#include "stack/iface/stack.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/udp.hpp"

namespace tachyon {

void stack::udp_input(packet&& frame, const wire::ipv4_repr& ip, instant now) {
    wire::udp_repr udp;
    const bool verify = !(_caps.rx_l4_checksum && frame.rx_checksum_good(checksum_bit::udp)); // see ipv4_input
    switch (wire::udp_repr::parse(frame.bytes(), ip.src, ip.dst, udp, verify)) {
    case wire::wire_error::ok: break;
    case wire::wire_error::bad_total_length: TACHYON_DROP(_stats.udp.drop_bad_length); return;
    case wire::wire_error::bad_checksum: TACHYON_DROP(_stats.udp.drop_bad_checksum); return;
    case wire::wire_error::bad_port: TACHYON_DROP(_stats.udp.drop_bad_port); return;
    default: TACHYON_DROP(_stats.udp.drop_truncated); return;
    }
    udp_endpoint* e = nullptr;
    if (!ip.dst.is_multicast()) [[likely]] {
        e = _udp.find(ipv4_address::any(), udp.dst_port);
        if (e != nullptr && e->remote_port != 0 && (e->remote_address != ip.src || e->remote_port != udp.src_port))
            e = nullptr; // a connected socket hears only its peer
    } else {
        e = udp_demux_multicast(ip.dst, udp.dst_port, ip.src);
        if (e != nullptr && membership_verdict(*e, ip.dst, ip.src) == membership::source_filtered) {
            TACHYON_DROP(_stats.udp.drop_source_filtered);
            ++e->rx_drop_source_filtered;
            return;
        }
    }
    if (e == nullptr) [[unlikely]] {
        TACHYON_DROP(_stats.udp.drop_no_socket);
        // RFC 1122 §3.2.2: never an ICMP error about a datagram sent to a broadcast or
        // multicast address.
        if (ip.dst == _config.address.address) send_port_unreachable(std::move(frame), ip, now);
        return;
    }
    frame.truncate(udp.length);
    udp_deliver(*e, std::move(frame), ip, udp);
}

udp_endpoint* stack::udp_demux_multicast(ipv4_address group, uint16_t port, ipv4_address source) {
    // A socket bound to the group, else one bound to any address, that joined the group. A
    // socket that joined it, but not from this source, is returned too: the caller counts it.
    udp_endpoint* e = _udp.find(group, port);
    if (e == nullptr) e = _udp.find(ipv4_address::any(), port);
    if (e != nullptr && membership_verdict(*e, group, source) == membership::not_joined) e = nullptr;
    return e;
}

void stack::udp_deliver(udp_endpoint& e, packet&& frame, const wire::ipv4_repr& ip, const wire::udp_repr& udp) {
    if (e.handler != nullptr) [[likely]] {
        ++_stats.udp.rx_datagrams;
        ++e.rx_datagrams;
        e.handler(e.context, datagram{udp.payload(std::span<const std::byte>(frame.bytes())), ip.src, udp.src_port,
                                      ip.dst, udp.dst_port, frame.rx_time()});
        return;
    }
    // Pull mode: keep the whole datagram, IP header included (it is still in front of the UDP
    // header), so that udp_recv can read the addresses back without storing them apart.
    frame.prepend(ip.header_len);
    if (e.queue.size() >= e.queue_limit || !e.queue.push(std::move(frame))) [[unlikely]] {
        TACHYON_DROP(_stats.udp.drop_queue_full);
        ++e.rx_drop_queue_full;
        return;
    }
    ++_stats.udp.rx_datagrams;
    ++e.rx_datagrams;
}

void stack::udp_loop_back(ipv4_address group, uint16_t port, uint16_t src_port, std::span<const std::byte> payload) {
    // IP_MULTICAST_LOOP: our own datagram to a group this host joined, delivered as if it had
    // come back from the wire (a copy: the original leaves for the device).
    udp_endpoint* e = udp_demux_multicast(group, port, _config.address.address);
    if (e == nullptr || membership_verdict(*e, group, _config.address.address) != membership::accepted) return;
    packet copy = alloc_frame();
    const size_t len = wire::ipv4_repr::min_header_len + wire::udp_repr::header_len + payload.size();
    std::byte* p = copy ? copy.append(len) : nullptr;
    if (p == nullptr) [[unlikely]]
        return;
    wire::ipv4_repr ip;
    ip.total_len = uint16_t(len);
    ip.protocol = wire::ip_protocol::udp;
    ip.ttl = 1;
    ip.src = _config.address.address;
    ip.dst = group;
    ip.emit({p, wire::ipv4_repr::min_header_len});
    wire::udp_repr udp{src_port, port, uint16_t(wire::udp_repr::header_len + payload.size()), 0};
    std::memcpy(p + wire::ipv4_repr::min_header_len + wire::udp_repr::header_len, payload.data(), payload.size());
    udp.emit({p + wire::ipv4_repr::min_header_len, udp.length}, ip.src, ip.dst, wire::udp_checksum_mode::none);
    copy.set_rx_time(_now);
    // Queued, not delivered here: the handler receiving it may send to the group again from
    // inside, and a delivery inside the send would recurse without end (Linux, too, loops
    // back through a queue).
    if (!_loopback.push(std::move(copy))) [[unlikely]] {
        TACHYON_DROP(_stats.udp.drop_loopback_full);
        return;
    }
    if (!_in_loopback) udp_drain_loopback();
}

void stack::udp_drain_loopback() {
    // A bounded number per call: a handler that re-sends everything it hears would otherwise
    // keep this loop going for ever; what is left waits for the next poll.
    _in_loopback = true;
    for (size_t i = 0; i < loopback_per_call && !_loopback.empty(); ++i) {
        packet copy = _loopback.pop();
        wire::ipv4_repr ip;
        wire::udp_repr udp;
        if (wire::ipv4_repr::parse(copy.bytes(), ip) != wire::wire_error::ok) continue; // built above: cannot fail
        copy.trim_front(ip.header_len);
        if (wire::udp_repr::parse(copy.bytes(), ip.src, ip.dst, udp, false) != wire::wire_error::ok) continue;
        udp_endpoint* e = udp_demux_multicast(ip.dst, udp.dst_port, ip.src);
        if (e == nullptr || membership_verdict(*e, ip.dst, ip.src) != membership::accepted) {
            TACHYON_DROP(_stats.udp.drop_no_socket); // closed or left meanwhile
            continue;
        }
        udp_deliver(*e, std::move(copy), ip, udp);
    }
    _in_loopback = false;
}

stack::membership stack::membership_verdict(const udp_endpoint& e, ipv4_address group, ipv4_address source) {
    bool joined = false;
    for (const udp_membership& m : e.memberships) {
        if (m.group != group) continue;
        if (m.source.is_any() || m.source == source) return membership::accepted;
        joined = true;
    }
    return joined ? membership::source_filtered : membership::not_joined;
}

packet stack::udp_recv(udp_id id, datagram& d) {
    if (!_udp.valid(id)) return packet{};
    packet frame = _udp.at(id).queue.pop();
    if (!frame) return frame;
    wire::ipv4_repr ip;
    wire::udp_repr udp;
    // Validated on the way in: read the headers back without checking them again.
    (void)wire::ipv4_repr::parse(frame.bytes(), ip, false);
    frame.trim_front(ip.header_len);
    (void)wire::udp_repr::parse(frame.bytes(), ip.src, ip.dst, udp, false);
    frame.trim_front(wire::udp_repr::header_len);
    d = datagram{frame.bytes(), ip.src, udp.src_port, ip.dst, udp.dst_port, frame.rx_time()};
    return frame;
}

bool stack::icmp_error_allowed(instant now) {
    // A token bucket: icmp_error_rate tokens a second, icmp_error_burst at most (RFC 1812
    // §4.3.2.8 asks for a rate limit on ICMP errors; RFC 1122 §4.1.3.1 for port unreachable).
    const uint64_t cap = uint64_t(_config.icmp_error_burst) * 1000;
    const int64_t elapsed_us = (now - _icmp_tokens_at).count_us();
    if (elapsed_us > 0) {
        _icmp_tokens_milli = std::min<uint64_t>(cap, _icmp_tokens_milli + uint64_t(elapsed_us) * _config.icmp_error_rate / 1000);
        _icmp_tokens_at = now;
    }
    if (_icmp_tokens_milli < 1000) return false;
    _icmp_tokens_milli -= 1000;
    return true;
}

void stack::send_port_unreachable(packet&& frame, const wire::ipv4_repr& ip, instant now) {
    if (!icmp_error_allowed(now)) {
        ++_stats.udp.unreachable_rate_limited;
        return;
    }
    // RFC 792: quote the original IP header and at least 8 bytes of its data; RFC 1812
    // §4.3.2.3: as much as fits in 576 bytes.
    frame.prepend(ip.header_len);
    const size_t quote = std::min<size_t>(frame.size(), 576 - wire::ipv4_repr::min_header_len - wire::icmp_repr::header_len);
    packet reply = alloc_frame();
    if (!reply) [[unlikely]]
        return;
    wire::icmp_repr icmp;
    icmp.type = wire::icmp_type::destination_unreachable;
    icmp.code = wire::icmp_unreachable_code::port;
    icmp.data = std::span<const std::byte>(frame.data(), quote);
    std::byte* p = reply.append(icmp.message_len());
    icmp.emit({p, icmp.message_len()});
    reply.set_tx_l4(wire::icmp_repr::header_len, 0);
    ++_stats.udp.tx_port_unreachable;
    (void)ipv4_output(std::move(reply), ip.src, wire::ip_protocol::icmp, now);
}

errc stack::udp_bind(udp_id id, ipv4_address address, uint16_t port) {
    // One unicast address per stack: binding to it is binding to any.
    if (address == _config.address.address) address = ipv4_address::any();
    if (!address.is_any() && !address.is_multicast()) return errc::invalid_argument;
    return _udp.bind(id, address, port);
}

errc stack::udp_connect(udp_id id, ipv4_address address, uint16_t port) {
    if (!_udp.valid(id) || port == 0 || address.is_any()) return errc::invalid_argument;
    udp_endpoint& e = _udp.at(id);
    if (!e.bound) {
        if (errc r = _udp.bind(id, ipv4_address::any(), 0); r != errc::ok) return r;
    }
    e.remote_address = address;
    e.remote_port = port;
    return errc::ok;
}

errc stack::udp_set_multicast_loop(udp_id id, bool on) {
    if (!_udp.valid(id)) return errc::invalid_argument;
    _udp.at(id).multicast_loop = on;
    return errc::ok;
}

errc stack::udp_set_receive_queue(udp_id id, size_t datagrams) {
    if (!_udp.valid(id) || datagrams == 0 || datagrams > _udp.at(id).queue.capacity()) return errc::invalid_argument;
    _udp.at(id).queue_limit = datagrams;
    return errc::ok;
}

errc stack::udp_on_datagram(udp_id id, datagram_handler handler, void* context) {
    if (!_udp.valid(id)) return errc::invalid_argument;
    _udp.at(id).handler = handler;
    _udp.at(id).context = context;
    return errc::ok;
}

packet stack::udp_frame(size_t len) {
    packet frame = alloc_frame();
    if (frame && frame.append(len) == nullptr) [[unlikely]]
        frame.reset(); // larger than a buffer
    return frame;
}

errc stack::udp_send_frame(udp_id id, packet&& frame, ipv4_address dst, uint16_t port, instant now) {
    if (!_udp.valid(id) || port == 0 || !frame) [[unlikely]]
        return errc::invalid_argument;
    udp_endpoint& e = _udp.at(id);
    if (!e.bound) [[unlikely]] {
        if (errc r = _udp.bind(id, ipv4_address::any(), 0); r != errc::ok) return r;
    }
    const size_t len = frame.size() + wire::udp_repr::header_len;
    if (wire::ipv4_repr::min_header_len + len > _caps.mtu) [[unlikely]]
        return errc::invalid_argument; // no fragmentation: the datagram must fit the MTU
    std::byte* h = frame.prepend(wire::udp_repr::header_len);
    if (h == nullptr) [[unlikely]]
        return errc::no_buffer;
    wire::udp_repr udp{e.local_port, port, uint16_t(len), 0};
    udp.emit({h, len}, _config.address.address, dst,
             _caps.tx_l4_checksum ? wire::udp_checksum_mode::offload : wire::udp_checksum_mode::full);
    frame.set_tx_l4(wire::udp_repr::header_len, _caps.tx_l4_checksum ? checksum_bit::udp : uint8_t(0));
    ++_stats.udp.tx_datagrams;
    ++e.tx_datagrams;
    const uint8_t ttl = dst.is_multicast() ? (e.multicast_ttl != 0 ? e.multicast_ttl : _config.multicast.multicast_ttl)
                                           : e.ttl;
    if (dst.is_multicast() && e.multicast_loop) [[unlikely]]
        udp_loop_back(dst, port, e.local_port, std::span<const std::byte>(h + wire::udp_repr::header_len, len - wire::udp_repr::header_len));
    return ipv4_output(std::move(frame), dst, wire::ip_protocol::udp, now, ttl);
}

errc stack::udp_send_to(udp_id id, ipv4_address dst, uint16_t port, std::span<const std::byte> data, instant now) {
    if (wire::ipv4_repr::min_header_len + wire::udp_repr::header_len + data.size() > _caps.mtu)
        return errc::invalid_argument;
    packet frame = udp_frame(data.size());
    if (!frame) [[unlikely]]
        return errc::no_buffer;
    if (!data.empty()) std::memcpy(frame.data(), data.data(), data.size());
    return udp_send_frame(id, std::move(frame), dst, port, now);
}

errc stack::udp_send(udp_id id, std::span<const std::byte> data, instant now) {
    if (!_udp.valid(id) || _udp.at(id).remote_port == 0) return errc::invalid_argument;
    const udp_endpoint& e = _udp.at(id);
    return udp_send_to(id, e.remote_address, e.remote_port, data, now);
}

} // namespace tachyon
