/// The receive queue: in-order frames read in place, segments held beyond a gap, SACK blocks.

#include "stack/net/tcp_receive_queue.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "stack/core/log.hpp"

namespace tachyon {

std::span<const std::byte> tcp_receive_queue::readable() const {
    const packet* head = _rx.front();
    if (head == nullptr) return {};
    return {head->data(), head->size()};
}

void tcp_receive_queue::consume(size_t n) {
    packet* head = _rx.front();
    if (head == nullptr || n == 0) return;
    n = std::min(n, head->size());
    head->trim_front(n);
    _rx_bytes -= n;
    if (head->size() == 0) _rx.pop().reset();
}

bool tcp_receive_queue::can_append(size_t len) const {
    const packet* tail = _rx.back();
    return _rx.size() < _rx.capacity() || (tail != nullptr && !tail->shared() && tail->tailroom() >= len);
}

void tcp_receive_queue::append(packet&& payload) {
    const size_t len = payload.size();
    packet* tail = _rx.back();
    if (tail != nullptr && !tail->shared() && tail->tailroom() >= len) {
        std::memcpy(tail->append(len), payload.data(), len);
        _rx_bytes += len;
        payload.reset();
        return;
    }
    if (_rx.push(std::move(payload))) _rx_bytes += len;
}

void tcp_receive_queue::hold(wire::seq32 seq, packet&& payload) {
    size_t i = 0;
    while (i < _ooo_count && _ooo[i].seq < seq) ++i;
    if (i < _ooo_count && _ooo[i].seq == seq && _ooo[i].frame.size() >= payload.size()) return; // a duplicate
    if (_ooo_count == _ooo.size()) {
        TACHYON_DROP(_stats.drop_out_of_order_full);
        return;
    }
    ++_stats.out_of_order;
    for (size_t j = _ooo_count; j > i; --j) _ooo[j] = std::move(_ooo[j - 1]);
    _ooo_bytes += payload.size();
    _ooo[i] = held{seq, std::move(payload)};
    ++_ooo_count;
    _last_ooo_seq = seq;
}

bool tcp_receive_queue::pull(wire::seq32& rcv_nxt) {
    const bool had = _ooo_count > 0;
    while (_ooo_count > 0 && _ooo[0].seq <= rcv_nxt) {
        // Never take a segment out before it has a place: what was SACKed stays held
        // (RFC 2018 §8 allows reneging, but the sender would then wait for a timeout).
        if (!can_append(_ooo[0].frame.size())) [[unlikely]] {
            TACHYON_DROP(_stats.drop_receive_queue_full);
            break;
        }
        held e = std::move(_ooo[0]);
        for (size_t j = 1; j < _ooo_count; ++j) _ooo[j - 1] = std::move(_ooo[j]);
        --_ooo_count;
        _ooo_bytes -= e.frame.size();
        const wire::seq32 end = e.seq + uint32_t(e.frame.size());
        if (end <= rcv_nxt) continue; // all of it arrived again meanwhile
        e.frame.trim_front(uint32_t(rcv_nxt - e.seq));
        const uint32_t len = uint32_t(e.frame.size());
        append(std::move(e.frame));
        rcv_nxt += len;
    }
    return had;
}

void tcp_receive_queue::fill_sack(wire::tcp_options& o, wire::seq32 rcv_nxt) const {
    if (_ooo_count == 0) return;
    std::array<std::pair<wire::seq32, wire::seq32>, 8> runs{};
    size_t n = 0;
    for (size_t i = 0; i < _ooo_count && n < runs.size(); ++i) {
        // A held segment waiting for room may reach below RCV.NXT: a block names only what
        // lies above the cumulative acknowledgment (RFC 2018 §3).
        const wire::seq32 end = _ooo[i].seq + uint32_t(_ooo[i].frame.size());
        if (end <= rcv_nxt) continue;
        const wire::seq32 start = wire::seq_max(_ooo[i].seq, rcv_nxt);
        if (n > 0 && start <= runs[n - 1].second) {
            runs[n - 1].second = wire::seq_max(runs[n - 1].second, end);
        } else {
            runs[n++] = {start, end};
        }
    }
    if (n == 0) return;
    size_t first = 0;
    for (size_t i = 0; i < n; ++i)
        if (runs[i].first <= _last_ooo_seq && _last_ooo_seq < runs[i].second) first = i;
    o.sack_count = 0;
    o.sack_blocks[o.sack_count++] = runs[first];
    for (size_t i = 0; i < n && o.sack_count < wire::tcp_options::max_sack_blocks; ++i)
        if (i != first) o.sack_blocks[o.sack_count++] = runs[i];
}

void tcp_receive_queue::clear() {
    _rx.clear();
    _rx_bytes = 0;
    for (size_t i = 0; i < _ooo_count; ++i) _ooo[i].frame.reset();
    _ooo_count = 0;
    _ooo_bytes = 0;
}

} // namespace tachyon
