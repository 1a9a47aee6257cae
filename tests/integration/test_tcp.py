"""TCP against the Linux kernel, in namespaces, on the TAP backend and (where marked
every_backend) DPDK's net_tap virtual device and AF_XDP, native and skb attach:

  * a kernel client to tachyon-nc --listen, and tachyon-nc --connect to a kernel server: 100 MB
    each way at once, sha256 compared; the same under netem (loss, reordering, duplication and
    delay on the kernel's side) with 20 MB each way (100 MB takes too long for CI there);
  * tachyon-echo --tcp-protocol echo returns a 20 MB stream intact;
  * 1000 connections held open at once, each used for a request and its answer, all closed
    cleanly (FIN both ways, no reset);
  * the kernel gets a RST from a closed port (ECONNREFUSED), and tachyon-nc reports a refusal;
  * `sockperf ping-pong --tcp` against tachyon-echo --tcp-port drops nothing, and the capture
    shows two frames per request and response (no pure ACKs in steady state);
  * malformed segments (data offset, checksum, option lengths) are counted exactly and dropped.
"""

import hashlib
import re
import shutil

import pytest

from conftest import KERNEL_IP, STACK_IP, drops
from lab import Lab
from tcp_helpers import TcpCapture, counter, make_payload, run_kernel, start_kernel

PORT = 5001
BIG = 100 * 1000 * 1000
NETEM_BYTES = 20 * 1000 * 1000


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def write_payload(path, nbytes, seed):
    data = make_payload(nbytes, seed)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def check_transfer(r, nbytes, sent_hash_expected, out_path):
    """The kernel's side sent and received everything, and both hashes match."""
    assert r["send_error"] is None and r["recv_error"] is None, r
    assert r["sent"] == nbytes, r
    assert r["received"] == nbytes, r
    assert r["received_sha256"] == sent_hash_expected, r
    assert out_path.stat().st_size == nbytes
    assert sha256_file(out_path) == r["sent_sha256"], "what the stack received differs from what the kernel sent"


def kernel_client_to_nc_listen(netns, lab, nc_bin, start_program, tmp_path, nbytes, max_seconds):
    src, out = tmp_path / "stack-sends.bin", tmp_path / "stack-received.bin"
    src_hash = write_payload(src, nbytes, 2)
    nc = start_program(nc_bin, lab, "--listen", PORT, stdin=src, stdout=out)
    r = run_kernel(netns, "stream-client", "--port", PORT, "--bytes", nbytes, "--seed", 1,
                   "--max-seconds", max_seconds, "--expect", nbytes, timeout=max_seconds + 30)
    rc = nc.wait_exit(30)
    assert rc == 0, nc.log()
    check_transfer(r, nbytes, src_hash, out)
    return nc, r


def nc_connect_to_kernel_server(netns, lab, nc_bin, start_program, tmp_path, nbytes, max_seconds):
    src, out = tmp_path / "stack-sends.bin", tmp_path / "stack-received.bin"
    src_hash = write_payload(src, nbytes, 2)
    server = start_kernel(netns, tmp_path, "stream-server", "--port", PORT, "--bytes", nbytes, "--seed", 1,
                          "--max-seconds", max_seconds, "--bind", "0.0.0.0", "--expect", nbytes)
    server.wait_ready()
    nc = start_program(nc_bin, lab, "--connect", f"{KERNEL_IP}:{PORT}", stdin=src, stdout=out)
    r = server.result(timeout=max_seconds + 30)
    rc = nc.wait_exit(30)
    assert rc == 0, nc.log()
    check_transfer(r, nbytes, src_hash, out)
    assert r["peer"][0] == STACK_IP, r
    return nc, r


def final_stats(p):
    s = p.read_stats()
    assert s is not None, p.log()
    return s


@pytest.mark.every_backend(xdp_skb=True)
def test_kernel_client_to_nc_listen_100mb_each_way(netns, backend, nc_bin, start_program, tmp_path):
    lab = Lab(netns, backend)
    nc, r = kernel_client_to_nc_listen(netns, lab, nc_bin, start_program, tmp_path, BIG, 150)
    s = final_stats(nc)
    assert s["tcp"]["passive_opens"] == 1 and s["tcp"]["closed_normal"] == 1, s["tcp"]
    assert s["tcp"]["closed_reset"] == 0 and s["tcp"]["tx_resets"] == 0, s["tcp"]
    print(f"100 MB each way ({backend}): {r['seconds']} s")


def test_nc_connect_to_kernel_server_100mb_each_way(netns, backend, nc_bin, start_program, tmp_path):
    lab = Lab(netns, backend)
    nc, r = nc_connect_to_kernel_server(netns, lab, nc_bin, start_program, tmp_path, BIG, 150)
    s = final_stats(nc)
    assert s["tcp"]["active_opens"] == 1 and s["tcp"]["closed_normal"] == 1, s["tcp"]
    assert s["tcp"]["closed_reset"] == 0 and s["tcp"]["tx_resets"] == 0, s["tcp"]
    print(f"100 MB each way ({backend}): {r['seconds']} s")


@pytest.mark.parametrize("direction", ["kernel-client", "kernel-server"])
def test_impaired_link_loss_reorder_duplicate_20mb_each_way(netns, nc_bin, start_program, tmp_path, direction):
    """What `tc qdisc add dev <kernel-side> root netem loss 2% reorder 5% duplicate 1% delay 1ms`
    does to the frames the kernel sends (data one way, ACKs the other). This kernel has no
    sch_netem (CONFIG_NET_SCH_NETEM unset, no modules), so a relay in user space
    (tcp_tools.py impair-relay) does the same between a TAP of its own, where the kernel
    sits, and the stack's TAP. 20 MB each way: 100 MB takes too long for CI here."""
    lab = Lab(netns, "tap", impaired_by=(tmp_path, ["--loss", 0.02, "--reorder", 0.05, "--duplicate", 0.01,
                                                       "--delay", 0.001, "--max-seconds", 200]))
    run = kernel_client_to_nc_listen if direction == "kernel-client" else nc_connect_to_kernel_server
    nc, r = run(netns, lab, nc_bin, start_program, tmp_path, NETEM_BYTES, 150)
    relay = lab.relay_result()
    s = final_stats(nc)
    assert s["tcp"]["closed_normal"] == 1 and s["tcp"]["closed_reset"] == 0, s["tcp"]
    # The impairments did happen, and were repaired.
    assert relay["lost"] > 0 and relay["duplicated"] > 0 and relay["reordered"] > 0, relay
    assert s["tcp"]["out_of_order"] > 0 or s["tcp"]["dup_acks"] > 0, s["tcp"]
    print(f"impaired 20 MB each way ({direction}): {r['seconds']} s; relay {relay}; tcp {s['tcp']}")


def test_echo_returns_a_20mb_stream(netns, echo_bin, start_program, tmp_path):
    lab = Lab(netns, "tap")
    e = start_program(echo_bin, lab, "--tcp-port", PORT, "--tcp-protocol", "echo")
    n = 20 * 1000 * 1000
    r = run_kernel(netns, "stream-client", "--port", PORT, "--bytes", n, "--seed", 7, "--max-seconds", 90)
    assert r["send_error"] is None and r["recv_error"] is None, r
    assert r["sent"] == n and r["received"] == n, r
    assert r["received_sha256"] == r["sent_sha256"], r
    s = e.stop()
    assert s["tcp"]["closed_normal"] == 1 and s["tcp"]["closed_reset"] == 0, s["tcp"]


def test_1000_concurrent_connections_used_and_closed_cleanly(netns, echo_bin, start_program, tmp_path):
    lab = Lab(netns, "tap")
    e = start_program(echo_bin, lab, "--tcp-port", PORT, "--tcp-protocol", "echo")
    before = e.wait_stats(lambda s: True)
    r = run_kernel(netns, "many-clients", "--port", PORT, "--count", 1000, "--parallel", 64,
                   "--max-seconds", 100, timeout=130)
    assert r["connected"] == 1000 and r["max_open"] == 1000, r
    assert r["echoed"] == 1000 and r["mismatched"] == 0, r
    assert r["eof"] == 1000 and r["resets"] == 0, r
    assert not r["connect_errors"] and not r["other_errors"], r
    s = e.wait_stats(lambda s: s["tcp"]["closed_normal"] - before["tcp"]["closed_normal"] >= 1000, timeout=20)
    t = s["tcp"]
    assert t["passive_opens"] - before["tcp"]["passive_opens"] == 1000, t
    assert t["established"] - before["tcp"]["established"] == 1000, t
    assert t["closed_normal"] - before["tcp"]["closed_normal"] == 1000, t
    assert t["closed_reset"] == 0 and t["tx_resets"] == 0 and t["drop_table_full"] == 0, t
    e.stop()
    print(f"1000 connections: {r}")


def test_kernel_gets_rst_from_a_closed_port(netns, echo_bin, start_program):
    lab = Lab(netns, "tap")
    e = start_program(echo_bin, lab, "--tcp-port", PORT)
    before = e.wait_stats(lambda s: True)
    r = run_kernel(netns, "connrefused", "--port", PORT + 1, "--count", 3)
    assert r == {"refused": 3, "timeouts": 0, "other": []}, r
    s = e.wait_stats(lambda s: s["tcp"]["tx_resets"] - before["tcp"]["tx_resets"] >= 3)
    assert s["tcp"]["tx_resets"] - before["tcp"]["tx_resets"] == 3, s["tcp"]
    assert s["tcp"]["drop_no_connection"] - before["tcp"]["drop_no_connection"] == 3, s["tcp"]
    assert s["tcp"]["passive_opens"] == before["tcp"]["passive_opens"], s["tcp"]
    e.stop()


def test_nc_reports_a_refused_connection(netns, nc_bin, start_program):
    lab = Lab(netns, "tap")
    nc = start_program(nc_bin, lab, "--connect", f"{KERNEL_IP}:{PORT}", wait=False)
    rc = nc.wait_exit(30)
    assert rc == 1, nc.log()
    assert "connection refused" in nc.log(), nc.log()


def test_nc_udp_round_trip(netns, nc_bin, start_program, tmp_path):
    """--udp: standard input in datagrams to a kernel UDP echo (socat), the answers to
    standard output; the program ends --wait seconds after the end of its input."""
    lab = Lab(netns, "tap")
    netns.popen(["timeout", "60", "socat", f"UDP-RECVFROM:{PORT},bind={KERNEL_IP},fork", "PIPE"])
    src, out = tmp_path / "udp-in.txt", tmp_path / "udp-out.txt"
    src.write_bytes(b"hello over udp\n")
    nc = start_program(nc_bin, lab, "--udp", "--connect", f"{KERNEL_IP}:{PORT}", "--wait", 1, stdin=src,
                       stdout=out, wait=False)
    rc = nc.wait_exit(30)
    assert rc == 0, nc.log()
    assert out.read_bytes() == b"hello over udp\n", nc.log()


def sockperf_tcp(ns, *args):
    if shutil.which("sockperf") is None:
        pytest.fail("sockperf is not installed (apt-get install sockperf)")
    r = ns.run(["sockperf", "ping-pong", "--tcp", *args], timeout=60, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    m = re.search(r"dropped messages = (\d+); # duplicated messages = (\d+); # out-of-order messages = (\d+)", out)
    assert m, out
    sent = re.search(r"\[Valid Duration\].*SentMessages=(\d+); ReceivedMessages=(\d+)", out)
    assert sent, out
    return tuple(int(x) for x in m.groups()), int(sent.group(1)), int(sent.group(2)), out


@pytest.mark.every_backend(xdp_skb=True)
def test_sockperf_ping_pong_tcp_two_frames_per_message(netns, backend, echo_bin, start_program, tmp_path):
    lab = Lab(netns, backend)
    e = start_program(echo_bin, lab, "--tcp-port", PORT)
    cap = TcpCapture(netns, lab.tap, tmp_path / "sockperf-tcp.pcap", f"tcp port {PORT}")
    (dropped, dup, ooo), sent, received, out = sockperf_tcp(netns, "-i", STACK_IP, "-p", PORT, "-t", 3,
                                                            "--mps", 500)
    assert (dropped, dup, ooo) == (0, 0, 0), out
    assert received >= 900, out
    frames = cap.stop()
    requests = [f for f in frames if f["src"] == KERNEL_IP and f["len"] > 0]
    answers = [f for f in frames if f["src"] == STACK_IP and f["len"] > 0]
    pure_acks = [f for f in frames if f["len"] == 0 and f["flags"] & 0x07 == 0]  # no SYN, FIN, RST
    retrans = [f for f in frames if "retransmission" in f["analysis"].lower() or f["analysis"] in ("0x0001",)]
    messages = len(requests)
    # sockperf sends each request in one segment and waits for its answer: one frame each way.
    assert messages >= received, (messages, received)
    assert len(answers) == messages, (len(answers), messages)
    assert len(pure_acks) <= 8, f"{len(pure_acks)} pure ACKs for {messages} messages"
    assert len(frames) <= 2 * messages + 16, f"{len(frames)} frames for {messages} messages"
    assert not retrans, retrans[:5]
    s = e.stop()
    assert s["tcp"]["retransmits"] == 0 and s["tcp"]["fast_retransmits"] == 0, s["tcp"]
    assert "tcp echo port" in e.log()
    print(f"sockperf --tcp ({backend}): {messages} messages, {len(frames)} frames, {len(pure_acks)} pure ACKs")


def test_echo_parses_sockperf_messages_split_and_coalesced(netns, echo_bin, start_program):
    """sockperf's framing over a byte stream: messages cut anywhere and glued together are
    answered whole, in order, with the client flag cleared; those without the pong-request
    flag are not answered (as sockperf's own server does)."""
    lab = Lab(netns, "tap")
    e = start_program(echo_bin, lab, "--tcp-port", PORT)
    r = run_kernel(netns, "sockperf-frames", "--port", PORT, "--count", 2000, timeout=60)
    assert r["match"] and r["received_bytes"] == r["expected_bytes"], r
    e.stop()
    assert re.search(rf"tcp echo port {PORT}: {r['answered_expected']} messages answered, 0 errors", e.log()), e.log()


def test_malformed_segments_counted_and_dropped(netns, echo_bin, start_program):
    lab = Lab(netns, "tap")
    e = start_program(echo_bin, lab, "--tcp-port", PORT, "--tcp-protocol", "echo")
    before = e.wait_stats(lambda s: True)
    r = run_kernel(netns, "malformed", "--iface", lab.tap, "--dst-mac", e.mac, "--src-mac", lab.kernel_mac,
                   "--port", PORT, "--count", 1200)
    assert r["sent"] == 1200, r
    names = set(r["counters"]) | {"tcp.drop_truncated", "tcp.drop_bad_port", "tcp.drop_no_connection",
                                  "tcp.passive_opens", "tcp.tx_segments", "tcp.rx_segments"}

    def settled(s):
        return all(counter(s, k) - counter(before, k) >= v for k, v in r["counters"].items())
    after = e.wait_stats(settled, timeout=20)
    deltas = {k: counter(after, k) - counter(before, k) for k in names}
    expected = {k: 0 for k in names}
    expected.update(r["counters"])
    assert deltas == expected, (deltas, expected)
    # Still alive and answering: a clean connection after the storm.
    n = 100000
    rr = run_kernel(netns, "stream-client", "--port", PORT, "--bytes", n, "--seed", 3, "--max-seconds", 20)
    assert rr["sent"] == n and rr["send_error"] is None, rr
    stats = e.stop()
    other = {k: v for k, v in drops(stats).items() if v and k not in expected and not k.startswith("ipv4.")}
    assert not other, other
