#pragma once
/// Flag setters the apps share (tachyon-feed, tachyon-gateway): a whole number in a range and a
/// positive number of seconds, with messages that say what is wrong.

#include <cstdint>
#include <string_view>

#include "api/cli.hpp"
#include "apps/mcast/args.hpp"

namespace tachyon::mcast {

/// Reads a whole number flag from `min` to `max` into `out`.
inline cli::setter number_flag(uint64_t& out, uint64_t min, uint64_t max) {
    return [&out, min, max](std::string_view v) -> result<void> {
        auto n = parse_number(v, min, max);
        if (!n) return n.err();
        out = *n;
        return {};
    };
}

/// Reads a positive number of seconds into `out`.
inline cli::setter seconds_flag(duration& out) {
    return [&out](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d || *d <= duration{}) return make_error(errc::invalid_argument, "expected a positive number of seconds");
        out = *d;
        return {};
    };
}

} // namespace tachyon::mcast
