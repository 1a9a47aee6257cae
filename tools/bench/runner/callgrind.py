"""In-process runs: memory-link latency and counts, then instructions per echo under callgrind
(tachyon and lwIP) and per multicast datagram received, and per ITCH Add Order
(tachyon-bench-feed). measure() is shared with the CI gate (gate.py)."""

import re
import shutil
import subprocess

from .common import Failure, last_json


def run_memory(s, bench, lwip, q, res):
    """Two stacks over the memory link: latency and counts per protocol, then callgrind per side."""
    for proto in ("udp", "icmp", "tcp"):
        argv = [bench, "mem-pingpong", "--proto", proto, "--count", str(q["count"]), "--warmup", str(q["warmup"]),
                "--cdf", str(s.out / f"cdf-mem_{proto}.txt")]
        s.note(f"== memory link {proto.upper()} ping-pong (one process, two stacks)")
        s.record(f"mem_{proto}", argv)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        res[f"mem_{proto}"] = last_json(r.stdout)
        if res[f"mem_{proto}"] is None:
            raise Failure(f"mem-pingpong {proto}: {r.stderr[-400:]}")
    if not shutil.which("valgrind"):
        res["callgrind_note"] = "valgrind is not installed"
        return
    n = q["cg_count"]
    for proto in ("udp", "icmp", "tcp"):
        for side in ("server", "client"):
            out = s.out / f"callgrind-{proto}-{side}.out"
            argv = callgrind_argv(out, bench, "mem-pingpong", "--proto", proto, "--count", str(n), "--warmup", "200",
                                  "--collect", side)
            s.note(f"== callgrind: {proto.upper()} echo, {side} side")
            res[f"cg_{proto}_{side}"] = callgrind(s, argv, out, n, r"excluding_device::")
        if lwip:
            out = s.out / f"callgrind-lwip-{proto}.out"
            argv = callgrind_argv(out, lwip, "--proto", proto, "--count", str(n), "--warmup", "200", "--collect",
                                  "server")
            s.note(f"== callgrind: lwIP {proto.upper()} echo")
            res[f"cg_lwip_{proto}"] = callgrind(s, argv, out, n, None)
    n32 = max(n - n % 32, 32)  # whole bursts of 32
    for burst in (1, 32) if q["mcast_cg"] else ():
        out = s.out / f"callgrind-mcast-rx-{burst}.out"
        argv = callgrind_argv(out, bench, "mem-mcast-rx", "--burst", str(burst), "--count", str(n32), "--warmup",
                              "224", "--collect", "server")
        s.note(f"== callgrind: multicast datagram received, {burst} a poll")
        res[f"cg_mcast_rx_{burst}"] = callgrind(s, argv, out, n32, r"excluding_device::")


def callgrind_argv(out, *cmd):
    """The command line running `cmd` under callgrind, collection off until the program switches it
    on, the profile written to `out`."""
    return ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}", *cmd]


def callgrind(s, argv, out, n, wrapper_re):
    """Runs `argv` under callgrind (recorded in the session); see measure()."""
    s.record(out.stem, argv)
    return measure(argv, out, n, wrapper_re)


def measure(argv, out, n, wrapper_re, timeout=300):
    """Runs `argv` under callgrind; instructions per message over `n` messages (less the forwarding
    wrapper's own, the functions matching `wrapper_re`) and the top functions by self cost."""
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0 or not out.exists():
        raise Failure(f"callgrind failed (exit {r.returncode}): {r.stderr[-600:]}")
    total = 0
    for line in out.read_text().splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            total = int(line.split()[1])
    ann = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)], capture_output=True, text=True).stdout
    funcs = []
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:\S*?:)?(.+?)(?: \[.*\])?$", line)
        if m and "PROGRAM TOTALS" not in line:
            funcs.append((int(m.group(1).replace(",", "")), m.group(2)))
    wrapper = sum(c for c, f in funcs if wrapper_re and re.search(wrapper_re, f))
    top = [(c / n, short_name(f)) for c, f in funcs if not (wrapper_re and re.search(wrapper_re, f))][:8]
    return {"total": total, "wrapper": wrapper, "per_echo": (total - wrapper) / n, "top": top, "count": n}


def run_feed(s, feed, q, res):
    """tachyon-bench-feed: ITCH Add Orders, frame to book, one and 32 to a frame: allocations and
    system calls in a plain run, then instructions under callgrind."""
    for k in (1, 32):
        frames = max(q["cg_count"] * 4 // k, 50)
        argv = [feed, "--per-frame", str(k), "--frames", str(frames * 10), "--warmup", "500"]
        s.record(f"feed_{k}", argv)
        r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=120)
        m = dict(re.findall(r"(\w+)=(\S+)", r.stdout))
        if r.returncode != 0 or m.get("delivered_ok") != "yes":
            raise Failure(f"tachyon-bench-feed: {r.stdout[-300:]} {r.stderr[-300:]}")
        note = re.search(r" note=(.*)$", r.stdout, re.M)
        res[f"feed_{k}"] = {"allocations": int(m["allocations"]), "syscalls": int(m["syscalls"]),
                            "counts_note": note.group(1) if note else None}
        if shutil.which("valgrind"):
            out = s.out / f"callgrind-feed-{k}.out"
            argv = callgrind_argv(out, feed, "--per-frame", str(k), "--frames", str(frames), "--warmup", "500")
            s.note(f"== callgrind: ITCH Add Order to book, {k} per frame")
            res[f"cg_feed_{k}"] = callgrind(s, argv, out, frames * k, None)


def short_name(f):
    """A function's name as the report prints it (no namespaces, no arguments)."""
    f = f.replace("tachyon::", "").replace("bench::", "").replace("(anonymous namespace)::", "")
    f = re.sub(r"\(.*", "", f)
    return f.split("/")[-1]
