#pragma once
/// The stack's configuration: addresses, capacities and timeouts, fixed at start-up. Every
/// table and pool is sized from here; nothing grows later. `validate` says what is wrong in
/// words a user can act on.

#include <array>
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

/// The loss-recovery timers of one connection (`tcp_settings` gives every connection's start).
struct tcp_recovery_timers {
    duration rto_min = duration::ms(200);         ///< RFC 6298 (2.4) says 1 s; 200 ms as Linux; a LAN
                                                  ///< wants 5-20 ms (faster recovery, more spurious
                                                  ///< retransmissions when the peer stalls)
    duration pto_min = duration::ms(2);           ///< floor of the tail loss probe's timeout (RFC 8985
                                                  ///< §7.2; Linux's TCP_TIMEOUT_MIN)
    duration tlp_delayed_ack = duration::ms(200); ///< RFC 8985 §7.2 WCDelAckT, added to the probe's
                                                  ///< timeout when one segment is in flight (at most
                                                  ///< rto_min): 0 for a peer that ACKs at once
};

/// TCP settings (RFC 9293 and companions); every connection's buffers are sized from here.
struct tcp_settings {
    size_t max_connections = 1024;                 ///< connections at once, TIME_WAIT included
    size_t max_listeners = 16;                     ///< listening ports
    size_t syn_backlog = 128;                      ///< half-open connections per listener
    size_t send_buffer = 64 * 1024;                ///< bytes a connection may hold unacknowledged or unsent
    size_t receive_buffer = 64 * 1024;             ///< bytes a connection may hold for the application
    size_t out_of_order_segments = 64;             ///< segments kept beyond a gap (RFC 9293 §3.10.7.4)
    duration msl = duration::s(30);                ///< Maximum Segment Lifetime; TIME_WAIT lasts 2*MSL
    duration rto_initial = duration::s(1);         ///< RFC 6298 (2.1)
    duration rto_min = duration::ms(200);          ///< RFC 6298 (2.4) says 1 s; 200 ms as Linux
    duration rto_max = duration::s(60);            ///< RFC 6298 (2.5)
    unsigned max_retransmits = 15;                 ///< retransmissions of one segment before giving up
    duration connect_timeout = duration::s(10);    ///< default for connect (SYN retransmissions)
    bool delayed_ack = false;                      ///< RFC 1122 §4.2.3.2; off: ACK at the end of each poll
    duration delayed_ack_timeout = duration::ms(40); ///< with delayed_ack
    bool nagle = false;                            ///< RFC 896 / RFC 1122 §4.2.3.4; off for latency
    bool timestamps = true;                        ///< RFC 7323 timestamps (RTTM, PAWS)
    bool sack = true;                              ///< RFC 2018 SACK-permitted and SACK blocks
    bool tail_loss_probe = true;                   ///< RFC 8985 §7 TLP (needs SACK on the connection)
    duration pto_min = duration::ms(2);            ///< see tcp_recovery_timers
    duration tlp_delayed_ack = duration::ms(200);  ///< see tcp_recovery_timers
    uint8_t window_scale = 7;                      ///< RFC 7323 §2 shift we offer (0..14)
    bool keepalive = false;                        ///< RFC 1122 §4.2.3.6, off by default
    duration keepalive_idle = duration::s(7200);   ///< idle time before the first probe
    duration keepalive_interval = duration::s(75); ///< between probes
    unsigned keepalive_probes = 9;                 ///< unanswered probes before the connection is dropped
    uint32_t challenge_ack_limit = 1000;           ///< RFC 5961 §7: challenge ACKs per second at most
    bool syn_cookies = true;                       ///< RFC 4987 §3.6: SYN cookies when a listener's backlog is full
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
    tcp_settings tcp;                           ///< TCP
    std::array<uint8_t, 16> secret{};           ///< key for ISNs (RFC 6528) and hashing; random per run
    uint32_t icmp_error_rate = 100;             ///< ICMP errors sent per second at most (RFC 1812 §4.3.2.8)
    uint32_t icmp_error_burst = 50;             ///< ... and in one burst

    /// Checks every field; the error names the field and the rule it breaks.
    result<void> validate() const;
};

} // namespace tachyon
