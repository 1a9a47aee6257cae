"""Fixtures for the DPDK integration tests (test_dpdk.py; lab.py's `Lab` uses them for the net_tap
variants of the TCP, UDP, multicast, IGMP, feed and sockperf tests): tachyon programs on DPDK
virtual devices, inside network namespaces the tests create and always delete. Loaded as a
plugin by conftest.py: its fixtures need no import.

Every DPDK process gets `--no-huge -m 256 --no-pci --no-telemetry` and a --file-prefix of its
own (the EAL's lock and runtime files live under /var/run/dpdk/PREFIX), plus one virtual
device: net_tap (a TAP the kernel sees), net_af_packet (a veth end), or net_memif (a socket
between two processes, kept in the test's temporary folder, not in the abstract namespace).
Processes run with --idle: the machine is shared, and busy-polling would take a whole core.
"""

import os
import secrets
import subprocess

import pytest

from conftest import (EAL_PREFIX, Program, assert_kernel_ping_ok, remove_eal_runtime,  # noqa: F401
                      unique)  # (re-exported)

EAL_BASE = "--no-huge -m 256 --no-pci --no-telemetry"


def dpdk_built():
    """(built, reason): whether this build has the DPDK backend. ctest passes TACHYON_DPDK
    (ON/OFF) from the configure step; run by hand, pytest asks the binary itself."""
    env = os.environ.get("TACHYON_DPDK")
    if env is not None:
        return env.upper() in ("ON", "1", "TRUE"), "this build has no DPDK device (configure found no libdpdk)"
    return None, ""


def probe_binary(exe):
    """Asks tachyon-echo whether it has a DPDK device: without one it says so at once."""
    r = subprocess.run([exe, "--backend", "dpdk", "--dpdk", "--no-such-eal-flag", "--ip", "198.18.0.2/24"],
                       capture_output=True, text=True, timeout=30)
    return "no DPDK device" not in r.stderr


_probed = {}


def dpdk_missing(echo_bin):
    """None when this build has the DPDK device, else the reason to skip (TACHYON_DPDK from
    ctest when set, else the binary is asked once per session)."""
    built, reason = dpdk_built()
    if built is None:
        exe = str(echo_bin)
        if exe not in _probed:
            _probed[exe] = probe_binary(exe)
        built = _probed[exe]
        reason = "this build has no DPDK device (configure found no libdpdk)"
    return None if built else f"DPDK not built: {reason}"


@pytest.fixture(scope="session")
def require_dpdk(echo_bin):
    missing = dpdk_missing(echo_bin)
    if missing:
        pytest.skip(missing)


def eal_args(vdev, core=0):
    """EAL arguments for one process: a unique file prefix, one lcore, one virtual device."""
    return f"{EAL_BASE} --file-prefix {EAL_PREFIX}{os.getpid()}-{secrets.token_hex(3)} -l {core} --vdev={vdev}"


def net_tap_args(iface, core=0):
    """The backend flags of a tachyon program on DPDK's net_tap, which creates the TAP `iface`
    in the program's namespace (the kernel's end is configured once it exists)."""
    return ["--backend", "dpdk", "--dpdk", eal_args(f"net_tap0,iface={iface}", core), "--idle"]


class DpdkEcho(Program):
    """tachyon-echo on a DPDK virtual device, in a namespace."""

    def __init__(self, ns, exe, name, workdir, vdev, args, core=0, **kw):
        self.eal = eal_args(vdev, core)
        # `name`: the kernel-side interface, for net_tap; a label otherwise
        super().__init__(ns, [exe, "--backend", "dpdk", "--dpdk", self.eal, *args, "--idle"], name, workdir,
                         f"echo-{name}", **kw)


@pytest.fixture
def start_dpdk_echo(require_dpdk, netns, echo_bin, tmp_path, started):
    """start_dpdk_echo(vdev, *args, name=..., ns=netns): tachyon-echo on a DPDK virtual device,
    waited for until ready; killed at teardown if still running."""
    def start(vdev, *args, name="dpdk", ns=None, core=0, wait=True):
        return started.add(DpdkEcho(ns or netns, echo_bin, name, tmp_path, vdev, ["--ip", "198.18.0.2/24", *args],
                                    core=core), wait, timeout=30)
    return start


__all__ = ["DpdkEcho", "assert_kernel_ping_ok", "dpdk_missing", "eal_args", "net_tap_args",
           "remove_eal_runtime", "require_dpdk", "start_dpdk_echo", "unique"]
