#pragma once
/// What `recv` learned about one group (a stream) and how it is printed: one line per group,
/// one summary line, and optionally the same as JSON (--report).

#include <cstdint>
#include <cstdio>
#include <string>

#include "api/udp_socket.hpp"
#include "apps/mcast/latency_histogram.hpp"
#include "apps/mcast/sequence_tracker.hpp"

namespace tachyon::mcast {

/// The counters of one received stream (or of all of them together).
struct stream_stats {
    sequence_tracker sequence;      ///< gaps, duplicates, reordering (per group only)
    latency_histogram latency;      ///< one-way latency, ns
    uint64_t received = 0;          ///< datagrams delivered by the stack
    uint64_t bytes = 0;             ///< their payload bytes
    uint64_t short_datagrams = 0;   ///< shorter than the 16-byte header: no sequence number
    uint64_t bad_payload = 0;       ///< fill after the header not as the sender writes it
    uint64_t negative_latency = 0;  ///< received before they were sent (clocks apart); counted as 0
    instant first_rx = instant::never(); ///< the first arrival (stack clock)
    instant last_rx;                ///< the latest arrival
};

/// Datagrams per second between the first and the last arrival (0 with fewer than two).
double stream_rate(const stream_stats& s);

/// "key=value ..." of a stream's counters (sequence fields only when `with_sequence`).
std::string format_counters(const stream_stats& s, bool with_sequence);

/// The same as JSON object members (no braces).
std::string format_json_members(const stream_stats& s, bool with_sequence);

} // namespace tachyon::mcast
