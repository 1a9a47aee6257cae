/// udp-pingpong, icmp-pingpong and tcp-pingpong: a client stack against stack-server over the
/// backend (DPDK memif in the benchmarks), closed loop or open loop at --rate.

#include <cstdio>
#include <string>

#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

int stack_client(const bench_options& o, proto p) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    client_state cs;
    cs.warmup = o.warmup;
    sender s{&net, p, 0, o.dst, o.port, std::vector<std::byte>(std::max<uint32_t>(o.size, 8))};
    tcp_client_conn conn;
    conn.cs = &cs;
    conn.size = uint32_t(s.payload.size());
    if (p == proto::udp) {
        auto id = net.udp_open();
        if (!id || net.udp_bind(*id, ipv4_address::any(), uint16_t(o.port + 1)) != errc::ok)
            return fail("cannot open the UDP socket");
        s.id = *id;
        (void)net.udp_on_datagram(*id, &client_state::on_udp, &cs);
    } else if (p == proto::icmp) {
        net.on_echo_reply(&client_state::on_icmp, &cs);
    } else if (!tcp_open(net, conn, s, now_instant, [&](instant t) { net.poll(t); })) {
        return 1;
    }
    const stack_stats before = net.stats();
    steady_counter counter;
    uint64_t lost = 0, send_errors = 0, deferred = 0, last_deferred = UINT64_MAX;
    const uint64_t total = o.warmup + o.count;
    // Resolve the peer first (ARP), outside the measurement: one message, waited for.
    if (o.rate <= 0) {
        for (uint64_t i = 0; i < total && !stop_requested() && !conn.closed; ++i) {
            if (i == o.warmup) counter.begin();
            cs.expect = i;
            cs.got = false;
            cs.sent_at = now_ns();
            if (s.send(i, instant::from_ns(cs.sent_at)) != errc::ok) ++send_errors;
            const int64_t timeout = cs.sent_at + (i == 0 ? 3'000'000'000 : 100'000'000);
            for (;;) {
                const instant now = now_instant();
                net.poll(now);
                if (cs.got) break;
                if (now.ns_since_epoch() > timeout) {
                    ++lost;
                    break;
                }
            }
            // TCP: a lost reply is not lost, only late (retransmitted); a late one would shift
            // every later reply by one. Not seen in practice; `stale` counts it.
        }
        counter.end();
    } else {
        // Open loop: message k leaves at t0 + k*period (as soon after as the loop sees it) and
        // its latency counts from that scheduled time, so a stall delays every message it holds
        // up instead of hiding them (no coordinated omission). TCP: a message that finds the
        // send buffer full waits for room (and its latency grows), the stream stays whole.
        const double period_d = 1e9 / o.rate;
        cs.period = int64_t(period_d);
        cs.t0 = now_ns() + 50'000'000;
        uint64_t next = 0;
        const int64_t end_at = cs.t0 + int64_t(double(total) * period_d) + 200'000'000;
        bool counting = false;
        while (!stop_requested() && !conn.closed) {
            const int64_t t = now_ns();
            while (next < total && cs.t0 + int64_t(next) * cs.period <= t) {
                if (!s.fits()) {
                    if (next != last_deferred) ++deferred; // messages held back, each counted once
                    last_deferred = next;
                    break;
                }
                if (next == o.warmup && !counting) {
                    counting = true;
                    counter.begin();
                }
                if (s.send(next, instant::from_ns(t)) != errc::ok) ++send_errors;
                ++next;
            }
            net.poll(instant::from_ns(t));
            if (cs.received >= total || t > end_at) break;
        }
        if (counting) counter.end();
        lost = total - std::min(total, cs.received);
    }
    const stack_stats& after = net.stats();
    const uint64_t tcp_tx = after.tcp.tx_segments - before.tcp.tx_segments;
    const uint64_t tcp_rx = after.tcp.rx_segments - before.tcp.rx_segments;
    const uint64_t retransmits = after.tcp.retransmits - before.tcp.retransmits;
    if (p == proto::tcp) {
        // A clean close, so that the server's side ends too.
        (void)net.tcp_close(s.tid, now_instant());
        const int64_t until = now_ns() + 20'000'000;
        while (now_ns() < until) net.poll(now_instant());
    }
    if (p == proto::tcp) std::fprintf(stderr, "client stats: %s\n", net.stats_json().c_str());
    summary(mode_name(p), cs.h);
    write_cdf(o, cs.h);
    report r;
    r.field("mode", std::string(mode_name(p)));
    r.field("loop", std::string(o.rate > 0 ? "open" : "closed"));
    r.field("rate", o.rate);
    r.field("lost", double(lost));
    r.field("send_errors", double(send_errors));
    r.field("stale", double(cs.duplicates_or_stale));
    if (p == proto::tcp) {
        r.field("delayed_ack", double(o.delayed_ack));
        r.field("tcp_tx_segments", double(tcp_tx));
        r.field("tcp_rx_segments", double(tcp_rx));
        r.field("tcp_retransmits", double(retransmits));
        r.field("deferred_for_space", double(deferred));
        r.field("closed_early", double(conn.closed));
    }
    r.latency(cs.h);
    r.counts(counter, o.rate > 0 ? o.count : cs.h.count());
    r.print();
    linger(0.3); // the server closes its window after 100 ms of quiet and stops polling
    return 0;
}

} // namespace tachyon::bench
