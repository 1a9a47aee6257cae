/// ICMP (stack/wire/icmp.hpp): parse → emit → parse agreement, the checksum against an
/// independent one, and the echo reply as the stack builds it (RFC 792: the request with type 0,
/// its checksum updated incrementally, RFC 1624): the reply must verify.

#include <cstring>
#include <span>
#include <vector>

#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/icmp.hpp"
#include "support/frame_check.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

TACHYON_FUZZ_TARGET(icmp) {
    const auto in = std::as_bytes(std::span(data, size));
    wire::icmp_repr m;
    if (wire::icmp_repr::parse(in, m, false) != wire::wire_error::ok) return 0;
    const bool sum_ok = fuzz::reference_sum(in) == 0xffff;
    wire::icmp_repr checked;
    FUZZ_CHECK((wire::icmp_repr::parse(in, checked, true) == wire::wire_error::ok) == sum_ok,
               "icmp: checksum verification disagrees with the reference sum");
    FUZZ_CHECK(m.data.size() == size - 8 && m.message_len() == size, "icmp: data is %zu of %zu bytes", m.data.size(),
               size);
    std::vector<std::byte> out(m.message_len());
    m.emit(out);
    FUZZ_CHECK(fuzz::reference_sum(out) == 0xffff, "icmp: emit wrote a bad checksum (type %u)", m.type);
    wire::icmp_repr again;
    FUZZ_CHECK(wire::icmp_repr::parse(out, again, true) == wire::wire_error::ok, "icmp: the emitted message fails");
    FUZZ_CHECK(again.type == m.type && again.code == m.code && again.identifier == m.identifier &&
                   again.sequence == m.sequence && again.next_hop_mtu == m.next_hop_mtu &&
                   again.data.size() == m.data.size() &&
                   std::memcmp(again.data.data(), m.data.data(), m.data.size()) == 0,
               "icmp: the emitted message parses differently");
    if (m.is_echo() && sum_ok)
        FUZZ_CHECK(fuzz::same_but_checksum(out, in, 2), "icmp: emit differs from a valid echo");
    // The echo reply the stack makes of a valid request: type 8 → 0 by an incremental update.
    if (m.type == wire::icmp_type::echo_request && sum_ok) {
        std::byte* p = out.data();
        const uint16_t old_word = wire::load_be16(p);
        const uint16_t new_word = uint16_t(wire::icmp_type::echo_reply << 8 | m.code);
        p[0] = std::byte{wire::icmp_type::echo_reply};
        uint16_t ck = wire::checksum_update16(wire::load_be16(p + 2), old_word, new_word);
        if (ck == 0) { // as the stack does (stack/iface/icmp.cpp): eqn. 3 cannot tell +0 from -0
            wire::store_be16(p + 2, 0);
            ck = wire::internet_checksum(out);
        }
        wire::store_be16(p + 2, ck);
        FUZZ_CHECK(fuzz::reference_sum(out) == 0xffff,
                   "icmp: the echo reply's incremental checksum (RFC 1624) is 0x%04x, which does not verify",
                   wire::load_be16(p + 2));
    }
    return 0;
}
