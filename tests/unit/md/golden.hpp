#pragma once
/// Helpers for the market-data golden tests: byte vectors written out by hand.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace tachyon::md::test {

/// Bytes from a list of values (each below 256).
inline std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
    std::vector<std::byte> out;
    for (unsigned v : values) out.push_back(std::byte(v));
    return out;
}

/// Concatenation of byte vectors.
inline std::vector<std::byte> cat(std::initializer_list<std::vector<std::byte>> parts) {
    std::vector<std::byte> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

/// True when two byte ranges hold the same bytes.
inline bool same(std::span<const std::byte> a, std::span<const std::byte> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace tachyon::md::test
