/// seq32 (stack/wire/seq.hpp): the wrap-aware order, distances, ranges and RFC 9293 §3.4's
/// acceptability test against a reference written with 64-bit distances from the low end.

#include "stack/wire/seq.hpp"
#include "support/byte_reader.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;
using wire::seq32;

namespace {

/// (b - a) modulo 2^32, as a 64-bit value.
uint64_t dist(uint32_t a, uint32_t b) { return (uint64_t(b) + (uint64_t(1) << 32) - a) & 0xffffffffull; }

/// RFC 1982 §3.2: a < b when b is 1 to 2^31 ahead (at exactly 2^31 both a < b and b < a hold,
/// see seq.hpp).
bool ref_before(uint32_t a, uint32_t b) {
    const uint64_t d = dist(a, b);
    return d >= 1 && d <= (uint64_t(1) << 31);
}

/// a > b as seq.hpp defines it, a - b > 0: a is 1 to 2^31 - 1 ahead. Unlike `<`, not at 2^31,
/// so at that one distance `a > b` is not `b < a`.
bool ref_after(uint32_t a, uint32_t b) {
    const uint64_t d = dist(b, a);
    return d >= 1 && d < (uint64_t(1) << 31);
}

/// RFC 9293 §3.4, the four cases, with distances from RCV.NXT.
bool ref_acceptable(uint32_t rcv_nxt, uint32_t wnd, uint32_t seq, uint32_t len) {
    const uint64_t s = dist(rcv_nxt, seq);
    if (len == 0) return wnd == 0 ? s == 0 : s < wnd;
    if (wnd == 0) return false;
    const uint64_t e = dist(rcv_nxt, uint32_t(uint64_t(seq) + len - 1));
    return s < wnd || e < wnd;
}

} // namespace

TACHYON_FUZZ_TARGET(seq) {
    fuzz::byte_reader in(data, size);
    const uint32_t a = in.u32(), b = in.u32(), c = in.u32(), n = in.u32();
    const seq32 sa{a}, sb{b}, sc{c};
    FUZZ_CHECK((sa < sb) == ref_before(a, b), "seq: %u < %u", a, b);
    FUZZ_CHECK((sa > sb) == ref_after(a, b), "seq: %u > %u", a, b);
    FUZZ_CHECK((sa <= sb) == (ref_before(a, b) || a == b), "seq: %u <= %u", a, b);
    FUZZ_CHECK((sa >= sb) == (ref_after(a, b) || a == b), "seq: %u >= %u", a, b);
    FUZZ_CHECK((sa + n).value() == uint32_t(uint64_t(a) + n) && (sa - n).value() == uint32_t(uint64_t(a) - n),
               "seq: %u +/- %u", a, n);
    FUZZ_CHECK(((sa + n) - sa) == int32_t(n), "seq: (%u + %u) - %u", a, n, a);
    FUZZ_CHECK(wire::seq_max(sa, sb) == (ref_before(a, b) ? sb : sa), "seq: max(%u, %u)", a, b);
    FUZZ_CHECK(wire::seq_min(sa, sb) == (ref_before(a, b) ? sa : sb), "seq: min(%u, %u)", a, b);
    const uint64_t dx = dist(a, b), dh = dist(a, c);
    FUZZ_CHECK(wire::between_exclusive_inclusive(sa, sb, sc) == (dx > 0 && dx <= dh), "seq: %u < %u <= %u", a, b, c);
    FUZZ_CHECK(wire::between_inclusive_exclusive(sa, sb, sc) == (dx < dh), "seq: %u <= %u < %u", a, b, c);
    FUZZ_CHECK(wire::between_inclusive(sa, sb, sc) == (dx <= dh), "seq: %u <= %u <= %u", a, b, c);
    FUZZ_CHECK(wire::acceptable_ack(sa, sb, sc) == (dx > 0 && dx <= dh), "seq: acceptable ack %u in (%u, %u]", b, a, c);
    // Windows of any size (the stack's are at most 2^30), segments of any length.
    const uint32_t wnd = (n & 1) ? n >> 1 : n >> 17, len = (n & 2) ? c : c & 0xffff;
    FUZZ_CHECK(wire::segment_acceptable(sa, wnd, sb, len) == ref_acceptable(a, wnd, b, len),
               "seq: segment %u+%u against %u+%u", b, len, a, wnd);
    return 0;
}
