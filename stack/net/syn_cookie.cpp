/// SYN cookies (RFC 4987 §3.6): cold path, once per SYN when a backlog is full and once per
/// ACK that finds no connection while cookies are out.

#include "stack/net/syn_cookie.hpp"

#include <algorithm>
#include <cstddef>

namespace tachyon {

namespace {

constexpr uint32_t cookie_bits = 24;
constexpr uint32_t cookie_mask = (1u << cookie_bits) - 1;
constexpr uint32_t max_age = 2;              // ticks a cookie stays good (64-128 s)
constexpr uint32_t ts_mask = (1u << syn_cookies::ts_option_bits) - 1;
constexpr uint32_t ts_no_wscale = 0xf;       // bits 0-3: the peer's shift, or this for none
constexpr uint32_t ts_sack = 1u << 4;        // bit 4: SACK permitted

} // namespace

uint32_t syn_cookies::count_at(instant now) {
    const int64_t ns = now.ns_since_epoch();
    return uint32_t(uint64_t(ns >= 0 ? ns / tick.count_ns() : 0));
}

uint32_t syn_cookies::hash(const tcp_tuple& t, uint32_t isn, uint32_t count, uint8_t which) const {
    // The 4-tuple in network order, the peer ISN, the counter and which hash: 21 bytes.
    std::array<std::byte, 21> msg{};
    const auto put32 = [&msg](size_t at, uint32_t v) {
        for (size_t i = 0; i < 4; ++i) msg[at + i] = std::byte(uint8_t(v >> (24 - 8 * i)));
    };
    put32(0, t.local_address.value);
    put32(4, t.remote_address.value);
    put32(8, (uint32_t(t.local_port) << 16) | t.remote_port);
    put32(12, isn);
    put32(16, count);
    msg[20] = std::byte{which};
    return uint32_t(siphash24(_key, msg));
}

wire::seq32 syn_cookies::make(const tcp_tuple& t, wire::seq32 peer_isn, uint16_t peer_mss, instant now) const {
    // RFC 9293 §3.7.1: no MSS option means 536.
    const uint16_t mss = peer_mss == 0 ? 536 : peer_mss;
    uint32_t index = 0;
    for (uint32_t i = 0; i < mss_table.size(); ++i)
        if (mss_table[i] <= mss) index = i;
    const uint32_t count = count_at(now);
    const uint32_t cookie = hash(t, 0, 0, 1) + peer_isn.value() + (count << cookie_bits) +
                            ((hash(t, peer_isn.value(), count, 2) + index) & cookie_mask);
    return wire::seq32{cookie};
}

std::optional<uint16_t> syn_cookies::check(const tcp_tuple& t, wire::seq32 peer_isn, wire::seq32 cookie,
                                           instant now) const {
    const uint32_t c = cookie.value() - hash(t, 0, 0, 1) - peer_isn.value();
    const uint32_t count = count_at(now);
    const uint32_t age = (count - (c >> cookie_bits)) & (0xffffffffu >> cookie_bits);
    if (age >= max_age) return std::nullopt; // too old, or from the future: not ours
    const uint32_t index = (c - hash(t, peer_isn.value(), count - age, 2)) & cookie_mask;
    if (index >= mss_table.size()) return std::nullopt; // forged, or for another tuple
    return mss_table[index];
}

uint32_t syn_cookies::encode_ts(uint32_t ts_now, const wire::tcp_options& peer_syn) {
    uint32_t options = peer_syn.has_window_scale ? std::min<uint32_t>(peer_syn.window_scale, 14) : ts_no_wscale;
    if (peer_syn.sack_permitted) options |= ts_sack;
    uint32_t ts = (ts_now & ~ts_mask) | options;
    // Never ahead of our clock: the next TSval must not look older than this one (RFC 7323 §5).
    if (int32_t(ts - ts_now) > 0) ts -= ts_mask + 1;
    return ts;
}

wire::tcp_options syn_cookies::decode(uint16_t mss, const wire::tcp_options& ack_options) {
    wire::tcp_options o;
    o.has_mss = true;
    o.mss = mss;
    if (!ack_options.has_timestamps) return o; // RFC 4987 §3.6: the options are lost without them
    o.has_timestamps = true;
    o.ts_val = ack_options.ts_val;
    o.ts_ecr = 0;
    const uint32_t bits = ack_options.ts_ecr & ts_mask;
    if ((bits & ts_no_wscale) != ts_no_wscale) {
        o.has_window_scale = true;
        o.window_scale = uint8_t(bits & ts_no_wscale);
    }
    o.sack_permitted = (bits & ts_sack) != 0;
    return o;
}

} // namespace tachyon
