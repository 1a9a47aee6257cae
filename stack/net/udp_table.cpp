#include "stack/net/udp_table.hpp"

namespace tachyon {

udp_table::udp_table(size_t capacity, size_t queue_len, size_t memberships)
    : _endpoints(capacity), _by_key(capacity), _queue_len(queue_len), _memberships(memberships) {}

bool udp_table::port_in_use(uint16_t port) const {
    for (const auto& e : _endpoints)
        if (e.open && e.bound && e.local_port == port) return true;
    return false;
}

result<udp_id> udp_table::open() {
    for (udp_id id = 0; id < _endpoints.size(); ++id) {
        udp_endpoint& e = _endpoints[id];
        if (e.open) continue;
        e = udp_endpoint{};
        e.open = true;
        e.queue = packet_ring(_queue_len); // control path: allocated at open, not per datagram
        e.queue_limit = _queue_len;
        e.memberships.reserve(_memberships);
        return id;
    }
    return make_error(errc::no_space, "all " + std::to_string(_endpoints.size()) + " UDP sockets are open");
}

errc udp_table::bind(udp_id id, ipv4_address address, uint16_t port) {
    if (!valid(id)) return errc::invalid_argument;
    udp_endpoint& e = _endpoints[id];
    if (e.bound) return errc::invalid_argument;
    if (port == 0) {
        // RFC 6335 §6: the dynamic range 49152-65535, tried in turn from where we left off.
        for (uint32_t tries = 0; tries < 16384 && port == 0; ++tries) {
            uint16_t candidate = _next_ephemeral;
            _next_ephemeral = _next_ephemeral == 65535 ? 49152 : uint16_t(_next_ephemeral + 1);
            if (!port_in_use(candidate)) port = candidate;
        }
        if (port == 0) return errc::no_space;
    }
    // A port taken on "any" is taken for every address; a group's port may be shared by the
    // sockets of other groups (the A and B lines of a feed often use one port).
    if (_by_key.find(key(ipv4_address::any(), port)) != decltype(_by_key)::npos) return errc::in_use;
    if (address.is_any() && port_in_use(port)) return errc::in_use;
    if (!_by_key.insert(key(address, port), id)) return errc::in_use;
    e.bound = true;
    e.local_port = port;
    e.local_address = address;
    return errc::ok;
}

void udp_table::close(udp_id id) {
    if (!valid(id)) return;
    udp_endpoint& e = _endpoints[id];
    if (e.bound) _by_key.erase(key(e.local_address, e.local_port));
    e.memberships.clear();
    e.queue.clear();
    e.open = false;
    e.bound = false;
}

} // namespace tachyon
