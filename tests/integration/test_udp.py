"""Unicast UDP between tachyon and the kernel, each test on the TAP backend and on DPDK's net_tap
virtual device (the `backend` fixture; the DPDK variant is skipped when the build has none):
tachyon-echo (--udp-protocol echo)
answers a kernel client byte for byte, also datagrams sent without a checksum (RFC 768); a
closed port gives the kernel's connected socket ECONNREFUSED (ICMP port unreachable); the stack
sends to a kernel server (tachyon-mcast send --to); malformed UDP from scapy is counted under
its drop counter, exactly, and the stack keeps answering."""

import time

import pytest

from conftest import STACK_IP, drops, ping
from mcast_helpers import run_kernel, start_kernel

ECHO_PORT = 7007
GROUP = "239.7.7.7"


@pytest.mark.every_backend
def test_udp_echo_answers_kernel_client_byte_for_byte(netns, backend, lab, start_lab_echo):
    echo = start_lab_echo(lab, "--udp-port", ECHO_PORT, "--udp-protocol", "echo")
    r = run_kernel(netns, "echo-client", "--port", ECHO_PORT, "--count", 300)
    assert r == {"sent": 300, "received": 300, "mismatched": 0, "lost": 0}, r
    r = run_kernel(netns, "echo-client", "--port", ECHO_PORT, "--count", 50, "--no-check", "--seed", 2)
    assert r == {"sent": 50, "received": 50, "mismatched": 0, "lost": 0}, r   # checksum 0 accepted
    stats = echo.stop()
    assert stats["udp"]["rx_datagrams"] == 350 and stats["udp"]["tx_datagrams"] == 350, stats["udp"]
    assert all(v == 0 for k, v in stats["udp"].items() if k.startswith("drop_")), stats["udp"]


@pytest.mark.every_backend
def test_closed_port_gives_kernel_econnrefused(netns, backend, lab, start_lab_echo):
    echo = start_lab_echo(lab, "--udp-port", ECHO_PORT, "--udp-protocol", "echo")
    r = run_kernel(netns, "connrefused", "--port", ECHO_PORT + 1, "--count", 3)
    assert r == {"refused": 3, "timeouts": 0, "other": []}, r
    stats = echo.stop()
    assert stats["udp"]["tx_port_unreachable"] == 3 and stats["udp"]["drop_no_socket"] == 3, stats["udp"]


@pytest.mark.every_backend
def test_stack_sends_unicast_to_kernel_server(netns, backend, lab, start_mcast, tmp_path):
    """The stack-to-kernel direction with tachyon-mcast send --to (the first datagram waits in
    the ARP queue while the kernel's address resolves)."""
    n, port = 2000, 32001
    rx = start_kernel(netns, tmp_path, "kernel-recv", "--port", port, "--count", n, "--timeout", 60)
    rx.wait_ready()
    send = start_mcast("send", "--to", f"198.18.0.1:{port}", "--count", n, "--rate", 20000, "--size", 512,
                       lab=lab, duration=60)
    assert send.wait_exit(timeout=60) == 0, send.describe()
    assert send.summary()["sent"] == n
    got = rx.result(timeout=90)
    assert got["received"] == n and got["distinct"] == n and got["not_consecutive"] == 0, got
    assert got["bad_payload"] == 0 and got["sources"] == [STACK_IP], got
    assert (got["first_seq"], got["last_seq"]) == (0, n - 1), got


def frames_in(stats):
    """Frames the stack took from the device: those its Ethernet layer saw, plus those the DPDK
    device dropped first (on net_tap, bad checksums found by the driver's receive offload)."""
    return stats["ethernet"]["rx_frames"] + sum(v for k, v in stats.get("dpdk", {}).items()
                                                if k.startswith("drop_rx_"))


@pytest.mark.every_backend
def test_malformed_udp_counted_and_survived(netns, backend, lab, start_lab_echo):
    count = 1200   # 200 of each of 6 kinds
    echo = start_lab_echo(lab, "--udp-port", ECHO_PORT, "--udp-protocol", "echo", "--join", GROUP)
    assert ping(netns, 3).returncode == 0
    echo.wait_stats(lambda s: s["icmp"]["rx_echo_requests"] >= 3 and s["igmp"]["tx_v3_reports"] >= 2)
    time.sleep(1.2)   # the join's reports are done
    before = echo.wait_stats(lambda s: True)
    stack_mac = netns.ip_json("neigh", "show", STACK_IP, "dev", lab.tap)[0]["lladdr"]
    report = run_kernel(netns, "malformed", "--protocol", "udp", "--iface", lab.tap, "--dst-mac", stack_mac,
                        "--src-mac", lab.kernel_mac, "--port", ECHO_PORT, "--group", GROUP,
                        "--count", count, timeout=180)
    assert report["sent"] == count, report
    rx0 = frames_in(before)
    echo.wait_stats(lambda s: frames_in(s) >= rx0 + count, timeout=30)
    assert lab.tap_stats()["tx"]["dropped"] == 0
    # Still answering, UDP and ICMP.
    r = run_kernel(netns, "echo-client", "--port", ECHO_PORT, "--count", 20)
    assert r["received"] == 20 and r["mismatched"] == 0, r
    assert ping(netns, 10).returncode == 0
    after = echo.stop()
    d0, d1 = drops(before), drops(after)
    delta = {k: d1[k] - d0.get(k, 0) for k in d1 if d1[k] != d0.get(k, 0)}
    expected = dict(report["counters"])
    assert delta == expected, (delta, report)
    assert after["udp"]["rx_datagrams"] - before["udp"]["rx_datagrams"] == 20
    assert after["udp"]["tx_port_unreachable"] == before["udp"]["tx_port_unreachable"]
