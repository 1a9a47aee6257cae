/// The --stats writer's steady state: a json_writer kept and reset between writes of the same
/// shape allocates nothing after its first write (counted through a replaced operator new).

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "stack/core/stats.hpp"

namespace {

// Counts every allocation made while `g_counting` is set (this test binary's only use).
bool g_counting = false;
size_t g_allocations = 0;

} // namespace

#ifndef __SANITIZE_ADDRESS__ // ASan brings its own operator new; the count runs in other builds
// GCC sees free() of what a (replaced) operator new returned: that is this replacement's pair.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
    if (g_counting) ++g_allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace tachyon {
namespace {

#define REUSE_COUNTERS(X) X(rx_frames) X(drop_a_rather_long_counter_name_past_short_strings) X(drop_short)
struct reuse_stats {
    TACHYON_COUNTERS(REUSE_COUNTERS)
};

void write(json_writer& w, const reuse_stats& s, std::string_view device) {
    w.reset();
    w.section("device_with_a_long_section_name", s);
    w.begin_section("tap");
    w.field("name", device);
    w.field("frames", s.rx_frames * 2);
    w.end_section();
    w.section("udp", s);
}

TEST(json_writer, a_kept_writer_rewrites_the_same_shape_without_allocating) {
    json_writer w;
    reuse_stats s;
    g_allocations = 0;
    g_counting = true;
    write(w, s, "tachyon-device-name-longer-than-sso");
    const std::string first(w.text());
    g_counting = false;
#ifndef __SANITIZE_ADDRESS__
    EXPECT_GT(g_allocations, 0u) << "the count sees the first write's tree being built";
#endif
    s.rx_frames = 123456789;
    s.drop_short = 7;
    g_allocations = 0;
    g_counting = true;
    write(w, s, "tachyon-device-name-longer-than-sso");
    const std::string_view second = w.text();
    g_counting = false;
#ifndef __SANITIZE_ADDRESS__
    EXPECT_EQ(g_allocations, 0u);
#endif
    EXPECT_NE(std::string(second), first);
    EXPECT_EQ(second, "{\"device_with_a_long_section_name\":{\"rx_frames\":123456789,"
                      "\"drop_a_rather_long_counter_name_past_short_strings\":0,\"drop_short\":7},"
                      "\"tap\":{\"name\":\"tachyon-device-name-longer-than-sso\",\"frames\":246913578},"
                      "\"udp\":{\"rx_frames\":123456789,\"drop_a_rather_long_counter_name_past_short_strings\":0,"
                      "\"drop_short\":7}}\n");
}

TEST(json_writer, a_reset_writer_keeps_member_order_and_replaces_strings) {
    json_writer w;
    w.begin_section("s");
    w.field("b", uint64_t(1));
    w.field("a", std::string_view("x"));
    w.end_section();
    EXPECT_EQ(w.text(), "{\"s\":{\"b\":1,\"a\":\"x\"}}\n");
    w.reset();
    w.begin_section("s");
    w.field("b", uint64_t(2));
    w.field("a", std::string_view("yz"));
    w.end_section();
    EXPECT_EQ(w.text(), "{\"s\":{\"b\":2,\"a\":\"yz\"}}\n");
}

} // namespace
} // namespace tachyon
