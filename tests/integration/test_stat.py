"""tachyon-stat against a running tachyon-echo in a namespace, over the TAP backend:

  * the stack's segment /dev/shm/tachyon-NAME appears at start (--name) and is listed running;
  * its counters move while sockperf runs (UDP ping-pong): --watch reports rates per second under
    the kernel's nstat names, and the totals cover what sockperf sent;
  * the connection table shows a kernel client's TCP connection: ESTABLISHED, srtt > 0, queues
    near 0, SACK and timestamps as negotiated with Linux, and the UDP socket and TCP listener;
  * a clean stop (SIGTERM) removes the segment; a second stack cannot take a live stack's name;
  * after SIGKILL the segment is reported stale (list and NAME), and --gc removes it;
  * a segment written by another build (another layout hash) is refused with a clear message,
    and --gc removes it once its process is gone.
"""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KERNEL_IP, PYTHON, STACK_IP, app_bin, unique

UDP_PORT = 11111
TCP_PORT = 11112
SHM = Path("/dev/shm")

# A kernel TCP client: connects, makes 200 request/response round trips, says "ready", then
# holds the connection open until its stdin closes (bounded by 20 s).
TCP_CLIENT = f"""
import socket, sys, select
s = socket.create_connection(("{STACK_IP}", {TCP_PORT}), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i in range(200):
    msg = b"x" * 32
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        got += s.recv(4096)
print("ready", s.getsockname()[1], flush=True)
select.select([sys.stdin], [], [], 20)
s.close()
"""


@pytest.fixture(scope="session")
def stat_bin(pytestconfig):
    return app_bin(pytestconfig, "tachyon-stat")


def stat(stat_bin, *args, check=True, timeout=20):
    """Runs tachyon-stat (outside the namespace: /dev/shm is the host's); returns the process."""
    r = subprocess.run([stat_bin, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"tachyon-stat {args} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    return r


def stat_json(stat_bin, *args):
    """The JSON objects tachyon-stat printed, one per line."""
    out = stat(stat_bin, *args, "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def listed(stat_bin, name):
    for s in stat_json(stat_bin)[0]["stacks"]:
        if s["name"] == name:
            return s
    return None


@pytest.fixture
def seg_name(stat_bin):
    """A fresh --name; its segment is removed at teardown if a failed test left it behind (a test
    asks for this before `start_echo`, so this runs after the stack was killed)."""
    name = unique("it-stat-")
    yield name
    path = SHM / f"tachyon-{name}"
    if path.exists():
        subprocess.run([stat_bin, "--gc", name], capture_output=True, timeout=10)


def sockperf_udp(netns, seconds):
    if shutil.which("sockperf") is None:
        pytest.fail("sockperf is not installed (apt-get install sockperf)")
    return netns.popen(["sockperf", "ping-pong", "-i", STACK_IP, "-p", UDP_PORT, "-t", seconds],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_counters_and_connections_of_a_running_stack(seg_name, stat_bin, netns, start_echo):
    name = seg_name
    echo = start_echo("--name", name, "--udp-port", UDP_PORT, "--tcp-port", TCP_PORT, "--tcp-protocol", "echo")
    netns.configure_kernel_side(echo.tap)
    assert (SHM / f"tachyon-{name}").exists()
    entry = listed(stat_bin, name)
    assert entry and entry["state"] == "running" and entry["program"] == "tachyon-echo", entry
    assert entry["address"] == f"{STACK_IP}/24" and entry["device"] == f"tap {echo.tap}", entry
    assert entry["heartbeat_age_ms"] < 1000, entry

    # Counters move while sockperf runs: rates per second under the kernel's names.
    before = stat_json(stat_bin, name)[0]
    perf = sockperf_udp(netns, 3)
    deadline = time.monotonic() + 5  # sockperf takes a moment to start sending
    while stat_json(stat_bin, name)[0]["nstat"]["UdpInDatagrams"] < before["nstat"]["UdpInDatagrams"] + 1000:
        assert time.monotonic() < deadline and perf.poll() is None, "sockperf's datagrams never counted"
        time.sleep(0.05)
    reports = stat_json(stat_bin, name, "--watch", "--interval", "0.4", "--count", 2)
    out, _ = perf.communicate(timeout=30)
    assert perf.returncode == 0, out
    assert len(reports) == 2, reports
    for r in reports:
        assert r["rates"]["UdpInDatagrams"] > 100, r["rates"]
        assert r["rates"]["UdpOutDatagrams"] > 100, r["rates"]
        assert r["rates"]["device.rx_frames"] > 100, r["rates"]
    after = stat_json(stat_bin, name)[0]
    m = re.search(r"\[Valid Duration\].*SentMessages=(\d+)", out)
    assert m, out
    sent = int(m.group(1))
    got = after["nstat"]["UdpInDatagrams"] - before["nstat"]["UdpInDatagrams"]
    assert got >= sent > 100, (got, sent)
    assert after["counters"]["udp"]["rx_datagrams"] == after["nstat"]["UdpInDatagrams"]
    assert after["nstat"]["IpInReceives"] >= after["nstat"]["UdpInDatagrams"]
    assert after["nstat"]["UdpInErrors"] == 0 and after["nstat"]["IpInHdrErrors"] == 0, after["nstat"]
    assert "IpInReceives" in stat(stat_bin, name).stdout  # the text form names them too

    # A kernel TCP client's connection in the table, like ss -tin.
    client = netns.popen([PYTHON, "-c", TCP_CLIENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = client.stdout.readline()
    assert line.startswith("ready"), line
    client_port = int(line.split()[1])
    time.sleep(0.3)  # the kernel's ACK of the last echo (delayed ACK: at most 200 ms)
    table = stat_json(stat_bin, name, "--connections")[0]
    text = stat(stat_bin, name, "--connections").stdout
    client.stdin.close()
    client.wait(timeout=10)
    assert "ESTAB" in text and "rtt:" in text and f"{KERNEL_IP}:{client_port}" in text, text
    assert table["state"] == "running" and table["table_age_ms"] < 100, table
    rows = table["connections"]
    conn = [r for r in rows if r["proto"] == "tcp" and r["remote"] == f"{KERNEL_IP}:{client_port}"]
    assert len(conn) == 1, rows
    c = conn[0]
    assert c["state"] == "ESTABLISHED" and c["local"] == f"{STACK_IP}:{TCP_PORT}", c
    assert c["srtt_us"] > 0 and c["rto_us"] > 0 and c["cwnd"] > 0 and c["mss"] > 0, c
    assert c["send_queue"] < 1024 and c["recv_queue"] < 1024, c
    assert c["snd_una"] == c["snd_nxt"], c  # every echo acknowledged
    assert c["sack"] and c["timestamps"], c  # Linux offers both, the stack accepts both
    assert any(r["state"] == "LISTEN" and r["local"].endswith(f":{TCP_PORT}") for r in rows), rows
    assert any(r["proto"] == "udp" and r["local"].endswith(f":{UDP_PORT}") for r in rows), rows

    echo.stop()
    assert not (SHM / f"tachyon-{name}").exists(), "a clean stop removes the segment"
    assert listed(stat_bin, name) is None


def test_stale_segment_after_sigkill_and_gc(seg_name, stat_bin, netns, start_echo):
    name = seg_name
    echo = start_echo("--name", name)
    # The name is the stack's while it runs: a second one refuses to start with it.
    second = start_echo("--name", name, wait=False)
    assert second.proc.wait(timeout=15) != 0
    assert "running process" in second.log() and name in second.log(), second.log()
    assert listed(stat_bin, name)["state"] == "running"

    echo.proc.send_signal(signal.SIGKILL)
    echo.proc.wait(timeout=10)
    assert (SHM / f"tachyon-{name}").exists(), "nothing cleans up after SIGKILL"
    entry = listed(stat_bin, name)
    assert entry["state"] == "stale" and entry["alive"] is False, entry
    assert "stale" in stat(stat_bin).stdout
    r = stat(stat_bin, name, "--json")
    assert json.loads(r.stdout)["state"] == "stale" and "stale" in r.stderr, r
    assert json.loads(r.stdout)["nstat"]["IpOutRequests"] >= 0  # its last values stay readable

    gc = json.loads(stat(stat_bin, "--gc", name, "--json").stdout)
    assert gc["removed"] == [name], gc
    assert not (SHM / f"tachyon-{name}").exists()
    assert listed(stat_bin, name) is None


def write_foreign_segment(path, pid, pid_start):
    """A complete segment as another build would write it: our magic, another layout hash."""
    header = struct.pack("<QQQqQ", 0x4154535948434154, 0x0123456789ABCDEF, 8192, pid, pid_start)
    path.write_bytes(header + bytes(8192 - len(header)))


def own_start_time():
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19])


def test_segment_of_another_build_is_refused(seg_name, stat_bin):
    name = seg_name
    path = SHM / f"tachyon-{name}"
    try:
        # Its owner runs (this test's process): refused, listed as another build, not collected.
        write_foreign_segment(path, os.getpid(), own_start_time())
        r = stat(stat_bin, name, check=False)
        assert r.returncode == 1, r
        assert "another build" in r.stderr and "refused" in r.stderr, r.stderr
        assert listed(stat_bin, name)["state"] == "other-build"
        assert json.loads(stat(stat_bin, "--gc", name, "--json", check=False).stdout)["removed"] == []
        assert path.exists()
        # Its owner gone: --gc removes it, whatever its layout.
        write_foreign_segment(path, 0x7ffffff0, 1)
        assert listed(stat_bin, name)["alive"] is False
        assert json.loads(stat(stat_bin, "--gc", name, "--json").stdout)["removed"] == [name]
        assert not path.exists()
    finally:
        path.unlink(missing_ok=True)
