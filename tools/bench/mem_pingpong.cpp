/// mem-pingpong: two stacks in one process over the memory link, for callgrind (instructions per
/// echo through the stack, the device excluded) and as a no-NIC latency and allocation check.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/bench/callgrind.hpp"
#include "tools/bench/echo_servers.hpp"
#include "tools/bench/mem_stacks.hpp"
#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

int mem_pingpong(const bench_options& o) {
    const proto p = o.proto == "udp" ? proto::udp : o.proto == "icmp" ? proto::icmp : proto::tcp;
    g_callgrind = o.collect != "none";
    const bool collect_server = o.collect == "server" || o.collect == "both";
    const bool collect_client = o.collect == "client" || o.collect == "both";
    stack_config ca;
    // TCP: the client delays its ACKs, so that each request carries the ACK of the previous
    // response (two frames per exchange, as in the lwIP harness); the server ACKs at once, on
    // the response. Time stands still under callgrind: the 40 ms timer never fires.
    ca.tcp.delayed_ack = true;
    mem_stacks stacks;
    if (!stacks.build(o, ca, stack_config{})) return 1;
    stack& client = stacks.a();
    stack& server = stacks.b();
    instant now = now_instant();
    client.start(now);
    server.start(now);
    client.poll(now);
    server.poll(now);
    udp_echo_server echo{&server};
    client_state cs;
    cs.warmup = o.warmup;
    cs.timing = !g_callgrind;
    sender s{&client, p, 0, o.dst, o.port, std::vector<std::byte>(std::max<uint32_t>(o.size, 8))};
    tcp_echo_server techo{&server};
    tcp_client_conn conn;
    conn.cs = &cs;
    conn.size = uint32_t(s.payload.size());
    if (p == proto::tcp) {
        if (!server.tcp_listen(o.port, 16, &tcp_echo_server::on_accept, &techo)) return 1;
        const bool ok = tcp_open(client, conn, s, now_instant, [&](instant t) {
            client.poll(t);
            server.poll(t);
        });
        if (!ok) return 1;
        now = now_instant();
    } else if (p == proto::udp) {
        auto sid = server.udp_open();
        (void)server.udp_bind(*sid, ipv4_address::any(), o.port);
        echo.id = *sid;
        (void)server.udp_on_datagram(*sid, &udp_echo_server::on_datagram, &echo);
        auto cid = client.udp_open();
        (void)client.udp_bind(*cid, ipv4_address::any(), uint16_t(o.port + 1));
        s.id = *cid;
        (void)client.udp_on_datagram(*cid, &client_state::on_udp, &cs);
    } else {
        client.on_echo_reply(&client_state::on_icmp, &cs);
    }
    steady_counter counter;
    uint64_t lost = 0;
    const uint64_t total = o.warmup + o.count;
    for (uint64_t i = 0; i < total; ++i) {
        if (i == o.warmup) counter.begin();
        const bool measured = i >= o.warmup;
        cs.expect = i;
        cs.got = false;
        if (cs.timing) {
            cs.sent_at = now_ns();
            now = instant::from_ns(cs.sent_at);
        }
        // Callgrind never reads the clock: time stands still, which no timer minds in a run this short.
        if (measured) switch_collection(collect_client);
        (void)s.send(i, now);
        switch_collection(measured && collect_server);
        server.poll(now);
        switch_collection(measured && collect_client);
        client.poll(now);
        switch_collection(false);
        if (!cs.got) ++lost;
    }
    counter.end();
    summary(p == proto::udp    ? "mem udp-pingpong"
            : p == proto::icmp ? "mem icmp-pingpong"
                               : "mem tcp-pingpong",
            cs.h);
    write_cdf(o, cs.h);
    report r;
    r.field("mode", std::string("mem-pingpong"));
    r.field("proto", o.proto);
    r.field("collect", o.collect);
    r.field("lost", double(lost));
    if (p == proto::tcp) {
        r.field("tcp_server_rx_segments", double(server.stats().tcp.rx_segments));
        r.field("tcp_server_tx_segments", double(server.stats().tcp.tx_segments));
        r.field("tcp_client_tx_segments", double(client.stats().tcp.tx_segments));
    }
    r.latency(cs.h);
    r.counts(counter, o.count);
    r.print();
    return lost == 0 ? 0 : 1;
}

} // namespace tachyon::bench
