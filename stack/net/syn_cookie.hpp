#pragma once
/// SYN cookies (RFC 4987 §3.6): when a listener's backlog is full, the SYN-ACK's sequence
/// number carries what the connection needs, so that no state is kept until the client's ACK
/// proves it can receive at its address. Read RFC 4987 §3.6 first; the encoding is Linux's
/// (net/ipv4/syncookies.c) in its ideas, written here afresh:
///
///     cookie = H1(tuple) + peer ISN + (count << 24) + ((H2(tuple, peer ISN, count) + mss index) mod 2^24)
///
/// `count` is a minute counter (64 s ticks of `now`); a cookie is accepted for two of them
/// (64-128 s), so a replay is bounded in time. H1 and H2 are SipHash-2-4 with the stack's key,
/// so an off-path attacker can neither forge nor predict a cookie; the peer ISN in H2 (unlike
/// Linux) makes a cookie for a neighbouring ISN fail instead of decoding to another MSS. The 2-bit MSS index picks
/// from Linux's table {536, 1300, 1440, 1460}, the largest not above the peer's MSS.
///
/// The options the peer offered that the cookie has no room for (window scale, SACK
/// permitted) ride, as in Linux, in the low 6 bits of our SYN-ACK's TSval, which the peer
/// echoes in TSecr: bits 0-3 the peer's window shift (15: none), bit 4 SACK permitted. Without
/// timestamps they cannot be kept: the connection then runs without scaling and SACK.
///
/// Sans-IO and stateless: the stack asks for a cookie, and checks one, with `now`.

#include <array>
#include <cstdint>
#include <optional>

#include "stack/core/siphash.hpp"
#include "stack/core/time.hpp"
#include "stack/net/tcp_connection.hpp"
#include "stack/wire/seq.hpp"
#include "stack/wire/tcp.hpp"

namespace tachyon {

/// Makes and checks SYN cookies for one stack (one key).
class syn_cookies {
public:
    /// The MSS values a cookie can carry (Linux's table: the common ones on Ethernet paths).
    static constexpr std::array<uint16_t, 4> mss_table{536, 1300, 1440, 1460};
    /// How long a minute-counter tick lasts.
    static constexpr duration tick = duration::s(64);
    /// Low bits of the TSval that carry options.
    static constexpr uint32_t ts_option_bits = 6;

    /// Cookies keyed with `key` (the stack derives it from its secret, apart from the ISN key).
    explicit syn_cookies(const siphash_key& key) : _key(key) {}

    /// The ISS of a SYN-ACK answering the SYN `peer_isn` on `t` with MSS option `peer_mss` (0:
    /// none, RFC 9293 §3.7.1's 536).
    [[nodiscard]] wire::seq32 make(const tcp_tuple& t, wire::seq32 peer_isn, uint16_t peer_mss, instant now) const;
    /// The MSS the cookie in `ack_number - 1` carries, when it is one of ours for `t` and this
    /// peer ISN (`seq_number - 1`), made within the last two ticks; nothing otherwise.
    [[nodiscard]] std::optional<uint16_t> check(const tcp_tuple& t, wire::seq32 peer_isn, wire::seq32 cookie,
                                                instant now) const;

    /// Our SYN-ACK's TSval: `ts_now` with the peer's window shift (or none) and SACK
    /// permitted in its low 6 bits, never later than `ts_now`.
    [[nodiscard]] static uint32_t encode_ts(uint32_t ts_now, const wire::tcp_options& peer_syn);
    /// The options of the peer's SYN recovered from its ACK (`ack_options`: TSecr when it
    /// carries timestamps): MSS `mss`, window scale and SACK permitted from TSecr, timestamps
    /// when the ACK has them (TSval taken as the peer's first).
    [[nodiscard]] static wire::tcp_options decode(uint16_t mss, const wire::tcp_options& ack_options);

private:
    uint32_t hash(const tcp_tuple& t, uint32_t isn, uint32_t count, uint8_t which) const;
    static uint32_t count_at(instant now);

    siphash_key _key;
};

} // namespace tachyon
