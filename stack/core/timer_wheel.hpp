#pragma once
/// A hierarchical timing wheel (Varghese & Lauck, with cascading) for the TCP connections'
/// timers: retransmission, delayed ACK, persist, keepalive, TIME_WAIT, connect timeouts.
/// Thousands of connections arm and re-arm them; few ever expire, so arming, re-arming and
/// cancelling are O(1) and cheap, and expiry pays for the rest. (ARP and IGMP keep one
/// deadline each for their whole table, and the stack one for re-asking an unresolved gateway,
/// which the poll loop compares with `now`: one timer per table, not per entry, so they do not
/// need the wheel. `stack::next_deadline` is the earliest of the four.)
///
/// Nodes. A `timer` is a Boost.Intrusive node embedded in the object that owns it (a TCP
/// connection). The wheel only links nodes: it never allocates after construction. The hook is
/// `auto_unlink`, so destroying an armed timer disarms it. To know which owner and which of its
/// timers fired, derive from `timer` (`struct rto_timer : timer { tcp_conn* owner; };`) or
/// recover the owner from the member's address.
///
/// Time. The wheel counts ticks of `granularity` from its `start`. A deadline `d` belongs to tick
/// ceil((d - start) / granularity), whose instant `grid(d)` is the first multiple of the
/// granularity at or after `d`: `d <= grid(d) < d + granularity`. `expire(now)` fires every timer
/// with `grid(deadline) <= now`. So a timer never fires before its deadline, and fires in the
/// first `expire` call whose `now` reaches `grid(deadline)`: less than one granularity after the
/// deadline when the loop polls continuously. The wheel reads no clock; `now` comes from the
/// caller and must not go backwards (an earlier `now` advances nothing).
///
/// Granularity. The default is 100 µs. TCP needs about 1 ms (delayed ACK 40 ms, RTO floor
/// 200 ms–1 s, but a co-located trading peer with a 20 µs RTT may run a few-ms RTO floor), so
/// 100 µs keeps rounding under 10% of a 1 ms timer. Finer costs little: the poll loop's empty
/// `expire` is one comparison whatever the granularity, empty ticks are skipped, and each factor
/// of 64 in granularity adds one level (one more possible cascade for the longest timers).
///
/// Levels. Every level has 64 slots (a 64-bit occupancy bitmap each). Level 0 slots are one tick
/// wide; level L slots are 64^L ticks wide. With 100 µs: level 0 spans 6.4 ms, level 1 410 ms
/// (delayed ACK, RTO), level 2 26 s, level 3 28 min (TIME_WAIT), level 4 30 h (keepalive), and
/// the levels above cover the rest of `instant`'s range (8 levels, 512 slots, 8 KiB; 11 levels at
/// 1 ns), so there is no overflow list and `instant::never()` is a valid (parked) deadline. A timer sits at
/// the level of the highest 6-bit group in which its tick differs from the current tick. When the current
/// tick reaches a level-L slot's first tick, the slot is cascaded: each of its timers moves to a
/// lower level (or fires). A timer is therefore moved at most `levels() - 1` times, and only if it
/// is still armed when its coarse slot comes up; most TCP timers are cancelled or pushed out first.
///
/// Costs. `arm` (new, or moved earlier): one division by a precomputed reciprocal, one unlink,
/// one link, a bit set. `arm` to a later deadline on an armed timer is one store (the RTO pushed
/// out by every ACK): the timer stays in its earlier slot and is re-filed when that slot comes
/// up. `cancel`: an unlink and a bit test. `expire` with nothing due: one comparison. Otherwise it
/// jumps from one occupied slot to the next with the bitmaps (O(levels) per jump), so the work is
/// proportional to the occupied slots passed plus the timers cascaded and fired, never to the
/// ticks elapsed: a loop stalled for 10 minutes (6 million ticks) with 1000 timers due in that
/// span visits about 2700 slots, under 3 per timer. An `expire` with nothing due does not
/// advance the wheel (that would cost a division); timers armed after such an idle stretch are
/// filed against the last processed tick, so they may sit a level too high and cascade once
/// more at the next `expire` that does work.
///
/// Rules for `on_expire(timer&)`, which runs inside `expire`:
/// - the fired timer is disarmed before the call; the callback may re-arm it, and may arm,
///   re-arm, cancel or destroy any timer, its own included (a cancelled or destroyed timer that
///   was also due does not fire);
/// - a timer armed (inside or outside `expire`) with a deadline in a tick the wheel has already
///   processed (see `current()`) is "already due": it fires at the start of the next `expire`
///   call, whatever its `now`; `next_deadline()` then returns `current()`. Inside a callback this
///   means a timer re-armed for `now` fires in the next call, not this one, so `expire` always
///   terminates. A timer armed in a callback for a later tick that is still `<= now` fires in the
///   same call. So a timer armed in a callback and due by `now` fires in this call or the next,
///   never lost and never early;
/// - `on_expire` should not throw; if it does, the exception propagates, the wheel stays
///   consistent and the due timers not yet fired stay armed (they fire at the next call).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <boost/intrusive/list.hpp>

#include "stack/core/time.hpp"

namespace tachyon {

class timer_wheel;

/// A deadline that a `timer_wheel` can hold: embed one in the object that owns the timer.
/// Neither copyable nor movable (the wheel links its address); destroying it disarms it.
class timer {
public:
    /// A disarmed timer.
    timer() = default;
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;

private:
    friend class timer_wheel;
    using hook_type =
        boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

    hook_type _hook;
    instant _deadline = instant::never();
    uint16_t _slot = 0; // level * 64 + index, or timer_wheel::due_slot
};

/// The per-stack timer wheel: see the file's preface for levels, costs and the callback rules.
class timer_wheel {
public:
    /// The tick length used when none is given.
    static constexpr duration default_granularity = duration::us(100);

    /// A wheel whose tick 0 is `start`, ticking every `granularity` (at least 1 ns). Allocates
    /// its slots here, enough levels to reach `instant::never()`, and never again.
    explicit timer_wheel(instant start, duration granularity = default_granularity);
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;
    /// Disarms every timer still armed.
    ~timer_wheel() = default;

    /// Arms `t` to fire at `deadline` (moving it if armed already). O(1); one store when `t` is
    /// armed and `deadline` is not earlier than its current deadline.
    void arm(timer& t, instant deadline) {
        if (t._hook.is_linked()) {
            if (deadline >= t._deadline && t._slot != due_slot) [[likely]] {
                t._deadline = deadline; // lazy: re-filed when its current slot comes up
                return;
            }
            unlink(t);
        }
        t._deadline = deadline;
        const uint64_t tick = ceil_tick(deadline);
        if (tick <= _current) {
            link_due(t);
            if (_current_instant < _next_check) _next_check = _current_instant;
            return;
        }
        const instant event = grid(link(t, tick));
        if (event < _next_check) _next_check = event;
    }
    /// Disarms `t`; nothing when it is not armed. O(1).
    void cancel(timer& t) {
        if (t._hook.is_linked()) unlink(t);
    }
    /// Whether `t` is armed (on this wheel: a timer belongs to one wheel at a time).
    bool armed(const timer& t) const { return t._hook.is_linked(); }
    /// The deadline `t` is armed for, or `instant::never()` when it is disarmed.
    instant deadline(const timer& t) const { return t._hook.is_linked() ? t._deadline : instant::never(); }

    /// False when `expire(now)` would find nothing to do (its own first test, for a caller that
    /// keeps the rest of `expire` out of line).
    bool may_expire(instant now) const { return now >= _next_check; }
    /// Fires every timer that is due at `now` (see the preface), calling `on_expire(timer&)` for
    /// each after disarming it, and returns how many fired.
    template <class F>
    size_t expire(instant now, F&& on_expire) {
        if (now < _next_check) [[likely]]
            return 0;
        size_t fired = 0;
        if (!_due.empty()) {
            list batch;
            batch.swap(_due); // timers made due by these callbacks wait for the next call
            fired += fire(batch, instant::never(), on_expire);
        }
        const uint64_t target = floor_tick(now);
        while (_current < target) {
            const std::optional<uint64_t> event = next_event();
            if (!event || *event > target) {
                set_current(target);
                break;
            }
            list batch;
            advance_to(*event, batch);
            fired += fire(batch, _current_instant, on_expire);
        }
        _next_check = next_deadline();
        return fired;
    }

    /// A lower bound on the first `now` at which `expire` will fire something (`instant::never()`
    /// when nothing is armed): exact when the first timer is within level 0's 64 ticks; otherwise
    /// the instant of the next cascade, which an idle loop may sleep until (it then wakes about
    /// once per level before the timer fires). Already-due timers make it `current()`.
    /// O(levels).
    instant next_deadline() const;

    /// The tick length.
    duration granularity() const { return duration::ns(int64_t(_granularity)); }
    /// The number of levels (each of 64 slots).
    size_t levels() const { return _levels; }
    /// The instant up to which `expire` has processed ticks: the last `now` rounded down to the
    /// granularity, or earlier when the calls since had nothing to do (they return at once).
    instant current() const { return _current_instant; }
    /// Occupied slots visited by `expire` so far (cascaded or fired): the work that is not
    /// firing, bounded by the slots passed, never by the ticks elapsed.
    uint64_t slots_visited() const { return _slots_visited; }
    /// Timers moved to a lower level (or re-filed after a lazy re-arm) so far.
    uint64_t timers_cascaded() const { return _timers_cascaded; }

private:
    using list =
        boost::intrusive::list<timer, boost::intrusive::member_hook<timer, timer::hook_type, &timer::_hook>,
                               boost::intrusive::constant_time_size<false>>;
    static constexpr unsigned level_bits = 6;
    static constexpr unsigned slots_per_level = 1u << level_bits;
    static constexpr uint16_t due_slot = UINT16_MAX;

    /// Restores the wheel if a callback throws: the batch's remaining timers are re-filed.
    struct batch_guard {
        timer_wheel& wheel;
        list& batch;
        ~batch_guard() {
            if (!batch.empty()) [[unlikely]]
                wheel.refile_all(batch);
        }
    };

    template <class F>
    size_t fire(list& batch, instant limit, F& on_expire) {
        batch_guard guard{*this, batch};
        size_t fired = 0;
        while (!batch.empty()) {
            timer& t = batch.front();
            batch.pop_front();
            if (t._deadline > limit) { // pushed out lazily since it was filed
                refile(t);
                continue;
            }
            ++fired;
            on_expire(t);
        }
        return fired;
    }

    static uint64_t low_mask(unsigned bits) { return bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1; }

    /// Files `t` for `tick` (>= `_current`) and returns the tick at which its slot is processed.
    uint64_t link(timer& t, uint64_t tick) {
        const uint64_t diff = tick ^ _current;
        const unsigned level = diff == 0 ? 0 : unsigned(std::bit_width(diff) - 1) / level_bits;
        const unsigned shift = level * level_bits;
        const unsigned index = unsigned(tick >> shift) & (slots_per_level - 1);
        const unsigned slot = level * slots_per_level + index;
        t._slot = uint16_t(slot);
        _slots[slot].push_back(t);
        _occupied[level] |= uint64_t(1) << index;
        return tick & ~low_mask(shift);
    }
    void link_due(timer& t) {
        t._slot = due_slot;
        _due.push_back(t);
    }
    void unlink(timer& t) {
        t._hook.unlink();
        if (t._slot != due_slot && _slots[t._slot].empty())
            _occupied[t._slot / slots_per_level] &= ~(uint64_t(1) << (t._slot % slots_per_level));
    }

    /// `n / _granularity` by the precomputed reciprocal; `rem` gets the remainder.
    uint64_t divide(uint64_t n, uint64_t& rem) const {
        auto q = uint64_t((static_cast<unsigned __int128>(n) * _reciprocal) >> 64);
        uint64_t r = n - q * _granularity;
        while (r >= _granularity) { // at most twice
            ++q;
            r -= _granularity;
        }
        rem = r;
        return q;
    }
    /// The tick whose instant is the first grid point at or after `t`.
    uint64_t ceil_tick(instant t) const {
        if (t <= _start) return 0;
        uint64_t rem = 0;
        const uint64_t q = divide(uint64_t(t.ns_since_epoch()) - uint64_t(_start.ns_since_epoch()), rem);
        return q + (rem != 0);
    }
    /// The tick whose instant is the last grid point at or before `t`.
    uint64_t floor_tick(instant t) const {
        if (t <= _start) return 0;
        uint64_t rem = 0;
        return divide(uint64_t(t.ns_since_epoch()) - uint64_t(_start.ns_since_epoch()), rem);
    }
    /// The instant of `tick`, saturating at `instant::never()`.
    instant grid(uint64_t tick) const;

    void set_current(uint64_t tick) {
        _current = tick;
        _current_instant = grid(tick);
    }
    /// The first tick after `_current` with an occupied slot to process, if any.
    std::optional<uint64_t> next_event() const;
    /// Moves to `tick`, cascades the slots that start there and moves level 0's slot into `batch`.
    void advance_to(uint64_t tick, list& batch);
    /// Re-files an armed-but-unlinked `t` for its deadline (already due goes to `_due`).
    void refile(timer& t);
    void refile_all(list& batch);

    instant _start;
    uint64_t _granularity;
    uint64_t _reciprocal; // floor((2^64 - 1) / _granularity)
    size_t _levels = 1;
    uint64_t _current = 0; // every tick <= _current has been processed
    instant _current_instant;
    instant _next_check;             // expire() does nothing before this instant
    std::vector<uint64_t> _occupied; // per level: bit i set when slot i may be non-empty
    std::vector<list> _slots;        // level * 64 + index
    list _due;                       // already due: fired at the start of the next expire()
    uint64_t _slots_visited = 0;
    uint64_t _timers_cascaded = 0;
};

} // namespace tachyon
