#!/usr/bin/python3
"""A request/response session as an order gateway's (issue 12), run inside the test's network
namespace (ip netns exec NS /usr/bin/python3 request_response.py run ...): a kernel TCP client
connects to the stack's echo port and sends --count messages of --size bytes, one at a time,
each waiting for its echo. Bounded in count and time; prints one JSON line: the response time
percentiles, the slowest responses, and whether every message came back once, whole, in order.
"""

import argparse
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from kernel_side import STACK_IP  # noqa: E402


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def cmd_run(a):
    rng = random.Random(a.seed)
    s = socket.create_connection((a.dst, a.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    deadline = time.monotonic() + a.max_seconds
    times, wrong, error = [], 0, None
    try:
        for i in range(a.count):
            if time.monotonic() > deadline:
                error = f"out of time after {i} messages"
                break
            msg = i.to_bytes(4, "big") + bytes(rng.getrandbits(8) for _ in range(a.size - 4))
            t = time.monotonic()
            s.sendall(msg)
            got = b""
            while len(got) < a.size:
                chunk = s.recv(a.size - len(got))
                if not chunk:
                    raise ConnectionError("EOF")
                got += chunk
            times.append(time.monotonic() - t)
            wrong += got != msg
            if a.gap:
                time.sleep(a.gap)
        s.shutdown(socket.SHUT_WR)
        extra = s.recv(1)  # the echo server closes after our FIN: nothing more may come
        if extra:
            error = "bytes after the last response"
    except (OSError, ConnectionError) as e:
        error = repr(e)
    finally:
        s.close()
    ts = sorted(times)
    ms = lambda v: round(v * 1000, 3)  # noqa: E731
    print(json.dumps({
        "answered": len(times), "wrong": wrong, "error": error,
        "p50_ms": ms(percentile(ts, 0.5)) if ts else None,
        "p99_ms": ms(percentile(ts, 0.99)) if ts else None,
        "max_ms": ms(ts[-1]) if ts else None,
        "slowest_ms": [ms(v) for v in ts[-10:]],
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("--dst", default=STACK_IP)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--gap", type=float, default=0.0, help="seconds between messages")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=60)
    a = ap.parse_args()
    {"run": cmd_run}[a.cmd](a)


if __name__ == "__main__":
    main()
