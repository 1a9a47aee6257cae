#include "stack/core/log.hpp"
#include "stack/net/arp_cache.hpp"

namespace tachyon {

arp_cache::arp_cache(const arp_settings& settings)
    : _settings(settings),
      _entries(settings.capacity),
      _pending(settings.capacity * settings.pending_per_neighbour),
      _index(settings.capacity) {
    for (uint32_t i = 0; i < _entries.size(); ++i) _entries[i].next_free = i + 1;
}

result<void> arp_cache::add_static(ipv4_address ip, mac_address mac) {
    uint32_t slot = _index.find(ip);
    if (slot == decltype(_index)::npos) slot = allocate(ip, instant{});
    if (slot == decltype(_index)::npos)
        return make_error(errc::no_space, "ARP cache full: cannot add static entry for " + ip.to_string());
    entry& e = _entries[slot];
    if (e.st == state::incomplete) {
        // Frames waiting for this address can go once the stack polls; static entries made at
        // start-up never meet this case, so they are dropped and counted.
        _stats.drop_unresolved += e.pending;
        drop_pending(slot);
        --_incomplete;
    }
    e.mac = mac;
    e.st = state::permanent;
    return {};
}

arp_lookup arp_cache::lookup(ipv4_address ip, instant now) {
    uint32_t slot = _index.find(ip);
    if (slot == decltype(_index)::npos) [[unlikely]]
        return {};
    entry& e = _entries[slot];
    switch (e.st) {
    case state::permanent:
        return {&e.mac, arp_request_kind::none};
    case state::reachable: {
        duration age = now - e.confirmed;
        if (age < _settings.reachable_time / 2) [[likely]]
            return {&e.mac, arp_request_kind::none};
        if (age < _settings.reachable_time) {
            // RFC 1122 §2.3.2.1: revalidate an entry in use before it times out, by unicast,
            // at most once per retry interval; keep using it meanwhile.
            if (now < e.next_request) return {&e.mac, arp_request_kind::none};
            e.next_request = now + _settings.retry_interval;
            ++_stats.refreshes;
            return {&e.mac, arp_request_kind::unicast};
        }
        ++_stats.expired;
        return {nullptr, start_resolution(e, now)};
    }
    case state::incomplete:
        return {};
    case state::free:
        break;
    }
    return {};
}

arp_request_kind arp_cache::start_resolution(entry& e, instant now) {
    e.st = state::incomplete;
    e.requests = 1;
    e.pending = 0;
    e.pending_head = 0;
    e.next_request = now + _settings.retry_interval;
    ++_incomplete;
    note_deadline(e.next_request);
    return arp_request_kind::broadcast;
}

arp_request_kind arp_cache::resolve(ipv4_address ip, instant now) {
    uint32_t slot = _index.find(ip);
    if (slot == decltype(_index)::npos) {
        slot = allocate(ip, now);
        if (slot == decltype(_index)::npos) return arp_request_kind::none;
        return start_resolution(_entries[slot], now);
    }
    entry& e = _entries[slot];
    if (e.st == state::reachable && now - e.confirmed >= _settings.reachable_time) {
        ++_stats.expired;
        return start_resolution(e, now);
    }
    if (e.st == state::incomplete && now >= e.next_request && e.requests < _settings.max_requests) {
        ++e.requests;
        e.next_request = now + _settings.retry_interval;
        note_deadline(e.next_request);
        return arp_request_kind::broadcast;
    }
    return arp_request_kind::none;
}

arp_request_kind arp_cache::enqueue(ipv4_address ip, packet&& frame, instant now) {
    uint32_t slot = _index.find(ip);
    arp_request_kind request = arp_request_kind::none;
    if (slot == decltype(_index)::npos) {
        slot = allocate(ip, now);
        if (slot == decltype(_index)::npos) {
            TACHYON_DROP(_stats.drop_table_full);
            frame.reset();
            return arp_request_kind::none;
        }
        request = start_resolution(_entries[slot], now);
    }
    entry& e = _entries[slot];
    if (e.st != state::incomplete) {
        // Only a missed lookup leads here, and that leaves the entry incomplete; a frame for
        // a usable entry is a caller error: keep the frame moving rather than lose it.
        request = start_resolution(e, now);
    }
    if (e.pending == _settings.pending_per_neighbour) {
        TACHYON_DROP(_stats.drop_pending_overflow);
        frame.reset();
        return request;
    }
    size_t i = (e.pending_head + e.pending) % _settings.pending_per_neighbour;
    *pending_slot(slot, i) = std::move(frame);
    ++e.pending;
    return request;
}

const mac_address* arp_cache::peek(ipv4_address ip, instant now) const {
    uint32_t slot = _index.find(ip);
    if (slot == decltype(_index)::npos) return nullptr;
    const entry& e = _entries[slot];
    if (e.st == state::permanent) return &e.mac;
    if (e.st == state::reachable && now - e.confirmed < _settings.reachable_time) return &e.mac;
    return nullptr;
}

uint32_t arp_cache::allocate(ipv4_address ip, instant now) {
    (void)now;
    if (_free_head == _entries.size() && !evict_one()) return decltype(_index)::npos;
    uint32_t slot = _free_head;
    _free_head = _entries[slot].next_free;
    entry& e = _entries[slot];
    e = entry{};
    e.ip = ip;
    e.st = state::reachable; // callers set the real state at once
    bool ok = _index.insert(ip, slot);
    (void)ok;
    return slot;
}

void arp_cache::release(uint32_t slot) {
    _entries[slot].st = state::free;
    _entries[slot].next_free = _free_head;
    _free_head = slot;
}

bool arp_cache::evict_one() {
    // The table is full: push out the reachable entry confirmed longest ago. A scan, but only
    // when a new neighbour arrives at a full table (counted, and rare by sizing).
    uint32_t victim = UINT32_MAX;
    for (uint32_t i = 0; i < _entries.size(); ++i) {
        const entry& e = _entries[i];
        if (e.st == state::reachable && (victim == UINT32_MAX || e.confirmed < _entries[victim].confirmed))
            victim = i;
    }
    if (victim == UINT32_MAX) return false;
    ++_stats.evicted;
    _index.erase(_entries[victim].ip);
    release(victim);
    return true;
}

packet* arp_cache::pending_slot(uint32_t slot, size_t i) {
    return &_pending[slot * _settings.pending_per_neighbour + i];
}

void arp_cache::drop_pending(uint32_t slot) {
    entry& e = _entries[slot];
    for (size_t i = 0; i < e.pending; ++i)
        pending_slot(slot, (e.pending_head + i) % _settings.pending_per_neighbour)->reset();
    e.pending = 0;
    e.pending_head = 0;
}

} // namespace tachyon
