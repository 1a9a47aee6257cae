#pragma once
/// Frames built by hand, with no stack: the blaster's UDP datagrams and the requests injected
/// into lwIP. Plain bytes, checksums filled in software.

#include <cstdint>
#include <cstring>
#include <vector>

#include "stack/core/addr.hpp"

namespace tachyon::bench {

inline uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(sum);
}
inline uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
    if (n & 1) sum += uint32_t(p[n - 1]) << 8;
    return sum;
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
    ip[9] = 17;
    for (int i = 0; i < 4; ++i) {
        ip[12 + i] = src.octet(i);
        ip[16 + i] = dst.octet(i);
    }
    const uint16_t ipsum = uint16_t(~fold(sum16(ip, 20)));
    ip[10] = uint8_t(ipsum >> 8);
    ip[11] = uint8_t(ipsum);
    uint8_t* udp = ip + 20;
    const uint16_t ulen = uint16_t(8 + size);
    udp[0] = uint8_t(sport >> 8);
    udp[1] = uint8_t(sport);
    udp[2] = uint8_t(dport >> 8);
    udp[3] = uint8_t(dport);
    udp[4] = uint8_t(ulen >> 8);
    udp[5] = uint8_t(ulen);
    uint32_t pseudo = sum16(ip + 12, 8) + 17 + ulen;
    uint16_t usum = uint16_t(~fold(sum16(udp, ulen, pseudo)));
    if (usum == 0) usum = 0xffff;
    udp[6] = uint8_t(usum >> 8);
    udp[7] = uint8_t(usum);
    return f;
}

/// An Ethernet + IPv4 + ICMP echo request frame carrying `size` data bytes (zeros).
inline std::vector<uint8_t> icmp_echo_template(const mac_address& src_mac, const mac_address& dst_mac, ipv4_address src,
                                               ipv4_address dst, uint16_t id, uint16_t seq, size_t size) {
    std::vector<uint8_t> f = udp_frame_template(src_mac, dst_mac, src, dst, 0, 0, size);
    uint8_t* ip = &f[14];
    ip[9] = 1;
    ip[10] = ip[11] = 0;
    const uint16_t ipsum = uint16_t(~fold(sum16(ip, 20)));
    ip[10] = uint8_t(ipsum >> 8);
    ip[11] = uint8_t(ipsum);
    uint8_t* icmp = ip + 20;
    std::memset(icmp, 0, 8);
    icmp[0] = 8; // echo request
    icmp[4] = uint8_t(id >> 8);
    icmp[5] = uint8_t(id);
    icmp[6] = uint8_t(seq >> 8);
    icmp[7] = uint8_t(seq);
    const uint16_t sum = uint16_t(~fold(sum16(icmp, 8 + size)));
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
    ip[9] = 6;
    ip[10] = ip[11] = 0;
    const uint16_t ipsum = uint16_t(~fold(sum16(ip, 20)));
    ip[10] = uint8_t(ipsum >> 8);
    ip[11] = uint8_t(ipsum);
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
    const uint32_t pseudo = sum16(ip + 12, 8) + 6 + tlen;
    const uint16_t sum = uint16_t(~fold(sum16(t, tlen, pseudo)));
    t[16] = uint8_t(sum >> 8);
    t[17] = uint8_t(sum);
    return f;
}

} // namespace tachyon::bench
