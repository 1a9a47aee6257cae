#include "apps/mcast/args.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace tachyon::mcast {

namespace {

error bad(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

} // namespace

result<endpoint> parse_address_port(std::string_view text, bool multicast_only) {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return bad(multicast_only ? "expected GROUP:PORT, e.g. 239.1.1.1:30001" : "expected ADDRESS:PORT, e.g. 198.18.0.1:30001");
    auto address = ipv4_address::parse(text.substr(0, colon));
    if (!address)
        return bad("'" + std::string(text.substr(0, colon)) + "' is not an IPv4 address (A.B.C.D)");
    if (multicast_only && !address->is_multicast())
        return bad(address->to_string() + " is not a multicast group (224.0.0.0 to 239.255.255.255)");
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        return bad("the port must be a number from 1 to 65535");
    return endpoint{*address, uint16_t(port)};
}

result<uint64_t> parse_number(std::string_view text, uint64_t min, uint64_t max) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < min || v > max)
        return bad("expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return v;
}

result<double> parse_rate(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v) || v <= 0 || v > 1e9)
        return bad("expected a rate in datagrams per second, above 0 and at most 1e9");
    return v;
}

} // namespace tachyon::mcast
