#pragma once
/// Clocks live outside the protocol code: the poll loop reads one once per iteration and
/// passes the `instant` down. `manual_clock` drives tests; `monotonic_clock` drives programs.

#include "stack/core/time.hpp"

namespace tachyon {

/// A clock that only moves when told to: the tests' clock.
class manual_clock {
public:
    /// Starts at `start`.
    explicit manual_clock(instant start = instant::from_ns(1'000'000'000)) : _now(start) {}
    /// The current time.
    instant now() const { return _now; }
    /// Moves time forward by `d`.
    void advance(duration d) { _now += d; }
    /// Jumps to `t` (never backwards).
    void set(instant t) { if (t > _now) _now = t; }

private:
    instant _now;
};

/// The production clock: CLOCK_MONOTONIC through the vDSO (no system call), about 20 ns a read.
class monotonic_clock {
public:
    /// The current time.
    static instant now();
};

} // namespace tachyon
