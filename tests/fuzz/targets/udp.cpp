/// UDP (stack/wire/udp.hpp): parse → emit → parse agreement and the checksum against an
/// independent one. The input's first 8 bytes are the pseudo header's addresses, the rest the
/// datagram.

#include <cstring>
#include <span>
#include <vector>

#include "stack/wire/udp.hpp"
#include "support/frame_check.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

TACHYON_FUZZ_TARGET(udp) {
    fuzz::addressed_input a;
    if (!fuzz::split_addresses(data, size, a)) return 0;
    const ipv4_address src = a.src, dst = a.dst;
    const auto in = a.rest;
    wire::udp_repr u;
    if (wire::udp_repr::parse(in, src, dst, u, false) != wire::wire_error::ok) return 0;
    const auto dgram = in.first(u.length);
    const bool sum_ok =
        u.checksum == 0 || fuzz::reference_sum(dgram, fuzz::reference_pseudo(src, dst, 17, u.length)) == 0xffff;
    wire::udp_repr checked;
    FUZZ_CHECK((wire::udp_repr::parse(in, src, dst, checked, true) == wire::wire_error::ok) == sum_ok,
               "udp: checksum verification disagrees with the reference sum");
    FUZZ_CHECK(u.payload(dgram).size() == u.length - 8u, "udp: payload of %zu", u.payload(dgram).size());
    std::vector<std::byte> out(dgram.begin(), dgram.end());
    u.emit(out, src, dst, wire::udp_checksum_mode::full);
    const uint16_t sum = wire::load_be16(out.data() + 6);
    FUZZ_CHECK(sum != 0 && fuzz::reference_sum(out, fuzz::reference_pseudo(src, dst, 17, out.size())) == 0xffff,
               "udp: emit wrote checksum 0x%04x, which does not verify", sum);
    wire::udp_repr again;
    FUZZ_CHECK(wire::udp_repr::parse(out, src, dst, again, true) == wire::wire_error::ok,
               "udp: the emitted datagram fails to parse");
    again.checksum = u.checksum;
    FUZZ_CHECK(again == u, "udp: the emitted datagram parses differently");
    if (u.checksum != 0 && sum_ok)
        FUZZ_CHECK(std::memcmp(out.data(), dgram.data(), out.size()) == 0, "udp: emit differs from a valid datagram");
    return 0;
}
