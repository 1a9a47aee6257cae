/// stack-server: the server stack of the ping-pong modes.

#include <cstdio>
#include <string>

#include "tools/bench/echo_servers.hpp"
#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

int stack_server(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    udp_echo_server echo{&net};
    tcp_echo_server techo{&net};
    if (auto l = net.tcp_listen(o.port, 16, &tcp_echo_server::on_accept, &techo); !l)
        return fail("cannot listen on TCP port " + std::to_string(o.port) + ": " + l.err().message);
    auto id = net.udp_open();
    if (!id || net.udp_bind(*id, ipv4_address::any(), o.port) != errc::ok)
        return fail("cannot bind UDP port " + std::to_string(o.port));
    echo.id = *id;
    (void)net.udp_on_datagram(*id, &udp_echo_server::on_datagram, &echo);
    install_stop_signals();
    std::fprintf(stderr, "stack server: ready\n");
    steady_counter counter;
    bool counting = false;
    uint64_t from = 0;
    auto handled = [&] { return echo.echoed + net.stats().icmp.tx_echo_replies + techo.bytes / o.size; };
    const int64_t deadline = now_ns() + int64_t(o.seconds * 1e9);
    // The window closes once the client has gone quiet for 100 ms, and says so on stderr: the
    // driver sends the SIGTERM that ends the run only after that line (the handler's return,
    // rt_sigreturn, is a system call, and it is no message's: counted inside the window it was
    // the "1 system call per closed-loop server window" of earlier reports).
    bool closed = false;
    uint64_t last_handled = 0, at_close = 0;
    int64_t last_change = now_ns();
    while (!stop_requested()) {
        const instant now = now_instant();
        net.poll(now);
        const uint64_t h = handled();
        if (h != last_handled) {
            last_handled = h;
            last_change = now.ns_since_epoch();
        }
        if (!counting && h >= o.warmup) {
            counting = true;
            from = h;
            counter.begin();
        } else if (counting && !closed && now.ns_since_epoch() - last_change > 100'000'000) {
            counter.end();
            closed = true;
            at_close = h;
            std::fprintf(stderr, "stack server: window closed\n");
            break;
        }
        if (now.ns_since_epoch() > deadline) break;
    }
    if (closed) linger(double(deadline - now_ns()) / 1e9); // no more polling: until the SIGTERM
    if (counting && !closed) {
        counter.end();
        at_close = handled();
    }
    if (techo.accepted > 0) std::fprintf(stderr, "server stats: %s\n", net.stats_json().c_str());
    report r;
    r.field("mode", std::string("stack-server"));
    r.field("udp_echoed", double(echo.echoed));
    r.field("icmp_echoed", double(net.stats().icmp.tx_echo_replies));
    r.field("tcp_echoed_bytes", double(techo.bytes));
    r.field("tcp_short_sends", double(techo.short_sends));
    r.field("tcp_rx_segments", double(net.stats().tcp.rx_segments));
    r.field("tcp_tx_segments", double(net.stats().tcp.tx_segments));
    r.field("tcp_retransmits", double(net.stats().tcp.retransmits));
    r.field("errors", double(echo.errors));
    r.counts(counter, counting ? at_close - from : 0);
    r.print();
    return 0;
}

} // namespace tachyon::bench
