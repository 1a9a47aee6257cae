#pragma once
/// Parsing of tachyon-mcast's own flag values, strict and with messages that say what is wrong.

#include <cstdint>
#include <string_view>

#include "api/udp_socket.hpp"
#include "stack/core/result.hpp"

namespace tachyon::mcast {

/// "A.B.C.D:PORT" with a port from 1 to 65535; with `multicast_only`, the address must be a
/// multicast group (224.0.0.0/4).
result<endpoint> parse_address_port(std::string_view text, bool multicast_only);

/// A whole number from `min` to `max`.
result<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max);

/// A positive rate in datagrams per second ("20000", "2.5e4", "0.5").
result<double> parse_rate(std::string_view text);

} // namespace tachyon::mcast
