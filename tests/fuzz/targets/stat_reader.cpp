/// libFuzzer target for reading a stack's shared-memory segment (api/stat_reader.hpp), as
/// `tachyon-stat` reads whatever it finds under /dev/shm. The input is a control byte and the
/// segment's bytes, written to /dev/shm/tachyon-fuzz-stat-PID (removed after each input). The
/// control byte may make the header valid (magic, layout hash, sizes: so that mutations reach
/// the snapshot), name this process as the owner (running) or a gone one (stale), keep an odd
/// seqlock sequence (a writer killed mid-write; 1 input in 16) and ask for a fresh table.
///
/// Oracles: `open` refuses exactly the segments an independent reading of the bytes calls too
/// short, incomplete (no magic) or of another layout, and reads the others; a snapshot copies
/// the counters, the cold counters and min(rows, capacity) rows as the bytes hold them, is
/// consistent exactly when the sequence is even, and never reads past the file (ASan and the
/// mapping's end would stop it); liveness follows the owner; `stat_remove_stale` removes the
/// segment exactly when its owner is gone.
///
/// An input that fails an oracle aborts before the file is removed: delete
/// /dev/shm/tachyon-fuzz-stat-PID by hand after reproducing it.

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "api/stat_reader.hpp"
#include "api/stat_segment.hpp"
#include "support/fuzz_target.hpp"

namespace {

using namespace tachyon;

template <class T>
T field_at(const std::vector<uint8_t>& b, size_t offset) {
    T v{};
    if (offset + sizeof v <= b.size()) std::memcpy(&v, b.data() + offset, sizeof v);
    return v;
}

template <class T>
void set_field(std::vector<uint8_t>& b, size_t offset, T v) {
    if (offset + sizeof v <= b.size()) std::memcpy(b.data() + offset, &v, sizeof v);
}

/// Makes the header say what a complete segment of this build says (the table as large as the
/// bytes after it allow; the file cut to that size).
void make_valid(std::vector<uint8_t>& b) {
    if (b.size() < stat_table_offset) b.resize(stat_table_offset);
    const uint32_t capacity = uint32_t((b.size() - stat_table_offset) / sizeof(stat_connection));
    b.resize(stat_segment_bytes(capacity));
    set_field(b, offsetof(stat_header, magic), stat_magic);
    set_field(b, offsetof(stat_header, layout), stat_layout_hash());
    set_field(b, offsetof(stat_header, size), uint64_t(b.size()));
    set_field(b, offsetof(stat_header, table_capacity), capacity);
}

/// Writes the segment file; false when /dev/shm refuses (then the input is skipped).
bool write_segment(const std::string& name, const std::vector<uint8_t>& b) {
    const int fd = ::shm_open(stat_shm_path(name).c_str(), O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < b.size()) {
        const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
        if (n <= 0) break;
        done += size_t(n);
    }
    ::close(fd);
    return done == b.size();
}

} // namespace

TACHYON_FUZZ_TARGET(stat_reader) {
    if (size < 1) return 0;
    const uint8_t control = data[0];
    std::vector<uint8_t> b(data + 1, data + size);
    if (control & 0x10) make_valid(b);
    const int64_t self = ::getpid();
    switch ((control >> 2) & 3) {
    case 1: // this process: running
        set_field(b, offsetof(stat_header, pid), self);
        set_field(b, offsetof(stat_header, pid_start), process_start_time(self));
        break;
    case 2: set_field(b, offsetof(stat_header, pid), int64_t(0x7ffffff0)); break; // no such process: stale
    default: break;
    }
    // An odd sequence costs the reader its 100 ms bound: kept in 1 input of 16 (control 111xxxx1).
    if ((control & 0xE1) != 0xE1)
        set_field(b, offsetof(stat_header, seq), field_at<uint64_t>(b, offsetof(stat_header, seq)) & ~1ull);

    static const std::string name = "fuzz-stat-" + std::to_string(self);
    if (!write_segment(name, b)) {
        ::shm_unlink(stat_shm_path(name).c_str());
        return 0;
    }

    // What the bytes say, read apart from the reader.
    const int64_t pid = b.size() >= 40 ? field_at<int64_t>(b, offsetof(stat_header, pid)) : 0; // (stat_owner_of)
    const bool owner_alive = b.size() >= 40 && stat_owner_alive(pid, field_at<uint64_t>(b, offsetof(stat_header, pid_start)));
    const uint32_t capacity = field_at<uint32_t>(b, offsetof(stat_header, table_capacity));
    const bool readable = b.size() >= stat_header_bytes && field_at<uint64_t>(b, 0) == stat_magic &&
                          field_at<uint64_t>(b, offsetof(stat_header, layout)) == stat_layout_hash() &&
                          field_at<uint64_t>(b, offsetof(stat_header, size)) == b.size() &&
                          b.size() == stat_segment_bytes(capacity);

    {
        auto r = stat_reader::open(name);
        FUZZ_CHECK(bool(r) == readable, "open %s a segment the bytes call %s", r ? "read" : "refused",
                   readable ? "readable" : "unreadable");
        if (!r) {
            FUZZ_CHECK(!r.err().message.empty(), "a refusal without a message");
        } else {
            const stat_reader& reader = r.value();
            FUZZ_CHECK(reader.liveness() == (owner_alive ? stat_liveness::running : stat_liveness::stale),
                       "liveness does not follow the owner");
            const stat_snapshot s = reader.snapshot((control & 2) != 0, duration::ms(1));
            FUZZ_CHECK(std::memcmp(&s.counters, b.data() + stat_counters_offset, sizeof s.counters) == 0,
                       "the counters copied are not the segment's");
            const bool even = (field_at<uint64_t>(b, offsetof(stat_header, seq)) & 1) == 0;
            FUZZ_CHECK(s.consistent == even, "consistent %d with sequence %s", int(s.consistent), even ? "even" : "odd");
            const uint32_t rows = std::min(field_at<uint32_t>(b, offsetof(stat_header, table_rows)), capacity);
            FUZZ_CHECK(s.rows.size() == rows, "%zu rows copied of %u", s.rows.size(), rows);
            FUZZ_CHECK(std::memcmp(&s.cold, b.data() + stat_cold_offset, sizeof s.cold) == 0,
                       "the cold counters copied are not the segment's");
            FUZZ_CHECK(rows == 0 || std::memcmp(s.rows.data(), b.data() + stat_table_offset,
                                                rows * sizeof(stat_connection)) == 0,
                       "the rows copied are not the segment's");
        }
    }

    const auto removed = stat_remove_stale(name);
    if (owner_alive) FUZZ_CHECK(!removed, "removed the segment of a running process");
    if (!owner_alive && pid != 0) FUZZ_CHECK(bool(removed), "a stale segment was not removed");
    ::shm_unlink(stat_shm_path(name).c_str());
    return 0;
}
