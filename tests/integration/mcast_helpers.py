#!/usr/bin/python3
"""Helpers for the UDP, multicast, IGMP and sockperf tests (test_udp.py, test_multicast.py,
test_igmp.py, test_sockperf.py).

Imported by the tests: fixtures (`mcast_bin`, `backend`, `lab`, `start_mcast`,
`start_lab_echo`, `second_netns`), the `Mcast` process (tachyon-mcast, built on conftest's
`Echo`), an IGMP `Capture` with tshark, and `run_kernel` to run this file's kernel-side tools
inside a namespace. A test that takes the `backend` fixture runs twice: on the TAP backend and
on DPDK's net_tap virtual device (`lab` follows it; see `Lab`); the others run on the TAP.

Run as a script inside a namespace (`ip netns exec NS /usr/bin/python3 mcast_helpers.py CMD`):
kernel UDP sockets and scapy frames, each bounded in count and time, printing one JSON line:

  kernel-send   numbered datagrams (tachyon-mcast's format) to a group or address, paced
  kernel-recv   receive them (IP_ADD_MEMBERSHIP for a group), check order and payload
  echo-client   send datagrams to an echo port, compare what comes back
  connrefused   a connected UDP socket to a closed port: expect ECONNREFUSED
  igmp-query    an IGMP v1/v2/v3 general or group-specific query (scapy)
  malformed     malformed UDP or IGMP frames (scapy), counted under the stack counter that must count them

The datagram format (apps/mcast/datagram_format.hpp): 64-bit big-endian sequence number, 64-bit
big-endian CLOCK_REALTIME send time in ns, then byte i = (sequence + i) mod 256.
"""

import argparse
import json
import random
import re
import secrets
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SELF = Path(__file__).resolve()
PYTHON = "/usr/bin/python3"
KERNEL_IP = "198.18.0.1"
STACK_IP = "198.18.0.2"
OTHER_KERNEL_IP = "198.18.0.3"   # a second kernel address (another source, or the far namespace)
PREFIX = 24
HEADER_LEN = 16
IP_RECVTTL, IP_TTL = 12, 2   # <linux/in.h>; Python 3.11 names neither
SO_NO_CHECK = 11             # <asm-generic/socket.h>


# ----------------------------------------------------------------------------------------------
# The datagram format

def make_datagram(seq, size, send_ns=None):
    send_ns = time.time_ns() if send_ns is None else send_ns
    fill = bytes((seq + i) & 0xFF for i in range(HEADER_LEN, size))
    return struct.pack("!QQ", seq, send_ns) + fill


def check_datagram(data):
    """(seq, payload ok) of a datagram in the format; seq None when shorter than the header."""
    if len(data) < HEADER_LEN:
        return None, False
    seq, _ = struct.unpack_from("!QQ", data)
    ok = all(data[i] == (seq + i) & 0xFF for i in range(HEADER_LEN, len(data)))
    return seq, ok


# ----------------------------------------------------------------------------------------------
# Script side: kernel tools run inside a namespace

def cmd_kernel_send(a):
    """Sends --count datagrams per destination, round-robin over --dst, at --rate in all."""
    dsts = []
    for d in a.dst:
        host, port = d.rsplit(":", 1)
        dsts.append((host, int(port)))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    if a.bind:
        s.bind((a.bind, 0))
    if a.mc_if:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.mc_if))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    total = a.count * len(dsts)
    start = time.monotonic()
    sent = {f"{h}:{p}": 0 for h, p in dsts}
    n = 0
    while n < total:
        if time.monotonic() - start > a.max_seconds:
            break
        # Pace against the clock in small batches.
        due = min(total, int((time.monotonic() - start) * a.rate) + 1)
        while n < due:
            h, p = dsts[n % len(dsts)]
            seq = a.start_seq + n // len(dsts)
            s.sendto(make_datagram(seq, a.size), (h, p))
            sent[f"{h}:{p}"] += 1
            n += 1
        time.sleep(0.001)
    s.close()
    print(json.dumps({"sent": n, "by_dst": sent, "seconds": round(time.monotonic() - start, 3)}), flush=True)


def cmd_kernel_recv(a):
    """Receives up to --count datagrams on --port (joined to --group when given); prints "ready"
    once listening, then the result as JSON."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    s.bind((a.group or "0.0.0.0", a.port))
    if a.group:
        mreq = socket.inet_aton(a.group) + socket.inet_aton(a.mc_if)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s.settimeout(0.2)
    print("ready", flush=True)
    start = time.monotonic()
    last = None
    got, bad, short, out_of_order, dups = 0, 0, 0, 0, 0
    seen = set()
    sources, ttls = set(), set()
    first_seq = None
    while got < a.count and time.monotonic() - start < a.timeout:
        try:
            data, anc, _, addr = s.recvmsg(2048, socket.CMSG_SPACE(4))
        except socket.timeout:
            continue
        got += 1
        sources.add(addr[0])
        for level, kind, value in anc:
            if level == socket.IPPROTO_IP and kind == IP_TTL:
                ttls.add(struct.unpack("i", value[:4])[0])
        seq, ok = check_datagram(data)
        if seq is None:
            short += 1
            continue
        if not ok:
            bad += 1
        if seq in seen:
            dups += 1
        seen.add(seq)
        if first_seq is None:
            first_seq = seq
        if last is not None and seq != last + 1:
            out_of_order += 1
        last = seq
    s.close()
    print(json.dumps({"received": got, "distinct": len(seen), "first_seq": first_seq, "last_seq": last,
                      "not_consecutive": out_of_order, "duplicates": dups, "bad_payload": bad, "short": short,
                      "sources": sorted(sources), "ttls": sorted(ttls),
                      "seconds": round(time.monotonic() - start, 3)}), flush=True)


def cmd_echo_client(a):
    """Sends --count datagrams of varied sizes to --dst:--port one at a time and compares each
    answer with what was sent."""
    rng = random.Random(a.seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.no_check:
        s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)  # checksum 0: "none computed" (RFC 768)
    s.connect((a.dst, a.port))
    s.settimeout(a.reply_timeout)
    sent = received = mismatched = lost = 0
    sizes = [0, 1, 7, 8, 15, 16, 17, 100, 512, 1000, 1471, 1472]
    start = time.monotonic()
    for i in range(a.count):
        if time.monotonic() - start > a.max_seconds:
            break
        size = sizes[i] if i < len(sizes) else rng.randrange(0, 1473)
        payload = struct.pack("!I", i)[: size] + bytes(rng.randrange(256) for _ in range(max(0, size - 4)))
        s.send(payload)
        sent += 1
        try:
            while True:
                back = s.recv(2048)
                if back[:4] == payload[:4] or len(payload) < 4:
                    break  # a late answer to an earlier datagram is skipped
        except socket.timeout:
            lost += 1
            continue
        received += 1
        if back != payload:
            mismatched += 1
    s.close()
    print(json.dumps({"sent": sent, "received": received, "mismatched": mismatched, "lost": lost}), flush=True)


def cmd_connrefused(a):
    """A connected UDP socket sends to a closed port; the ICMP port unreachable that comes back
    makes the next recv fail with ECONNREFUSED (Linux reports it on connected sockets)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((a.dst, a.port))
    s.settimeout(2)
    result = {"refused": 0, "timeouts": 0, "other": []}
    for _ in range(a.count):
        s.send(b"anyone there?")
        try:
            s.recv(2048)
            result["other"].append("an answer came")
        except ConnectionRefusedError:
            result["refused"] += 1
        except socket.timeout:
            result["timeouts"] += 1
        time.sleep(0.05)
    s.close()
    print(json.dumps(result), flush=True)


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def igmp_query_bytes(version, group, max_resp_ds, sources=(), fix_checksum=True):
    """An IGMP membership query: v1 (8 bytes, code 0), v2 (8 bytes, code = max response time in
    tenths) or v3 (12 + 4n bytes; code < 128 is the time in tenths, S=0, QRV 2, QQIC 125)."""
    g = socket.inet_aton(group)
    if version == 1:
        body = struct.pack("!BBH4s", 0x11, 0, 0, g)
    elif version == 2:
        body = struct.pack("!BBH4s", 0x11, max_resp_ds, 0, g)
    else:
        body = struct.pack("!BBH4sBBH", 0x11, max_resp_ds, 0, g, 0x02, 125, len(sources))
        body += b"".join(socket.inet_aton(x) for x in sources)
    if fix_checksum:
        body = body[:2] + struct.pack("!H", inet_checksum(body)) + body[4:]
    return body


def multicast_mac(group):
    o = socket.inet_aton(group)
    return "01:00:5e:%02x:%02x:%02x" % (o[1] & 0x7F, o[2], o[3])


def igmp_frame(src_mac, dst_ip, igmp, src_ip=KERNEL_IP, ip_len=None):
    """An Ethernet frame carrying `igmp` as Linux would send it (TTL 1, Router Alert)."""
    from scapy.compat import raw
    from scapy.layers.inet import IP, IPOption_Router_Alert
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    ip = IP(src=src_ip, dst=dst_ip, ttl=1, tos=0xC0, proto=2, options=[IPOption_Router_Alert()])
    if ip_len is not None:
        ip.len = ip_len
    return raw(Ether(dst=multicast_mac(dst_ip), src=src_mac, type=0x0800) / ip / Raw(igmp))


def cmd_igmp_query(a):
    group = a.group or "0.0.0.0"
    dst = a.dst or ("224.0.0.1" if group == "0.0.0.0" else group)
    frame = igmp_frame(a.src_mac, dst, igmp_query_bytes(a.version, group, a.max_resp_ds, a.source or ()))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    sent_at = time.time()
    s.send(frame)
    s.close()
    print(json.dumps({"sent_at": sent_at, "dst": dst, "group": group}), flush=True)


def malformed_kinds(stack_mac, src_mac, port, joined_group, rng):
    """name -> (stack counter, builder(i) -> frame bytes); each frame has exactly one defect."""
    from scapy.compat import raw
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    def eth(dst=stack_mac):
        return Ether(dst=dst, src=src_mac, type=0x0800)

    def body(i, n=None):
        n = rng.randrange(0, 48) if n is None else n
        return bytes(rng.randrange(256) for _ in range(n))

    def udp_ok(i, dst=STACK_IP, dport=port):
        return IP(raw(IP(src=KERNEL_IP, dst=dst) / UDP(sport=40000 + i % 1000, dport=dport) / Raw(body(i))))

    # --- UDP
    def udp_truncated(i):  # fewer than 8 bytes of UDP header
        return raw(eth() / IP(src=KERNEL_IP, dst=STACK_IP, proto=17) / Raw(body(i, rng.randrange(0, 8))))

    def udp_length_too_long(i):  # length field past the IP payload
        p = udp_ok(i)
        b = bytearray(raw(p))
        ulen = struct.unpack_from("!H", b, 24)[0]
        struct.pack_into("!H", b, 24, ulen + rng.randrange(1, 200))
        struct.pack_into("!H", b, 26, 0)  # no checksum: the length alone is wrong
        return raw(eth()) + bytes(b)

    def udp_length_below_header(i):  # length field below 8
        b = bytearray(raw(udp_ok(i)))
        struct.pack_into("!H", b, 24, rng.randrange(0, 8))
        struct.pack_into("!H", b, 26, 0)
        return raw(eth()) + bytes(b)

    def udp_bad_checksum(i):
        p = udp_ok(i)
        p[UDP].chksum ^= rng.choice([0x0001, 0x0100, 0x8000, 0x00FF])
        if p[UDP].chksum == 0:
            p[UDP].chksum = 0x1234
        return raw(eth() / p)

    def udp_bad_checksum_multicast(i):  # to a joined group: still verified
        p = udp_ok(i, dst=joined_group)
        p[UDP].chksum ^= 0x0101
        if p[UDP].chksum == 0:
            p[UDP].chksum = 0x1234
        return raw(eth(multicast_mac(joined_group)) / p)

    def udp_port_zero(i):
        return raw(eth() / IP(raw(IP(src=KERNEL_IP, dst=STACK_IP) / UDP(sport=40000, dport=0) / Raw(body(i)))))

    # --- IGMP (to all-systems, 224.0.0.1, which every host takes)
    all_systems = "224.0.0.1"

    def igmp_eth(igmp, ip_len=None):
        return igmp_frame(src_mac, all_systems, igmp, ip_len=ip_len)

    def igmp_truncated(i):  # fewer than 8 bytes
        return igmp_eth(igmp_query_bytes(2, "0.0.0.0", 10)[: rng.randrange(0, 8)])

    def igmp_v3_query_short(i):  # 9 to 11 bytes: neither v2 nor v3 (RFC 3376 §7.1)
        q = igmp_query_bytes(3, "0.0.0.0", 10, fix_checksum=False)[: rng.randrange(9, 12)]
        q = q[:2] + struct.pack("!H", 0) + q[4:]
        return igmp_eth(q[:2] + struct.pack("!H", inet_checksum(q)) + q[4:])

    def igmp_v3_query_sources_overrun(i):  # more sources announced than carried
        q = bytearray(igmp_query_bytes(3, "0.0.0.0", 10, sources=["198.18.0.9"], fix_checksum=False))
        struct.pack_into("!H", q, 10, rng.randrange(2, 300))
        struct.pack_into("!H", q, 2, 0)
        struct.pack_into("!H", q, 2, inet_checksum(bytes(q)))
        return igmp_eth(bytes(q))

    def igmp_v3_report_records_overrun(i):  # a v3 report whose records run past the message
        rec = struct.pack("!BBH4s", 2, 0, 3, socket.inet_aton("239.9.9.9")) + socket.inet_aton("198.18.0.9")
        q = bytearray(struct.pack("!BBHHH", 0x22, 0, 0, 0, rng.randrange(2, 50)) + rec)
        struct.pack_into("!H", q, 2, inet_checksum(bytes(q)))
        return igmp_eth(bytes(q))

    def igmp_bad_checksum(i):
        q = bytearray(igmp_query_bytes(rng.choice([2, 3]), "0.0.0.0", 10))
        struct.pack_into("!H", q, 2, struct.unpack_from("!H", q, 2)[0] ^ rng.choice([0x0001, 0x0100, 0x4000]))
        return igmp_eth(bytes(q))

    def igmp_bad_type(i):
        q = bytearray(igmp_query_bytes(2, "0.0.0.0", 10))
        q[0] = rng.choice([0x00, 0x13, 0x1E, 0x1F, 0x30, 0x31, 0xFF])
        struct.pack_into("!H", q, 2, 0)
        struct.pack_into("!H", q, 2, inet_checksum(bytes(q)))
        return igmp_eth(bytes(q))

    return {
        "udp": {
            "udp_truncated": ("udp.drop_truncated", udp_truncated),
            "udp_length_too_long": ("udp.drop_bad_length", udp_length_too_long),
            "udp_length_below_header": ("udp.drop_bad_length", udp_length_below_header),
            "udp_bad_checksum": ("udp.drop_bad_checksum", udp_bad_checksum),
            "udp_bad_checksum_multicast": ("udp.drop_bad_checksum", udp_bad_checksum_multicast),
            "udp_port_zero": ("udp.drop_bad_port", udp_port_zero),
        },
        "igmp": {
            "igmp_truncated": ("igmp.drop_truncated", igmp_truncated),
            "igmp_v3_query_short": ("igmp.drop_truncated", igmp_v3_query_short),
            "igmp_v3_query_sources_overrun": ("igmp.drop_truncated", igmp_v3_query_sources_overrun),
            "igmp_v3_report_records_overrun": ("igmp.drop_truncated", igmp_v3_report_records_overrun),
            "igmp_bad_checksum": ("igmp.drop_bad_checksum", igmp_bad_checksum),
            "igmp_bad_type": ("igmp.drop_bad_type", igmp_bad_type),
        },
    }


def cmd_malformed(a):
    rng = random.Random(a.seed)
    kinds = malformed_kinds(a.dst_mac, a.src_mac, a.port, a.group, rng)[a.protocol]
    names = sorted(kinds)
    frames, by_kind = [], {k: 0 for k in names}
    for i in range(a.count):
        k = names[i % len(names)]
        frames.append(kinds[k][1](i))
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
    if sent != len(frames):
        by_kind = {k: 0 for k in names}
        for i in range(sent):
            by_kind[names[i % len(names)]] += 1
    counters = {}
    for k in names:
        counters[kinds[k][0]] = counters.get(kinds[k][0], 0) + by_kind[k]
    print(json.dumps({"sent": sent, "by_kind": by_kind, "counters": counters}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("kernel-send")
    p.add_argument("--dst", action="append", required=True, help="ADDRESS:PORT (repeatable: round-robin)")
    p.add_argument("--count", type=int, required=True, help="datagrams per destination")
    p.add_argument("--rate", type=float, default=5000, help="datagrams per second in all")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--bind", help="source address")
    p.add_argument("--mc-if", default=KERNEL_IP, help="IP_MULTICAST_IF")
    p.add_argument("--start-seq", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=60)
    p.set_defaults(func=cmd_kernel_send)

    p = sub.add_parser("kernel-recv")
    p.add_argument("--group")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--mc-if", default=KERNEL_IP)
    p.set_defaults(func=cmd_kernel_recv)

    p = sub.add_parser("echo-client")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--reply-timeout", type=float, default=2)
    p.add_argument("--max-seconds", type=float, default=60)
    p.add_argument("--no-check", action="store_true", help="send with UDP checksum 0 (SO_NO_CHECK)")
    p.set_defaults(func=cmd_echo_client)

    p = sub.add_parser("connrefused")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=3)
    p.set_defaults(func=cmd_connrefused)

    p = sub.add_parser("igmp-query")
    p.add_argument("--iface", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--version", type=int, choices=[1, 2, 3], default=3)
    p.add_argument("--group", help="group-specific query for this group (default: general)")
    p.add_argument("--source", action="append", help="v3 group-and-source-specific")
    p.add_argument("--dst", help="IP destination (default 224.0.0.1, or the group)")
    p.add_argument("--max-resp-ds", type=int, default=10, help="tenths of a second (v2/v3)")
    p.set_defaults(func=cmd_igmp_query)

    p = sub.add_parser("malformed")
    p.add_argument("--protocol", choices=["udp", "igmp"], required=True)
    p.add_argument("--iface", required=True)
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--group", default="239.7.7.7", help="a group the stack joined (UDP)")
    p.add_argument("--count", type=int, default=1200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=60)
    p.set_defaults(func=cmd_malformed)

    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
    sys.exit(0)


# ----------------------------------------------------------------------------------------------
# Test side: fixtures and process wrappers (imported by the tests; needs pytest and conftest)

import pytest  # noqa: E402

from conftest import Echo, app_bin, fresh_netns, run_json_tool, unique  # noqa: E402
from dpdk_helpers import DpdkEcho, dpdk_missing, net_tap_args, remove_eal_runtime  # noqa: E402
from xdp_helpers import XDP_BACKENDS, XDP_LAB_BACKENDS, XdpEcho, make_veth, xdp_args, xdp_attach, xdp_missing  # noqa: E402


@pytest.fixture(scope="session")
def mcast_bin(pytestconfig):
    return app_bin(pytestconfig, "tachyon-mcast")


def run_kernel(ns, cmd, *args, timeout=120):
    """Runs one of this file's kernel tools inside `ns`; returns its JSON result."""
    return run_json_tool(ns, SELF, cmd, *args, timeout=timeout)


class KernelTool:
    """One of this file's kernel tools running in the background (e.g. kernel-recv)."""

    def __init__(self, ns, workdir, cmd, *args):
        self.out_path = workdir / f"{cmd}-{secrets.token_hex(2)}.out"
        self._out = open(self.out_path, "w")
        self.proc = ns.popen([PYTHON, "-u", SELF, cmd, *args], stdout=self._out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)

    def text(self):
        return self.out_path.read_text(errors="replace")

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while "ready" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"kernel tool not ready:\n{self.text()}")
            time.sleep(0.05)

    def result(self, timeout=60):
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


BACKENDS = ["tap", "dpdk-net_tap", *XDP_BACKENDS]
LAB_BACKENDS = ["tap", "dpdk-net_tap", *XDP_LAB_BACKENDS]


class Lab:
    """Where the stack meets the kernel: a TAP whose kernel end is 198.18.0.1/24, with a route
    sending the kernel's 239.0.0.0/8 out of it.

    backend "tap": the TAP is made before the stack attaches (so captures can start first).
    backend "dpdk-net_tap": DPDK's net_tap makes the TAP (name known in advance) when the
    program starts; `after_start` then waits for it and configures the kernel's end (and the
    addresses asked for with `add_kernel_address` before). One program per DPDK lab: the TAP
    goes away with it.

    premade=True (net_tap): for a test whose kernel side must be ready before the program acts
    (a kernel receiver joined before the stack sends), the TAP is made and configured first,
    multi-queue as net_tap opens it, and net_tap attaches to it; net_tap then gives the kernel's
    end the port's MAC (re-read in `after_start`), and the TAP outlives the program."""

    def __init__(self, ns, backend="tap", premade=False):
        assert backend in BACKENDS, backend
        self.ns = ns
        self.backend = backend
        self.tap = unique("tm")
        self.kernel_mac = None
        self.configured = False
        self._extra_addrs = []
        if self.is_xdp:
            # AF_XDP: the stack on the near end of a veth, the kernel on the far end (`tap`).
            self.near = unique("xn")
            make_veth(ns, self.near, self.tap)
            self._configure()
        elif backend == "tap":
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap)
            self._configure()
        elif premade:
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap, "multi_queue")
            self._configure()

    @property
    def is_dpdk(self):
        return self.backend.startswith("dpdk")

    @property
    def is_xdp(self):
        return self.backend.startswith("xdp")

    def _configure(self):
        self.ns.configure_kernel_side(self.tap)
        self.ns.ip("route", "add", "239.0.0.0/8", "dev", self.tap)
        for ip in self._extra_addrs:
            self.ns.ip("addr", "add", f"{ip}/{PREFIX}", "dev", self.tap)
        self.kernel_mac = self.ns.link_mac(self.tap)
        self.configured = True

    def backend_args(self):
        """The program's backend flags for this lab's device."""
        if self.backend == "tap":
            return ["--backend", "tap", "--tap", self.tap]
        if self.is_xdp:
            return xdp_args(self.near, xdp_attach(self.backend))
        return net_tap_args(self.tap)

    def after_start(self):
        """Once the program is ready: for net_tap, the TAP it made gets its kernel end."""
        if not self.is_dpdk:
            return
        if not self.configured:
            self.ns.wait_link(self.tap, timeout=30)
            self._configure()
        else:
            self.kernel_mac = self.ns.link_mac(self.tap)

    def capture_device(self):
        """Where tshark captures the kernel's side from before the program starts: the TAP,
        or (net_tap: the TAP does not exist yet) every interface of the namespace, where only
        that TAP carries traffic."""
        return "any" if self.is_dpdk else self.tap

    def add_kernel_address(self, ip=OTHER_KERNEL_IP):
        if self.configured:
            self.ns.ip("addr", "add", f"{ip}/{PREFIX}", "dev", self.tap)
        else:
            self._extra_addrs.append(ip)

    def tap_stats(self):
        return self.ns.ip_json("-s", "link", "show", "dev", self.tap)[0]["stats64"]


@pytest.fixture(params=LAB_BACKENDS)
def backend(request, echo_bin):
    """Every backend, for the tests that take this fixture (and so their `lab`): the TAP, DPDK's
    net_tap and AF_XDP on a veth, native (and skb with TACHYON_XDP_ALL_ATTACH=1) (each skipped,
    with the reason, when this build lacks it)."""
    if request.param in XDP_BACKENDS:
        missing = xdp_missing(echo_bin)
        if missing:
            pytest.skip(missing)
    elif request.param != "tap":
        missing = dpdk_missing(echo_bin)
        if missing:
            pytest.skip(missing)
    return request.param


@pytest.fixture
def lab(netns, request):
    """A Lab on the test's `backend` when it takes that fixture (both backends), else the TAP."""
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else "tap"
    return Lab(netns, backend)


@pytest.fixture
def start_lab_echo(netns, echo_bin, start_echo, tmp_path):
    """start_lab_echo(lab, *args): tachyon-echo on `lab`'s device (conftest's start_echo on the
    TAP; on net_tap, DpdkEcho), waited for until ready, the lab's kernel end configured."""
    started = []

    def start(lab, *args, **kw):
        if lab.is_xdp:
            e = XdpEcho(netns, echo_bin, lab.near, tmp_path, xdp_attach(lab.backend),
                        ["--ip", f"{STACK_IP}/{PREFIX}", *args], **kw)
            started.append(e)
            e.wait_ready(timeout=30)
            return e
        if not lab.is_dpdk:
            return start_echo(*args, tap=lab.tap, **kw)
        e = DpdkEcho(netns, echo_bin, lab.tap, tmp_path, f"net_tap0,iface={lab.tap}",
                     ["--ip", f"{STACK_IP}/{PREFIX}", *args], **kw)
        started.append(e)
        e.wait_ready(timeout=30)
        lab.after_start()
        return e

    yield start
    for e in started:
        e.discard()
        remove_eal_runtime(e.argv)


class Mcast(Echo):
    """tachyon-mcast recv|send on a TAP in a namespace (stderr: the log; stdout: the summary).
    Reuses conftest's Echo for the log, readiness, stats and stop."""

    def __init__(self, ns, exe, command, backend_args, tap, workdir, args, stats_interval=1, duration=60):
        self.ns = ns
        self.tap = tap
        tag = f"{command}-{tap}-{secrets.token_hex(2)}"
        self.log_path = workdir / f"mcast-{tag}.log"
        self.out_path = workdir / f"mcast-{tag}.out"
        self.stats_path = workdir / f"stats-{tag}.json"
        self.report_path = workdir / f"report-{tag}.json"
        extra = ["--report", self.report_path] if command == "recv" else []
        self.argv = [exe, command, *backend_args, "--ip", f"{STACK_IP}/{PREFIX}", *args, *extra,
                     "--stats", self.stats_path, "--stats-interval", stats_interval,
                     "--log-level", "info", "--duration", duration]
        self._log = open(self.log_path, "w")
        self._out = open(self.out_path, "w")
        self.proc = ns.popen(self.argv, stdout=self._out, stderr=self._log, stdin=subprocess.DEVNULL)
        self.mac = None
        self.returncode = None

    def output(self):
        return self.out_path.read_text(errors="replace")

    def wait_exit(self, timeout=60):
        """Waits for the program to stop by itself; returns its exit code."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError(f"tachyon-mcast still running after {timeout}s:\n{self.log()}\n{self.output()}")
        self._log.close()
        self._out.close()
        return self.returncode

    def summary(self):
        """The summary line's key=value pairs (numbers as numbers), plus "status"."""
        m = re.search(r"^summary: (\S+) (.*)$", self.output(), re.M)
        assert m, f"no summary line:\n{self.output()}\n{self.log()}"
        return {"status": m.group(1), **parse_pairs(m.group(2))}

    def groups(self):
        """{"G:P": key=value pairs} of the per-group lines."""
        return {m.group(1): parse_pairs(m.group(2))
                for m in re.finditer(r"^group (\S+) (.*)$", self.output(), re.M)}

    def report(self):
        return json.loads(self.report_path.read_text())

    def describe(self):
        return f"argv: {' '.join(map(str, self.argv))}\nstdout:\n{self.output()}\nlog:\n{self.log()}"


def parse_pairs(text):
    out = {}
    for k, v in re.findall(r"(\w+)=(\S+)", text):
        try:
            out[k] = float(v.rstrip("/s")) if "." in v or v.endswith("/s") else int(v)
        except ValueError:
            out[k] = v
    return out


@pytest.fixture
def start_mcast(netns, mcast_bin, tmp_path):
    """start_mcast(command, *args, lab=None, tap=None, wait=True): tachyon-mcast recv|send in
    `netns`, on `lab`'s device (then, once ready, the lab's kernel end is configured: see Lab),
    or on the TAP named `tap`."""
    started = []

    def start(command, *args, lab=None, tap=None, wait=True, **kw):
        assert (lab is None) != (tap is None), "lab or tap"
        if lab is not None:
            backend_args, tap = lab.backend_args(), lab.tap
        else:
            backend_args = ["--backend", "tap", "--tap", tap]
        m = Mcast(netns, mcast_bin, command, backend_args, tap, tmp_path, [str(x) for x in args], **kw)
        started.append(m)
        if wait:
            m.wait_ready(timeout=30 if lab is not None and lab.is_dpdk else 15)
            if lab is not None:
                lab.after_start()
        return m

    yield start
    for m in started:
        if m.proc.poll() is None:
            m.proc.kill()
            m.proc.wait(timeout=5)
        for f in (m._log, m._out):
            if not f.closed:
                f.close()
        remove_eal_runtime(m.argv)


@pytest.fixture
def second_netns():
    """Another namespace (same naming as conftest's, so a killed run's leftovers are found),
    always deleted with what runs in it."""
    with fresh_netns() as ns:
        yield ns


class Capture:
    """tshark on the kernel's end of the TAP, inside the namespace, with a capture filter,
    bounded in time. `frames` reads what the file holds so far."""

    FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "igmp.version", "igmp.type", "igmp.max_resp",
              "igmp.record_type", "igmp.maddr", "igmp.saddr"]

    def __init__(self, ns, dev, path, capture_filter="igmp", seconds=90):
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

    def frames(self):
        """One dict per IGMP frame: time (float), src, dst, version, type, max_resp, and
        records: [(record type, group, [sources])] for v3 reports, else group in "maddr"."""
        r = subprocess.run(["tshark", "-n", "-r", self.path, "-Y", "igmp", "-T", "fields",
                            "-E", "occurrence=a", "-E", "aggregator=;",
                            *[x for f in self.FIELDS for x in ("-e", f)]],
                           capture_output=True, text=True, timeout=60)
        out = []
        for line in r.stdout.splitlines():
            v = line.split("\t")
            v += [""] * (len(self.FIELDS) - len(v))
            rec_types = [int(x, 0) for x in v[6].split(";") if x]
            maddrs = [x for x in v[7].split(";") if x]
            f = {"time": float(v[0]), "src": v[1], "dst": v[2],
                 "version": int(v[3]) if v[3] else None,
                 "type": int(v[4], 0) if v[4] else None,
                 "max_resp": v[5], "maddrs": maddrs, "saddrs": [x for x in v[8].split(";") if x]}
            f["records"] = list(zip(rec_types, maddrs)) if rec_types else []
            out.append(f)
        return out

    def wait_for(self, predicate, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            frames = self.frames()
            if predicate(frames) or time.monotonic() > deadline:
                return frames
            time.sleep(0.3)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=15)
        self._err.close()
        return self.frames()


def from_stack(frames):
    return [f for f in frames if f["src"] == STACK_IP]


def counter_delta(before, after, name):
    sec, key = name.split(".")
    return after[sec][key] - before[sec][key]
