/// udp-rx: the stack receiving datagrams (unicast, or a joined --group) into a callback that
/// counts them; datagrams per second over the window.

#include <cstdio>
#include <string>

#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/rx_window.hpp"

namespace tachyon::bench {

int stack_rx(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    struct counter_cb {
        uint64_t n = 0;
        static void on(void* self, const datagram&) { ++static_cast<counter_cb*>(self)->n; }
    } cb;
    auto id = net.udp_open();
    if (!id || net.udp_bind(*id, ipv4_address::any(), o.port) != errc::ok)
        return fail("cannot bind UDP port " + std::to_string(o.port));
    (void)net.udp_on_datagram(*id, &counter_cb::on, &cb);
    if (o.group && net.udp_join(*id, *o.group, ipv4_address::any(), now_instant()) != errc::ok)
        return fail("cannot join " + o.group->to_string());
    std::fprintf(stderr, "udp-rx: ready\n");
    steady_counter counter;
    uint64_t at_open = 0;
    rx_window window(o, counter);
    while (!stop_requested()) {
        const instant now = now_instant();
        net.poll(now);
        const auto e = window.step(now.ns_since_epoch(), cb.n > 0);
        if (e == rx_window::event::opened)
            at_open = cb.n;
        else if (e != rx_window::event::none)
            break;
    }
    window.finish();
    const uint64_t got = cb.n - at_open;
    report r = window.rate_report("udp-rx", "datagrams", got);
    r.field("drops",
            double(net.stats().udp.drops() + net.stats().ipv4.drops() + net.stats().ethernet.drops()));
    r.counts(counter, got);
    r.print();
    return window_closed("udp-rx");
}

} // namespace tachyon::bench
