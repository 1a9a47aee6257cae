#pragma once
/// TCP sequence numbers as their own wrap-aware type. Read RFC 9293 §3.4 ("Sequence Numbers")
/// and RFC 1982 (serial number arithmetic) first.
///
/// The sequence space is the integers modulo 2^32, so "a is before b" is not `a.value() <
/// b.value()`: it is the sign of the 32-bit difference b - a. That ordering is only meaningful for
/// numbers less than 2^31 apart, which TCP guarantees (the largest window, 2^30 with a window scale
/// of 14, RFC 7323 §2.3, keeps every live number within 2^31 of every other). At a distance of
/// exactly 2^31 the order is undefined (RFC 1982 §3.2): here both a < b and b < a hold.
///
/// Arithmetic is modulo 2^32: `seq + n` and `seq - n` take any integer length (a negative one moves
/// backwards); `a - b` is the signed distance from b to a. The `between_*` functions test a
/// range by the unsigned distance from its low end, so they stay right for ranges up to 2^32 - 1
/// long, and `segment_acceptable` is RFC 9293 §3.10.7.4's four-case acceptance test.

#include <concepts>
#include <cstdint>

namespace tachyon::wire {

/// A type that can count octets of sequence space: any integer type but bool (taken modulo 2^32).
template <typename T>
concept seq_length = std::integral<T> && !std::same_as<T, bool>;

/// A TCP sequence (or acknowledgment) number: a uint32 with modulo-2^32 arithmetic and ordering.
class seq32 {
public:
    /// Sequence number 0.
    constexpr seq32() = default;
    /// The sequence number `v`.
    constexpr explicit seq32(uint32_t v) : _v(v) {}

    /// The number as it goes on the wire.
    [[nodiscard]] constexpr uint32_t value() const { return _v; }

    /// The number `n` octets later (modulo 2^32; a negative `n` moves back).
    template <seq_length Int>
    [[nodiscard]] constexpr seq32 operator+(Int n) const {
        return seq32{_v + uint32_t(n)};
    }
    /// The number `n` octets earlier (modulo 2^32; a negative `n` moves forward).
    template <seq_length Int>
    [[nodiscard]] constexpr seq32 operator-(Int n) const {
        return seq32{_v - uint32_t(n)};
    }
    /// Moves `n` octets forward (modulo 2^32).
    template <seq_length Int>
    constexpr seq32& operator+=(Int n) {
        _v += uint32_t(n);
        return *this;
    }
    /// Moves `n` octets back (modulo 2^32).
    template <seq_length Int>
    constexpr seq32& operator-=(Int n) {
        _v -= uint32_t(n);
        return *this;
    }

    /// The signed distance from `b` to `a`: positive when `a` is after `b` (RFC 1982 §3.2).
    [[nodiscard]] friend constexpr int32_t operator-(seq32 a, seq32 b) { return int32_t(a._v - b._v); }

    /// Same number.
    friend constexpr bool operator==(seq32, seq32) = default;
    /// `a` comes before `b`: a - b < 0 (RFC 9293 §3.4 "<", RFC 1982 §3.2).
    friend constexpr bool operator<(seq32 a, seq32 b) { return (a - b) < 0; }
    /// `a` comes before or is `b`: a - b <= 0 (RFC 9293 §3.4 "=<").
    friend constexpr bool operator<=(seq32 a, seq32 b) { return (a - b) <= 0; }
    /// `a` comes after `b`: a - b > 0.
    friend constexpr bool operator>(seq32 a, seq32 b) { return (a - b) > 0; }
    /// `a` comes after or is `b`: a - b >= 0.
    friend constexpr bool operator>=(seq32 a, seq32 b) { return (a - b) >= 0; }

private:
    uint32_t _v = 0;
};

/// The later of two sequence numbers.
[[nodiscard]] constexpr seq32 seq_max(seq32 a, seq32 b) { return a < b ? b : a; }
/// The earlier of two sequence numbers.
[[nodiscard]] constexpr seq32 seq_min(seq32 a, seq32 b) { return a < b ? a : b; }

/// lo < x <= hi (exclusive low, inclusive high), measured from `lo`: RFC 9293 §3.4's
/// "acceptable ACK", SND.UNA < SEG.ACK =< SND.NXT. Empty when lo == hi.
[[nodiscard]] constexpr bool between_exclusive_inclusive(seq32 lo, seq32 x, seq32 hi) {
    return uint32_t(x.value() - lo.value() - 1) < uint32_t(hi.value() - lo.value());
}

/// lo <= x < hi (inclusive low, exclusive high), measured from `lo`: RFC 9293 §3.4's segment
/// acceptability, RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND (and the same for SEG.SEQ+SEG.LEN-1).
/// Empty when lo == hi.
[[nodiscard]] constexpr bool between_inclusive_exclusive(seq32 lo, seq32 x, seq32 hi) {
    return uint32_t(x.value() - lo.value()) < uint32_t(hi.value() - lo.value());
}

/// lo <= x <= hi (both ends inclusive), measured from `lo`: RFC 9293 §3.10.7.4's window-update
/// test, SND.UNA =< SEG.ACK =< SND.NXT, and RFC 5961 §5.2's (SND.UNA - MAX.SND.WND) =< SEG.ACK =<
/// SND.NXT. Holds for x == lo == hi.
[[nodiscard]] constexpr bool between_inclusive(seq32 lo, seq32 x, seq32 hi) {
    return uint32_t(x.value() - lo.value()) <= uint32_t(hi.value() - lo.value());
}

/// RFC 9293 §3.4's acceptable ACK: SND.UNA < SEG.ACK =< SND.NXT (it acknowledges something not yet
/// acknowledged, and nothing not yet sent).
[[nodiscard]] constexpr bool acceptable_ack(seq32 snd_una, seq32 seg_ack, seq32 snd_nxt) {
    return between_exclusive_inclusive(snd_una, seg_ack, snd_nxt);
}

/// RFC 9293 §3.10.7.4's segment acceptability test (the four cases of §3.4), for a segment of
/// `seg_len` sequence octets (payload plus one each for SYN and FIN) starting at `seg_seq`, against
/// a receive window of `rcv_wnd` octets from `rcv_nxt`:
///   len 0, wnd 0:   SEG.SEQ = RCV.NXT
///   len 0, wnd > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
///   len > 0, wnd 0: not acceptable
///   len > 0, wnd > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
///                  or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
[[nodiscard]] constexpr bool segment_acceptable(seq32 rcv_nxt, uint32_t rcv_wnd, seq32 seg_seq,
                                                uint32_t seg_len) {
    const seq32 wnd_end = rcv_nxt + rcv_wnd;
    if (seg_len == 0) {
        if (rcv_wnd == 0) return seg_seq == rcv_nxt;
        return between_inclusive_exclusive(rcv_nxt, seg_seq, wnd_end);
    }
    if (rcv_wnd == 0) return false;
    return between_inclusive_exclusive(rcv_nxt, seg_seq, wnd_end) ||
           between_inclusive_exclusive(rcv_nxt, seg_seq + (seg_len - 1), wnd_end);
}

} // namespace tachyon::wire
