"""The same programs on the DPDK backend, over virtual devices (no NIC, no hugepages):

  * net_tap: the kernel pings tachyon-echo through a TAP that the DPDK driver creates;
  * net_af_packet: tachyon-echo drives one end of a veth, the kernel pings from the other end,
    in a second namespace;
  * net_memif: two tachyon processes over shared memory, tachyon-ping against tachyon-echo;
  * the errors a user meets first (no hugepages, no device) name their remedy.

Skipped with a reason when the build has no DPDK device.
"""

import re
import shutil
from pathlib import Path

import pytest

from conftest import drops, ping
from dpdk_helpers import assert_kernel_ping_ok, eal_args, unique

PATTERN = "a55a0ff0c33c1234deadbeef00ff7e81"


def check_clean_stop(echo):
    stats = echo.stop()
    log = echo.log()
    assert "dpdk port 0: closed" in log, log
    assert "EAL cleaned up" in log, log
    return stats


def test_tap_kernel_pings_1000_with_payload_check(netns, start_dpdk_echo):
    tap = unique("dt")
    e = start_dpdk_echo(f"net_tap0,iface={tap}", name=tap)
    # net_tap offers checksum offloads: the choice is logged at start.
    assert re.search(r"checksum offload: rx ipv4,udp,tcp, tx ipv4,udp,tcp", e.log()), e.log()
    netns.configure_kernel_side(tap)
    r = ping(netns, 1000, interval=0.002, size=56, pattern=PATTERN, deadline=60)
    assert_kernel_ping_ok(r, 1000)
    stats = check_clean_stop(e)
    assert stats["icmp"]["rx_echo_requests"] == 1000, stats
    assert stats["icmp"]["tx_echo_replies"] == 1000, stats
    assert not any(drops(stats).values()), drops(stats)


def test_tap_payload_sizes_up_to_the_mtu(netns, start_dpdk_echo):
    """Replies leave with their IPv4 header checksum filled by the driver (tx offload): the
    kernel accepts every one, from empty to full-MTU payloads."""
    tap = unique("dt")
    e = start_dpdk_echo(f"net_tap0,iface={tap}", name=tap)
    netns.configure_kernel_side(tap)
    for size in (0, 1, 7, 255, 1000, 1472):
        assert_kernel_ping_ok(ping(netns, 5, interval=0.01, size=size, pattern="5a" if size else None), 5)
    stats = check_clean_stop(e)
    assert stats["icmp"]["tx_echo_replies"] == 30, stats
    assert not any(drops(stats).values()), drops(stats)


def test_af_packet_on_a_veth_kernel_pings_from_a_second_namespace(netns, netns2, start_dpdk_echo):
    near, far = unique("va"), unique("vb")
    netns.ip("link", "add", near, "type", "veth", "peer", "name", far, "netns", netns2.name)
    netns.ip("link", "set", near, "up")  # no address: the kernel leaves this end to DPDK
    netns2.configure_kernel_side(far)
    e = start_dpdk_echo(f"net_af_packet0,iface={near}", name=near)
    assert "net_af_packet" in e.log(), e.log()
    r = ping(netns2, 1000, interval=0.002, size=56, pattern=PATTERN, deadline=60)
    assert_kernel_ping_ok(r, 1000)
    stats = check_clean_stop(e)
    assert stats["icmp"]["rx_echo_requests"] == 1000, stats
    assert stats["icmp"]["tx_echo_replies"] == 1000, stats
    assert not any(drops(stats).values()), drops(stats)


def test_memif_tachyon_ping_against_tachyon_echo(netns, start_dpdk_echo, ping_bin, tmp_path):
    sock = tmp_path / "memif.sock"
    memif = f"socket={sock},socket-abstract=no"
    e = start_dpdk_echo(f"net_memif0,role=server,{memif}", name="memif-server", wait=False)
    e.wait_log(r"dpdk port 0 \(net_memif", timeout=30)  # listening (the link comes with the client)
    client_eal = eal_args(f"net_memif0,role=client,{memif}", core=1)
    r = netns.run([ping_bin, "--backend", "dpdk", "--dpdk", client_eal, "--ip", "198.18.0.3/24",
                   "--dst", "198.18.0.2", "--count", 1000, "--interval", 0.001, "--size", 100,
                   "--timeout", 2, "--idle", "--quiet"], timeout=90, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "1000 packets transmitted, 1000 received, 0 duplicates, 0 corrupt, 0.0% packet loss" in out, out
    assert re.search(r"rtt p50/p90/p99/p99\.9 = [\d.]+/[\d.]+/[\d.]+/[\d.]+ us", out), out
    e.wait_ready(timeout=10)
    stats = check_clean_stop(e)
    assert stats["icmp"]["rx_echo_requests"] == 1000, stats
    assert stats["icmp"]["tx_echo_replies"] == 1000, stats
    # Expected, and only these: the server's start-up ARP announcement, sent before any client
    # was connected (memif refuses it), and the client's own announcement, which is for an
    # address that is not the server's.
    d = {k: v for k, v in drops(stats).items() if v}
    assert d.pop("tx.drop_device_full", 0) <= 1, drops(stats)
    assert d.pop("arp.drop_not_for_us", 0) <= 1, drops(stats)
    assert not d, d


def test_ping_reports_failure_when_nobody_answers(netns, start_dpdk_echo, ping_bin, tmp_path):
    """tachyon-ping exits 1 when replies are missing (here: nobody owns the address)."""
    sock = tmp_path / "memif.sock"
    memif = f"socket={sock},socket-abstract=no"
    e = start_dpdk_echo(f"net_memif0,role=server,{memif}", name="memif-server", wait=False)
    e.wait_log(r"dpdk port 0 \(net_memif", timeout=30)
    r = netns.run([ping_bin, "--backend", "dpdk", "--dpdk", eal_args(f"net_memif0,role=client,{memif}", core=1),
                   "--ip", "198.18.0.3/24", "--dst", "198.18.0.9", "--count", 3, "--interval", 0.01,
                   "--timeout", 1, "--idle"], timeout=60, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "0 received" in out, out


_eal_prefixes = []


def prefix(kind):
    """A file prefix of its own for one EAL run; its runtime directory goes after the test."""
    name = f"tit-{kind}-{unique('')}"
    _eal_prefixes.append(name)
    return name


@pytest.fixture(autouse=True)
def _remove_eal_runtime_dirs():
    yield
    while _eal_prefixes:
        shutil.rmtree(Path("/var/run/dpdk") / _eal_prefixes.pop(), ignore_errors=True)


def run_echo(netns, echo_bin, eal):
    return netns.run([echo_bin, "--backend", "dpdk", "--dpdk", eal, "--ip", "198.18.0.2/24", "--duration", 1],
                     timeout=60, check=False)


def test_no_virtual_device_names_the_remedy(require_dpdk, netns, echo_bin):
    r = run_echo(netns, echo_bin, f"--no-huge -m 256 --no-pci --no-telemetry --file-prefix {prefix('nodev')}")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no port" in r.stderr and "--vdev" in r.stderr, r.stderr


def test_no_hugepages_suggests_no_huge(require_dpdk, netns, echo_bin):
    if "HugePages_Total:       0" not in open("/proc/meminfo").read():
        pytest.skip("this machine has hugepages reserved")
    r = run_echo(netns, echo_bin, f"--no-pci -m 64 --no-telemetry --file-prefix {prefix('huge')} --vdev=net_ring0")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "--no-huge -m 512" in r.stderr, r.stderr


def test_port_and_core_flags(require_dpdk, netns, echo_bin):
    """--port picks a port that does not exist: the error lists those that do; --core must agree
    with an -l list that leaves it out."""
    r = netns.run([echo_bin, "--backend", "dpdk", "--dpdk",
                   f"{EAL_FLAGS} --file-prefix {prefix('port')} --vdev=net_ring0",
                   "--port", 3, "--ip", "198.18.0.2/24", "--duration", 1], timeout=60, check=False)
    assert r.returncode == 1 and "no such port" in r.stderr and "0 (net_ring0)" in r.stderr, r.stderr
    r = netns.run([echo_bin, "--backend", "dpdk", "--dpdk",
                   f"{EAL_FLAGS} --file-prefix {prefix('core')} --vdev=net_ring0",
                   "--core", 1, "--ip", "198.18.0.2/24", "--duration", 0.2], timeout=60, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "polling on lcore 1" in r.stdout + r.stderr, r.stdout + r.stderr


EAL_FLAGS = "--no-huge -m 256 --no-pci --no-telemetry"
