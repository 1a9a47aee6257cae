"""Where a stack program meets the kernel, on every backend (`Lab`), and the fixtures that choose
the backend (`backend`) and make the lab (`lab`). Loaded as a plugin by conftest.py, so every test
may take `backend` and `lab` without importing them.

A test that takes `backend` runs once per backend: the TAP, DPDK's net_tap virtual device and
AF_XDP on a veth (native attach; skb attach too for the tests marked `every_backend(xdp_skb=True)`
or with TACHYON_XDP_ALL_ATTACH=1), each skipped, with the reason, when this build lacks it; only the
tests marked `every_backend` leave the TAP unless TACHYON_ALL_BACKENDS=1 (conftest.py)."""

from pathlib import Path

import pytest

from conftest import KERNEL_IP, OTHER_KERNEL_IP, PREFIX, STACK_IP, KernelTool, Program, unique
from dpdk_helpers import dpdk_missing, net_tap_args
from xdp_helpers import XDP_BACKENDS, make_veth, xdp_args, xdp_attach, xdp_missing

BACKENDS = ["tap", "dpdk-net_tap", *XDP_BACKENDS]
RELAY = Path(__file__).resolve().parent / "tcp_tools.py"   # its impair-relay tool


class Lab:
    """Where the stack meets the kernel: a TAP whose kernel end is 198.18.0.1/24, with a route
    sending the kernel's 239.0.0.0/8 out of it.

    backend "tap": the TAP is made before the stack attaches (so captures can start first).
    backend "dpdk-net_tap": DPDK's net_tap makes the TAP (name known in advance) when the
    program starts; `after_start` then waits for it and configures the kernel's end (and the
    addresses asked for with `add_kernel_address` before). One program per DPDK lab: the TAP
    goes away with it.
    backend "xdp-native"/"xdp-skb": the stack on the near end of a veth (`near`), the kernel on
    the far end (`tap`).

    premade=True (net_tap): for a test whose kernel side must be ready before the program acts
    (a kernel receiver joined before the stack sends), the TAP is made and configured first,
    multi-queue as net_tap opens it, and net_tap attaches to it; net_tap then gives the kernel's
    end the port's MAC (re-read in `after_start`), and the TAP outlives the program.

    impaired_by=(workdir, relay args) (TAP only): the stack's TAP carries no kernel address; the
    kernel sits on a TAP of its own (`kernel_end`) whose frames tcp_tools.py's impair-relay
    passes to the stack's with loss, reordering, duplication and delay; `relay_result` stops it."""

    def __init__(self, ns, backend="tap", premade=False, impaired_by=None):
        assert backend in BACKENDS, backend
        self.ns = ns
        self.backend = backend
        self.tap = unique("tm")
        self.kernel_end = self.tap   # the interface holding the kernel's address
        self.kernel_mac = None
        self.configured = False
        self.relay = None
        self._extra_addrs = []
        if impaired_by is not None:
            assert backend == "tap", backend
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap)
            ns.ip("link", "set", self.tap, "up")
            self._start_relay(*impaired_by)
            self._configure()
        elif self.is_xdp:
            self.near = unique("xn")
            make_veth(ns, self.near, self.tap)
            self._configure()
        elif backend == "tap":
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap)
            self._configure()
        elif premade:
            ns.ip("tuntap", "add", "mode", "tap", "name", self.tap, "multi_queue")
            self._configure()

    @property
    def is_dpdk(self):
        return self.backend.startswith("dpdk")

    @property
    def is_xdp(self):
        return self.backend.startswith("xdp")

    def _start_relay(self, workdir, args):
        self.kernel_end = unique("tk")
        self._stop_file = workdir / f"stop-{self.kernel_end}"
        self.relay = KernelTool(self.ns, workdir, RELAY, "impair-relay", "--kernel-tap", self.kernel_end,
                                "--stack-tap", self.tap, *args, "--stop-file", self._stop_file)
        self.relay.wait_ready()

    def _configure(self):
        self.ns.configure_kernel_side(self.kernel_end)
        self.ns.ip("route", "add", "239.0.0.0/8", "dev", self.kernel_end)
        for ip in self._extra_addrs:
            self.ns.ip("addr", "add", f"{ip}/{PREFIX}", "dev", self.kernel_end)
        self.kernel_mac = self.ns.link_mac(self.kernel_end)
        self.configured = True

    def backend_args(self):
        """The program's backend flags for this lab's device."""
        if self.backend == "tap":
            return ["--backend", "tap", "--tap", self.tap]
        if self.is_xdp:
            return xdp_args(self.near, xdp_attach(self.backend))
        return net_tap_args(self.tap)

    def after_start(self):
        """Once the program is ready: for net_tap, the TAP it made gets its kernel end."""
        if not self.is_dpdk:
            return
        if not self.configured:
            self.ns.wait_link(self.tap, timeout=30)
            self._configure()
        else:
            self.kernel_mac = self.ns.link_mac(self.tap)

    def capture_device(self):
        """Where tshark captures the kernel's side from before the program starts: the TAP,
        or (net_tap: the TAP does not exist yet) every interface of the namespace, where only
        that TAP carries traffic."""
        return "any" if self.is_dpdk else self.kernel_end

    def add_kernel_address(self, ip=OTHER_KERNEL_IP):
        if self.configured:
            self.ns.ip("addr", "add", f"{ip}/{PREFIX}", "dev", self.kernel_end)
        else:
            self._extra_addrs.append(ip)

    def tap_stats(self):
        return self.ns.ip_json("-s", "link", "show", "dev", self.tap)[0]["stats64"]

    def relay_result(self):
        """Stops the impairing relay; returns what it did."""
        self._stop_file.touch()
        return self.relay.result(timeout=10)


def backend_missing(backend, echo_bin):
    """None when this build has `backend`'s device, else the reason to skip."""
    if backend in XDP_BACKENDS:
        return xdp_missing(echo_bin)
    if backend != "tap":
        return dpdk_missing(echo_bin)
    return None


@pytest.fixture(params=BACKENDS)
def backend(request, echo_bin):
    """Every backend (see this module's preface), skipped with the reason when this build lacks it."""
    missing = backend_missing(request.param, echo_bin)
    if missing:
        pytest.skip(missing)
    return request.param


@pytest.fixture
def lab(netns, request):
    """A Lab on the test's `backend` when it takes that fixture, else on the TAP."""
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else "tap"
    return Lab(netns, backend)


@pytest.fixture
def start_program(netns, tmp_path, started):
    """start_program(exe, lab, *args, stdin=None, stdout=None, wait=True): a tachyon program
    (tachyon-echo, tachyon-nc, ...) on `lab`'s device, its log on standard error (and standard
    output, unless `stdout` names a file), standard input from `stdin` (or /dev/null); waited for
    until ready, then the lab's kernel end configured (net_tap); killed at teardown if still running."""
    def start(exe, lab, *args, stdin=None, stdout=None, wait=True, duration=150, **kw):
        return started.add(Program(netns, [exe, *lab.backend_args(), "--ip", f"{STACK_IP}/{PREFIX}", *map(str, args)],
                                   lab.tap, tmp_path, Path(exe).name, stdin=stdin, stdout=stdout, duration=duration,
                                   **kw), wait, timeout=30, lab=lab)
    return start


@pytest.fixture
def start_lab_echo(start_program, echo_bin):
    """start_lab_echo(lab, *args): tachyon-echo on `lab`'s device (start_program)."""
    return lambda lab, *args, **kw: start_program(echo_bin, lab, *args, **kw)


__all__ = ["BACKENDS", "KERNEL_IP", "Lab", "backend", "backend_missing", "lab", "start_lab_echo", "start_program"]
