/// The capture keys: --pcap FILE and how it is written (format, snapshot length, rotation),
/// writing into `backend_options::pcap` and `pcap_options` (stack/device/pcap_options.hpp).

#include <charconv>
#include <cmath>

#include "api/cli.hpp"
#include "api/config_keys.hpp"

namespace tachyon {

namespace {

error bad(std::string text) { return make_error(errc::invalid_argument, std::move(text)); }

/// Largest --pcap-rotate, in MB.
constexpr double max_rotate_mb = 1e6;

} // namespace

void add_pcap_flags(cli& c, backend_options& o) {
    // A capture setting away from its default needs --pcap (a file may well list the defaults).
    auto seen = [&o](const char* name, bool is_default) {
        if (o.capture_flag.empty() && !is_default) o.capture_flag = name;
    };
    c.key(shared_key("pcap", "FILE", "", "record every frame received and sent (pcapng; see --pcap-format)",
                     [&o](std::string_view v) -> result<void> {
        if (v.empty()) return bad("expected a file name");
        o.pcap = std::string(v);
        return {};
    }, [&o] { return o.pcap.value_or(""); }));
    c.key(shared_key("pcap-format", "pcapng|pcap", "pcapng or pcap",
                     "--pcap file format: pcapng (direction per frame) or classic pcap", [&o, seen](std::string_view v) -> result<void> {
        auto f = parse_capture_format(v);
        if (!f) return bad("expected pcapng or pcap");
        o.capture.format = *f;
        seen("pcap-format", *f == capture_format::pcapng);
        return {};
    }, [&o] { return std::string(o.capture.format == capture_format::pcapng ? "pcapng" : "pcap"); }));
    c.key(shared_key("pcap-snaplen", "BYTES", "0 (the whole frame) to " + std::to_string(capture_max_snaplen),
                     "--pcap keeps at most this many bytes of each frame", [&o, seen](std::string_view v) -> result<void> {
        uint32_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || n > capture_max_snaplen)
            return bad("expected a number of bytes from 1 to " + std::to_string(capture_max_snaplen) + " (0: the whole frame)");
        o.capture.snaplen = n;
        seen("pcap-snaplen", n == 0);
        return {};
    }, [&o] { return std::to_string(o.capture.snaplen); }));
    c.key(shared_key("pcap-rotate", "MB", "0.001 to 1000000 (default: one file)",
                     "--pcap starts a new file (FILE.1, FILE.2, ...) when one would pass MB megabytes",
                     [&o, seen](std::string_view v) -> result<void> {
        double mb = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mb);
        if (ec != std::errc{} || end != v.data() + v.size() || !(mb >= 0.001) || mb > max_rotate_mb)
            return bad("expected a size in megabytes (10^6 bytes) from 0.001 to 1000000");
        o.capture.rotate_bytes = uint64_t(std::llround(mb * 1e6));
        seen("pcap-rotate", false);
        return {};
    }, [&o] { // bytes as MB: 10^6 bytes print as 10^9 ns print as seconds
        return o.capture.rotate_bytes ? format_seconds(duration::ns(int64_t(o.capture.rotate_bytes) * 1000)) : ""; }));
}

} // namespace tachyon
