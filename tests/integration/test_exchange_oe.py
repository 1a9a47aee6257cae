"""The exchange's order side (tools/exchange/order_entry.py) on its own, with a plain client
written here from the SoupBinTCP 3.00 / OUCH 4.2 tables (struct layouts, not oe_wire.py), in a
namespace on its loopback: logins rejected with the right reason code, orders accepted, filled
or rejected with their reason, a re-login replaying from the requested sequence number, a
duplicate token ignored, and --drop-every cutting the connection (the stream stays whole)."""

import json
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

from conftest import PYTHON

EXCHANGE = Path(__file__).resolve().parents[2] / "tools" / "exchange" / "order_entry.py"
PORT = 15001


def pkt(ptype, payload=b""):
    return struct.pack(">H", len(payload) + 1) + ptype + payload


def login(user, password, session=b"", seq=1):
    return pkt(b"L", user.ljust(6) + password.ljust(10) + session.ljust(10) + str(seq).encode().rjust(20))


def enter(token, stock=b"AAPL", price=1000000, shares=100):
    # Enter Order (OUCH 4.2 §2.1): token, side, shares, stock, price, TIF, firm, display,
    # capacity, ISO, minimum quantity, cross type, customer type: 49 bytes.
    body = (token.ljust(14) + b"B" + struct.pack(">I", shares) + stock.ljust(8) + struct.pack(">II", price, 99999)
            + b"    " + b"YAN" + struct.pack(">I", 0) + b"NN")
    assert len(body) == 48
    return pkt(b"U", b"O" + body)


CLIENT = r'''
import socket, struct, sys, json
def packets(sock, seconds):
    sock.settimeout(seconds); buf = b""; out = []
    try:
        while True:
            d = sock.recv(65536)
            if not d: out.append(["EOF", ""]); break
            buf += d
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                out.append([buf[2:3].decode(), buf[3:2 + n].hex()]); buf = buf[2 + n:]
    except socket.timeout: pass
    except ConnectionResetError: out.append(["RST", ""])
    return out
result = []
for step in json.loads(sys.argv[1]):
    s = socket.create_connection(("127.0.0.1", %d))
    s.sendall(bytes.fromhex(step))
    result.append(packets(s, 0.6))
    s.close()
print(json.dumps(result))
''' % PORT


def run_client(ns, steps):
    r = ns.run([PYTHON, "-c", CLIENT, json.dumps([s.hex() for s in steps])], timeout=60)
    return [[(t, bytes.fromhex(h)) for t, h in conn] for conn in json.loads(r.stdout)]


def start(ns, tmp_path, *args):
    log = open(tmp_path / "exchange.log", "w")
    rec = tmp_path / "record.json"
    p = ns.popen([PYTHON, "-u", EXCHANGE, "--bind", "127.0.0.1", "--port", PORT, "--record", rec,
                  "--symbols", "AAPL", *map(str, args)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while "ready" not in (tmp_path / "exchange.log").read_text():
        assert p.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return p, rec


def stop(p, rec):
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=15) == 0
    return json.loads(rec.read_text())


def test_logins_orders_replay_and_duplicates(netns, tmp_path):
    p, rec = start(netns, tmp_path, "--fill-rate", 100, "--partial-rate", 0)
    conns = run_client(netns, [
        login(b"TRADER", b"WRONG"),
        login(b"TRADER", b"SECRET", session=b"OTHER"),
        login(b"TRADER", b"SECRET") + enter(b"T1") + enter(b"T2", stock=b"ZZZZ") + enter(b"T3", price=0),
        login(b"TRADER", b"SECRET", seq=2) + enter(b"T1"),  # replay from 2; T1 again is ignored
    ])
    assert conns[0] == [("J", b"A"), ("EOF", b"")]
    assert conns[1] == [("J", b"S"), ("EOF", b"")]
    first = conns[2]
    assert first[0][0] == "A" and first[0][1][:10] == b"TACHYON001" and int(first[0][1][10:]) == 1
    msgs = [m for t, m in first if t == "S"]
    assert [m[:1] for m in msgs] == [b"A", b"E", b"J", b"J"]
    assert len(msgs[0]) == 66 and len(msgs[1]) == 40 and len(msgs[2]) == 24
    assert (msgs[2][9:23].strip(), msgs[2][23:24]) == (b"T2", b"S")  # invalid stock
    assert (msgs[3][9:23].strip(), msgs[3][23:24]) == (b"T3", b"X")  # invalid price
    second = conns[3]
    assert int(second[0][1][10:]) == 2
    assert [m for t, m in second if t == "S"] == msgs[1:]  # replayed from 2, T1 not entered again
    r = stop(p, rec)
    assert r["totals"]["orders"] == 3 and r["totals"]["duplicate_tokens"] == 1
    assert r["totals"]["logins_rejected"] == 2 and r["streams"]["TRADER"] == 4


def test_drop_every_cuts_the_connection_and_the_stream_stays_whole(netns, tmp_path):
    p, rec = start(netns, tmp_path, "--fill-rate", 0, "--drop-every", 3)
    conns = run_client(netns, [login(b"TRADER", b"SECRET") + b"".join(enter(b"D%d" % i) for i in range(5)),
                               login(b"TRADER", b"SECRET", seq=1)])
    assert conns[0][-1][0] in ("EOF", "RST"), conns[0]  # cut (perhaps inside a packet)
    replay = [m for t, m in conns[1] if t == "S"]
    assert [m[9:23].strip() for m in replay] == [b"D0", b"D1", b"D2"]  # dropped after the third
    r = stop(p, rec)
    assert r["totals"]["drops"] >= 1 and r["totals"]["orders"] == 3
