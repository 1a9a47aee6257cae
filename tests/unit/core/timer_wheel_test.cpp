// The timer wheel: a seeded random mix of arm, re-arm, cancel and expire (with callbacks that
// re-arm, cancel and arm) against a reference model, then the rules one at a time: never early,
// at most one granularity late, already-due arms, destruction while armed, far deadlines across
// cascades, next_deadline as an idle loop's alarm, and the bounded cost of a stalled loop.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "stack/core/timer_wheel.hpp"

namespace tachyon {
namespace {

/// The first grid point at or after `d`: the earliest `now` at which the wheel fires `d`.
instant grid_up(instant start, duration g, instant d) {
    if (d <= start) return start;
    const int64_t diff = (d - start).count_ns();
    const int64_t ticks = (diff + g.count_ns() - 1) / g.count_ns();
    return start + g * ticks;
}

/// The last grid point at or before `now`: how far the wheel has advanced after `expire(now)`.
instant grid_down(instant start, duration g, instant now) {
    if (now <= start) return start;
    return start + g * ((now - start).count_ns() / g.count_ns());
}

// ---- the reference model ------------------------------------------------------------------

struct model_config {
    uint32_t seed;
    instant start;
    duration granularity;
};

/// One timer as the model sees it.
struct model_timer {
    bool armed = false;
    bool due = false;      // armed already due: must fire in the next expire call, whatever its now
    bool flexible = false; // armed by a callback: may fire in this call (never early) or later
    instant deadline;
    uint64_t generation = 0; // bumped by every arm and cancel
};

class model_run {
public:
    static constexpr int timer_count = 200;

    explicit model_run(const model_config& c)
        : _start(c.start), _g(c.granularity), _wheel(c.start, c.granularity), _timers(timer_count),
          _model(timer_count), _rng(c.seed), _now(c.start), _advanced(c.start) {}

    void run(int operations) {
        for (int op = 0; op < operations; ++op) {
            const unsigned pick = _rng() % 100;
            const int id = int(_rng() % timer_count);
            if (pick < 35) {
                arm(id, random_deadline(), false);
            } else if (pick < 50) {
                if (_model[size_t(id)].armed) arm(id, random_deadline(), false);
            } else if (pick < 65) {
                cancel(id);
            } else {
                expire(_now + random_step());
            }
            check_state();
            if (::testing::Test::HasFailure()) {
                ADD_FAILURE() << "at operation " << op;
                return;
            }
        }
        // Drain: everything armed fires once time runs far enough (callbacks keep re-arming
        // some, fewer each round).
        for (int round = 0; round < 200 && !_by_deadline.empty(); ++round) expire(_now + duration::s(86400));
        for (const model_timer& m : _model) EXPECT_FALSE(m.armed);
        EXPECT_EQ(_wheel.next_deadline(), instant::never());
    }

    uint64_t fired() const { return _fired; }
    uint64_t expire_calls() const { return _expire_calls; }
    const timer_wheel& wheel() const { return _wheel; }

private:
    int64_t uniform(int64_t hi) { return int64_t(_rng() % uint64_t(hi + 1)); }

    duration random_step() {
        const unsigned p = _rng() % 100;
        if (p < 50) return duration::ns(uniform(2 * _g.count_ns()));
        if (p < 80) return duration::ns(uniform(duration::ms(50).count_ns()));
        if (p < 95) return duration::ns(uniform(duration::s(5).count_ns()));
        if (p < 99) return duration::ns(uniform(duration::s(20LL * 60).count_ns()));
        return duration::ns(uniform(duration::s(6LL * 3600).count_ns())); // a stalled loop
    }

    instant random_deadline() {
        const unsigned p = _rng() % 100;
        if (p < 10) return _now - duration::ns(uniform(duration::ms(10).count_ns())); // in the past
        if (p < 13) return _now;
        if (p < 15) return _advanced;
        if (p < 55) return _now + duration::ns(uniform(duration::ms(10).count_ns()));
        if (p < 80) return _now + duration::ns(uniform(duration::s(1).count_ns()));
        if (p < 95) return _now + duration::ns(uniform(duration::s(600).count_ns()));
        return _now + duration::ns(uniform(duration::s(3LL * 3600).count_ns()));
    }

    void arm(int id, instant d, bool in_callback) {
        model_timer& m = _model[size_t(id)];
        if (m.armed) _by_deadline.erase(_where[size_t(id)]);
        m.armed = true;
        m.deadline = d;
        m.flexible = in_callback;
        m.due = !in_callback && grid_up(_start, _g, d) <= _advanced;
        ++m.generation;
        _where[size_t(id)] = _by_deadline.emplace(d, id);
        _wheel.arm(_timers[size_t(id)], d);
    }

    void cancel(int id) {
        model_timer& m = _model[size_t(id)];
        if (m.armed) _by_deadline.erase(_where[size_t(id)]);
        m.armed = false;
        ++m.generation;
        _wheel.cancel(_timers[size_t(id)]);
    }

    void expire(instant now) {
        ASSERT_GE(now, _now);
        // Who must fire in this call: the due ones, and those whose grid point `now` reaches.
        std::vector<std::pair<int, uint64_t>> must;
        for (int id = 0; id < timer_count; ++id) {
            const model_timer& m = _model[size_t(id)];
            if (m.armed && (m.due || grid_up(_start, _g, m.deadline) <= now))
                must.emplace_back(id, m.generation);
        }
        size_t calls = 0;
        const size_t n = _wheel.expire(now, [&](timer& t) {
            ++calls;
            const int id = int(&t - _timers.data());
            ASSERT_TRUE(id >= 0 && id < timer_count);
            model_timer& m = _model[size_t(id)];
            ASSERT_TRUE(m.armed) << "timer " << id << " fired while disarmed (twice, or cancelled)";
            EXPECT_LE(m.deadline, now) << "timer " << id << " fired early";
            if (!m.due && !m.flexible) {
                EXPECT_LE(grid_up(_start, _g, m.deadline), now) << "timer " << id << " fired before its tick";
            }
            EXPECT_FALSE(_wheel.armed(t)) << "disarmed before its callback";
            EXPECT_EQ(_wheel.deadline(t), instant::never());
            _by_deadline.erase(_where[size_t(id)]);
            m.armed = false;
            ++_fired;
            // The callback's own moves.
            const unsigned p = _rng() % 100;
            if (p < 25)
                arm(id, random_deadline_at(now), true); // re-arm itself
            else if (p < 35)
                cancel(int(_rng() % timer_count)); // cancel another
            else if (p < 45)
                arm(int(_rng() % timer_count), random_deadline_at(now), true); // arm another
        });
        EXPECT_EQ(n, calls);
        for (auto [id, generation] : must) {
            const model_timer& m = _model[size_t(id)];
            if (m.generation != generation) continue; // re-armed or cancelled by a callback
            EXPECT_FALSE(m.armed) << "timer " << id << " due at " << now.ns_since_epoch() << " (deadline "
                                  << m.deadline.ns_since_epoch() << ") did not fire";
        }
        _now = now;
        _advanced = std::max(_advanced, grid_down(_start, _g, now));
        ++_expire_calls;
        // Callback-armed timers: fired already, due at the next call, or waiting for their tick.
        for (model_timer& m : _model) {
            if (!m.armed || !m.flexible) continue;
            m.flexible = false;
            m.due = grid_up(_start, _g, m.deadline) <= _now;
        }
    }

    instant random_deadline_at(instant now) {
        const instant saved = _now;
        _now = now;
        const instant d = random_deadline();
        _now = saved;
        return d;
    }

    void check_state() {
        instant bound = instant::never(); // the earliest instant at which something must fire
        for (int id = 0; id < timer_count; ++id) {
            const model_timer& m = _model[size_t(id)];
            const timer& t = _timers[size_t(id)];
            ASSERT_EQ(_wheel.armed(t), m.armed) << "timer " << id;
            ASSERT_EQ(_wheel.deadline(t), m.armed ? m.deadline : instant::never()) << "timer " << id;
            if (!m.armed) continue;
            bound = std::min(bound, m.due ? _advanced : grid_up(_start, _g, m.deadline));
        }
        if (!_by_deadline.empty()) // the multimap's first deadline, rounded, bounds it too
            bound = std::min(bound, std::max(grid_up(_start, _g, _by_deadline.begin()->first), _advanced));
        ASSERT_LE(_wheel.next_deadline(), bound) << "next_deadline later than the next expiry";
    }

    instant _start;
    duration _g;
    timer_wheel _wheel;
    std::vector<timer> _timers;
    std::vector<model_timer> _model;
    std::multimap<instant, int> _by_deadline;
    std::multimap<instant, int>::iterator _where[timer_count];
    std::mt19937 _rng;
    instant _now;
    instant _advanced;
    uint64_t _fired = 0;
    uint64_t _expire_calls = 0;
};

TEST(timer_wheel, matches_a_reference_model_under_random_churn) {
    const model_config configs[] = {
        {1, instant::from_ns(1'000'000'000), timer_wheel::default_granularity},
        {2, instant::from_ns(-5'000'000'017), duration::ms(1)},
        {3, instant::from_ns(0), duration::ns(1)},
        {4, instant::from_ns(123'456'789), duration::ns(12'345)},
    };
    for (const model_config& c : configs) {
        SCOPED_TRACE(::testing::Message()
                     << "seed " << c.seed << ", granularity " << c.granularity.count_ns());
        model_run run(c);
        run.run(100'000);
        if (HasFailure()) return;
        EXPECT_GT(run.fired(), 10'000u);
        EXPECT_GT(run.wheel().timers_cascaded(), 1'000u) << "the mix reaches the coarse levels";
    }
}

// ---- the rules, one at a time ---------------------------------------------------------------

const instant t0 = instant::from_ns(1'000'000'000);

struct recorder {
    std::vector<const timer*> fired;
    void operator()(timer& t) { fired.push_back(&t); }
};

TEST(timer_wheel, never_early_and_at_most_one_granularity_late) {
    timer_wheel w(t0); // 100 µs
    timer t;
    const instant d = t0 + duration::us(1'234); // between ticks: grid point at 1.3 ms
    w.arm(t, d);
    EXPECT_TRUE(w.armed(t));
    EXPECT_EQ(w.deadline(t), d);
    EXPECT_EQ(w.next_deadline(), t0 + duration::us(1'300)) << "exact within level 0";
    recorder r;
    EXPECT_EQ(w.expire(d - duration::ns(1), r), 0u);
    EXPECT_EQ(w.expire(d, r), 0u) << "the deadline's tick has not ended";
    EXPECT_EQ(w.expire(t0 + duration::us(1'299), r), 0u);
    EXPECT_EQ(w.expire(t0 + duration::us(1'300), r), 1u) << "fires on the grid point, < 100 µs late";
    EXPECT_FALSE(w.armed(t));
    EXPECT_EQ(w.deadline(t), instant::never());
    EXPECT_EQ(w.expire(t0 + duration::s(10), r), 0u) << "once per arming";
    EXPECT_EQ(w.next_deadline(), instant::never());
}

TEST(timer_wheel, deadline_on_the_grid_fires_exactly_then) {
    timer_wheel w(t0);
    timer t;
    w.arm(t, t0 + duration::ms(3));
    recorder r;
    EXPECT_EQ(w.expire(t0 + duration::ms(3) - duration::ns(1), r), 0u);
    EXPECT_EQ(w.expire(t0 + duration::ms(3), r), 1u);
}

TEST(timer_wheel, rearm_later_is_lazy_and_earlier_moves) {
    timer_wheel w(t0);
    timer t;
    recorder r;
    w.arm(t, t0 + duration::ms(10));
    w.arm(t, t0 + duration::ms(50)); // pushed out: one store
    EXPECT_EQ(w.deadline(t), t0 + duration::ms(50));
    EXPECT_LE(w.next_deadline(), t0 + duration::ms(50));
    EXPECT_EQ(w.expire(t0 + duration::ms(49), r), 0u);
    EXPECT_TRUE(w.armed(t));
    EXPECT_EQ(w.expire(t0 + duration::ms(50), r), 1u);

    w.arm(t, t0 + duration::ms(500));
    w.arm(t, t0 + duration::ms(60)); // pulled in: relinked
    EXPECT_EQ(w.expire(t0 + duration::ms(60), r), 1u);
    EXPECT_EQ(w.expire(t0 + duration::ms(600), r), 0u);

    // Within level 0 too: the timer waits in its old slot and is re-filed when it comes up.
    timer_wheel w0(t0);
    w0.arm(t, t0 + duration::us(500)); // ticks 5, then 12: both level 0
    w0.arm(t, t0 + duration::us(1'200));
    EXPECT_EQ(w0.expire(t0 + duration::us(500), r), 0u);
    EXPECT_TRUE(w0.armed(t));
    EXPECT_EQ(w0.timers_cascaded(), 1u) << "re-filed once";
    EXPECT_EQ(w0.next_deadline(), t0 + duration::us(1'200));
    EXPECT_EQ(w0.expire(t0 + duration::us(1'200), r), 1u);
}

TEST(timer_wheel, already_due_arm_fires_at_the_next_call) {
    timer_wheel w(t0);
    timer t;
    recorder r;
    EXPECT_EQ(w.expire(t0 + duration::ms(10), r), 0u);
    w.arm(t, t0 + duration::ms(5)); // in a processed tick
    EXPECT_LE(w.next_deadline(), t0 + duration::ms(10)) << "do not sleep";
    EXPECT_EQ(w.expire(t0 + duration::ms(10), r), 1u) << "same now: still fires";
    w.arm(t, t0 - duration::s(100)); // before the wheel's start
    EXPECT_EQ(w.expire(t0 + duration::ms(10), r), 1u);
    // A due timer pushed later is moved, not kept due.
    w.arm(t, t0 + duration::ms(1));
    w.arm(t, t0 + duration::ms(20));
    EXPECT_EQ(w.expire(t0 + duration::ms(10), r), 0u);
    EXPECT_EQ(w.expire(t0 + duration::ms(20), r), 1u);
}

TEST(timer_wheel, rearm_inside_the_callback) {
    timer_wheel w(t0);
    timer t;
    const duration period = duration::us(3'050);
    instant expected = t0 + period;
    int fires = 0;
    w.arm(t, expected);
    for (instant now = t0; now <= t0 + duration::s(1); now += duration::us(250)) {
        w.expire(now, [&](timer& x) {
            EXPECT_GE(now, expected);
            EXPECT_LT(now - expected, duration::us(250) + timer_wheel::default_granularity);
            ++fires;
            expected += period;
            w.arm(x, expected); // periodic: from the deadline, not from now
        });
    }
    EXPECT_EQ(fires, 327); // floor(1 s / 3.05 ms)
}

TEST(timer_wheel, rearm_for_now_inside_the_callback_waits_for_the_next_call) {
    timer_wheel w(t0);
    timer t;
    int fires = 0;
    auto again = [&](timer& x) {
        ++fires;
        w.arm(x, t0 + duration::ms(1)); // already due: no infinite loop
    };
    w.arm(t, t0 + duration::ms(1));
    EXPECT_EQ(w.expire(t0 + duration::ms(1), again), 1u);
    EXPECT_TRUE(w.armed(t));
    EXPECT_EQ(w.expire(t0 + duration::ms(1), again), 1u);
    EXPECT_EQ(w.expire(t0 + duration::ms(2), again), 1u);
    EXPECT_EQ(fires, 3);
    w.cancel(t);
    EXPECT_EQ(w.expire(t0 + duration::ms(3), again), 0u);
}

TEST(timer_wheel, arm_inside_the_callback_for_a_later_tick_before_now_fires_in_the_same_call) {
    timer_wheel w(t0);
    timer a, b;
    recorder r;
    w.arm(a, t0 + duration::ms(1));
    size_t n = w.expire(t0 + duration::s(1), [&](timer& x) {
        r(x);
        if (&x == &a) w.arm(b, t0 + duration::ms(500)); // after a's tick, before now
    });
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(r.fired, (std::vector<const timer*>{&a, &b}));
}

TEST(timer_wheel, cancel_inside_the_callback_of_another) {
    timer_wheel w(t0);
    timer a, b, c;
    w.arm(a, t0 + duration::ms(1));
    w.arm(b, t0 + duration::ms(1)); // same slot as a
    w.arm(c, t0 + duration::ms(5)); // a later slot, due in the same call
    recorder r;
    size_t n = w.expire(t0 + duration::ms(10), [&](timer& x) {
        r(x);
        w.cancel(&x == &a ? b : a);
        if (&x == &a || &x == &b) w.cancel(c);
    });
    EXPECT_EQ(n, 1u);
    ASSERT_EQ(r.fired.size(), 1u);
    EXPECT_FALSE(w.armed(a));
    EXPECT_FALSE(w.armed(b));
    EXPECT_FALSE(w.armed(c));
    EXPECT_EQ(w.expire(t0 + duration::s(10), r), 0u);
}

TEST(timer_wheel, destroyed_while_armed_unlinks_itself) {
    timer_wheel w(t0);
    timer keep;
    {
        timer near, far, due;
        w.arm(near, t0 + duration::ms(1));
        w.arm(far, t0 + duration::s(7200));
        w.arm(due, t0 - duration::ms(1));
        w.arm(keep, t0 + duration::ms(1)); // shares near's slot
    }
    recorder r;
    EXPECT_LE(w.next_deadline(), t0 + duration::ms(1));
    EXPECT_EQ(w.expire(t0 + duration::s(3LL * 3600), r), 1u);
    EXPECT_EQ(r.fired, (std::vector<const timer*>{&keep}));

    // The wheel dies first: its timers are disarmed, safe to re-arm elsewhere and destroy.
    timer survivor;
    {
        timer_wheel doomed(t0);
        doomed.arm(survivor, t0 + duration::s(60));
    }
    timer_wheel other(t0);
    other.arm(survivor, t0 + duration::ms(2));
    EXPECT_EQ(other.expire(t0 + duration::ms(2), r), 1u);
}

TEST(timer_wheel, a_callback_may_destroy_timers_and_their_owners) {
    struct connection : timer { // the owner finds itself from the timer by derivation
        int id = 0;
    };
    timer_wheel w(t0);
    std::vector<std::unique_ptr<connection>> conns;
    for (int i = 0; i < 4; ++i) {
        conns.push_back(std::make_unique<connection>());
        conns.back()->id = i;
        w.arm(*conns.back(), t0 + duration::ms(1)); // one slot: all due together
    }
    int fired = 0;
    size_t n = w.expire(t0 + duration::ms(1), [&](timer& t) {
        ++fired;
        const int self = static_cast<connection&>(t).id;
        conns[size_t((self + 1) % 4)].reset(); // another one, still due in this batch
        conns[size_t(self)].reset();           // and itself
    });
    EXPECT_EQ(n, size_t(fired));
    EXPECT_EQ(fired, 2) << "each callback destroys itself and its neighbour (slots are FIFO)";
    EXPECT_EQ(w.expire(t0 + duration::s(1), [](timer&) { FAIL(); }), 0u);
}

TEST(timer_wheel, far_deadlines_fire_on_time_after_cascades) {
    timer_wheel w(t0);
    EXPECT_EQ(w.levels(), 8u) << "100 µs ticks, 6 bits a level, up to instant::never()";
    const duration offsets[] = {duration::s(7200), duration::s(7200) + duration::ns(1),
                                duration::s(25LL * 3600), duration::s(100LL * 86400) + duration::ns(777),
                                duration::s(3LL * 365 * 86400)};
    timer ts[5];
    for (size_t i = 0; i < 5; ++i) w.arm(ts[i], t0 + offsets[i]);
    // An idle loop that sleeps until next_deadline(): it lands exactly on each grid point.
    std::vector<instant> fired_at(5);
    int wakeups = 0;
    while (wakeups < 1000) {
        const instant alarm = w.next_deadline();
        if (alarm == instant::never()) break;
        ++wakeups;
        w.expire(alarm, [&](timer& t) { fired_at[size_t(&t - ts)] = alarm; });
    }
    for (size_t i = 0; i < 5; ++i)
        EXPECT_EQ(fired_at[i], grid_up(t0, w.granularity(), t0 + offsets[i])) << "timer " << i;
    EXPECT_LE(wakeups, int(5 * w.levels()));
    EXPECT_GE(w.timers_cascaded(), 10u);
}

TEST(timer_wheel, far_deadlines_with_irregular_polling) {
    timer_wheel w(t0);
    std::mt19937 rng(11);
    constexpr int n = 300;
    std::vector<timer> ts(n);
    std::vector<instant> deadlines(n);
    for (int i = 0; i < n; ++i) {
        deadlines[size_t(i)] = t0 + duration::ns(int64_t(rng() % 30'000) * 1'000'000'007); // up to ~8.3 h
        w.arm(ts[size_t(i)], deadlines[size_t(i)]);
    }
    int fired = 0;
    instant prev = t0;
    for (instant now = t0; fired < n && now < t0 + duration::s(10LL * 3600);) {
        now += duration::ms(int64_t(rng() % 60'000));
        w.expire(now, [&](timer& t) {
            const instant d = deadlines[size_t(&t - ts.data())];
            EXPECT_LE(d, now);
            EXPECT_LT(prev, grid_up(t0, w.granularity(), d)) << "should have fired in the previous call";
            ++fired;
        });
        prev = now;
    }
    EXPECT_EQ(fired, n);
}

TEST(timer_wheel, next_deadline_is_never_later_than_the_next_expiry) {
    timer_wheel w(t0);
    EXPECT_EQ(w.next_deadline(), instant::never());
    timer a, b;
    w.arm(a, t0 + duration::s(7200));
    EXPECT_LE(w.next_deadline(), t0 + duration::s(7200));
    EXPECT_GT(w.next_deadline(), t0) << "a cascade instant, not zero";
    w.arm(b, t0 + duration::us(450));
    EXPECT_EQ(w.next_deadline(), t0 + duration::us(500));
    w.cancel(b);
    EXPECT_LE(w.next_deadline(), t0 + duration::s(7200));
    EXPECT_GT(w.next_deadline(), t0 + duration::us(500)) << "exact again once the slot is empty";
}

TEST(timer_wheel, a_ten_minute_stall_costs_slots_not_ticks) {
    timer_wheel w(t0);
    std::mt19937 rng(5);
    constexpr int n = 1000;
    std::vector<timer> ts(n);
    for (int i = 0; i < n; ++i) w.arm(ts[size_t(i)], t0 + duration::us(1'000 + int64_t(rng() % 600'000'000)));
    for (int i = 0; i < n; i += 2) w.cancel(ts[size_t(i)]);
    const uint64_t before = w.slots_visited();
    recorder r;
    EXPECT_EQ(w.expire(t0 + duration::s(600) + duration::ms(2), r), size_t(n / 2));
    const uint64_t visited = w.slots_visited() - before;
    // 6 million ticks passed; the work is bounded by the occupied slots (each timer is visited at
    // most once per level) plus one pass over each level's 64 slots.
    EXPECT_LE(visited, uint64_t(n / 2) * w.levels() + 64 * w.levels()) << visited;
    EXPECT_LE(w.timers_cascaded(), uint64_t(n / 2) * w.levels());

    // An empty wheel crosses ten years without visiting a slot.
    const uint64_t idle = w.slots_visited();
    EXPECT_EQ(w.expire(t0 + duration::s(10LL * 365 * 86400), r), 0u);
    EXPECT_EQ(w.slots_visited(), idle);
    // The empty call did not even advance (one comparison); a timer armed now still fires on time.
    const instant later = t0 + duration::s(10LL * 365 * 86400);
    timer t;
    w.arm(t, later + duration::ms(40));
    EXPECT_EQ(w.expire(later, r), 0u);
    EXPECT_EQ(w.current(), later);
    EXPECT_EQ(w.expire(later + duration::ms(40) - duration::ns(1), r), 0u);
    EXPECT_EQ(w.expire(later + duration::ms(40), r), 1u);
    EXPECT_LE(w.slots_visited() - idle, 2 * w.levels());
}

TEST(timer_wheel, never_is_a_parked_deadline) {
    timer_wheel w(t0);
    timer t;
    recorder r;
    w.arm(t, instant::never());
    EXPECT_TRUE(w.armed(t));
    EXPECT_EQ(w.expire(t0 + duration::s(200LL * 365 * 86400), r), 0u);
    EXPECT_TRUE(w.armed(t));
}

TEST(timer_wheel, a_throwing_callback_leaves_the_rest_armed) {
    timer_wheel w(t0);
    timer a, b;
    w.arm(a, t0 + duration::ms(1));
    w.arm(b, t0 + duration::ms(1));
    int fires = 0;
    auto throwing = [&](timer&) {
        ++fires;
        throw std::runtime_error("callback");
    };
    EXPECT_THROW(w.expire(t0 + duration::ms(1), throwing), std::runtime_error);
    EXPECT_EQ(fires, 1);
    EXPECT_TRUE(w.armed(a) != w.armed(b)) << "the other one is still armed";
    recorder r;
    EXPECT_EQ(w.expire(t0 + duration::ms(1), r), 1u) << "and fires in the next call";
}

TEST(timer_wheel, empty_expire_does_no_work) {
    timer_wheel w(t0);
    timer t;
    w.arm(t, t0 + duration::ms(300)); // tick 3000: level 1, the slot of ticks 2944..3007
    recorder r;
    for (instant now = t0; now < t0 + duration::us(294'400); now += duration::us(1)) w.expire(now, r);
    EXPECT_EQ(w.slots_visited(), 0u) << "nothing to do before the slot's first tick";
    EXPECT_EQ(w.expire(t0 + duration::us(294'400), r), 0u);
    EXPECT_EQ(w.slots_visited(), 1u) << "the cascade";
    EXPECT_EQ(w.next_deadline(), t0 + duration::ms(300)) << "exact once in level 0";
    EXPECT_EQ(w.expire(t0 + duration::ms(300), r), 1u);
}

} // namespace
} // namespace tachyon
