/// mem-mcast-rx: multicast receive through the stack, for callgrind and the CI gate. Two stacks
/// in one process over the memory link: a sender stack sends datagrams to a group (--group,
/// default 239.18.0.1), `--burst` of them before each poll of the receiver, whose socket has
/// joined the group and counts what its callback gets. Under callgrind (`--collect server`)
/// collection is on only inside the receiver's poll, device calls excluded (excluding_device):
/// the Ir total over the datagrams is the instructions per multicast datagram received.
/// Outside valgrind it also counts allocations and system calls of the measured phase.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/bench/mem_stacks.hpp"
#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

namespace {

/// The receiver's callback: counts datagrams of the expected size.
struct rx_counter {
    uint64_t datagrams = 0; ///< delivered
    uint64_t bytes = 0;     ///< their payload bytes
    /// The socket's receive callback (`self` is the rx_counter).
    static void on_datagram(void* self, const datagram& d) {
        auto* c = static_cast<rx_counter*>(self);
        ++c->datagrams;
        c->bytes += d.payload.size();
    }
};

} // namespace

int mem_mcast_rx(const bench_options& o) {
    g_callgrind = o.collect != "none";
    const bool collect_rx = o.collect == "server" || o.collect == "both";
    const ipv4_address group = o.group.value_or(ipv4_address{239, 18, 0, 1});
    mem_stacks stacks;
    if (!stacks.build(o, stack_config{}, stack_config{})) return 1;
    stack& tx = stacks.a();
    stack& rx = stacks.b();
    // Callgrind never reads the clock in the measured phase: time stands still (no IGMP timer
    // fires in between), which keeps the count the same from run to run.
    instant now = now_instant();
    tx.start(now);
    rx.start(now);
    rx_counter counter_cb;
    auto rid = rx.udp_open();
    if (!rid || rx.udp_bind(*rid, ipv4_address::any(), o.port) != errc::ok ||
        rx.udp_on_datagram(*rid, &rx_counter::on_datagram, &counter_cb) != errc::ok ||
        rx.udp_join(*rid, group, ipv4_address::any(), now) != errc::ok)
        return fail("cannot join " + group.to_string());
    auto tid = tx.udp_open();
    if (!tid || tx.udp_bind(*tid, ipv4_address::any(), uint16_t(o.port + 1)) != errc::ok)
        return fail("cannot open the sending socket");
    rx.poll(now); // the IGMP report leaves
    tx.poll(now); // and is taken
    const uint64_t burst = std::clamp<uint64_t>(o.burst, 1, 32);
    std::vector<std::byte> payload(std::max<uint32_t>(o.size, 8));
    steady_counter counter;
    uint64_t send_errors = 0, sent = 0, at_begin = 0;
    const uint64_t total = o.warmup + o.count;
    bool counting = false;
    // Bursts never straddle the warm-up's end: exactly --count datagrams are measured (a last
    // burst is short when --count is not a multiple of --burst).
    while (sent < total) {
        const bool measured = sent >= o.warmup;
        if (measured && !counting) {
            counting = true;
            at_begin = counter_cb.datagrams;
            counter.begin();
        }
        const uint64_t n = std::min(burst, (measured ? total : o.warmup) - sent);
        for (uint64_t k = 0; k < n; ++k, ++sent) {
            std::memcpy(payload.data(), &sent, 8);
            if (tx.udp_send_to(*tid, group, o.port, payload, now) != errc::ok) ++send_errors;
        }
        switch_collection(measured && collect_rx);
        rx.poll(now);
        switch_collection(false);
        if (!g_callgrind) now = now_instant();
    }
    counter.end();
    const uint64_t measured = counter_cb.datagrams - at_begin;
    const uint64_t lost = sent - counter_cb.datagrams;
    std::fprintf(stderr, "mem-mcast-rx: %llu datagrams sent to %s, %llu received (%llu measured), %llu a poll\n",
                 (unsigned long long)sent, group.to_string().c_str(), (unsigned long long)counter_cb.datagrams,
                 (unsigned long long)measured, (unsigned long long)burst);
    report r;
    r.field("mode", std::string("mem-mcast-rx"));
    r.field("collect", o.collect);
    r.field("burst", double(burst));
    r.field("sent", double(sent));
    r.field("received", double(counter_cb.datagrams));
    r.field("lost", double(lost));
    r.field("send_errors", double(send_errors));
    r.field("rx_drops", double(rx.stats().udp.drops() + rx.stats().ipv4.drops() + rx.stats().ethernet.drops()));
    r.counts(counter, measured);
    r.print();
    return lost == 0 && send_errors == 0 ? 0 : 1;
}

} // namespace tachyon::bench
