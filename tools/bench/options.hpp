#pragma once
/// tachyon-bench's command line: the mode's flags next to the shared backend flags.

#include <optional>

#include "tools/bench/harness.hpp"

namespace tachyon::bench {

/// Parses the flags after the mode (argv[1], already in `o.mode`) into `o`: the exit code when
/// the program is to stop here (2 after a bad flag, 0 after --help), nothing when the mode runs.
std::optional<int> parse_options(int argc, char** argv, bench_options& o);

} // namespace tachyon::bench
