#pragma once
/// Logging. spdlog is for control-path events (start-up, configuration, resolution of the
/// gateway, errors). Per-packet trace points use TACHYON_TRACE_PACKET, which compiles to
/// nothing unless the build sets TACHYON_TRACE (the `debug` preset does; release never does).

#include <spdlog/spdlog.h>

#include <string_view>

namespace tachyon {

/// The logger every tachyon component writes to (named "tachyon").
spdlog::logger& log();

/// Sets the level from "trace", "debug", "info", "warn", "error" or "off"; false when unknown.
bool set_log_level(std::string_view level);

} // namespace tachyon

/// Counts a dropped frame in `counter` (a `drop_*` field) and traces it in debug builds.
#define TACHYON_DROP(counter)                                                 \
    do {                                                                      \
        ++(counter);                                                          \
        TACHYON_TRACE_PACKET("drop: {}", #counter);                          \
    } while (0)

#if defined(TACHYON_TRACE) && TACHYON_TRACE
/// A per-packet trace point (compiled in only with TACHYON_TRACE).
#define TACHYON_TRACE_PACKET(...) ::tachyon::log().trace(__VA_ARGS__)
#else
/// A per-packet trace point (compiled out: TACHYON_TRACE is off).
#define TACHYON_TRACE_PACKET(...) ((void)0)
#endif
