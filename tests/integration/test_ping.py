"""The kernel pings tachyon-echo over the TAP backend: replies, neighbour state, pcap."""

import re
import subprocess

from conftest import STACK_IP, assert_kernel_ping_ok, drops, ping

PATTERN = "a55a0ff0c33c1234deadbeef00ff7e81"  # 16 bytes: ping fills and checks the payload with it


def test_ping_1000_with_payload_check(netns, echo):
    r = ping(netns, 1000, interval=0.002, size=56, pattern=PATTERN, deadline=60)
    assert_kernel_ping_ok(r, 1000)
    stats = echo.stop()
    assert stats["icmp"]["rx_echo_requests"] == 1000, stats
    assert stats["icmp"]["tx_echo_replies"] == 1000, stats
    assert not any(drops(stats).values()), drops(stats)


def test_ping_payload_sizes(netns, echo):
    """Empty, odd-length and full-MTU payloads come back byte for byte."""
    for size in (0, 1, 7, 255, 1000, 1472):
        r = ping(netns, 5, interval=0.01, size=size, pattern="5a" if size else None)
        assert_kernel_ping_ok(r, 5)
    stats = echo.stop()
    assert stats["icmp"]["tx_echo_replies"] == 30, stats
    assert not any(drops(stats).values()), drops(stats)


def test_kernel_neighbour_becomes_reachable(netns, echo):
    assert_kernel_ping_ok(ping(netns, 3), 3)
    neigh = netns.ip_json("neigh", "show", STACK_IP, "dev", echo.tap)
    assert neigh, "no neighbour entry for the stack"
    assert "REACHABLE" in neigh[0].get("state", []), neigh
    if echo.mac:
        assert neigh[0]["lladdr"].lower() == echo.mac, (neigh, echo.mac)
    stats = echo.stop()
    assert stats["arp"]["rx_requests"] >= 1 and stats["arp"]["tx_replies"] >= 1, stats


def tshark(*args, timeout=60):
    return subprocess.run(["tshark", "-n", *args], capture_output=True, text=True, timeout=timeout)


def test_pcap_opens_in_tshark(netns, start_echo, tmp_path):
    pcap = tmp_path / "echo.pcap"
    e = start_echo("--pcap", pcap)
    netns.configure_kernel_side(e.tap)
    assert_kernel_ping_ok(ping(netns, 20, pattern=PATTERN), 20)
    e.stop()
    assert pcap.stat().st_size > 24, "pcap holds no frame"

    r = tshark("-r", pcap)
    assert r.returncode == 0, r.stderr
    assert "appears to have been cut short" not in r.stderr, r.stderr

    r = tshark("-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity >= error")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", "malformed frames:\n" + r.stdout

    # With checksum validation on, no header checksum is bad.
    r = tshark("-o", "ip.check_checksum:TRUE", "-r", pcap,
               "-Y", 'ip.checksum.status == "Bad" || icmp.checksum.status == "Bad"')
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", "bad checksums:\n" + r.stdout

    r = tshark("-r", pcap, "-Y", "icmp", "-T", "fields", "-e", "icmp.type", "-e", "ip.src", "-e", "ip.dst")
    lines = [l.split("\t") for l in r.stdout.splitlines()]
    requests = [l for l in lines if l[0] == "8" and l[1] == "198.18.0.1" and l[2] == STACK_IP]
    replies = [l for l in lines if l[0] == "0" and l[1] == STACK_IP and l[2] == "198.18.0.1"]
    assert len(requests) == 20, r.stdout
    assert len(replies) == 20, r.stdout

    # ARP both ways is in the capture too (the kernel resolved the stack).
    r = tshark("-r", pcap, "-Y", "arp", "-T", "fields", "-e", "arp.opcode")
    assert re.search(r"^1$", r.stdout, re.M) and re.search(r"^2$", r.stdout, re.M), r.stdout
