#pragma once
/// The layout of a running stack's shared-memory segment, `/dev/shm/tachyon-NAME`, as the
/// runtime writes it and `tachyon-stat` reads it. Control path only.
///
///     [stat_header, one 4 KiB page][stack_stats][stat_cold][stat_connection x table_capacity]
///
/// - `stack_stats` is where the stack's counters live: the stack increments them in place with
///   plain stores (no copy, no atomic, no system call per packet). A reader loads each 8-byte
///   counter once; counters are not a consistent set (each is exact as of its own load).
/// - `stat_cold` (the device's, the ARP cache's and the IGMP host's counters, which live in
///   their own objects) and the connection table are copied in by the runtime's loop, off the
///   per-packet path, under the seqlock `stat_header::seq`: a reader's copy is consistent.
/// - `layout` is a hash of every counter's name and of the sizes of these blocks: a reader built
///   from other sources refuses a segment whose hash differs from its own.
///
/// Everything here is trivially copyable, sized and aligned the same in the writer and the
/// reader (the same build); byte order is the machine's.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stack/device/device.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {

/// The first 8 bytes of every segment ("TACHYSTA" read little-endian), written last at start.
inline constexpr uint64_t stat_magic = 0x4154535948434154ull;
/// Prefix of every segment's name under /dev/shm.
inline constexpr std::string_view stat_prefix = "tachyon-";
/// Bytes reserved for the header (the counters start on the next page).
inline constexpr size_t stat_header_bytes = 4096;

/// The counters that live in other objects (the device, the ARP cache, the IGMP host): copied
/// into the segment by the runtime's loop under the seqlock.
struct stat_cold {
    device_stats device;       ///< the device's own counters
    arp_cache_stats arp_cache; ///< the neighbour cache
    igmp_stats igmp;           ///< the IGMP host
};

/// What a connection-table row describes.
enum class stat_kind : uint8_t {
    tcp = 6,         ///< a TCP connection (any state but CLOSED)
    tcp_listen = 1,  ///< a TCP listener
    udp = 17,        ///< a UDP socket
};

/// Flags of a connection-table row.
enum stat_row_flags : uint8_t {
    stat_sack = 1,       ///< SACK agreed (RFC 2018)
    stat_timestamps = 2, ///< timestamps agreed (RFC 7323 §3)
    stat_wscale = 4,     ///< window scaling agreed (RFC 7323 §2)
};

/// One row of the connection table: a TCP connection or listener, or a UDP socket, as the
/// runtime last published it (`ss -tin`'s columns).
struct stat_connection {
    stat_kind kind = stat_kind::tcp; ///< what the row is
    uint8_t state = 0;               ///< TCP: the `tcp_state`; UDP: 1 when connected
    uint8_t flags = 0;               ///< `stat_row_flags`
    uint8_t reserved = 0;            ///< zero
    uint16_t local_port = 0;         ///< our port
    uint16_t remote_port = 0;        ///< the peer's port (0: none)
    uint32_t local_address = 0;      ///< our address (host order; 0: any)
    uint32_t remote_address = 0;     ///< the peer's address (host order; 0: none)
    uint32_t send_queue = 0;         ///< TCP: bytes queued, sent or not; listener: backlog
    uint32_t recv_queue = 0;         ///< TCP: bytes received, unread; UDP: datagrams queued; listener: half-open
    uint32_t snd_una = 0;            ///< SND.UNA
    uint32_t snd_nxt = 0;            ///< SND.NXT
    uint32_t rcv_nxt = 0;            ///< RCV.NXT
    uint32_t snd_wnd = 0;            ///< SND.WND in bytes
    uint32_t cwnd = 0;               ///< congestion window in bytes
    uint32_t ssthresh = 0;           ///< slow-start threshold in bytes
    uint32_t mss = 0;                ///< send MSS (payload bytes of a full segment)
    uint32_t srtt_us = 0;            ///< smoothed RTT, microseconds (0: no sample yet)
    uint32_t rttvar_us = 0;          ///< RTT variation, microseconds
    uint32_t rto_us = 0;             ///< retransmission timeout, microseconds
    uint32_t retransmits = 0;        ///< segments retransmitted on this connection
    uint32_t out_of_order = 0;       ///< segments held beyond a gap
    uint64_t rx = 0;                 ///< UDP: datagrams delivered
    uint64_t tx = 0;                 ///< UDP: datagrams sent
    uint64_t drops = 0;              ///< UDP: datagrams dropped (queue full, source filtered)
};

/// The segment's first page. Fields above `heartbeat_ns` are written once, before `magic`.
/// The first five (magic, layout, size, pid, pid_start) keep their places in every version,
/// so that a reader can tell a stale segment of another build and remove it.
struct stat_header {
    std::atomic<uint64_t> magic;         ///< `stat_magic` once the segment is complete
    uint64_t layout = 0;                 ///< `stat_layout_hash()` of the writer
    uint64_t size = 0;                   ///< bytes of the segment
    int64_t pid = 0;                     ///< the stack's process
    uint64_t pid_start = 0;              ///< the process's start time (/proc/PID/stat field 22): tells a reused pid
    int64_t start_unix_ns = 0;           ///< when the stack started (CLOCK_REALTIME)
    uint32_t table_capacity = 0;         ///< rows the connection table can hold
    uint32_t reserved = 0;               ///< zero
    char name[64] = {};                  ///< the segment's NAME (NUL-terminated)
    char program[64] = {};               ///< the program (NUL-terminated)
    char address[32] = {};               ///< the stack's address/prefix
    char device[64] = {};                ///< the backend and its interface
    std::atomic<int64_t> heartbeat_ns;   ///< CLOCK_MONOTONIC of the loop's latest refresh (0: not yet)
    std::atomic<uint64_t> request;       ///< a reader adds 1 to ask for a fresh table now
    std::atomic<uint64_t> seq;           ///< seqlock over `stat_cold`, the table and the fields below: odd while writing
    uint64_t served = 0;                 ///< the `request` value the latest table answered
    uint32_t table_rows = 0;             ///< rows in the table now
    uint32_t reserved2 = 0;              ///< zero
    int64_t table_ns = 0;                ///< CLOCK_MONOTONIC when the table was published (0: never)
};
static_assert(sizeof(stat_header) <= stat_header_bytes);
static_assert(offsetof(stat_header, pid) == 24 && offsetof(stat_header, pid_start) == 32);
static_assert(sizeof(stat_cold) % 8 == 0 && sizeof(stat_connection) % 8 == 0 && sizeof(stack_stats) % 8 == 0,
              "readers copy the blocks 8 bytes at a time");
static_assert(std::atomic<uint64_t>::is_always_lock_free, "the segment's atomics must be address-free");

/// Byte offset of the stack's counters in the segment.
inline constexpr size_t stat_counters_offset = stat_header_bytes;
/// Byte offset of the cold counters.
inline constexpr size_t stat_cold_offset = (stat_counters_offset + sizeof(stack_stats) + 63) / 64 * 64;
/// Byte offset of the connection table.
inline constexpr size_t stat_table_offset = (stat_cold_offset + sizeof(stat_cold) + 63) / 64 * 64;
/// Bytes of a segment whose table holds `rows`.
constexpr size_t stat_segment_bytes(size_t rows) { return stat_table_offset + rows * sizeof(stat_connection); }

/// FNV-1a over every counter's section and name, in order, and the sizes of the blocks: two
/// builds agree on it exactly when a reader of one can read the other's segment.
uint64_t stat_layout_hash();

/// Calls `f(section, name, value)` for every counter of `s` and `c`, in the order of the
/// `--stats` JSON (device, ethernet, arp, arp_cache, ipv4, icmp, udp, igmp, tcp, tx).
template <class F>
void visit_stat_counters(const stack_stats& s, const stat_cold& c, F&& f) {
    const auto section = [&](std::string_view name, const auto& counters) {
        counters.visit([&](std::string_view n, uint64_t v) { f(name, n, v); });
    };
    section("device", c.device);
    section("ethernet", s.ethernet);
    section("arp", s.arp);
    section("arp_cache", c.arp_cache);
    section("ipv4", s.ipv4);
    section("icmp", s.icmp);
    section("udp", s.udp);
    section("igmp", c.igmp);
    section("tcp", s.tcp);
    section("tx", s.tx);
}

} // namespace tachyon
