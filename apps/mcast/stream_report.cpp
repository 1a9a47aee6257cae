#include "apps/mcast/stream_report.hpp"

#include <cinttypes>

namespace tachyon::mcast {

namespace {

std::string printf_string(const char* fmt, auto... args) {
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, fmt, args...);
    return std::string(buf, n < 0 ? 0 : std::min<size_t>(size_t(n), sizeof buf - 1));
}

} // namespace

double stream_rate(const stream_stats& s) {
    if (s.received < 2 || s.last_rx <= s.first_rx) return 0;
    return double(s.received - 1) * 1e9 / double((s.last_rx - s.first_rx).count_ns());
}

std::string format_counters(const stream_stats& s, bool with_sequence) {
    std::string out = printf_string("received=%" PRIu64 " bytes=%" PRIu64, s.received, s.bytes);
    if (with_sequence) {
        const sequence_tracker& q = s.sequence;
        if (q.started())
            out += printf_string(" first_seq=%" PRIu64 " last_seq=%" PRIu64, q.first(), q.highest());
        out += printf_string(" gaps=%" PRIu64 " missing=%" PRIu64 " duplicates=%" PRIu64 " reordered=%" PRIu64
                             " too_old=%" PRIu64,
                             q.gaps(), q.missing(), q.duplicates(), q.reordered(), q.too_old());
    }
    out += printf_string(" bad_payload=%" PRIu64 " short=%" PRIu64 " rate=%.0f/s", s.bad_payload, s.short_datagrams,
                         stream_rate(s));
    const latency_histogram& l = s.latency;
    out += printf_string(" latency_us p50=%.1f p99=%.1f max=%.1f negative=%" PRIu64, double(l.quantile(0.5)) / 1e3,
                         double(l.quantile(0.99)) / 1e3, double(l.max()) / 1e3, s.negative_latency);
    return out;
}

std::string format_json_members(const stream_stats& s, bool with_sequence) {
    std::string out = printf_string("\"received\": %" PRIu64 ", \"bytes\": %" PRIu64, s.received, s.bytes);
    if (with_sequence) {
        const sequence_tracker& q = s.sequence;
        if (q.started())
            out += printf_string(", \"first_seq\": %" PRIu64 ", \"last_seq\": %" PRIu64, q.first(), q.highest());
        out += printf_string(", \"gaps\": %" PRIu64 ", \"missing\": %" PRIu64 ", \"duplicates\": %" PRIu64
                             ", \"reordered\": %" PRIu64 ", \"too_old\": %" PRIu64,
                             q.gaps(), q.missing(), q.duplicates(), q.reordered(), q.too_old());
    }
    const latency_histogram& l = s.latency;
    out += printf_string(", \"bad_payload\": %" PRIu64 ", \"short\": %" PRIu64 ", \"rate\": %.1f", s.bad_payload,
                         s.short_datagrams, stream_rate(s));
    out += printf_string(", \"latency_ns\": {\"p50\": %" PRIu64 ", \"p99\": %" PRIu64 ", \"max\": %" PRIu64
                         ", \"samples\": %" PRIu64 ", \"negative\": %" PRIu64 "}",
                         l.quantile(0.5), l.quantile(0.99), l.max(), l.count(), s.negative_latency);
    return out;
}

} // namespace tachyon::mcast
