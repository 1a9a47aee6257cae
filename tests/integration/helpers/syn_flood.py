#!/usr/bin/python3
"""A SYN flood and a client that must get through it (issue 9; RFC 4987), run inside the test's
network namespace (ip netns exec NS /usr/bin/python3 syn_flood.py CMD ...). Bounded in count
and time; prints one JSON line.

  flood    --count SYNs at --rate a second from the kernel's side of the stack's link, through
           a packet socket: from spoofed off-link sources in 198.19.0.0/16 (--src spoofed: the
           stack's SYN-ACKs go to the gateway, which drops them: handshakes abandoned by
           silence), or from the kernel's own address on ports it has no socket on (--src
           kernel: the kernel answers the SYN-ACKs with RST: handshakes abandoned by RST)
  cycles   --count times: connect to the stack, send 64 bytes, read them back (an echo port),
           close; every failure is reported, with the slowest connect
"""

import json
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kernel_side import KERNEL_IP, REQUIRED, STACK_IP, ToolCommands, inet_checksum, mac_bytes  # noqa: E402
from tcp_tools import tcp_segment  # noqa: E402

SYN = 0x02


def ipv4_header(src, dst, payload_len, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, 0x4000, 64, 6, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", inet_checksum(h)) + h[12:]


def cmd_flood(a):
    rng = random.Random(a.seed)
    eth = mac_bytes(a.dst_mac) + mac_bytes(a.src_mac) + b"\x08\x00"
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    mss = bytes([2, 4, 0x05, 0xB4])
    start = time.monotonic()
    sent = 0
    interval = 1.0 / a.rate
    while sent < a.count and time.monotonic() - start < a.max_seconds:
        if a.src == "spoofed":
            src = f"198.19.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        else:
            src = KERNEL_IP
        sport = rng.randrange(20000, 60000)
        seg = tcp_segment(sport, a.port, rng.randrange(1 << 32), 0, SYN, options=mss, src=src, dst=STACK_IP)
        frame = eth + ipv4_header(src, STACK_IP, len(seg), rng.randrange(1 << 16)) + seg
        s.send(frame)
        sent += 1
        # Paced against the clock, so the rate holds whatever each send costs.
        delay = start + sent * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    s.close()
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - start, 2)}), flush=True)


def cmd_cycles(a):
    result = {"ok": 0, "failures": [], "max_connect_ms": 0.0}
    payload = bytes(range(64))
    deadline = time.monotonic() + a.max_seconds
    for i in range(a.count):
        if time.monotonic() > deadline:
            result["failures"].append(f"{i}: out of time")
            break
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(a.timeout)
        try:
            t0 = time.monotonic()
            c.connect((STACK_IP, a.port))
            result["max_connect_ms"] = max(result["max_connect_ms"], (time.monotonic() - t0) * 1000)
            c.sendall(payload)
            got = b""
            while len(got) < len(payload):
                chunk = c.recv(len(payload) - len(got))
                if not chunk:
                    break
                got += chunk
            if got != payload:
                result["failures"].append(f"{i}: echoed {len(got)} bytes, not the 64 sent")
            else:
                result["ok"] += 1
        except OSError as e:
            result["failures"].append(f"{i}: {e!r}")
        finally:
            c.close()
        time.sleep(a.pause)
    result["max_connect_ms"] = round(result["max_connect_ms"], 1)
    print(json.dumps(result), flush=True)


def main():
    tools = ToolCommands(__doc__)
    p = tools.add("flood", cmd_flood, port=REQUIRED, frames=True, count=10000, seed=True, max_seconds=60)
    p.add_argument("--rate", type=float, default=2000)
    p.add_argument("--src", choices=["spoofed", "kernel"], default="spoofed")
    p = tools.add("cycles", cmd_cycles, port=REQUIRED, count=100, max_seconds=60)
    p.add_argument("--timeout", type=float, default=3)
    p.add_argument("--pause", type=float, default=0.02)
    tools.run()


if __name__ == "__main__":
    main()
