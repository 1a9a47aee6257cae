/// ARP for Ethernet/IPv4 (stack/wire/arp.hpp): parse → emit → parse agreement. A packet that
/// parses is exactly the 28 bytes emit writes back; one that does not names the first field that
/// is wrong, and no other.

#include <array>
#include <cstring>
#include <span>

#include "stack/wire/arp.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

TACHYON_FUZZ_TARGET(arp) {
    const auto in = std::as_bytes(std::span(data, size));
    wire::arp_repr a;
    const wire::wire_error err = wire::arp_repr::parse(in, a);
    // The verdict a plain reading of RFC 826's fixed fields gives, checked in the parser's order.
    auto be16 = [&](size_t i) { return unsigned(data[i]) << 8 | data[i + 1]; };
    wire::wire_error expected = wire::wire_error::ok;
    if (size < 28) expected = wire::wire_error::truncated;
    else if (be16(0) != 1) expected = wire::wire_error::bad_hardware_type;
    else if (be16(2) != 0x0800) expected = wire::wire_error::bad_protocol_type;
    else if (data[4] != 6 || data[5] != 4) expected = wire::wire_error::bad_address_length;
    else if (be16(6) != 1 && be16(6) != 2) expected = wire::wire_error::bad_operation;
    FUZZ_CHECK(err == expected, "arp: parse said %s, expected %s", wire::to_string(err), wire::to_string(expected));
    if (err != wire::wire_error::ok) return 0;
    std::array<std::byte, wire::arp_repr::packet_len> out{};
    a.emit(out);
    FUZZ_CHECK(std::memcmp(out.data(), data, out.size()) == 0, "arp: emit differs from the parsed bytes");
    wire::arp_repr again;
    FUZZ_CHECK(wire::arp_repr::parse(out, again) == wire::wire_error::ok && again == a,
               "arp: the emitted packet parses differently");
    return 0;
}
