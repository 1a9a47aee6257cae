#pragma once
/// The stack's configuration: addresses, capacities and timeouts, fixed at start-up. Every
/// table and pool is sized from here; nothing grows later. `validate` says what is wrong in
/// words a user can act on.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/core/addr.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"

namespace tachyon {

/// A permanent IP-to-MAC mapping (`--arp IP=MAC`).
struct static_arp_entry {
    ipv4_address ip;  ///< the neighbour's address
    mac_address mac;  ///< its MAC
};

/// ARP cache settings (RFC 826, RFC 1122 §2.3.2).
struct arp_settings {
    size_t capacity = 256;                          ///< neighbour entries in all
    size_t pending_per_neighbour = 8;               ///< frames that may wait for one resolution
    duration reachable_time = duration::s(60);      ///< an entry's life after its last confirmation
    duration retry_interval = duration::s(1);       ///< at most one request per neighbour per interval (RFC 1122 §2.3.2.1)
    unsigned max_requests = 3;                      ///< broadcast requests before giving a resolution up
};

/// Multicast and IGMP settings (RFC 3376 §8 defaults).
struct multicast_settings {
    size_t max_groups = 64;                                   ///< groups the interface may join
    size_t memberships_per_socket = 16;                       ///< (group, source) joins per UDP socket
    uint8_t robustness = 2;                                   ///< Robustness Variable (§8.1)
    duration unsolicited_report_interval = duration::s(1);    ///< v3 (§8.11); v2 uses 10 s (RFC 2236 §8.10)
    duration query_interval = duration::s(125);               ///< assumed when a query gives none (§8.2)
    duration query_response_interval = duration::s(10);       ///< Query Response Interval (§8.3)
    uint8_t multicast_ttl = 1;                                ///< TTL of multicast we send (RFC 1112 §6.1)
};

/// Everything a `stack` needs to know at start-up.
struct stack_config {
    ipv4_cidr address;                          ///< our address and subnet (required)
    std::optional<ipv4_address> gateway;        ///< the default router, on the subnet
    std::vector<static_arp_entry> static_arp;   ///< permanent neighbours
    std::optional<mac_address> mac;             ///< overrides the device's MAC when set
    uint8_t default_ttl = 64;                   ///< TTL of packets we originate (RFC 1122 §3.2.1.7)
    arp_settings arp;                           ///< neighbour cache settings
    size_t rx_burst = 32;                       ///< frames taken from the device per poll
    size_t tx_queue = 512;                      ///< frames one poll iteration may queue for transmission
    duration gateway_retry = duration::s(1);    ///< how often the gateway is asked for until it answers
    size_t udp_sockets = 64;                    ///< UDP sockets open at once
    size_t udp_queue = 256;                     ///< datagrams a pull-mode UDP socket may hold
    multicast_settings multicast;               ///< groups and IGMP
    uint32_t icmp_error_rate = 100;             ///< ICMP errors sent per second at most (RFC 1812 §4.3.2.8)
    uint32_t icmp_error_burst = 50;             ///< ... and in one burst

    /// Checks every field; the error names the field and the rule it breaks.
    result<void> validate() const;
};

} // namespace tachyon
