#pragma once
/// The measured window of a receiving mode (rx-drop, udp-rx, the tcp-stream sink): it opens
/// --warmup-seconds after the first arrival and lasts --seconds, the steady counter running
/// inside it. With nothing arriving for 30 s the mode gives up.

#include <cstdint>
#include <cstdio>
#include <string>

#include "tools/bench/harness.hpp"
#include "tools/bench/hooks.hpp"
#include "tools/bench/report.hpp"

namespace tachyon::bench {

/// A receiver's window over its own loop: call `step` once per iteration, `finish` after it.
class rx_window {
public:
    /// What one iteration did to the window.
    enum class event {
        none,    ///< nothing: carry on
        opened,  ///< the window opened: take the counts it starts from now
        closed,  ///< the window is over: leave the loop
        gave_up, ///< nothing arrived for 30 s: leave the loop
    };

    /// A window of `o.seconds` after `o.warmup_seconds`, counting with `counter`.
    rx_window(const bench_options& o, steady_counter& counter)
        : _warmup(int64_t(o.warmup_seconds * 1e9)), _length(int64_t(o.seconds * 1e9)), _counter(counter),
          _give_up(now_ns() + 30'000'000'000) {}

    /// One iteration of the loop at `t`; `arrived` is true once anything has been received.
    event step(int64_t t, bool arrived) {
        if (_first == 0) {
            if (arrived)
                _first = t;
            else if (t > _give_up)
                return event::gave_up;
            return event::none;
        }
        if (!_open && t - _first >= _warmup) {
            _open = true;
            _start = now_ns();
            _counter.begin();
            return event::opened;
        }
        if (_open && t - _start >= _length) {
            _end = now_ns();
            _counter.end();
            return event::closed;
        }
        return event::none;
    }

    /// Closes the window when a stop signal ended the loop while it was open.
    void finish() {
        if (_open && _end == 0) {
            _end = now_ns();
            _counter.end();
        }
    }

    /// The window's length in seconds (0 when it never opened).
    double seconds() const { return _end > _start ? double(_end - _start) / 1e9 : 0; }

    /// A receive rate: says "MODE: N UNIT in S s: R/s" on stderr and returns the report begun
    /// with the mode and the received count, seconds and rate of the window.
    report rate_report(const char* mode, const char* unit, uint64_t received) const {
        const double secs = seconds();
        const double rate = secs > 0 ? double(received) / secs : 0;
        std::fprintf(stderr, "%s: %llu %s in %.2f s: %.0f/s\n", mode, (unsigned long long)received, unit,
                     secs, rate);
        report r;
        r.field("mode", std::string(mode));
        r.field("received", double(received));
        r.field("seconds", secs);
        r.field("rate", rate);
        return r;
    }

private:
    int64_t _warmup;
    int64_t _length;
    steady_counter& _counter;
    int64_t _give_up;
    int64_t _first = 0;
    int64_t _start = 0;
    int64_t _end = 0;
    bool _open = false;
};

} // namespace tachyon::bench
