#!/usr/bin/python3
"""The exchange side of a MoldUDP64 / ITCH 5.0 feed, on kernel sockets (Python 3 standard
library only), written independently of tachyon-feed's codecs.

Generates a deterministic ITCH 5.0 session from --seed (stock directory for --symbols stocks,
then adds, executions, cancels, replaces, deletes, trades) or replays a NASDAQ BinaryFILE
(--replay: 2-byte big-endian length + message, repeated), and publishes it over MoldUDP64 on
line A and line B at --rate messages a second, several messages per packet. Faults per line:
independent random packet loss (--loss-a/--loss-b), a forced gap on both lines (--drop-range),
duplicated and reordered packets. Heartbeats when idle, end of session at the end (repeated
while lingering). A retransmission server answers MoldUDP64 request packets from its store
(--recovery-port), one downstream packet per request of at most --recovery-max messages.
--truth writes the final books before publishing; --stats writes what was sent at exit.

Example (kernel side of a TAP, tachyon-feed on the other side):

    ip route add 239.0.0.0/8 dev tap0
    tools/exchange/publisher.py --interface-ip 198.18.0.1 --line-a 239.1.1.1:30001 \\
        --line-b 239.1.1.2:30002 --recovery-port 31000 --messages 100000 --symbols 100 \\
        --rate 200000 --loss-a 5 --loss-b 5 --truth truth.json
"""

import argparse
import json
import random
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itch_session  # noqa: E402
import moldudp64 as mold  # noqa: E402


def address_port(text):
    host, _, port = text.rpartition(":")
    socket.inet_aton(host)
    return host, int(port)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--line-a", type=address_port, required=True, help="GROUP:PORT of line A")
    p.add_argument("--line-b", type=address_port, help="GROUP:PORT of line B")
    p.add_argument("--interface-ip", default="0.0.0.0", help="send multicast from this address")
    p.add_argument("--ttl", type=int, default=1)
    p.add_argument("--session", default="TACHYON001", help="MoldUDP64 session name (10 characters at most)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--symbols", type=int, default=100)
    p.add_argument("--messages", type=int, default=100000, help="ITCH messages in the session")
    p.add_argument("--replay", help="publish this NASDAQ BinaryFILE instead of a generated session")
    p.add_argument("--rate", type=float, default=100000, help="messages a second (0: as fast as possible)")
    p.add_argument("--max-payload", type=int, default=1400, help="UDP payload bytes per packet at most")
    p.add_argument("--max-messages", type=int, default=64, help="messages per packet at most")
    p.add_argument("--loss-a", type=float, default=0, help="percent of packets not sent on line A")
    p.add_argument("--loss-b", type=float, default=0, help="percent of packets not sent on line B")
    p.add_argument("--drop-range", help="FIRST:LAST sequence numbers sent on neither line")
    p.add_argument("--duplicate", type=float, default=0, help="percent of packets sent twice (per line)")
    p.add_argument("--reorder", type=float, default=0, help="percent of packets swapped with the next (per line)")
    p.add_argument("--heartbeat", type=float, default=1.0, help="seconds of silence before a heartbeat")
    p.add_argument("--pause", help="SEQ:SECONDS: stop for SECONDS before sequence number SEQ (heartbeats meanwhile)")
    p.add_argument("--end-interval", type=float, default=0.1, help="seconds between end-of-session packets")
    p.add_argument("--linger", type=float, default=3.0, help="seconds to keep serving requests after the end")
    p.add_argument("--start-delay", type=float, default=0.0, help="seconds to wait before publishing")
    p.add_argument("--recovery-port", type=int, help="serve retransmission requests on this UDP port")
    p.add_argument("--recovery-max", type=int, default=64, help="messages per answer at most")
    p.add_argument("--bad-recovery", choices=["wrong-session", "wrong-sequence"],
                   help="answer requests wrongly (to test the feed handler)")
    p.add_argument("--truth", help="write the final books as JSON here before publishing")
    p.add_argument("--stats", help="write what was sent as JSON here at exit")
    a = p.parse_args(argv)
    a.drop = None
    a.pause_at, a.pause_for = None, 0.0
    if a.pause:
        at, secs = a.pause.split(":")
        a.pause_at, a.pause_for = int(at), float(secs)
    if a.drop_range:
        first, last = (int(x) for x in a.drop_range.split(":"))
        a.drop = (first, last)
    return a


def read_binaryfile(path):
    data = Path(path).read_bytes()
    out, off = [], 0
    while off + 2 <= len(data):
        (n,) = struct.unpack_from(">H", data, off)
        out.append(data[off + 2:off + 2 + n])
        off += 2 + n
    return out


class Recovery(threading.Thread):
    """The retransmission server: one answer packet per valid request."""

    def __init__(self, a, session, store, published):
        super().__init__(daemon=True)
        self.a, self.session, self.store, self.published = a, session, store, published
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((a.interface_ip, a.recovery_port))
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
        self.stats = {"requests": 0, "answered": 0, "answered_messages": 0, "bad_requests": 0,
                      "not_yet_published": 0}

    def run(self):
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            req = mold.parse_request(data)
            self.stats["requests"] += 1
            if req is None or req[0] != self.session or req[1] < 1 or req[2] == 0:
                self.stats["bad_requests"] += 1
                continue
            _, seq, count = req
            high = self.published[0]              # last sequence number published
            if seq > high:
                self.stats["not_yet_published"] += 1
                continue
            msgs, size = [], mold.HEADER.size
            for s in range(seq, min(seq + count, high + 1, seq + self.a.recovery_max)):
                m = self.store[s - 1]
                if size + 2 + len(m) > self.a.max_payload:
                    break
                msgs.append(m)
                size += 2 + len(m)
            session, first = self.session, seq
            if self.a.bad_recovery == "wrong-session":
                session = b"WRONGSESS1"
            elif self.a.bad_recovery == "wrong-sequence":
                first = seq + 1
            self.sock.sendto(mold.downstream(session, first, msgs), peer)
            self.stats["answered"] += 1
            self.stats["answered_messages"] += len(msgs)


class Line:
    """One multicast line and its faults."""

    def __init__(self, name, dst, loss, a, rng, sock):
        self.name, self.dst, self.loss, self.a, self.rng, self.sock = name, dst, loss, a, rng, sock
        self.held = None
        self.stats = {"packets": 0, "messages": 0, "lost": 0, "duplicated": 0, "reordered": 0,
                      "heartbeats": 0, "end_of_session": 0, "send_errors": 0, "first_seq": None, "last_seq": 0}

    def _send(self, pkt):
        try:
            self.sock.sendto(pkt, self.dst)
        except OSError:            # the route went away (the receiver's TAP closed): counted
            self.stats["send_errors"] += 1
            return
        self.stats["packets"] += 1

    def send_data(self, seq, msgs, pkt):
        if self.rng.random() * 100 < self.loss:
            self.stats["lost"] += 1
            return
        self.stats["messages"] += len(msgs)
        if self.stats["first_seq"] is None:
            self.stats["first_seq"] = seq
        self.stats["last_seq"] = max(self.stats["last_seq"], seq + len(msgs) - 1)
        if self.held is None and self.rng.random() * 100 < self.a.reorder:
            self.held = pkt
            self.stats["reordered"] += 1
            return
        self._send(pkt)
        if self.rng.random() * 100 < self.a.duplicate:
            self._send(pkt)
            self.stats["duplicated"] += 1
        self.flush()

    def flush(self):
        if self.held is not None:
            held, self.held = self.held, None
            self._send(held)

    def send_control(self, pkt, kind):
        if self.rng.random() * 100 < self.loss:
            return
        self._send(pkt)
        self.stats[kind] += 1


def main(argv):
    a = parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    session = mold.session_bytes(a.session)
    if a.replay:
        store, truth = read_binaryfile(a.replay), None
    else:
        store, truth = itch_session.generate(a.seed, a.symbols, a.messages)
    if a.truth and truth is not None:
        tmp = Path(a.truth + ".tmp")
        tmp.write_text(json.dumps(truth))
        tmp.rename(a.truth)
    published = [0]
    rec = None
    if a.recovery_port:
        rec = Recovery(a, session, store, published)
        rec.start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind((a.interface_ip, 0))
    if a.interface_ip != "0.0.0.0":
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.interface_ip))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, a.ttl)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    rng = random.Random(a.seed * 7919 + 1)
    lines = [Line("a", a.line_a, a.loss_a, a, random.Random(rng.random()), sock)]
    if a.line_b:
        lines.append(Line("b", a.line_b, a.loss_b, a, random.Random(rng.random()), sock))
    if a.start_delay:
        time.sleep(a.start_delay)
    breaks = ((a.drop[0], a.drop[1] + 1) if a.drop else ()) + ((a.pause_at,) if a.pause_at else ())
    start = last_send = time.monotonic()
    sent = dropped_range = 0
    for seq, msgs in mold.packetize(store, 1, a.max_payload, a.max_messages, breaks):
        if stop.is_set():
            break
        published[0] = seq + len(msgs) - 1
        sent += len(msgs)
        if a.drop and a.drop[0] <= seq <= a.drop[1]:
            dropped_range += len(msgs)
            continue
        if a.pause_at is not None and seq + len(msgs) > a.pause_at:
            a.pause_at = None
            resume = time.monotonic() + a.pause_for
            while not stop.is_set() and time.monotonic() < resume:
                for line in lines:
                    line.send_control(mold.control(session, seq, mold.HEARTBEAT), "heartbeats")
                stop.wait(min(a.heartbeat, max(0.0, resume - time.monotonic())))
            start += a.pause_for
        pkt = mold.downstream(session, seq, msgs)
        for line in lines:
            line.send_data(seq, msgs, pkt)
        now = time.monotonic()
        if a.rate > 0:
            ahead = start + sent / a.rate - now
            if ahead > 0.001:
                time.sleep(ahead)
                now = time.monotonic()
        if now - last_send > a.heartbeat:
            for line in lines:
                line.send_control(mold.control(session, published[0] + 1, mold.HEARTBEAT), "heartbeats")
        last_send = now
    for line in lines:
        line.flush()
    # End of session in place of heartbeats while lingering (spec "End of Session Message"):
    # re-requests may still be made on the session.
    end = time.monotonic() + a.linger
    while not stop.is_set() and time.monotonic() < end:
        for line in lines:
            line.send_control(mold.control(session, len(store) + 1, mold.END_OF_SESSION), "end_of_session")
        stop.wait(a.end_interval)
    if rec:
        rec.stop.set()
        rec.join(timeout=2)
    report = {"session": a.session, "messages": len(store), "dropped_range": dropped_range,
              "seconds": round(time.monotonic() - start, 3),
              "lines": {line.name: line.stats for line in lines},
              "recovery": rec.stats if rec else None}
    if a.stats:
        Path(a.stats).write_text(json.dumps(report))
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
