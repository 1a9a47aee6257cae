/// Multicast membership for the stack: sockets join and leave groups (any-source, or
/// source-specific per RFC 3376); the interface state is the union of the sockets' (RFC 3376
/// §3.2), handed to the IGMP host, and the device's multicast filter follows it. Control path.

#include <algorithm>

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {

errc stack::udp_join(udp_id id, ipv4_address group, ipv4_address source, instant now) {
    udp_endpoint* e = endpoint(id);
    if (e == nullptr || !group.is_multicast() || source.is_multicast()) return errc::invalid_argument;
    for (const udp_membership& m : e->memberships)
        if (m.group == group && m.source == source) return errc::in_use;
    if (e->memberships.size() == e->memberships.capacity()) return errc::no_space;
    e->memberships.push_back({group, source});
    errc r = update_group(group, now);
    if (r != errc::ok) e->memberships.pop_back(); // the interface could not take it: no change
    return r;
}

errc stack::udp_leave(udp_id id, ipv4_address group, ipv4_address source, instant now) {
    udp_endpoint* e = endpoint(id);
    if (e == nullptr) return errc::invalid_argument;
    auto it = std::find_if(e->memberships.begin(), e->memberships.end(),
                           [&](const udp_membership& m) { return m.group == group && m.source == source; });
    if (it == e->memberships.end()) return errc::not_found;
    e->memberships.erase(it);
    return update_group(group, now);
}

errc stack::udp_set_multicast_ttl(udp_id id, uint8_t ttl) {
    udp_endpoint* e = endpoint(id);
    if (e == nullptr || ttl == 0) return errc::invalid_argument;
    e->multicast_ttl = ttl;
    return errc::ok;
}

void stack::udp_close(udp_id id, instant now) {
    udp_endpoint* e = endpoint(id);
    if (e == nullptr) return;
    std::vector<ipv4_address> groups;
    for (const udp_membership& m : e->memberships) groups.push_back(m.group);
    e->memberships.clear();
    for (ipv4_address g : groups) (void)update_group(g, now);
    _udp.close(id);
}

void stack::stop(instant now) {
    _now = now;
    for (udp_id id = 0; id < _udp.all().size(); ++id) udp_close(id, now);
    flush_tx();
}

errc stack::update_group(ipv4_address group, instant now) {
    tx_batch batch(*this, now); // the state-change report below goes out when this ends
    // RFC 3376 §3.2: any socket's any-source join makes the interface EXCLUDE({}); otherwise
    // it INCLUDEs the union of the sockets' sources.
    bool any_source = false;
    _group_sources.clear();
    for (const udp_endpoint& e : _udp.all()) {
        if (!e.open) continue;
        for (const udp_membership& m : e.memberships) {
            if (m.group != group) continue;
            if (m.source.is_any()) any_source = true;
            else if (std::find(_group_sources.begin(), _group_sources.end(), m.source) == _group_sources.end())
                _group_sources.push_back(m.source);
        }
    }
    errc r = _igmp.set_state(group, any_source, _group_sources, now);
    if (r != errc::ok) return r;
    std::vector<mac_address> macs;
    _igmp.group_macs(macs);
    if (macs != _multicast_macs) {
        _multicast_macs = std::move(macs);
        if (auto ok = _dev.set_multicast_filter(_multicast_macs); !ok)
            log().warn("stack: the device refused the multicast filter: {}", ok.err().message);
    }
    // The state-change report goes out now, not at the next poll (RFC 3376 §5.1).
    run_timers(now);
    return errc::ok;
}

} // namespace tachyon
