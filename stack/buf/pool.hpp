#pragma once
/// A fixed pool of packet buffers for the devices that do not bring their own (memory link,
/// io_uring TAP). Every buffer and descriptor is allocated once, at construction; `alloc` and
/// release are a push and a pop on a free stack (LIFO, so recently used buffers stay in cache).

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "stack/buf/packet.hpp"

namespace tachyon {

/// A fixed-size pool of packet buffers.
class packet_pool : public buf_pool {
public:
    /// Default size of each buffer's data room: a 1518-byte frame plus headroom.
    static constexpr size_t default_room = 2048;
    /// Default headroom in front of a freshly allocated frame.
    static constexpr size_t default_headroom = 128;

    /// `count` buffers of `room` bytes; `alloc` leaves `headroom` bytes in front.
    explicit packet_pool(size_t count, size_t room = default_room, size_t headroom = default_headroom);
    packet_pool(const packet_pool&) = delete;
    packet_pool& operator=(const packet_pool&) = delete;
    ~packet_pool();

    /// An empty frame with the pool's headroom, or an empty handle when the pool is exhausted.
    packet alloc() {
        if (_free.empty()) [[unlikely]]
            return packet{};
        buf* b = _free.back();
        _free.pop_back();
        b->refcnt = 1;
        b->data_off = uint32_t(_headroom);
        b->data_len = 0;
        b->rx_time = instant{};
        b->offload = buf_offload{};
        return packet{b};
    }
    /// Fills `out` with empty frames; returns how many it could allocate.
    size_t alloc_burst(std::span<packet> out) {
        size_t n = 0;
        while (n < out.size() && !_free.empty()) out[n++] = alloc();
        return n;
    }

    /// Buffers free now.
    size_t available() const { return _free.size(); }
    /// Buffers in all.
    size_t capacity() const { return _descs.size(); }
    /// Size of each data room.
    size_t room() const { return _room; }
    /// Headroom left in front of a fresh frame.
    size_t headroom() const { return _headroom; }

private:
    static void release_to_pool(buf_pool& pool, buf& b);

    size_t _room;
    size_t _headroom;
    std::unique_ptr<std::byte[]> _storage;
    std::vector<buf> _descs;
    std::vector<buf*> _free;
};

} // namespace tachyon
