#pragma once
/// Big-endian (network order) loads and stores over packet bytes. Every wire header reads and
/// writes its fields through these: a memcpy plus a byte swap, which compiles to one load or
/// store and a `bswap`/`movbe`, with no alignment or aliasing assumptions (RFC 1700 "Data Notations").

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tachyon::wire {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "mixed-endian hosts are not supported");

/// Converts a 16-bit value between host and network order.
[[nodiscard]] constexpr uint16_t byteswap_to_be16(uint16_t v) {
    if constexpr (std::endian::native == std::endian::big) return v;
    return __builtin_bswap16(v);
}

/// Converts a 32-bit value between host and network order.
[[nodiscard]] constexpr uint32_t byteswap_to_be32(uint32_t v) {
    if constexpr (std::endian::native == std::endian::big) return v;
    return __builtin_bswap32(v);
}

/// Reads the big-endian 16-bit value at `p`.
[[nodiscard]] inline uint16_t load_be16(const std::byte* p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return byteswap_to_be16(v);
}

/// Reads the big-endian 32-bit value at `p`.
[[nodiscard]] inline uint32_t load_be32(const std::byte* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return byteswap_to_be32(v);
}

/// Reads the big-endian 64-bit value at `p`.
[[nodiscard]] inline uint64_t load_be64(const std::byte* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) return v;
    return __builtin_bswap64(v);
}

/// Writes `v` big-endian at `p`.
inline void store_be16(std::byte* p, uint16_t v) {
    v = byteswap_to_be16(v);
    std::memcpy(p, &v, sizeof v);
}

/// Writes `v` big-endian at `p`.
inline void store_be32(std::byte* p, uint32_t v) {
    v = byteswap_to_be32(v);
    std::memcpy(p, &v, sizeof v);
}

/// Writes `v` big-endian at `p`.
inline void store_be64(std::byte* p, uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    std::memcpy(p, &v, sizeof v);
}

} // namespace tachyon::wire
