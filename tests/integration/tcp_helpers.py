#!/usr/bin/python3
"""Helpers for the TCP tests (test_tcp.py).

Imported by the tests: fixtures (`nc_bin`, `tcp_lab`, `start_nc`), the `Nc` process
(tachyon-nc, built on conftest's `Echo`), a `TcpCapture` with tshark, `run_kernel` and
`KernelTool` to run this file's kernel-side tools inside a namespace, and `make_payload`.

Run as a script inside a namespace (`ip netns exec NS /usr/bin/python3 tcp_helpers.py CMD`):
kernel TCP sockets and scapy frames, each bounded in count and time, printing one JSON line:

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

import argparse
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
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SELF = Path(__file__).resolve()
PYTHON = "/usr/bin/python3"
KERNEL_IP = "198.18.0.1"
STACK_IP = "198.18.0.2"
PREFIX = 24


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


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


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
    kinds = malformed_kinds(a.port, rng)
    names = sorted(kinds)
    frames, by_kind = [], {k: 0 for k in names}
    for i in range(a.count):
        k = names[i % len(names)]
        seg = kinds[k][1](i)
        frames.append(raw(Ether(dst=a.dst_mac, src=a.src_mac, type=0x0800) /
                          IP(src=KERNEL_IP, dst=STACK_IP, proto=6) / Raw(seg)))
        by_kind[k] += 1
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    start = time.monotonic()
    sent = 0
    for i, f in enumerate(frames):
        if time.monotonic() - start > a.max_seconds:
            break
        assert s.send(f) == len(f)
        sent += 1
        if (i + 1) % 32 == 0:
            time.sleep(0.004)  # the TAP's queue never overflows
    s.close()
    counted = {k: 0 for k in names}
    for i in range(sent):
        counted[names[i % len(names)]] += 1
    counters = {}
    for k in names:
        counters[kinds[k][0]] = counters.get(kinds[k][0], 0) + counted[k]
    print(json.dumps({"sent": sent, "by_kind": counted, "counters": counters}), flush=True)


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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("stream-client")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=120)
    p.add_argument("--expect", type=int, default=0, help="send FIN only once this many bytes came in")
    p.set_defaults(func=cmd_stream_client)

    p = sub.add_parser("stream-server")
    p.add_argument("--bind", default=KERNEL_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--accept-timeout", type=float, default=30)
    p.add_argument("--max-seconds", type=float, default=120)
    p.add_argument("--expect", type=int, default=0, help="send FIN only once this many bytes came in")
    p.set_defaults(func=cmd_stream_server)

    p = sub.add_parser("many-clients")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--parallel", type=int, default=64, help="handshakes in flight at most")
    p.add_argument("--max-seconds", type=float, default=90)
    p.set_defaults(func=cmd_many_clients)

    p = sub.add_parser("sockperf-frames")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_sockperf_frames)

    p = sub.add_parser("connrefused")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=3)
    p.set_defaults(func=cmd_connrefused)

    p = sub.add_parser("malformed")
    p.add_argument("--iface", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--count", type=int, default=1200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=60)
    p.set_defaults(func=cmd_malformed)

    p = sub.add_parser("impair-relay")
    p.add_argument("--kernel-tap", required=True)
    p.add_argument("--stack-tap", required=True)
    p.add_argument("--loss", type=float, default=0.02)
    p.add_argument("--reorder", type=float, default=0.05)
    p.add_argument("--duplicate", type=float, default=0.01)
    p.add_argument("--delay", type=float, default=0.001, help="seconds")
    p.add_argument("--loss-to-kernel", type=float, default=0.0, help="loss of the stack's frames")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stop-file", default="/nonexistent")
    p.add_argument("--max-seconds", type=float, default=200)
    p.set_defaults(func=cmd_impair_relay)

    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
    sys.exit(0)


# ----------------------------------------------------------------------------------------------
# Test side: fixtures and process wrappers (imported by the tests; needs pytest and conftest)

import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402

import pytest  # noqa: E402

from conftest import Echo, app_bin, run_json_tool, unique  # noqa: E402
from dpdk_helpers import eal_args  # noqa: E402
from xdp_helpers import XDP_BACKENDS, make_veth, xdp_args, xdp_attach  # noqa: E402


@pytest.fixture(scope="session")
def nc_bin(pytestconfig):
    return app_bin(pytestconfig, "tachyon-nc")


def run_kernel(ns, cmd, *args, timeout=150):
    """Runs one of this file's kernel tools inside `ns`; returns its JSON result."""
    return run_json_tool(ns, SELF, cmd, *args, timeout=timeout)


class KernelTool:
    """One of this file's kernel tools running in the background (e.g. stream-server)."""

    def __init__(self, ns, workdir, cmd, *args):
        self.out_path = workdir / f"{cmd}-{os.urandom(2).hex()}.out"
        self._out = open(self.out_path, "w")
        self.proc = ns.popen([PYTHON, "-u", SELF, cmd, *map(str, args)], stdout=self._out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        return self.out_path.read_text(errors="replace")

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while "ready" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"kernel tool not ready:\n{self.text()}")
            time.sleep(0.05)

    def result(self, timeout=150):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError(f"kernel tool still running after {timeout}s:\n{self.text()}")
        self._out.close()
        lines = [l for l in self.text().splitlines() if l.startswith("{")]
        assert self.proc.returncode == 0 and lines, f"kernel tool failed:\n{self.text()}"
        return json.loads(lines[-1])


class TcpLab:
    """Where a stack program meets the kernel: a TAP made before the program starts (TAP
    backend) or the TAP that DPDK's net_tap makes (its name is known before), the kernel's end
    at 198.18.0.1/24."""

    def __init__(self, ns, backend, impaired_by=None):
        self.ns = ns
        self.backend = backend
        self.tap = unique("tc")
        self.relay = None
        if impaired_by is not None:
            # The stack's TAP carries no kernel address: the kernel talks through the relay's.
            assert backend == "tap"
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap)
            ns.ip("link", "set", self.tap, "up")
            self.kernel_tap = unique("tk")
            workdir, args = impaired_by
            self._stop_file = workdir / f"stop-{self.kernel_tap}"
            args = [*args, "--stop-file", self._stop_file]
            self.relay = KernelTool(ns, workdir, "impair-relay", "--kernel-tap", self.kernel_tap,
                                    "--stack-tap", self.tap, *args)
            self.relay.wait_ready()
            ns.configure_kernel_side(self.kernel_tap)
        elif backend == "tap":
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap)
            ns.configure_kernel_side(self.tap)
        elif backend in XDP_BACKENDS:
            # AF_XDP: the stack on the near end of a veth, the kernel on the far end (`tap`).
            self.near = unique("xn")
            make_veth(ns, self.near, self.tap)
            ns.configure_kernel_side(self.tap)

    def backend_args(self):
        if self.backend == "tap":
            return ["--backend", "tap", "--tap", self.tap]
        if self.backend in XDP_BACKENDS:
            return xdp_args(self.near, xdp_attach(self.backend))
        return ["--backend", "dpdk", "--dpdk", eal_args(f"net_tap0,iface={self.tap}"), "--idle"]

    def after_start(self):
        """For net_tap: configure the kernel's end once DPDK made it."""
        if self.backend == "dpdk":
            self.ns.wait_link(self.tap, timeout=30)
            self.ns.configure_kernel_side(self.tap)

    def relay_result(self):
        """Stops the impairing relay; returns what it did."""
        self._stop_file.touch()
        return self.relay.result(timeout=10)

    def kernel_mac(self):
        return self.ns.link_mac(self.tap)


class Program(Echo):
    """A tachyon program (tachyon-nc or tachyon-echo) in a namespace on `lab`'s device:
    stderr is the log; stdin and stdout are files (or /dev/null). Reuses Echo's log, readiness,
    stats and stop."""

    def __init__(self, ns, exe, lab, workdir, args, stdin=None, stdout=None, duration=150, name=None):
        self.ns = ns
        self.tap = lab.tap
        name = name or f"{Path(exe).name}-{os.urandom(2).hex()}"
        self.log_path = workdir / f"{name}.log"
        self.stats_path = workdir / f"{name}.stats.json"
        self.out_path = stdout
        self.argv = [exe, *lab.backend_args(), "--ip", f"{STACK_IP}/{PREFIX}", *map(str, args),
                     "--stats", self.stats_path, "--stats-interval", 1, "--log-level", "info",
                     "--duration", duration]
        self._log = open(self.log_path, "w")
        self._in = open(stdin, "rb") if stdin else subprocess.DEVNULL
        self._out = open(stdout, "wb") if stdout else subprocess.DEVNULL
        self.proc = ns.popen(self.argv, stdout=self._out, stderr=self._log, stdin=self._in)
        self.mac = None
        self.returncode = None

    def wait_exit(self, timeout):
        """Waits for the program to end by itself; returns its exit code."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            raise AssertionError(f"{self.argv[0]} still running after {timeout}s:\n{self.log()}")
        self.close_files()
        return self.returncode

    def close_files(self):
        for f in (self._log, self._in, self._out):
            if f is not subprocess.DEVNULL and not f.closed:
                f.close()


@pytest.fixture(params=["tap", "dpdk", *XDP_BACKENDS])
def backend(request):
    """Every backend: TAP, DPDK's net_tap, AF_XDP on a veth in native and skb attach (each
    skipped when this build lacks it)."""
    if request.param == "dpdk":
        request.getfixturevalue("require_dpdk")
    elif request.param in XDP_BACKENDS:
        request.getfixturevalue("require_xdp")
    return request.param


@pytest.fixture
def start_program(netns, tmp_path):
    """start_program(exe, lab, *args, stdin=None, stdout=None, wait=True): a tachyon program on
    `lab`'s device, waited for until ready; killed at teardown if still running."""
    started = []

    def start(exe, lab, *args, stdin=None, stdout=None, wait=True, **kw):
        p = Program(netns, exe, lab, tmp_path, list(args), stdin=stdin, stdout=stdout, **kw)
        started.append(p)
        if wait:
            p.wait_ready(timeout=30)
        lab.after_start()
        return p

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait(timeout=5)
        p.close_files()


class TcpCapture:
    """tshark on the kernel's end, inside the namespace, with a capture filter, bounded in time."""

    def __init__(self, ns, dev, path, capture_filter, seconds=60):
        self.path = path
        self._err = open(str(path) + ".err", "w+")
        self.proc = ns.popen(["tshark", "-n", "-i", dev, "-f", capture_filter, "-w", path,
                              "-a", f"duration:{seconds}"], stdout=subprocess.DEVNULL, stderr=self._err)
        deadline = time.monotonic() + 30
        while True:
            self._err.seek(0)
            err = self._err.read()
            if "Capture started" in err:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"tshark did not start capturing on {dev}:\n{err}")
            time.sleep(0.05)

    def stop(self):
        time.sleep(0.5)  # the last frames reach the file
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=15)
        self._err.close()
        r = subprocess.run(["tshark", "-n", "-r", self.path, "-T", "fields", "-e", "ip.src", "-e", "tcp.len",
                            "-e", "tcp.flags", "-e", "tcp.analysis.flags"],
                           capture_output=True, text=True, timeout=120)
        out = []
        for line in r.stdout.splitlines():
            v = line.split("\t") + ["", "", "", ""]
            out.append({"src": v[0], "len": int(v[1] or 0), "flags": int(v[2] or "0", 0), "analysis": v[3]})
        return out


def counter(stats, name):
    sec, key = name.split(".")
    return stats[sec][key]


__all__ = ["KernelTool", "TcpCapture", "TcpLab", "backend", "counter", "make_payload", "nc_bin", "run_kernel",
           "start_program", "re"]
