#include "stack/buf/pool.hpp"

#include <cassert>
#include <stdexcept>

namespace tachyon {

packet_pool::packet_pool(size_t count, size_t room, size_t headroom)
    : buf_pool(&packet_pool::release_to_pool), _room(room), _headroom(headroom) {
    if (count == 0 || headroom >= room)
        throw std::invalid_argument("packet_pool: need at least one buffer and headroom < room");
    _storage = std::make_unique<std::byte[]>(count * room);
    _descs.resize(count);
    _free.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        buf& b = _descs[i];
        b.base = _storage.get() + i * room;
        b.room = uint32_t(room);
        b.pool = this;
        _free.push_back(&_descs[count - 1 - i]);
    }
}

packet_pool::~packet_pool() {
    // Every packet must have come back before its pool goes: a handle outliving its pool
    // would release into freed memory.
    assert(_free.size() == _descs.size() && "packet_pool destroyed with buffers still in use");
}

void packet_pool::release_to_pool(buf_pool& pool, buf& b) {
    auto& self = static_cast<packet_pool&>(pool);
    self._free.push_back(&b);
}

} // namespace tachyon
