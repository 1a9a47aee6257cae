#pragma once
/// Time for the whole stack: strong nanosecond types. Nothing under stack/ reads a clock;
/// the caller passes `now` (an `instant`) into every protocol entry point.

#include <compare>
#include <cstdint>

namespace tachyon {

/// A span of time in nanoseconds (may be negative).
class duration {
public:
    constexpr duration() = default;
    /// Builds a duration from a count of nanoseconds.
    static constexpr duration from_ns(int64_t ns) { return duration{ns}; }
    /// Nanoseconds.
    static constexpr duration ns(int64_t v) { return duration{v}; }
    /// Microseconds.
    static constexpr duration us(int64_t v) { return duration{v * 1'000}; }
    /// Milliseconds.
    static constexpr duration ms(int64_t v) { return duration{v * 1'000'000}; }
    /// Seconds.
    static constexpr duration s(int64_t v) { return duration{v * 1'000'000'000}; }
    /// The largest representable duration, used as "never".
    static constexpr duration max() { return duration{INT64_MAX}; }

    /// The count in nanoseconds.
    constexpr int64_t count_ns() const { return _ns; }
    /// The count in whole microseconds (truncated).
    constexpr int64_t count_us() const { return _ns / 1'000; }
    /// The count in whole milliseconds (truncated).
    constexpr int64_t count_ms() const { return _ns / 1'000'000; }

    constexpr auto operator<=>(const duration&) const = default;
    constexpr duration operator+(duration o) const { return duration{_ns + o._ns}; }
    constexpr duration operator-(duration o) const { return duration{_ns - o._ns}; }
    constexpr duration operator*(int64_t k) const { return duration{_ns * k}; }
    constexpr duration operator/(int64_t k) const { return duration{_ns / k}; }
    constexpr duration& operator+=(duration o) { _ns += o._ns; return *this; }
    constexpr duration& operator-=(duration o) { _ns -= o._ns; return *this; }

private:
    constexpr explicit duration(int64_t ns) : _ns(ns) {}
    int64_t _ns = 0;
};

/// A point on the stack's monotonic time line, in nanoseconds since an arbitrary epoch.
class instant {
public:
    constexpr instant() = default;
    /// Builds an instant from nanoseconds since the clock's epoch.
    static constexpr instant from_ns(int64_t ns) { return instant{ns}; }
    /// The latest representable instant, used as "no deadline".
    static constexpr instant never() { return instant{INT64_MAX}; }

    /// Nanoseconds since the clock's epoch.
    constexpr int64_t ns_since_epoch() const { return _ns; }

    constexpr auto operator<=>(const instant&) const = default;
    constexpr instant operator+(duration d) const { return instant{saturating_add(_ns, d.count_ns())}; }
    constexpr instant operator-(duration d) const { return instant{_ns - d.count_ns()}; }
    constexpr duration operator-(instant o) const { return duration::from_ns(_ns - o._ns); }
    constexpr instant& operator+=(duration d) { _ns = saturating_add(_ns, d.count_ns()); return *this; }

private:
    constexpr explicit instant(int64_t ns) : _ns(ns) {}
    static constexpr int64_t saturating_add(int64_t a, int64_t b) {
        int64_t r = 0;
        return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
    }
    int64_t _ns = 0;
};

} // namespace tachyon
