"""The report's "What misses its target, and why": one explanation per missed target."""

from .common import DPDK_KEYS
from .fmt import us


def tcp_notes(res, rt1, rt1d, rt2, rt3, cg_tcp, rt4, rt5):
    """Why each TCP target is missed."""
    out = []
    top = {n: c for c, n in (res.get("cg_tcp_server") or {}).get("top") or []}
    if rt1 is not None and rt1 > 1.15:
        extra = (f"; with delayed ACKs on the client (two frames per exchange) it is {rt1d:.2f}x"
                 if rt1d is not None else "")
        out.append(f"TCP p50 is {rt1:.2f}x the raw floor (target 1.15x){extra}. Per direction a segment costs what a "
                   "UDP datagram does (Ethernet, IPv4 with its software header checksum, a software TCP checksum "
                   "on each side since memif has no offload, one copy into a fresh frame) plus the control block: "
                   "ACK processing and freeing the acknowledged frame, the receive queue and the on_data call, the "
                   "retransmission timer rearmed on the wheel, and timestamp options built and parsed per segment. "
                   "The instruction profile below shows where.")
    if rt2 is not None and rt2 > 0.1:
        out.append(f"TCP p50 is {rt2:.2f}x the kernel's veth TCP round trip (target 0.1x).")
    if rt3 is not None and rt3 > 0.1:
        out.append(f"TCP p99.9 is {rt3:.2f}x the kernel's veth p99.9 (target 0.1x): the tails of both are set by "
                   "preemption on this shared machine (see the noise line at the top), not by either stack.")
    if cg_tcp is not None and cg_tcp > 500:
        parts = ", ".join(f"`{n}` {c:.0f}" for n, c in list(top.items())[:6])
        out.append(f"A TCP echo costs {cg_tcp:.0f} instructions in the stack (target 500). The largest self costs per "
                   f"echo: {parts}. tcp_input and tcp_drain (where the TCP checksum is computed, over the 64-byte "
                   "payload plus header and options, on receive and on send) carry the software checksums memif and "
                   "the memory link do not offload; the rest is spread over the control block's per-segment work "
                   "(ACK processing and freeing the acknowledged frame, window and timestamp options, the timer "
                   "rearmed after each segment, the dirty-list flush at the end of the poll), none of it dominant.")
    if rt4 is not None and rt4 > 0.5:
        out.append(f"Against lwIP the TCP echo is {rt4:.2f}x (target at most 0.5x); lwIP's figure includes a libc "
                   "malloc and free per pbuf and per segment (Debian's MEMP_MEM_MALLOC) and the core-lock checks, "
                   "which a tuned lwIP build would not pay.")
    if rt5 is not None and rt5 < 0.5:
        st, sc = res.get("tcp_stream") or {}, res.get("tcp_stream_client") or {}
        out.append(f"The TCP stream moves {rt5:.2f}x the raw memif frame rate at MSS-sized frames (target 0.5x). The "
                   "raw floor only copies each frame into and out of the memif ring; per full segment the stack adds "
                   "a copy of the application's bytes into the frame and a software TCP checksum over 1480 bytes on "
                   "each side (memif has no offload), the receive path, and ACK processing on the sender. But "
                   f"neither side looks saturated: the receiver sent {st.get('acks_sent', 'n/a')} ACKs for "
                   f"{st.get('segments', 'n/a')} segments (one per poll that found data, so it mostly finds one or "
                   f"two: it polls faster than segments arrive), and the sender's {sc.get('writes', 'n/a')} writes "
                   "each refilled the 64 KiB send buffer (45 segments). A `perf record` of both processes (outside "
                   "this run) put 30 to 40% of each loop in the clock read of idle iterations, tcp_input (receive "
                   "checksum) and tcp_drain (send checksum) next. The limit looks like the round trip of a 64 KiB "
                   "window through two time-sliced processes rather than per-segment work; a run with 256 KiB and "
                   "1 MiB buffers (`--tcp-buffer`) was inconclusive on this noisy machine. Not identified further.")
    to, tc, uo = res.get("tcp_open") or {}, res.get("tcp") or {}, res.get("udp_open") or {}
    if to.get("p50_ns") and tc.get("p50_ns") and to["p50_ns"] > 10 * tc["p50_ns"]:
        sv = res.get("tcp_open_server") or {}
        worse = uo.get("p50_ns") and to["p50_ns"] > 2 * uo["p50_ns"]
        out.append(f"The open-loop TCP run has p50 {us(to['p50_ns'])} us and p99 {us(to.get('p99_ns'))} us, against "
                   f"{us(uo.get('p50_ns'))} and {us(uo.get('p99_ns'))} us for UDP at the same rate in this run: "
                   "the same preemption stalls as the UDP open loop (see its note)"
                   + (", but TCP comes out worse" if worse else "") + ". A TCP client also has flow control: each "
                   "64-byte request sent outside the poll loop is a segment of its own and holds one of the send "
                   "queue's send_buffer / 256 + 8 = 264 entries (stack/net/tcp_connection.cpp:45) until acknowledged, "
                   "so a stall of the server longer than 264 / rate fills the queue and the client holds messages "
                   f"back ({to.get('deferred_for_space', 'n/a')} of them here; the server found its own send space "
                   f"short {sv.get('tcp_short_sends', 'n/a')} times). Each held message counts its wait from its "
                   "scheduled time.")
    allocs = [(k, res[k]["allocations"]) for k in ("tcp", "tcp_server", "tcp_dack", "tcp_dack_server", "tcp_open",
                                                    "tcp_open_server", "tcp_stream", "tcp_stream_client", "mem_tcp")
              if (res.get(k) or {}).get("allocations", 0) > 0]
    if allocs:
        out.append("Heap allocations in TCP's measured phases: " + ", ".join(f"{k}: {n:.0f}" for k, n in allocs) + ".")
    return out


def notes(res, r1, r2, r3, r4, r5, cg_udp, r6, r7):
    """Why each UDP/ICMP target is missed (or that all are met)."""
    out = []
    top = {n: c for c, n in (res.get("cg_udp_server") or {}).get("top") or []}
    if r1 is not None and r1 > 1.10:
        out.append(f"UDP p50 is {r1:.2f}x the raw floor (target 1.10x). The floor is one memif copy each way and "
                   "a MAC swap; through the stack each round trip also pays two software IPv4 header checksums "
                   "and two UDP checksums per direction (memif offers no checksum offload), a copy into a "
                   "fresh frame on each side, and the stack's poll iteration (timers, flush). See the "
                   "instruction counts below for the split.")
    if r2 is not None and r2 > 1.3:
        out.append(f"UDP p99.9 is {r2:.2f}x the floor's (target 1.3x): on this shared 2-core VM the tails are "
                   "dominated by preemption of the busy-polling processes; compare with the raw floor's own tail.")
    if r3 is not None and r3 > 1.15:
        out.append(f"ICMP p50 is {r3:.2f}x the floor (target 1.15x).")
    if r4 is not None and r4 > 0.1:
        out.append(f"UDP p50 is {r4:.2f}x the kernel's veth RTT (target 0.1x).")
    if r5 is not None and r5 > 0.1:
        out.append(f"UDP p99.9 is {r5:.2f}x the kernel's veth p99.9 (target 0.1x): the kernel's tail on an "
                   "idle veth is short; ours is bounded by the same preemption noise as the raw floor.")
    if cg_udp is not None and cg_udp > 250:
        parts = ", ".join(f"`{n}` {c:.0f}" for n, c in list(top.items())[:5])
        out.append(f"A UDP echo costs {cg_udp:.0f} instructions in the stack (target 250). The largest self costs "
                   f"per echo: {parts}. udp_input and udp_send_frame each run a full software UDP checksum "
                   "(pseudo-header + 72 bytes), ipv4_input and ipv4_output the header checksum, because the "
                   "memory link offers no offload; the rest is the generic poll iteration (timers, the TCP "
                   "flush hook, one tx_burst and a device flush per poll), the ARP lookup on output, and "
                   "per-frame virtual calls into the device (capabilities() is called per datagram).")
    if r6 is not None and r6 > 0.5:
        out.append(f"Against lwIP the UDP echo is {r6:.2f}x (target at most 0.5x).")
    if r7 is not None and r7 < 0.5:
        out.append(f"The stack receives {r7:.2f}x the raw receive-and-drop rate (target at least 0.5x). Raw "
                   "receive-and-drop touches only the mbuf headers; the stack reads every frame: the DPDK device "
                   "fills its descriptor and, since memif offers no checksum offload, verifies the IPv4 header and "
                   "UDP checksums in software, then Ethernet, IPv4 and UDP parsing, the multicast membership check "
                   "and the callback. The per-echo instruction profile above shows the same costs on the "
                   "memory link.")
    stray = [(k, res[k]["syscalls"], res[k].get("messages_counted")) for k in DPDK_KEYS
             if (res.get(k) or {}).get("syscalls", 0) > 0]
    if stray:
        where = ", ".join(f"{k}: {n:.0f} in {m} messages" for k, n, m in stray)
        out.append(f"System calls in the measured DPDK phases: {where}. Each is sampled with its number and call "
                   "chain (listed under the allocation table). Earlier runs counted one per closed-loop server "
                   "window: it was `rt_sigreturn`, the return from the SIGTERM handler when the driver stopped the "
                   "server before its window had closed; the server now closes its window first and says so, "
                   "and the driver waits for that before the SIGTERM.")
    uo = res.get("udp_open") or {}
    if uo.get("p50_ns") and res.get("udp", {}).get("p50_ns") and uo["p50_ns"] > 10 * res["udp"]["p50_ns"]:
        out.append(f"The open-loop UDP run has p50 {us(uo['p50_ns'])} us against {us(res['udp']['p50_ns'])} us closed "
                   "loop. It is not the stack: the client is descheduled for milliseconds at a time (see the machine "
                   "noise line at the top: other jobs share both cores), and in an open loop every message scheduled "
                   "during a stall counts the stall, where the closed loop records one slow sample and waits. The "
                   "closed-loop tails on this machine understate what a user would see; on an isolated core "
                   "(isolcpus, nohz_full) the open-loop figure is the one to watch.")
    if not out:
        out.append("Every measured target is met in this run.")
    return out
