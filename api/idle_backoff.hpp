#pragma once
/// The poll loop's idle policy (--idle): after a run of empty polls the loop sleeps a little,
/// never past the stack's next timer deadline (`stack::next_deadline`), so that a timer due
/// while the loop sleeps fires on time. Busy polling (the default) never sleeps at all.
/// Control path only: `after_poll` is a compare and a subtraction, `sleep` a system call that
/// runs only when there is nothing to do.

#include <time.h>

#include <algorithm>
#include <cstddef>

#include "stack/core/time.hpp"

namespace tachyon {

/// When and how long an idle poll loop sleeps.
class idle_backoff {
public:
    /// Empty polls in a row before the loop starts sleeping.
    static constexpr unsigned empty_polls_before_sleep = 1000;
    /// The longest sleep by default: a frame arriving meanwhile waits at most this long.
    static constexpr duration default_max_sleep = duration::us(50);

    /// Sleeps of at most `max_sleep`.
    explicit idle_backoff(duration max_sleep = default_max_sleep) : _max_sleep(max_sleep) {}

    /// How long to sleep after a poll at `now` that received `received` frames, when the next
    /// timer is due at `deadline`: zero while frames arrive or the idle run is short, else the
    /// time until the deadline, at most `max_sleep` (zero when the deadline has come).
    duration after_poll(size_t received, instant now, instant deadline) {
        _empty_polls = received == 0 ? _empty_polls + 1 : 0;
        if (_empty_polls <= empty_polls_before_sleep) return duration{};
        const duration until = deadline - now;
        return until <= duration{} ? duration{} : std::min(until, _max_sleep);
    }

    /// Sleeps for `d` (nothing when it is zero or less).
    static void sleep(duration d) {
        if (d <= duration{}) return;
        const timespec ts{time_t(d.count_ns() / 1'000'000'000), long(d.count_ns() % 1'000'000'000)};
        ::nanosleep(&ts, nullptr);
    }

private:
    duration _max_sleep;
    unsigned _empty_polls = 0;
};

} // namespace tachyon
