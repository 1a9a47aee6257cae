/// jitter and selftest-counters: checks of the machine and of the harness, not of the stack.

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

/// The machine's own noise: a busy loop reading the clock on this core; every gap between two
/// reads is a time the core was taken away (preemption, interrupts, the hypervisor).
int jitter(const bench_options& o) {
    histogram gaps;
    const int64_t start = now_ns(), end = start + int64_t(o.seconds * 1e9);
    int64_t prev = start, lost = 0, stalls = 0;
    for (;;) {
        const int64_t t = now_ns();
        const int64_t g = t - prev;
        if (g > 10'000) {
            gaps.record(g);
            lost += g;
            ++stalls;
        }
        prev = t;
        if (t >= end) break;
    }
    const double secs = double(prev - start) / 1e9;
    std::fprintf(
        stderr, "jitter: %lld stalls over 10 us in %.2f s, %.2f%% of the time lost, longest %.0f us\n",
        (long long)stalls, secs, 100.0 * double(lost) / double(prev - start), double(gaps.max()) / 1e3);
    report r;
    r.field("mode", std::string("jitter"));
    r.field("seconds", secs);
    r.field("stalls", double(stalls));
    r.field("lost_fraction", double(lost) / double(prev - start));
    r.latency(gaps);
    r.print();
    return 0;
}

/// Proves the counters count: 100 getppid() system calls and 10 mallocs inside a window.
int selftest_counters(const bench_options&) {
    steady_counter c;
    c.begin();
    for (int i = 0; i < 100; ++i) (void)::syscall(SYS_getppid);
    for (int i = 0; i < 10; ++i) {
        void* volatile p = std::malloc(64);
        std::free(p);
    }
    c.end();
    report r;
    r.field("mode", std::string("selftest-counters"));
    r.field("expected_syscalls", 100);
    r.field("expected_allocations", 10);
    r.counts(c, 1);
    r.print();
    return 0;
}

} // namespace tachyon::bench
