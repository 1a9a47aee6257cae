"""The modules of tools/bench/run, the benchmark driver (`run` is the entry point; main.py parses
its command line and runs the steps):

    common.py           constants, the failure type, reading a tachyon-bench result line
    session.py          what a run creates (namespaces, processes, DPDK prefixes) and removes again
    dpdk.py             the DPDK memif runs: two tachyon-bench processes per measurement
    callgrind.py        the memory-link runs, instructions per echo (tachyon, lwIP) and per ITCH order
    kernel.py           sockperf over a veth and loopback, and the io_uring TAP fallback
    fmt.py              number formatting and verdicts shared by the report
    plot.py             the latency CDF drawn by gnuplot
    report.py           docs/BENCHMARKS.md: the header, the targets table and the order of sections
    report_sections.py  the report's measurement sections
    report_notes.py     the report's explanations of what misses its target
"""
