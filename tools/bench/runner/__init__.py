"""The modules of tools/bench/run, the benchmark driver (`run` is the entry point; main.py parses
its command line and runs the steps):

    common.py           constants, the failure type, reading a tachyon-bench result line
    session.py          what a run creates (namespaces, processes, DPDK prefixes) and removes again
    dpdk.py             the DPDK memif runs: two tachyon-bench processes per measurement
    rounds.py           the interleaved latency rounds (floor, stack, kernel) and their pooling
    callgrind.py        the memory-link runs, instructions per echo (tachyon, lwIP) and per ITCH order
    gate.py             tools/bench/gate: the CI gate, each metric against tools/bench/budgets
    kernel.py           sockperf over a veth and loopback, and the io_uring TAP fallback
    fmt.py              number formatting and verdicts shared by the report
    plot.py             the latency CDF drawn by gnuplot
    report.py           docs/BENCHMARKS.md: the header, the targets table and the order of sections
    report_sections.py  the report's measurement sections
    report_notes.py     the report's explanations of what misses its target
"""
