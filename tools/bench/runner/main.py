"""The driver's command line and the order of its steps."""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .callgrind import run_feed, run_memory
from .common import ROOT, SKIP, Failure, last_json
from .dpdk import run_dpdk
from .kernel import run_kernel
from .plot import plot
from .report import report
from .rounds import run_rounds
from .session import Session


def main(doc):
    """Runs every benchmark and writes the report; `doc` is the entry point's help text. The exit code."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a short run (smoke test); report under --out-dir")
    ap.add_argument("--no-build", action="store_true", help="do not build (use the binaries in --build-dir)")
    ap.add_argument("--build-dir", default=str(ROOT / "build" / "release"))
    ap.add_argument("--out-dir", default=None, help="raw results and logs (default BUILD_DIR/bench)")
    ap.add_argument("--report", default=None, help="where to write the report (default docs/BENCHMARKS.md; "
                                                   "--quick: OUT_DIR/BENCHMARKS.md)")
    args = ap.parse_args()
    build = Path(args.build_dir)

    cache = build / "CMakeCache.txt"
    if cache.exists() and "fsanitize=address" in cache.read_text():
        print("bench: SKIPPED: this is an AddressSanitizer build. The benchmarks measure the release build: "
              "callgrind cannot run ASan binaries, ASan replaces malloc (the allocation hook is off) and its "
              "timings say nothing about production. Run tools/bench/run on the release preset.")
        return SKIP
    if os.geteuid() != 0:
        print("bench: SKIPPED: needs root (network namespaces, DPDK, perf tracepoints)")
        return SKIP

    if not args.no_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", str(build), "--target", "tachyon-bench", "tachyon-echo", "-j2"], cwd=ROOT,
                       check=True)
        subprocess.run(["cmake", "--build", str(build), "--target", "tachyon-bench-lwip", "tachyon-bench-feed", "-j2"],
                       cwd=ROOT, check=False, capture_output=True)
    bench = build / "tools" / "bench" / "tachyon-bench"
    lwip = build / "tools" / "bench" / "tachyon-bench-lwip"
    echo = build / "apps" / "tachyon-echo"
    for exe in (bench, echo):
        if not exe.exists():
            print(f"bench: {exe} is missing: build it (cmake --build {build} --target {exe.name})")
            return 1
    if not lwip.exists():
        lwip = None
    feed = build / "tools" / "bench" / "tachyon-bench-feed"
    if not feed.exists():
        feed = None

    out = Path(args.out_dir) if args.out_dir else build / "bench"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if args.report:
        md = Path(args.report)
    else:
        md = out / "BENCHMARKS.md" if args.quick else ROOT / "docs" / "BENCHMARKS.md"
    png = md.parent / "benchmarks-latency.png"

    # rounds: the interleaved latency rounds (count and sockperf_seconds are spread over them);
    # kernel_variants: sockperf over loopback and with busy polling besides the plain veth;
    # mcast_cg: instructions per multicast datagram received (the CI gate measures them anyway).
    q = dict(count=20000, warmup=2000, rate=50000, open_count=20000, rx_seconds=0.5, rx_kinds=1,
             sockperf_seconds=1, cg_count=300, rounds=2, kernel_variants=False, mcast_cg=False) if args.quick else \
        dict(count=300000, warmup=20000, rate=100000, open_count=300000, rx_seconds=3, rx_kinds=2,
             sockperf_seconds=5, cg_count=3000, rounds=10, kernel_variants=True, mcast_cg=True)

    s = Session(out)
    # `ip netns exec` remounts /sys without tracefs: hand the syscall tracepoint's id down.
    for tp in ("/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
               "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"):
        try:
            os.environ["TACHYON_BENCH_SYSCALL_TP_ID"] = Path(tp).read_text().strip()
            break
        except OSError:
            pass
    res, errors = {}, []
    started = datetime.datetime.now().astimezone()
    t0 = time.time()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    rc = 0
    try:
        st = subprocess.run([str(bench), "selftest-counters"], capture_output=True, text=True, timeout=30)
        res["selftest"] = last_json(st.stdout) or {}
        res["load_before"] = Path("/proc/loadavg").read_text().split()[:3]
        for core in (0, 1):
            argv = ["taskset", "-c", str(core), str(bench), "jitter", "--seconds", "0.5" if args.quick else "2"]
            s.record(f"jitter{core}", argv)
            j = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            res[f"jitter{core}"] = last_json(j.stdout) or {}
        dpdk = subprocess.run(["pkg-config", "--exists", "libdpdk"]).returncode == 0
        steps = [("memory link and callgrind", lambda: run_memory(s, bench, lwip, q, res)),
                 ("kernel and TAP fallback", lambda: run_kernel(s, echo, q, res))]
        if feed:
            steps.append(("market data", lambda: run_feed(s, feed, q, res)))
        if dpdk:
            steps[:0] = [("interleaved latency rounds", lambda: run_rounds(s, bench, q, res)),
                         ("DPDK memif", lambda: run_dpdk(s, bench, q, res))]
        else:
            errors.append("DPDK runs: this build has no DPDK (libdpdk not found)")
        for name, step in steps:
            try:
                step()
            except (Failure, subprocess.SubprocessError, OSError) as e:
                s.note(f"bench: step '{name}' failed: {e}")
                errors.append(f"{name}: " + " ".join(str(e).split())[:300])
                rc = 1
        res["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
        (out / "results.json").write_text(json.dumps(res, indent=1, default=str))
        plotted = plot(s, res, png)
        report(s, res, q, args.quick, started, time.time() - t0, md, png.name, plotted, errors)
        s.note(f"bench: wrote {md}" + (f" and {png}" if plotted else " (no plot)") + f" in {time.time() - t0:.0f} s")
    except KeyboardInterrupt as e:
        print(f"bench: interrupted ({e}); cleaning up", file=sys.stderr)
        rc = 130
    finally:
        s.cleanup()
    return rc
