/// Seeds of the application targets: SoupBinTCP client sessions (op programs, the encoding of
/// targets/soup_session.cpp) and stat segments (a control byte and a segment as this build
/// writes it).

#include "support/seeds_apps.hpp"

#include <cstring>

#include "api/stat_layout.hpp"

namespace tachyon::fuzz {

namespace {

using bytes = std::vector<uint8_t>;

// soup_session's ops (the first byte of each, see the target).
enum : uint8_t { connect = 0, disconnect = 1, raw = 2, packet = 3, advance = 5, poll = 6, send = 7, logout = 8, space = 9 };
// packet's kinds.
enum : uint8_t { accepted = 0, rejected = 1, data = 2, heartbeat = 4, end = 5 };

void soup_session_seeds(seed_writer write) {
    const char* t = "soup_session";
    // Login, data (one cut in two), a send, a heartbeat after a second, logout.
    write(t, "login-data-send-logout",
          {0x00, connect, packet, accepted, 0, 5, packet, data, 4, 'a', 'b', 'c', 'd', 2, packet, data, 0, 0,
           packet, heartbeat, 1, send, 3, 'x', 'y', 'z', 1, advance, 1, 0x03, 0xE8, poll, logout});
    write(t, "rejected-then-final", {0x01, connect, packet, rejected, 'A', 1, connect, poll, disconnect, connect});
    // Silence for 16 s, reconnect asking for 2, one message replayed (a duplicate), then the end.
    write(t, "silent-reconnect-replay-end",
          {0x00, connect, packet, accepted, 0, 3, packet, data, 1, 'q', 0, advance, 0, 15, poll, disconnect, connect,
           packet, accepted, 1, 3, packet, data, 1, 'q', 0, packet, data, 1, 'r', 0, packet, end, 0, connect});
    write(t, "framing-lost", {0x02, connect, raw, 3, 0x00, 0x00, 'H', poll});
    write(t, "login-from-the-future", {0x00, connect, packet, accepted, 200, 0, disconnect, connect});
    write(t, "most-recent-small-buffer",
          {0x04, space, 0, 2, connect, space, 1, 0x00, 0x40, connect, packet, accepted, 0, 0, packet, data, 2, 'o',
           'k', 1, space, 0, 0, advance, 1, 0x07, 0xD0, poll, send, 1, 'x', 1});
}

/// A complete segment of this build: owner gone (pid 0x7ffffff0), a table of `capacity` rows
/// saying it holds `rows` (the ones that fit are filled), the sequence `seq`, counters set.
bytes segment(uint32_t capacity, uint32_t rows, uint64_t seq) {
    bytes b(stat_segment_bytes(capacity));
    auto put = [&b](size_t offset, const void* v, size_t n) { std::memcpy(b.data() + offset, v, n); };
    const uint64_t magic = stat_magic, layout = stat_layout_hash(), size = b.size();
    const int64_t pid = 0x7ffffff0;
    put(offsetof(stat_header, magic), &magic, 8);
    put(offsetof(stat_header, layout), &layout, 8);
    put(offsetof(stat_header, size), &size, 8);
    put(offsetof(stat_header, pid), &pid, 8);
    put(offsetof(stat_header, table_capacity), &capacity, 4);
    put(offsetof(stat_header, program), "tachyon-echo", 12);
    put(offsetof(stat_header, address), "198.18.0.2/24", 13);
    put(offsetof(stat_header, device), "tap tt0", 7);
    put(offsetof(stat_header, seq), &seq, 8);
    put(offsetof(stat_header, table_rows), &rows, 4);
    for (size_t i = stat_counters_offset; i < stat_table_offset; i += 8) b[i] = uint8_t(i / 8);
    for (uint32_t r = 0; r < rows && r < capacity; ++r) {
        stat_connection c;
        c.kind = r % 2 ? stat_kind::udp : stat_kind::tcp;
        c.local_port = uint16_t(5000 + r);
        c.cwnd = 14600;
        put(stat_table_offset + r * sizeof c, &c, sizeof c);
    }
    return b;
}

bytes with_control(uint8_t control, bytes b) {
    b.insert(b.begin(), control);
    return b;
}

void stat_reader_seeds(seed_writer write) {
    const char* t = "stat_reader";
    write(t, "stale-two-rows", with_control(0x08, segment(3, 2, 4)));
    write(t, "running-fresh-table", with_control(0x06, segment(2, 2, 2)));
    write(t, "no-table", with_control(0x08, segment(0, 0, 0)));
    write(t, "rows-above-capacity", with_control(0x08, segment(1, 9, 6)));
    bytes foreign = segment(1, 1, 2);
    foreign[offsetof(stat_header, layout)] ^= 1;
    write(t, "another-build", with_control(0x08, foreign));
    write(t, "short", with_control(0x00, bytes(100, 0x41)));
    write(t, "made-valid", with_control(0x18, bytes(stat_table_offset + 100, 0x5A)));
}

} // namespace

void apps_seeds(seed_writer write) {
    soup_session_seeds(write);
    stat_reader_seeds(write);
}

} // namespace tachyon::fuzz
