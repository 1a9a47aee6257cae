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
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kernel_side import KERNEL_IP, OTHER_KERNEL_IP, PREFIX, PYTHON, STACK_IP  # noqa: F401 (re-exported)

# Fixtures every test file may take without importing them (the backends and their labs, DPDK and
# AF_XDP programs, tachyon-nc, -mcast and -feed); these modules import this one, so they are
# loaded as plugins, after it.
pytest_plugins = ["dpdk_helpers", "xdp_helpers", "lab", "mcast_helpers", "feed_helpers"]

HERE = Path(__file__).resolve().parent
HELPERS = HERE / "helpers"

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
        "markers", "every_backend(xdp_skb=False): runs on every backend by default (the others run on "
        "the TAP only unless TACHYON_ALL_BACKENDS=1); AF_XDP in skb attach only with xdp_skb=True "
        "(or TACHYON_XDP_ALL_ATTACH=1)")


# A test parametrized over backends checks the stack's protocol logic, which is the same on every
# backend, and the device underneath. The device is proven by the tests marked every_backend (and
# by test_dpdk.py and test_xdp.py); the rest run on the TAP only, unless TACHYON_ALL_BACKENDS=1.
# This keeps CI within its time (the IGMP suite alone took 4 minutes on three backends).
ALL_BACKENDS = os.environ.get("TACHYON_ALL_BACKENDS") == "1"
# AF_XDP's skb attach differs from native only in where the kernel runs the program: test_xdp.py
# and the TCP tests marked every_backend(xdp_skb=True) cover it; the other suites run natively
# only unless TACHYON_XDP_ALL_ATTACH=1.
XDP_ALL_ATTACH = os.environ.get("TACHYON_XDP_ALL_ATTACH") == "1"


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="needs root: creates network namespaces and TAP devices")
        for item in items:
            item.add_marker(skip)
        return
    tap_only = pytest.mark.skip(reason="backend-independent: runs on the TAP (TACHYON_ALL_BACKENDS=1 "
                                       "runs it on every backend)")
    native_only = pytest.mark.skip(reason="AF_XDP skb attach: covered by test_xdp.py and test_tcp.py "
                                          "(TACHYON_XDP_ALL_ATTACH=1 runs it here too)")
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        if not backend or backend == "tap":
            continue
        marker = item.get_closest_marker("every_backend")
        if marker is None and not ALL_BACKENDS:
            item.add_marker(tap_only)
        elif backend == "xdp-skb" and not XDP_ALL_ATTACH and not (marker and marker.kwargs.get("xdp_skb")):
            item.add_marker(native_only)


def app_bin(pytestconfig, name):
    """The program `name` (tachyon-echo, tachyon-nc, ...) in --bin-dir, default build/release/apps;
    fails the test, saying how to build it, when it is missing."""
    d = pytestconfig.getoption("--bin-dir")
    exe = (Path(d) if d else HERE.parents[1] / "build" / "release" / "apps") / name
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: build it first (tools/build release, or cmake --build --preset "
                    f"release --target {name})")
    return exe


def program_fixture(fixture_name, program):
    """A session fixture named `fixture_name`: the path of `program` (app_bin)."""
    def path(pytestconfig):
        return app_bin(pytestconfig, program)
    return pytest.fixture(scope="session", name=fixture_name)(path)


echo_bin = program_fixture("echo_bin", "tachyon-echo")
nc_bin = program_fixture("nc_bin", "tachyon-nc")
mcast_bin = program_fixture("mcast_bin", "tachyon-mcast")
feed_bin = program_fixture("feed_bin", "tachyon-feed")
ping_bin = program_fixture("ping_bin", "tachyon-ping")


def run_json_tool(ns, script, cmd, *args, timeout=120):
    """Runs the kernel-side tool `cmd` of the helper `script` inside `ns`; returns the JSON result it
    prints last."""
    r = ns.run([PYTHON, script, cmd, *args], timeout=timeout)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert lines, f"{cmd} printed no result:\n{r.stdout}\n{r.stderr}"
    return json.loads(lines[-1])


class KernelTool:
    """The kernel-side tool `cmd` of the helper `script` running in the background in `ns`
    (e.g. a server): its output in a file, its readiness (it prints "ready"), its JSON result."""

    def __init__(self, ns, workdir, script, cmd, *args):
        self.out_path = workdir / f"{cmd}-{secrets.token_hex(2)}.out"
        self._out = open(self.out_path, "w")
        self.proc = ns.popen([PYTHON, "-u", script, cmd, *map(str, args)], stdout=self._out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def text(self):
        return self.out_path.read_text(errors="replace")

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while "ready" not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"kernel tool not ready:\n{self.text()}")
            time.sleep(0.05)

    def result(self, timeout=150):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError(f"kernel tool still running after {timeout}s:\n{self.text()}")
        self._out.close()
        lines = [l for l in self.text().splitlines() if l.startswith("{")]
        assert self.proc.returncode == 0 and lines, f"kernel tool failed:\n{self.text()}"
        return json.loads(lines[-1])


class KernelScript:
    """The kernel-side tools of one script (tcp_tools.py, mcast_tools.py): `run` one
    to completion for its JSON result, or `start` one in the background (a KernelTool)."""

    def __init__(self, path, timeout=120):
        self.path = path
        self.timeout = timeout

    def run(self, ns, cmd, *args, timeout=None):
        return run_json_tool(ns, self.path, cmd, *args, timeout=timeout or self.timeout)

    def start(self, ns, workdir, cmd, *args):
        return KernelTool(ns, workdir, self.path, cmd, *args)


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


@pytest.fixture
def netns2():
    """A second namespace (the far end of a veth, a bridge's other side), deleted at teardown
    with what runs in it."""
    with fresh_netns() as ns:
        yield ns


EAL_PREFIX = "tit"   # every DPDK process's --file-prefix starts with it (dpdk_helpers.eal_args)
EAL_RUNTIME = Path("/var/run/dpdk")
_EAL_PREFIX_RE = re.compile(r"--file-prefix[ =](" + EAL_PREFIX + r"[\w-]+)")


def remove_eal_runtime(argv):
    """Deletes the EAL runtime folder (EAL_RUNTIME/PREFIX: its config and about 3 MB of memory
    maps, which the EAL leaves behind on exit) of a finished process started with one of our
    prefixes (EAL_PREFIX). Call only once the process has exited."""
    for arg in map(str, argv):
        for prefix in _EAL_PREFIX_RE.findall(arg):
            shutil.rmtree(EAL_RUNTIME / prefix, ignore_errors=True)


class Program:
    """One tachyon program running in a namespace: `argv` plus the stats file, its interval, the
    log level and `duration`. Its log (standard error, and standard output unless `stdout` names
    a file for it) and stats are files in `workdir` named after `tag`; `stdin` names a file to
    read or is /dev/null. Gives the log, readiness (`ready`, and the MAC it names), the stats as
    periodically rewritten, a clean stop, and teardown."""

    def __init__(self, ns, argv, tap, workdir, tag, stats_interval=1, duration=120, stdin=None, stdout=None):
        self.ns = ns
        self.tap = tap   # the kernel-side interface (or a label: the stack's interface)
        self.name = Path(str(argv[0])).name
        tag = f"{tag}-{secrets.token_hex(2)}"
        self.log_path = workdir / f"{tag}.log"
        self.stats_path = workdir / f"{tag}.stats.json"
        self.out_path = stdout
        self.argv = [*argv, "--stats", self.stats_path, "--stats-interval", stats_interval,
                     "--log-level", "info", "--duration", duration]
        self._log = open(self.log_path, "w")
        self._in = open(stdin, "rb") if stdin else subprocess.DEVNULL
        self._out = open(stdout, "wb") if stdout else subprocess.STDOUT
        self.proc = ns.popen(self.argv, stdout=self._log if stdout is None else self._out,
                             stderr=self._log, stdin=self._in)
        self.mac = None
        self.returncode = None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def output(self):
        """Standard output, when it went to its own file."""
        return self.out_path.read_text(errors="replace") if self.out_path else ""

    def describe(self):
        return f"argv: {' '.join(map(str, self.argv))}\nstdout:\n{self.output()}\nlog:\n{self.log()}"

    def wait_log(self, pattern, timeout=10):
        """Waits for a log line matching `pattern`; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log())
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode} before "
                                     f"logging /{pattern}/:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not log /{pattern}/ within {timeout}s:\n"
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
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"stats did not reach the expected state in {timeout}s; "
                                     f"last: {json.dumps(s, indent=1)}")
            time.sleep(0.1)

    def close_files(self):
        for f in (self._log, self._in, self._out):
            if not isinstance(f, int) and not f.closed:
                f.close()

    def discard(self):
        """Fixture teardown: kills the process if it still runs, closes its files, removes what
        DPDK's EAL left (no checks)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.close_files()
        remove_eal_runtime(self.argv)

    def wait_exit(self, timeout=60):
        """Waits for the program to end by itself; returns its exit code."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            raise AssertionError(f"{self.name} still running after {timeout}s:\n{self.describe()}")
        self.close_files()
        return self.returncode

    def stop(self, timeout=15):
        """SIGTERM; checks a clean exit (0) and returns the final stats."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError(f"{self.name} ignored SIGTERM for {timeout}s:\n{self.log()}")
        self.close_files()
        assert self.returncode == 0, f"{self.name} exited {self.returncode}:\n{self.log()}"
        stats = self.read_stats()
        assert stats is not None, f"no stats JSON at {self.stats_path}:\n{self.log()}"
        return stats


class Echo(Program):
    """tachyon-echo on the TAP `tap` in a namespace."""

    def __init__(self, ns, exe, tap, workdir, args, **kw):
        super().__init__(ns, [exe, "--backend", "tap", "--tap", tap, *args], tap, workdir, f"echo-{tap}", **kw)


class Started(list):
    """The programs one test started (see the `started` fixture)."""

    def add(self, program, wait=True, timeout=15, lab=None):
        """Keeps `program` for teardown; when `wait`, waits until it is ready (then, for a program
        on `lab`, configures the lab's kernel end: see lab.Lab.after_start). Returns it."""
        self.append(program)
        if wait:
            program.wait_ready(timeout=timeout)
            if lab is not None:
                lab.after_start()
        return program


@pytest.fixture
def started():
    """The programs this test's start_* fixtures started: each is discarded at teardown (killed
    if still running, its files closed, what DPDK's EAL left removed)."""
    programs = Started()
    yield programs
    for p in programs:
        p.discard()


@pytest.fixture
def start_echo(netns, echo_bin, tmp_path, started):
    """start_echo(*args, tap=None): starts tachyon-echo on a TAP in `netns` and waits for
    `ready`. Without `tap` it uses a fresh name, so the stack creates the device."""
    def start(*args, tap=None, wait=True, **kw):
        return started.add(Echo(netns, echo_bin, tap or unique("tt"), tmp_path,
                                ["--ip", f"{STACK_IP}/{PREFIX}", *args], **kw), wait)
    return start


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
