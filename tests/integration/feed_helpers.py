"""Helpers for test_feed.py: tachyon-feed (`Feed`, `start_feed`), the exchange publisher from
tools/exchange run on the kernel side (`Publisher`), tshark's moldudp64 reading of a capture
(`FeedCapture`, `tshark_lines`), and garbage datagrams from a kernel socket (`send_garbage`)."""

import json
import os
import secrets
import signal
import struct
import subprocess
import time

import pytest

from capture import Capture
from conftest import HERE, KERNEL_IP, PREFIX, PYTHON, STACK_IP, Program

PUBLISHER = HERE.parents[1] / "tools" / "exchange" / "publisher.py"
LINE_A, LINE_B = ("239.1.1.1", 30001), ("239.1.1.2", 30002)
RECOVERY_PORT = 31000


class Feed(Program):
    """tachyon-feed in a namespace (stderr: the log; stdout: the summary)."""

    def __init__(self, ns, exe, backend_args, tap, workdir, args, duration=120):
        tag = f"feed-{secrets.token_hex(2)}"
        self.books_path = workdir / f"{tag}.books.json"
        self.hgrm_path = workdir / f"{tag}.hgrm"
        idle = [] if "--idle" in backend_args else ["--idle"]  # (net_tap's flags have it)
        super().__init__(ns, [exe, *backend_args, *idle, "--ip", f"{STACK_IP}/{PREFIX}",
                              "--line-a", f"{LINE_A[0]}:{LINE_A[1]}", "--line-b", f"{LINE_B[0]}:{LINE_B[1]}",
                              "--recovery", f"{KERNEL_IP}:{RECOVERY_PORT}", *map(str, args),
                              "--books", self.books_path, "--histogram", self.hgrm_path],
                         tap, workdir, tag, stdout=workdir / f"{tag}.out", duration=duration)

    def books(self):
        return json.loads(self.books_path.read_text())

    def describe(self):
        return (f"argv: {' '.join(map(str, self.argv))}\nstdout:\n{self.output()}\nlog (tail):\n"
                f"{self.log()[-3000:]}")


@pytest.fixture
def start_feed(netns, feed_bin, tmp_path, started):
    """start_feed(lab, *args): tachyon-feed on `lab`'s device, ready, the lab's kernel end set."""
    def start(lab, *args, duration=120):
        return started.add(Feed(netns, feed_bin, lab.backend_args(), lab.tap, tmp_path, args, duration=duration),
                           timeout=30 if lab.is_dpdk else 15, lab=lab)
    return start


class Publisher:
    """tools/exchange/publisher.py in the namespace, on the kernel's end of the lab."""

    def __init__(self, ns, workdir, *args, line_b=True):
        tag = secrets.token_hex(2)
        self.truth_path = workdir / f"truth-{tag}.json"
        self.stats_path = workdir / f"publisher-{tag}.json"
        self.out_path = workdir / f"publisher-{tag}.out"
        self._out = open(self.out_path, "w")
        self.argv = [PYTHON, "-u", PUBLISHER, "--interface-ip", KERNEL_IP,
                     "--line-a", f"{LINE_A[0]}:{LINE_A[1]}",
                     *(["--line-b", f"{LINE_B[0]}:{LINE_B[1]}"] if line_b else []),
                     "--recovery-port", RECOVERY_PORT, "--truth", self.truth_path, "--stats", self.stats_path,
                     *args]
        self.proc = ns.popen(self.argv, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        return self.out_path.read_text(errors="replace")

    def wait_truth(self, timeout=60):
        deadline = time.monotonic() + timeout
        while not self.truth_path.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the publisher wrote no truth:\n{self.text()}")
            time.sleep(0.1)
        return json.loads(self.truth_path.read_text())

    def stop(self):
        """SIGTERM (it stops lingering), then its report."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)
        self._out.close()
        assert self.proc.returncode == 0, self.text()
        return json.loads(self.stats_path.read_text())


class FeedCapture(Capture):
    """tshark writing the UDP the kernel's side of the lab carries to a pcap, bounded in time;
    read with `tshark_lines`."""

    def __init__(self, ns, dev, path, seconds):
        super().__init__(ns, dev, path, "udp", seconds, extra=("-q", "-B", "64"))

    def stop(self):
        self.end(signal.SIGINT)


def tshark_lines(pcap):
    """Per destination port of the two lines, what tshark's moldudp64 dissector reads:
    {"packets" (data packets), "messages" (their blocks), "control" (heartbeats and end of
    session), "next_sequence", "malformed"}."""
    decode = [a for port in (LINE_A[1], LINE_B[1]) for a in ("-d", f"udp.port=={port},moldudp64")]
    r = subprocess.run(["tshark", "-r", pcap, *decode, "-Y", "moldudp64", "-T", "fields", "-E", "separator=;",
                        "-e", "udp.dstport", "-e", "moldudp64.sequence", "-e", "moldudp64.count",
                        "-e", "_ws.malformed", "-e", "_ws.expert.severity"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = {port: {"packets": 0, "messages": 0, "control": 0, "next_sequence": 0, "malformed": 0}
           for port in (LINE_A[1], LINE_B[1])}
    for line in r.stdout.splitlines():
        port, seq, count, malformed, severity = (line.split(";") + [""] * 5)[:5]
        s = out[int(port)]
        seq, count = int(seq), int(count)
        # Expert infos at warning (0x00600000) or error level count as malformed; the
        # dissector's chat-level note on an end of session does not.
        if malformed or any(int(v, 0) >= 0x00600000 for v in severity.split(",") if v):
            s["malformed"] += 1
        if count in (0, 0xFFFF):
            s["control"] += 1
            s["next_sequence"] = max(s["next_sequence"], seq)
        else:
            s["packets"] += 1
            s["messages"] += count
            s["next_sequence"] = max(s["next_sequence"], seq + count)
    return out


def garbage(rng_seed, session, n):
    """`n` datagrams of each bad shape for a feed line: random bytes, too short, a packet
    claiming 65535 messages with data, a count past its blocks, another session."""
    import random
    rng = random.Random(rng_seed)
    out = []
    for _ in range(n):
        out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
        out.append(session[:5])
        out.append(struct.pack(">10sQH", session, 1, 0xFFFF) + b"\x00\x05hello")
        out.append(struct.pack(">10sQH", session, 1, 100) + b"\x00\x01x")
        out.append(struct.pack(">10sQH", b"OTHERSESS1", 1, 1) + b"\x00\x01x")
    return out


SEND_GARBAGE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
data = [bytes.fromhex(h) for h in sys.stdin.read().split()]
for group, port in ((sys.argv[2], int(sys.argv[3])), (sys.argv[4], int(sys.argv[5]))):
    for d in data:
        s.sendto(d, (group, port))
"""


def send_garbage(ns, datagrams):
    """Sends every datagram to both lines from the kernel side."""
    ns.run([PYTHON, "-c", SEND_GARBAGE, KERNEL_IP, *LINE_A, *LINE_B],
           input="\n".join(d.hex() for d in datagrams), timeout=30)


def session_size():
    """Messages in the big session: the issue's 10^6, or TACHYON_FEED_MESSAGES."""
    return int(os.environ.get("TACHYON_FEED_MESSAGES", "1000000"))
