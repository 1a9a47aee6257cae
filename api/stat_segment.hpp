#pragma once
/// A running stack's shared-memory segment (`/dev/shm/tachyon-NAME`, layout in stat_layout.hpp),
/// as the process that owns it holds it: created at start, the stack's counters placed in it,
/// refreshed by the runtime's loop (`stat_publisher`), removed at a clean exit. Control path only.

#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "api/stat_layout.hpp"
#include "stack/core/result.hpp"

namespace tachyon {

/// What a segment says about the process that owns it.
struct stat_identity {
    std::string name;    ///< NAME of /dev/shm/tachyon-NAME
    std::string program; ///< the program
    std::string address; ///< the stack's address/prefix
    std::string device;  ///< the backend and its interface
};

/// True when `name` may name a segment: 1 to 48 of [A-Za-z0-9._-], not starting with a dot.
bool stat_name_valid(std::string_view name);
/// The default NAME: `<program>-<pid>` of this process.
std::string stat_default_name();
/// The start time of process `pid` (/proc/PID/stat field 22, clock ticks after boot), or 0
/// when there is no such process.
uint64_t process_start_time(int64_t pid);
/// True when the process `pid` runs and started at `start` (so the pid was not reused).
bool stat_owner_alive(int64_t pid, uint64_t start);
/// The pid and start time recorded in the segment `name` (its fixed prefix, any layout), or
/// {0, 0} when it cannot be read.
std::pair<int64_t, uint64_t> stat_owner_of(std::string_view name);
/// The path `shm_open` takes for the segment `name`: "/tachyon-NAME".
std::string stat_shm_path(std::string_view name);

/// Opens, writes and finally removes one segment; move-only.
class stat_segment {
public:
    /// Creates `/dev/shm/tachyon-NAME` with room for `table_rows` rows. A segment of that name
    /// whose process is gone is replaced; one whose process runs is an error naming it.
    static result<stat_segment> create(const stat_identity& id, size_t table_rows);
    /// An empty handle (no segment).
    stat_segment() = default;
    stat_segment(stat_segment&& o) noexcept;
    stat_segment& operator=(stat_segment&& o) noexcept;
    stat_segment(const stat_segment&) = delete;
    stat_segment& operator=(const stat_segment&) = delete;
    /// Removes the segment's name (if still there) and unmaps it.
    ~stat_segment();

    /// True when a segment is held.
    explicit operator bool() const { return _base != nullptr; }
    /// The segment's NAME.
    const std::string& name() const { return _name; }
    /// The header.
    stat_header& header() const { return *static_cast<stat_header*>(_base); }
    /// Where the stack's counters live (give it to `stack::create`).
    stack_stats* counters() const;
    /// The cold counters (written under the seqlock).
    stat_cold& cold() const;
    /// The connection table's rows (written under the seqlock).
    std::span<stat_connection> table() const;
    /// Removes the name from /dev/shm now; the mapping stays usable until destruction.
    void unlink();

private:
    void release();
    void* _base = nullptr;
    size_t _size = 0;
    std::string _name;
    bool _linked = false;
};

/// Starts a seqlock write (the sequence becomes odd).
inline void stat_write_begin(stat_header& h) {
    h.seq.store(h.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
}

/// Ends a seqlock write (the sequence becomes even again: the data is consistent).
inline void stat_write_end(stat_header& h) {
    h.seq.store(h.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

} // namespace tachyon
