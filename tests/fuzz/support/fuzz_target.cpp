#include "support/fuzz_target.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tachyon::fuzz {

namespace {

/// The targets linked into this program: the replay driver has them all, a libFuzzer binary none.
struct registry {
    struct entry {
        const char* name = nullptr;
        target_fn fn = nullptr;
    };
    std::array<entry, 32> entries{};
    size_t count = 0;
};

registry& targets() {
    static registry r; // built on first use: static initializers of other files may come first
    return r;
}

} // namespace

bool register_target(const char* name, target_fn fn) {
    registry& r = targets();
    if (r.count == r.entries.size()) fail("more than %zu fuzz targets", r.entries.size());
    r.entries[r.count++] = {name, fn};
    return true;
}

target_fn find_target(const char* name) {
    const registry& r = targets();
    for (size_t i = 0; i < r.count; ++i)
        if (std::strcmp(r.entries[i].name, name) == 0) return r.entries[i].fn;
    return nullptr;
}

void fail(const char* format, ...) {
    std::fputs("fuzz oracle failed: ", stderr);
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    std::abort();
}

} // namespace tachyon::fuzz
