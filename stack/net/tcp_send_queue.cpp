/// The send queue: a ring of segments from SND.UNA on.

#include "stack/net/tcp_send_queue.hpp"

#include <algorithm>

namespace tachyon {

void tcp_send_queue::reset(wire::seq32 next_seq) {
    for (size_t i = 0; i < _count; ++i) at(i).frame.reset();
    _head = _count = _sent = 0;
    _bytes = 0;
    _end = next_seq;
}

bool tcp_send_queue::push(packet&& frame) {
    if (!slot_free()) [[unlikely]]
        return false;
    tcp_tx_entry& e = at(_count);
    e.len = uint32_t(frame.size());
    e.offset = uint32_t(frame.headroom());
    e.seq = _end;
    e.transmissions = 0;
    e.sacked = e.lost = e.rexmit = false;
    e.frame = std::move(frame);
    _end += e.len;
    _bytes += e.len;
    ++_count;
    return true;
}

tcp_tx_entry* tcp_send_queue::growable_tail(uint32_t mss) {
    if (_count == 0 || _sent == _count) return nullptr;
    tcp_tx_entry& e = at(_count - 1);
    if (e.transmissions > 0 || e.len >= mss) return nullptr;
    return &e;
}

size_t tcp_send_queue::tail_room(uint32_t mss) const {
    if (_count == 0 || _sent == _count) return 0;
    const tcp_tx_entry& e = at(_count - 1);
    if (e.transmissions > 0 || e.len >= mss) return 0;
    return std::min<size_t>(mss - e.len, e.frame.tailroom());
}

void tcp_send_queue::extend_tail(size_t n) {
    tcp_tx_entry& e = at(_count - 1);
    e.len += uint32_t(n);
    _bytes += n;
    _end += uint32_t(n);
}

} // namespace tachyon
