/// SYN cookies (stack/net/syn_cookie.hpp, RFC 4987 §3.6): for any key, 4-tuple, peer ISN, peer
/// MSS and clock, a cookie made at one time and checked at another gives back the MSS it was
/// made for while its minute counter is at most one tick old, and nothing otherwise; any number checked never crashes and, when taken,
/// names an MSS from the table; the options carried in the TSval's low bits come back as they
/// were offered. References here are written from the RFC and the header's contract, not
/// from the code.

#include "stack/net/syn_cookie.hpp"
#include "support/byte_reader.hpp"
#include "support/fuzz_target.hpp"

#include <algorithm>
#include <array>

using namespace tachyon;
using wire::seq32;

namespace {

/// The MSS a cookie carries for a peer's MSS option (0: none, RFC 9293 §3.7.1's 536): the
/// largest table entry not above it, the smallest entry when all are above it.
uint16_t ref_mss(uint16_t peer_mss) {
    const uint32_t mss = peer_mss == 0 ? 536 : peer_mss;
    uint16_t best = syn_cookies::mss_table.front();
    for (uint16_t m : syn_cookies::mss_table)
        if (m <= mss) best = m;
    return best;
}

/// The 64 s tick of a time in ns (0 before the epoch).
uint64_t ref_tick(int64_t ns) { return ns <= 0 ? 0 : uint64_t(ns) / uint64_t(syn_cookies::tick.count_ns()); }

bool in_table(uint16_t m) {
    return std::find(syn_cookies::mss_table.begin(), syn_cookies::mss_table.end(), m) != syn_cookies::mss_table.end();
}

} // namespace

TACHYON_FUZZ_TARGET(syn_cookie) {
    fuzz::byte_reader in(data, size);
    std::array<std::byte, 16> key_bytes;
    for (auto& b : key_bytes) b = std::byte{in.u8()};
    const syn_cookies cookies(siphash_key::from_bytes(key_bytes));
    const tcp_tuple t{ipv4_address{in.u32()}, in.u16(), ipv4_address{in.u32()}, in.u16()};
    const seq32 isn{in.u32()};
    const uint16_t peer_mss = in.u16();
    // Times: from just before the epoch to years on; the check from a minute before the make to
    // months after (the counter's 8 bits wrap every 256 ticks, about 4.5 hours).
    const uint32_t made_hi = in.u32(), made_lo = in.u32(), later_ticks = in.u32(), later_us = in.u16();
    const int64_t made_ns = int64_t(uint64_t(made_hi) << 24) - int64_t(made_lo);
    const int64_t later_ns = int64_t(later_ticks) * 4096 - int64_t(later_us) * 1000;
    const instant made = instant::from_ns(made_ns), checked = instant::from_ns(made_ns + later_ns);

    // Taken while the minute counter is the one it was made in or the next (RFC 4987 §3.6: a
    // bounded lifetime), with the MSS it was made for. The cookie keeps the counter's low 8
    // bits, so an age of 2 to 255 ticks modulo 256 is refused outright; one that is 0 or 1
    // modulo 256 but really older fails the hash, which the counter is part of, except for
    // the 2^-22 chance of a collision: then only a table MSS is asked of it.
    const seq32 cookie = cookies.make(t, isn, peer_mss, made);
    const auto got = cookies.check(t, isn, cookie, checked);
    const int64_t age = int64_t(ref_tick(made_ns + later_ns)) - int64_t(ref_tick(made_ns));
    if (age == 0 || age == 1) {
        FUZZ_CHECK(got.has_value(), "syn_cookie: made at %lld ns, refused %lld ns later (age %lld ticks)",
                   (long long)made_ns, (long long)later_ns, (long long)age);
        FUZZ_CHECK(*got == ref_mss(peer_mss), "syn_cookie: peer MSS %u came back as %u", peer_mss, *got);
    } else if ((uint64_t(age) & 0xff) >= 2) {
        FUZZ_CHECK(!got.has_value(), "syn_cookie: made at %lld ns, taken %lld ns later (age %lld ticks)",
                   (long long)made_ns, (long long)later_ns, (long long)age);
    } else if (got) {
        FUZZ_CHECK(in_table(*got), "syn_cookie: an old cookie gave MSS %u", *got);
    }

    // Any number, ISN and tuple: no crash; a number taken names a table MSS.
    const tcp_tuple other{ipv4_address{in.u32()}, in.u16(), ipv4_address{in.u32()}, in.u16()};
    const auto forged = cookies.check(other, seq32{in.u32()}, seq32{in.u32()}, checked);
    if (forged) FUZZ_CHECK(in_table(*forged), "syn_cookie: a forged cookie gave MSS %u", *forged);

    // The options in the TSval's low 6 bits: never ahead of our clock, and back as offered.
    wire::tcp_options syn;
    syn.has_window_scale = in.flag();
    syn.window_scale = in.u8();
    syn.sack_permitted = in.flag();
    const uint32_t ts_now = in.u32();
    const uint32_t ts = syn_cookies::encode_ts(ts_now, syn);
    const int32_t ahead = int32_t(ts - ts_now);
    FUZZ_CHECK(ahead <= 0 && ahead > -128, "syn_cookie: TSval %u for clock %u", ts, ts_now);
    wire::tcp_options ack;
    ack.has_timestamps = true;
    ack.ts_val = in.u32();
    ack.ts_ecr = ts;
    const wire::tcp_options o = syn_cookies::decode(ref_mss(peer_mss), ack);
    FUZZ_CHECK(o.has_mss && o.mss == ref_mss(peer_mss), "syn_cookie: decoded MSS %u", o.mss);
    FUZZ_CHECK(o.has_timestamps && o.ts_val == ack.ts_val, "syn_cookie: timestamps lost");
    FUZZ_CHECK(o.has_window_scale == syn.has_window_scale, "syn_cookie: window scale %s became %s",
               syn.has_window_scale ? "offered" : "absent", o.has_window_scale ? "present" : "absent");
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    if (syn.has_window_scale)
        FUZZ_CHECK(o.window_scale == std::min<uint8_t>(syn.window_scale, 14), "syn_cookie: shift %u became %u",
                   syn.window_scale, o.window_scale);
    FUZZ_CHECK(o.sack_permitted == syn.sack_permitted, "syn_cookie: SACK permitted lost or invented");
    // Without timestamps nothing but the MSS survives (RFC 4987 §3.6).
    ack.has_timestamps = false;
    const wire::tcp_options bare = syn_cookies::decode(ref_mss(peer_mss), ack);
    FUZZ_CHECK(!bare.has_timestamps && !bare.has_window_scale && !bare.sack_permitted, "syn_cookie: options from nothing");
    return 0;
}
