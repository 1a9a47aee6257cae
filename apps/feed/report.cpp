/// tachyon-feed's reports: the --stats members, the exit summary and the .hgrm histogram.
/// Control path only.

#include <cmath>
#include <cstdio>

#include "apps/feed/feed_handler.hpp"

namespace tachyon::feed {

namespace {

std::string num(uint64_t v) { return std::to_string(v); }

/// One line's counters; the multicast lines (`index` 0, 1) add their silence reports.
std::string line_json(const md::line_stats& l, const feed_handler& h, unsigned index) {
    const std::string silence = index < 2 ? ", \"silent\": " + std::string(h.silent(index) ? "true" : "false") +
                                                ", \"silent_reports\": " + num(h.silent_reports(index))
                                          : std::string();
    return "{\"packets\": " + num(l.packets) + ", \"messages\": " + num(l.messages) + ", \"delivered\": " +
           num(l.delivered) + ", \"duplicates\": " + num(l.duplicates) + ", \"gaps\": " + num(l.gaps) +
           ", \"heartbeats\": " + num(l.heartbeats) + ", \"end_of_session\": " + num(l.end_of_session) +
           ", \"malformed\": " + num(l.malformed) + ", \"wrong_session\": " + num(l.wrong_session) +
           ", \"implausible\": " + num(l.implausible) + ", \"unexpected\": " + num(l.unexpected) +
           ", \"next_sequence\": " + num(l.next_sequence) + silence + "}";
}

/// The quantiles reported everywhere.
constexpr std::pair<const char*, double> quantiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99_9", 0.999}, {"p99_99", 0.9999}};

std::string session_text(const md::arbiter& a) {
    return a.has_session() ? std::string(a.session().data(), a.session().size()) : std::string();
}

} // namespace

std::string stats_members(const feed_handler& h) {
    const md::arbiter& a = h.arbiter();
    const md::arbiter_stats& r = a.stats();
    const md::builder_stats& b = h.builder().stats();
    std::string types = "{";
    bool first = true;
    for (size_t t = 0; t < b.by_type.size(); ++t) {
        if (b.by_type[t] == 0) continue;
        types += (first ? "\"" : ", \"") + std::string(1, char(t)) + "\": " + num(b.by_type[t]);
        first = false;
    }
    types += "}";
    std::string lat = "{\"samples\": " + num(h.tick_to_book().count());
    for (auto [name, q] : quantiles) lat += ", \"" + std::string(name) + "\": " + num(h.tick_to_book().quantile(q));
    lat += ", \"max\": " + num(h.tick_to_book().max()) + "}";
    return "\"feed\": {\"session\": \"" + session_text(a) + "\", \"ended\": " + (a.session_ended() ? "true" : "false") +
           ", \"next_sequence\": " + num(a.next_sequence()) + ", \"known_end\": " + num(a.known_end()) +
           ", \"missing\": " + num(a.missing()) + ", \"lines\": {\"a\": " + line_json(a.line(md::feed_line::a), h, 0) +
           ", \"b\": " + line_json(a.line(md::feed_line::b), h, 1) +
           ", \"recovery\": " + line_json(a.line(md::feed_line::recovery), h, 2) + "}" +
           ", \"recovery\": {\"gaps\": " + num(r.gaps) + ", \"requests\": " + num(r.requests) +
           ", \"retries\": " + num(r.retries) + ", \"recovered\": " + num(a.line(md::feed_line::recovery).delivered) +
           ", \"lost\": " + num(r.lost) + ", \"held\": " + num(r.held) + ", \"hold_overflow\": " +
           num(r.hold_overflow) + ", \"hold_too_long\": " + num(r.hold_too_long) + "}" +
           ", \"messages\": " + types + ", \"itch\": {\"skipped\": " + num(b.skipped) +
           ", \"unknown_type\": " + num(b.unknown_type) + ", \"wrong_length\": " + num(b.wrong_length) +
           ", \"filtered\": " + num(b.filtered) + ", \"unknown_order\": " + num(b.unknown_order) +
           ", \"duplicate_order\": " + num(b.duplicate_order) + ", \"orders_full\": " + num(b.orders_full) +
           ", \"levels_full\": " + num(b.levels_full) + ", \"overfill\": " + num(b.overfill) +
           ", \"bad_side\": " + num(b.bad_side) + "}" + ", \"books\": {\"kept\": " + num(h.builder().kept_books()) +
           ", \"stale\": " + num(h.builder().stale_books()) + ", \"orders\": " + num(h.builder().books().orders()) +
           ", \"levels\": " + num(h.builder().books().levels()) + "}" + ", \"tick_to_book_ns\": " + lat + "}";
}

std::string summary(const feed_handler& h) {
    const md::arbiter& a = h.arbiter();
    std::string out;
    auto line = [&](const char* name, md::feed_line l) {
        const md::line_stats& s = a.line(l);
        out += std::string("line ") + name + ": packets=" + num(s.packets) + " messages=" + num(s.messages) +
               " delivered=" + num(s.delivered) + " duplicates=" + num(s.duplicates) + " gaps=" + num(s.gaps) +
               " heartbeats=" + num(s.heartbeats) + " malformed=" + num(s.malformed) +
               " wrong_session=" + num(s.wrong_session) + " unexpected=" + num(s.unexpected) + "\n";
    };
    line("A", md::feed_line::a);
    line("B", md::feed_line::b);
    line("recovery", md::feed_line::recovery);
    const md::arbiter_stats& r = a.stats();
    out += "recovery: gaps=" + num(r.gaps) + " requests=" + num(r.requests) + " retries=" + num(r.retries) +
           " recovered=" + num(a.line(md::feed_line::recovery).delivered) + " lost=" + num(r.lost) +
           " held=" + num(r.held) + "\n";
    out += "session: " + session_text(a) + " ended=" + (a.session_ended() ? "yes" : "no") +
           " next_sequence=" + num(a.next_sequence()) + " missing=" + num(a.missing()) + "\n";
    out += "books: kept=" + num(h.builder().kept_books()) + " stale=" + num(h.builder().stale_books()) +
           " orders=" + num(h.builder().books().orders()) + " levels=" + num(h.builder().books().levels()) + "\n";
    out += "tick-to-book ns: samples=" + num(h.tick_to_book().count());
    for (auto [name, q] : quantiles) out += " " + std::string(name) + "=" + num(h.tick_to_book().quantile(q));
    out += " max=" + num(h.tick_to_book().max()) + "\n";
    return out;
}

std::string hgrm(const mcast::latency_histogram& h) {
    // HdrHistogram's percentile distribution: value, percentile, total count, 1/(1-percentile).
    std::string out = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
    const double total = double(h.count());
    uint64_t seen = 0;
    double sum = 0, sum_sq = 0;
    char line[128];
    h.for_each_bucket([&](uint64_t edge_ns, uint64_t n) {
        seen += n;
        const double us = double(edge_ns) / 1000.0;
        sum += us * double(n);
        sum_sq += us * us * double(n);
        const double p = double(seen) / total;
        if (p < 1.0) std::snprintf(line, sizeof line, "%12.3f %14.12f %10llu %14.2f\n", us, p, (unsigned long long)seen, 1.0 / (1.0 - p));
        else std::snprintf(line, sizeof line, "%12.3f %14.12f %10llu\n", us, p, (unsigned long long)seen);
        out += line;
    });
    const double mean = total > 0 ? sum / total : 0;
    const double stddev = total > 0 ? std::sqrt(std::max(0.0, sum_sq / total - mean * mean)) : 0;
    std::snprintf(line, sizeof line, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean, stddev);
    out += line;
    std::snprintf(line, sizeof line, "#[Max     = %12.3f, Total count    = %12llu]\n", double(h.max()) / 1000.0,
                  (unsigned long long)h.count());
    out += line;
    out += "#[Buckets =           58, SubBuckets     =           64]\n";
    return out;
}

} // namespace tachyon::feed
