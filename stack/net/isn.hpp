#pragma once
/// Initial sequence numbers per RFC 6528 ("Defending against Sequence Number Attacks"; read its
/// §3, and RFC 9293 §3.4.1 which makes it a SHOULD, MUST-8/SHLD-1):
///
///     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
///
/// M is a timer that ticks once every 4 microseconds (RFC 9293 §3.4.1's clock, so a new
/// incarnation of a connection starts above the old one's sequence space), taken from the caller's
/// `now`: sans-IO, no clock is read here. F is SipHash-2-4 (stack/core/siphash.hpp) keyed with a
/// 128-bit secret, over the 4-tuple, truncated to its low 32 bits: a PRF that an off-path attacker
/// cannot compute without the key (RFC 6528 §3 asks for exactly that, suggesting MD5; SipHash is
/// the keyed PRF Linux uses for the same F, cheaper and designed as a MAC for short inputs). The
/// stack draws the key at start (getrandom) and passes it in; two stacks have two keys.

#include <cstdint>

#include "stack/core/addr.hpp"
#include "stack/core/siphash.hpp"
#include "stack/core/time.hpp"
#include "stack/wire/seq.hpp"

namespace tachyon {

/// Computes RFC 6528 initial sequence numbers for one stack (one secret key).
class isn_generator {
public:
    /// The period of M: one tick every 4 microseconds (RFC 9293 §3.4.1, RFC 6528 §3).
    static constexpr int64_t tick_ns = 4'000;

    /// A generator keyed with the stack's 128-bit secret.
    explicit isn_generator(const siphash_key& secret) : _key(secret) {}

    /// The ISN for a connection from local_ip:local_port to remote_ip:remote_port at `now`: M(now) + F.
    [[nodiscard]] wire::seq32 isn(instant now, ipv4_address local_ip, uint16_t local_port,
                                  ipv4_address remote_ip, uint16_t remote_port) const;

    /// M: `now` in 4-microsecond ticks since the clock's epoch, modulo 2^32 (wraps every ~4.77 hours).
    [[nodiscard]] static uint32_t timer(instant now);

    /// F: the keyed hash of the 4-tuple, constant for a key and a tuple.
    [[nodiscard]] uint32_t offset(ipv4_address local_ip, uint16_t local_port, ipv4_address remote_ip,
                                  uint16_t remote_port) const;

private:
    siphash_key _key;
};

} // namespace tachyon
