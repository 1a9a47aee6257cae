/// The allocation hook and the system-call counter behind `steady_counter` (see hooks.hpp).
///
/// Allocations: malloc and friends and every form of operator new are defined here, in the
/// executable, so every call in the process comes here first (the dynamic linker resolves the
/// executable's symbols before libc's); each forwards to glibc's `__libc_*` and, when the
/// calling thread is inside a window, counts one. DPDK's own heap (rte_malloc, mempools) is not
/// libc's and is not counted: it is never touched per packet either.
///
/// System calls: perf_event_open on the raw_syscalls:sys_enter tracepoint for the calling
/// thread (pid 0, any CPU, not inherited), enabled and disabled around the window. It counts
/// every system call the thread enters, vDSO clock reads excluded (they are not system calls).
/// Needs tracefs (for the tracepoint id) and root or perf_event_paranoid <= 1 for tracepoints.

#include "tools/bench/hooks.hpp"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define TACHYON_BENCH_ALLOC_HOOK 0
#else
#define TACHYON_BENCH_ALLOC_HOOK 1
#endif

namespace {
thread_local bool t_counting = false;
thread_local int64_t t_allocs = 0;
inline void note() {
    if (t_counting) ++t_allocs;
}
} // namespace

#if TACHYON_BENCH_ALLOC_HOOK
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

void* malloc(size_t n) {
    note();
    return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
    note();
    return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
    note();
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t al, size_t n) {
    note();
    return __libc_memalign(al, n);
}
void* aligned_alloc(size_t al, size_t n) {
    note();
    return __libc_memalign(al, n);
}
int posix_memalign(void** out, size_t al, size_t n) {
    note();
    void* p = __libc_memalign(al, n);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
} // extern "C"

namespace {
void* new_impl(size_t n) {
    note();
    void* p = __libc_malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
void* new_aligned(size_t n, std::align_val_t al) {
    note();
    void* p = __libc_memalign(size_t(al), n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
} // namespace

void* operator new(size_t n) { return new_impl(n); }
void* operator new[](size_t n) { return new_impl(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
    note();
    return __libc_malloc(n == 0 ? 1 : n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
    note();
    return __libc_malloc(n == 0 ? 1 : n);
}
void* operator new(size_t n, std::align_val_t al) { return new_aligned(n, al); }
void* operator new[](size_t n, std::align_val_t al) { return new_aligned(n, al); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }
#endif

namespace tachyon::bench {

bool alloc_hook_available() { return TACHYON_BENCH_ALLOC_HOOK != 0; }

namespace {
int tracepoint_id(std::string& why) {
    // `ip netns exec` remounts /sys without tracefs: the driver passes the id it read outside.
    if (const char* env = std::getenv("TACHYON_BENCH_SYSCALL_TP_ID"); env != nullptr && *env != 0) return std::atoi(env);
    for (const char* path : {"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
                             "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"}) {
        if (std::FILE* f = std::fopen(path, "r")) {
            int id = -1;
            if (std::fscanf(f, "%d", &id) != 1) id = -1;
            std::fclose(f);
            if (id >= 0) return id;
        }
    }
    why = "no raw_syscalls:sys_enter tracepoint (tracefs not mounted?)";
    return -1;
}
} // namespace

steady_counter::steady_counter() {
    const int id = tracepoint_id(_why);
    if (id < 0) return;
    perf_event_attr attr{};
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof attr;
    attr.config = uint64_t(id);
    attr.disabled = 1;
    attr.sample_period = 0;
    _fd = int(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    if (_fd < 0) {
        _why = std::string("perf_event_open(raw_syscalls:sys_enter): ") + std::strerror(errno);
        return;
    }
    // The window's own disable ioctl is counted: measure an empty window to subtract it.
    begin();
    end();
    _baseline = _syscalls;
    _syscalls = -1;
}

steady_counter::~steady_counter() {
    if (_fd >= 0) ::close(_fd);
}

void steady_counter::begin() {
    t_allocs = 0;
    if (_fd >= 0) {
        ::ioctl(_fd, PERF_EVENT_IOC_RESET, 0);
        ::ioctl(_fd, PERF_EVENT_IOC_ENABLE, 0);
    }
    t_counting = alloc_hook_available();
}

void steady_counter::end() {
    t_counting = false;
    _allocs = alloc_hook_available() ? t_allocs : -1;
    if (_fd >= 0) {
        ::ioctl(_fd, PERF_EVENT_IOC_DISABLE, 0);
        uint64_t v = 0;
        if (::read(_fd, &v, sizeof v) == sizeof v) _syscalls = int64_t(v) - _baseline;
    }
}

} // namespace tachyon::bench
