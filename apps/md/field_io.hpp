#pragma once
/// Fixed-width big-endian fields for the market-data codecs. A message lists its fields once,
/// in wire order, in a `fields(io)` member template; `field_reader` walks that list loading
/// each field and `field_writer` walks it storing each, so parse and emit cannot disagree.
/// Loads and stores are memcpy plus a byte swap (stack/wire/endian.hpp); the caller checks the
/// length before reading, so neither cursor ever checks or passes the end of its bytes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/wire/endian.hpp"

namespace tachyon::md {

/// A 48-bit unsigned integer on the wire (ITCH timestamps: nanoseconds since midnight).
struct u48 {
    uint64_t value = 0; ///< the value, below 2^48
    /// Equal when the values are.
    friend bool operator==(u48, u48) = default;
};

/// Reads `N` consecutive fixed-width fields from bytes known to be long enough.
class field_reader {
public:
    /// A reader at the start of `bytes`.
    explicit field_reader(const std::byte* bytes) : _p(bytes) {}
    /// Loads one byte (an ITCH "Alpha" of length 1).
    void operator()(char& v) { v = char(*_p++); }
    /// Loads a big-endian 16-bit integer.
    void operator()(uint16_t& v) { v = wire::load_be16(_p); _p += 2; }
    /// Loads a big-endian 32-bit integer.
    void operator()(uint32_t& v) { v = wire::load_be32(_p); _p += 4; }
    /// Loads a big-endian 48-bit integer.
    void operator()(u48& v) {
        v.value = (uint64_t(wire::load_be16(_p)) << 32) | wire::load_be32(_p + 2);
        _p += 6;
    }
    /// Loads a big-endian 64-bit integer.
    void operator()(uint64_t& v) { v = wire::load_be64(_p); _p += 8; }
    /// Loads a fixed-width text field as it is (space padding kept).
    template <size_t N>
    void operator()(std::array<char, N>& v) {
        std::memcpy(v.data(), _p, N);
        _p += N;
    }
    /// Bytes read so far from `start`.
    size_t consumed(const std::byte* start) const { return size_t(_p - start); }

private:
    const std::byte* _p;
};

/// Stores fixed-width fields into bytes known to be long enough.
class field_writer {
public:
    /// A writer at the start of `bytes`.
    explicit field_writer(std::byte* bytes) : _p(bytes) {}
    /// Stores one byte.
    void operator()(char v) { *_p++ = std::byte(v); }
    /// Stores a big-endian 16-bit integer.
    void operator()(uint16_t v) { wire::store_be16(_p, v); _p += 2; }
    /// Stores a big-endian 32-bit integer.
    void operator()(uint32_t v) { wire::store_be32(_p, v); _p += 4; }
    /// Stores a big-endian 48-bit integer (the high 16 bits of `v` are dropped).
    void operator()(u48 v) {
        wire::store_be16(_p, uint16_t(v.value >> 32));
        wire::store_be32(_p + 2, uint32_t(v.value));
        _p += 6;
    }
    /// Stores a big-endian 64-bit integer.
    void operator()(uint64_t v) { wire::store_be64(_p, v); _p += 8; }
    /// Stores a fixed-width text field as it is.
    template <size_t N>
    void operator()(const std::array<char, N>& v) {
        std::memcpy(_p, v.data(), N);
        _p += N;
    }

private:
    std::byte* _p;
};

/// Counts the bytes of a field list (gives each message's fixed length at compile time).
class field_sizer {
public:
    /// Adds one field's width.
    constexpr void operator()(char) { _n += 1; }
    /// Adds one field's width.
    constexpr void operator()(uint16_t) { _n += 2; }
    /// Adds one field's width.
    constexpr void operator()(uint32_t) { _n += 4; }
    /// Adds one field's width.
    constexpr void operator()(u48) { _n += 6; }
    /// Adds one field's width.
    constexpr void operator()(uint64_t) { _n += 8; }
    /// Adds one field's width.
    template <size_t N>
    constexpr void operator()(const std::array<char, N>&) { _n += N; }
    /// The total so far.
    constexpr size_t size() const { return _n; }

private:
    size_t _n = 0;
};

/// Text of a fixed-width field, e.g. `text<8>("AAPL    ")`; shorter text is space-padded.
template <size_t N>
constexpr std::array<char, N> text(const char* s) {
    std::array<char, N> out{};
    size_t i = 0;
    for (; i < N && s[i] != '\0'; ++i) out[i] = s[i];
    for (; i < N; ++i) out[i] = ' ';
    return out;
}

} // namespace tachyon::md
