#pragma once
/// Golden frames for the wire tests, captured with tshark on a veth pair between two network
/// namespaces (v0 = 02:00:00:00:00:01 / 10.0.0.1, v1 = 02:00:00:00:00:02 / 10.0.0.2) while running
/// `ping -c 2 -s 32 -p 74616368796f6e 10.0.0.2` and sending "hi\n" to UDP port 9 on 10.0.0.1.
/// veth does not pad, so the ARP frames are 42 bytes, not the 60 a real NIC sends; and it passes
/// UDP/TCP checksum offload through, so frame 11's UDP checksum is the unfinished pseudo-header sum
/// (the IPv4 and ICMP checksums are computed in software and are final).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tachyon::wire::test {

/// The bytes of a golden array.
template <size_t N>
std::span<const std::byte> as_bytes(const uint8_t (&a)[N]) {
    return std::as_bytes(std::span<const uint8_t, N>(a));
}

/// A mutable copy of some bytes.
inline std::vector<std::byte> copy_of(std::span<const std::byte> b) { return {b.begin(), b.end()}; }

/// Frame 4: ARP request, "who has 10.0.0.2? tell 10.0.0.1".
// clang-format off
inline constexpr uint8_t arp_request_frame[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // eth dst: broadcast
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth src: 02:00:00:00:00:01
    0x08, 0x06,                         // ethertype: ARP
    0x00, 0x01,                         // htype: Ethernet
    0x08, 0x00,                         // ptype: IPv4
    0x06, 0x04,                         // hlen 6, plen 4
    0x00, 0x01,                         // op: request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // sha: 02:00:00:00:00:01
    0x0a, 0x00, 0x00, 0x01,             // spa: 10.0.0.1
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // tha: unknown
    0x0a, 0x00, 0x00, 0x02,             // tpa: 10.0.0.2
};
// clang-format on

/// Frame 5: ARP reply, "10.0.0.2 is at 02:00:00:00:00:02".
// clang-format off
inline constexpr uint8_t arp_reply_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth dst: 02:00:00:00:00:01
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // eth src: 02:00:00:00:00:02
    0x08, 0x06,                         // ethertype: ARP
    0x00, 0x01,                         // htype: Ethernet
    0x08, 0x00,                         // ptype: IPv4
    0x06, 0x04,                         // hlen 6, plen 4
    0x00, 0x02,                         // op: reply
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // sha: 02:00:00:00:00:02
    0x0a, 0x00, 0x00, 0x02,             // spa: 10.0.0.2
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // tha: 02:00:00:00:00:01
    0x0a, 0x00, 0x00, 0x01,             // tpa: 10.0.0.1
};
// clang-format on

/// Frame 6: ICMP echo request 10.0.0.1 -> 10.0.0.2, id 0x1a15, seq 1, 32 bytes of data.
// clang-format off
inline constexpr uint8_t echo_request_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // eth dst: 02:00:00:00:00:02
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth src: 02:00:00:00:00:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x3c,                         // total length 60
    0x62, 0xfd,                         // identification 0x62fd
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x01,                         // TTL 64, protocol ICMP
    0xc3, 0xc1,                         // header checksum
    0x0a, 0x00, 0x00, 0x01,             // src 10.0.0.1
    0x0a, 0x00, 0x00, 0x02,             // dst 10.0.0.2
    // ICMP (offset 34)
    0x08, 0x00,                         // type echo request, code 0
    0x47, 0x6e,                         // checksum
    0x1a, 0x15,                         // identifier
    0x00, 0x01,                         // sequence 1
    // data (offset 42): ping's timestamp, then the -p pattern "tachyon" repeated
    0x7d, 0x78, 0x09, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x36, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x63, 0x68, 0x79, 0x6f, 0x6e, 0x74, 0x61, 0x63, 0x68, 0x79, 0x6f, 0x6e, 0x74, 0x61, 0x63, 0x68,
};
// clang-format on

/// Frame 7: the kernel's echo reply 10.0.0.2 -> 10.0.0.1 to frame 6.
// clang-format off
inline constexpr uint8_t echo_reply_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth dst: 02:00:00:00:00:01
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // eth src: 02:00:00:00:00:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x3c,                         // total length 60
    0xba, 0xdd,                         // identification 0xbadd
    0x00, 0x00,                         // no flags, offset 0
    0x40, 0x01,                         // TTL 64, protocol ICMP
    0xab, 0xe1,                         // header checksum
    0x0a, 0x00, 0x00, 0x02,             // src 10.0.0.2
    0x0a, 0x00, 0x00, 0x01,             // dst 10.0.0.1
    // ICMP (offset 34)
    0x00, 0x00,                         // type echo reply, code 0
    0x4f, 0x6e,                         // checksum
    0x1a, 0x15,                         // identifier
    0x00, 0x01,                         // sequence 1
    // data (offset 42), echoed unchanged
    0x7d, 0x78, 0x09, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x36, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x63, 0x68, 0x79, 0x6f, 0x6e, 0x74, 0x61, 0x63, 0x68, 0x79, 0x6f, 0x6e, 0x74, 0x61, 0x63, 0x68,
};
// clang-format on

/// Frame 11: UDP 10.0.0.2:46195 -> 10.0.0.1:9, payload "hi\n".
// clang-format off
inline constexpr uint8_t udp_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth dst: 02:00:00:00:00:01
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // eth src: 02:00:00:00:00:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x1f,                         // total length 31
    0xde, 0x1f,                         // identification
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x11,                         // TTL 64, protocol UDP
    0x48, 0xac,                         // header checksum
    0x0a, 0x00, 0x00, 0x02,             // src 10.0.0.2
    0x0a, 0x00, 0x00, 0x01,             // dst 10.0.0.1
    // UDP (offset 34)
    0xb4, 0x73,                         // source port 46195
    0x00, 0x09,                         // destination port 9 (discard)
    0x00, 0x0b,                         // length 11
    0x14, 0x1f,                         // checksum: offload pending, the pseudo-header sum only
    0x68, 0x69, 0x0a,                   // "hi\n"
};
// clang-format on

/// Frame 12: ICMP port unreachable 10.0.0.1 -> 10.0.0.2 quoting frame 11's datagram.
/// Linux quotes the whole datagram when it fits (RFC 1812 §4.3.2.3), not just 8 bytes of it.
// clang-format off
inline constexpr uint8_t port_unreachable_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // eth dst: 02:00:00:00:00:02
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // eth src: 02:00:00:00:00:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0xc0,                         // version 4, IHL 5; DSCP CS6 (internetwork control)
    0x00, 0x3b,                         // total length 59
    0x63, 0x9e,                         // identification
    0x00, 0x00,                         // no flags, offset 0
    0x40, 0x01,                         // TTL 64, protocol ICMP
    0x02, 0x62,                         // header checksum
    0x0a, 0x00, 0x00, 0x01,             // src 10.0.0.1
    0x0a, 0x00, 0x00, 0x02,             // dst 10.0.0.2
    // ICMP (offset 34)
    0x03, 0x03,                         // destination unreachable, port
    0xc1, 0xec,                         // checksum
    0x00, 0x00, 0x00, 0x00,             // unused
    // the original datagram (offset 42): frame 11 from its IPv4 header on
    0x45, 0x00, 0x00, 0x1f, 0xde, 0x1f, 0x40, 0x00, 0x40, 0x11, 0x48, 0xac,
    0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
    0xb4, 0x73, 0x00, 0x09, 0x00, 0x0b, 0x14, 0x1f, 0x68, 0x69, 0x0a,
};
// clang-format on

/// Offsets into the captured frames.
inline constexpr size_t ip_offset = 14;
/// Where the ICMP/UDP header starts in the captured frames (no IP options).
inline constexpr size_t l4_offset = 34;

/// The bytes from `offset` on.
template <size_t N>
std::span<const std::byte> from(const uint8_t (&a)[N], size_t offset) {
    return as_bytes(a).subspan(offset);
}

/// Golden frames for UDP and IGMP, captured from the kernel (Linux 6.18) through a TAP in a network
/// namespace of their own: tap4 = 02:00:00:00:04:01 / 198.18.4.1/24 with a permanent neighbour
/// 198.18.4.2 = 02:00:00:00:04:02 and IPv6 disabled; frames were read from the TAP's file descriptor.
/// A TAP advertises no checksum offload, so unlike the veth frames above every UDP checksum here is
/// final (computed by the kernel in software). Kernel sockets sent UDP from 198.18.4.1:40000 and
/// joined/left 239.1.2.3 (IP_ADD/DROP_MEMBERSHIP) and 239.1.2.4 from 198.18.4.2 and 198.18.4.3
/// (IP_ADD/DROP_SOURCE_MEMBERSHIP), with force_igmp_version 0 (v3), then 2, then 1. The queries were
/// crafted with scapy 2.5.0 (scapy.contrib.igmp/igmpv3) as from a router at 198.18.4.2 and written into
/// the TAP; the kernel answered the v3 general query and the v2 group query (frames noted below), so it
/// accepted them. Every IGMP frame carries the Router Alert option (IHL 6), as RFC 2236 §2 and
/// RFC 3376 §4 require; the kernel sends its reports with TOS 0xc0, TTL 1, DF and identification 0.

/// Where the IGMP message starts in the IGMP frames (a 24-byte IPv4 header: Router Alert).
inline constexpr size_t igmp_offset = 38;

/// UDP 198.18.4.1:40000 -> 198.18.4.2:5001, payload "tachyon\n", checksum computed by the kernel.
// clang-format off
inline constexpr uint8_t udp_tachyon_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth dst: 02:00:00:00:04:02
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x24,                         // total length 36
    0x8d, 0x76,                         // identification 0x8d76
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x11,                         // TTL 64, protocol UDP
    0x19, 0x2b,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xc6, 0x12, 0x04, 0x02,             // dst 198.18.4.2
    // UDP (offset 34)
    0x9c, 0x40,                         // source port 40000
    0x13, 0x89,                         // destination port 5001
    0x00, 0x10,                         // length 16
    0xfc, 0x98,                         // checksum (final: computed in software)
    0x74, 0x61, 0x63, 0x68, 0x79, 0x6f, 0x6e, 0x0a, // payload "tachyon\n"
};
// clang-format on

/// UDP 198.18.4.1:40000 -> 198.18.4.2:5002 with a 2-byte payload chosen so the checksum computes to 0,
/// which the kernel sends as 0xffff (RFC 768).
// clang-format off
inline constexpr uint8_t udp_zero_sum_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth dst: 02:00:00:00:04:02
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x1e,                         // total length 30
    0x8d, 0x84,                         // identification 0x8d84
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x11,                         // TTL 64, protocol UDP
    0x19, 0x23,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xc6, 0x12, 0x04, 0x02,             // dst 198.18.4.2
    // UDP (offset 34)
    0x9c, 0x40,                         // source port 40000
    0x13, 0x8a,                         // destination port 5002
    0x00, 0x0a,                         // length 10
    0xff, 0xff,                         // checksum: a computed 0, sent as 0xffff
    0xbb, 0xe7,                         // payload 0xbbe7
};
// clang-format on

/// IGMPv3 state-change report on IP_ADD_MEMBERSHIP 239.1.2.3: TO_EX({}) (sent twice, robustness 2).
// clang-format off
inline constexpr uint8_t igmp_v3_join_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, // eth dst: 01:00:5e:00:00:16 (224.0.0.22)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x28,                         // total length 40
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x39, 0xe6,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xe0, 0x00, 0x00, 0x16,             // dst 224.0.0.22
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMPv3 report (offset 38)
    0x22, 0x00,                         // type 0x22 (v3 membership report), reserved
    0xe8, 0xf9,                         // checksum
    0x00, 0x00,                         // reserved
    0x00, 0x01,                         // number of group records: 1
    // group record 1 (offset 46)
    0x04, 0x00,                         // record type 4 (CHANGE_TO_EXCLUDE_MODE), aux data len 0
    0x00, 0x00,                         // number of sources: 0
    0xef, 0x01, 0x02, 0x03,             // multicast address 239.1.2.3
};
// clang-format on

/// IGMPv3 report on IP_ADD_SOURCE_MEMBERSHIP 239.1.2.4 from 198.18.4.2: ALLOW({198.18.4.2}).
// clang-format off
inline constexpr uint8_t igmp_v3_source_join_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, // eth dst: 01:00:5e:00:00:16 (224.0.0.22)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x2c,                         // total length 44
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x39, 0xe2,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xe0, 0x00, 0x00, 0x16,             // dst 224.0.0.22
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMPv3 report (offset 38)
    0x22, 0x00,                         // type 0x22 (v3 membership report), reserved
    0x1d, 0xe3,                         // checksum
    0x00, 0x00,                         // reserved
    0x00, 0x01,                         // number of group records: 1
    // group record 1 (offset 46)
    0x05, 0x00,                         // record type 5 (ALLOW_NEW_SOURCES), aux data len 0
    0x00, 0x01,                         // number of sources: 1
    0xef, 0x01, 0x02, 0x04,             // multicast address 239.1.2.4
    0xc6, 0x12, 0x04, 0x02,             // source 198.18.4.2
};
// clang-format on

/// The kernel's answer to `igmp_v3_general_query_frame` while joined as above (plus 198.18.4.3 added to
/// 239.1.2.4's sources): current-state records IS_IN({.2, .3}) and IS_EX({}).
// clang-format off
inline constexpr uint8_t igmp_v3_current_state_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, // eth dst: 01:00:5e:00:00:16 (224.0.0.22)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x38,                         // total length 56
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x39, 0xd6,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xe0, 0x00, 0x00, 0x16,             // dst 224.0.0.22
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMPv3 report (offset 38)
    0x22, 0x00,                         // type 0x22 (v3 membership report), reserved
    0x64, 0xc6,                         // checksum
    0x00, 0x00,                         // reserved
    0x00, 0x02,                         // number of group records: 2
    // group record 1 (offset 46)
    0x01, 0x00,                         // record type 1 (MODE_IS_INCLUDE), aux data len 0
    0x00, 0x02,                         // number of sources: 2
    0xef, 0x01, 0x02, 0x04,             // multicast address 239.1.2.4
    0xc6, 0x12, 0x04, 0x02,             // source 198.18.4.2
    0xc6, 0x12, 0x04, 0x03,             // source 198.18.4.3
    // group record 2 (offset 62)
    0x02, 0x00,                         // record type 2 (MODE_IS_EXCLUDE), aux data len 0
    0x00, 0x00,                         // number of sources: 0
    0xef, 0x01, 0x02, 0x03,             // multicast address 239.1.2.3
};
// clang-format on

/// IGMPv3 state-change report on IP_DROP_MEMBERSHIP 239.1.2.3: TO_IN({}).
// clang-format off
inline constexpr uint8_t igmp_v3_leave_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, // eth dst: 01:00:5e:00:00:16 (224.0.0.22)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x28,                         // total length 40
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x39, 0xe6,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xe0, 0x00, 0x00, 0x16,             // dst 224.0.0.22
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMPv3 report (offset 38)
    0x22, 0x00,                         // type 0x22 (v3 membership report), reserved
    0xe9, 0xf9,                         // checksum
    0x00, 0x00,                         // reserved
    0x00, 0x01,                         // number of group records: 1
    // group record 1 (offset 46)
    0x03, 0x00,                         // record type 3 (CHANGE_TO_INCLUDE_MODE), aux data len 0
    0x00, 0x00,                         // number of sources: 0
    0xef, 0x01, 0x02, 0x03,             // multicast address 239.1.2.3
};
// clang-format on

/// IGMPv3 report on IP_DROP_SOURCE_MEMBERSHIP 239.1.2.4 from 198.18.4.2: BLOCK({198.18.4.2}).
// clang-format off
inline constexpr uint8_t igmp_v3_source_leave_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, // eth dst: 01:00:5e:00:00:16 (224.0.0.22)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x2c,                         // total length 44
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x39, 0xe2,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xe0, 0x00, 0x00, 0x16,             // dst 224.0.0.22
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMPv3 report (offset 38)
    0x22, 0x00,                         // type 0x22 (v3 membership report), reserved
    0x1c, 0xe3,                         // checksum
    0x00, 0x00,                         // reserved
    0x00, 0x01,                         // number of group records: 1
    // group record 1 (offset 46)
    0x06, 0x00,                         // record type 6 (BLOCK_OLD_SOURCES), aux data len 0
    0x00, 0x01,                         // number of sources: 1
    0xef, 0x01, 0x02, 0x04,             // multicast address 239.1.2.4
    0xc6, 0x12, 0x04, 0x02,             // source 198.18.4.2
};
// clang-format on

/// IGMPv2 membership report for 239.1.2.3 (force_igmp_version=2). The kernel sent the same bytes
/// when it answered `igmp_v2_group_query_frame` in IGMPv3 mode (it fell back to v2, RFC 3376 §7.2.1).
// clang-format off
inline constexpr uint8_t igmp_v2_report_frame[] = {
    0x01, 0x00, 0x5e, 0x01, 0x02, 0x03, // eth dst: 01:00:5e:01:02:03 (239.1.2.3)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x20,                         // total length 32
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x29, 0x00,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xef, 0x01, 0x02, 0x03,             // dst 239.1.2.3
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x16, 0x00,                         // type 0x16 (v2 membership report), max resp time 0
    0xf8, 0xfa,                         // checksum
    0xef, 0x01, 0x02, 0x03,             // group address 239.1.2.3
};
// clang-format on

/// IGMPv2 leave group for 239.1.2.3, sent to all-routers 224.0.0.2.
// clang-format off
inline constexpr uint8_t igmp_v2_leave_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x02, // eth dst: 01:00:5e:00:00:02 (224.0.0.2)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x20,                         // total length 32
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x3a, 0x02,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xe0, 0x00, 0x00, 0x02,             // dst 224.0.0.2
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x17, 0x00,                         // type 0x17 (v2 leave group), max resp time 0
    0xf7, 0xfa,                         // checksum
    0xef, 0x01, 0x02, 0x03,             // group address 239.1.2.3
};
// clang-format on

/// IGMPv1 membership report for 239.1.2.3 (force_igmp_version=1; v1 has no leave).
// clang-format off
inline constexpr uint8_t igmp_v1_report_frame[] = {
    0x01, 0x00, 0x5e, 0x01, 0x02, 0x03, // eth dst: 01:00:5e:01:02:03 (239.1.2.3)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x01, // eth src: 02:00:00:00:04:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x20,                         // total length 32
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x29, 0x00,                         // header checksum
    0xc6, 0x12, 0x04, 0x01,             // src 198.18.4.1
    0xef, 0x01, 0x02, 0x03,             // dst 239.1.2.3
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x12, 0x00,                         // type 0x12 (v1 membership report), max resp time 0
    0xfc, 0xfa,                         // checksum
    0xef, 0x01, 0x02, 0x03,             // group address 239.1.2.3
};
// clang-format on

/// scapy: IGMPv3 general query from 198.18.4.2, max resp code 10 (1 s), QRV 2, QQIC 125 s.
// clang-format off
inline constexpr uint8_t igmp_v3_general_query_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x01, // eth dst: 01:00:5e:00:00:01 (224.0.0.1)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth src: 02:00:00:00:04:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x24,                         // total length 36
    0x00, 0x00,                         // identification 0x0000
    0x00, 0x00,                         // no flags, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x79, 0xfe,                         // header checksum
    0xc6, 0x12, 0x04, 0x02,             // src 198.18.4.2
    0xe0, 0x00, 0x00, 0x01,             // dst 224.0.0.1
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x11, 0x0a,                         // type 0x11 (membership query), max resp code 0x0a (10 ds)
    0xec, 0x78,                         // checksum
    0x00, 0x00, 0x00, 0x00,             // group address 0.0.0.0 (general query)
    0x02,                               // resv 0, S 0, QRV 2
    0x7d,                               // QQIC 0x7d (125 s)
    0x00, 0x00,                         // number of sources: 0
};
// clang-format on

/// scapy: IGMPv3 group-and-source-specific query for 239.1.2.4 and {198.18.4.2, 198.18.4.3}, S set,
/// max resp code 0x8c (exp 0, mant 12: 224 ds), QRV 2, QQIC 0x8f (248 s).
// clang-format off
inline constexpr uint8_t igmp_v3_group_source_query_frame[] = {
    0x01, 0x00, 0x5e, 0x01, 0x02, 0x04, // eth dst: 01:00:5e:01:02:04 (239.1.2.4)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth src: 02:00:00:00:04:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x2c,                         // total length 44
    0x00, 0x00,                         // identification 0x0000
    0x00, 0x00,                         // no flags, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x68, 0xf2,                         // header checksum
    0xc6, 0x12, 0x04, 0x02,             // src 198.18.4.2
    0xef, 0x01, 0x02, 0x04,             // dst 239.1.2.4
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x11, 0x8c,                         // type 0x11 (membership query), max resp code 0x8c (224 ds)
    0x5e, 0xb2,                         // checksum
    0xef, 0x01, 0x02, 0x04,             // group address 239.1.2.4
    0x0a,                               // resv 0, S 1, QRV 2
    0x8f,                               // QQIC 0x8f (exp 0, mant 15: 248 s)
    0x00, 0x02,                         // number of sources: 2
    0xc6, 0x12, 0x04, 0x02,             // source 198.18.4.2
    0xc6, 0x12, 0x04, 0x03,             // source 198.18.4.3
};
// clang-format on

/// scapy: IGMPv2 general query, max resp time 100 (10 s).
// clang-format off
inline constexpr uint8_t igmp_v2_general_query_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x01, // eth dst: 01:00:5e:00:00:01 (224.0.0.1)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth src: 02:00:00:00:04:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x20,                         // total length 32
    0x00, 0x00,                         // identification 0x0000
    0x00, 0x00,                         // no flags, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x7a, 0x02,                         // header checksum
    0xc6, 0x12, 0x04, 0x02,             // src 198.18.4.2
    0xe0, 0x00, 0x00, 0x01,             // dst 224.0.0.1
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x11, 0x64,                         // type 0x11 (membership query), max resp time 100 (10.0 s)
    0xee, 0x9b,                         // checksum
    0x00, 0x00, 0x00, 0x00,             // group address 0.0.0.0 (general query)
};
// clang-format on

/// scapy: IGMPv2 group-specific query for 239.1.2.3, max resp time 10 (1 s).
// clang-format off
inline constexpr uint8_t igmp_v2_group_query_frame[] = {
    0x01, 0x00, 0x5e, 0x01, 0x02, 0x03, // eth dst: 01:00:5e:01:02:03 (239.1.2.3)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth src: 02:00:00:00:04:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x20,                         // total length 32
    0x00, 0x00,                         // identification 0x0000
    0x00, 0x00,                         // no flags, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x68, 0xff,                         // header checksum
    0xc6, 0x12, 0x04, 0x02,             // src 198.18.4.2
    0xef, 0x01, 0x02, 0x03,             // dst 239.1.2.3
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x11, 0x0a,                         // type 0x11 (membership query), max resp time 10 (1.0 s)
    0xfd, 0xf0,                         // checksum
    0xef, 0x01, 0x02, 0x03,             // group address 239.1.2.3
};
// clang-format on

/// scapy: IGMPv1 query (8 bytes, max resp 0).
// clang-format off
inline constexpr uint8_t igmp_v1_query_frame[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x01, // eth dst: 01:00:5e:00:00:01 (224.0.0.1)
    0x02, 0x00, 0x00, 0x00, 0x04, 0x02, // eth src: 02:00:00:00:04:02
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x46, 0xc0,                         // version 4, IHL 6; DSCP CS6 (0xc0)
    0x00, 0x20,                         // total length 32
    0x00, 0x00,                         // identification 0x0000
    0x00, 0x00,                         // no flags, offset 0
    0x01, 0x02,                         // TTL 1, protocol IGMP
    0x7a, 0x02,                         // header checksum
    0xc6, 0x12, 0x04, 0x02,             // src 198.18.4.2
    0xe0, 0x00, 0x00, 0x01,             // dst 224.0.0.1
    0x94, 0x04, 0x00, 0x00,             // option: Router Alert (RFC 2113)
    // IGMP (offset 38)
    0x11, 0x00,                         // type 0x11 (membership query), max resp 0 (so: IGMPv1)
    0xee, 0xff,                         // checksum
    0x00, 0x00, 0x00, 0x00,             // group address 0.0.0.0 (general query)
};
// clang-format on

/// Golden frames for TCP, captured from the kernel (Linux 6.18, default sysctls: tcp_timestamps 1,
/// tcp_sack 1, tcp_window_scaling 1, tcp_ecn 2) through a TAP in a network namespace of their own:
/// tcptap = 02:00:00:00:05:01 / 198.18.5.1/24 with a permanent neighbour 198.18.5.2 =
/// 02:00:00:00:05:02 and IPv6 disabled; frames were read from the TAP's file descriptor, so every
/// checksum is final (a TAP advertises no offload). The peer 198.18.5.2 was scapy 2.5.0 writing into
/// the TAP. Kernel as client: a socket bound to 198.18.5.1:40001 connected to 198.18.5.2:5001;
/// scapy answered its SYN with a SYN-ACK (ISN 0x51a0c0de; MSS 1460, SACK-permitted, TSval
/// 0x00c0ffee, window scale 7); the kernel ACKed and sent "tachyon\n"; scapy sent 8 bytes at
/// 0x51a0c0e7, out of order (the kernel SACKed them), then the 8 missing bytes at 0x51a0c0df; the
/// kernel then shut its side down (FIN). Kernel as server: listening on 198.18.5.1:5002, it answered
/// a scapy SYN from port 40002. Port 5003 was closed. The TCP header starts at `l4_offset`.

/// Kernel client SYN 198.18.5.1:40001 -> 198.18.5.2:5001, options in Linux's SYN layout: MSS,
/// SACK-permitted + timestamps in one word, NOP + window scale (20 bytes, no padding needed).
// clang-format off
inline constexpr uint8_t tcp_syn_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x3c,                         // total length 60
    0xa4, 0x78,                         // identification 0xa478
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0x00, 0x1c,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x9c, 0x41,                         // source port 40001
    0x13, 0x89,                         // destination port 5001
    0xf0, 0xe0, 0x17, 0xb4,             // sequence number 0xf0e017b4
    0x00, 0x00, 0x00, 0x00,             // acknowledgment number 0x00000000
    0xa0, 0x02,                         // data offset 10 (40 bytes); flags SYN
    0xfa, 0xf0,                         // window 64240
    0x18, 0xbd,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
    // options (offset 54)
    0x02, 0x04, 0x05, 0xb4,             // MSS 1460
    0x04, 0x02,                         // SACK permitted
    0x08, 0x0a,                         // timestamps, length 10
    0xf8, 0x55, 0xed, 0x71,             // TSval 0xf855ed71
    0x00, 0x00, 0x00, 0x00,             // TSecr 0x00000000
    0x01,                               // NOP
    0x03, 0x03, 0x0a,                   // window scale 10
};
// clang-format on

/// Kernel server SYN-ACK 198.18.5.1:5002 -> 198.18.5.2:40002 to scapy's SYN (ISN 0x0badf00d, TSval
/// 0x00c10002): the SYN layout again, TSecr echoing the SYN's TSval.
// clang-format off
inline constexpr uint8_t tcp_syn_ack_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x3c,                         // total length 60
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0xa4, 0x94,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x13, 0x8a,                         // source port 5002
    0x9c, 0x42,                         // destination port 40002
    0x2c, 0xe9, 0xd4, 0x17,             // sequence number 0x2ce9d417
    0x0b, 0xad, 0xf0, 0x0e,             // acknowledgment number 0x0badf00e
    0xa0, 0x12,                         // data offset 10 (40 bytes); flags ACK|SYN
    0xfe, 0x88,                         // window 65160
    0x98, 0x87,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
    // options (offset 54)
    0x02, 0x04, 0x05, 0xb4,             // MSS 1460
    0x04, 0x02,                         // SACK permitted
    0x08, 0x0a,                         // timestamps, length 10
    0x27, 0xad, 0x45, 0xbb,             // TSval 0x27ad45bb
    0x00, 0xc1, 0x00, 0x02,             // TSecr 0x00c10002
    0x01,                               // NOP
    0x03, 0x03, 0x0a,                   // window scale 10
};
// clang-format on

/// Kernel client ACK completing the handshake: NOP NOP timestamps, the established-state layout
/// (window 63 << 10 = 64512 bytes).
// clang-format off
inline constexpr uint8_t tcp_ack_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x34,                         // total length 52
    0xa4, 0x79,                         // identification 0xa479
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0x00, 0x23,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x9c, 0x41,                         // source port 40001
    0x13, 0x89,                         // destination port 5001
    0xf0, 0xe0, 0x17, 0xb5,             // sequence number 0xf0e017b5
    0x51, 0xa0, 0xc0, 0xdf,             // acknowledgment number 0x51a0c0df
    0x80, 0x10,                         // data offset 8 (32 bytes); flags ACK
    0x00, 0x3f,                         // window 63
    0x2e, 0xfe,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
    // options (offset 54)
    0x01,                               // NOP
    0x01,                               // NOP
    0x08, 0x0a,                         // timestamps, length 10
    0xf8, 0x55, 0xed, 0x72,             // TSval 0xf855ed72
    0x00, 0xc0, 0xff, 0xee,             // TSecr 0x00c0ffee
};
// clang-format on

/// Kernel client data: PSH|ACK with "tachyon\n" and NOP NOP timestamps.
// clang-format off
inline constexpr uint8_t tcp_data_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x3c,                         // total length 60
    0xa4, 0x7a,                         // identification 0xa47a
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0x00, 0x1a,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x9c, 0x41,                         // source port 40001
    0x13, 0x89,                         // destination port 5001
    0xf0, 0xe0, 0x17, 0xb5,             // sequence number 0xf0e017b5
    0x51, 0xa0, 0xc0, 0xdf,             // acknowledgment number 0x51a0c0df
    0x80, 0x18,                         // data offset 8 (32 bytes); flags ACK|PSH
    0x00, 0x3f,                         // window 63
    0x6f, 0xaa,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
    // options (offset 54)
    0x01,                               // NOP
    0x01,                               // NOP
    0x08, 0x0a,                         // timestamps, length 10
    0xf8, 0x55, 0xed, 0x72,             // TSval 0xf855ed72
    0x00, 0xc0, 0xff, 0xee,             // TSecr 0x00c0ffee
    0x74, 0x61, 0x63, 0x68, 0x79, 0x6f, 0x6e, 0x0a, // payload "tachyon\n"
};
// clang-format on

/// Kernel client duplicate ACK (still acknowledging 0x51a0c0df) with one SACK block for the 8 bytes
/// scapy sent at 0x51a0c0e7 ahead of the hole: NOP NOP timestamps, then NOP NOP SACK.
// clang-format off
inline constexpr uint8_t tcp_sack_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x40,                         // total length 64
    0xa4, 0x7b,                         // identification 0xa47b
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0x00, 0x15,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x9c, 0x41,                         // source port 40001
    0x13, 0x89,                         // destination port 5001
    0xf0, 0xe0, 0x17, 0xbd,             // sequence number 0xf0e017bd
    0x51, 0xa0, 0xc0, 0xdf,             // acknowledgment number 0x51a0c0df
    0xb0, 0x10,                         // data offset 11 (44 bytes); flags ACK
    0x00, 0x3f,                         // window 63
    0xd3, 0xc5,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
    // options (offset 54)
    0x01,                               // NOP
    0x01,                               // NOP
    0x08, 0x0a,                         // timestamps, length 10
    0xf8, 0x55, 0xed, 0x73,             // TSval 0xf855ed73
    0x00, 0xc0, 0xff, 0xee,             // TSecr 0x00c0ffee
    0x01,                               // NOP
    0x01,                               // NOP
    0x05, 0x0a,                         // SACK, length 10: 1 block
    0x51, 0xa0, 0xc0, 0xe7,             // left edge 0x51a0c0e7
    0x51, 0xa0, 0xc0, 0xef,             // right edge 0x51a0c0ef
};
// clang-format on

/// Kernel client FIN|ACK on shutdown(SHUT_WR), after the hole was filled (ACK 0x51a0c0ef).
// clang-format off
inline constexpr uint8_t tcp_fin_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x34,                         // total length 52
    0xa4, 0x7d,                         // identification 0xa47d
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0x00, 0x1f,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x9c, 0x41,                         // source port 40001
    0x13, 0x89,                         // destination port 5001
    0xf0, 0xe0, 0x17, 0xbd,             // sequence number 0xf0e017bd
    0x51, 0xa0, 0xc0, 0xef,             // acknowledgment number 0x51a0c0ef
    0x80, 0x11,                         // data offset 8 (32 bytes); flags ACK|FIN
    0x00, 0x3f,                         // window 63
    0x2e, 0xd9,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
    // options (offset 54)
    0x01,                               // NOP
    0x01,                               // NOP
    0x08, 0x0a,                         // timestamps, length 10
    0xf8, 0x55, 0xed, 0x73,             // TSval 0xf855ed73
    0x00, 0xc0, 0xff, 0xf9,             // TSecr 0x00c0fff9
};
// clang-format on

/// Kernel RST|ACK to a SYN (seq 0x01020304, no options) for closed port 5003: seq 0, ACK = SYN + 1
/// (RFC 9293 §3.10.7.1).
// clang-format off
inline constexpr uint8_t tcp_rst_ack_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x28,                         // total length 40
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0xa4, 0xa8,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x13, 0x8b,                         // source port 5003
    0x9c, 0x43,                         // destination port 40003
    0x00, 0x00, 0x00, 0x00,             // sequence number 0x00000000
    0x01, 0x02, 0x03, 0x05,             // acknowledgment number 0x01020305
    0x50, 0x14,                         // data offset 5 (20 bytes); flags ACK|RST
    0x00, 0x00,                         // window 0
    0x65, 0xd3,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
};
// clang-format on

/// Kernel RST to a bare ACK (ack 0x0a0b0c0d) for closed port 5003: seq = its ACK, no ACK bit
/// (RFC 9293 §3.10.7.1).
// clang-format off
inline constexpr uint8_t tcp_rst_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x05, 0x02, // eth dst: 02:00:00:00:05:02
    0x02, 0x00, 0x00, 0x00, 0x05, 0x01, // eth src: 02:00:00:00:05:01
    0x08, 0x00,                         // ethertype: IPv4
    // IPv4 (offset 14)
    0x45, 0x00,                         // version 4, IHL 5; DSCP/ECN 0
    0x00, 0x28,                         // total length 40
    0x00, 0x00,                         // identification 0x0000
    0x40, 0x00,                         // DF, offset 0
    0x40, 0x06,                         // TTL 64, protocol TCP
    0xa4, 0xa8,                         // header checksum
    0xc6, 0x12, 0x05, 0x01,             // src 198.18.5.1
    0xc6, 0x12, 0x05, 0x02,             // dst 198.18.5.2
    // TCP (offset 34)
    0x13, 0x8b,                         // source port 5003
    0x9c, 0x44,                         // destination port 40004
    0x0a, 0x0b, 0x0c, 0x0d,             // sequence number 0x0a0b0c0d
    0x00, 0x00, 0x00, 0x00,             // acknowledgment number 0x00000000
    0x50, 0x04,                         // data offset 5 (20 bytes); flags RST
    0x00, 0x00,                         // window 0
    0x53, 0xd1,                         // checksum (final: computed in software)
    0x00, 0x00,                         // urgent pointer 0
};
// clang-format on

} // namespace tachyon::wire::test
