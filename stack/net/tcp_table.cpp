/// The TCP connection table: slots, the 4-tuple index, listeners and ephemeral ports.

#include "stack/net/tcp_table.hpp"

#include <algorithm>
#include <string>

#include "stack/core/log.hpp"

namespace tachyon {

tcp_table::tcp_table(const tcp_settings& settings, tcp_stats& stats)
    : _stats(stats),
      _max_backlog(settings.syn_backlog),
      _slots(settings.max_connections),
      _index(settings.max_connections),
      _listeners(settings.max_listeners),
      _listener_index(settings.max_listeners) {
    const size_t n = _slots.size();
    _free.reserve(n);
    _dirty.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        _slots[i].tcb = std::make_unique<tcp_connection>(settings, stats);
        _slots[i].timer.slot = uint32_t(i);
        _free.push_back(uint32_t(n - 1 - i)); // slot 0 first
    }
}

result<uint32_t> tcp_table::allocate(const tcp_tuple& t) {
    if (_free.empty()) {
        TACHYON_DROP(_stats.drop_table_full);
        return make_error(errc::no_space, "all " + std::to_string(_slots.size()) + " TCP connections are in use");
    }
    const uint32_t slot = _free.back();
    _free.pop_back();
    tcp_slot& s = _slots[slot];
    s.key = key(t.remote_address, t.remote_port, t.local_port);
    (void)_index.insert(s.key, slot);
    s.callbacks = tcp_callbacks{};
    s.eof_pending = false;
    s.listener = -1;
    s.closed_told = false;
    return slot;
}

void tcp_table::release(uint32_t slot) {
    tcp_slot& s = _slots[slot];
    // A half-open connection that never reached ESTABLISHED (reset, timed out, aborted) gives
    // its listener's backlog place back here, whatever ended it.
    unhold_backlog(slot);
    _index.erase(s.key);
    ++s.generation;
    s.callbacks = tcp_callbacks{};
    _free.push_back(slot);
}

bool tcp_table::mark_dirty(uint32_t slot) {
    tcp_slot& s = _slots[slot];
    if (s.dirty) return false;
    s.dirty = true;
    _dirty.push_back(slot);
    return true;
}

result<uint32_t> tcp_table::listen(uint16_t port, size_t backlog, tcp_accept_handler on_accept, void* context) {
    if (port == 0 || backlog == 0 || on_accept == nullptr)
        return make_error(errc::invalid_argument, "listen needs a port, a backlog and an accept handler");
    if (_listener_index.find(port) != npos)
        return make_error(errc::in_use, "TCP port " + std::to_string(port) + " is already listening");
    auto it = std::find_if(_listeners.begin(), _listeners.end(), [](const tcp_listen_slot& l) { return !l.in_use; });
    if (it == _listeners.end())
        return make_error(errc::no_space, "all " + std::to_string(_listeners.size()) + " TCP listeners are in use");
    *it = tcp_listen_slot{true, port, std::min(backlog, _max_backlog), 0, on_accept, context, instant{}};
    const auto l = uint32_t(it - _listeners.begin());
    (void)_listener_index.insert(port, l);
    return l;
}

void tcp_table::unlisten(uint16_t port) {
    const uint32_t l = _listener_index.find(port);
    if (l == npos) return;
    _listener_index.erase(port);
    _listeners[l].in_use = false;
    _listeners[l].on_accept = nullptr;
}

void tcp_table::hold_backlog(uint32_t slot, uint32_t l) {
    _slots[slot].listener = int32_t(l);
    ++_listeners[l].half_open;
}

void tcp_table::unhold_backlog(uint32_t slot) {
    const int32_t l = _slots[slot].listener;
    if (l < 0) return;
    _slots[slot].listener = -1;
    tcp_listen_slot& lst = _listeners[size_t(l)];
    if (lst.half_open > 0) --lst.half_open;
}

uint16_t tcp_table::ephemeral_port(ipv4_address remote, uint16_t remote_port) {
    // RFC 6335 §6: 49152-65535, in turn.
    for (uint32_t tries = 0; tries < 16384; ++tries) {
        const uint16_t candidate = _next_port;
        _next_port = _next_port == 65535 ? 49152 : uint16_t(_next_port + 1);
        if (_index.find(key(remote, remote_port, candidate)) == npos && _listener_index.find(candidate) == npos)
            return candidate;
    }
    return 0;
}

} // namespace tachyon
