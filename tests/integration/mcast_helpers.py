"""The multicast tests' side of mcast_tools.py (test_udp.py, test_multicast.py, test_igmp.py):
`run_kernel` and `start_kernel` run its kernel-side tools inside a namespace (conftest's
KernelScript); the `Mcast` process (tachyon-mcast recv|send) and its fixture `start_mcast`; an
`IgmpCapture` with tshark. Loaded as a plugin by conftest.py: its fixture needs no import."""

import json
import re
import secrets

import pytest

from capture import Capture, read_fields
from conftest import HERE, PREFIX, STACK_IP, KernelScript, Program

TOOLS = KernelScript(HERE / "mcast_tools.py", timeout=120)
run_kernel = TOOLS.run        # run_kernel(ns, cmd, *args, timeout=120): the tool's JSON result
start_kernel = TOOLS.start    # start_kernel(ns, workdir, cmd, *args): a KernelTool (e.g. kernel-recv)


class Mcast(Program):
    """tachyon-mcast recv|send in a namespace (stderr: the log; stdout: the summary)."""

    def __init__(self, ns, exe, command, backend_args, tap, workdir, args, duration=60, **kw):
        tag = f"mcast-{command}-{tap}"
        self.report_path = workdir / f"{tag}-{secrets.token_hex(2)}.report.json"
        extra = ["--report", self.report_path] if command == "recv" else []
        super().__init__(ns, [exe, command, *backend_args, "--ip", f"{STACK_IP}/{PREFIX}", *args, *extra], tap,
                         workdir, tag, stdout=workdir / f"{tag}-{secrets.token_hex(2)}.out", duration=duration, **kw)

    def summary(self):
        """The summary line's key=value pairs (numbers as numbers), plus "status"."""
        m = re.search(r"^summary: (\S+) (.*)$", self.output(), re.M)
        assert m, f"no summary line:\n{self.output()}\n{self.log()}"
        return {"status": m.group(1), **parse_pairs(m.group(2))}

    def groups(self):
        """{"G:P": key=value pairs} of the per-group lines."""
        return {m.group(1): parse_pairs(m.group(2))
                for m in re.finditer(r"^group (\S+) (.*)$", self.output(), re.M)}

    def report(self):
        return json.loads(self.report_path.read_text())


def parse_pairs(text):
    out = {}
    for k, v in re.findall(r"(\w+)=(\S+)", text):
        try:
            out[k] = float(v.rstrip("/s")) if "." in v or v.endswith("/s") else int(v)
        except ValueError:
            out[k] = v
    return out


@pytest.fixture
def start_mcast(netns, mcast_bin, tmp_path, started):
    """start_mcast(command, *args, lab=None, tap=None, wait=True): tachyon-mcast recv|send in
    `netns`, on `lab`'s device (then, once ready, the lab's kernel end is configured: see Lab),
    or on the TAP named `tap`."""
    def start(command, *args, lab=None, tap=None, wait=True, **kw):
        assert (lab is None) != (tap is None), "lab or tap"
        if lab is not None:
            backend_args, tap = lab.backend_args(), lab.tap
        else:
            backend_args = ["--backend", "tap", "--tap", tap]
        return started.add(Mcast(netns, mcast_bin, command, backend_args, tap, tmp_path, [str(x) for x in args], **kw),
                           wait, timeout=30 if lab is not None and lab.is_dpdk else 15, lab=lab)
    return start


class IgmpCapture(Capture):
    """tshark on the kernel's end of the TAP, inside the namespace, capturing IGMP, bounded in
    time."""

    FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "igmp.version", "igmp.type", "igmp.max_resp",
              "igmp.record_type", "igmp.maddr", "igmp.saddr"]

    def __init__(self, ns, dev, path, capture_filter="igmp", seconds=90):
        super().__init__(ns, dev, path, capture_filter, seconds)

    def frames(self):
        """One dict per IGMP frame: time (float), src, dst, version, type, max_resp, and
        records: [(record type, group, [sources])] for v3 reports, else group in "maddr"."""
        out = []
        for v in read_fields(self.path, self.FIELDS, "-Y", "igmp", "-E", "occurrence=a", "-E", "aggregator=;"):
            rec_types = [int(x, 0) for x in v[6].split(";") if x]
            maddrs = [x for x in v[7].split(";") if x]
            f = {"time": float(v[0]), "src": v[1], "dst": v[2],
                 "version": int(v[3]) if v[3] else None,
                 "type": int(v[4], 0) if v[4] else None,
                 "max_resp": v[5], "maddrs": maddrs, "saddrs": [x for x in v[8].split(";") if x]}
            f["records"] = list(zip(rec_types, maddrs)) if rec_types else []
            out.append(f)
        return out


def from_stack(frames):
    return [f for f in frames if f["src"] == STACK_IP]


def counter_delta(before, after, name):
    sec, key = name.split(".")
    return after[sec][key] - before[sec][key]
