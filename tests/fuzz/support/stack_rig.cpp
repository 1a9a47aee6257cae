#include "support/stack_rig.hpp"

#include <cstring>

#include "stack/core/log.hpp"
#include "stack/wire/ethernet.hpp"
#include "support/fuzz_target.hpp"

namespace tachyon::fuzz {

stack_config rig_config() {
    stack_config c;
    c.address = ipv4_cidr{our_ip, 24};
    c.static_arp = {{peer_ip, peer_mac}};
    c.arp.capacity = 16;
    c.arp.pending_per_neighbour = 4;
    c.udp_sockets = 4;
    c.udp_queue = 4;
    c.multicast.max_groups = 4;
    c.multicast.memberships_per_socket = 4;
    c.tcp.max_connections = 12;
    c.tcp.max_listeners = 2;
    c.tcp.syn_backlog = 4;
    c.tcp.send_buffer = 4096;    // a send ring of 24 frames (4096 / 256 + 8)
    c.tcp.receive_buffer = 4096;
    c.tcp.out_of_order_segments = 8;
    c.tcp.msl = duration::s(1);  // TIME-WAIT: 2 s
    c.tcp.rto_max = duration::s(8);
    c.tcp.max_retransmits = 5;
    c.tcp.connect_timeout = duration::s(3);
    c.tcp.keepalive_idle = duration::s(4);
    c.tcp.keepalive_interval = duration::s(1);
    c.tcp.keepalive_probes = 2;
    c.tcp.challenge_ack_limit = 20;
    c.icmp_error_rate = 10;
    c.icmp_error_burst = 5;
    return c;
}

namespace {

/// The link every run uses: its pools take most of a run's time to build (zeroed megabytes), and
/// each run ends with every buffer back (the pool oracle), so the next run finds it as new.
memory_link& shared_link() {
    static memory_link link([] {
        memory_link_config c;
        c.pool_size = 384; // 12 connections' send rings of 24 frames, and then some
        c.queue_capacity = 64;
        return c;
    }());
    return link;
}

/// Returns every frame waiting on `port` to its pool.
void drain(memory_port& port) {
    packet burst[32];
    while (port.rx_burst(burst) > 0)
        for (packet& p : burst) p.reset();
}

} // namespace

stack_rig::stack_rig(const stack_config& config) : _link(shared_link()) {
    drain(_link.a());
    drain(_link.b());
    static const bool quiet = set_log_level("off");
    (void)quiet;
    auto made = stack::create(config, _link.b());
    if (!made.ok()) fail("the rig's configuration is invalid: %s", made.err().message.c_str());
    _st = std::move(made.value());
    _st->start(_clock.now());
    collect();
}

stack_rig::~stack_rig() {
    _st.reset();
    drain(_link.a());
    drain(_link.b());
}

bool stack_rig::inject(std::span<const std::byte> frame) {
    packet p[1];
    if (_link.a().alloc_burst(p) != 1) return false;
    std::byte* d = p[0].append(frame.size());
    if (d == nullptr) return false;
    if (!frame.empty()) std::memcpy(d, frame.data(), frame.size());
    return _link.a().tx_burst(p) == 1;
}

void stack_rig::poll() {
    _st->poll(_clock.now());
    collect();
}

void stack_rig::advance(duration d) {
    _clock.advance(d);
    poll();
}

void stack_rig::collect() {
    packet burst[32];
    size_t n;
    while ((n = _link.a().rx_burst(burst)) > 0) {
        for (size_t i = 0; i < n; ++i) {
            const std::span<const std::byte> bytes = burst[i].bytes();
            const sent_frame f = check_sent_frame(bytes, our_mac, our_ip);
            if (_on_sent) _on_sent(f, bytes);
            burst[i].reset();
        }
    }
}

void stack_rig::check_pools_quiet() {
    while (_link.b().queued() > 0) poll(); // frames sent to the stack and not taken yet
    collect();
    const packet_pool& a = _link.a().pool();
    const packet_pool& b = _link.b().pool();
    FUZZ_CHECK(a.available() == a.capacity(), "%zu received frames never went back to their pool",
               a.capacity() - a.available());
    FUZZ_CHECK(b.capacity() - b.available() <= stack_spare_frames,
               "%zu of the stack's frames are still out with every connection closed",
               b.capacity() - b.available());
}

void stack_rig::destroy_and_check_pools() {
    _st.reset();
    collect();
    drain(_link.b()); // frames sent to the stack that it never polled
    const packet_pool& a = _link.a().pool();
    const packet_pool& b = _link.b().pool();
    FUZZ_CHECK(a.available() == a.capacity() && b.available() == b.capacity(),
               "buffers lost for good: %zu received, %zu sent", a.capacity() - a.available(),
               b.capacity() - b.available());
}

std::vector<std::byte> stack_rig::ethernet(const mac_address& dst, uint16_t ethertype,
                                           std::span<const std::byte> payload) {
    std::vector<std::byte> f(wire::ethernet_repr::header_len + payload.size());
    wire::ethernet_repr{dst, peer_mac, ethertype}.emit(f);
    if (!payload.empty()) std::memcpy(f.data() + wire::ethernet_repr::header_len, payload.data(), payload.size());
    return f;
}

std::vector<std::byte> stack_rig::ipv4(ipv4_address src, ipv4_address dst, uint8_t protocol,
                                       std::span<const std::byte> l4, uint8_t ttl) {
    std::vector<std::byte> pkt(wire::ipv4_repr::min_header_len + l4.size());
    if (!l4.empty()) std::memcpy(pkt.data() + wire::ipv4_repr::min_header_len, l4.data(), l4.size());
    wire::ipv4_repr ip;
    ip.total_len = uint16_t(pkt.size());
    ip.ttl = ttl;
    ip.protocol = protocol;
    ip.src = src;
    ip.dst = dst;
    ip.emit(pkt);
    const mac_address dst_mac = dst.is_multicast() ? multicast_mac(dst)
                                : dst.is_broadcast() ? mac_address::broadcast()
                                                     : our_mac;
    return ethernet(dst_mac, wire::ethertype::ipv4, pkt);
}

} // namespace tachyon::fuzz
