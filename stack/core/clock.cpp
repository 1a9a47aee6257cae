#include "stack/core/clock.hpp"

#include <ctime>

namespace tachyon {

instant monotonic_clock::now() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return instant::from_ns(int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
}

} // namespace tachyon
