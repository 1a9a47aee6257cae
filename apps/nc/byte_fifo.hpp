#pragma once
/// A fixed-capacity byte FIFO (a ring) for tachyon-nc's standard output: what the terminal or
/// pipe cannot take yet waits here, and while it is full the connection is not read (so the
/// peer's window closes). Allocated once.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace tachyon_nc {

class byte_fifo {
public:
    explicit byte_fifo(size_t capacity) : _buf(capacity) {}

    size_t capacity() const { return _buf.size(); }
    size_t size() const { return _size; }
    size_t free() const { return _buf.size() - _size; }
    bool empty() const { return _size == 0; }

    /// Appends up to `free()` bytes of `b`; returns how many.
    size_t push(std::span<const std::byte> b) {
        const size_t n = std::min(b.size(), free());
        size_t tail = (_head + _size) % _buf.size();
        const size_t first = std::min(n, _buf.size() - tail);
        std::memcpy(_buf.data() + tail, b.data(), first);
        std::memcpy(_buf.data(), b.data() + first, n - first);
        _size += n;
        return n;
    }
    /// The oldest bytes, contiguous (possibly not all of them).
    std::span<const std::byte> front() const {
        return {_buf.data() + _head, std::min(_size, _buf.size() - _head)};
    }
    /// Drops `n` bytes from the front.
    void pop(size_t n) {
        _head = (_head + n) % _buf.size();
        _size -= n;
        if (_size == 0) _head = 0;
    }

private:
    std::vector<std::byte> _buf;
    size_t _head = 0;
    size_t _size = 0;
};

} // namespace tachyon_nc
