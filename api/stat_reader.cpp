#include "api/stat_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>
#include <utility>

#include "stack/core/clock.hpp"

namespace tachyon {

namespace {

// Copies `bytes` (a multiple of 8) that another process writes: one relaxed 8-byte load per
// word, so each counter is whole (never torn) even if the set is not taken at one instant.
void load_words(void* dst, const void* src, size_t bytes) {
    auto* out = static_cast<std::byte*>(dst);
    const auto* in = static_cast<const uint64_t*>(src);
    for (size_t i = 0; i < bytes / 8; ++i) {
        const uint64_t w = __atomic_load_n(in + i, __ATOMIC_RELAXED);
        std::memcpy(out + i * 8, &w, 8);
    }
}

template <class T>
T load_field(const T& field) {
    return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

int64_t now_ns() { return monotonic_clock::now().ns_since_epoch(); }

// A mapping of a segment's file: the whole file, read-only, or read-write when allowed.
struct mapping {
    void* base = nullptr;
    size_t size = 0;
    bool writable = false;
};

result<mapping> map_segment(std::string_view name, bool want_write) {
    const std::string path = stat_shm_path(name);
    int fd = want_write ? ::shm_open(path.c_str(), O_RDWR, 0) : -1;
    const bool writable = fd >= 0;
    if (fd < 0) fd = ::shm_open(path.c_str(), O_RDONLY, 0);
    if (fd < 0)
        return make_error(errno == ENOENT ? errc::not_found : errc::system,
                          "/dev/shm/" + std::string(stat_prefix) + std::string(name) + ": " + std::strerror(errno) +
                              (errno == ENOENT ? " (tachyon-stat with no argument lists the running stacks)" : ""));
    struct stat st{};
    ::fstat(fd, &st);
    if (size_t(st.st_size) < stat_header_bytes) {
        ::close(fd);
        return make_error(errc::invalid_argument, "/dev/shm/" + std::string(stat_prefix) + std::string(name) +
                                                      ": too short for a tachyon segment (incomplete)");
    }
    void* base = ::mmap(nullptr, size_t(st.st_size), writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED)
        return make_error(errc::system, "cannot map /dev/shm/" + std::string(stat_prefix) + std::string(name) + ": " +
                                            std::strerror(errno));
    return mapping{base, size_t(st.st_size), writable};
}

stat_liveness classify(const stat_header& h, size_t file_size, bool alive) {
    if (h.magic.load(std::memory_order_acquire) != stat_magic) return stat_liveness::incomplete;
    if (h.layout != stat_layout_hash() || h.size != file_size ||
        h.size != stat_segment_bytes(h.table_capacity))
        return stat_liveness::foreign;
    return alive ? stat_liveness::running : stat_liveness::stale;
}

std::string text(const char* field, size_t cap) { return std::string(field, strnlen(field, cap)); }

} // namespace

const char* to_string(stat_liveness l) {
    switch (l) {
    case stat_liveness::running: return "running";
    case stat_liveness::stale: return "stale";
    case stat_liveness::incomplete: return "incomplete";
    case stat_liveness::foreign: return "other-build";
    }
    return "?";
}

std::vector<stat_entry> stat_list() {
    std::vector<stat_entry> out;
    DIR* dir = ::opendir("/dev/shm");
    if (dir == nullptr) return out;
    while (const dirent* d = ::readdir(dir)) {
        const std::string_view file = d->d_name;
        if (!file.starts_with(stat_prefix) || file.size() == stat_prefix.size()) continue;
        stat_entry e;
        e.name = std::string(file.substr(stat_prefix.size()));
        const auto [pid, start] = stat_owner_of(e.name);
        e.pid = pid;
        e.alive = stat_owner_alive(pid, start);
        if (auto m = map_segment(e.name, false)) {
            const auto& h = *static_cast<const stat_header*>(m.value().base);
            e.liveness = classify(h, m.value().size, e.alive);
            if (e.liveness == stat_liveness::running || e.liveness == stat_liveness::stale) {
                e.program = text(h.program, sizeof h.program);
                e.address = text(h.address, sizeof h.address);
                e.device = text(h.device, sizeof h.device);
                e.start_unix_ns = h.start_unix_ns;
                const int64_t beat = h.heartbeat_ns.load(std::memory_order_relaxed);
                if (beat != 0) e.heartbeat_age = duration::ns(now_ns() - beat);
            }
            ::munmap(m.value().base, m.value().size);
        }
        out.push_back(std::move(e));
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end(), [](const stat_entry& a, const stat_entry& b) { return a.name < b.name; });
    return out;
}

result<void> stat_remove_stale(std::string_view name) {
    const std::string path = "/dev/shm/" + std::string(stat_prefix) + std::string(name);
    struct stat st{};
    if (!stat_name_valid(name) || ::stat(path.c_str(), &st) != 0)
        return make_error(errc::not_found, path + ": no such segment");
    const auto [pid, start] = stat_owner_of(name);
    if (stat_owner_alive(pid, start))
        return make_error(errc::in_use, path + ": its process runs (pid " + std::to_string(pid) + "): not removed");
    // A segment with no owner recorded yet may be one being created this instant: leave a young one.
    if (pid == 0 && std::time(nullptr) - st.st_mtime < 5)
        return make_error(errc::in_use, path + ": being created (no owner yet): not removed");
    if (::shm_unlink(stat_shm_path(name).c_str()) != 0)
        return make_error(errc::system, "cannot remove " + path + ": " + std::strerror(errno));
    return {};
}

result<stat_reader> stat_reader::open(std::string_view name) {
    auto m = map_segment(name, true);
    if (!m) return m.err();
    stat_reader r;
    r._base = m.value().base;
    r._size = m.value().size;
    r._writable = m.value().writable;
    const stat_header& h = r.header();
    const auto [pid, start] = stat_owner_of(name);
    switch (classify(h, r._size, stat_owner_alive(pid, start))) {
    case stat_liveness::incomplete:
        return make_error(errc::invalid_argument, "/dev/shm/tachyon-" + std::string(name) +
                                                      ": not a complete tachyon segment (no magic): still starting, "
                                                      "or left by a process killed at start (--gc removes it)");
    case stat_liveness::foreign: {
        char theirs[20], ours[20];
        std::snprintf(theirs, sizeof theirs, "%016llx", static_cast<unsigned long long>(h.layout));
        std::snprintf(ours, sizeof ours, "%016llx", static_cast<unsigned long long>(stat_layout_hash()));
        return make_error(errc::invalid_argument,
                          "/dev/shm/tachyon-" + std::string(name) + ": written by another build of tachyon (layout " +
                              theirs + ", this tachyon-stat reads " + ours + ", pid " + std::to_string(pid) +
                              "): refused; use the tachyon-stat built with that program");
    }
    default: break;
    }
    return r;
}

stat_reader::stat_reader(stat_reader&& o) noexcept { *this = std::move(o); }

stat_reader& stat_reader::operator=(stat_reader&& o) noexcept {
    if (this != &o) {
        if (_base != nullptr) ::munmap(_base, _size);
        _base = std::exchange(o._base, nullptr);
        _size = std::exchange(o._size, 0);
        _writable = o._writable;
    }
    return *this;
}

stat_reader::~stat_reader() {
    if (_base != nullptr) ::munmap(_base, _size);
}

stat_liveness stat_reader::liveness() const {
    const stat_header& h = header();
    return stat_owner_alive(h.pid, h.pid_start) ? stat_liveness::running : stat_liveness::stale;
}

stat_snapshot stat_reader::snapshot(bool fresh_table, duration wait) const {
    const stat_header& h = header();
    const auto* bytes = static_cast<const std::byte*>(_base);
    if (fresh_table && _writable && liveness() == stat_liveness::running) {
        // The loop publishes the table when `request` moved past `served` (checked each ms).
        auto& request = const_cast<stat_header&>(h).request;
        const uint64_t want = request.fetch_add(1, std::memory_order_relaxed) + 1;
        const int64_t until = now_ns() + wait.count_ns();
        while (load_field(h.served) < want && now_ns() < until)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    stat_snapshot s;
    load_words(&s.counters, bytes + stat_counters_offset, sizeof s.counters);
    s.rows.resize(h.table_capacity);
    // Seqlock read: retry while a write is under way or happened during the copy. A writer
    // killed inside a write leaves the sequence odd for good: after a bound, take what is there.
    const int64_t give_up = now_ns() + duration::ms(100).count_ns();
    for (;;) {
        const uint64_t before = h.seq.load(std::memory_order_acquire);
        uint32_t rows = 0;
        if ((before & 1) == 0 || now_ns() > give_up) {
            load_words(&s.cold, bytes + stat_cold_offset, sizeof s.cold);
            rows = std::min(load_field(h.table_rows), h.table_capacity);
            load_words(s.rows.data(), bytes + stat_table_offset, rows * sizeof(stat_connection));
            s.table_ns = load_field(h.table_ns);
            std::atomic_thread_fence(std::memory_order_acquire);
            const uint64_t after = h.seq.load(std::memory_order_relaxed);
            s.consistent = before == after && (before & 1) == 0;
            if (s.consistent || now_ns() > give_up) {
                s.rows.resize(rows);
                break;
            }
        }
        std::this_thread::yield();
    }
    s.heartbeat_ns = h.heartbeat_ns.load(std::memory_order_relaxed);
    s.taken_ns = now_ns();
    return s;
}

} // namespace tachyon
