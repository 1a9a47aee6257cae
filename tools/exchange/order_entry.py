#!/usr/bin/python3
"""The exchange's order side: a SoupBinTCP 3.00 server carrying OUCH 4.2, on kernel sockets
(Python 3 standard library only), written independently of tachyon's C++ codecs.

Logins: each --user NAME:PASSWORD may log in (a wrong name or password is rejected with 'A',
a Requested Session other than --session with 'S'). Each user has one sequenced stream for the
day, kept across connections: a Login Request asking for sequence number N gets Login Accepted
at N (at the next new message when N is 0 or past the end) and the messages from N on are
replayed before live ones. One connection per user: a new login takes the user over.
Heartbeats: a Server Heartbeat after --heartbeat seconds without sending; a client silent for
--client-timeout seconds is disconnected. Logout Request ends the connection.

Matcher (simple enough to be obviously right): every valid Enter Order is accepted; then, with
probability --fill-rate percent, executed in full at its own price (in two executions with
probability --partial-rate percent); an unfilled IOC order (Time In Force 0) is canceled
(reason 'I'). An invalid one is rejected with its reason: 'S' stock not in --symbols, 'X'
price 0 or above $199,999.99, 'Z' shares 0 or above 1,000,000, 'D' unknown display, 'O'
anything else wrong. A token a user already used is ignored (OUCH 4.2: tokens are day-unique,
duplicates ignored), so a client may safely resend an order it is unsure of. Cancel Order
takes shares off a live order (Canceled, reason 'U'); Replace Order replaces a live order.

Faults: --drop-every N drops the connection after every N-th inbound message; --drop-random N
drops it N times after random inbound messages among the first --drop-span; SIGUSR1 drops
every connection now. A drop sends a random prefix of what is pending (perhaps half a packet)
and then closes, with a RST half of the time. --record FILE writes every order and the totals
as JSON at exit (SIGINT/SIGTERM) and every --record-interval seconds, for tests to reconcile.

    tools/exchange/order_entry.py --port 15000 --user TRADER:SECRET --symbols AAPL,MSFT \\
        --fill-rate 50 --drop-random 5 --record orders.json
"""

import argparse
import errno
import json
import os
import random
import selectors
import signal
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oe_wire as w  # noqa: E402

MAX_PRICE = 1999999900  # $199,999.99 with 4 implied decimals
MAX_SHARES = 1000000
DISPLAYS = set(b"AYNPIMWLOTQmn")
SIDES = set(b"BSTE")
CAPACITIES = set(b"APRO")
CROSS_TYPES = set(b"NOCHSR")


def ns_since_midnight():
    """OUCH timestamps: nanoseconds since midnight."""
    t = time.time_ns()
    return t % (86400 * 10**9)


class Order:
    """One order as the exchange holds it."""

    def __init__(self, user, fields):
        self.user = user
        self.fields = fields
        self.token = fields["token"]
        self.shares = fields["shares"]  # open shares as accepted
        self.executed = 0
        self.canceled = 0
        self.state = "new"
        self.reject_reason = None
        self.order_ref = 0
        self.fills = []  # [shares, price, match]
        self.replaced_by = None

    def leaves(self):
        return self.shares - self.executed - self.canceled

    def record(self):
        f = self.fields
        return {"token": self.token.decode("ascii", "replace").rstrip(), "user": self.user,
                "side": f["side"].decode(), "stock": f["stock"].decode("ascii", "replace").rstrip(),
                "price": f["price"], "shares": self.shares, "state": self.state,
                "executed": self.executed, "canceled": self.canceled, "order_ref": self.order_ref,
                "reject_reason": self.reject_reason, "fills": self.fills,
                "replaced_by": self.replaced_by}


class Account:
    """A user's day: its sequenced stream, its orders, its connection."""

    def __init__(self, name, password):
        self.name = name
        self.password = password
        self.stream = []  # outbound OUCH messages; sequence number = index + 1
        self.orders = {}  # token -> Order
        self.conn = None


class Conn:
    """One client connection."""

    def __init__(self, sock, now):
        self.sock = sock
        self.framer = w.Framer()
        self.out = bytearray()
        self.account = None
        self.last_recv = now
        self.last_send = now


class Exchange:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.accounts = {}
        for spec in a.user:
            name, _, password = spec.partition(":")
            self.accounts[name] = Account(name, password)
        self.symbols = {s.encode().ljust(8) for s in a.symbols.split(",")} if a.symbols else None
        self.sel = selectors.DefaultSelector()
        self.conns = []
        self.next_ref = 1
        self.next_match = 1
        self.inbound = 0
        self.drop_at = set()
        if a.drop_random:
            span = max(a.drop_span, a.drop_random)
            self.drop_at = set(self.rng.sample(range(1, span + 1), a.drop_random))
        self.drop_now = False
        self.stop = False
        self.totals = {k: 0 for k in (
            "connections", "logins", "logins_rejected", "replayed", "sequenced", "heartbeats_sent",
            "heartbeats_received", "logouts", "client_timeouts", "drops", "framing_errors",
            "orders", "accepted", "rejected", "duplicate_tokens", "fills", "executed_shares",
            "canceled", "cancel_requests", "replaced", "ignored", "unknown_inbound", "bad_length",
            "takeovers")}

    # ---- output ---------------------------------------------------------------------------
    def send(self, conn, data):
        conn.out += data
        conn.last_send = time.monotonic()
        self.flush(conn)

    def flush(self, conn):
        while conn.out:
            try:
                n = conn.sock.send(conn.out)
            except BlockingIOError:
                break
            except OSError:
                self.close(conn, "send failed")
                return
            del conn.out[:n]
        if conn.sock.fileno() >= 0:
            mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.out else 0)
            self.sel.modify(conn.sock, mask, conn)

    def publish(self, account, msg):
        """Appends `msg` to the user's sequenced stream and sends it if the user is connected."""
        account.stream.append(msg)
        self.totals["sequenced"] += 1
        if account.conn is not None:
            self.send(account.conn, w.packet(w.SEQUENCED, msg))

    # ---- connections ----------------------------------------------------------------------
    def close(self, conn, why, prefix_fault=False):
        if conn not in self.conns:
            return
        self.conns.remove(conn)
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        if prefix_fault:
            # Send a random part of what is pending (perhaps cutting a packet), then go.
            cut = self.rng.randint(0, len(conn.out))
            try:
                conn.sock.setblocking(True)
                conn.sock.settimeout(1.0)
                conn.sock.sendall(conn.out[:cut])
            except OSError:
                pass
            if self.rng.random() < 0.5:
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sock.close()
        if conn.account is not None and conn.account.conn is conn:
            conn.account.conn = None
        log(f"connection closed: {why}")

    def drop(self, conn):
        self.totals["drops"] += 1
        self.close(conn, f"dropped on purpose (drop {self.totals['drops']})", prefix_fault=True)

    def accept(self, listener):
        sock, peer = listener.accept()
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Conn(sock, time.monotonic())
        self.conns.append(conn)
        self.sel.register(sock, selectors.EVENT_READ, conn)
        self.totals["connections"] += 1
        log(f"connection from {peer[0]}:{peer[1]}")

    def readable(self, conn):
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.close(conn, f"recv: {errno.errorcode.get(e.errno, e)}")
            return
        if not data:
            self.close(conn, "client closed")
            return
        conn.last_recv = time.monotonic()
        try:
            packets = conn.framer.feed(data)
        except w.FramingError as e:
            self.totals["framing_errors"] += 1
            self.close(conn, f"framing lost: {e}")
            return
        for ptype, payload in packets:
            if conn not in self.conns:
                return
            self.on_packet(conn, ptype, payload)

    # ---- SoupBinTCP ---------------------------------------------------------------------
    def on_packet(self, conn, ptype, payload):
        if conn.account is None:
            if ptype != w.LOGIN_REQUEST:
                self.close(conn, f"packet {ptype!r} before login")
                return
            self.on_login(conn, payload)
            return
        if ptype == w.UNSEQUENCED:
            self.on_message(conn, payload)
        elif ptype == w.CLIENT_HEARTBEAT:
            self.totals["heartbeats_received"] += 1
        elif ptype == w.LOGOUT_REQUEST:
            self.totals["logouts"] += 1
            self.close(conn, "logout")
        elif ptype == w.DEBUG:
            pass
        else:
            self.totals["ignored"] += 1

    def on_login(self, conn, payload):
        req = w.parse_login_request(payload)
        if req is None:
            self.close(conn, "malformed login request")
            return
        user, password, session, seq = req
        account = self.accounts.get(user)
        if account is None or account.password != password:
            self.totals["logins_rejected"] += 1
            self.send(conn, w.login_rejected(w.REJECT_NOT_AUTHORIZED))
            self.close(conn, f"login rejected: not authorized ({user!r})")
            return
        if session and session != self.a.session:
            self.totals["logins_rejected"] += 1
            self.send(conn, w.login_rejected(w.REJECT_SESSION_NOT_AVAILABLE))
            self.close(conn, f"login rejected: session {session!r} not available")
            return
        if account.conn is not None:
            self.totals["takeovers"] += 1
            self.close(account.conn, "taken over by a new login")
        account.conn = conn
        conn.account = account
        end = len(account.stream) + 1
        start = end if seq == 0 or seq > end else seq
        self.totals["logins"] += 1
        self.send(conn, w.login_accepted(self.a.session, start))
        replay = account.stream[start - 1:]
        self.totals["replayed"] += len(replay)
        if replay:
            self.send(conn, b"".join(w.packet(w.SEQUENCED, m) for m in replay))
        log(f"login accepted: {user} from {start} ({len(replay)} replayed)")

    # ---- OUCH -----------------------------------------------------------------------------
    def on_message(self, conn, msg):
        account = conn.account
        self.inbound += 1
        t = msg[:1]
        want = w.INBOUND_LENGTHS.get(t)
        if want is None:
            self.totals["unknown_inbound"] += 1
        elif len(msg) != want:
            self.totals["bad_length"] += 1
        elif t == b"O":
            self.enter(account, w.parse_enter_order(msg))
        elif t == b"X":
            self.cancel(account, *w.parse_cancel_order(msg))
        elif t == b"U":
            self.replace(account, w.parse_replace_order(msg))
        else:
            self.totals["ignored"] += 1  # Modify Order, Trade Now: not matched here
        every = self.a.drop_every
        if conn in self.conns and ((every and self.inbound % every == 0) or self.inbound in self.drop_at):
            self.drop(conn)

    def reject_reason(self, o):
        if self.symbols is not None and o["stock"] not in self.symbols:
            return b"S"
        if o["price"] == 0 or o["price"] > MAX_PRICE:
            return b"X"
        if o["shares"] == 0 or o["shares"] > MAX_SHARES:
            return b"Z"
        if o["display"][0] not in DISPLAYS:
            return b"D"
        if (o["side"][0] not in SIDES or o["capacity"][0] not in CAPACITIES or o["cross_type"][0] not in CROSS_TYPES
                or o["min_quantity"] > o["shares"] or o["time_in_force"] > 99999):
            return b"O"
        return None

    def enter(self, account, o):
        if o["token"] in account.orders:
            self.totals["duplicate_tokens"] += 1
            return
        order = Order(account.name, o)
        account.orders[o["token"]] = order
        self.totals["orders"] += 1
        reason = self.reject_reason(o)
        if reason is not None:
            order.state = "rejected"
            order.reject_reason = reason.decode()
            self.totals["rejected"] += 1
            self.publish(account, w.rejected(ns_since_midnight(), o["token"], reason))
            return
        order.state = "live"
        order.order_ref = self.next_ref
        self.next_ref += 1
        self.totals["accepted"] += 1
        self.publish(account, w.accepted(ns_since_midnight(), o, order.order_ref))
        if self.rng.random() * 100 < self.a.fill_rate:
            parts = [order.shares]
            if order.shares > 1 and self.rng.random() * 100 < self.a.partial_rate:
                first = self.rng.randint(1, order.shares - 1)
                parts = [first, order.shares - first]
            for n in parts:
                self.execute(account, order, n)
        elif o["time_in_force"] == 0:
            self.cancel_shares(account, order, order.leaves(), b"I")

    def execute(self, account, order, n):
        match = self.next_match
        self.next_match += 1
        order.executed += n
        order.fills.append([n, order.fields["price"], match])
        order.state = "executed" if order.leaves() == 0 else "partially_executed"
        self.totals["fills"] += 1
        self.totals["executed_shares"] += n
        self.publish(account, w.executed(ns_since_midnight(), order.token, n, order.fields["price"], b"A", match))

    def cancel_shares(self, account, order, n, reason):
        order.canceled += n
        if order.leaves() == 0:
            order.state = "canceled"
            self.totals["canceled"] += 1
        self.publish(account, w.canceled(ns_since_midnight(), order.token, n, reason))

    def cancel(self, account, token, keep):
        self.totals["cancel_requests"] += 1
        order = account.orders.get(token)
        if order is None or order.state not in ("live", "partially_executed"):
            self.totals["ignored"] += 1
            return
        n = order.leaves() - min(keep, order.leaves())
        if n > 0:
            self.cancel_shares(account, order, n, b"U")

    def replace(self, account, r):
        old = account.orders.get(r["existing"])
        if old is None or old.state not in ("live", "partially_executed") or r["replacement"] in account.orders:
            self.totals["ignored"] += 1
            return
        o = dict(old.fields, token=r["replacement"], shares=r["shares"], price=r["price"],
                 time_in_force=r["time_in_force"], display=r["display"], iso=r["iso"],
                 min_quantity=r["min_quantity"])
        new = Order(account.name, o)
        account.orders[new.token] = new
        reason = self.reject_reason(o)
        if reason is not None:
            new.state = "rejected"
            new.reject_reason = reason.decode()
            self.publish(account, w.rejected(ns_since_midnight(), new.token, reason))
            return
        old.state = "replaced"
        old.replaced_by = new.token.decode("ascii", "replace").rstrip()
        new.state = "live"
        new.order_ref = self.next_ref
        self.next_ref += 1
        self.totals["replaced"] += 1
        self.publish(account, w.replaced(ns_since_midnight(), o, new.order_ref, old.token))

    # ---- loop -----------------------------------------------------------------------------
    def timers(self, now):
        for conn in list(self.conns):
            if now - conn.last_recv >= self.a.client_timeout:
                self.totals["client_timeouts"] += 1
                self.close(conn, "client silent")
            elif conn.account is not None and now - conn.last_send >= self.a.heartbeat:
                self.totals["heartbeats_sent"] += 1
                self.send(conn, w.packet(w.SERVER_HEARTBEAT))

    def write_record(self):
        if not self.a.record:
            return
        orders = [o.record() for acc in self.accounts.values() for o in acc.orders.values()]
        doc = {"totals": self.totals, "session": self.a.session, "orders": orders,
               "streams": {acc.name: len(acc.stream) for acc in self.accounts.values()}}
        tmp = self.a.record + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.a.record)

    def run(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.a.bind, self.a.port))
        listener.listen(16)
        listener.setblocking(False)
        self.sel.register(listener, selectors.EVENT_READ, None)
        log(f"ready: order entry on {self.a.bind}:{listener.getsockname()[1]}, session {self.a.session}")
        next_record = time.monotonic() + self.a.record_interval
        while not self.stop:
            for key, events in self.sel.select(timeout=0.05):
                if key.data is None:
                    self.accept(listener)
                    continue
                conn = key.data
                if events & selectors.EVENT_WRITE and conn in self.conns:
                    self.flush(conn)
                if events & selectors.EVENT_READ and conn in self.conns:
                    self.readable(conn)
            now = time.monotonic()
            if self.drop_now:
                self.drop_now = False
                for conn in list(self.conns):
                    self.drop(conn)
            self.timers(now)
            if now >= next_record:
                self.write_record()
                next_record = now + self.a.record_interval
        for conn in list(self.conns):
            self.close(conn, "exchange stopping")
        listener.close()
        self.write_record()
        print(json.dumps(self.totals), flush=True)


def log(text):
    print(f"order_entry: {text}", file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--port", type=int, default=15000)
    p.add_argument("--session", default="TACHYON001", help="the session name (10 characters at most)")
    p.add_argument("--user", action="append", help="NAME:PASSWORD allowed to log in (repeatable; default TRADER:SECRET)")
    p.add_argument("--symbols", help="SYM,SYM: the stocks that trade (default: any)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fill-rate", type=float, default=50, help="percent of accepted orders executed")
    p.add_argument("--partial-rate", type=float, default=30, help="percent of fills in two executions")
    p.add_argument("--heartbeat", type=float, default=1.0, help="seconds unsent before a Server Heartbeat")
    p.add_argument("--client-timeout", type=float, default=15.0, help="seconds unheard before disconnecting")
    p.add_argument("--drop-every", type=int, default=0, help="drop the connection after every N-th inbound message")
    p.add_argument("--drop-random", type=int, default=0, help="drop the connection N times at random points")
    p.add_argument("--drop-span", type=int, default=5000, help="--drop-random picks among the first N inbound messages")
    p.add_argument("--record", help="write the orders and totals as JSON here (at exit and periodically)")
    p.add_argument("--record-interval", type=float, default=1.0)
    a = p.parse_args(argv)
    a.user = a.user or ["TRADER:SECRET"]
    if len(a.session) > 10:
        p.error("--session: 10 characters at most")
    return a


def main(argv):
    a = parse_args(argv)
    ex = Exchange(a)

    def on_stop(signum, frame):
        ex.stop = True

    def on_drop(signum, frame):
        ex.drop_now = True

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGUSR1, on_drop)
    ex.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
