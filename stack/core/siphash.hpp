#pragma once
/// SipHash-2-4, the keyed pseudorandom function of Aumasson and Bernstein ("SipHash: a fast
/// short-input PRF", 2012): a 128-bit key, any message, a 64-bit tag; 2 compression rounds per
/// 8-byte word and 4 finalization rounds. Read the paper's §2 (the algorithm) and Appendix A (the
/// worked example the tests check). It is what Linux uses for its RFC 6528 initial sequence numbers
/// and SYN cookies (lib/siphash.c), and it is the F() of `isn_generator`.
///
/// Constant-time in the message contents, no tables, no allocation; constexpr, so test vectors can
/// be checked at compile time. Words are read little-endian as the paper specifies, whatever the
/// host order.

#include <cstddef>
#include <cstdint>
#include <span>

namespace tachyon {

/// A 128-bit SipHash key as the two little-endian 64-bit halves k0 (bytes 0..7) and k1 (8..15).
struct siphash_key {
    uint64_t k0 = 0; ///< key bytes 0..7, little-endian
    uint64_t k1 = 0; ///< key bytes 8..15, little-endian

    /// The key whose 16 bytes are `b` (the paper's byte order: k0 from b[0..7], k1 from b[8..15]).
    static constexpr siphash_key from_bytes(std::span<const std::byte, 16> b) {
        return {load_le64(b.data()), load_le64(b.data() + 8)};
    }

    /// Reads 8 bytes at `p` as a little-endian word.
    static constexpr uint64_t load_le64(const std::byte* p) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | uint64_t(p[i]);
        return v;
    }

    /// Same key.
    constexpr bool operator==(const siphash_key&) const = default;
};

namespace detail {

/// The SipHash state v0..v3.
struct sip_state {
    uint64_t v0, v1, v2, v3; ///< the four state words

    /// Rotates `x` left by `b` bits.
    static constexpr uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

    /// One SipRound (paper §2, Figure 2).
    constexpr void round() {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }

    /// Absorbs one message word m with c = 2 rounds.
    constexpr void compress(uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

} // namespace detail

/// SipHash-2-4 of `message` under `key`: the 64-bit tag (the paper's output word, which the
/// reference code stores little-endian).
[[nodiscard]] constexpr uint64_t siphash24(const siphash_key& key, std::span<const std::byte> message) {
    // Initialization (paper §2): the key XORed into "somepseudorandomlygeneratedbytes".
    detail::sip_state s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull,
                        key.k0 ^ 0x6c7967656e657261ull, key.k1 ^ 0x7465646279746573ull};
    const std::byte* p = message.data();
    const size_t n = message.size();
    const size_t whole = n & ~size_t(7);
    for (size_t i = 0; i < whole; i += 8) s.compress(siphash_key::load_le64(p + i));
    // The last word: the 0..7 remaining bytes, zero padded, with the length mod 256 in the top byte.
    uint64_t last = uint64_t(n & 0xff) << 56;
    for (size_t i = 0; i < (n & 7); ++i) last |= uint64_t(p[whole + i]) << (8 * i);
    s.compress(last);
    // Finalization: d = 4 rounds.
    s.v2 ^= 0xff;
    s.round();
    s.round();
    s.round();
    s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

} // namespace tachyon
