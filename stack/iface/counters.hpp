#pragma once
/// The stack's per-layer counters (Ethernet, ARP, IPv4, ICMP, UDP, transmit; TCP's are in
/// stack/net/tcp_stats.hpp, the ARP cache's and the IGMP host's with them, each device's in
/// its own). Every frame the stack does not deliver or answer ends in exactly one `drop_*`
/// counter, named for the reason (BSD tcpstat style).

#include "stack/core/stats.hpp"

namespace tachyon {

#define TACHYON_ETHERNET_COUNTERS(X)                                                   \
    X(rx_frames)              /* frames taken from the device */                       \
    X(drop_too_short)         /* shorter than an Ethernet header */                    \
    X(drop_not_for_us)        /* unicast to another MAC, or a group we did not join */ \
    X(drop_bad_source)        /* source MAC is a group address (IEEE 802.3) */         \
    X(drop_unknown_ethertype) /* neither IPv4 nor ARP (IPv6, VLAN tags, ...) */

/// Ethernet II demultiplexing counters.
struct ethernet_stats {
    TACHYON_COUNTERS(TACHYON_ETHERNET_COUNTERS)
};

#define TACHYON_ARP_COUNTERS(X)                                                           \
    X(rx_requests)             /* requests for our address */                             \
    X(rx_replies)              /* replies received */                                     \
    X(tx_requests)             /* requests sent (resolutions, refreshes, announcements) */\
    X(tx_replies)              /* replies sent */                                         \
    X(conflicts)               /* another host claims our address (RFC 5227 §2.4) */      \
    X(drop_truncated)          /* shorter than 28 bytes */                                \
    X(drop_bad_hardware_type)  /* not Ethernet */                                         \
    X(drop_bad_protocol_type)  /* not IPv4 */                                             \
    X(drop_bad_address_length) /* hardware or protocol length not 6 and 4 */              \
    X(drop_bad_operation)      /* neither request nor reply */                            \
    X(drop_not_for_us)         /* a request for another host's address */                 \
    X(drop_bad_sender)         /* a request from a zero or group MAC, or a group/loopback IP */

/// ARP protocol counters (the cache keeps its own, `arp_cache_stats`).
struct arp_stats {
    TACHYON_COUNTERS(TACHYON_ARP_COUNTERS)
};

#define TACHYON_IPV4_COUNTERS(X)                                                               \
    X(rx_packets)            /* packets that passed validation */                              \
    X(tx_packets)            /* packets sent */                                                \
    X(drop_truncated)        /* shorter than 20 bytes */                                       \
    X(drop_bad_version)      /* version is not 4 */                                            \
    X(drop_bad_header_length)/* IHL below 5 or past the frame */                               \
    X(drop_bad_total_length) /* total length below the header or past the frame */             \
    X(drop_bad_checksum)     /* header checksum wrong */                                       \
    X(drop_bad_source)       /* source is broadcast or multicast (RFC 1122 §3.2.1.3) */        \
    X(drop_not_for_us)       /* destination is not ours or our subnet's broadcast */           \
    X(drop_not_joined)       /* a multicast group the interface has not joined */              \
    X(drop_fragment)         /* fragments: reassembly is not supported */                      \
    X(drop_unknown_protocol) /* no handler for the protocol number */                          \
    X(drop_no_route)         /* off-link destination and no gateway */                         \
    X(drop_no_headroom)      /* a frame without room in front for the headers */

/// IPv4 counters.
struct ipv4_stats {
    TACHYON_COUNTERS(TACHYON_IPV4_COUNTERS)
};

#define TACHYON_ICMP_COUNTERS(X)                                                          \
    X(rx_echo_requests)      /* echo requests answered */                                 \
    X(tx_echo_replies)       /* echo replies sent */                                      \
    X(tx_echo_requests)      /* echo requests sent (pings of our own) */                  \
    X(rx_echo_replies)       /* echo replies delivered to the echo handler */             \
    X(rx_unreachable)        /* destination unreachable messages received */              \
    X(drop_truncated)        /* shorter than the 8-byte header */                         \
    X(drop_bad_checksum)     /* checksum wrong */                                         \
    X(drop_broadcast_echo)   /* echo to a broadcast address, ignored (RFC 1122 §3.2.2.6) */ \
    X(drop_unhandled_type)   /* types we do not act on (echo replies, redirects, ...) */

/// ICMP counters.
struct icmp_stats {
    TACHYON_COUNTERS(TACHYON_ICMP_COUNTERS)
};

#define TACHYON_UDP_COUNTERS(X)                                                              \
    X(rx_datagrams)          /* datagrams delivered to a socket */                           \
    X(tx_datagrams)          /* datagrams sent */                                            \
    X(tx_port_unreachable)   /* ICMP port unreachable sent for a closed port */              \
    X(unreachable_rate_limited) /* port unreachable not sent: over the ICMP error rate */    \
    X(drop_truncated)        /* shorter than the 8-byte header */                            \
    X(drop_bad_length)       /* length field below 8 or past the IP payload */               \
    X(drop_bad_checksum)     /* checksum wrong */                                            \
    X(drop_bad_port)         /* destination port 0 */                                        \
    X(drop_no_socket)        /* no socket bound to the port (or joined to the group) */       \
    X(drop_source_filtered)  /* a joined group, from a source the socket did not include */  \
    X(drop_queue_full)       /* the socket's receive queue was full */                       \
    X(drop_loopback_full)    /* a multicast loop-back copy with no room in the loop-back queue */

/// UDP counters.
struct udp_stats {
    TACHYON_COUNTERS(TACHYON_UDP_COUNTERS)
};

#define TACHYON_TX_COUNTERS(X)                                                           \
    X(frames)              /* frames handed to the device */                             \
    X(drop_device_full)    /* frames the device refused (its transmit queue was full) */ \
    X(drop_no_buffer)      /* frames never built: the buffer pool was empty */           \
    X(drop_no_headroom)    /* a frame without room in front for its Ethernet header */

/// Transmit-path counters.
struct tx_stats {
    TACHYON_COUNTERS(TACHYON_TX_COUNTERS)
};

} // namespace tachyon
