#include "tools/bench/report.hpp"

#include <cmath>
#include <cstdio>

namespace tachyon::bench {

void report::field(const char* k, double v) {
    char b[64];
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
        std::snprintf(b, sizeof b, "%.0f", v);
    else if (std::isfinite(v))
        std::snprintf(b, sizeof b, "%.6g", v);
    else
        std::snprintf(b, sizeof b, "null");
    add(k, b);
}

void report::field(const char* k, const std::string& v) { add(k, "\"" + v + "\""); }

void report::add(const char* k, const std::string& raw) {
    body += body.empty() ? "{" : ", ";
    body += "\"" + std::string(k) + "\": " + raw;
}

void report::latency(const histogram& h) {
    field("samples", double(h.count()));
    field("min_ns", double(h.min()));
    field("p50_ns", double(h.quantile(0.50)));
    field("p90_ns", double(h.quantile(0.90)));
    field("p99_ns", double(h.quantile(0.99)));
    field("p999_ns", double(h.quantile(0.999)));
    field("p9999_ns", double(h.quantile(0.9999)));
    field("max_ns", double(h.max()));
}

void report::counts(const steady_counter& c, uint64_t messages) {
    field("messages_counted", double(messages));
    field("allocations", double(c.allocations()));
    field("syscalls", double(c.syscalls()));
    const double m = messages ? double(messages) : 1.0;
    field("allocs_per_msg", c.allocations() < 0 ? NAN : double(c.allocations()) / m);
    field("syscalls_per_msg", c.syscalls() < 0 ? NAN : double(c.syscalls()) / m);
    if (!c.why_not().empty()) field("counts_note", c.why_not());
    if (!c.syscall_samples().empty()) {
        std::string a = "[";
        for (const std::string& x : c.syscall_samples()) {
            if (a.size() > 1) a += ", ";
            a += "\"";
            for (char ch : x) {
                if (ch == '"' || ch == '\\') a += '\\';
                a += ch;
            }
            a += "\"";
        }
        add("syscall_samples", a + "]");
    }
    if (!alloc_hook_available())
        field("alloc_note", std::string("allocation hook off (AddressSanitizer build)"));
}

void report::print() {
    std::printf("%s}\n", body.c_str());
    std::fflush(stdout);
}

void summary(const char* what, const histogram& h) {
    std::fprintf(
        stderr, "%s: %llu samples, p50 %.2f us, p90 %.2f, p99 %.2f, p99.9 %.2f, p99.99 %.2f, max %.2f\n",
        what, (unsigned long long)h.count(), h.quantile(0.5) / 1e3, h.quantile(0.9) / 1e3,
        h.quantile(0.99) / 1e3, h.quantile(0.999) / 1e3, h.quantile(0.9999) / 1e3, double(h.max()) / 1e3);
}

void write_cdf(const bench_options& o, const histogram& h) {
    if (o.cdf_path.empty()) return;
    if (std::FILE* f = std::fopen(o.cdf_path.c_str(), "w")) {
        h.write_cdf(f);
        std::fclose(f);
    }
}

} // namespace tachyon::bench
