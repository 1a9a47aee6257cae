"""tachyon on AF_XDP (`--backend xdp`) against the Linux kernel across a veth, in namespaces the
tests create and delete, each in native and in skb (generic) attach:

  * the kernel pings the stack 1000 times (payload checked), ARP both ways (the stack resolves
    its gateway, the kernel learns the stack's MAC, which is the interface's own);
  * malformed frames: those the steering program hands over are counted by the stack under
    their drop reason, the others stay with the kernel and are counted by the program;
  * sharing the port: while the stack runs on the veth, the kernel on the same interface keeps
    its own address and answers ping and TCP on it, and a kernel UDP socket on it receives
    datagrams not meant for the stack;
  * teardown: after a clean exit no XDP program is left on the interface; after SIGKILL the
    program stays, and the next start replaces it (and says so);
  * DPDK's net_af_xdp driver through the DPDK backend, on the same kind of veth.

The UDP, multicast, IGMP, sockperf and TCP suites also run over AF_XDP (their `backend`
fixtures); skipped with a reason when the build has no AF_XDP device.
"""

import json
import random
import re
import signal
import subprocess
import sys

import pytest

from conftest import HELPERS, HERE, KERNEL_IP, PYTHON, STACK_IP, drops, ping
from dpdk_helpers import assert_kernel_ping_ok
from xdp_helpers import make_veth, unique, xdp_prog_attached

sys.path.insert(0, str(HELPERS))
from send_malformed import make_kinds  # noqa: E402 (the kinds and the stack counter of each)

PATTERN = "a55a0ff0c33c1234deadbeef00ff7e81"
ATTACH = ["native", "skb"]
SHARED_KERNEL_IP = "198.18.0.4"   # the kernel's own address on the interface the stack shares


@pytest.fixture(params=ATTACH)
def attach(request):
    return request.param


@pytest.fixture
def wire(netns):
    """A veth in the test's namespace: (near, far); the stack takes near, the kernel far."""
    near, far = unique("xn"), unique("xk")
    make_veth(netns, near, far)
    netns.configure_kernel_side(far)
    return near, far


def steering(stats):
    return stats["xdp_steering"]


def test_kernel_pings_1000_and_arp_both_ways(netns, wire, attach, start_xdp_echo):
    near, far = wire
    e = start_xdp_echo(near, attach, "--gateway", KERNEL_IP)
    assert f"{'native' if attach == 'native' else 'skb (generic)'} attach" in e.log(), e.log()
    assert "copy mode" in e.log(), e.log()   # veth has no zero-copy AF_XDP
    e.wait_log(r"gateway 198\.18\.0\.1 is at " + netns.link_mac(far), timeout=10)
    assert e.mac == netns.link_mac(near), (e.mac, e.log())   # the port's own MAC
    r = ping(netns, 1000, interval=0.002, size=56, pattern=PATTERN, deadline=60)
    assert_kernel_ping_ok(r, 1000)
    neigh = netns.ip_json("neigh", "show", STACK_IP, "dev", far)
    assert neigh and neigh[0]["lladdr"] == e.mac, neigh
    stats = e.stop()
    assert stats["icmp"]["rx_echo_requests"] == 1000 and stats["icmp"]["tx_echo_replies"] == 1000, stats["icmp"]
    assert stats["arp"]["tx_requests"] >= 1 and stats["arp"]["rx_replies"] >= 1, stats["arp"]
    assert steering(stats)["steered_ipv4"] >= 1000 and steering(stats)["steered_arp"] >= 1, steering(stats)
    assert not any(drops(stats).values()), drops(stats)
    assert "steering program detached" in e.log(), e.log()
    assert xdp_prog_attached(netns, near) is None


# The steering program keeps these with the kernel (reason counted by the program): they are not
# ARP for our address or IPv4 to it with a readable header. The stack counts every other kind.
PASSED_TO_KERNEL = {
    "ether_unknown_type": "passed_other_type",
    "ipv4_truncated": "passed_truncated",
    "arp_truncated": "passed_truncated",
    "ipv4_bad_version": "passed_not_ours",
    "ipv4_not_for_us": "passed_not_ours",
    "arp_bad_hardware_type": "passed_not_ours",
    "arp_bad_protocol_type": "passed_not_ours",
    "arp_bad_address_length": "passed_not_ours",
}


def test_malformed_frames_counted_by_the_stack_or_left_to_the_kernel(netns, wire, attach, start_xdp_echo):
    near, far = wire
    count = 3000
    e = start_xdp_echo(near, attach)
    assert ping(netns, 3).returncode == 0
    before = e.wait_stats(lambda s: s["icmp"]["rx_echo_requests"] >= 3)
    r = netns.run([PYTHON, HELPERS / "send_malformed.py", "--iface", far, "--dst-mac", e.mac,
                   "--src-mac", netns.link_mac(far), "--count", count, "--max-seconds", 60], timeout=120)
    report = json.loads(r.stdout)
    assert report["sent"] == count, report
    passed = {}
    for kind, n in report["by_kind"].items():
        if kind in PASSED_TO_KERNEL:
            passed[PASSED_TO_KERNEL[kind]] = passed.get(PASSED_TO_KERNEL[kind], 0) + n
    to_stack = count - sum(passed.values())
    rx0 = before["ethernet"]["rx_frames"]
    e.wait_stats(lambda s: s["ethernet"]["rx_frames"] >= rx0 + to_stack, timeout=30)
    assert ping(netns, 10).returncode == 0   # still answering
    after = e.stop()
    counter_of = {kind: c for kind, (c, _) in make_kinds(e.mac, e.mac, random.Random(0)).items()}
    expected = {}
    for kind, n in report["by_kind"].items():
        if kind not in PASSED_TO_KERNEL:
            expected[counter_of[kind]] = expected.get(counter_of[kind], 0) + n
    d0, d1 = drops(before), drops(after)
    delta = {k: d1[k] - d0.get(k, 0) for k in d1 if d1[k] != d0.get(k, 0)}
    assert delta == expected, (delta, expected, report["by_kind"])
    s0, s1 = steering(before), steering(after)
    for reason, n in passed.items():
        # At least these (the kernel's own frames may add a few: none is IPv6 or truncated).
        assert n <= s1[reason] - s0[reason] <= n + 20, (reason, n, s0, s1)


def test_the_kernel_keeps_its_address_ping_tcp_and_udp_on_the_shared_port(netns, netns2, attach,
                                                                           start_xdp_echo, tmp_path):
    """The stack (198.18.0.2) and the kernel (198.18.0.4) share one veth end in `netns`; the far
    end (198.18.0.1) is in `netns2`."""
    near, far = unique("xn"), unique("xk")
    make_veth(netns, near, far, far_ns=netns2)
    netns2.configure_kernel_side(far)
    netns.run(["ethtool", "-K", near, "tx", "off"])   # whole checksums toward netns2's kernel too
    netns.ip("addr", "add", f"{SHARED_KERNEL_IP}/24", "dev", near)
    e = start_xdp_echo(near, attach, "--udp-port", 7, "--udp-protocol", "echo")
    # A kernel TCP server and a UDP receiver on the shared interface, in the stack's namespace.
    server = netns.popen([PYTHON, "-c", KERNEL_SERVERS, SHARED_KERNEL_IP], stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    # The stack answers on its address; the kernel on its own, through the same port.
    assert_kernel_ping_ok(ping(netns2, 100, interval=0.005, dst=STACK_IP), 100)
    assert_kernel_ping_ok(ping(netns2, 100, interval=0.005, dst=SHARED_KERNEL_IP), 100)
    r = netns2.run([PYTHON, "-c", KERNEL_CLIENTS, SHARED_KERNEL_IP, STACK_IP], timeout=30)
    got = json.loads(r.stdout)
    assert got == {"tcp_echo": "hello kernel", "stack_udp_echo": "hello stack"}, got
    out, _ = server.communicate(timeout=15)
    assert json.loads(out) == {"tcp": "hello kernel", "udp": ["not for the stack 0", "not for the stack 1",
                                                             "not for the stack 2"]}, out
    stats = e.stop()
    assert stats["udp"]["rx_datagrams"] == 1, stats["udp"]      # only its own
    assert steering(stats)["passed_not_ours"] >= 100 + 3, steering(stats)   # pings and datagrams to the kernel
    assert not any(drops(stats).values()), drops(stats)


# The kernel's servers on the shared interface: one TCP connection echoed once, then three UDP
# datagrams on port 7 to the kernel's address (the stack echoes UDP port 7 on its own).
KERNEL_SERVERS = r"""
import json, socket, sys
ip = sys.argv[1]
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind((ip, 9000)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((ip, 7)); u.settimeout(10)
t.settimeout(10)
print("ready", flush=True)
c, _ = t.accept(); c.settimeout(10); data = c.recv(100); c.sendall(data); c.close()
got = [u.recv(100).decode() for _ in range(3)]
print(json.dumps({"tcp": data.decode(), "udp": got}), flush=True)
"""

KERNEL_CLIENTS = r"""
import json, socket, sys
kernel_ip, stack_ip = sys.argv[1], sys.argv[2]
c = socket.create_connection((kernel_ip, 9000), timeout=10); c.sendall(b"hello kernel")
echo = c.recv(100).decode(); c.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"hello stack", (stack_ip, 7)); back = s.recv(100).decode()
for i in range(3):
    s.sendto(f"not for the stack {i}".encode(), (kernel_ip, 7))
print(json.dumps({"tcp_echo": echo, "stack_udp_echo": back}))
"""


def test_sigkill_leaves_the_program_and_the_next_start_replaces_it(netns, wire, attach, start_xdp_echo):
    near, far = wire
    first = start_xdp_echo(near, attach)
    assert_kernel_ping_ok(ping(netns, 5), 5)
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)
    stale = xdp_prog_attached(netns, near)
    assert stale is not None, "SIGKILL leaves the program attached (nothing ran to detach it)"
    second = start_xdp_echo(near, attach)
    assert "found a stale tachyon XDP program" in second.log(), second.log()
    assert_kernel_ping_ok(ping(netns, 5), 5)
    second.stop()
    assert xdp_prog_attached(netns, near) is None, netns.ip_json("link", "show", "dev", near)


def test_a_second_stack_on_the_queue_is_refused_and_sigint_detaches(netns, wire, attach, start_xdp_echo):
    near, far = wire
    first = start_xdp_echo(near, attach)
    second = start_xdp_echo(near, attach, wait=False)
    assert second.proc.wait(timeout=30) == 1, second.log()
    assert "another AF_XDP socket is bound to this queue" in second.log(), second.log()
    assert_kernel_ping_ok(ping(netns, 5), 5)   # the first one still runs undisturbed
    first.proc.send_signal(signal.SIGINT)
    assert first.proc.wait(timeout=15) == 0, first.log()
    assert "steering program detached" in first.log(), first.log()
    assert xdp_prog_attached(netns, near) is None


def test_errors_name_the_remedy(require_xdp, netns, echo_bin):
    def run(*args):
        r = netns.run([echo_bin, "--backend", "xdp", "--ip", f"{STACK_IP}/24", "--duration", 1, *map(str, args)],
                      timeout=30, check=False)
        assert r.returncode == 1, r.stdout + r.stderr
        return r.stderr
    assert "--backend xdp needs --iface NAME" in run()
    assert "interface nosuch0 not found" in run("--iface", "nosuch0")
    near, far = unique("xn"), unique("xk")
    make_veth(netns, near, far)
    err = run("--iface", near, "--xdp-queue", 5)
    assert "queue 5 is out of range" in err and "ethtool -l" in err, err
    err = run("--iface", near, "--xdp-mode", "zerocopy")
    assert "no zero-copy AF_XDP" in err and "--xdp-mode copy" in err, err
    assert xdp_prog_attached(netns, near) is None


def test_dpdk_net_af_xdp_pmd_on_a_veth(netns, wire, start_dpdk_echo, monkeypatch):
    """DPDK's own AF_XDP driver through the DPDK backend. It loads libxdp's default program,
    found where Debian's libxdp keeps it (/usr/lib/x86_64-linux-gnu/bpf: no LIBXDP_OBJECT_PATH
    needed), which redirects every frame of the queue: the port is not shared. At close, DPDK
    22.11's driver leaves the mbufs it put on the fill ring (2048, ETH_AF_XDP_DFLT_NUM_DESCS) and
    those of its last transmissions whose completions it never pulled in its mempool's count:
    the driver's, not the stack's (docs/AF_XDP.md)."""
    near, far = wire
    # An ASan build: the driver's own leak at close is not ours (lsan-net_af_xdp.supp).
    monkeypatch.setenv("LSAN_OPTIONS", f"suppressions={HERE / 'lsan-net_af_xdp.supp'}")
    e = start_dpdk_echo(f"net_af_xdp0,iface={near}", name=near)
    assert "net_af_xdp" in e.log(), e.log()
    r = ping(netns, 1000, interval=0.002, size=56, pattern=PATTERN, deadline=60)
    assert_kernel_ping_ok(r, 1000)
    stats = e.stop()
    assert stats["icmp"]["rx_echo_requests"] == 1000 and stats["icmp"]["tx_echo_replies"] == 1000, stats["icmp"]
    assert not any(drops(stats).values()), drops(stats)
    held = re.search(r"(\d+) mbufs still held at close", e.log())
    if held:   # the driver's fill ring, plus at most its last unreaped transmissions
        assert 2048 <= int(held.group(1)) <= 2048 + 64, e.log()
    assert xdp_prog_attached(netns, near) is None   # the driver removed its program
