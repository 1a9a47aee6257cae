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
/// Needs the tracepoint's id, from tracefs: when it is not mounted (a fresh VM, or inside
/// `ip netns exec`, which remounts /sys), a child process mounts it in a mount namespace of its
/// own and reads the id (root only); and root or perf_event_paranoid <= 1 for tracepoints.
/// The same event samples every system call (period 1) into a small ring with its number and
/// the user-space call chain, read after the window: a stray call is named, not just counted.

#include "tools/bench/hooks.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
/// The tracepoint's id read from a tracefs mounted by a child process in a mount namespace of
/// its own (root, or CAP_SYS_ADMIN): the host's mounts stay as they are, and the id is the
/// kernel's, valid everywhere. -1 (and why) when that cannot be done. Once per process.
int tracepoint_id_private_mount(std::string& why) {
    static int cached = -2;
    static std::string cached_why;
    if (cached != -2) {
        why = cached_why;
        return cached;
    }
    int fds[2];
    if (::pipe(fds) != 0) {
        why = cached_why = std::string("pipe: ") + std::strerror(errno);
        return cached = -1;
    }
    const pid_t child = ::fork();
    if (child == 0) {
        // Only system calls from here on: this may be a copy of a multi-threaded process.
        int id = -1, err = 0;
        char dir[] = "/tmp/tachyon-tracefs-XXXXXX";
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mkdtemp(dir) == nullptr) {
            err = errno;
        } else {
            if (::mount("nodev", dir, "tracefs", 0, nullptr) != 0) {
                err = errno;
            } else {
                char path[96], buf[32] = {};
                std::snprintf(path, sizeof path, "%s/events/raw_syscalls/sys_enter/id", dir);
                const int f = ::open(path, O_RDONLY);
                const ssize_t n = f >= 0 ? ::read(f, buf, sizeof buf - 1) : -1;
                if (n > 0) id = std::atoi(buf);
                err = n > 0 ? 0 : ENOENT;
                if (f >= 0) ::close(f);
                ::umount(dir);
            }
            ::rmdir(dir);
        }
        const int msg[2] = {id, err};
        (void)!::write(fds[1], msg, sizeof msg);
        ::_exit(0);
    }
    ::close(fds[1]);
    int msg[2] = {-1, 0};
    if (child < 0 || ::read(fds[0], msg, sizeof msg) != sizeof msg) {
        msg[0] = -1;
        msg[1] = child < 0 ? errno : EIO;
    }
    ::close(fds[0]);
    if (child > 0) ::waitpid(child, nullptr, 0);
    cached = msg[0];
    if (cached < 0) cached_why = std::string("mounting tracefs in a private mount namespace: ") + std::strerror(msg[1]);
    why = cached_why;
    return cached;
}

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
    if (const int id = tracepoint_id_private_mount(why); id >= 0) return id;
    why = "no raw_syscalls:sys_enter tracepoint id: tracefs is not mounted and could not be mounted (" + why +
          "; mount it: mount -t tracefs nodev /sys/kernel/tracing)";
    return -1;
}

const char* syscall_name(long nr) {
    switch (nr) {
    case SYS_read: return "read";
    case SYS_write: return "write";
    case SYS_close: return "close";
    case SYS_poll: return "poll";
    case SYS_mmap: return "mmap";
    case SYS_munmap: return "munmap";
    case SYS_rt_sigaction: return "rt_sigaction";
    case SYS_rt_sigprocmask: return "rt_sigprocmask";
    case SYS_rt_sigreturn: return "rt_sigreturn";
    case SYS_ioctl: return "ioctl";
    case SYS_sched_yield: return "sched_yield";
    case SYS_madvise: return "madvise";
    case SYS_nanosleep: return "nanosleep";
    case SYS_getpid: return "getpid";
    case SYS_getppid: return "getppid";
    case SYS_sendmsg: return "sendmsg";
    case SYS_recvmsg: return "recvmsg";
    case SYS_gettid: return "gettid";
    case SYS_futex: return "futex";
    case SYS_clock_gettime: return "clock_gettime";
    case SYS_clock_nanosleep: return "clock_nanosleep";
    case SYS_epoll_wait: return "epoll_wait";
    case SYS_openat: return "openat";
    case SYS_tgkill: return "tgkill";
    case SYS_brk: return "brk";
    case SYS_mprotect: return "mprotect";
    default: return nullptr;
    }
}

/// "module+0xOFFSET" (or "symbol+0xOFFSET") for a user-space address.
std::string frame_name(uint64_t ip) {
    char b[160];
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(ip), &info) != 0 && info.dli_fname != nullptr) {
        if (info.dli_sname != nullptr && info.dli_saddr != nullptr) {
            std::snprintf(b, sizeof b, "%s+0x%llx", info.dli_sname,
                          (unsigned long long)(ip - reinterpret_cast<uint64_t>(info.dli_saddr)));
        } else {
            const char* base = std::strrchr(info.dli_fname, '/');
            std::snprintf(b, sizeof b, "%s+0x%llx", base != nullptr ? base + 1 : info.dli_fname,
                          (unsigned long long)(ip - reinterpret_cast<uint64_t>(info.dli_fbase)));
        }
    } else {
        std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)ip);
    }
    return b;
}

constexpr size_t ring_pages = 16; // data pages (a power of two), plus one for the header
} // namespace

steady_counter::steady_counter() {
    const int id = tracepoint_id(_why);
    if (id < 0) return;
    perf_event_attr attr{};
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.size = sizeof attr;
    attr.config = uint64_t(id);
    attr.disabled = 1;
    attr.sample_period = 1;
    attr.sample_type = PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW;
    attr.exclude_callchain_kernel = 1;
    attr.wakeup_events = 1u << 30; // never wakes anyone: the ring is read after the window
    _fd = int(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    if (_fd < 0) {
        _why = std::string("perf_event_open(raw_syscalls:sys_enter): ") + std::strerror(errno);
        return;
    }
    const size_t page = size_t(::sysconf(_SC_PAGESIZE));
    _ring_len = (ring_pages + 1) * page;
    _ring = ::mmap(nullptr, _ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, _fd, 0);
    if (_ring == MAP_FAILED) _ring = nullptr; // counting still works; the samples are not named
    // The window's own disable ioctl is counted: measure an empty window to subtract it.
    begin();
    end();
    _baseline = _syscalls;
    _syscalls = -1;
}

steady_counter::~steady_counter() {
    if (_ring != nullptr) ::munmap(_ring, _ring_len);
    if (_fd >= 0) ::close(_fd);
}

void steady_counter::read_samples() {
    _samples.clear();
    if (_ring == nullptr) return;
    auto* meta = static_cast<perf_event_mmap_page*>(_ring);
    const auto* data = static_cast<const uint8_t*>(_ring) + meta->data_offset;
    const uint64_t size = meta->data_size;
    const uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = meta->data_tail;
    std::vector<uint8_t> rec;
    while (tail < head) {
        perf_event_header h{};
        for (size_t i = 0; i < sizeof h; ++i) reinterpret_cast<uint8_t*>(&h)[i] = data[(tail + i) % size];
        if (h.size < sizeof h) break;
        rec.resize(h.size);
        for (size_t i = 0; i < h.size; ++i) rec[i] = data[(tail + i) % size];
        tail += h.size;
        if (h.type != PERF_RECORD_SAMPLE || _samples.size() >= 16) continue;
        // { header; u64 nr; u64 ips[nr]; u32 size; char raw[size] }; raw: 8 bytes of common
        // fields, then the system call number (raw_syscalls/sys_enter/format).
        size_t off = sizeof h;
        uint64_t nr = 0;
        std::memcpy(&nr, &rec[off], 8);
        off += 8;
        std::string chain;
        for (uint64_t i = 0; i < nr && off + 8 <= rec.size(); ++i, off += 8) {
            uint64_t ip = 0;
            std::memcpy(&ip, &rec[off], 8);
            if (ip >= uint64_t(PERF_CONTEXT_MAX)) continue; // a context marker
            if (chain.size() > 900) continue;
            chain += " <- " + frame_name(chain.empty() ? ip : ip - 1);
        }
        long id = -1;
        uint64_t args[3] = {};
        if (off + 4 + 16 + 24 <= rec.size()) {
            std::memcpy(&id, &rec[off + 4 + 8], 8);
            std::memcpy(args, &rec[off + 4 + 16], 24);
        }
        const char* name = syscall_name(id);
        char b[96];
        std::snprintf(b, sizeof b, "(0x%llx, 0x%llx, 0x%llx)", (unsigned long long)args[0], (unsigned long long)args[1],
                      (unsigned long long)args[2]);
        std::string s = name != nullptr ? name : "syscall " + std::to_string(id);
        _samples.push_back(s + b + chain);
    }
    __atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
    // The last one is the window's own disabling ioctl.
    if (!_samples.empty() && _samples.back().rfind("ioctl", 0) == 0) _samples.pop_back();
}

void steady_counter::begin() {
    t_allocs = 0;
    if (_ring != nullptr) {
        // Forget what earlier windows left in the ring.
        auto* meta = static_cast<perf_event_mmap_page*>(_ring);
        __atomic_store_n(&meta->data_tail, __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
    }
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
        read_samples();
    }
}

} // namespace tachyon::bench
