/// Ethernet II header (stack/wire/ethernet.hpp): parse → emit → parse agreement. A header that
/// parses emits its own 14 bytes back, and the emitted bytes parse to the same value.

#include <array>
#include <cstring>
#include <span>

#include "stack/wire/ethernet.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

TACHYON_FUZZ_TARGET(ethernet) {
    const auto in = std::as_bytes(std::span(data, size));
    wire::ethernet_repr e;
    const wire::wire_error err = wire::ethernet_repr::parse(in, e);
    FUZZ_CHECK((err == wire::wire_error::ok) == (size >= 14), "ethernet: parse of %zu bytes said %s", size,
               wire::to_string(err));
    if (err != wire::wire_error::ok) return 0;
    std::array<std::byte, 14> out{};
    e.emit(out);
    wire::ethernet_repr again;
    FUZZ_CHECK(std::memcmp(out.data(), data, out.size()) == 0 &&
                   wire::ethernet_repr::parse(out, again) == wire::wire_error::ok && again == e,
               "ethernet: emit differs from the parsed bytes, or parses differently");
    return 0;
}
