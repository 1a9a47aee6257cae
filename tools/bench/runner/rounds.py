"""Interleaved latency rounds: the raw floor, ICMP, UDP and TCP through the stack over memif, and the
kernel's UDP and TCP over a veth, one after the other in short rounds, the same setup each round.
On a shared VM the machine's speed drifts over a run (other jobs, the hypervisor): a ratio taken
between two long runs minutes apart swings by 3x, a ratio between adjacent short runs does not.
Each round's ratio is taken against the floor (or the kernel) of the same round; the report
gives the median over rounds with the min-max spread, and the percentiles of all rounds pooled."""

import statistics

from .common import IP_C, IP_S, MAC_C, MAC_S, WINDOW_CLOSED, Failure
from .dpdk import memif_pair, stack_flags
from .kernel import sockperf_run, sockperf_server, veth_pair, write_cdf

# Memif runs of a round, in order (the floor first), and the kernel runs after them.
MEMIF = ("raw", "icmp", "udp", "tcp")
KERNEL = ("k_veth", "k_veth_tcp")
# Round ratios: name -> (numerator, denominator) of the same round.
RATIOS = {"udp": ("udp", "raw"), "icmp": ("icmp", "raw"), "tcp": ("tcp", "raw"),
          "udp_kernel": ("udp", "k_veth"), "tcp_kernel": ("tcp", "k_veth_tcp")}
# Fields summed when a run's rounds are pooled (counts); the latency fields are recomputed.
ADDITIVE = {"samples", "messages_counted", "allocations", "syscalls", "lost", "send_errors", "stale",
            "tcp_tx_segments", "tcp_rx_segments", "tcp_retransmits", "deferred_for_space", "closed_early",
            "udp_echoed", "icmp_echoed", "tcp_echoed_bytes", "tcp_short_sends", "bounced", "errors", "requests"}
LATENCY = ("min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "p9999_ns", "max_ns")


def run_rounds(s, bench, q, res):
    """`q["rounds"]` rounds of floor, stack and kernel; pooled results under the usual keys (raw,
    udp, ..., k_veth, k_veth_tcp) and the rounds themselves under res["rounds"]."""
    n_rounds = q["rounds"]
    count, warmup = max(q["count"] // n_rounds, 1000), max(q["warmup"] // n_rounds, 200)
    secs = str(max(1, round(q["sockperf_seconds"] * 2 / n_rounds)))
    ns = s.netns("rounds")
    ka, kb = veth_pair(s, "r")
    # One sockperf server per protocol for all rounds (the same process setup each round).
    servers = [sockperf_server(s, "k_veth-rounds", kb, "198.18.1.2", 11111),
               sockperf_server(s, "k_veth_tcp-rounds", kb, "198.18.1.2", 11112, tcp=True)]
    server = ["stack-server", "--seconds", "120", "--warmup", str(warmup), *stack_flags(IP_S, MAC_S, IP_C, MAC_C)]
    client = stack_flags(IP_C, MAC_C, IP_S, MAC_S)
    runs = {k: [] for k in MEMIF + KERNEL}  # per key: one result per round (client, server or None)
    try:
        for r in range(n_rounds):
            s.note(f"== latency round {r + 1}/{n_rounds}: raw floor, ICMP, UDP, TCP over memif ({count} messages "
                   f"each); kernel UDP and TCP over a veth ({secs} s each)")
            for key in MEMIF:
                cdf = ["--cdf", str(s.out / f"cdf-{key}-r{r}.txt")]
                if key == "raw":
                    pair = memif_pair(s, bench, ns, f"raw{r}",
                                      ["raw-pingpong", "--role", "server", "--seconds", "120", "--warmup", str(warmup)],
                                      ["raw-pingpong", "--role", "client", "--count", str(count), "--warmup",
                                       str(warmup), *cdf])
                else:
                    pair = memif_pair(s, bench, ns, f"{key}{r}", server,
                                      [f"{key}-pingpong", "--count", str(count), "--warmup", str(warmup), *client,
                                       *cdf], window_line=WINDOW_CLOSED)
                pair[0]["requests"] = count + warmup
                runs[key].append(pair)
            for key, port, tcp in (("k_veth", 11111, False), ("k_veth_tcp", 11112, True)):
                runs[key].append((sockperf_run(s, f"{key}-r{r}", kb, ka, "198.18.1.2", secs, False, port=port,
                                               server=False, tcp=tcp, keep_rtts=True), None))
    finally:
        for p in servers:
            s.finish(p, 10, terminate=True)
    res["rounds"] = {k: [c for c, _ in v] for k, v in runs.items()}
    res["round_ratios"] = round_ratios(res["rounds"])
    for key in MEMIF:
        res[key] = pool([c for c, _ in runs[key]], cdf_counts([s.out / f"cdf-{key}-r{r}.txt" for r in range(n_rounds)],
                                                            [c.get("samples", 0) for c, _ in runs[key]]))
        res[key + "_server"] = pool([sv for _, sv in runs[key]], None)
        write_pooled_cdf(res[key].pop("_hist"), s.out / f"cdf-{key}.txt")
    for key in KERNEL:
        rtts = sorted(x for c, _ in runs[key] for x in c.pop("rtts", []))
        res[key] = pool([c for c, _ in runs[key]], None)
        res[key].update(percentiles_of_sorted(rtts))
        write_cdf(rtts, s.out / f"cdf-{key}.txt")
    for k in res["rounds"]:
        for d in res["rounds"][k]:
            d.pop("rtts", None)
            d.pop("syscall_samples", None)


def round_ratios(rounds):
    """Per ratio and percentile (p50, p999): the list of round ratios (rounds missing either side skipped)."""
    out = {}
    for name, (num, den) in RATIOS.items():
        for pct in ("p50_ns", "p999_ns"):
            xs = []
            for a, b in zip(rounds.get(num, []), rounds.get(den, [])):
                if a.get(pct) and b.get(pct):
                    xs.append(a[pct] / b[pct])
            out[f"{name}_{pct[:-3]}"] = xs
    return out


def summary(xs):
    """(median, min, max, n) of round ratios; None when there are none."""
    return (statistics.median(xs), min(xs), max(xs), len(xs)) if xs else None


def cdf_counts(paths, samples):
    """A pooled histogram {value_ns: count} from tachyon-bench's CDF files (one bucket a line, its
    upper edge and the cumulative fraction) and each run's sample count."""
    hist = {}
    for path, n in zip(paths, samples):
        prev = 0.0
        try:
            lines = path.read_text().split("\n")
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) != 2:
                continue
            v, frac = int(parts[0]), float(parts[1])
            c = round((frac - prev) * n)
            prev = frac
            if c > 0:
                hist[v] = hist.get(v, 0) + c
    return hist


def percentiles_of_hist(hist):
    """The latency fields (ns) of a pooled histogram, as tachyon-bench's histogram computes them."""
    total = sum(hist.values())
    if not total:
        return {}
    values = sorted(hist)
    out = {"samples": total, "min_ns": values[0], "max_ns": values[-1]}
    for key, q in (("p50_ns", 0.5), ("p90_ns", 0.9), ("p99_ns", 0.99), ("p999_ns", 0.999), ("p9999_ns", 0.9999)):
        rank, seen = min(int(q * total), total - 1), 0
        for v in values:
            seen += hist[v]
            if seen > rank:
                out[key] = v
                break
    return out


def percentiles_of_sorted(xs):
    """The latency fields (ns) of sorted samples."""
    if not xs:
        return {}
    out = {"samples": len(xs), "min_ns": xs[0], "max_ns": xs[-1]}
    for key, q in (("p50_ns", 0.5), ("p90_ns", 0.9), ("p99_ns", 0.99), ("p999_ns", 0.999), ("p9999_ns", 0.9999)):
        out[key] = xs[min(int(q * len(xs)), len(xs) - 1)]
    return out


def pool(results, hist):
    """One result from a run's rounds: counts summed, the rest from the first round, latency from
    the pooled histogram `hist` (when given; kept under "_hist" for the CDF)."""
    results = [d for d in results if d]
    if not results:
        raise Failure("a round gave no result")
    out = {}
    for d in results:
        for k, v in d.items():
            if k in LATENCY or k in ("allocs_per_msg", "syscalls_per_msg"):
                continue
            if k in ADDITIVE and isinstance(v, (int, float)):
                out[k] = out.get(k, 0) + v
            elif k == "syscall_samples":
                out.setdefault(k, []).extend(v)
            else:
                out.setdefault(k, v)
    for k in ("allocations", "syscalls"):
        if any((d.get(k) is None or d.get(k) < 0) for d in results if "messages_counted" in d):
            out[k] = -1  # not counted in some round: not counted
    m = out.get("messages_counted")
    if m is not None:
        out["allocs_per_msg"] = out["allocations"] / m if m and out.get("allocations", -1) >= 0 else None
        out["syscalls_per_msg"] = out["syscalls"] / m if m and out.get("syscalls", -1) >= 0 else None
    out["rounds"] = len(results)
    if hist is not None:
        out.update(percentiles_of_hist(hist))
        out["_hist"] = hist
    return out


def write_pooled_cdf(hist, path):
    """Writes a pooled histogram's CDF in tachyon-bench's format."""
    total, seen = sum(hist.values()), 0
    if not total:
        return
    with open(path, "w") as f:
        for v in sorted(hist):
            seen += hist[v]
            f.write(f"{v} {seen / total:.7f}\n")
