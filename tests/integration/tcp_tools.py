#!/usr/bin/python3
"""The kernel-side tools of the TCP tests (test_tcp.py and others, through tcp_helpers.py's
`run_kernel` and `start_kernel`), run as a script inside a namespace
(`ip netns exec NS /usr/bin/python3 tcp_tools.py CMD`): kernel TCP sockets and scapy frames, each
bounded in count and time, printing one JSON line:

  stream-client   connect, send --bytes (the payload of --seed) while receiving to EOF, with
                  sha256 of both directions
  stream-server   the same after accepting one connection (prints "ready" once listening)
  many-clients    --count connections held open at once against an echo port: each sends a
                  request and reads it back, then half-closes and waits for the server's FIN
  sockperf-frames sockperf's TCP messages cut at random places and glued together: the answers
                  must come back whole, in order, with the client flag cleared
  connrefused     connect to a closed port: expect ECONNREFUSED (the stack's RST)
  malformed       malformed TCP segments (scapy), counted under the stack counter that must count them
  impair-relay    netem in user space (this kernel has no sch_netem): a TAP for the kernel, whose
                  frames are relayed to the stack's TAP with loss, reordering, duplication and
                  delay, and the stack's frames back unchanged
"""

import errno
import fcntl
import heapq
import os
import hashlib
import json
import random
import resource
import selectors
import socket
import struct
import threading
import time
from pathlib import Path

from kernel_side import (KERNEL_IP, REQUIRED, STACK_IP, ToolCommands, build_frames, inet_checksum, report_sent,
                         send_paced)

SELF = Path(__file__).resolve()


def make_payload(nbytes, seed):
    """The deterministic payload of a transfer (both sides generate it from the seed)."""
    return random.Random(seed).randbytes(nbytes)


# ----------------------------------------------------------------------------------------------
# Script side: kernel tools run inside a namespace

def transfer(sock, nbytes, seed, max_seconds, expect=0):
    """Sends the payload (then SHUT_WR) while receiving until EOF; returns the result dict.
    With `expect`, the FIN waits until that many bytes came in (or EOF): a peer that stops
    when it gets our FIN (netcat) has then sent everything."""
    payload = make_payload(nbytes, seed)
    sent_hash = hashlib.sha256(payload).hexdigest()
    result = {"sent": 0, "sent_sha256": sent_hash, "received": 0, "received_sha256": None,
              "send_error": None, "recv_error": None}
    sock.settimeout(max_seconds)
    start = time.monotonic()

    def sender():
        try:
            view = memoryview(payload)
            off = 0
            while off < len(view):
                if time.monotonic() - start > max_seconds:
                    raise TimeoutError("send took too long")
                n = sock.send(view[off:off + 262144])
                off += n
                result["sent"] = off
            got_enough.wait(timeout=max(0.1, max_seconds - (time.monotonic() - start)))
            sock.shutdown(socket.SHUT_WR)
        except Exception as e:  # noqa: BLE001 (reported)
            result["send_error"] = repr(e)

    got_enough = threading.Event()
    if not expect:
        got_enough.set()

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    h = hashlib.sha256()
    try:
        while True:
            if time.monotonic() - start > max_seconds:
                raise TimeoutError("receive took too long")
            b = sock.recv(1 << 20)
            if not b:
                break
            h.update(b)
            result["received"] += len(b)
            if result["received"] >= expect:
                got_enough.set()
    except Exception as e:  # noqa: BLE001 (reported)
        result["recv_error"] = repr(e)
    got_enough.set()
    t.join(timeout=max(1, max_seconds - (time.monotonic() - start)))
    result["received_sha256"] = h.hexdigest()
    result["seconds"] = round(time.monotonic() - start, 3)
    sock.close()
    return result


def cmd_stream_client(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((a.dst, a.port))
    print(json.dumps(transfer(s, a.bytes, a.seed, a.max_seconds, a.expect)), flush=True)


def cmd_stream_server(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(4)
    ls.settimeout(a.accept_timeout)
    print("ready", flush=True)
    s, peer = ls.accept()
    ls.close()
    r = transfer(s, a.bytes, a.seed, a.max_seconds, a.expect)
    r["peer"] = list(peer)
    print(json.dumps(r), flush=True)


def cmd_many_clients(a):
    """Opens --count connections (at most --parallel handshakes at a time) and holds them all
    open; then each sends one request and reads the echo; then each half-closes and waits for
    the server's FIN (a clean close: EOF, no reset)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.count + 256)), hard))
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    res = {"connected": 0, "connect_errors": {}, "echoed": 0, "mismatched": 0, "eof": 0,
           "resets": 0, "other_errors": {}, "max_open": 0}

    def err(kind, e):
        d = res[kind]
        name = errno.errorcode.get(e, str(e)) if isinstance(e, int) else type(e).__name__
        d[name] = d.get(name, 0) + 1

    def left():
        return a.max_seconds - (time.monotonic() - start)

    # Phase 1: connect all, --parallel handshakes in flight at most.
    conns = []
    pending = {}
    next_i = 0
    while (next_i < a.count or pending) and left() > 0:
        while next_i < a.count and len(pending) < a.parallel:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((a.dst, a.port))
            if rc not in (0, errno.EINPROGRESS):
                err("connect_errors", rc)
                s.close()
            else:
                pending[s.fileno()] = (next_i, s)
                sel.register(s, selectors.EVENT_WRITE)
            next_i += 1
        for key, _ in sel.select(timeout=0.2):
            i, s = pending.pop(key.fd)
            sel.unregister(s)
            rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if rc != 0:
                err("connect_errors", rc)
                s.close()
                continue
            conns.append((i, s))
            res["connected"] += 1
    for fd, (i, s) in pending.items():
        err("connect_errors", "timeout")
        s.close()
    res["max_open"] = len(conns)
    res["connect_seconds"] = round(time.monotonic() - start, 3)

    # Phase 2: a request each, all at once; read every echo back.
    want = {}
    got = {}
    for i, s in conns:
        req = f"request {i:05d} ".encode() * (1 + i % 7)
        want[s.fileno()] = req
        got[s.fileno()] = b""
        try:
            s.send(req)
        except OSError as e:
            err("other_errors", e.errno)
            continue
        sel.register(s, selectors.EVENT_READ, i)
    waiting = len(sel.get_map())
    while waiting and left() > 0:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                b = s.recv(4096)
            except OSError as e:
                err("other_errors", e.errno)
                b = None
            if b:
                got[key.fd] += b
                if len(got[key.fd]) < len(want[key.fd]):
                    continue
            if got[key.fd] == want[key.fd]:
                res["echoed"] += 1
            else:
                res["mismatched"] += 1
            sel.unregister(s)
            waiting -= 1
    for key in list(sel.get_map().values()):
        sel.unregister(key.fileobj)
    res["echo_seconds"] = round(time.monotonic() - start, 3)

    # Phase 3: half-close each; the server answers with its FIN; then close.
    for i, s in conns:
        try:
            s.shutdown(socket.SHUT_WR)
            sel.register(s, selectors.EVENT_READ, i)
        except OSError as e:
            err("other_errors", e.errno)
    while sel.get_map() and left() > 0:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                b = s.recv(4096)
                if b:
                    continue
                res["eof"] += 1
            except ConnectionResetError:
                res["resets"] += 1
            except OSError as e:
                err("other_errors", e.errno)
            sel.unregister(s)
    for i, s in conns:
        s.close()
    res["seconds"] = round(time.monotonic() - start, 3)
    print(json.dumps(res), flush=True)


def sockperf_message(seq, flags, size, rng):
    """sockperf's header (64-bit sequence, 16-bit flags, 32-bit length of the whole message)
    and a body."""
    return struct.pack("!QHI", seq, flags, size) + bytes(rng.randrange(256) for _ in range(size - 14))


def cmd_sockperf_frames(a):
    """Sends --count messages (sizes 14 to 2000; every fifth without the pong-request flag, so
    not answered) in writes cut at random places; checks each answer."""
    rng = random.Random(a.seed)
    msgs = []
    for i in range(a.count):
        flags = 0x01 if i % 5 == 4 else 0x03
        msgs.append(sockperf_message(i, flags, rng.choice([14, 15, 64, 1000, 1460, 2000, rng.randrange(14, 2001)]), rng))
    stream = b"".join(msgs)
    expected = b"".join(m[:9] + bytes([m[9] & ~0x01]) + m[10:] for m in msgs if m[9] & 0x02)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    s.connect((a.dst, a.port))
    got = bytearray()

    def reader():  # answers are read as they come (else both sides fill and wait: backpressure)
        while True:
            b = s.recv(65536)
            if not b:
                return
            got.extend(b)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    off = 0
    writes = 0
    while off < len(stream):
        n = rng.choice([1, 2, 7, 13, 14, 15, 100, 1500, 3000, 5000])
        s.sendall(stream[off:off + n])
        off += n
        writes += 1
        if writes % 16 == 0:
            time.sleep(0.001)  # let segments go out as cut
    s.shutdown(socket.SHUT_WR)
    t.join(timeout=20)
    s.close()
    print(json.dumps({"messages": a.count, "answered_expected": sum(1 for m in msgs if m[9] & 0x02),
                      "writes": writes, "expected_bytes": len(expected), "received_bytes": len(got),
                      "match": bytes(got) == expected}), flush=True)


def cmd_connrefused(a):
    result = {"refused": 0, "timeouts": 0, "other": []}
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect((a.dst, a.port))
            result["other"].append("connected")
        except ConnectionRefusedError:
            result["refused"] += 1
        except socket.timeout:
            result["timeouts"] += 1
        except OSError as e:
            result["other"].append(repr(e))
        s.close()
    print(json.dumps(result), flush=True)


def tcp_segment(sport, dport, seq, ack, flags, options=b"", payload=b"", data_offset=None, fix_checksum=True,
                src=KERNEL_IP, dst=STACK_IP):
    """A TCP segment as bytes; `data_offset` (in 32-bit words) overrides the computed one."""
    hlen = 20 + len(options)
    off = data_offset if data_offset is not None else hlen // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (off & 0xF) << 4, flags, 65535, 0, 0) + options
    seg = hdr + payload
    if fix_checksum:
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(seg))
        c = inet_checksum(pseudo + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return seg


def malformed_kinds(port, rng):
    """name -> (stack counter, builder(i) -> TCP segment bytes); each has exactly one defect."""
    SYN, ACK, PSH = 0x02, 0x10, 0x08

    def body(n=None):
        n = rng.randrange(0, 64) if n is None else n
        return bytes(rng.randrange(256) for _ in range(n))

    def common(i):
        return dict(sport=20000 + i % 20000, dport=port, seq=rng.randrange(1 << 32), ack=rng.randrange(1 << 32))

    def offset_below_5(i):  # data offset 0..4 (RFC 9293 §3.1: at least 5)
        return tcp_segment(**common(i), flags=rng.choice([SYN, ACK | PSH]), payload=body(),
                           data_offset=rng.randrange(0, 5))

    def offset_past_segment(i):  # data offset beyond the bytes carried (20 to 39 of them)
        payload = body(rng.randrange(0, 20))
        return tcp_segment(**common(i), flags=ACK | PSH, payload=payload,
                           data_offset=rng.randrange((20 + len(payload)) // 4 + 1, 16))

    def bad_checksum(i):
        seg = bytearray(tcp_segment(**common(i), flags=rng.choice([SYN, ACK | PSH]), payload=body()))
        c = struct.unpack_from("!H", seg, 16)[0] ^ rng.choice([0x0001, 0x0100, 0x8000, 0x00FF])
        struct.pack_into("!H", seg, 16, c if c != 0 else 0x1234)
        return bytes(seg)

    def option_overrun(i):  # an option whose length runs past the header, or is below 2
        choice = i % 4
        if choice == 0:
            opts = bytes([2, 10, 0x05, 0xB4])                      # MSS claiming 10 bytes in 4
        elif choice == 1:
            opts = bytes([1, 1, 8, 12, 0, 0, 0, 1])                # timestamps claiming 12 in 6
        elif choice == 2:
            opts = bytes([1, 1, 1, 30])                            # unknown kind 30 with no length byte
        else:
            opts = bytes([3, rng.choice([0, 1]), 7, 1])            # window scale with length 0 or 1
        return tcp_segment(**common(i), flags=rng.choice([SYN, ACK | PSH]), options=opts, payload=body())

    return {
        "offset_below_5": ("tcp.drop_bad_header_length", offset_below_5),
        "offset_past_segment": ("tcp.drop_bad_header_length", offset_past_segment),
        "bad_checksum": ("tcp.drop_bad_checksum", bad_checksum),
        "option_overrun": ("tcp.drop_bad_option", option_overrun),
    }


def cmd_malformed(a):
    from scapy.compat import raw
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    rng = random.Random(a.seed)

    def framed(build):
        return lambda i: raw(Ether(dst=a.dst_mac, src=a.src_mac, type=0x0800) /
                             IP(src=KERNEL_IP, dst=STACK_IP, proto=6) / Raw(build(i)))
    kinds = {k: (counter, framed(build)) for k, (counter, build) in malformed_kinds(a.port, rng).items()}
    names, frames = build_frames(kinds, a.count)
    report_sent(kinds, names, send_paced(a.iface, frames, a.max_seconds))


def cmd_impair_relay(a):
    """Relays frames between a TAP this process opens for the kernel (--kernel-tap) and the
    stack's TAP (--stack-tap, through a packet socket). Kernel → stack frames are impaired as
    `tc qdisc add dev KERNEL-TAP root netem loss L reorder R duplicate D delay T` would: lost
    with probability L, duplicated with D, sent at once (ahead of the delayed ones) with R,
    delayed by T otherwise. Stack → kernel frames are lost with probability --loss-to-kernel
    (default 0), else pass unchanged. Bounded by --max-seconds."""
    TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
    PACKET_OUTGOING = 4
    rng = random.Random(a.seed)
    tap = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", a.kernel_tap.encode(), IFF_TAP | IFF_NO_PI))
    ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    ps.bind((a.stack_tap, 0))
    ps.setblocking(False)
    ps.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sel = selectors.DefaultSelector()
    sel.register(tap, selectors.EVENT_READ, "kernel")
    sel.register(ps, selectors.EVENT_READ, "stack")
    stats = {"to_stack": 0, "to_kernel": 0, "lost": 0, "lost_to_kernel": 0, "duplicated": 0, "reordered": 0,
             "delayed": 0}
    delayed = []  # (due, n, frame)
    n = 0
    print("ready", flush=True)
    start = time.monotonic()
    stop = start + a.max_seconds
    while time.monotonic() < stop and not os.path.exists(a.stop_file):
        now = time.monotonic()
        while delayed and delayed[0][0] <= now:
            _, _, f = heapq.heappop(delayed)
            ps.send(f)
            stats["to_stack"] += 1
        timeout = min(0.05, max(0.0, delayed[0][0] - now)) if delayed else 0.05
        for key, _ in sel.select(timeout=timeout):
            for _ in range(64):
                if key.data == "kernel":
                    try:
                        f = os.read(tap, 65536)
                    except BlockingIOError:
                        break
                    if rng.random() < a.loss:
                        stats["lost"] += 1
                        continue
                    copies = 2 if rng.random() < a.duplicate else 1
                    stats["duplicated"] += copies - 1
                    for _ in range(copies):
                        if rng.random() < a.reorder:
                            stats["reordered"] += 1
                            ps.send(f)
                            stats["to_stack"] += 1
                        else:
                            stats["delayed"] += 1
                            n += 1
                            heapq.heappush(delayed, (time.monotonic() + a.delay, n, f))
                else:
                    try:
                        f, addr = ps.recvfrom(65536)
                    except BlockingIOError:
                        break
                    if addr[2] == PACKET_OUTGOING:
                        continue  # our own sends towards the stack
                    if a.loss_to_kernel and rng.random() < a.loss_to_kernel:
                        stats["lost_to_kernel"] += 1
                        continue
                    os.write(tap, f)
                    stats["to_kernel"] += 1
    stats["seconds"] = round(time.monotonic() - start, 3)
    print(json.dumps(stats), flush=True)


def main():
    tools = ToolCommands(__doc__)
    for name, func, where in (("stream-client", cmd_stream_client, "--dst"),
                              ("stream-server", cmd_stream_server, "--bind")):
        p = tools.add(name, func, port=REQUIRED, seed=True, max_seconds=120)
        if where == "--dst":
            p.add_argument("--dst", default=STACK_IP)
        else:
            p.add_argument("--bind", default=KERNEL_IP)
            p.add_argument("--accept-timeout", type=float, default=30)
        p.add_argument("--bytes", type=int, required=True)
        p.add_argument("--expect", type=int, default=0, help="send FIN only once this many bytes came in")
    p = tools.add("many-clients", cmd_many_clients, dst=True, port=REQUIRED, count=1000, max_seconds=90)
    p.add_argument("--parallel", type=int, default=64, help="handshakes in flight at most")
    tools.add("sockperf-frames", cmd_sockperf_frames, dst=True, port=REQUIRED, count=2000, seed=True)
    tools.add("connrefused", cmd_connrefused, dst=True, port=REQUIRED, count=3)
    tools.add("malformed", cmd_malformed, port=7, frames=True, count=1200, seed=True, max_seconds=60)
    p = tools.add("impair-relay", cmd_impair_relay, seed=True, max_seconds=200)
    p.add_argument("--kernel-tap", required=True)
    p.add_argument("--stack-tap", required=True)
    p.add_argument("--loss", type=float, default=0.02)
    p.add_argument("--reorder", type=float, default=0.05)
    p.add_argument("--duplicate", type=float, default=0.01)
    p.add_argument("--delay", type=float, default=0.001, help="seconds")
    p.add_argument("--loss-to-kernel", type=float, default=0.0, help="loss of the stack's frames")
    p.add_argument("--stop-file", default="/nonexistent")
    tools.run()


if __name__ == "__main__":
    main()
