#pragma once
/// Steady-state accounting for the benchmarks: heap allocations made by the measuring thread
/// (malloc, calloc, realloc, aligned allocations and every operator new, interposed in the
/// tachyon-bench binary) and system calls it enters (a perf counter on the
/// raw_syscalls:sys_enter tracepoint, for this thread only). Both count only between
/// `begin()` and `end()`.

#include <cstdint>
#include <string>

namespace tachyon::bench {

/// True when the allocation hook is compiled in (not under AddressSanitizer, which owns malloc).
bool alloc_hook_available();

/// Counts the calling thread's allocations and system calls over a window.
class steady_counter {
public:
    steady_counter();
    ~steady_counter();
    steady_counter(const steady_counter&) = delete;
    steady_counter& operator=(const steady_counter&) = delete;
    void begin();
    void end();
    /// Allocations in the window (-1: not available).
    int64_t allocations() const { return _allocs; }
    /// System calls entered in the window, the window's own end call subtracted (-1: not available).
    int64_t syscalls() const { return _syscalls; }
    /// Why a count is unavailable (empty when both are).
    const std::string& why_not() const { return _why; }

private:
    int _fd = -1;
    int64_t _allocs = -1;
    int64_t _syscalls = -1;
    int64_t _baseline = 0;
    std::string _why;
};

} // namespace tachyon::bench
