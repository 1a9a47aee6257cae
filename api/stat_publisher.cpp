#include "api/stat_publisher.hpp"

#include <algorithm>

namespace tachyon {

namespace {

uint32_t micros(duration d) { return uint32_t(std::clamp<int64_t>(d.count_us(), 0, UINT32_MAX)); }

uint32_t clamp32(size_t n) { return uint32_t(std::min<size_t>(n, UINT32_MAX)); }

stat_connection tcp_row(const tcp_connection& c) {
    stat_connection r;
    r.kind = stat_kind::tcp;
    r.state = uint8_t(c.state());
    r.flags = uint8_t((c.sack_enabled() ? stat_sack : 0) | (c.timestamps_enabled() ? stat_timestamps : 0) |
                      (c.window_scaling_enabled() ? stat_wscale : 0));
    r.local_address = c.tuple().local_address.value;
    r.local_port = c.tuple().local_port;
    r.remote_address = c.tuple().remote_address.value;
    r.remote_port = c.tuple().remote_port;
    r.send_queue = clamp32(c.queued_bytes());
    r.recv_queue = clamp32(c.received_bytes());
    r.snd_una = c.snd_una().value();
    r.snd_nxt = c.snd_nxt().value();
    r.rcv_nxt = c.rcv_nxt().value();
    r.snd_wnd = c.snd_wnd();
    r.cwnd = c.cwnd();
    r.ssthresh = c.ssthresh();
    r.mss = c.send_mss();
    r.srtt_us = micros(c.rtt().srtt());
    r.rttvar_us = micros(c.rtt().rttvar());
    r.rto_us = micros(c.rtt().rto());
    r.retransmits = c.retransmissions();
    r.out_of_order = clamp32(c.out_of_order_count());
    return r;
}

} // namespace

stat_publisher::stat_publisher(stat_segment& seg, stack& st, duration period, duration table_period)
    : _seg(&seg), _st(&st), _period(period), _table_period(table_period), _next(st.now()), _next_table(st.now()) {}

size_t stat_publisher::fill_table(const stack& st, std::span<stat_connection> rows) {
    size_t n = 0;
    const auto add = [&](const stat_connection& r) {
        if (n < rows.size()) rows[n++] = r;
    };
    const tcp_table& tcp = st.tcp_connections();
    for (uint32_t l = 0; l < tcp.listener_capacity(); ++l) {
        const tcp_listen_slot& ls = tcp.listener(l);
        if (!ls.in_use) continue;
        stat_connection r;
        r.kind = stat_kind::tcp_listen;
        r.state = uint8_t(tcp_state::listen);
        r.local_address = st.address().address.value;
        r.local_port = ls.port;
        r.send_queue = clamp32(ls.backlog);
        r.recv_queue = clamp32(ls.half_open);
        add(r);
    }
    // Allocated slots are few and low (slot 0 is taken first): stop once all were seen.
    size_t seen = 0;
    for (uint32_t slot = 0; slot < tcp.capacity() && seen < tcp.size(); ++slot) {
        const tcp_connection& c = *tcp[slot].tcb;
        if (!c.in_use()) continue;
        ++seen;
        add(tcp_row(c));
    }
    for (const udp_endpoint& e : st.udp_sockets().all()) {
        if (!e.open) continue;
        stat_connection r;
        r.kind = stat_kind::udp;
        r.state = e.remote_port != 0 ? 1 : 0;
        r.local_address = e.local_address.value;
        r.local_port = e.local_port;
        r.remote_address = e.remote_address.value;
        r.remote_port = e.remote_port;
        r.recv_queue = clamp32(e.queue.size());
        r.rx = e.rx_datagrams;
        r.tx = e.tx_datagrams;
        r.drops = e.rx_drop_queue_full + e.rx_drop_source_filtered;
        add(r);
    }
    return n;
}

void stat_publisher::refresh(instant now, bool with_table) {
    if (_seg == nullptr) return;
    stat_header& h = _seg->header();
    const uint64_t asked = h.request.load(std::memory_order_relaxed);
    const bool table = with_table || asked != h.served || now >= _next_table;
    stat_write_begin(h);
    stat_cold& cold = _seg->cold();
    cold.device = _st->dev().stats();
    cold.arp_cache = _st->neighbours().stats();
    cold.igmp = _st->multicast().stats();
    if (table) {
        h.table_rows = uint32_t(fill_table(*_st, _seg->table()));
        h.table_ns = now.ns_since_epoch();
        h.served = asked;
        _next_table = now + _table_period;
    }
    stat_write_end(h);
    h.heartbeat_ns.store(now.ns_since_epoch(), std::memory_order_relaxed);
    _next = now + _period;
}

} // namespace tachyon
