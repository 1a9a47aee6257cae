#pragma once
/// Reading the segments of running stacks from another process (`tachyon-stat`): listing
/// /dev/shm/tachyon-*, telling a live stack from a stale segment (its process is gone), refusing
/// a segment of another layout, consistent snapshots under the seqlock, and removing stale ones.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/stat_segment.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"

namespace tachyon {

/// What a segment under /dev/shm is.
enum class stat_liveness : uint8_t {
    running,    ///< its process runs
    stale,      ///< its process is gone (killed, or the pid was reused): `--gc` removes it
    incomplete, ///< not (yet) a complete segment: no magic, or too short
    foreign,    ///< written by another build (another layout): not readable by this one
};

/// The name of a liveness.
const char* to_string(stat_liveness l);

/// One segment found under /dev/shm.
struct stat_entry {
    std::string name;                              ///< NAME of /dev/shm/tachyon-NAME
    stat_liveness liveness = stat_liveness::incomplete; ///< see `stat_liveness`
    bool alive = false;                            ///< the owner process runs (whatever the layout)
    int64_t pid = 0;                               ///< the owner's pid (0: unknown)
    std::string program;                           ///< the owner's program (readable segments)
    std::string address;                           ///< the stack's address (readable segments)
    std::string device;                            ///< backend and interface (readable segments)
    int64_t start_unix_ns = 0;                     ///< when the stack started (readable segments)
    std::optional<duration> heartbeat_age;         ///< since the loop's last refresh (readable, refreshed segments)
};

/// Every /dev/shm/tachyon-* segment, by name.
std::vector<stat_entry> stat_list();

/// Removes the segment `name` when its process is gone (or it is incomplete and ownerless);
/// an error when its process runs or there is no such segment.
result<void> stat_remove_stale(std::string_view name);

/// A consistent copy of what a segment holds.
struct stat_snapshot {
    stack_stats counters;              ///< the stack's counters (each exact as of its own load)
    stat_cold cold;                    ///< the device's, ARP cache's and IGMP host's
    std::vector<stat_connection> rows; ///< the connection table
    int64_t table_ns = 0;              ///< CLOCK_MONOTONIC when the table was published (0: never)
    int64_t heartbeat_ns = 0;          ///< CLOCK_MONOTONIC of the latest refresh (0: none)
    int64_t taken_ns = 0;              ///< CLOCK_MONOTONIC when this copy was taken
    bool consistent = true;            ///< false: the writer died inside a write (the table may be torn)
};

/// One segment, mapped for reading.
class stat_reader {
public:
    /// Maps `/dev/shm/tachyon-NAME`; refuses a segment that is incomplete or of another layout
    /// (the message says which build wrote it and what to do).
    static result<stat_reader> open(std::string_view name);
    stat_reader(stat_reader&& o) noexcept;
    stat_reader& operator=(stat_reader&& o) noexcept;
    stat_reader(const stat_reader&) = delete;
    stat_reader& operator=(const stat_reader&) = delete;
    /// Unmaps.
    ~stat_reader();

    /// The header (identity fields; the atomics for the live ones).
    const stat_header& header() const { return *static_cast<const stat_header*>(_base); }
    /// Running or stale.
    stat_liveness liveness() const;
    /// A consistent copy. With `fresh_table`, first asks the running stack to publish its
    /// table and waits (up to `wait`) until it has; a stale or busy one gives its last table.
    stat_snapshot snapshot(bool fresh_table, duration wait = duration::ms(200)) const;

private:
    stat_reader() = default;
    void* _base = nullptr;
    size_t _size = 0;
    bool _writable = false;
};

} // namespace tachyon
