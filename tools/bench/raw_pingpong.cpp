/// raw-pingpong: L2 frames bounced over DPDK with no stack, the floor the stack's ping-pongs are
/// held against. The server swaps the MACs and sends each burst back; the client times each frame.

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/bench/modes.hpp"
#include "tools/bench/raw_port.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

int raw_server(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o, o.seconds); !ok) return fail(ok.err().message);
    std::fprintf(stderr, "raw server: ready\n");
    steady_counter counter;
    uint64_t bounced = 0, counted_from = 0;
    bool counting = false, done = false;
    const int64_t deadline = now_ns() + int64_t(o.seconds * 1e9);
    std::array<rte_mbuf*, 32> bufs{};
    while (!done && !stop_requested()) {
        const uint16_t n = rte_eth_rx_burst(p.port, 0, bufs.data(), 32);
        if (n == 0) {
            if (now_ns() > deadline) break;
            continue;
        }
        for (uint16_t i = 0; i < n; ++i) {
            auto* eth = rte_pktmbuf_mtod(bufs[i], rte_ether_hdr*);
            uint64_t seq = 0;
            std::memcpy(&seq, reinterpret_cast<uint8_t*>(eth) + 14, 8);
            if (seq == stop_seq) done = true;
            rte_ether_addr t = eth->dst_addr;
            eth->dst_addr = eth->src_addr;
            eth->src_addr = t;
        }
        const uint16_t sent = rte_eth_tx_burst(p.port, 0, bufs.data(), n);
        if (sent < n) rte_pktmbuf_free_bulk(bufs.data() + sent, n - sent);
        bounced += n;
        if (!counting && bounced >= o.warmup) {
            counting = true;
            counted_from = bounced;
            counter.begin();
        }
    }
    if (counting) counter.end();
    report r;
    r.field("mode", std::string("raw-server"));
    r.field("bounced", double(bounced));
    r.counts(counter, counting ? bounced - counted_from : 0);
    r.print();
    return 0;
}

int raw_client(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o); !ok) return fail(ok.err().message);
    const size_t len = 14 + 20 + 8 + o.size; // the same bytes on the wire as a UDP ping
    std::vector<uint8_t> tmpl(len, 0);
    std::memcpy(&tmpl[0], o.peer_mac.bytes.data(), 6);
    std::memcpy(&tmpl[6], p.mac.addr_bytes, 6);
    tmpl[12] = raw_ethertype >> 8;
    tmpl[13] = raw_ethertype & 0xff;
    histogram h;
    steady_counter counter;
    uint64_t lost = 0;
    std::array<rte_mbuf*, 32> bufs{};
    auto send = [&](uint64_t seq) {
        rte_mbuf* m = rte_pktmbuf_alloc(p.pool);
        if (m == nullptr) return false;
        auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(len)));
        std::memcpy(d, tmpl.data(), len);
        std::memcpy(d + 14, &seq, 8);
        while (rte_eth_tx_burst(p.port, 0, &m, 1) == 0) {
            if (stop_requested()) {
                rte_pktmbuf_free(m);
                return false;
            }
        }
        return true;
    };
    const uint64_t total = o.warmup + o.count;
    for (uint64_t i = 0; i < total && !stop_requested(); ++i) {
        if (i == o.warmup) counter.begin();
        const int64_t t0 = now_ns();
        if (!send(i)) break;
        bool got = false;
        while (!got) {
            const uint16_t n = rte_eth_rx_burst(p.port, 0, bufs.data(), 32);
            if (n > 0) {
                const int64_t t1 = now_ns();
                for (uint16_t k = 0; k < n; ++k) {
                    uint64_t seq = 0;
                    std::memcpy(&seq, rte_pktmbuf_mtod(bufs[k], uint8_t*) + 14, 8);
                    if (seq == i) {
                        got = true;
                        if (i >= o.warmup) h.record(t1 - t0);
                    }
                }
                rte_pktmbuf_free_bulk(bufs.data(), n);
            } else if (now_ns() - t0 > 100'000'000) {
                ++lost;
                break;
            }
        }
    }
    counter.end();
    send(stop_seq);
    linger(0.3); // the server stops at stop_seq: let it stop polling before this process exits
    summary("raw-pingpong", h);
    write_cdf(o, h);
    report r;
    r.field("mode", std::string("raw-pingpong"));
    r.field("frame_bytes", double(len));
    r.field("lost", double(lost));
    r.latency(h);
    r.counts(counter, h.count());
    r.print();
    return 0;
}

} // namespace tachyon::bench
