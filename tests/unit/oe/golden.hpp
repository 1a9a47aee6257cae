#pragma once
/// Helpers for the order-entry golden tests: byte vectors written out by hand (the market-data
/// helpers, plus ASCII text and space runs for Alpha and Numeric fields).

#include <cstddef>
#include <cstring>
#include <vector>

#include "unit/md/golden.hpp"

namespace tachyon::oe::test {

using md::test::bytes;
using md::test::cat;
using md::test::same;

/// The ASCII bytes of `s` (no terminator).
inline std::vector<std::byte> ascii(const char* s) {
    std::vector<std::byte> out(std::strlen(s));
    std::memcpy(out.data(), s, out.size());
    return out;
}

/// `n` spaces.
inline std::vector<std::byte> spaces(size_t n) { return std::vector<std::byte>(n, std::byte{' '}); }

/// An exact-size heap copy of `b` (an overread is outside the allocation, so ASan sees it).
inline std::vector<std::byte> exact(const std::vector<std::byte>& b) {
    std::vector<std::byte> out(b.begin(), b.end());
    out.shrink_to_fit();
    return out;
}

} // namespace tachyon::oe::test
