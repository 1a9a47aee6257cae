#pragma once
/// Builders of the shared keys' descriptions (api/cli.hpp `config_key`): a whole number, a
/// number of seconds or a boolean stored in a field, each with its default (the field's value
/// when declared), its range, its meaning and the stack_config field it sets.

#include <charconv>
#include <cstdint>
#include <string>
#include <type_traits>

#include "api/cli.hpp"

namespace tachyon {

/// `d` as seconds without trailing zeros ("0.2", "60", "0.000001").
std::string format_seconds(duration d);

/// A shared key of any other type: `get` shows its value (its value now is the default) and
/// `range` says in words what `set` accepts.
config_key shared_key(std::string name, std::string type, std::string range, std::string help, config_key::setter set,
                      std::function<std::string()> get);

/// A whole number stored in `ref` (any unsigned type), from `min` to `max`.
template <class T>
config_key count_key(std::string name, std::string field, T& ref, uint64_t min, uint64_t max, std::string type,
                     std::string help) {
    static_assert(std::is_unsigned_v<T>);
    config_key k;
    k.name = std::move(name);
    k.field = std::move(field);
    k.type = std::move(type);
    k.help = std::move(help);
    k.default_value = std::to_string(uint64_t(ref));
    k.range = std::to_string(min) + " to " + std::to_string(max);
    k.shared = true;
    k.set = [&ref, min, max](std::string_view v) -> result<void> {
        uint64_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || v.empty())
            return make_error(errc::invalid_argument, "expected a whole number from " + std::to_string(min) + " to " +
                                                          std::to_string(max));
        if (n < min || n > max)
            return make_error(errc::invalid_argument, "out of range: " + std::to_string(min) + " to " + std::to_string(max));
        ref = T(n);
        return {};
    };
    k.get = [&ref] { return std::to_string(uint64_t(ref)); };
    return k;
}

/// A number of seconds stored in `ref`, from `min` to `max` (a `min` of 1 ns reads "above 0").
config_key seconds_key(std::string name, std::string field, duration& ref, duration min, duration max, std::string help);

/// A boolean stored in `ref`; a bare --NAME on the command line sets it.
config_key bool_key(std::string name, std::string field, bool& ref, std::string help);

/// Declares one key per stack_config field not covered by an address flag (capacities, timers,
/// TCP buffers and options, ARP and IGMP timings, ICMP limits).
void add_stack_keys(cli& c, stack_config& s);

} // namespace tachyon
