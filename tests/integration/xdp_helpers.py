"""Fixtures for the AF_XDP integration tests (test_xdp.py; lab.py's `Lab` uses them for the xdp
variants of the TCP, UDP, multicast, IGMP, feed and sockperf tests). Loaded as a plugin by
conftest.py: its fixtures need no import.

The wire is a veth pair inside the test's namespace: tachyon runs with `--backend xdp` on the
near end, which has no kernel address (so the kernel leaves it to the stack, as a TAP's far
side), and the kernel's end is the far one (198.18.0.1/24), exactly where the TAP tests put the
kernel. Two attach modes: native (veth runs XDP in its own NAPI) and skb (generic XDP). veth has
no zero-copy AF_XDP, so the socket is in copy mode. Processes run with --idle (shared machine).
"""

import os
import subprocess

import pytest

from conftest import Program, unique

XDP_BACKENDS = ["xdp-native", "xdp-skb"]   # (which tests run skb attach: conftest.py)


def xdp_attach(backend):
    """"native" or "skb" for an xdp-* backend name."""
    return backend.split("-", 1)[1]


def xdp_args(iface, attach):
    """The backend flags of a tachyon program on AF_XDP."""
    return ["--backend", "xdp", "--iface", iface, "--xdp-attach", attach, "--idle"]


_probed = {}


def xdp_missing(echo_bin):
    """None when this build has the AF_XDP device, else the reason to skip (TACHYON_XDP from
    ctest when set, else the binary is asked once)."""
    env = os.environ.get("TACHYON_XDP")
    if env is not None:
        built = env.upper() in ("ON", "1", "TRUE")
    else:
        exe = str(echo_bin)
        if exe not in _probed:
            r = subprocess.run([exe, "--backend", "xdp", "--iface", "lo", "--ip", "198.18.0.2/24",
                                "--xdp-frames", "1"], capture_output=True, text=True, timeout=30)
            _probed[exe] = "no AF_XDP device" not in r.stderr
        built = _probed[exe]
    return None if built else "AF_XDP not built: this build has no AF_XDP device (no libxdp/libbpf/clang)"


@pytest.fixture(scope="session")
def require_xdp(echo_bin):
    missing = xdp_missing(echo_bin)
    if missing:
        pytest.skip(missing)


def make_veth(ns, near, far, far_ns=None):
    """A veth pair, both ends up; `far` moves to `far_ns` when given. The kernel's end sends
    with checksum offload off: a veth hands its peer the kernel's frames with UDP/TCP checksums
    still partial (CHECKSUM_PARTIAL: only the pseudo-header sum), and AF_XDP copies the bytes
    as they are, so the stack would drop them as bad (docs/AF_XDP.md). Frames from a real wire
    carry whole checksums."""
    far_ns = far_ns or ns
    if far_ns is ns:
        ns.ip("link", "add", near, "type", "veth", "peer", "name", far)
    else:
        ns.ip("link", "add", near, "type", "veth", "peer", "name", far, "netns", far_ns.name)
    far_ns.run(["ethtool", "-K", far, "tx", "off"])
    far_ns.ip("link", "set", far, "up")
    ns.ip("link", "set", near, "up")


def xdp_prog_attached(ns, dev):
    """The XDP program attached to `dev` as `ip -j link` shows it (None when there is none)."""
    link = ns.ip_json("link", "show", "dev", dev)[0]
    return link.get("xdp")


class XdpEcho(Program):
    """tachyon-echo on AF_XDP on `iface`, in a namespace."""

    def __init__(self, ns, exe, iface, workdir, attach, args, idle=True, **kw):
        backend = xdp_args(iface, attach)
        if not idle:
            backend.remove("--idle")
        super().__init__(ns, [exe, *backend, *args], iface, workdir, f"echo-{iface}", **kw)


@pytest.fixture
def start_xdp_echo(require_xdp, netns, echo_bin, tmp_path, started):
    """start_xdp_echo(iface, attach, *args, ns=netns): tachyon-echo on AF_XDP on `iface`, waited
    for until ready; killed at teardown if still running."""
    def start(iface, attach, *args, ns=None, wait=True, **kw):
        return started.add(XdpEcho(ns or netns, echo_bin, iface, tmp_path, attach,
                                   ["--ip", "198.18.0.2/24", *map(str, args)], **kw), wait, timeout=30)
    return start


__all__ = ["XDP_BACKENDS", "XdpEcho", "make_veth", "require_xdp", "start_xdp_echo", "unique", "xdp_args",
           "xdp_attach", "xdp_missing", "xdp_prog_attached"]
