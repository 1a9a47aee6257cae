"""A deterministic NASDAQ TotalView-ITCH 5.0 session and the books it leaves.

Written from the specification's tables (section numbers as in "Nasdaq TotalView-ITCH 5.0"),
independently of tachyon's C++ codecs: every message is a struct.pack of its fields in wire
order, big-endian, with the 6-byte timestamp split as 2 + 4 bytes.

`generate(seed, symbols, messages)` returns the list of message byte strings and the final
books: {symbol: {"bids": [[price, shares, orders], ...] best first, "asks": [...]}}.
"""

import random
import struct

HEADER = ">cHHHI"          # type, stock locate, tracking number, timestamp (high 16, low 32)


def _header(kind, locate, ts):
    return struct.pack(HEADER, kind, locate, 0, (ts >> 32) & 0xFFFF, ts & 0xFFFFFFFF)


def system_event(ts, code):                       # §4.1, 12 bytes
    return _header(b"S", 0, ts) + code


def stock_directory(locate, ts, stock):           # §4.2.1, 39 bytes
    return _header(b"R", locate, ts) + struct.pack(
        ">8sccIcc2scccccIc", stock, b"Q", b"N", 100, b"N", b"C", b"Z ", b"P", b"N", b"N", b"1", b"N", 0, b"N")


def add_order(locate, ts, ref, side, shares, stock, price, mpid=None):   # §4.3.1 / §4.3.2
    if mpid is None:
        return _header(b"A", locate, ts) + struct.pack(">QcI8sI", ref, side, shares, stock, price)
    return _header(b"F", locate, ts) + struct.pack(">QcI8sI4s", ref, side, shares, stock, price, mpid)


def order_executed(locate, ts, ref, shares, match):                 # §4.4.1, 31 bytes
    return _header(b"E", locate, ts) + struct.pack(">QIQ", ref, shares, match)


def order_executed_price(locate, ts, ref, shares, match, price):    # §4.4.2, 36 bytes
    return _header(b"C", locate, ts) + struct.pack(">QIQcI", ref, shares, match, b"Y", price)


def order_cancel(locate, ts, ref, shares):                          # §4.4.3, 23 bytes
    return _header(b"X", locate, ts) + struct.pack(">QI", ref, shares)


def order_delete(locate, ts, ref):                                  # §4.4.4, 19 bytes
    return _header(b"D", locate, ts) + struct.pack(">Q", ref)


def order_replace(locate, ts, old, new, shares, price):             # §4.4.5, 35 bytes
    return _header(b"U", locate, ts) + struct.pack(">QQII", old, new, shares, price)


def trade(locate, ts, side, shares, stock, price, match):           # §4.5.1, 44 bytes
    return _header(b"P", locate, ts) + struct.pack(">QcI8sIQ", 0, side, shares, stock, price, match)


def trading_action(locate, ts, stock):                              # §4.2.2, 25 bytes (not decoded)
    return _header(b"H", locate, ts) + struct.pack(">8scc4s", stock, b"T", b" ", b"    ")


LENGTHS = {b"S": 12, b"R": 39, b"A": 36, b"F": 40, b"E": 31, b"C": 36, b"X": 23, b"D": 19, b"U": 35,
           b"P": 44, b"H": 25}


def symbol_name(i):
    """SYM0001 ... as an 8-byte space-padded Alpha."""
    return f"SYM{i:04d}".encode().ljust(8)


class _Books:
    """Plain books: live orders by reference and aggregated levels."""

    def __init__(self):
        self.orders = {}          # ref -> [locate, side, shares, price]
        self.refs = []            # live refs, for picking one at random
        self.where = {}           # ref -> index in refs
        self.levels = {}          # (locate, side, price) -> [shares, orders]

    def add(self, ref, locate, side, shares, price):
        self.orders[ref] = [locate, side, shares, price]
        self.where[ref] = len(self.refs)
        self.refs.append(ref)
        lv = self.levels.setdefault((locate, side, price), [0, 0])
        lv[0] += shares
        lv[1] += 1

    def reduce(self, ref, shares):
        o = self.orders[ref]
        if shares >= o[2]:
            self.remove(ref)
            return
        o[2] -= shares
        self.levels[(o[0], o[1], o[3])][0] -= shares

    def remove(self, ref):
        o = self.orders.pop(ref)
        key = (o[0], o[1], o[3])
        lv = self.levels[key]
        lv[0] -= o[2]
        lv[1] -= 1
        if lv[1] == 0:
            del self.levels[key]
        i = self.where.pop(ref)
        last = self.refs.pop()
        if last != ref:
            self.refs[i] = last
            self.where[last] = i

    def snapshot(self, names):
        out = {}
        for locate, name in names.items():
            out[name] = {"bids": [], "asks": []}
        for (locate, side, price), (shares, orders) in self.levels.items():
            out[names[locate]]["bids" if side == b"B" else "asks"].append([price, shares, orders])
        for book in out.values():
            book["bids"].sort(key=lambda lv: -lv[0])
            book["asks"].sort(key=lambda lv: lv[0])
        return out


def generate(seed, symbols, messages):
    """`messages` ITCH messages for `symbols` stocks; returns (list of bytes, final books)."""
    rng = random.Random(seed)
    ts = 4 * 3600 * 10**9                     # 04:00, system hours start
    out = [system_event(ts, b"O")]
    names = {}
    for i in range(1, symbols + 1):
        names[i] = symbol_name(i).decode().strip()
        out.append(stock_directory(i, ts, symbol_name(i)))
    out.append(system_event(ts, b"S"))
    ts = 9 * 3600 * 10**9 + 30 * 60 * 10**9  # 09:30, market hours
    out.append(system_event(ts, b"Q"))
    tail = [b"M", b"E", b"C"]
    books = _Books()
    mids = {i: 100_0000 + 10_000 * i for i in range(1, symbols + 1)}  # Price(4)
    next_ref, match = 1, 1
    rnd = rng.random
    while len(out) < messages - len(tail):
        ts += 1000 + int(rnd() * 20000)
        r = rnd()
        if r < 0.45 or len(books.refs) < 50:
            locate = 1 + int(rnd() * symbols)
            side = b"B" if rnd() < 0.5 else b"S"
            off = 100 * (1 + int(rnd() * 20))
            price = mids[locate] - off if side == b"B" else mids[locate] + off
            shares = 100 * (1 + int(rnd() * 10))
            mpid = b"TCHY" if rnd() < 0.1 else None
            out.append(add_order(locate, ts, next_ref, side, shares, symbol_name(locate), price, mpid))
            books.add(next_ref, locate, side, shares, price)
            next_ref += 1
            continue
        if r > 0.97:
            locate = 1 + int(rnd() * symbols)
            if rnd() < 0.5:
                out.append(trade(locate, ts, b"B", 100, symbol_name(locate), mids[locate], match))
                match += 1
            else:
                out.append(trading_action(locate, ts, symbol_name(locate)))
            continue
        ref = books.refs[int(rnd() * len(books.refs))]
        locate, side, shares, price = books.orders[ref]
        if r < 0.55:                                       # partial cancel
            n = max(1, shares // 2)
            out.append(order_cancel(locate, ts, ref, n))
            books.reduce(ref, n)
        elif r < 0.75:                                     # delete
            out.append(order_delete(locate, ts, ref))
            books.remove(ref)
        elif r < 0.85:                                     # replace
            nshares = 100 * (1 + int(rnd() * 10))
            nprice = price + (100 if rnd() < 0.5 else -100)
            out.append(order_replace(locate, ts, ref, next_ref, nshares, nprice))
            books.remove(ref)
            books.add(next_ref, locate, side, nshares, nprice)
            next_ref += 1
        else:                                              # execution, partial or whole
            n = shares if rnd() < 0.5 else max(1, shares // 3)
            if rnd() < 0.8:
                out.append(order_executed(locate, ts, ref, n, match))
            else:
                out.append(order_executed_price(locate, ts, ref, n, match, price))
            match += 1
            books.reduce(ref, n)
    for code in tail:
        ts += 1000
        out.append(system_event(ts, code))
    for m in out:
        assert len(m) == LENGTHS[m[:1]], m
    return out, books.snapshot(names)
