"""The kernel: sockperf over a veth and over loopback, with and without SO_BUSY_POLL; the io_uring
TAP fallback answering sockperf. (The plain veth runs are normally measured in the interleaved
rounds, rounds.py, with this module's helpers.)"""

import re
import subprocess
import time
from pathlib import Path

from .common import Failure


def parse_sockperf(text):
    """sockperf's summary as the result fields tachyon-bench uses (ns)."""
    r = {}
    for label, key in (("<MIN>", "min_ns"), ("<MAX>", "max_ns")):
        m = re.search(re.escape(label) + r" observation\s*=\s*([\d.]+)", text)
        if m:
            r[key] = float(m.group(1)) * 1e3
    for p, key in (("50.000", "p50_ns"), ("90.000", "p90_ns"), ("99.000", "p99_ns"), ("99.900", "p999_ns"),
                   ("99.990", "p9999_ns")):
        m = re.search(r"percentile " + re.escape(p) + r"\s*=\s*([\d.]+)", text)
        if m:
            r[key] = float(m.group(1)) * 1e3
    m = re.search(r"SentMessages=(\d+);\s*ReceivedMessages=(\d+)", text)
    if m:
        r["samples"] = int(m.group(2))
    return r if "p50_ns" in r else None


def sockperf_rtts(log_path):
    """sockperf --full-log: one line per message with its send and receive times (seconds); the
    round-trip times (ns), sorted."""
    rtts = []
    try:
        for line in Path(log_path).read_text().splitlines():
            parts = [p.strip() for p in line.split(",")]
            try:
                nums = [float(p) for p in parts if p]
            except ValueError:
                continue
            if len(nums) >= 3 and nums[2] > nums[1] > 0:
                rtts.append((nums[2] - nums[1]) * 1e9)
    except OSError:
        pass
    return sorted(rtts)


def sockperf_cdf(log_path, cdf_path):
    """Writes the CDF of a sockperf --full-log; its round-trip times (ns), sorted."""
    rtts = sockperf_rtts(log_path)
    write_cdf(rtts, cdf_path)
    return rtts


def write_cdf(rtts, cdf_path):
    """Writes the CDF ("ns fraction" lines, about 2000) of sorted round-trip times."""
    if not rtts:
        return
    with open(cdf_path, "w") as f:
        step = max(1, len(rtts) // 2000)
        for i in range(0, len(rtts), step):
            f.write(f"{rtts[i]:.0f} {(i + 1) / len(rtts):.7f}\n")
        f.write(f"{rtts[-1]:.0f} 1.0\n")


def sockperf_server(s, name, ns, ip, port, busy=False, tcp=False):
    """A sockperf server on core 1 (started, given half a second to listen)."""
    extra = (["--lls", "50"] if busy else []) + (["--tcp"] if tcp else [])
    srv = s.popen(["ip", "netns", "exec", ns, "taskset", "-c", "1", "sockperf", "server", "-i", ip, "-p", port,
                   *extra], f"{name}-server", name)
    time.sleep(0.5)
    return srv


def sockperf_run(s, name, ns_srv, ns_cli, ip, seconds, busy, port=11111, server=True, tcp=False, keep_rtts=False):
    """One sockperf ping-pong (with its own server when `server` is true); its result (with its
    sorted round-trip times under "rtts" when `keep_rtts`)."""
    extra = (["--lls", "50"] if busy else []) + (["--tcp"] if tcp else [])
    srv = sockperf_server(s, name, ns_srv, ip, port, busy, tcp) if server else None
    log = s.out / f"{name}.fulllog.csv"
    cli = s.popen(["ip", "netns", "exec", ns_cli, "taskset", "-c", "0", "sockperf", "ping-pong", "-i", ip, "-p", port,
                   "-t", seconds, "-m", "64", "--full-rtt", "--full-log", log, *extra], f"{name}-client", name)
    rc, out, err = s.finish(cli, int(seconds) + 30)
    if srv:
        s.finish(srv, 10, terminate=True)
    r = parse_sockperf(out + err)
    if r is None:
        raise Failure(f"{name}: sockperf gave no result (exit {rc}): {(out + err)[-500:]}")
    rtts = sockperf_cdf(log, s.out / f"cdf-{name}.txt")
    log.unlink(missing_ok=True)
    if keep_rtts:
        r["rtts"] = rtts
    return r


def veth_pair(s, tag):
    """Two namespaces joined by a veth, 198.18.1.1/24 and 198.18.1.2/24 (tag: the namespaces' role
    names, kept apart from other pairs); (namespace a, namespace b)."""
    a, b = s.netns(f"{tag}a"), s.netns(f"{tag}b")
    va, vb = f"{s.tag[:8]}{tag}a", f"{s.tag[:8]}{tag}b"
    subprocess.run(["ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b],
                   check=True, timeout=10)
    s.nsexec(a, ["ip", "addr", "add", "198.18.1.1/24", "dev", va])
    s.nsexec(b, ["ip", "addr", "add", "198.18.1.2/24", "dev", vb])
    s.nsexec(a, ["ip", "link", "set", va, "up"])
    s.nsexec(b, ["ip", "link", "set", vb, "up"])
    return a, b


def run_kernel(s, echo, q, res):
    """The kernel over a veth and loopback (UDP, TCP, busy poll), then the TAP fallback."""
    a, b = veth_pair(s, "k")
    secs = str(q["sockperf_seconds"])
    # The plain veth runs (UDP and TCP) come from the interleaved rounds when those ran; --quick
    # keeps to them (the loopback and busy-poll variants are for the full report).
    for busy in (False, True) if q["kernel_variants"] else (False,):
        tag = "_busy" if busy else ""
        if "k_veth" + tag not in res:
            s.note(f"== kernel UDP over a veth between namespaces{' (SO_BUSY_POLL 50 us)' if busy else ''}")
            res["k_veth" + tag] = sockperf_run(s, "k_veth" + tag, b, a, "198.18.1.2", secs, busy)
        if q["kernel_variants"]:
            s.note(f"== kernel UDP over loopback{' (SO_BUSY_POLL 50 us)' if busy else ''}")
            res["k_lo" + tag] = sockperf_run(s, "k_lo" + tag, a, a, "198.18.1.1", secs, busy)
        if "k_veth_tcp" + tag in res:
            continue
        s.note(f"== kernel TCP over a veth between namespaces{' (SO_BUSY_POLL 50 us)' if busy else ''}")
        try:
            res["k_veth_tcp" + tag] = sockperf_run(s, "k_veth_tcp" + tag, b, a, "198.18.1.2", secs, busy,
                                                   port=11112, tcp=True)
        except Failure as e:
            if not busy:
                raise
            res["k_veth_tcp_busy_note"] = " ".join(str(e).split())[:200]
    # The io_uring TAP fallback: tachyon-echo at the far end of a TAP, sockperf from the kernel.
    t = s.netns("tap")
    tap = f"{s.tag[:10]}t"
    s.note("== io_uring TAP fallback: tachyon-echo answering sockperf from the kernel side")
    e = s.popen(["ip", "netns", "exec", t, "taskset", "-c", "1", echo, "--backend", "tap", "--tap", tap,
                 "--ip", "198.18.2.2/24", "--udp-port", "11111", "--log-level", "info"], "tap-echo", "tap")
    until = time.time() + 20
    while "ready" not in (s.out / "tap-echo.err").read_text() + (s.out / "tap-echo.out").read_text():
        if e.poll() is not None or time.time() > until:
            rc, out, err = s.finish(e, 5)
            raise Failure(f"tap: tachyon-echo did not start (exit {rc}): {(out + err)[-500:]}")
        time.sleep(0.05)
    s.nsexec(t, ["ip", "addr", "add", "198.18.2.1/24", "dev", tap])
    s.nsexec(t, ["ip", "link", "set", tap, "up"])
    try:
        res["tap"] = sockperf_run(s, "tap", t, t, "198.18.2.2", secs, False, server=False)
    finally:
        s.finish(e, 10, terminate=True)
