"""The report's measurement sections: round-trip times, receive rates, instructions, allocations and
system calls, the market-data path and TCP."""

from .common import DPDK_KEYS, GROUP
from .fmt import fmt_ratio, per_msg, ratio, us
from .rounds import summary


def latency_section(res, q, t, plotted, png_name, add):
    """Ping-pong round-trip times against the raw floor and the kernel, and the CDF plot."""
    raw_p50, raw_p999, udp_p50, udp_p999 = t.raw_p50, t.raw_p999, t.udp_p50, t.udp_p999
    tcp_p50, tcp_p999, kern = t.tcp_p50, t.tcp_p999, t.kern
    add("## Ping-pong round-trip time")
    add("")
    add("Microseconds. Ratios are against the raw floor of this run, at the same percentile. The floor and the "
        "closed-loop ICMP, UDP and TCP rows, and the kernel's plain veth rows, pool the samples of all interleaved "
        "rounds (next section); the targets are judged on the median of the round ratios instead.")
    add("")
    add("| path | samples | min | p50 | p90 | p99 | p99.9 | p99.99 | max | p50 / floor | p99.9 / floor |")
    add("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = [("raw", "raw L2 over memif, no stack (the floor)"), ("icmp", "ICMP echo through tachyon, memif"),
            ("udp", "UDP through tachyon, memif (closed loop)"),
            ("udp_open", f"UDP through tachyon, memif, open loop at {q['rate'] / 1e3:.0f}k/s (from the scheduled time)"),
            ("tcp", "TCP through tachyon, memif (closed loop)"),
            ("tcp_dack", "TCP through tachyon, memif (closed loop, client with delayed ACKs)"),
            ("tcp_open", f"TCP through tachyon, memif, open loop at {q['rate'] / 1e3:.0f}k/s (from the scheduled time)"),
            ("tap", "UDP, tachyon io_uring TAP fallback ← kernel sockperf client"),
            ("k_veth", "UDP, kernel sockets (sockperf), veth between namespaces"),
            ("k_veth_busy", "UDP, kernel sockets, veth, SO_BUSY_POLL 50 us (sockperf --lls 50)"),
            ("k_lo", "UDP, kernel sockets (sockperf), loopback"),
            ("k_lo_busy", "UDP, kernel sockets, loopback, SO_BUSY_POLL 50 us"),
            ("k_veth_tcp", "TCP, kernel sockets (sockperf --tcp), veth between namespaces"),
            ("k_veth_tcp_busy", "TCP, kernel sockets, veth, SO_BUSY_POLL 50 us (sockperf --tcp --lls 50)"),
            ("mem_udp", "UDP, two tachyon stacks in one process (memory link)"),
            ("mem_icmp", "ICMP, two tachyon stacks in one process (memory link)"),
            ("mem_tcp", "TCP, two tachyon stacks in one process (memory link)")]
    for k, label in rows:
        d = res.get(k)
        if not d:
            add(f"| {label} | n/a | | | | | | | | | |")
            continue
        add(f"| {label} | {d.get('samples', '')} | {us(d.get('min_ns'))} | {us(d.get('p50_ns'))} | {us(d.get('p90_ns'))} | "
            f"{us(d.get('p99_ns'))} | {us(d.get('p999_ns'))} | {us(d.get('p9999_ns'))} | {us(d.get('max_ns'))} | "
            f"{fmt_ratio(ratio(d.get('p50_ns'), raw_p50))} | {fmt_ratio(ratio(d.get('p999_ns'), raw_p999))} |")
    add("")
    add("Against the kernel (p50 and p99.9 of tachyon over memif divided by the kernel's):")
    add("")
    add("| kernel path | UDP p50 ratio | UDP p99.9 ratio | TCP p50 ratio | TCP p99.9 ratio |")
    add("|---|---|---|---|---|")
    for k, label in (("k_veth", "veth"), ("k_veth_busy", "veth, busy poll"), ("k_lo", "loopback"),
                     ("k_lo_busy", "loopback, busy poll")):
        d = res.get(k) or {}
        t = res.get(k.replace("k_veth", "k_veth_tcp")) if k.startswith("k_veth") else None
        tcp_cols = (f"{fmt_ratio(ratio(tcp_p50, t.get('p50_ns')))} | {fmt_ratio(ratio(tcp_p999, t.get('p999_ns')))}"
                    if t else "— | —")
        add(f"| {label} | {fmt_ratio(ratio(udp_p50, d.get('p50_ns')))} | {fmt_ratio(ratio(udp_p999, d.get('p999_ns')))} | "
            f"{tcp_cols} |")
    add("")
    add("Kernel TCP is measured over the veth only (sockperf --tcp, the kernel on both ends); tachyon's TCP row "
        "is the closed loop with default settings." +
        (f" sockperf --tcp --lls did not run: {res['k_veth_tcp_busy_note']}" if res.get("k_veth_tcp_busy_note") else ""))
    tapd = res.get("tap") or {}
    add("")
    add(f"The io_uring TAP fallback against kernel sockets: tachyon-echo on a TAP answering a kernel sockperf client "
        f"has p50 {us(tapd.get('p50_ns'))} us, {fmt_ratio(ratio(tapd.get('p50_ns'), kern.get('p50_ns')))} the kernel's "
        f"own veth round trip (p99.9: {fmt_ratio(ratio(tapd.get('p999_ns'), kern.get('p999_ns')))}). The kernel sits "
        "on one end of that path, so this measures the fallback as a laptop user sees it, not kernel bypass.")
    add("")
    if plotted:
        add(f"![latency CDF]({png_name})")
        add("")


def rounds_section(res, add):
    """The interleaved rounds: each ratio's median over rounds, its spread, and the rounds' own p50s."""
    rr, rounds = res.get("round_ratios") or {}, res.get("rounds") or {}
    if not rr:
        return
    n = len(rounds.get("raw") or [])
    add("## Interleaved rounds (how the ratios are judged)")
    add("")
    add(f"The floor, ICMP, UDP and TCP over memif, then the kernel's UDP and TCP over a veth, ran one after the other "
        f"in {n} short rounds (the same commands each round; the sockperf servers stay up across rounds). Each "
        "round's ratio divides a run by the floor (or kernel) run of the same round, a few seconds apart, so a "
        "slowdown of the shared machine that lasts longer than a round cancels out. A target is judged on the "
        "median of the round ratios; the spread (min-max) says how far one round can be trusted. The latency "
        "table above pools all rounds' samples.")
    add("")
    add("| ratio | p50: median | p50: min-max | p99.9: median | p99.9: min-max | rounds |")
    add("|---|---|---|---|---|---|")
    for name, label in (("udp", "UDP / raw floor"), ("icmp", "ICMP / raw floor"), ("tcp", "TCP / raw floor"),
                        ("udp_kernel", "UDP / kernel UDP (veth)"), ("tcp_kernel", "TCP / kernel TCP (veth)")):
        a, b = summary(rr.get(f"{name}_p50") or []), summary(rr.get(f"{name}_p999") or [])
        if a is None:
            add(f"| {label} | n/a | | | | 0 |")
            continue
        add(f"| {label} | {a[0]:.2f}x | {a[1]:.2f}-{a[2]:.2f}x | " +
            (f"{b[0]:.2f}x | {b[1]:.2f}-{b[2]:.2f}x" if b else "n/a | ") + f" | {a[3]} |")
    add("")
    add("p50 of each round (us):")
    add("")
    add("| run | " + " | ".join(str(i + 1) for i in range(n)) + " |")
    add("|---|" + "---|" * n)
    for key, label in (("raw", "raw floor"), ("icmp", "ICMP"), ("udp", "UDP"), ("tcp", "TCP"),
                       ("k_veth", "kernel UDP"), ("k_veth_tcp", "kernel TCP")):
        add(f"| {label} | " + " | ".join(us(d.get("p50_ns")) for d in rounds.get(key) or []) + " |")
    add("")


def rx_section(res, add):
    """UDP receive rate on one core: the stack's callback against raw receive-and-drop."""
    g = lambda k, f: (res.get(k) or {}).get(f)
    add("## UDP receive rate on one core")
    add("")
    add("A raw DPDK blaster (lcore 0) sends pre-built 64-byte UDP datagrams over memif as fast as the ring takes "
        "them; the receiver (lcore 1) is either raw DPDK receive-and-drop or the stack delivering each datagram "
        "to a callback that counts it. Rates are measured by the receiver over its window.")
    add("")
    add("| traffic | raw receive-and-drop | stack callback | ratio | blaster's send rate (raw run / stack run) |")
    add("|---|---|---|---|---|")
    for kind, label in (("mcast", f"multicast {GROUP} (joined)"), ("ucast", "unicast")):
        a_, b_ = g(f"rx_stack_{kind}", "rate"), g(f"rx_raw_{kind}", "rate")
        if a_ is None and b_ is None:
            continue
        br, bs = g(f"blast_raw_{kind}", "rate"), g(f"blast_stack_{kind}", "rate")
        add(f"| {label} | {b_ and f'{b_ / 1e6:.2f}'} M/s | {a_ and f'{a_ / 1e6:.2f}'} M/s | {fmt_ratio(ratio(a_, b_))} | "
            f"{br and f'{br / 1e6:.2f}'} / {bs and f'{bs / 1e6:.2f}'} M/s |")
    add("")
    add("The blaster's rate is averaged over its whole run (it starts before the receiver's window and stops after "
        "it). When a receiver's rate is close to the blaster's, the receiver kept up and its figure is a lower "
        "bound of what it can take; a receiver well below the blaster is the bottleneck.")
    add("")


def callgrind_section(res, add):
    """Instructions per echo (tachyon and lwIP), the top functions, then the market-data section."""
    add("## Instructions per echo (callgrind)")
    add("")
    add("`valgrind --tool=callgrind --collect-atstart=no` over two stacks joined by the memory link in one "
        "process. Collection is switched on only around the stack's own calls for the measured echoes, and off "
        "inside every device call (rx_burst, tx_burst, alloc_burst, flush, through a forwarding device that "
        "toggles collection; the forwarder's own instructions are subtracted). The **server** side is one echo "
        "through one stack: a request received, parsed, delivered to the echo callback (which copies the 64 bytes "
        "into a new frame), and the reply built and queued; that is the number held against the 250 target. "
        "The **client** side is a send (one copy) plus receiving the reply. The memory link offers no checksum "
        "offload, so IPv4 and UDP checksums are computed in software here (on a NIC with offloads they are not). "
        "Returning a buffer to its pool is counted (it is the stack's packet pool).")
    add("")
    add("| stack | UDP echo (server) | UDP client (send + reply) | ICMP echo (server) | ICMP client (send + reply) | TCP echo (server) | TCP client (send + reply) |")
    add("|---|---|---|---|---|---|---|")
    c = lambda k: (res.get(k) or {}).get("per_echo")
    fmtc = lambda v: "n/a" if v is None else f"{v:.0f}"
    add(f"| tachyon | {fmtc(c('cg_udp_server'))} | {fmtc(c('cg_udp_client'))} | {fmtc(c('cg_icmp_server'))} | "
        f"{fmtc(c('cg_icmp_client'))} | {fmtc(c('cg_tcp_server'))} | {fmtc(c('cg_tcp_client'))} |")
    add(f"| lwIP 2.1.3 (Debian liblwip, raw API) | {fmtc(c('cg_lwip_udp'))} | — | {fmtc(c('cg_lwip_icmp'))} | — | "
        f"{fmtc(c('cg_lwip_tcp'))} | — |")
    add(f"| tachyon / lwIP | {fmt_ratio(ratio(c('cg_udp_server'), c('cg_lwip_udp')))} | | "
        f"{fmt_ratio(ratio(c('cg_icmp_server'), c('cg_lwip_icmp')))} | | {fmt_ratio(ratio(c('cg_tcp_server'), c('cg_lwip_tcp')))} | |")
    add("")
    m1, m32 = c("cg_mcast_rx_1"), c("cg_mcast_rx_32")
    if m1 is not None or m32 is not None:
        add(f"A multicast datagram received (`tachyon-bench mem-mcast-rx`: a joined socket, 64-byte datagrams into a "
            f"counting callback, receiver side only): {fmtc(m1)} instructions one a poll, {fmtc(m32)} with 32 a poll "
            "(the poll's fixed cost shared).")
        add("")
    add("lwIP runs in the same harness (`tachyon-bench-lwip`): each request frame is copied into a pbuf by the "
        "harness (the device part, not collected) and handed to the netif's input; lwIP answers (UDP: a raw-API "
        "callback sending the received pbuf back with `udp_sendto`, zero copy; ICMP: lwIP's own echo reply) and the "
        "reply reaches the netif's linkoutput (not collected). Debian builds lwIP with `NO_SYS=0`, core locking and "
        "`MEM_LIBC_MALLOC`/`MEMP_MEM_MALLOC`: the harness holds the TCPIP core lock for the whole run (every raw-API "
        "call still checks it), and freeing the request pbuf is a libc `free`, both counted as lwIP's. lwIP has no "
        "client side in this harness (one lwIP instance per process), so only the server echo is compared.")
    add("")
    add("TCP: one connection, established before the measurement. The echo is a request of 64 bytes received "
        "(carrying the ACK of the previous response), delivered to the application's on_data callback, which "
        "sends it back with `tcp_send` (one copy into a new frame, kept in the send queue for retransmission), "
        "and the response leaving with the ACK; plus processing the ACK of the previous response (freeing its "
        "frame). tachyon's client stack runs with delayed ACKs here so that every request carries that ACK (two "
        "frames per exchange; time stands still under callgrind, so the 40 ms timer never fires), and lwIP's "
        "harness plays the same client: it injects each request with the ACK of lwIP's last response. lwIP's echo "
        "is a raw-API `tcp_recv` callback doing `tcp_write` (copy), `tcp_recved`, `pbuf_free` and `tcp_output`, Nagle "
        "off. tachyon negotiates timestamps and SACK (12 bytes of options per segment, RTTM and PAWS per segment); "
        "lwIP's harness sends no options (Debian builds lwIP without timestamps). Both compute the TCP checksum "
        "in software on receive and on send.")
    add("")
    for key, what in (("cg_udp_server", "UDP"), ("cg_tcp_server", "TCP")):
        top_table(res, key, f"Where a tachyon {what} echo (server side) spends its instructions (self cost per echo, "
                  "top functions):", add)
    feed_section(res, add)


def counts_section(res, add):
    """Allocations and system calls per message in every measured phase, and the sampled calls."""
    add("## Allocations and system calls per message (measured phase only)")
    add("")
    add("Allocations: malloc, calloc, realloc, the aligned allocators and every `operator new` are interposed in "
        "the tachyon-bench binary and counted for the stack's thread while the measured phase runs. System calls: "
        "a perf counter on the `raw_syscalls:sys_enter` tracepoint for that thread only (`perf_event_open`, "
        "enabled and disabled around the phase; the disabling ioctl itself is subtracted). The tracepoint's id comes "
        "from tracefs; where it is not mounted (this machine, and inside `ip netns exec`, which remounts /sys) a "
        "child process mounts it in a mount namespace of its own to read the id, leaving the host's mounts alone; "
        "a count that still cannot be taken says why in its cell. This counts every "
        "system call the polling thread enters, unlike `strace -c -f` (which would also count the EAL's "
        "control threads and slow the run) or context-switch counts (a busy-polling thread makes system calls "
        "without switching). `tachyon-bench selftest-counters` checks both counters "
        f"(100 getppid() calls and 10 mallocs): it measured {res.get('selftest', {}).get('syscalls', 'n/a')} "
        f"system calls and {res.get('selftest', {}).get('allocations', 'n/a')} allocations.")
    add("")
    add("| run | messages | allocations | system calls | allocations / msg | system calls / msg |")
    add("|---|---|---|---|---|---|")
    for k, label in (("raw", "raw floor, client"), ("raw_server", "raw floor, server"),
                     ("icmp", "ICMP client stack (memif)"), ("icmp_server", "ICMP server stack (memif)"),
                     ("udp", "UDP client stack (memif)"), ("udp_server", "UDP server stack (memif)"),
                     ("udp_open", "UDP open-loop client stack (memif)"), ("udp_open_server", "its server stack"),
                     ("rx_stack_mcast", "UDP multicast receiver stack (memif)"),
                     ("rx_stack_ucast", "UDP unicast receiver stack (memif)"),
                     ("tcp", "TCP client stack (memif)"), ("tcp_server", "TCP server stack (memif)"),
                     ("tcp_dack", "TCP client stack, delayed ACKs (memif)"), ("tcp_dack_server", "its server stack"),
                     ("tcp_open", "TCP open-loop client stack (memif)"), ("tcp_open_server", "its server stack"),
                     ("tcp_stream", "TCP stream receiver stack (memif; per segment)"),
                     ("tcp_stream_client", "TCP stream sender stack (memif; per full segment sent)"),
                     ("mem_udp", "UDP, two stacks over the memory link"),
                     ("mem_icmp", "ICMP, two stacks over the memory link"),
                     ("mem_tcp", "TCP, two stacks over the memory link")):
        d = res.get(k)
        if not d:
            continue
        add(f"| {label} | {d.get('messages_counted', 'not reported')} | {count_cell(d, 'allocations')} | "
            f"{count_cell(d, 'syscalls')} | {count_cell(d, 'allocs_per_msg')} | {count_cell(d, 'syscalls_per_msg')} |")
    add("")

    samples = [(k, res[k]["syscall_samples"]) for k in list(DPDK_KEYS) + ["mem_udp", "mem_icmp", "mem_tcp"]
               if (res.get(k) or {}).get("syscall_samples")]
    if samples:
        add("The system calls counted above, as sampled by the same perf event (number, first three arguments, "
            "user-space call chain as far as frame pointers reach):")
        add("")
        for k, lst in samples:
            for x in lst[:4]:
                add(f"- {k}: `{x}`")
        add("")


def count_cell(d, field):
    """A count or per-message figure of a run, or why it was not counted (never a bare n/a)."""
    total = "allocations" if field.startswith("alloc") else "syscalls"
    if d.get(total) is not None and d[total] >= 0:
        return per_msg(d.get(field)) if field.endswith("per_msg") else f"{d[total]:.0f}"
    why = d.get("alloc_note" if total == "allocations" else "counts_note") or "the run reported no count"
    return "not counted" if field.endswith("per_msg") else f"not counted: {why}"


def feed_section(res, add):
    """Instructions, allocations and system calls per ITCH Add Order (tachyon-bench-feed)."""
    if not any(res.get(f"feed_{k}") for k in (1, 32)):
        return
    add("## Market data: an ITCH Add Order from frame to book (callgrind)")
    add("")
    add("`tachyon-bench-feed`: an exchange stack sends MoldUDP64 packets of ITCH 5.0 Add Orders to a multicast "
        "group over the memory link; the feed stack's socket callback is tachyon-feed's own handler (arbiter, "
        "book builder, tick-to-book clock read). Collection is on only around the feed stack's poll: Ethernet, "
        "IPv4 and UDP input (checksums in software: the memory link has no offload), the memory link's receive, "
        "MoldUDP64 parse and arbitration, the ITCH decode and the book update. Target: 400 per Add Order.")
    add("")
    add("| Add Orders per frame | instructions per Add Order | allocations (measured phase) | system calls |")
    add("|---|---|---|---|")
    for k in (1, 32):
        cg = (res.get(f"cg_feed_{k}") or {}).get("per_echo")
        run = res.get(f"feed_{k}") or {}
        add(f"| {k} | {'n/a' if cg is None else f'{cg:.0f}'} | {count_cell(run, 'allocations')} | "
            f"{count_cell(run, 'syscalls')} |")
    add("")
    top_table(res, "cg_feed_1", "Where one Add Order a frame spends its instructions (self cost per Add Order, top "
              "functions):", add)


def top_table(res, key, title, add):
    """The top functions of the callgrind run `key` by self cost, under `title` (nothing without them)."""
    top = (res.get(key) or {}).get("top") or []
    if top:
        add(title)
        add("")
        add("| instructions | function |")
        add("|---|---|")
        for cost, name in top:
            add(f"| {cost:.0f} | `{name}` |")
        add("")


def tcp_section(res, q, add):
    """TCP: segments per request of the ping-pongs, and the stream against the raw frame rate."""
    g = lambda k, f: (res.get(k) or {}).get(f)
    add("## TCP")
    add("")
    add("Ping-pong: `tachyon-bench tcp-pingpong` opens one connection to `stack-server`, whose on_data callback "
        "echoes every byte with `tcp_send` (the response leaves with the iteration's flush and carries the ACK). "
        "The client sends each 64-byte request with `tcp_send` outside the poll loop (it leaves at once) and "
        "cuts the returning byte stream back into messages. With the defaults (no delayed ACK, issue 5), the "
        "client's stack acknowledges each response with a pure ACK at the end of the poll that received it: "
        "three frames per exchange. With delayed ACKs on the client, the next request carries that ACK: two "
        "frames, what a request/response client (or the kernel's, as sockperf runs it) sends. A request frame is 130 "
        "bytes (a 32-byte TCP header: timestamps are negotiated), 24 more than the floor's 106.")
    add("")
    add("| run | requests | client segments sent / request | server segments sent / request | retransmits | "
        "deferred (send buffer full) |")
    add("|---|---|---|---|---|---|")
    for k, label in (("tcp", "closed loop, defaults"), ("tcp_dack", "closed loop, client delayed ACKs"),
                     ("tcp_open", f"open loop at {q['rate'] / 1e3:.0f}k/s")):
        d, sv = res.get(k) or {}, res.get(k + "_server") or {}
        if not d:
            continue
        reqs = d.get("requests") or q["warmup"] + (q["open_count"] if k == "tcp_open" else q["count"])
        ctx, stx = d.get("tcp_tx_segments"), sv.get("tcp_tx_segments")
        add(f"| {label} | {reqs} | {per_msg(ctx / reqs if ctx is not None else None)} | "
            f"{per_msg(stx / reqs if stx is not None else None)} | "
            f"{(d.get('tcp_retransmits') or 0) + (sv.get('tcp_retransmits') or 0):.0f} | "
            f"{d.get('deferred_for_space', 'n/a')} |")
    add("")
    add("Stream: `tachyon-bench tcp-stream --role client` keeps the send buffer (64 KiB) full with writes of whole "
        "segments; `--role server` is a sink that takes every byte in its on_data callback and measures over its "
        f"window ({q['rx_seconds']} s after {0.3} s of warm-up), then resets the connection. The floor is the raw "
        "DPDK blaster sending pre-built 1514-byte frames (the size of a full TCP segment with timestamps: "
        "14 + 20 + 32 + 1448) to raw receive-and-drop over the same memif. Server on lcore 1, client on lcore 0.")
    add("")
    add("| path | bytes/s | Gbit/s | segments (frames)/s | bytes/segment | ratio to the raw frame rate |")
    add("|---|---|---|---|---|---|")
    raw_rate = g("rx_raw_mss", "rate")
    st = res.get("tcp_stream") or {}
    if raw_rate:
        add(f"| raw memif, 1514-byte frames, receive-and-drop | {raw_rate * 1448 / 1e6:.0f} MB/s (payload-equivalent) | "
            f"{raw_rate * 1514 * 8 / 1e9:.2f} (on the wire) | {raw_rate / 1e6:.3f} M | 1448 | 1.00x |")
    if st:
        bps, sps = st.get("bytes_per_s"), st.get("segments_per_s")
        add(f"| TCP through tachyon, memif, one connection | {bps / 1e6:.0f} MB/s | {bps * 8 / 1e9:.2f} (payload) | "
            f"{sps / 1e6:.3f} M | {st.get('bytes_per_segment', 0):.0f} | {fmt_ratio(ratio(sps, raw_rate))} |")
    else:
        add("| TCP through tachyon, memif | n/a | | | | |")
    sc = res.get("tcp_stream_client") or {}
    if st and sc:
        add("")
        add(f"The sender's MSS was {sc.get('mss', 'n/a')} bytes; it sent {sc.get('tcp_tx_segments', 'n/a')} segments "
            f"with {sc.get('tcp_retransmits', 'n/a')} retransmissions; the receiver sent {st.get('acks_sent', 'n/a')} "
            f"ACKs for {st.get('segments', 'n/a')} segments in its window (one per poll that received data), and "
            f"counted {st.get('out_of_order', 0):.0f} out-of-order segments and {st.get('drops', 0):.0f} drops. The "
            f"raw blaster's own send rate was {(g('blast_raw_mss', 'rate') or 0) / 1e6:.3f} M frames/s.")
    add("")
