"""The CI gate on the cost of a message (tools/bench/gate, ctest bench.gate, label perf): measures
instructions per message under callgrind (deterministic: the same binary gives the same count on
every run) and allocations and system calls per message in a plain run, and fails when any
exceeds its budget in tools/bench/budgets."""

import argparse
import datetime
import json
import math
import shutil
import subprocess
import time
from pathlib import Path

from .callgrind import callgrind_argv, measure
from .common import ROOT, Failure, last_json

BUDGETS = ROOT / "tools" / "bench" / "budgets"
# Messages measured under callgrind, after a warm-up: the counts are exact, so a few hundred say
# as much as a million (each run takes about a second).
# Multiples of 32, so that every measured poll of mem-mcast-rx --burst 32 has a full burst.
CG_COUNT, CG_WARMUP = 320, 224
# Messages of the plain runs that count allocations and system calls (a fraction of a second).
PLAIN_COUNT, PLAIN_WARMUP = 20000, 2016
# Headroom of a budget written by --update over what was measured.
HEADROOM = 1.03

# Instructions per message: metric -> (what it is, tachyon-bench arguments). Every run collects
# only the measured side's own calls, device calls excluded (excluding_device, subtracted).
INSTRUCTIONS = {
    "udp_echo_instructions": ("instructions per UDP echo, server side",
                              ["mem-pingpong", "--proto", "udp"]),
    "icmp_echo_instructions": ("instructions per ICMP echo, server side",
                               ["mem-pingpong", "--proto", "icmp"]),
    "tcp_echo_instructions": ("instructions per TCP echo, server side (request in, response out, ACK processed)",
                              ["mem-pingpong", "--proto", "tcp"]),
    "mcast_rx_instructions": ("instructions per multicast datagram received, one a poll",
                              ["mem-mcast-rx", "--burst", "1"]),
    "mcast_rx32_instructions": ("instructions per multicast datagram received, 32 a poll",
                                ["mem-mcast-rx", "--burst", "32"]),
}
# Allocations and system calls per message: metric -> the result field; each plain run is held
# to it on its own.
# metric -> (per-message field, total field, the field saying why it was not counted).
COUNTS = {
    "allocations_per_message": ("allocs_per_msg", "allocations", "alloc_note"),
    "syscalls_per_message": ("syscalls_per_msg", "syscalls", "counts_note"),
}
PLAIN_RUNS = {
    "udp echo": ["mem-pingpong", "--proto", "udp"],
    "icmp echo": ["mem-pingpong", "--proto", "icmp"],
    "tcp echo": ["mem-pingpong", "--proto", "tcp"],
    "multicast receive": ["mem-mcast-rx", "--burst", "1"],
    "multicast receive, 32 a poll": ["mem-mcast-rx", "--burst", "32"],
}


def read_budgets(path):
    """The budgets file as {metric: (budget, rest of the line)}; comments and blank lines skipped."""
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split(None, 2)
        try:
            out[parts[0]] = (float(parts[1]), parts[2] if len(parts) > 2 else "")
        except (IndexError, ValueError):
            raise Failure(f"{path}:{n}: expected 'METRIC BUDGET MEASURED-WHEN', got: {line}")
    return out


def measure_instructions(bench, out_dir):
    """{metric: instructions per message} from one callgrind run each."""
    got = {}
    for metric, (what, args) in INSTRUCTIONS.items():
        out = out_dir / f"callgrind-{metric}.out"
        argv = callgrind_argv(out, bench, *args, "--count", str(CG_COUNT), "--warmup", str(CG_WARMUP),
                              "--collect", "server")
        t0 = time.time()
        r = measure(argv, out, CG_COUNT, r"excluding_device::", timeout=120)
        got[metric] = r["per_echo"]
        top = ", ".join(f"{name} {cost:.0f}" for cost, name in r["top"][:4])
        print(f"gate: {what}: {r['per_echo']:.1f} ({time.time() - t0:.1f} s; top: {top})", flush=True)
    return got


def measure_counts(bench):
    """{run: its result object} from one plain run each (allocations and system calls counted)."""
    got = {}
    for run, args in PLAIN_RUNS.items():
        argv = [str(bench), *args, "--count", str(PLAIN_COUNT), "--warmup", str(PLAIN_WARMUP)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        res = last_json(r.stdout)
        if r.returncode != 0 or res is None:
            raise Failure(f"{run}: {' '.join(argv)} failed (exit {r.returncode}): {r.stderr[-400:]}")
        got[run] = res
        print(f"gate: {run}: {res.get('allocations')} allocations, {res.get('syscalls')} system calls in "
              f"{res.get('messages_counted')} messages", flush=True)
    return got


def check(budgets, instructions, counts):
    """The failures: one line per metric over its budget (or not measurable)."""
    failures = []
    for metric in list(INSTRUCTIONS) + list(COUNTS):
        if metric not in budgets:
            failures.append(f"{metric}: no budget in {BUDGETS.relative_to(ROOT)} (add a line for it)")
    for metric in budgets:
        if metric not in INSTRUCTIONS and metric not in COUNTS:
            failures.append(f"{metric}: unknown metric in {BUDGETS.relative_to(ROOT)} (known: "
                            f"{', '.join(list(INSTRUCTIONS) + list(COUNTS))})")
    for metric, value in instructions.items():
        budget = budgets.get(metric, (None,))[0]
        if budget is not None and value > budget:
            failures.append(f"{metric}: measured {value:.1f}, budget {budget:g} "
                            f"({INSTRUCTIONS[metric][0]}; {100 * (value / budget - 1):+.1f}%)")
    for metric, (field, total, note) in COUNTS.items():
        budget = budgets.get(metric, (None,))[0]
        if budget is None:
            continue
        for run, res in counts.items():
            v = res.get(field)
            if v is None or res.get(total) is None or res[total] < 0:
                failures.append(f"{metric}: {run}: cannot be counted here: {res.get(note) or 'no count reported'}")
            elif v > budget:
                sample = res.get("syscall_samples") if total == "syscalls" else None
                failures.append(f"{metric}: {run}: measured {v:.4g} ({res[total]} in {res.get('messages_counted')} "
                                f"messages), budget {budget:g}" + (f"; the first: {sample[0]}" if sample else ""))
    return failures


def update(path, instructions):
    """Rewrites the instruction budgets at what was measured plus the headroom (comments kept)."""
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "?"
    day = datetime.date.today().isoformat()
    lines = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in instructions:
            v = instructions[parts[0]]
            line = f"{parts[0]:<26}{math.ceil(v * HEADROOM):>7}    {v:.0f} on {day} (tree {rev})"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    print(f"gate: wrote {path}: read `git diff {path.relative_to(ROOT)}` before committing it")


def main(doc):
    """The gate's command line; the exit code (0 within budget, 1 over it or not measurable)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=str(ROOT / "build" / "release"))
    ap.add_argument("--out-dir", default=None, help="callgrind profiles (default BUILD_DIR/bench-gate)")
    ap.add_argument("--budgets", default=str(BUDGETS))
    ap.add_argument("--update", action="store_true",
                    help=f"rewrite the instruction budgets at the measured values plus {100 * (HEADROOM - 1):.0f}%%")
    args = ap.parse_args()
    build = Path(args.build_dir)
    bench = build / "tools" / "bench" / "tachyon-bench"
    out = Path(args.out_dir) if args.out_dir else build / "bench-gate"
    t0 = time.time()
    try:
        budgets = read_budgets(Path(args.budgets))
        if not bench.exists():
            raise Failure(f"{bench} is missing: build it (cmake --build {build} --target tachyon-bench)")
        for tool in ("valgrind", "callgrind_annotate"):
            if not shutil.which(tool):
                raise Failure(f"{tool} is not installed, so instructions cannot be counted: install Debian's "
                              "valgrind package (tools/install-deps does)")
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        instructions = measure_instructions(bench, out)
        counts = measure_counts(bench)
    except (Failure, subprocess.SubprocessError, OSError) as e:
        print(f"gate: FAILED: {e}")
        return 1
    (out / "results.json").write_text(json.dumps({"instructions": instructions, "counts": counts}, indent=1))
    if args.update:
        update(Path(args.budgets), instructions)
        budgets = read_budgets(Path(args.budgets))
    failures = check(budgets, instructions, counts)
    took = time.time() - t0
    if failures:
        print(f"gate: FAILED ({took:.0f} s): over budget or not measurable ({args.budgets}; see "
              "tools/bench/README.md):")
        for f in failures:
            print(f"  {f}")
        return 1
    print(f"gate: passed ({took:.0f} s): every metric within its budget")
    return 0
