#pragma once
/// A mode's results: one JSON object on stdout (what tools/bench/run reads), fields in the order
/// they are added, and the human summary of a latency histogram on stderr.

#include <string>

#include "tools/bench/harness.hpp"
#include "tools/bench/histogram.hpp"
#include "tools/bench/hooks.hpp"

namespace tachyon::bench {

/// One JSON object, built field by field and printed as one line.
struct report {
    std::string body; ///< the members so far, after the opening brace

    /// A number: whole numbers without decimals, others to 6 digits, `null` when not finite.
    void field(const char* k, double v);
    /// A string (not escaped: the benchmarks' own words).
    void field(const char* k, const std::string& v);
    /// A member whose value is already JSON.
    void add(const char* k, const std::string& raw);
    /// The histogram's sample count, minimum, percentiles and maximum (ns).
    void latency(const histogram& h);
    /// The steady counter's allocations and system calls over `messages` (and its samples).
    void counts(const steady_counter& c, uint64_t messages);
    /// Writes the object and a newline to stdout.
    void print();
};

/// "WHAT: N samples, p50 ..." in microseconds on stderr.
void summary(const char* what, const histogram& h);

/// Writes the histogram's CDF to --cdf, when given.
void write_cdf(const bench_options& o, const histogram& h);

} // namespace tachyon::bench
