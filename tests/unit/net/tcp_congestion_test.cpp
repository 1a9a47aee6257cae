/// tcp_newreno: RFC 5681 windows, RFC 6582 NewReno without SACK, RFC 6937 PRR's two regimes.

#include "stack/net/tcp_congestion.hpp"

#include <gtest/gtest.h>

namespace tachyon {
namespace {

constexpr uint32_t mss = 1000;

TEST(tcp_newreno, initial_window_slow_start_and_congestion_avoidance) {
    tcp_newreno c;
    c.start(mss);
    EXPECT_EQ(c.cwnd(), 4 * mss) << "RFC 3390 for an MSS up to 1095";
    c.on_ack(3000, mss);
    EXPECT_EQ(c.cwnd(), 5 * mss) << "RFC 5681 eq. (2): at most one SMSS per ACK";
    c.on_timeout(10'000, mss);
    EXPECT_EQ(c.ssthresh(), 5000u);
    EXPECT_EQ(c.cwnd(), mss) << "the loss window";
    for (int i = 0; i < 4; ++i) c.on_ack(mss, mss);
    EXPECT_EQ(c.cwnd(), 5 * mss);
    c.on_ack(mss, mss);
    EXPECT_EQ(c.cwnd(), 5 * mss + mss * mss / (5 * mss)) << "eq. (3) above ssthresh";
}

TEST(tcp_newreno, newreno_inflates_on_duplicates_and_deflates_on_partial_acks) {
    tcp_newreno c;
    c.start(mss);
    c.enter_recovery(8000, mss);
    c.newreno_enter(mss);
    EXPECT_EQ(c.cwnd(), 4000u + 3 * mss);
    c.newreno_dup_ack(mss);
    EXPECT_EQ(c.cwnd(), 8000u);
    c.newreno_partial_ack(2000, mss);
    EXPECT_EQ(c.cwnd(), 8000u - 2000 + mss);
    c.newreno_exit(3000, mss);
    EXPECT_EQ(c.cwnd(), 4000u) << "min(ssthresh, FlightSize + SMSS)";
}

TEST(tcp_newreno, prr_sends_in_proportion_above_ssthresh_and_slow_starts_to_it_below) {
    tcp_newreno c;
    c.start(mss);
    c.enter_recovery(10'000, mss); // RecoverFS 10000, ssthresh 5000
    EXPECT_EQ(c.ssthresh(), 5000u);
    c.on_recovery_ack(1000, 9000, mss);
    EXPECT_EQ(c.cwnd(), 9000u + mss) << "the fast retransmit goes whatever PRR says";
    c.on_recovery_sent(mss);
    c.on_recovery_ack(1000, 8000, mss);
    EXPECT_EQ(c.cwnd(), 8000u) << "ceil(2000 * 5000 / 10000) - 1000 = 0";
    c.on_recovery_ack(1000, 7000, mss);
    EXPECT_EQ(c.cwnd(), 7500u) << "ceil(3000 / 2) - 1000 = 500";
    // Many losses take the pipe far below ssthresh: PRR-SSRB sends at most what was
    // delivered plus one segment, not the whole gap at once.
    c.on_recovery_sent(500);
    c.on_recovery_ack(1000, 1000, mss);
    EXPECT_EQ(c.cwnd(), 1000u + 3500) << "max(4000 - 1500, 1000) + 1000 = 3500, below 5000 - 1000";
    c.on_recovery_sent(3500);
    c.on_recovery_ack(1000, 1000, mss);
    EXPECT_EQ(c.cwnd(), 1000u + 2000) << "max(5000 - 5000, 1000) + 1000";
    c.exit_recovery(mss);
    EXPECT_EQ(c.cwnd(), 5000u) << "RFC 6937: cwnd = ssthresh at the end";
}

} // namespace
} // namespace tachyon
