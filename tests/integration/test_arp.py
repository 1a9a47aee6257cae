"""ARP against the kernel: the stack resolves its gateway at start-up; static entries."""

import re
import subprocess

import pytest

from capture import Capture, read_fields
from conftest import KERNEL_IP, MAC_RE, STACK_IP, unique, ping


class ArpCapture(Capture):
    """tshark capturing ARP on the kernel's end of the TAP, inside the namespace, bounded in time."""

    def __init__(self, ns, dev, path, seconds=30):
        super().__init__(ns, dev, path, "arp", seconds)

    def frames(self):
        """(opcode, sender MAC, sender IP, target IP) of each ARP frame captured so far."""
        return read_fields(self.path, ["arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.proto_ipv4"],
                           timeout=30)


@pytest.mark.parametrize("tap_exists", [False, True], ids=["stack-creates-tap", "tap-precreated"])
def test_stack_resolves_gateway_at_start(netns, start_echo, tmp_path, tap_exists):
    if tap_exists:
        tap = unique("tp")
        netns.ip("tuntap", "add", "mode", "tap", "name", tap)
        kernel_mac = netns.link_mac(tap)
        netns.configure_kernel_side(tap)
        cap = ArpCapture(netns, tap, tmp_path / "kernel.pcap")
        e = start_echo("--gateway", KERNEL_IP, tap=tap)
        assert e.tap == tap
    else:
        # The stack creates the TAP; its ARP requests go unanswered (and are retried once a
        # second) until the kernel's end has its address.
        e = start_echo("--gateway", KERNEL_IP)
        kernel_mac = netns.link_mac(e.tap)
        cap = ArpCapture(netns, e.tap, tmp_path / "kernel.pcap")
        netns.configure_kernel_side(e.tap)

    m = e.wait_log(r"gateway 198\.18\.0\.1 is at (" + MAC_RE + ")", timeout=10)
    assert m.group(1).lower() == kernel_mac.lower(), (m.group(0), kernel_mac)
    # The stack answers the kernel as well, in the same run.
    r = ping(netns, 5)
    assert r.returncode == 0, r.stdout
    def requests_from_stack(frames):
        return [f for f in frames if f[0] == "1" and f[2] == STACK_IP and f[3] == KERNEL_IP]

    def replies_from_kernel(frames):
        return [f for f in frames if f[0] == "2" and f[2] == KERNEL_IP and f[3] == STACK_IP]

    # Before the stack stops: a TAP the stack created goes away with it.
    cap.wait_for(lambda fs: requests_from_stack(fs) and replies_from_kernel(fs))
    stats = e.stop()
    frames = cap.stop()
    stack_requests, kernel_replies = requests_from_stack(frames), replies_from_kernel(frames)
    assert stats["arp"]["tx_requests"] >= 1, stats["arp"]
    assert stats["arp"]["rx_replies"] >= 1, stats["arp"]
    assert stack_requests, f"no ARP request from the stack on the wire: {frames}"
    assert kernel_replies, f"no ARP reply from the kernel on the wire: {frames}"
    if e.mac:
        assert all(f[1].lower() == e.mac for f in stack_requests), (frames, e.mac)
    # One request a second at most while unanswered: a bounded number in this short run.
    assert len(stack_requests) <= 15, frames


def pcap_fields(pcap, display_filter, *fields):
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields",
                        *[x for f in fields for x in ("-e", f)]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [l.split("\t") for l in r.stdout.splitlines()]


def test_static_arp_entry_is_used(netns, start_echo, tmp_path):
    """A static entry wins over what the wire says: with the kernel's address mapped to a MAC
    that is not the kernel's, the stack's echo replies go to that MAC (and the kernel, which
    never sees them, gets no answer)."""
    pcap = tmp_path / "stack.pcap"
    e = start_echo("--arp", "198.18.0.1=02:00:00:00:00:09", "--pcap", pcap)
    netns.configure_kernel_side(e.tap)
    r = ping(netns, 3, deadline=2, check=False)
    assert " 0 received" in r.stdout, r.stdout
    stats = e.stop()
    assert stats["icmp"]["tx_echo_replies"] >= 3, stats["icmp"]
    replies = pcap_fields(pcap, "icmp.type == 0", "eth.dst", "ip.dst")
    assert len(replies) >= 3 and all(f == ["02:00:00:00:00:09", KERNEL_IP] for f in replies), replies
    # The stack never asked who 198.18.0.1 is.
    asked = pcap_fields(pcap, "arp.opcode == 1 && arp.dst.proto_ipv4 == 198.18.0.1", "arp.src.hw_mac")
    assert asked == [], asked


def test_static_arp_entry_for_the_gateway(netns, start_echo, tmp_path):
    """With the gateway's real MAC given statically, the stack answers at once and sends no
    ARP request for it."""
    tap = unique("tp")
    netns.ip("tuntap", "add", "mode", "tap", "name", tap)
    kernel_mac = netns.link_mac(tap)
    netns.configure_kernel_side(tap)
    pcap = tmp_path / "stack.pcap"
    e = start_echo("--gateway", KERNEL_IP, "--arp", f"{KERNEL_IP}={kernel_mac}", "--pcap", pcap,
                   tap=tap)
    r = ping(netns, 5)
    assert r.returncode == 0, r.stdout
    e.stop()
    asked = pcap_fields(pcap, "arp.opcode == 1 && arp.dst.proto_ipv4 == 198.18.0.1", "arp.src.hw_mac")
    assert asked == [], asked
    replies = pcap_fields(pcap, "icmp.type == 0", "eth.dst")
    assert len(replies) == 5 and all(f == [kernel_mac] for f in replies), replies


def run_echo(netns, echo_bin, *args, timeout=10):
    return netns.run([echo_bin, *args], timeout=timeout, check=False)


@pytest.mark.parametrize("bad", ["1.2.3=zz", "198.18.0.1", "198.18.0.1=02:00:00:00:00",
                                 "198.18.0.300=02:00:00:00:00:09", "=02:00:00:00:00:09"])
def test_malformed_static_arp_refused(netns, echo_bin, bad):
    tap = unique("tt")
    r = run_echo(netns, echo_bin, "--backend", "tap", "--tap", tap, "--ip", "198.18.0.2/24",
                 "--arp", bad, "--duration", "5")
    assert r.returncode != 0, r.stderr
    assert "--arp" in r.stderr or "arp" in r.stderr.lower(), r.stderr
    assert re.search(re.escape(bad) if bad else "arp", r.stderr), \
        f"the message should quote the bad value {bad!r}:\n{r.stderr}"
