"""The session of one run: everything it creates, so that it can all be removed."""

import os
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path


class Session:
    """Everything the run creates, so that it can all be removed: namespaces, processes, DPDK
    file prefixes, the temporary folder (memif sockets)."""

    def __init__(self, out_dir):
        self.tag = f"tb{os.getpid() % 100000}{secrets.token_hex(2)}"
        self.tmp = Path(tempfile.mkdtemp(prefix=f"tachyon-bench-{self.tag}-"))
        self.out = out_dir
        self.namespaces = []
        self.procs = []
        self.prefixes = []
        self.commands = []  # (label, command line) as run, for the report
        self.log = open(self.out / "run.log", "w")

    def note(self, msg):
        print(msg, flush=True)
        self.log.write(msg + "\n")
        self.log.flush()

    def record(self, label, argv):
        line = " ".join(shlex.quote(str(a)) for a in argv)
        self.commands.append((label, line))
        self.log.write(f"$ {line}\n")
        self.log.flush()

    def netns(self, role):
        name = f"{self.tag}-{role}"
        subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
        self.namespaces.append(name)
        self.nsexec(name, ["ip", "link", "set", "lo", "up"])
        for k in ("all", "default"):
            self.nsexec(name, ["sysctl", "-q", "-w", f"net.ipv6.conf.{k}.disable_ipv6=1"])
        return name

    def nsexec(self, ns, argv, check=True):
        return subprocess.run(["ip", "netns", "exec", ns, *map(str, argv)], check=check, timeout=30,
                              capture_output=True, text=True)

    def prefix(self, name):
        p = f"{self.tag}-{name}"
        self.prefixes.append(p)
        return p

    def popen(self, argv, name, label=None):
        self.record(label or name, argv)
        out = open(self.out / f"{name}.out", "w")
        err = open(self.out / f"{name}.err", "w")
        p = subprocess.Popen([str(a) for a in argv], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        p.files = (out, err)
        p.name = name
        self.procs.append(p)
        return p

    def finish(self, p, timeout, terminate=False):
        """Waits for `p` (terminating it first when asked); returns (rc, stdout, stderr)."""
        if terminate and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if not terminate:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for f in p.files:
            f.close()
        return (p.returncode, (self.out / f"{p.name}.out").read_text(), (self.out / f"{p.name}.err").read_text())

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        for ns in self.namespaces:
            # Whatever still runs inside goes with it.
            r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], timeout=10)
        for p in self.prefixes:
            shutil.rmtree(Path("/var/run/dpdk") / p, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.log.close()
