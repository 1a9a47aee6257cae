"""DPDK runs: two tachyon-bench processes over one memif, the server role on lcore 1, the client on
lcore 0."""

import time

from .common import EAL, GROUP, IP_C, IP_S, MAC_C, MAC_S, WINDOW_CLOSED, Failure, last_json


def memif_pair(s, bench, ns, name, server_args, client_args, wait_for="client", timeout=120, window_line=None):
    """Runs a server and a client over one memif; their result objects (client, server)."""
    sock = s.tmp / f"{name}.sock"
    vdev = f"net_memif0,role={{role}},socket={sock},socket-abstract=no"
    eal_s = f"{EAL} --file-prefix {s.prefix(name + '-s')} -l 1 --vdev={vdev.format(role='server')}"
    eal_c = f"{EAL} --file-prefix {s.prefix(name + '-c')} -l 0 --vdev={vdev.format(role='client')}"
    server = s.popen(["ip", "netns", "exec", ns, bench, *server_args, "--dpdk", eal_s], f"{name}-server", name)
    until = time.time() + 30
    while not sock.exists():
        if server.poll() is not None or time.time() > until:
            rc, out, err = s.finish(server, 5)
            raise Failure(f"{name}: the server did not start (exit {rc}): {err.strip()[-600:]}")
        time.sleep(0.05)
    time.sleep(0.2)
    client = s.popen(["ip", "netns", "exec", ns, bench, *client_args, "--dpdk", eal_c], f"{name}-client", name)
    def wait_line(proc, role, line):
        # A process closes its counting window by itself and says so: only then may it get the
        # SIGTERM (whose handler's return, rt_sigreturn, would otherwise count as a system call
        # of the measured phase). It stops polling then, too (see linger() in harness.cpp).
        err = s.out / f"{name}-{role}.err"
        until = time.time() + timeout
        while time.time() < until and proc.poll() is None and line not in err.read_text():
            time.sleep(0.02)

    if wait_for == "client":
        # The client exits by itself (after lingering without polling); the server closes its
        # window once the client has gone quiet, stops polling, and is stopped.
        rc_c, out_c, err_c = s.finish(client, timeout)
        wait_line(server, "server", window_line or "window closed")
        rc_s, out_s, err_s = s.finish(server, 20, terminate=True)
    else:
        # The receiver ends its window and stops polling; the sender is stopped first, then it.
        wait_line(server, "server", "window closed")
        if window_line:
            wait_line(client, "client", window_line)
        rc_c, out_c, err_c = s.finish(client, 20, terminate=True)
        rc_s, out_s, err_s = s.finish(server, 20, terminate=True)
    jc, js = last_json(out_c), last_json(out_s)
    if jc is None or js is None:
        raise Failure(f"{name}: no result (client exit {rc_c}, server exit {rc_s}): "
                      f"{err_c.strip()[-400:]} / {err_s.strip()[-400:]}")
    return jc, js


def stack_flags(ip, mac, peer_ip, peer_mac):
    """The backend flags of a stack at `ip`/`mac` with a static ARP entry for its peer."""
    return ["--ip", f"{ip}/24", "--mac", mac, "--arp", f"{peer_ip}={peer_mac}", "--log-level", "warn"]


def run_dpdk(s, bench, q, res):
    """The memif measurements outside the rounds: open-loop and delayed-ACK ping-pongs, TCP stream and
    receive rates."""
    ns = s.netns("dpdk")
    n, w = str(q["count"]), str(q["warmup"])
    cdf = lambda k: ["--cdf", str(s.out / f"cdf-{k}.txt")]
    server = ["stack-server", "--seconds", "120", "--warmup", w, *stack_flags(IP_S, MAC_S, IP_C, MAC_C)]
    client = stack_flags(IP_C, MAC_C, IP_S, MAC_S)
    # The floor and the closed-loop ICMP, UDP and TCP ping-pongs are measured in interleaved
    # rounds (rounds.py); these are the runs the targets do not compare with the floor.
    s.note(f"== UDP ping-pong, open loop at {q['rate']:.0f}/s")
    res["udp_open"], res["udp_open_server"] = memif_pair(
        s, bench, ns, "udpopen", server,
        ["udp-pingpong", "--rate", str(q["rate"]), "--count", str(q["open_count"]), "--warmup", w, *client,
         *cdf("udp_open")], window_line=WINDOW_CLOSED)
    for key, title, extra in (("tcp_dack", "closed loop, client with delayed ACKs", ["--delayed-ack", "1"]),
                              ("tcp_open", f"open loop at {q['rate']:.0f}/s", ["--rate", str(q["rate"])])):
        s.note(f"== TCP ping-pong through the stack over memif ({title})")
        count = str(q["open_count"]) if key == "tcp_open" else n
        res[key], res[key + "_server"] = memif_pair(
            s, bench, ns, key.replace("_", ""), server,
            ["tcp-pingpong", "--count", count, "--warmup", w, *extra, *client, *cdf(key)], window_line=WINDOW_CLOSED)
    secs, wsecs = str(q["rx_seconds"]), "0.3"
    # TCP stream against the raw memif frame rate at MSS-sized frames (1514 bytes on the wire:
    # a UDP payload of 1472 for the raw blaster, 1448 bytes of TCP payload plus 12 of timestamps).
    s.note("== raw memif receive-and-drop, MSS-sized (1514-byte) frames")
    res["blast_raw_mss"], res["rx_raw_mss"] = memif_pair(
        s, bench, ns, "rxrawmss", ["rx-drop", "--seconds", secs, "--warmup-seconds", wsecs],
        ["blast", "--seconds", "60", "--count", "10000000000", "--src", IP_C, "--peer-mac", MAC_S, "--dst", IP_S,
         "--size", "1472"], wait_for="server")
    s.note("== TCP stream through the stack over memif (one direction, bulk)")
    res["tcp_stream_client"], res["tcp_stream"] = memif_pair(
        s, bench, ns, "tcpstream",
        ["tcp-stream", "--role", "server", "--seconds", secs, "--warmup-seconds", wsecs,
         *stack_flags(IP_S, MAC_S, IP_C, MAC_C)],
        ["tcp-stream", "--role", "client", "--seconds", "60", "--warmup-seconds", wsecs, *client], wait_for="server",
        window_line="tcp-stream client: window closed")
    blast = ["blast", "--seconds", "60", "--count", "10000000000", "--src", IP_C, "--peer-mac", MAC_S]
    for kind, group in (("mcast", ["--group", GROUP]), ("ucast", ["--dst", IP_S]))[: q["rx_kinds"]]:
        s.note(f"== UDP receive rate ({kind}): raw receive-and-drop")
        res[f"blast_raw_{kind}"], res[f"rx_raw_{kind}"] = memif_pair(
            s, bench, ns, f"rxraw{kind}", ["rx-drop", "--seconds", secs, "--warmup-seconds", wsecs],
            [*blast, *group], wait_for="server")
        s.note(f"== UDP receive rate ({kind}): the stack's callback")
        res[f"blast_stack_{kind}"], res[f"rx_stack_{kind}"] = memif_pair(
            s, bench, ns, f"rxstack{kind}",
            ["udp-rx", "--seconds", secs, "--warmup-seconds", wsecs, *group,
             *stack_flags(IP_S, MAC_S, IP_C, MAC_C)],
            [*blast, *group], wait_for="server")
