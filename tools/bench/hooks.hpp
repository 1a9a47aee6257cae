#pragma once
/// Steady-state accounting for the benchmarks: heap allocations made by the measuring thread
/// (malloc, calloc, realloc, aligned allocations and every operator new, interposed in the
/// tachyon-bench binary) and system calls it enters (a perf counter on the
/// raw_syscalls:sys_enter tracepoint, for this thread only). Both count only between
/// `begin()` and `end()`. Every system call in a window is also sampled (its number and the
/// user-space call chain), so that a stray one can be named (`syscall_samples()`).

#include <cstdint>
#include <string>
#include <vector>

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
    /// The system calls of the last window (at most 16), each "NAME <- frame <- frame ...",
    /// the frames as module+offset (or symbol+offset when the module exports it); the
    /// window's own closing ioctl is left out.
    const std::vector<std::string>& syscall_samples() const { return _samples; }

private:
    void read_samples();
    int _fd = -1;
    void* _ring = nullptr;
    size_t _ring_len = 0;
    std::vector<std::string> _samples;
    int64_t _allocs = -1;
    int64_t _syscalls = -1;
    int64_t _baseline = 0;
    std::string _why;
};

} // namespace tachyon::bench
