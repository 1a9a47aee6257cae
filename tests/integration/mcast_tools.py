#!/usr/bin/python3
"""The kernel-side tools of the UDP, multicast and IGMP tests (test_udp.py, test_multicast.py,
test_igmp.py, through mcast_helpers.py's `run_kernel` and `start_kernel`), run as a script inside
a namespace (`ip netns exec NS /usr/bin/python3 mcast_tools.py CMD`): kernel UDP sockets and scapy
frames, each bounded in count and time, printing one JSON line:

  kernel-send   numbered datagrams (tachyon-mcast's format) to a group or address, paced
  kernel-recv   receive them (IP_ADD_MEMBERSHIP for a group), check order and payload
  echo-client   send datagrams to an echo port, compare what comes back
  connrefused   a connected UDP socket to a closed port: expect ECONNREFUSED
  igmp-query    an IGMP v1/v2/v3 general or group-specific query (scapy)
  malformed     malformed UDP or IGMP frames (scapy), counted under the stack counter that must count them

The datagram format (apps/mcast/datagram_format.hpp): 64-bit big-endian sequence number, 64-bit
big-endian CLOCK_REALTIME send time in ns, then byte i = (sequence + i) mod 256.
"""

import json
import random
import socket
import struct
import time
from pathlib import Path

from kernel_side import (KERNEL_IP, REQUIRED, STACK_IP, ToolCommands, build_frames, inet_checksum, report_sent,
                         send_paced)

SELF = Path(__file__).resolve()
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
    kinds = malformed_kinds(a.dst_mac, a.src_mac, a.port, a.group, random.Random(a.seed))[a.protocol]
    names, frames = build_frames(kinds, a.count)
    report_sent(kinds, names, send_paced(a.iface, frames, a.max_seconds))


def main():
    tools = ToolCommands(__doc__)
    p = tools.add("kernel-send", cmd_kernel_send, count=REQUIRED, max_seconds=60)
    p.add_argument("--dst", action="append", required=True, help="ADDRESS:PORT (repeatable: round-robin)")
    p.add_argument("--rate", type=float, default=5000, help="datagrams per second in all")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--bind", help="source address")
    p.add_argument("--mc-if", default=KERNEL_IP, help="IP_MULTICAST_IF")
    p.add_argument("--start-seq", type=int, default=0)
    p = tools.add("kernel-recv", cmd_kernel_recv, port=REQUIRED, count=REQUIRED)
    p.add_argument("--group")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--mc-if", default=KERNEL_IP)
    p = tools.add("echo-client", cmd_echo_client, dst=True, port=REQUIRED, count=200, seed=True, max_seconds=60)
    p.add_argument("--reply-timeout", type=float, default=2)
    p.add_argument("--no-check", action="store_true", help="send with UDP checksum 0 (SO_NO_CHECK)")
    tools.add("connrefused", cmd_connrefused, dst=True, port=REQUIRED, count=3)
    p = tools.add("igmp-query", cmd_igmp_query)
    p.add_argument("--iface", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--version", type=int, choices=[1, 2, 3], default=3)
    p.add_argument("--group", help="group-specific query for this group (default: general)")
    p.add_argument("--source", action="append", help="v3 group-and-source-specific")
    p.add_argument("--dst", help="IP destination (default 224.0.0.1, or the group)")
    p.add_argument("--max-resp-ds", type=int, default=10, help="tenths of a second (v2/v3)")
    p = tools.add("malformed", cmd_malformed, port=7, frames=True, count=1200, seed=True, max_seconds=60)
    p.add_argument("--protocol", choices=["udp", "igmp"], required=True)
    p.add_argument("--group", default="239.7.7.7", help="a group the stack joined (UDP)")
    tools.run()


if __name__ == "__main__":
    main()
