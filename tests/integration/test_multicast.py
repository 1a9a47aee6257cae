"""Multicast between tachyon and the kernel, with tachyon-mcast on the stack's side, on the TAP
backend and (the tests taking `backend`) on DPDK's net_tap virtual device, skipped when the build
has no DPDK:
a kernel sender to two joined groups (every datagram, in order, with its payload) and a third
group not joined (nothing delivered, counted); the stack sending to a kernel receiver joined
with IP_ADD_MEMBERSHIP; a source-specific join that drops other sources; the tool's exit codes."""

import pytest

from conftest import KERNEL_IP, OTHER_KERNEL_IP, STACK_IP
from lab import Lab
from mcast_helpers import counter_delta, run_kernel, start_kernel

PORT = 30001
G1, G2, G3 = "239.1.1.1", "239.1.1.2", "239.1.1.3"


@pytest.mark.every_backend
def test_kernel_sender_to_two_joined_groups_and_one_not_joined(netns, backend, lab, start_mcast):
    n = 1000
    recv = start_mcast("recv", "--group", f"{G1}:{PORT}", "--group", f"{G2}:{PORT}", "--count", 2 * n,
                       lab=lab, duration=90)
    before = recv.wait_stats(lambda s: s["igmp"]["tx_v3_reports"] >= 2)
    # Round-robin over the three groups, G3 first: its datagrams arrive among the others, and
    # the last one before recv has its count and stops.
    sent = run_kernel(netns, "kernel-send", "--dst", f"{G3}:{PORT}", "--dst", f"{G1}:{PORT}",
                      "--dst", f"{G2}:{PORT}", "--count", n, "--rate", 3000, "--size", 200)
    assert sent["sent"] == 3 * n, sent
    assert recv.wait_exit(timeout=60) == 0, recv.describe()
    after = recv.read_stats()

    s = recv.summary()
    assert s["status"] == "ok" and s["received"] == 2 * n, recv.describe()
    assert s["gaps"] == 0 and s["missing"] == 0 and s["duplicates"] == 0 and s["reordered"] == 0, recv.describe()
    rep = recv.report()
    for g in rep["groups"]:
        assert g["received"] == n, rep
        assert (g["first_seq"], g["last_seq"]) == (0, n - 1), rep
        assert g["gaps"] == g["missing"] == g["duplicates"] == g["reordered"] == 0, rep
        assert g["bad_payload"] == 0 and g["short"] == 0 and g["bytes"] == 200 * n, rep
        assert g["latency_ns"]["samples"] == n, rep
    assert {g["group"] for g in rep["groups"]} == {G1, G2}
    assert counter_delta(before, after, "udp.rx_datagrams") == 2 * n
    # G3 was not joined: none of its datagrams reached a socket, each one was counted (on AF_XDP
    # the steering program left them with the kernel: its group MAC is not in the filter).
    if lab.is_xdp:
        assert counter_delta(before, after, "xdp_steering.passed_not_ours") >= n, after["xdp_steering"]
        assert counter_delta(before, after, "ipv4.drop_not_joined") == 0, (before["ipv4"], after["ipv4"])
    else:
        assert counter_delta(before, after, "ipv4.drop_not_joined") >= n, (before["ipv4"], after["ipv4"])
    assert counter_delta(before, after, "udp.drop_no_socket") == 0
    if not lab.is_dpdk:   # (net_tap's TAP went away with recv: the counts above show no loss)
        assert lab.tap_stats()["tx"]["dropped"] == 0


@pytest.mark.every_backend
def test_stack_sender_to_kernel_receiver(netns, backend, start_mcast, tmp_path):
    # The kernel joins before the stack starts sending (at once): on net_tap, the TAP is made
    # first and net_tap attaches to it (see Lab).
    lab = Lab(netns, backend, premade=True)
    n = 2000
    group = "239.1.2.1"
    rx = start_kernel(netns, tmp_path, "kernel-recv", "--group", group, "--port", PORT, "--count", n,
                      "--timeout", 60)
    rx.wait_ready()
    send = start_mcast("send", "--group", f"{group}:{PORT}", "--count", n, "--rate", 20000, "--size", 300,
                       "--ttl", 3, lab=lab, duration=60)
    assert send.wait_exit(timeout=60) == 0, send.describe()
    s = send.summary()
    assert s["status"] == "ok" and s["sent"] == n and s["errors"] == 0, send.describe()
    got = rx.result(timeout=90)
    assert got["received"] == n and got["distinct"] == n, got
    assert (got["first_seq"], got["last_seq"]) == (0, n - 1), got
    assert got["not_consecutive"] == 0 and got["bad_payload"] == 0 and got["duplicates"] == 0, got
    assert got["sources"] == [STACK_IP], got
    assert got["ttls"] == [3], got   # --ttl
    stats = send.read_stats()
    assert stats["udp"]["tx_datagrams"] == n, stats["udp"]
    assert stats["tx"]["drop_device_full"] == 0 and stats["tx"]["drop_no_buffer"] == 0, stats["tx"]


@pytest.mark.every_backend
def test_source_specific_join_drops_other_sources(netns, backend, lab, start_mcast):
    n, m = 500, 300
    group = "239.1.3.1"
    lab.add_kernel_address(OTHER_KERNEL_IP)
    recv = start_mcast("recv", "--group", f"{group}:{PORT}", "--source", KERNEL_IP,
                       lab=lab, duration=60)
    before = recv.wait_stats(lambda s: s["igmp"]["tx_v3_reports"] >= 2)
    # The other source first (its sequence numbers far above), then the included one.
    other = run_kernel(netns, "kernel-send", "--dst", f"{group}:{PORT}", "--count", m, "--rate", 3000,
                       "--bind", OTHER_KERNEL_IP, "--start-seq", 1_000_000)
    good = run_kernel(netns, "kernel-send", "--dst", f"{group}:{PORT}", "--count", n, "--rate", 3000,
                      "--bind", KERNEL_IP)
    assert other["sent"] == m and good["sent"] == n
    after = recv.wait_stats(lambda s: s["udp"]["rx_datagrams"] - before["udp"]["rx_datagrams"] >= n and
                            s["udp"]["drop_source_filtered"] - before["udp"]["drop_source_filtered"] >= m,
                            timeout=30)
    final = recv.stop()
    assert counter_delta(before, final, "udp.drop_source_filtered") == m, final["udp"]
    assert counter_delta(before, final, "udp.rx_datagrams") == n, final["udp"]
    rep = recv.report()
    g = rep["groups"][0]
    assert g["received"] == n and (g["first_seq"], g["last_seq"]) == (0, n - 1), rep
    assert g["missing"] == 0 and g["bad_payload"] == 0, rep
    del after


@pytest.mark.every_backend
def test_recv_exits_1_when_count_not_reached(netns, backend, lab, start_mcast):
    recv = start_mcast("recv", "--group", f"239.1.4.1:{PORT}", "--count", 10, lab=lab, duration=2)
    assert recv.wait_exit(timeout=30) == 1, recv.describe()
    s = recv.summary()
    assert s["status"] == "INCOMPLETE" and s["received"] == 0 and s["expected"] == 10, recv.describe()


def test_recv_rejects_bad_groups(netns, lab, start_mcast):
    cases = {
        "198.18.0.9:5000": "not a multicast group",
        "239.1.1.1": "expected GROUP:PORT",
        "239.1.1.1:0": "port must be a number from 1 to 65535",
        "239.1.1.1:65536": "port must be a number from 1 to 65535",
        "239.1.1:5000": "is not an IPv4 address",
        "239.1.1.1:50x": "port must be a number from 1 to 65535",
    }
    for value, message in cases.items():
        m = start_mcast("recv", "--group", value, lab=lab, wait=False)
        assert m.wait_exit(timeout=10) == 2, value
        assert message in m.log() and "--group" in m.log(), (value, m.log())

