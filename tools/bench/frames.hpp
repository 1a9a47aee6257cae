#pragma once
/// Frames built by hand, with no stack: the blaster's UDP datagrams and the requests injected
/// into lwIP. Plain bytes, checksums filled in software with the stack's own (stack/wire/
/// checksum.hpp, tested against RFC 1071's definition): the frames are inputs, not oracles.

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "stack/core/addr.hpp"
#include "stack/wire/checksum.hpp"

namespace tachyon::bench {

/// The internet checksum of `n` bytes at `p`, chained onto the partial sum `sum`.
inline uint16_t checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
    return wire::checksum_fold(wire::checksum_partial(std::as_bytes(std::span(p, n)), sum));
}

/// Sets the IPv4 header's protocol (at `ip`) and fills its header checksum again.
inline void set_ipv4_protocol(uint8_t* ip, uint8_t protocol) {
    ip[9] = protocol;
    ip[10] = ip[11] = 0;
    const uint16_t ipsum = checksum(ip, 20);
    ip[10] = uint8_t(ipsum >> 8);
    ip[11] = uint8_t(ipsum);
}

/// An Ethernet + IPv4 + UDP frame from `src_mac`/`src` to `dst_mac`/`dst`:`port`, `size`
/// payload bytes (zeros), checksums filled.
inline std::vector<uint8_t> udp_frame_template(const mac_address& src_mac, const mac_address& dst_mac, ipv4_address src,
                                        ipv4_address dst, uint16_t sport, uint16_t dport, size_t size) {
    std::vector<uint8_t> f(14 + 20 + 8 + size, 0);
    std::memcpy(&f[0], dst_mac.bytes.data(), 6);
    std::memcpy(&f[6], src_mac.bytes.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t* ip = &f[14];
    const uint16_t total = uint16_t(20 + 8 + size);
    ip[0] = 0x45;
    ip[2] = uint8_t(total >> 8);
    ip[3] = uint8_t(total);
    ip[6] = 0x40; // DF
    ip[8] = dst.is_multicast() ? 1 : 64;
    for (int i = 0; i < 4; ++i) {
        ip[12 + i] = src.octet(i);
        ip[16 + i] = dst.octet(i);
    }
    set_ipv4_protocol(ip, 17);
    uint8_t* udp = ip + 20;
    const uint16_t ulen = uint16_t(8 + size);
    udp[0] = uint8_t(sport >> 8);
    udp[1] = uint8_t(sport);
    udp[2] = uint8_t(dport >> 8);
    udp[3] = uint8_t(dport);
    udp[4] = uint8_t(ulen >> 8);
    udp[5] = uint8_t(ulen);
    uint16_t usum = checksum(udp, ulen, wire::pseudo_header_sum(src, dst, 17, ulen));
    if (usum == 0) usum = 0xffff; // RFC 768: a computed zero is sent as all ones
    udp[6] = uint8_t(usum >> 8);
    udp[7] = uint8_t(usum);
    return f;
}

/// An Ethernet + IPv4 + ICMP echo request frame carrying `size` data bytes (zeros).
inline std::vector<uint8_t> icmp_echo_template(const mac_address& src_mac, const mac_address& dst_mac, ipv4_address src,
                                               ipv4_address dst, uint16_t id, uint16_t seq, size_t size) {
    std::vector<uint8_t> f = udp_frame_template(src_mac, dst_mac, src, dst, 0, 0, size);
    uint8_t* ip = &f[14];
    set_ipv4_protocol(ip, 1);
    uint8_t* icmp = ip + 20;
    std::memset(icmp, 0, 8);
    icmp[0] = 8; // echo request
    icmp[4] = uint8_t(id >> 8);
    icmp[5] = uint8_t(id);
    icmp[6] = uint8_t(seq >> 8);
    icmp[7] = uint8_t(seq);
    const uint16_t sum = checksum(icmp, 8 + size);
    icmp[2] = uint8_t(sum >> 8);
    icmp[3] = uint8_t(sum);
    return f;
}

/// An Ethernet + IPv4 + TCP segment (no options) carrying `size` payload bytes (zeros, or the
/// first 8 from `tag`), checksums filled.
inline std::vector<uint8_t> tcp_frame(const mac_address& src_mac, const mac_address& dst_mac, ipv4_address src,
                                      ipv4_address dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                                      uint8_t flags, uint16_t window, size_t size, uint64_t tag = 0) {
    std::vector<uint8_t> f = udp_frame_template(src_mac, dst_mac, src, dst, 0, 0, size + 12);
    uint8_t* ip = &f[14];
    set_ipv4_protocol(ip, 6);
    uint8_t* t = ip + 20;
    std::memset(t, 0, 20);
    t[0] = uint8_t(sport >> 8);
    t[1] = uint8_t(sport);
    t[2] = uint8_t(dport >> 8);
    t[3] = uint8_t(dport);
    for (int i = 0; i < 4; ++i) {
        t[4 + i] = uint8_t(seq >> (24 - 8 * i));
        t[8 + i] = uint8_t(ack >> (24 - 8 * i));
    }
    t[12] = 5 << 4;
    t[13] = flags;
    t[14] = uint8_t(window >> 8);
    t[15] = uint8_t(window);
    if (size >= 8) std::memcpy(t + 20, &tag, 8);
    const uint16_t tlen = uint16_t(20 + size);
    const uint16_t sum = checksum(t, tlen, wire::pseudo_header_sum(src, dst, 6, tlen));
    t[16] = uint8_t(sum >> 8);
    t[17] = uint8_t(sum);
    return f;
}

} // namespace tachyon::bench
