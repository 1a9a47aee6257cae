/// IPv4 header (stack/wire/ipv4.hpp): parse → emit → parse agreement, the checksum against an
/// independent one, and the RFC 1624 incremental update of a 32-bit field against a full
/// recomputation (the update must leave a header that still verifies).

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/ipv4.hpp"
#include "support/frame_check.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

TACHYON_FUZZ_TARGET(ipv4) {
    const auto in = std::as_bytes(std::span(data, size));
    wire::ipv4_repr ip;
    if (wire::ipv4_repr::parse(in, ip, false) != wire::wire_error::ok) return 0;
    FUZZ_CHECK(ip.header_len >= 20 && ip.header_len <= ip.total_len && ip.total_len <= size,
               "ipv4: header %u, total %u in %zu bytes", ip.header_len, ip.total_len, size);
    const bool sum_ok = fuzz::reference_sum(in.first(ip.header_len)) == 0xffff;
    wire::ipv4_repr checked;
    FUZZ_CHECK((wire::ipv4_repr::parse(in, checked, true) == wire::wire_error::ok) == sum_ok,
               "ipv4: checksum verification disagrees with the reference sum");
    // Emit (no options) in front of the payload, parse again: the same header.
    std::vector<std::byte> out(20 + ip.payload_len());
    std::copy_n(in.begin() + ip.header_len, ip.payload_len(), out.begin() + 20);
    wire::ipv4_repr copy = ip;
    copy.total_len = uint16_t(out.size());
    copy.emit(out);
    FUZZ_CHECK(fuzz::reference_sum(std::span(out).first(20)) == 0xffff, "ipv4: emit wrote a bad checksum");
    wire::ipv4_repr again;
    FUZZ_CHECK(wire::ipv4_repr::parse(out, again, true) == wire::wire_error::ok, "ipv4: the emitted header fails");
    again.checksum = copy.checksum = 0;
    again.header_len = copy.header_len = 20;
    FUZZ_CHECK(again == copy, "ipv4: the emitted header parses differently");
    const bool reserved_flag = (data[6] & 0x80) != 0; // ignored by parse, sent as 0 (RFC 791)
    if (ip.header_len == 20 && sum_ok && !reserved_flag)
        FUZZ_CHECK(fuzz::same_but_checksum(std::span(out).first(20), in.first(20), 10),
                   "ipv4: emit differs from a valid parsed header");
    // RFC 1624: change the destination address incrementally; the header must still verify and
    // carry the checksum a full computation gives.
    const uint32_t new_dst = ip.src.value ^ ip.dst.value ^ 0x5a5a5a5au;
    const uint16_t updated = wire::checksum_update32(wire::load_be16(out.data() + 10), ip.dst.value, new_dst);
    wire::store_be32(out.data() + 16, new_dst);
    wire::store_be16(out.data() + 10, updated);
    FUZZ_CHECK(fuzz::reference_sum(std::span(out).first(20)) == 0xffff,
               "ipv4: an incremental checksum update (RFC 1624) gave 0x%04x, which does not verify", updated);
    return 0;
}
