"""Configuration (issue 16): tachyon-echo started from a --config file alone in a namespace,
TACHYON_CONFIG and flags over the file, errors that name the key and its source, --backend auto
(the TAP when no DPDK port is usable; --strict refuses to fall back), and docs/CONFIG.md kept
equal to what --doc prints."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KERNEL_IP, PREFIX, STACK_IP, assert_kernel_ping_ok, ping, unique

HERE = Path(__file__).resolve().parent
CONFIG_MD = HERE.parents[1] / "docs" / "CONFIG.md"
PYTHON = "/usr/bin/python3"


def start_from_file(netns, echo_bin, tmp_path, text, *flags, env=None):
    """Starts tachyon-echo with `--config FILE` (FILE holding `text`) and `flags`; returns the
    process and its log path."""
    conf = tmp_path / "echo.toml"
    conf.write_text(text)
    log = tmp_path / "echo.log"
    out = open(log, "w")
    full_env = {**os.environ, **(env or {})}
    p = netns.popen([echo_bin, "--config", conf, *flags], stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=full_env)
    out.close()
    return p, log


def wait_log(p, log, pattern, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = p.poll() is not None
        m = re.search(pattern, log.read_text(errors="replace"))
        if m:
            return m
        if exited:
            break
        time.sleep(0.05)
    raise AssertionError(f"no /{pattern}/ (exit {p.poll()}):\n{log.read_text(errors='replace')}")


def stop(p, log):
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=15) == 0, log.read_text(errors="replace")


@contextlib.contextmanager
def eal_args(vdev=""):
    """EAL arguments with a file prefix of their own; the EAL's runtime files are removed after."""
    prefix = unique("cfg")
    try:
        yield f"--no-huge -m 256 --no-pci --no-telemetry --file-prefix {prefix}" + (f" --vdev {vdev}" if vdev else "")
    finally:
        shutil.rmtree(Path("/var/run/dpdk") / prefix, ignore_errors=True)


def echo_file(tap, tmp_path, extra=""):
    return (f'# tachyon-echo, configured by this file alone\n'
            f'backend = "tap"\ntap = "{tap}"\nip = "{STACK_IP}/{PREFIX}"\n'
            f'udp-port = [7]\nudp-protocol = "echo"\nstats = "{tmp_path / "stats.json"}"\nduration = 60\n'
            f'[tcp]\nsend_buffer = 131072\nrto_min = 0.05\n' + extra)


def test_echo_runs_from_a_config_file_alone(netns, echo_bin, tmp_path):
    tap = unique("tc")
    p, log = start_from_file(netns, echo_bin, tmp_path, echo_file(tap, tmp_path))
    wait_log(p, log, r"\bready\b")
    netns.configure_kernel_side(tap)
    assert_kernel_ping_ok(ping(netns, 3), 3)
    # A UDP datagram to port 7 comes back: the program's own key came from the file too.
    code = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); "
            f"s.sendto(b'from-the-file', ('{STACK_IP}', 7)); print(s.recvfrom(100)[0].decode())")
    r = netns.run([PYTHON, "-c", code], timeout=15)
    assert r.stdout.strip() == "from-the-file", r.stdout + r.stderr
    assert (tmp_path / "stats.json").exists()
    stop(p, log)


def test_env_overrides_the_file_and_flags_override_env(netns, echo_bin, tmp_path):
    conf = tmp_path / "c.toml"
    conf.write_text(echo_file("tcx0", tmp_path, "nagle = true\nmsl = 7\n"))
    env = {**os.environ, "TACHYON_CONFIG": "tcp-msl=9; tcp-send-buffer=262144"}
    r = netns.run([echo_bin, "--config", conf, "--tcp-send-buffer", "4096", "--print-config"], env=env, timeout=10)
    lines = {l.split("=")[0].strip(): l for l in r.stdout.splitlines() if "=" in l and not l.startswith("#")}
    assert re.match(r"tcp-nagle = true\s+# config file ", lines["tcp-nagle"]), lines["tcp-nagle"]
    assert re.match(r"tcp-msl = 9\s+# TACHYON_CONFIG", lines["tcp-msl"]), lines["tcp-msl"]
    assert re.match(r"tcp-send-buffer = 4096\s+# command line", lines["tcp-send-buffer"]), lines["tcp-send-buffer"]
    assert re.match(r"tcp-rto-min = 0.05\s+# config file ", lines["tcp-rto-min"]), lines["tcp-rto-min"]
    assert re.match(r"tcp-window-scale = 7\s+# default", lines["tcp-window-scale"]), lines["tcp-window-scale"]


def test_bad_values_name_the_key_and_the_source(netns, echo_bin, tmp_path):
    conf = tmp_path / "bad.toml"
    conf.write_text(echo_file("tcb0", tmp_path, "window_scale = 15\n"))
    r = netns.run([echo_bin, "--config", conf], check=False, timeout=10)
    assert r.returncode != 0
    assert f"config file {conf}: tcp-window-scale = 15: out of range: 0 to 14" in r.stderr, r.stderr
    env = {**os.environ, "TACHYON_CONFIG": "udp-sockets=0"}
    r = netns.run([echo_bin, "--config", tmp_path / "bad.toml"], check=False, timeout=10, env=env)
    assert "TACHYON_CONFIG: udp-sockets=0: out of range: 1 to 65535" in r.stderr, r.stderr
    conf.write_text('ip = "198.18.0.2/24"\n[tcp]\nsend_bufer = 4096\n')
    r = netns.run([echo_bin, "--config", conf], check=False, timeout=10)
    assert r.returncode != 0
    assert "unknown key 'tcp-send-bufer'" in r.stderr and str(conf) in r.stderr, r.stderr
    # Nothing was left behind: refused runs created no TAP.
    assert netns.ip_json("link", "show", "type", "tun") == [], "a refused run left a TAP"


def test_backend_auto_takes_the_tap_without_a_dpdk_port(netns, echo_bin, tmp_path):
    tap = unique("ta")
    p, log = start_from_file(netns, echo_bin, tmp_path, echo_file(tap, tmp_path).replace('"tap"', '"auto"', 1))
    line = wait_log(p, log, r"backend auto: [^\n]*").group(0)
    assert f"backend auto: tap {tap} (dpdk: " in line, line
    wait_log(p, log, r"\bready\b[^\n]* on tap ")
    netns.configure_kernel_side(tap)
    assert_kernel_ping_ok(ping(netns, 2), 2)
    stop(p, log)


def test_backend_auto_falls_back_when_the_eal_finds_no_port(netns, echo_bin, tmp_path):
    """With EAL arguments but no device (--no-pci, no --vdev), DPDK is tried and refused with
    its reason, then the TAP is taken (skipped when this build has no DPDK)."""
    tap = unique("tf")
    with eal_args() as eal:
        p, log = start_from_file(netns, echo_bin, tmp_path, echo_file(tap, tmp_path), "--backend", "auto", "--dpdk", eal)
        line = wait_log(p, log, r"backend auto: [^\n]*", timeout=30).group(0)
        wait_log(p, log, r"\bready\b")
        stop(p, log)
    if "this build has no DPDK device" in line:
        pytest.skip("this build has no DPDK device")
    assert f"backend auto: tap {tap} (dpdk: dpdk: no port" in line, line


def test_backend_auto_takes_dpdk_when_a_port_is_usable(netns, echo_bin, tmp_path):
    """A virtual port (net_null) is usable: auto takes DPDK, and --strict has nothing to refuse."""
    with eal_args("net_null0") as eal:
        p, log = start_from_file(netns, echo_bin, tmp_path, echo_file(unique("tn"), tmp_path), "--backend", "auto",
                                 "--strict", "--dpdk", eal, "--idle")
        line = wait_log(p, log, r"backend auto: [^\n]*|this build has no DPDK device", timeout=30).group(0)
        if line == "this build has no DPDK device":
            pytest.skip(line)
        assert line == "backend auto: dpdk (port 0 is usable)", line
        wait_log(p, log, r"\bready\b[^\n]* on dpdk ")
        stop(p, log)


def test_backend_auto_strict_refuses_to_fall_back(netns, echo_bin, tmp_path):
    conf = tmp_path / "strict.toml"
    conf.write_text(echo_file(unique("ts"), tmp_path, "").replace('"tap"', '"auto"', 1))
    r = netns.run([echo_bin, "--config", conf, "--strict"], check=False, timeout=15)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "--backend auto --strict: no usable DPDK port (" in r.stderr, r.stderr
    assert netns.ip_json("link", "show", "type", "tun") == [], "a refused run left a TAP"


def test_config_md_holds_what_doc_prints(netns, echo_bin):
    r = netns.run([echo_bin, "--doc"], timeout=10)
    shared = r.stdout.split("## keys every tachyon program takes\n", 1)[1].split("\n## keys of ", 1)[0].strip()
    text = CONFIG_MD.read_text()
    block = text.split("<!-- doc:begin -->\n```\n", 1)[1].split("```\n<!-- doc:end -->", 1)[0].strip()
    assert block == shared, ("docs/CONFIG.md is not what `tachyon-echo --doc` prints: regenerate it with "
                             "tools/config-doc")


PROGRAMS = [  # each program, a key of its own, and the words before its flags
    ("tachyon-ping", [], 'dst = "198.18.0.1"\ncount = 3\n', "dst"),
    ("tachyon-nc", [], 'connect = "198.18.0.1:9000"\n', "connect"),
    ("tachyon-mcast", ["recv"], 'group = ["239.1.1.1:30001"]\n', "group"),
    ("tachyon-feed", [], "", None),
    ("tachyon-gateway", [], 'user = "ALICE"\n', "user"),
]


@pytest.mark.parametrize("program,words,own,own_key", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_every_program_reads_its_keys_from_the_file(netns, echo_bin, tmp_path, program, words, own, own_key):
    exe = Path(echo_bin).parent / program
    if not exe.is_file():
        pytest.skip(f"{program} is not built")
    conf = tmp_path / "p.toml"
    conf.write_text(f'ip = "{STACK_IP}/{PREFIX}"\n' + own + "[tcp]\nsend_buffer = 131072\n")
    r = netns.run([exe, *words, "--config", conf, "--print-config"], timeout=10)
    assert re.search(r"^tcp-send-buffer = 131072\s+# config file ", r.stdout, re.M), r.stdout
    assert re.search(rf'^ip = "{STACK_IP}/{PREFIX}"\s+# config file ', r.stdout, re.M), r.stdout
    if own_key:
        assert re.search(rf"^{own_key} = .*# config file ", r.stdout, re.M), r.stdout


STARTS = [  # each program, the words before its flags, and what it needs to run for a while
    ("tachyon-ping", [], f'dst = "{KERNEL_IP}"\ncount = 1000\n'),
    ("tachyon-nc", [], "listen = 9000\n"),
    ("tachyon-mcast", ["recv"], 'group = ["239.1.1.1:30001"]\n'),
    ("tachyon-feed", [], 'line-a = "239.1.1.1:30001"\nline-b = "239.1.1.2:30001"\n'),
    ("tachyon-gateway", [], f'exchange = "{KERNEL_IP}:9999"\nuser = "ALICE"\npassword = "secret"\n'),
]


@pytest.mark.parametrize("program,words,own", STARTS, ids=[p[0] for p in STARTS])
def test_every_program_starts_from_a_config_file_alone(netns, echo_bin, tmp_path, program, words, own):
    """Each program runs its stack on a TAP named, addressed and sized by the file alone: it
    logs "ready" with the file's address, and the kernel's ping reaches it there."""
    exe = Path(echo_bin).parent / program
    if not exe.is_file():
        pytest.skip(f"{program} is not built")
    tap = unique("tp")
    conf = tmp_path / "p.toml"
    conf.write_text(f'backend = "tap"\ntap = "{tap}"\nip = "{STACK_IP}/{PREFIX}"\nduration = 30\n' + own +
                    "[tcp]\nsend_buffer = 131072\n")
    log = tmp_path / "p.log"
    with open(log, "w") as out:
        p = netns.popen([exe, *words, "--config", conf], stdout=out, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL)
    try:
        wait_log(p, log, rf"ready: {re.escape(STACK_IP)}/{PREFIX} on tap {tap}")
        netns.configure_kernel_side(tap)
        assert_kernel_ping_ok(ping(netns, 3), 3)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        p.wait(timeout=15)
