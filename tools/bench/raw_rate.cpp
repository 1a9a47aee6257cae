/// blast and rx-drop: the raw DPDK sender of pre-built UDP frames, and the raw DPDK
/// receive-and-drop that the stack's receive rate (udp-rx) and TCP stream are held against.

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/bench/frames.hpp"
#include "tools/bench/modes.hpp"
#include "tools/bench/raw_port.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/rx_window.hpp"

namespace tachyon::bench {

int raw_blast(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o); !ok) return fail(ok.err().message);
    const ipv4_address dst = o.group ? *o.group : o.dst;
    mac_address dst_mac = o.peer_mac;
    if (dst.is_multicast()) {
        dst_mac = mac_address{{0x01, 0x00, 0x5e, uint8_t(dst.octet(1) & 0x7f), dst.octet(2), dst.octet(3)}};
    }
    mac_address src_mac;
    std::memcpy(src_mac.bytes.data(), p.mac.addr_bytes, 6);
    const auto tmpl = udp_frame_template(src_mac, dst_mac, o.src, dst, 5000, o.port, o.size);
    // The frames are built once and sent again and again: each send takes an extra mbuf
    // reference, which the driver drops once it has copied the frame into the memif ring.
    std::array<rte_mbuf*, 32> frames{};
    if (rte_pktmbuf_alloc_bulk(p.pool, frames.data(), 32) != 0) return fail("no mbufs");
    for (auto* m : frames)
        std::memcpy(rte_pktmbuf_append(m, uint16_t(tmpl.size())), tmpl.data(), tmpl.size());
    std::array<rte_mbuf*, 32> bufs{};
    uint64_t sent = 0;
    const int64_t start = now_ns(), deadline = start + int64_t(o.seconds * 1e9);
    while (!stop_requested() && sent < o.count) {
        if ((sent & 1023) < 32 && now_ns() > deadline) break;
        bufs = frames;
        for (auto* m : bufs) rte_mbuf_refcnt_update(m, 1);
        const uint16_t done = rte_eth_tx_burst(p.port, 0, bufs.data(), 32);
        for (uint16_t i = done; i < 32; ++i) rte_mbuf_refcnt_update(bufs[i], -1);
        sent += done;
    }
    rte_pktmbuf_free_bulk(frames.data(), 32);
    const double secs = double(now_ns() - start) / 1e9;
    std::fprintf(stderr, "blast: %llu frames in %.2f s (%.0f/s)\n", (unsigned long long)sent, secs,
                 double(sent) / secs);
    report r;
    r.field("mode", std::string("blast"));
    r.field("sent", double(sent));
    r.field("rate", double(sent) / secs);
    r.print();
    return 0;
}

int raw_drop(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o); !ok) return fail(ok.err().message);
    std::array<rte_mbuf*, 32> bufs{};
    uint64_t n_total = 0, at_open = 0;
    steady_counter counter;
    rx_window window(o, counter);
    while (!stop_requested()) {
        const uint16_t n = rte_eth_rx_burst(p.port, 0, bufs.data(), 32);
        if (n > 0) rte_pktmbuf_free_bulk(bufs.data(), n);
        n_total += n;
        const auto e = window.step(now_ns(), n_total > 0);
        if (e == rx_window::event::opened)
            at_open = n_total;
        else if (e != rx_window::event::none)
            break;
    }
    window.finish();
    const uint64_t in_window = n_total - at_open;
    report r = window.rate_report("rx-drop", "frames", in_window);
    r.counts(counter, in_window);
    r.print();
    return window_closed("rx-drop");
}

} // namespace tachyon::bench
