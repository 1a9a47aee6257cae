"""The latency CDF of the ping-pong runs, drawn by gnuplot."""

import shutil
import subprocess
from pathlib import Path


def plot(s, res, png):
    """Draws the ping-pong CDFs into `png`; whether it did."""
    series = [("raw", "raw L2 floor (memif)"), ("icmp", "ICMP, tachyon (memif)"), ("udp", "UDP, tachyon (memif)"),
              ("tcp", "TCP, tachyon (memif)"), ("k_veth_tcp", "TCP, kernel veth"),
              ("udp_open", "UDP open loop, tachyon (memif)"), ("tap", "UDP, tachyon io_uring TAP"),
              ("k_veth", "UDP, kernel veth"), ("k_veth_busy", "UDP, kernel veth busy-poll"),
              ("k_lo", "UDP, kernel loopback")]
    have = [(k, t) for k, t in series if (s.out / f"cdf-{k}.txt").exists() and (s.out / f"cdf-{k}.txt").stat().st_size]
    if not have or not shutil.which("gnuplot"):
        return False
    lines = ["set terminal pngcairo size 1100,650 font 'sans,10'" if gnuplot_has("pngcairo") else
             "set terminal png size 1100,650",
             f"set output '{png}'", "set termoption noenhanced", "set logscale x", "set grid", "set key bottom right",
             "set xlabel 'round-trip time (us, log scale)'", "set ylabel 'fraction of messages'",
             "set title 'UDP/ICMP/TCP ping-pong RTT, 64-byte payload: cumulative distribution'",
             "set yrange [0:1.0]"]
    plots = [f"'{s.out / f'cdf-{k}.txt'}' using ($1/1000):2 with steps lw 2 title '{t}'" for k, t in have]
    lines.append("plot " + ", ".join(plots))
    script = s.out / "plot.gp"
    script.write_text("\n".join(lines) + "\n")
    r = subprocess.run(["gnuplot", str(script)], capture_output=True, text=True, timeout=60)
    return r.returncode == 0 and Path(png).exists()


def gnuplot_has(term):
    """Whether gnuplot has the terminal `term`."""
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return term in (r.stdout + r.stderr)
