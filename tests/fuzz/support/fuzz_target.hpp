#pragma once
/// How a fuzz target is declared, and how it reports a broken oracle. A target is one body:
///
///     TACHYON_FUZZ_TARGET(ipv4) { ... use `data` and `size` ... return 0; }
///
/// Built with TACHYON_LIBFUZZER (the `fuzz` preset) the body is `LLVMFuzzerTestOneInput`; built
/// without, it registers itself under its name with the replay driver (replay_main.cpp), which
/// runs corpus and regression files through every compiler's build.

#include <cstddef>
#include <cstdint>

namespace tachyon::fuzz {

/// A fuzz target's entry point: one input, returns 0.
using target_fn = int (*)(const uint8_t* data, size_t size);

/// Adds a target to the replay driver's table (returns true, for a static initializer).
bool register_target(const char* name, target_fn fn);

/// The target registered as `name`, or null.
target_fn find_target(const char* name);

/// Prints "fuzz oracle failed: " and the printf-style message, then aborts (a crash to libFuzzer).
[[noreturn]] void fail(const char* format, ...) __attribute__((format(printf, 1, 2)));

} // namespace tachyon::fuzz

/// Aborts with the message when `cond` is false.
#define FUZZ_CHECK(cond, ...)                                                                 \
    do {                                                                                      \
        if (!(cond)) [[unlikely]]                                                             \
            ::tachyon::fuzz::fail(__VA_ARGS__);                                               \
    } while (0)

#if defined(TACHYON_LIBFUZZER)
/// Declares the fuzz target `name` (its body follows; `data` and `size` are the input).
#define TACHYON_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
/// Declares the fuzz target `name` (its body follows; `data` and `size` are the input).
#define TACHYON_FUZZ_TARGET(name)                                                             \
    static int fuzz_target_##name(const uint8_t* data, size_t size);                          \
    [[maybe_unused]] static const bool fuzz_registered_##name =                              \
        ::tachyon::fuzz::register_target(#name, fuzz_target_##name);                          \
    static int fuzz_target_##name(const uint8_t* data, size_t size)
#endif
