#include "api/stat_segment.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <new>
#include <sstream>
#include <utility>

namespace tachyon {

namespace {

std::string os_error(const char* what, std::string_view name) {
    return std::string(what) + " /dev/shm/" + std::string(stat_prefix) + std::string(name) + ": " +
           std::strerror(errno);
}

void copy_text(char* dst, size_t cap, std::string_view src) {
    const size_t n = std::min(cap - 1, src.size());
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

} // namespace

std::string stat_shm_path(std::string_view name) { return "/" + std::string(stat_prefix) + std::string(name); }

std::pair<int64_t, uint64_t> stat_owner_of(std::string_view name) {
    const int fd = ::shm_open(stat_shm_path(name).c_str(), O_RDONLY, 0);
    if (fd < 0) return {0, 0};
    unsigned char prefix[40] = {};
    const ssize_t n = ::pread(fd, prefix, sizeof prefix, 0);
    ::close(fd);
    if (n != ssize_t(sizeof prefix)) return {0, 0};
    int64_t pid = 0;
    uint64_t start = 0;
    std::memcpy(&pid, prefix + offsetof(stat_header, pid), sizeof pid);
    std::memcpy(&start, prefix + offsetof(stat_header, pid_start), sizeof start);
    return {pid, start};
}

bool stat_owner_alive(int64_t pid, uint64_t start) {
    const uint64_t now = process_start_time(pid);
    return now != 0 && now == start;
}

uint64_t stat_layout_hash() {
    uint64_t h = 0xcbf29ce484222325ull; // FNV-1a, 64 bits
    const auto mix = [&h](std::string_view s) {
        for (char c : s) {
            h ^= uint8_t(c);
            h *= 0x100000001b3ull;
        }
        h ^= 0xff; // a separator, so that "ab"+"c" differs from "a"+"bc"
        h *= 0x100000001b3ull;
    };
    const stack_stats s{};
    const stat_cold c{};
    visit_stat_counters(s, c, [&](std::string_view section, std::string_view name, uint64_t) {
        mix(section);
        mix(name);
    });
    for (size_t size : {sizeof(stat_header), sizeof(stack_stats), sizeof(stat_cold), sizeof(stat_connection),
                        stat_table_offset})
        mix(std::to_string(size));
    return h;
}

bool stat_name_valid(std::string_view name) {
    if (name.empty() || name.size() > 48 || name.front() == '.') return false;
    for (char c : name)
        if (!(std::isalnum(uint8_t(c)) || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

std::string stat_default_name() {
    std::string program = "tachyon";
    std::ifstream comm("/proc/self/comm");
    std::getline(comm, program);
    std::string name;
    for (char c : program) name += stat_name_valid(std::string_view(&c, 1)) ? c : '_';
    return name.substr(0, 40) + "-" + std::to_string(::getpid());
}

uint64_t process_start_time(int64_t pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return 0;
    // proc(5): "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the
    // fields are counted after the last ')'; starttime is field 22, the 20th after it.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    for (int i = 0; i < 20 && fields >> field; ++i) {
    }
    return fields ? std::strtoull(field.c_str(), nullptr, 10) : 0;
}

result<stat_segment> stat_segment::create(const stat_identity& id, size_t table_rows) {
    if (!stat_name_valid(id.name))
        return make_error(errc::invalid_argument, "--name " + id.name +
                                                      ": 1 to 48 letters, digits, '.', '_' or '-' (not starting with '.')");
    const size_t size = stat_segment_bytes(table_rows);
    int fd = ::shm_open(stat_shm_path(id.name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0644);
    if (fd < 0 && errno == EEXIST) {
        // A killed stack leaves its segment behind: take the name over only from a dead owner.
        const auto [pid, start] = stat_owner_of(id.name);
        if (stat_owner_alive(pid, start))
            return make_error(errc::in_use, "--name " + id.name + ": a running process (pid " + std::to_string(pid) +
                                                ") owns /dev/shm/tachyon-" + id.name + ": choose another name");
        ::shm_unlink(stat_shm_path(id.name).c_str());
        fd = ::shm_open(stat_shm_path(id.name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0644);
    }
    if (fd < 0) return make_error(errc::system, os_error("cannot create", id.name));
    // Reserve the pages now (a full /dev/shm is an error here, not a SIGBUS on the hot path).
    if (const int e = ::posix_fallocate(fd, 0, off_t(size)); e != 0) {
        errno = e;
        std::string message = os_error("cannot size", id.name);
        ::close(fd);
        ::shm_unlink(stat_shm_path(id.name).c_str());
        return make_error(errc::system, message);
    }
    // MAP_POPULATE: every page is mapped now, so the first increment of a counter takes no fault.
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED) {
        std::string message = os_error("cannot map", id.name);
        ::shm_unlink(stat_shm_path(id.name).c_str());
        return make_error(errc::system, message);
    }
    stat_segment seg;
    seg._base = base;
    seg._size = size;
    seg._name = id.name;
    seg._linked = true;
    auto* h = new (base) stat_header{};
    h->layout = stat_layout_hash();
    h->size = size;
    h->pid = ::getpid();
    h->pid_start = process_start_time(h->pid);
    timespec wall{};
    ::clock_gettime(CLOCK_REALTIME, &wall);
    h->start_unix_ns = int64_t(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec;
    h->table_capacity = uint32_t(table_rows);
    copy_text(h->name, sizeof h->name, id.name);
    copy_text(h->program, sizeof h->program, id.program);
    copy_text(h->address, sizeof h->address, id.address);
    copy_text(h->device, sizeof h->device, id.device);
    new (seg.counters()) stack_stats{};
    new (&seg.cold()) stat_cold{};
    for (auto& row : seg.table()) new (&row) stat_connection{};
    h->magic.store(stat_magic, std::memory_order_release); // complete: readers may take it
    return seg;
}

stat_segment::stat_segment(stat_segment&& o) noexcept { *this = std::move(o); }

stat_segment& stat_segment::operator=(stat_segment&& o) noexcept {
    if (this != &o) {
        release();
        _base = std::exchange(o._base, nullptr);
        _size = std::exchange(o._size, 0);
        _name = std::move(o._name);
        _linked = std::exchange(o._linked, false);
    }
    return *this;
}

stat_segment::~stat_segment() { release(); }

void stat_segment::release() {
    unlink();
    if (_base != nullptr) ::munmap(_base, _size);
    _base = nullptr;
}

void stat_segment::unlink() {
    if (_linked) ::shm_unlink(stat_shm_path(_name).c_str());
    _linked = false;
}

stack_stats* stat_segment::counters() const {
    return reinterpret_cast<stack_stats*>(static_cast<std::byte*>(_base) + stat_counters_offset);
}

stat_cold& stat_segment::cold() const {
    return *reinterpret_cast<stat_cold*>(static_cast<std::byte*>(_base) + stat_cold_offset);
}

std::span<stat_connection> stat_segment::table() const {
    return {reinterpret_cast<stat_connection*>(static_cast<std::byte*>(_base) + stat_table_offset),
            header().table_capacity};
}

} // namespace tachyon
