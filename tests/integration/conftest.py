"""Fixtures for the integration tests: tachyon against the real Linux kernel, over the TAP
backend, inside network namespaces that each test creates and always deletes.

Rules every test here keeps (the machine is shared):
  * all traffic stays inside a namespace the test made (`netns`), on a TAP device in it;
  * addresses only from 198.18.0.0/15 (the kernel side is 198.18.0.1, the stack 198.18.0.2);
  * every command has a time bound, every load is bounded in count;
  * teardown kills whatever was started in the namespace and deletes it, also on failure.

Run as root with /usr/bin/python3 (Debian's scapy and pytest): ctest does that, with
`--bin-dir` pointing at the build's apps/ folder.
"""

import json
import contextlib
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

KERNEL_IP = "198.18.0.1"
STACK_IP = "198.18.0.2"
PREFIX = 24
HERE = Path(__file__).resolve().parent
HELPERS = HERE / "helpers"
PYTHON = "/usr/bin/python3"

MAC_RE = r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}"


def pytest_addoption(parser):
    parser.addoption("--bin-dir", default=None,
                     help="folder holding tachyon-echo (default: build/release/apps)")


NETNS_PREFIX = "tachyon-it-"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        return
    # SIGTERM (ctest's timeout, a CI runner) becomes an exception, so fixture teardown still
    # deletes the namespaces and kills what runs in them.
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    # Namespaces left by an earlier run that was killed outright (SIGKILL): their names carry
    # the pid of the pytest that made them; delete those whose pytest is gone.
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(re.escape(NETNS_PREFIX) + r"(\d+)-[0-9a-f]+", name)
        if m and not _pid_alive(int(m.group(1))):
            subprocess.run(["ip", "netns", "del", name], timeout=10)
    sweep_stale_segments()


def pytest_sessionfinish(session, exitstatus):
    if os.geteuid() == 0:
        sweep_stale_segments()


def sweep_stale_segments():
    """Removes the /dev/shm/tachyon-PROGRAM-PID segments of stacks the tests killed (SIGKILL
    leaves them, by design: `tachyon-stat --gc` is the operator's tool): only default-named ones
    (the name ends with the pid the segment records) whose process is gone."""
    for path in Path("/dev/shm").glob("tachyon-*"):
        try:
            with open(path, "rb") as f:
                head = f.read(32)
        except OSError:
            continue
        if len(head) < 32:
            continue
        pid = int.from_bytes(head[24:32], "little", signed=True)
        if pid > 0 and path.name.endswith(f"-{pid}") and not _pid_alive(pid):
            path.unlink(missing_ok=True)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "every_backend: runs on every backend by default (the others run on the TAP "
        "only unless TACHYON_ALL_BACKENDS=1)")


# A test parametrized over backends checks the stack's protocol logic, which is the same on every
# backend, and the device underneath. The device is proven by the tests marked every_backend (and
# by test_dpdk.py and test_xdp.py); the rest run on the TAP only, unless TACHYON_ALL_BACKENDS=1.
# This keeps CI within its time (the IGMP suite alone took 4 minutes on three backends).
ALL_BACKENDS = os.environ.get("TACHYON_ALL_BACKENDS") == "1"


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="needs root: creates network namespaces and TAP devices")
        for item in items:
            item.add_marker(skip)
        return
    if ALL_BACKENDS:
        return
    tap_only = pytest.mark.skip(reason="backend-independent: runs on the TAP (TACHYON_ALL_BACKENDS=1 "
                                       "runs it on every backend)")
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        if backend and backend != "tap" and item.get_closest_marker("every_backend") is None:
            item.add_marker(tap_only)


def app_bin(pytestconfig, name):
    """The program `name` (tachyon-echo, tachyon-nc, ...) in --bin-dir, default build/release/apps;
    fails the test, saying how to build it, when it is missing."""
    d = pytestconfig.getoption("--bin-dir")
    exe = (Path(d) if d else HERE.parents[1] / "build" / "release" / "apps") / name
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: build it first (tools/build release, or cmake --build --preset "
                    f"release --target {name})")
    return exe


@pytest.fixture(scope="session")
def echo_bin(pytestconfig):
    return app_bin(pytestconfig, "tachyon-echo")


def run_json_tool(ns, script, cmd, *args, timeout=120):
    """Runs the kernel-side tool `cmd` of the helper `script` inside `ns`; returns the JSON result it
    prints last."""
    r = ns.run([PYTHON, script, cmd, *args], timeout=timeout)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert lines, f"{cmd} printed no result:\n{r.stdout}\n{r.stderr}"
    return json.loads(lines[-1])


def assert_kernel_ping_ok(r, count):
    """The kernel's ping got every reply, none duplicated, every payload byte as sent (ping
    compares each reply's payload with what it sent and prints "wrong data byte" otherwise)."""
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert f"{count} packets transmitted, {count} received" in out, out
    assert " 0% packet loss" in out, out
    assert "wrong data byte" not in out, out
    assert "DUP!" not in out, out


def unique(prefix):
    """A short unique name (interface names are limited to 15 characters)."""
    return f"{prefix}{os.getpid() % 10000:04d}{secrets.token_hex(2)}"


class Netns:
    """A network namespace owned by one test. `run` and `popen` execute commands inside it."""

    def __init__(self, name):
        self.name = name
        self._procs = []

    def argv(self, cmd):
        return ["ip", "netns", "exec", self.name, *map(str, cmd)]

    def run(self, cmd, timeout=30, check=True, **kw):
        """Runs `cmd` in the namespace to completion (bounded by `timeout`); text output."""
        kw.setdefault("capture_output", True)
        r = subprocess.run(self.argv(cmd), timeout=timeout, text=True, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, cmd))} exited {r.returncode}\n"
                                 f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    def popen(self, cmd, **kw):
        """Starts `cmd` in the namespace; teardown kills it if it is still running."""
        p = subprocess.Popen(self.argv(cmd), **kw)
        self._procs.append(p)
        return p

    def ip(self, *args, **kw):
        return self.run(["ip", *args], **kw)

    def ip_json(self, *args):
        out = self.run(["ip", "-j", *args]).stdout
        return json.loads(out) if out.strip() else []

    def link_mac(self, dev):
        return self.ip_json("link", "show", "dev", dev)[0]["address"]

    def configure_kernel_side(self, tap, ip=f"{KERNEL_IP}/{PREFIX}"):
        """Gives the kernel's end of the TAP its address and brings it up."""
        self.ip("addr", "add", ip, "dev", tap)
        self.ip("link", "set", tap, "up")

    def wait_link(self, dev, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run(["ip", "link", "show", "dev", dev], check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"link {dev} did not appear in {self.name} within {timeout}s")

    def kill_all(self):
        for p in self._procs:
            if p.poll() is None:
                p.terminate()
        for p in self._procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        # Anything else still running in the namespace (a child that escaped its parent).
        r = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True,
                           timeout=10)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


@contextlib.contextmanager
def fresh_netns():
    """A fresh network namespace with IPv6 off (so the kernel sends no IPv6 to the stack) and
    loopback up. Always deleted on the way out, with everything started in it. Named with
    NETNS_PREFIX, so the leftovers of a run killed outright are swept by the next one."""
    name = f"{NETNS_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    ns = Netns(name)
    try:
        ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"])
        ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"])
        ns.ip("link", "set", "lo", "up")
        yield ns
    finally:
        try:
            ns.kill_all()
        finally:
            subprocess.run(["ip", "netns", "del", name], timeout=10)


@pytest.fixture
def netns():
    """A fresh network namespace (see `fresh_netns`), deleted at teardown."""
    with fresh_netns() as ns:
        yield ns


class Echo:
    """One tachyon-echo process running in a namespace."""

    def __init__(self, ns, exe, tap, workdir, args, stats_interval=1, duration=120):
        self.ns = ns
        self.tap = tap
        self.log_path = workdir / f"echo-{tap}.log"
        self.stats_path = workdir / f"stats-{tap}.json"
        self.argv = [exe, "--backend", "tap", "--tap", tap, *args,
                     "--stats", self.stats_path, "--stats-interval", stats_interval,
                     "--log-level", "info", "--duration", duration]
        self._log = open(self.log_path, "w")
        self.proc = ns.popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.mac = None
        self.returncode = None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_log(self, pattern, timeout=10):
        """Waits for a log line matching `pattern`; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log())
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError(f"tachyon-echo exited {self.proc.returncode} before "
                                     f"logging /{pattern}/:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"tachyon-echo did not log /{pattern}/ within {timeout}s:\n"
                                     f"{self.log()}")
            time.sleep(0.05)

    def wait_ready(self, timeout=15):
        line = self.wait_log(r"[^\n]*\bready\b[^\n]*", timeout).group(0)
        m = re.search(r"\bmac (" + MAC_RE + ")", line)
        if m:
            self.mac = m.group(1).lower()
        return line

    def read_stats(self):
        """The stats file as last written (None when not written yet)."""
        try:
            return json.loads(self.stats_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_stats(self, predicate, timeout=20):
        """Waits until the periodically rewritten stats satisfy `predicate`; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.read_stats()
            if s is not None and predicate(s):
                return s
            if self.proc.poll() is not None:
                raise AssertionError(f"tachyon-echo exited {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"stats did not reach the expected state in {timeout}s; "
                                     f"last: {json.dumps(s, indent=1)}")
            time.sleep(0.1)

    def discard(self):
        """Fixture teardown: kills the process if it still runs and closes its log (no checks)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()

    def stop(self, timeout=15):
        """SIGTERM; checks a clean exit (0) and returns the final stats."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError(f"tachyon-echo ignored SIGTERM for {timeout}s:\n{self.log()}")
        self._log.close()
        assert self.returncode == 0, f"tachyon-echo exited {self.returncode}:\n{self.log()}"
        stats = self.read_stats()
        assert stats is not None, f"no stats JSON at {self.stats_path}:\n{self.log()}"
        return stats


@pytest.fixture
def start_echo(netns, echo_bin, tmp_path):
    """start_echo(*args, tap=None): starts tachyon-echo on a TAP in `netns` and waits for
    `ready`. Without `tap` it uses a fresh name, so the stack creates the device."""
    started = []

    def start(*args, tap=None, wait=True, **kw):
        e = Echo(netns, echo_bin, tap or unique("tt"), tmp_path,
                 ["--ip", f"{STACK_IP}/{PREFIX}", *args], **kw)
        started.append(e)
        if wait:
            e.wait_ready()
        return e

    yield start
    for e in started:
        e.discard()


@pytest.fixture
def echo(netns, start_echo):
    """tachyon-echo on a TAP it created, with the kernel's end configured as 198.18.0.1/24."""
    e = start_echo()
    netns.configure_kernel_side(e.tap)
    return e


def ping(ns, count, interval=0.01, size=56, pattern=None, dst=STACK_IP, deadline=None, check=True):
    """Pings `dst` from the kernel; returns the completed process (ping's text output)."""
    cmd = ["ping", "-n", "-c", count, "-i", interval, "-s", size, "-W", 2]
    if pattern:
        cmd += ["-p", pattern]
    bound = deadline or int(count * (interval + 0.01)) + 10
    cmd += ["-w", bound, dst]
    return ns.run(cmd, timeout=bound + 10, check=check)


def drops(stats):
    """Every drop counter as {"section.name": value}."""
    return {f"{sec}.{k}": v for sec, counters in stats.items() if isinstance(counters, dict)
            for k, v in counters.items() if k.startswith("drop_") or "_drop_" in k}
