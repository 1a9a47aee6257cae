// The idle poll loop's backoff: it sleeps only after a run of empty polls and never past the
// stack's next timer. The last test runs a real stack on the real clock with a sleep cap far
// longer than its timer period: the timer still fires on time, because the sleep ends at
// `next_deadline`.

#include "api/idle_backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"

namespace tachyon {
namespace {

const instant t0 = instant::from_ns(1'000'000'000);

TEST(idle_backoff, polls_on_while_frames_arrive_or_the_idle_run_is_short) {
    idle_backoff b;
    for (unsigned i = 0; i < idle_backoff::empty_polls_before_sleep; ++i)
        EXPECT_EQ(b.after_poll(0, t0, instant::never()), duration{}) << i;
    EXPECT_EQ(b.after_poll(0, t0, instant::never()), idle_backoff::default_max_sleep);
    EXPECT_EQ(b.after_poll(1, t0, instant::never()), duration{}) << "a frame starts the count again";
    EXPECT_EQ(b.after_poll(0, t0, instant::never()), duration{});
}

TEST(idle_backoff, never_sleeps_past_the_next_deadline) {
    idle_backoff b(duration::s(1));
    for (unsigned i = 0; i < idle_backoff::empty_polls_before_sleep; ++i) (void)b.after_poll(0, t0, instant::never());
    EXPECT_EQ(b.after_poll(0, t0, t0 + duration::us(7)), duration::us(7));
    EXPECT_EQ(b.after_poll(0, t0, t0 + duration::s(5)), duration::s(1)) << "at most the cap";
    EXPECT_EQ(b.after_poll(0, t0, t0), duration{}) << "due now: poll at once";
    EXPECT_EQ(b.after_poll(0, t0, t0 - duration::ms(1)), duration{}) << "overdue: poll at once";
}

TEST(idle_backoff, a_timer_fires_on_time_while_the_loop_sleeps) {
    // A stack with an unanswered gateway asks for it every `period` (a timer of the stack's own,
    // in next_deadline). The loop sleeps with a cap of a second, so a loop that slept past the
    // deadline would miss several periods; honouring it, each request leaves within `late` of
    // its due time.
    const duration period = duration::ms(20);
    const duration late = duration::ms(8); // scheduler latency on a loaded CI machine, with margin
    memory_link link;
    stack_config c;
    c.address = ipv4_cidr{ipv4_address{198, 18, 0, 2}, 24};
    c.gateway = ipv4_address{198, 18, 0, 1};
    c.gateway_retry = period;
    c.arp.retry_interval = period; // the cache's own limit on requests for one neighbour
    auto made = stack::create(c, link.b());
    ASSERT_TRUE(made.ok()) << made.err().message;
    stack& st = **made;
    const monotonic_clock clock;
    st.start(clock.now());
    idle_backoff idle(duration::s(1));
    for (unsigned i = 0; i < idle_backoff::empty_polls_before_sleep; ++i) (void)idle.after_poll(0, clock.now(), instant::never());

    std::vector<duration> lateness; // each gateway request: when it left, less when it was due
    size_t slept = 0;
    const instant end = clock.now() + duration::ms(150);
    packet burst[8];
    while (link.a().rx_burst(burst) > 0) // what `start` sent (the announcement, the first request)
        for (packet& p : burst) p.reset();
    while (clock.now() < end) {
        const instant due = st.next_deadline();
        const size_t n = st.poll_clock(clock);
        for (size_t k; (k = link.a().rx_burst(burst)) > 0;)
            for (size_t i = 0; i < k; ++i) {
                wire::arp_repr a;
                if (wire::arp_repr::parse(burst[i].bytes().subspan(wire::ethernet_repr::header_len), a) ==
                        wire::wire_error::ok &&
                    a.target_protocol_address == *c.gateway)
                    lateness.push_back(st.now() - due);
                burst[i].reset();
            }
        const duration d = idle.after_poll(n, st.now(), st.next_deadline());
        slept += d > duration{} ? 1 : 0;
        idle_backoff::sleep(d);
    }
    st.stop(clock.now());
    EXPECT_GT(slept, 0u) << "the loop was idle and slept";
    ASSERT_GE(lateness.size(), 5u) << "150 ms of 20 ms periods";
    for (const duration l : lateness) {
        EXPECT_GE(l, duration{}) << "no timer fires early";
        EXPECT_LE(l, late) << "the sleep ended by the deadline";
    }
}

} // namespace
} // namespace tachyon
