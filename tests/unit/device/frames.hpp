#pragma once
/// Test frames for the device tests: Ethernet frames of the local experimental EtherType
/// 0x88b5 that carry a sequence number and a pattern derived from it, so a receiver can tell
/// which frame it got and whether its bytes arrived intact.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "stack/buf/packet.hpp"
#include "stack/core/addr.hpp"

namespace tachyon::test {

/// The EtherType of test frames (IEEE 802 local experimental).
constexpr uint16_t test_ethertype = 0x88b5;

/// Fills `p` (an empty frame) with a test frame of `len` bytes carrying `seq`; false when
/// the frame has no room for it (it is then unchanged).
inline bool make_frame(packet& p, const mac_address& dst, const mac_address& src, uint32_t seq,
                       size_t len = 64) {
    if (len < 18) return false;
    std::byte* d = p.append(len);
    if (d == nullptr) return false;
    std::memcpy(d, dst.bytes.data(), 6);
    std::memcpy(d + 6, src.bytes.data(), 6);
    d[12] = std::byte(test_ethertype >> 8);
    d[13] = std::byte(test_ethertype & 0xff);
    for (int i = 0; i < 4; ++i) d[14 + i] = std::byte(seq >> (24 - 8 * i));
    for (size_t i = 18; i < len; ++i) d[i] = std::byte((seq + i) & 0xff);
    return true;
}

/// True when `p` is a test frame (right EtherType, long enough to hold a sequence number).
inline bool is_test_frame(const packet& p) {
    return p.size() >= 18 && p.data()[12] == std::byte(test_ethertype >> 8) &&
           p.data()[13] == std::byte(test_ethertype & 0xff);
}

/// The sequence number a test frame carries.
inline uint32_t frame_seq(const packet& p) {
    uint32_t s = 0;
    for (int i = 0; i < 4; ++i) s = (s << 8) | uint32_t(p.data()[14 + i]);
    return s;
}

/// True when every byte after the sequence number matches the pattern.
inline bool frame_intact(const packet& p) {
    const uint32_t seq = frame_seq(p);
    for (size_t i = 18; i < p.size(); ++i)
        if (p.data()[i] != std::byte((seq + i) & 0xff)) return false;
    return true;
}

} // namespace tachyon::test
