"""What the kernel-side tools share (tcp_tools.py, mcast_tools.py and helpers/*.py run as
scripts inside a namespace; conftest.py and the tests import the addresses from here too): the
lab's addresses, their command line (ToolCommands), the Internet checksum, MAC text to bytes, and
sending built frames through one packet socket, paced. Needs nothing but the standard library."""

import argparse
import json
import socket
import struct
import time

PYTHON = "/usr/bin/python3"
KERNEL_IP = "198.18.0.1"        # the kernel's end of every lab
STACK_IP = "198.18.0.2"         # the stack under test
OTHER_KERNEL_IP = "198.18.0.3"  # a second kernel address (another source, or the far namespace)
PREFIX = 24


REQUIRED = object()   # ToolCommands.add: the flag must be given


class ToolCommands:
    """The command line of a kernel-side tool script: a subcommand per tool, each running a
    function with the parsed arguments; the flags the tools share are named once (`add`)."""

    def __init__(self, doc):
        self.ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
        self._sub = self.ap.add_subparsers(dest="cmd", required=True)

    def add(self, name, func, dst=False, port=None, frames=False, count=None, seed=False, max_seconds=None):
        """The subcommand `name` running `func`, with: --dst (default the stack's address) when
        `dst`; --port and --count when given a default (or REQUIRED); --iface, --dst-mac and
        --src-mac (a raw frame's way out) when `frames`; --seed (default 1) when `seed`;
        --max-seconds when given a default. Returns the subparser, for the tool's own flags."""
        def value(v):
            return {"required": True} if v is REQUIRED else {"default": v}
        p = self._sub.add_parser(name)
        p.set_defaults(func=func)
        if dst:
            p.add_argument("--dst", default=STACK_IP)
        if port is not None:
            p.add_argument("--port", type=int, **value(port))
        for flag in ("--iface", "--dst-mac", "--src-mac") if frames else ():
            p.add_argument(flag, required=True)
        if count is not None:
            p.add_argument("--count", type=int, **value(count))
        if seed:
            p.add_argument("--seed", type=int, default=1)
        if max_seconds is not None:
            p.add_argument("--max-seconds", type=float, default=max_seconds)
        return p

    def run(self):
        """Parses the command line and runs the tool it names."""
        a = self.ap.parse_args()
        a.func(a)


def inet_checksum(data):
    """The Internet checksum (RFC 1071) of `data`, as a 16-bit number."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_bytes(mac):
    """"aa:bb:cc:dd:ee:ff" as 6 bytes."""
    return bytes(int(x, 16) for x in mac.split(":"))


def build_frames(kinds, count):
    """Frames of each kind in turn: `kinds` maps name -> (stack counter, builder(i) -> frame);
    returns (names in order, frames)."""
    names = sorted(kinds)
    return names, [kinds[names[i % len(names)]][1](i) for i in range(count)]


def send_paced(iface, frames, max_seconds, burst=32, pause=0.004):
    """Sends `frames` through one AF_PACKET socket on `iface`, pausing after every `burst` so the
    TAP's queue never overflows; stops after `max_seconds`. Returns how many were sent."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    start = time.monotonic()
    sent = 0
    for i, f in enumerate(frames):
        if time.monotonic() - start > max_seconds:
            break
        n = s.send(f)
        assert n == len(f), (n, len(f))
        sent += 1
        if (i + 1) % burst == 0:
            time.sleep(pause)
    s.close()
    return sent


def report_sent(kinds, names, sent):
    """Prints, as the tool's JSON result, what the first `sent` frames of `build_frames` were:
    {"sent", "by_kind", "counters" (per stack counter that must count them)}."""
    by_kind = {k: 0 for k in names}
    for i in range(sent):
        by_kind[names[i % len(names)]] += 1
    counters = {}
    for k in names:
        counters[kinds[k][0]] = counters.get(kinds[k][0], 0) + by_kind[k]
    print(json.dumps({"sent": sent, "by_kind": by_kind, "counters": counters}), flush=True)
