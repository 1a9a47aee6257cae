#include "stack/net/udp_table.hpp"

namespace tachyon {

udp_table::udp_table(size_t capacity, size_t queue_len)
    : _endpoints(capacity), _by_port(capacity), _queue_len(queue_len) {}

result<udp_id> udp_table::open() {
    for (udp_id id = 0; id < _endpoints.size(); ++id) {
        udp_endpoint& e = _endpoints[id];
        if (e.open) continue;
        e = udp_endpoint{};
        e.open = true;
        e.queue = packet_ring(_queue_len); // control path: allocated at open, not per datagram
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
            if (_by_port.find(candidate) == decltype(_by_port)::npos) port = candidate;
        }
        if (port == 0) return errc::no_space;
    }
    if (!_by_port.insert(port, id)) return errc::in_use;
    e.bound = true;
    e.local_port = port;
    e.local_address = address;
    return errc::ok;
}

void udp_table::close(udp_id id) {
    if (!valid(id)) return;
    udp_endpoint& e = _endpoints[id];
    if (e.bound) _by_port.erase(e.local_port);
    e.queue.clear();
    e.open = false;
    e.bound = false;
}

} // namespace tachyon
