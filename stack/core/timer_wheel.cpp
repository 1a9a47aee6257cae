// The timer wheel's slow paths: construction, cascading, the search for the next occupied slot.

#include "stack/core/timer_wheel.hpp"

#include <algorithm>

namespace tachyon {

timer_wheel::timer_wheel(instant start, duration granularity)
    : _start(start), _granularity(uint64_t(std::max<int64_t>(granularity.count_ns(), 1))),
      _reciprocal(UINT64_MAX / _granularity), _current_instant(start), _next_check(instant::never()) {
    // Enough 6-bit levels for the tick of instant::never(): no deadline needs an overflow list.
    const auto bits = unsigned(std::bit_width(ceil_tick(instant::never())));
    _levels = std::max<size_t>(1, (bits + level_bits - 1) / level_bits);
    _occupied.assign(_levels, 0);
    _slots = std::vector<list>(_levels * slots_per_level);
}

instant timer_wheel::grid(uint64_t tick) const {
    uint64_t offset = 0;
    if (__builtin_mul_overflow(tick, _granularity, &offset)) return instant::never();
    const auto start = uint64_t(_start.ns_since_epoch());
    if (offset > uint64_t(INT64_MAX) - start) return instant::never(); // modular: INT64_MAX >= start
    return instant::from_ns(int64_t(start + offset));
}

instant timer_wheel::next_deadline() const {
    if (!_due.empty()) return _current_instant;
    const std::optional<uint64_t> event = next_event();
    return event ? grid(*event) : instant::never();
}

std::optional<uint64_t> timer_wheel::next_event() const {
    // Level by level, the first occupied slot after the current tick's own. Slots at or before
    // it are empty (they were processed when the current tick entered them), and every timer of
    // a lower level is due before any slot of a higher one begins, so the first hit is the answer.
    for (size_t level = 0; level < _levels; ++level) {
        const unsigned shift = unsigned(level) * level_bits;
        const unsigned index = unsigned(_current >> shift) & (slots_per_level - 1);
        const uint64_t after = index + 1 == slots_per_level ? 0 : ~uint64_t(0) << (index + 1);
        const uint64_t bits = _occupied[level] & after;
        if (bits == 0) continue;
        const auto next = uint64_t(std::countr_zero(bits));
        return (_current & ~low_mask(shift + level_bits)) | (next << shift);
    }
    return std::nullopt;
}

void timer_wheel::advance_to(uint64_t tick, list& batch) {
    set_current(tick);
    // Cascade each coarser slot that begins at this tick: its timers move down (those due at
    // this very tick land in level 0's current slot, fired below).
    for (size_t level = _levels - 1; level >= 1; --level) {
        const unsigned shift = unsigned(level) * level_bits;
        if ((tick & low_mask(shift)) != 0) continue;
        const unsigned index = unsigned(tick >> shift) & (slots_per_level - 1);
        const uint64_t bit = uint64_t(1) << index;
        if ((_occupied[level] & bit) == 0) continue;
        _occupied[level] &= ~bit;
        ++_slots_visited;
        list& slot = _slots[level * slots_per_level + index];
        while (!slot.empty()) { // link() never files into the slot being emptied
            timer& t = slot.front();
            slot.pop_front();
            link(t, ceil_tick(t._deadline)); // >= tick: filed no earlier than this slot's start
            ++_timers_cascaded;
        }
    }
    const unsigned index = unsigned(tick) & (slots_per_level - 1);
    const uint64_t bit = uint64_t(1) << index;
    if ((_occupied[0] & bit) == 0) return;
    _occupied[0] &= ~bit;
    ++_slots_visited;
    batch.splice(batch.end(), _slots[index]);
}

void timer_wheel::refile(timer& t) {
    ++_timers_cascaded;
    const uint64_t tick = ceil_tick(t._deadline);
    if (tick <= _current) {
        link_due(t);
        _next_check = std::min(_next_check, _current_instant);
        return;
    }
    _next_check = std::min(_next_check, grid(link(t, tick)));
}

void timer_wheel::refile_all(list& batch) {
    while (!batch.empty()) {
        timer& t = batch.front();
        batch.pop_front();
        refile(t);
    }
}

} // namespace tachyon
