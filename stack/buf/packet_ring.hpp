#pragma once
/// A bounded FIFO of packets with its capacity fixed at construction: per-socket receive
/// queues, waiting frames. Push and pop move handles; nothing is allocated after construction.

#include <cstddef>
#include <vector>

#include "stack/buf/packet.hpp"

namespace tachyon {

/// A fixed-capacity FIFO of packets.
class packet_ring {
public:
    /// An empty ring (capacity 0: every push fails).
    packet_ring() = default;
    /// A ring that holds up to `capacity` packets.
    explicit packet_ring(size_t capacity) : _slots(capacity) {}

    /// Appends `p`; false (and `p` left untouched) when full.
    bool push(packet&& p) {
        if (_count == _slots.size()) [[unlikely]]
            return false;
        _slots[(_head + _count) % _slots.size()] = std::move(p);
        ++_count;
        return true;
    }
    /// Removes and returns the oldest packet, or an empty handle when the ring is empty.
    packet pop() {
        if (_count == 0) return packet{};
        packet p = std::move(_slots[_head]);
        _head = (_head + 1) % _slots.size();
        --_count;
        return p;
    }
    /// The newest packet, or null when empty.
    packet* back() { return _count == 0 ? nullptr : &_slots[(_head + _count - 1) % _slots.size()]; }
    /// The newest packet, or null when empty.
    const packet* back() const { return _count == 0 ? nullptr : &_slots[(_head + _count - 1) % _slots.size()]; }
    /// The oldest packet, or null when empty.
    packet* front() { return _count == 0 ? nullptr : &_slots[_head]; }
    /// The oldest packet, or null when empty.
    const packet* front() const { return _count == 0 ? nullptr : &_slots[_head]; }
    /// Drops every packet held.
    void clear() {
        while (_count > 0) pop().reset();
    }
    /// Packets held.
    size_t size() const { return _count; }
    /// Packets the ring may hold.
    size_t capacity() const { return _slots.size(); }
    /// True when nothing is held.
    bool empty() const { return _count == 0; }

private:
    std::vector<packet> _slots;
    size_t _head = 0;
    size_t _count = 0;
};

} // namespace tachyon
