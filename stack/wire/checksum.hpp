#pragma once
/// The internet checksum: the 16-bit ones' complement of the ones' complement sum of the data
/// taken as big-endian 16-bit words. Read RFC 1071 (computing it fast, byte-order independence),
/// RFC 1624 (updating it incrementally when one field changes) and RFC 793 §3.1 / RFC 768 for the
/// TCP/UDP pseudo header.
///
/// Partial sums are plain `uint32_t` values holding a ones' complement sum that is not yet
/// folded or complemented; chain them with `checksum_partial(next, sum)` and finish with
/// `checksum_fold`. Chained chunks must have even sizes (except the last one), since each chunk
/// starts a new 16-bit word.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "stack/core/addr.hpp"
#include "stack/wire/endian.hpp"

namespace tachyon::wire {

namespace detail {

/// Adds `w` to `acc` with end-around carry (ones' complement addition over 64 bits).
[[nodiscard]] inline uint64_t add_end_around(uint64_t acc, uint64_t w) {
    acc += w;
    return acc + (acc < w ? 1 : 0);
}

/// Folds a 64-bit ones' complement sum to 16 bits, keeping the carries.
[[nodiscard]] constexpr uint32_t fold_to_16(uint64_t sum) {
    sum = (sum & 0xffffffffu) + (sum >> 32); // at most 33 bits
    sum = (sum & 0xffffu) + (sum >> 16);     // at most 0x2fffe
    sum = (sum & 0xffffu) + (sum >> 16);     // at most 0x10001
    sum = (sum & 0xffffu) + (sum >> 16);     // at most 0xffff
    return uint32_t(sum);
}

} // namespace detail

/// Adds the data's 16-bit big-endian words into `sum` (a trailing odd byte is padded with zero).
/// The result is folded to at most 0xffff, so any number of partial sums chain without overflow.
[[nodiscard]] inline uint32_t checksum_partial(std::span<const std::byte> data, uint32_t sum = 0) {
    // RFC 1071 §2(B): the ones' complement sum is byte-order independent, so sum the data as
    // native-order 64-bit words and swap the folded 16-bit result once at the end.
    const std::byte* p = data.data();
    size_t n = data.size();
    uint64_t acc = 0;
    while (n >= 32) {
        uint64_t w[4];
        std::memcpy(w, p, sizeof w);
        acc = detail::add_end_around(acc, w[0]);
        acc = detail::add_end_around(acc, w[1]);
        acc = detail::add_end_around(acc, w[2]);
        acc = detail::add_end_around(acc, w[3]);
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, sizeof w);
        acc = detail::add_end_around(acc, w);
        p += 8;
        n -= 8;
    }
    if (n >= 4) {
        uint32_t w;
        std::memcpy(&w, p, sizeof w);
        acc = detail::add_end_around(acc, w);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        uint16_t w;
        std::memcpy(&w, p, sizeof w);
        acc = detail::add_end_around(acc, w);
        p += 2;
        n -= 2;
    }
    if (n == 1) {
        // The odd byte is the high half of a big-endian word whose low half is zero.
        const std::byte pad[2] = {*p, std::byte{0}};
        uint16_t w;
        std::memcpy(&w, pad, sizeof w);
        acc = detail::add_end_around(acc, w);
    }
    const uint16_t folded = byteswap_to_be16(uint16_t(detail::fold_to_16(acc)));
    return detail::fold_to_16(uint64_t(sum) + folded);
}

/// Folds carries and returns the ones' complement (the value to store in the header).
[[nodiscard]] constexpr uint16_t checksum_fold(uint32_t sum) { return uint16_t(~detail::fold_to_16(sum)); }

/// The internet checksum of `data`; a correct header (checksum field included) checksums to 0.
[[nodiscard]] inline uint16_t internet_checksum(std::span<const std::byte> data) {
    return checksum_fold(checksum_partial(data));
}

/// The checksum after one 16-bit word changes from `old_word` to `new_word`
/// (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), which avoids the wrong 0xFFFF eqn. 2 can give).
/// It returns 0x0000 for a new sum of +0 too, where the right checksum is 0xFFFF: that is
/// only when every covered word is zero, which a TCP or UDP pseudo header rules out but an
/// ICMP message does not; such callers recompute when they get 0x0000.
[[nodiscard]] constexpr uint16_t checksum_update16(uint16_t old_checksum, uint16_t old_word,
                                                   uint16_t new_word) {
    const uint32_t sum = uint32_t(uint16_t(~old_checksum)) + uint16_t(~old_word) + new_word;
    return checksum_fold(sum);
}

/// The checksum after a 32-bit field (an address, a sequence number) changes: two 16-bit updates.
[[nodiscard]] constexpr uint16_t checksum_update32(uint16_t old_checksum, uint32_t old_value,
                                                   uint32_t new_value) {
    const uint16_t hi = checksum_update16(old_checksum, uint16_t(old_value >> 16), uint16_t(new_value >> 16));
    return checksum_update16(hi, uint16_t(old_value), uint16_t(new_value));
}

/// The unfolded sum of the TCP/UDP pseudo header (RFC 793 §3.1, RFC 768): source and
/// destination address, zero, protocol, and the TCP/UDP length; chain it into `checksum_partial`.
[[nodiscard]] constexpr uint32_t pseudo_header_sum(ipv4_address src, ipv4_address dst, uint8_t protocol,
                                                   uint16_t length) {
    return (src.value >> 16) + (src.value & 0xffffu) + (dst.value >> 16) + (dst.value & 0xffffu) + protocol +
           length;
}

} // namespace tachyon::wire
