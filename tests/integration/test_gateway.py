"""tachyon-gateway on the TAP backend against the exchange's order side
(tools/exchange/order_entry.py: SoupBinTCP 3.00 / OUCH 4.2 on kernel sockets, written apart
from the C++ codecs), inside a namespace:

* 10,000 orders over two symbols (one the exchange does not list, so about half are
  rejected), a third filled (some in two executions), while the exchange drops the connection
  5 times at random points (a random part of what it had queued sent first, half the time a
  RST): the gateway reconnects each time with the next expected sequence number, every order
  is accounted for (accepted + rejected = sent; executed + canceled + open + rejected = sent;
  the open ones canceled at the end), the gateway's counts and fills equal the exchange's
  record, no order entered twice, the sequenced stream ends complete and in order (each
  message delivered once), and tshark's soupbintcp/ouch dissectors read the capture with no
  malformed packet;
* a wrong password: Login Rejected, said in words, exit 1, no reconnect storm.

Size: TACHYON_GATEWAY_ORDERS (default 10,000, the issue's count) at 3000 a second: about 11 s."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KERNEL_IP, PYTHON, app_bin
from lab import Lab
from tcp_helpers import TcpCapture

EXCHANGE = Path(__file__).resolve().parents[2] / "tools" / "exchange" / "order_entry.py"
PORT = 15000
ORDERS = int(os.environ.get("TACHYON_GATEWAY_ORDERS", "10000"))


@pytest.fixture(scope="module")
def gateway_bin(pytestconfig):
    return app_bin(pytestconfig, "tachyon-gateway")


class Exchange:
    """order_entry.py in the namespace, on the kernel's side of the TAP."""

    def __init__(self, ns, workdir, *args):
        self.log_path = workdir / "exchange.log"
        self.record_path = workdir / "exchange-record.json"
        self._log = open(self.log_path, "w")
        self.proc = ns.popen([PYTHON, "-u", EXCHANGE, "--bind", KERNEL_IP, "--port", PORT,
                              "--record", self.record_path, *map(str, args)],
                             stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while "ready" not in self.log():
            assert self.proc.poll() is None and time.monotonic() < deadline, f"exchange not ready:\n{self.log()}"
            time.sleep(0.05)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        """SIGTERM; returns the record it writes on the way out."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)
        self._log.close()
        assert self.proc.returncode == 0, self.log()
        return json.loads(self.record_path.read_text())


def gateway_args(*extra):
    return ["--exchange", f"{KERNEL_IP}:{PORT}", "--user", "TRADER", "--password", "SECRET", *extra]


def tshark_types(pcap):
    """Per frame: malformed or not, SoupBinTCP packet types, OUCH message types and tokens."""
    r = subprocess.run(["tshark", "-n", "-r", str(pcap), "-d", f"tcp.port=={PORT},soupbintcp", "-T", "fields",
                        "-E", "occurrence=a", "-E", "aggregator=|", "-e", "_ws.malformed",
                        "-e", "soupbintcp.packet_type", "-e", "ouch.packet_type", "-e", "ouch.order_token"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    frames = []
    for line in r.stdout.splitlines():
        cols = (line.split("\t") + ["", "", "", ""])[:4]
        frames.append([[v.strip("'") for v in c.split("|")] if c else [] for c in cols])
    return frames


def test_orders_reconciled_through_five_random_drops(netns, start_program, gateway_bin, tmp_path):
    lab = Lab(netns, "tap")
    capture = TcpCapture(netns, lab.tap, tmp_path / "oe.pcap", f"tcp port {PORT}", seconds=90)
    ex = Exchange(netns, tmp_path, "--symbols", "AAPL", "--fill-rate", 35, "--partial-rate", 40, "--seed", 7,
                  "--drop-random", 5, "--drop-span", ORDERS * 9 // 10)
    gw = start_program(gateway_bin, lab, *gateway_args("--symbol", "AAPL,NOPE", "--count", ORDERS, "--rate", 3000,
                                                       "--qty", 200, "--price", "100.25", "--cancel-open",
                                                       "--reconnect-delay", "0.05", "--answer-timeout", 20),
                       duration=80)
    assert gw.wait_exit(75) == 0, gw.log()
    stats = gw.read_stats()["gateway"]
    record = ex.stop()
    capture.stop()
    frames = tshark_types(capture.path)

    o, s, totals = stats["orders"], stats["session"], record["totals"]
    # Every order accounted for, by the gateway.
    assert o["sent"] == ORDERS and o["unanswered"] == 0, stats
    assert o["accepted"] + o["rejected"] == ORDERS, stats
    assert o["executed"] + o["canceled"] + o["open"] + o["rejected"] == ORDERS, stats
    assert o["open"] == 0, stats  # --cancel-open
    assert stats["table_mismatch"] == 0, stats
    # The exchange saw each order once (a resend of a token it had is ignored, not entered).
    orders = {x["token"]: x for x in record["orders"]}
    assert len(record["orders"]) == ORDERS == len(orders)
    assert all(x["state"] in ("executed", "canceled", "rejected") for x in orders.values())
    assert totals["orders"] == ORDERS
    assert (totals["accepted"], totals["rejected"], totals["canceled"]) == (o["accepted"], o["rejected"], o["canceled"])
    assert sum(1 for x in orders.values() if x["state"] == "executed") == o["executed"]
    assert (totals["fills"], totals["executed_shares"]) == (o["executions"], o["executed_shares"]), (totals, o)
    assert all(x["reject_reason"] == "S" for x in orders.values() if x["stock"] == "NOPE")
    assert 0 < o["rejected"] < ORDERS and 0 < o["executed"] < o["accepted"]
    # Five drops, five reconnects; the stream complete and each message delivered once.
    assert totals["drops"] == 5, totals
    assert stats["reconnects"] == 5 and s["logins_accepted"] == 6, stats
    stream = record["streams"]["TRADER"]
    assert s["next_expected"] == stream + 1 and s["messages"] == stream, (s, stream)
    assert s["framing_lost"] == 0 and s["unexpected"] == 0, s
    # tshark: nothing malformed; every order's token seen in an Enter Order.
    assert frames, "tshark read nothing"
    assert not [f for f in frames if f[0]], "tshark found malformed frames"
    tokens = {t.strip() for f in frames for t, ty in zip(f[3], f[2]) if ty == "O"}
    assert len(tokens) >= ORDERS, len(tokens)


def test_a_wrong_password_is_rejected_in_words(netns, start_program, gateway_bin, tmp_path):
    lab = Lab(netns, "tap")
    ex = Exchange(netns, tmp_path)
    gw = start_program(gateway_bin, lab, "--exchange", f"{KERNEL_IP}:{PORT}", "--user", "TRADER",
                       "--password", "WRONG", "--count", 10, duration=30)
    assert gw.wait_exit(25) == 1
    assert "login rejected: not authorized" in gw.log(), gw.log()
    stats = gw.read_stats()["gateway"]
    assert stats["session"]["state"] == "rejected" and stats["reconnects"] == 0, stats
    assert stats["refused"]["not_logged_in"] == 0 and stats["orders"]["sent"] == 0
    assert ex.stop()["totals"]["logins_rejected"] == 1
