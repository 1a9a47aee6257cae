/// RFC 6528 initial sequence numbers: a 4-microsecond timer plus SipHash-2-4 of the 4-tuple
/// (cold path: once per connection attempt or accepted SYN).

#include "stack/net/isn.hpp"

#include <array>
#include <cstddef>

namespace tachyon {

uint32_t isn_generator::timer(instant now) {
    // Floor division, so ticks stay 4 us wide on both sides of the epoch; then modulo 2^32.
    const int64_t ns = now.ns_since_epoch();
    const int64_t ticks = ns >= 0 ? ns / tick_ns : -((-(ns + 1)) / tick_ns) - 1;
    return uint32_t(uint64_t(ticks));
}

uint32_t isn_generator::offset(ipv4_address local_ip, uint16_t local_port, ipv4_address remote_ip,
                               uint16_t remote_port) const {
    // The 4-tuple in network order, 12 bytes: local ip, remote ip, local port, remote port.
    std::array<std::byte, 12> msg{};
    const auto put32 = [&msg](size_t at, uint32_t v) {
        for (size_t i = 0; i < 4; ++i) msg[at + i] = std::byte(uint8_t(v >> (24 - 8 * i)));
    };
    put32(0, local_ip.value);
    put32(4, remote_ip.value);
    put32(8, (uint32_t(local_port) << 16) | remote_port);
    return uint32_t(siphash24(_key, msg));
}

wire::seq32 isn_generator::isn(instant now, ipv4_address local_ip, uint16_t local_port,
                               ipv4_address remote_ip, uint16_t remote_port) const {
    return wire::seq32{timer(now)} + offset(local_ip, local_port, remote_ip, remote_port);
}

} // namespace tachyon
