"""Debian's sockperf measures tachyon-echo as it measures its own server: `sockperf ping-pong`
unicast and multicast (the stack joins the group and answers each request to its sender) for
two seconds each, with no dropped message; on the TAP backend and on DPDK's net_tap virtual
device (the DPDK variant is skipped when the build has none)."""

import re
import shutil

import pytest

from conftest import KERNEL_IP, STACK_IP

PORT = 11111
GROUP = "239.3.3.3"


def sockperf(ns, *args):
    if shutil.which("sockperf") is None:
        pytest.fail("sockperf is not installed (apt-get install sockperf)")
    r = ns.run(["sockperf", "ping-pong", *args, "-t", 2], timeout=60, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    m = re.search(r"dropped messages = (\d+); # duplicated messages = (\d+); # out-of-order messages = (\d+)", out)
    assert m, out
    sent = re.search(r"\[Valid Duration\].*SentMessages=(\d+); ReceivedMessages=(\d+)", out)
    assert sent and int(sent.group(2)) > 100, out
    return tuple(int(x) for x in m.groups()), out


@pytest.mark.every_backend
def test_sockperf_ping_pong_unicast(netns, backend, lab, start_lab_echo):
    echo = start_lab_echo(lab, "--udp-port", PORT)
    (dropped, dup, ooo), out = sockperf(netns, "-i", STACK_IP, "-p", PORT)
    assert (dropped, dup, ooo) == (0, 0, 0), out
    stats = echo.stop()
    assert stats["udp"]["rx_datagrams"] > 100, stats["udp"]


@pytest.mark.every_backend
def test_sockperf_ping_pong_multicast(netns, backend, lab, start_lab_echo):
    echo = start_lab_echo(lab, "--udp-port", PORT, "--join", GROUP)
    (dropped, dup, ooo), out = sockperf(netns, "-i", GROUP, "-p", PORT, "--mc-tx-if", KERNEL_IP,
                                        "--mc-rx-if", KERNEL_IP)
    assert (dropped, dup, ooo) == (0, 0, 0), out
    stats = echo.stop()
    # (ipv4.drop_not_joined counts the kernel's own IGMP reports, to 224.0.0.22: not ours to take.)
    assert stats["udp"]["rx_datagrams"] > 100 and stats["udp"]["drop_no_socket"] == 0, stats["udp"]
