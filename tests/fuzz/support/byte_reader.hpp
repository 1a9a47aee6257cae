#pragma once
/// Reads a fuzz input as a stream of small values. Past the end every read returns zero, so a
/// short input is still a complete (if dull) program: decoding never fails.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tachyon::fuzz {

/// A cursor over the input bytes.
class byte_reader {
public:
    /// Reads `size` bytes at `data`.
    byte_reader(const uint8_t* data, size_t size) : _p(data), _n(data == nullptr ? 0 : size) {}

    /// True when every byte was read.
    bool empty() const { return _i >= _n; }
    /// Bytes not read yet.
    size_t remaining() const { return _n - _i; }
    /// The next byte (0 past the end).
    uint8_t u8() { return _i < _n ? _p[_i++] : 0; }
    /// The next two bytes, big-endian.
    uint16_t u16() { return uint16_t(uint16_t(u8()) << 8 | u8()); }
    /// The next four bytes, big-endian.
    uint32_t u32() { return uint32_t(u16()) << 16 | u16(); }
    /// A value in [0, n) from one byte (n <= 256).
    uint8_t below(unsigned n) { return uint8_t(u8() % n); }
    /// True with probability 1/2 (one byte).
    bool flag() { return (u8() & 1) != 0; }
    /// Up to `n` bytes as they are (fewer at the end).
    std::span<const uint8_t> take(size_t n) {
        const size_t k = std::min(n, remaining());
        std::span<const uint8_t> s(_p + _i, k);
        _i += k;
        return s;
    }

private:
    const uint8_t* _p;
    size_t _n;
    size_t _i = 0;
};

} // namespace tachyon::fuzz
