/// The UMEM's frames as packet buffers: a property test against a plain model. No kernel needed.

#include "stack/device/xdp/umem.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace tachyon {
namespace {

/// The UMEM against a plain model (a set of free frames) under random takes, shares and
/// releases: a frame is never handed out twice while held, and each returns exactly once.
TEST(xdp_umem_test, frames_return_exactly_once_under_random_references) {
    auto umem = xdp_umem::create(256);
    ASSERT_TRUE(umem) << umem.err().message;
    xdp_umem& u = **umem;
    std::mt19937 rng(7);
    std::vector<packet> held;
    std::set<const buf*> out; // the model: frames outside the free stack
    for (int step = 0; step < 20000; ++step) {
        const uint32_t op = rng() % 3;
        if (op == 0) {
            buf* b = u.take();
            if (b == nullptr) {
                ASSERT_EQ(out.size(), u.count());
                continue;
            }
            ASSERT_TRUE(out.insert(b).second) << "a held frame was handed out again";
            ASSERT_TRUE(u.owns(*b));
            ASSERT_EQ(u.frame_addr(*b) % xdp_umem::frame_size, 0u);
            ASSERT_EQ(&u.frame_at(u.frame_addr(*b) + 300), b);
            b->refcnt = 1;
            held.emplace_back(b);
        } else if (op == 1 && !held.empty()) {
            held.push_back(held[rng() % held.size()].share());
        } else if (!held.empty()) {
            const size_t i = rng() % held.size();
            const buf* b = held[i].descriptor();
            const bool last = b->refcnt == 1;
            held[i] = std::move(held.back());
            held.pop_back();
            if (last) out.erase(b);
        }
        ASSERT_EQ(u.available() + out.size(), u.count());
    }
    held.clear();
    EXPECT_EQ(u.available(), u.count());
}

} // namespace
} // namespace tachyon
