#!/usr/bin/python3
"""Sends malformed frames from the kernel's side of a TAP to the stack, each with exactly one
defect, and prints as JSON how many of each it sent under the stack counter that must count it:
{"ipv4.drop_bad_checksum": 588, ...}.

Run inside the test's network namespace (ip netns exec NS /usr/bin/python3 send_malformed.py).
Frames are built with scapy, sent through one AF_PACKET socket, paced so that the TAP's queue
never overflows. Bounded: --count frames at most, --max-seconds of sending at most.

Frames shorter than an Ethernet header cannot be sent this way (the kernel refuses packet-socket
frames below the link's header length), so ethernet.drop_too_short is left to the unit tests.
"""

import argparse
import os
import random
import socket
import struct
import sys

from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.compat import raw

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kernel_side import (KERNEL_IP, STACK_IP, build_frames, inet_checksum as checksum,  # noqa: E402
                         mac_bytes, report_sent, send_paced)


def make_kinds(dst, src, rng):
    """Each kind: name -> (counter, builder(i) -> bytes)."""
    eth = lambda t=0x0800: Ether(dst=dst, src=src, type=t)

    def echo(i, size=None):
        size = rng.randrange(0, 64) if size is None else size
        return ICMP(type=8, id=0x7A00 + (i & 0xFF), seq=i & 0xFFFF) / Raw(bytes(rng.randrange(256) for _ in range(size)))

    def ip(**kw):
        return IP(src=KERNEL_IP, dst=STACK_IP, **kw)

    def bad_ip_checksum(i):
        good = IP(raw(ip() / echo(i)))
        good.chksum ^= 0x0101
        return raw(eth() / good)

    def bad_icmp_checksum(i):
        pkt = IP(raw(ip() / echo(i)))
        pkt[ICMP].chksum ^= 0x0101
        return raw(eth() / pkt)

    def bad_ihl(i):
        b = bytearray(raw(ip() / echo(i)))
        b[0] = 0x40 | rng.randrange(0, 5)  # IHL 0..4: shorter than the fixed header
        b[10:12] = b"\0\0"
        b[10:12] = checksum(bytes(b[:20])).to_bytes(2, "big")
        return raw(eth()) + bytes(b)

    def bad_version(i):
        b = bytearray(raw(ip() / echo(i)))
        b[0] = (rng.choice([0, 1, 5, 6, 7, 15]) << 4) | 5
        b[10:12] = b"\0\0"
        b[10:12] = checksum(bytes(b[:20])).to_bytes(2, "big")
        return raw(eth()) + bytes(b)

    def total_length_too_long(i):
        body = raw(echo(i, 16))
        return raw(eth() / ip(len=20 + len(body) + rng.randrange(1, 1400)) / body)

    def total_length_below_header(i):
        return raw(eth() / ip(len=rng.randrange(0, 20)) / echo(i, 16))

    def ipv4_truncated(i):
        return raw(eth()) + raw(ip() / echo(i))[: rng.randrange(1, 20)]

    def icmp_truncated(i):
        return raw(eth() / ip(proto=1) / Raw(raw(echo(i, 0))[: rng.randrange(0, 8)]))

    def not_for_us_ip(i):
        return raw(eth() / IP(src=KERNEL_IP, dst=f"198.18.0.{rng.randrange(3, 255)}") / echo(i))

    def fragment(i):
        if i % 2:
            return raw(eth() / ip(flags="MF") / echo(i, 32))
        return raw(eth() / ip(frag=rng.randrange(1, 100)) / Raw(bytes(24)))

    def unknown_protocol(i):
        return raw(eth() / ip(proto=rng.choice([253, 254])) / Raw(bytes(16)))

    def unknown_ethertype(i):
        return raw(eth(rng.choice([0x88B5, 0x88B6])) / Raw(bytes(46)))

    def not_for_us_mac(i):
        other = dst
        while other.lower() == dst.lower():
            other = "02:00:00:00:%02x:%02x" % (rng.randrange(256), rng.randrange(1, 256))
        return raw(Ether(dst=other, src=src, type=0x0800) / ip() / echo(i))

    def arp(htype=1, ptype=0x0800, hlen=6, plen=4, op=1):
        """ARP bytes with the given header fields; addresses sized by hlen/plen, then padding
        so that the frame is long enough for any declared address length."""
        sha = mac_bytes(src).ljust(hlen, b"\0")[:hlen]
        spa = socket.inet_aton(KERNEL_IP).ljust(plen, b"\0")[:plen]
        tha = bytes(hlen)
        tpa = socket.inet_aton(STACK_IP).ljust(plen, b"\0")[:plen]
        body = struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa
        return body.ljust(80, b"\0")

    def arp_frame(body):
        return raw(eth(0x0806)) + body

    def arp_truncated(i):
        return arp_frame(arp()[: rng.randrange(0, 28)])

    def arp_bad_hw_type(i):
        return arp_frame(arp(htype=rng.choice([0, 6, 32])))

    def arp_bad_proto_type(i):
        return arp_frame(arp(ptype=rng.choice([0x86DD, 0x0806, 0])))

    def arp_bad_len(i):
        if i % 2:
            return arp_frame(arp(hlen=rng.choice([0, 4, 8, 16])))
        return arp_frame(arp(plen=rng.choice([0, 6, 16])))

    def arp_bad_op(i):
        return arp_frame(arp(op=rng.choice([0, 3, 4, 8, 0xFFFF])))

    return {
        "ether_unknown_type": ("ethernet.drop_unknown_ethertype", unknown_ethertype),
        "ether_not_for_us": ("ethernet.drop_not_for_us", not_for_us_mac),
        "ipv4_truncated": ("ipv4.drop_truncated", ipv4_truncated),
        "ipv4_bad_version": ("ipv4.drop_bad_version", bad_version),
        "ipv4_bad_ihl": ("ipv4.drop_bad_header_length", bad_ihl),
        "ipv4_len_too_long": ("ipv4.drop_bad_total_length", total_length_too_long),
        "ipv4_len_too_short": ("ipv4.drop_bad_total_length", total_length_below_header),
        "ipv4_bad_checksum": ("ipv4.drop_bad_checksum", bad_ip_checksum),
        "ipv4_not_for_us": ("ipv4.drop_not_for_us", not_for_us_ip),
        "ipv4_fragment": ("ipv4.drop_fragment", fragment),
        "ipv4_unknown_protocol": ("ipv4.drop_unknown_protocol", unknown_protocol),
        "icmp_truncated": ("icmp.drop_truncated", icmp_truncated),
        "icmp_bad_checksum": ("icmp.drop_bad_checksum", bad_icmp_checksum),
        "arp_truncated": ("arp.drop_truncated", arp_truncated),
        "arp_bad_hardware_type": ("arp.drop_bad_hardware_type", arp_bad_hw_type),
        "arp_bad_protocol_type": ("arp.drop_bad_protocol_type", arp_bad_proto_type),
        "arp_bad_address_length": ("arp.drop_bad_address_length", arp_bad_len),
        "arp_bad_operation": ("arp.drop_bad_operation", arp_bad_op),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True, help="the stack's MAC")
    ap.add_argument("--src-mac", required=True, help="the kernel's MAC on the TAP")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--burst", type=int, default=32, help="frames between pauses")
    ap.add_argument("--pause", type=float, default=0.004, help="seconds between bursts")
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--kinds", default="", help="comma-separated subset (default: all)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    kinds = make_kinds(args.dst_mac, args.src_mac, rng)
    if args.kinds:
        kinds = {k: kinds[k] for k in args.kinds.split(",")}
    names, frames = build_frames(kinds, args.count)
    assert all(len(f) >= 14 for f in frames)
    sent = send_paced(args.iface, frames, args.max_seconds, burst=args.burst, pause=args.pause)
    report_sent(kinds, names, sent)

if __name__ == "__main__":
    main()
