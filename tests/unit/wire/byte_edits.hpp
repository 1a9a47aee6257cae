#pragma once
/// Helpers shared by the wire tests' validation tables: byte comparison and the edits that spoil
/// a header.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "stack/wire/endian.hpp"

namespace tachyon::wire::test {

/// True when two byte ranges hold the same bytes.
inline bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

/// An edit keeping only the first `n` bytes.
inline auto keep(size_t n) {
    return [n](std::vector<std::byte>& b) { b.resize(n); };
}

/// An edit setting a UDP or TCP header's destination port (bytes 2-3).
inline auto dst_port(uint16_t v) {
    return [v](std::vector<std::byte>& b) { store_be16(b.data() + 2, v); };
}

} // namespace tachyon::wire::test
