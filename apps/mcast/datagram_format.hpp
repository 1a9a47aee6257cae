#pragma once
/// The layout of the datagrams tachyon-mcast sends and checks, so that a sender in another
/// process (or another language) can produce them:
///
///     bytes 0..7   sequence number, 64-bit big-endian (the sender starts at 0)
///     bytes 8..15  send time, nanoseconds since the Unix epoch (CLOCK_REALTIME), 64-bit big-endian
///     bytes 16..   fill: byte i is (sequence + i) mod 256, so that the receiver checks the payload

#include <cstddef>
#include <cstdint>
#include <span>

namespace tachyon::mcast {

/// Bytes before the fill: the sequence number and the send time.
constexpr size_t header_len = 16;

/// Reads a 64-bit big-endian number at `p`.
inline uint64_t load_be64(const std::byte* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | uint64_t(p[i]);
    return v;
}

/// Writes `v` as a 64-bit big-endian number at `p`.
inline void store_be64(std::byte* p, uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = std::byte(v & 0xff);
}

/// Writes a whole datagram (`out.size()` >= header_len) for `sequence` sent at `send_ns`.
inline void write_datagram(std::span<std::byte> out, uint64_t sequence, uint64_t send_ns) {
    store_be64(out.data(), sequence);
    store_be64(out.data() + 8, send_ns);
    for (size_t i = header_len; i < out.size(); ++i) out[i] = std::byte((sequence + i) & 0xff);
}

/// True when the fill after the header is the one `write_datagram` writes for `sequence`.
inline bool fill_is_valid(std::span<const std::byte> d, uint64_t sequence) {
    for (size_t i = header_len; i < d.size(); ++i)
        if (d[i] != std::byte((sequence + i) & 0xff)) return false;
    return true;
}

} // namespace tachyon::mcast
