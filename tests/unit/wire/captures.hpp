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

} // namespace tachyon::wire::test
