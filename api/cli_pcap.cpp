/// The capture flags: --pcap FILE and how it is written (format, snapshot length, rotation),
/// writing into `backend_options::pcap` and `pcap_options` (stack/device/pcap_options.hpp).

#include <charconv>
#include <cmath>

#include "api/cli.hpp"

namespace tachyon {

namespace {

error bad(std::string text) { return make_error(errc::invalid_argument, std::move(text)); }

/// Largest --pcap-rotate, in MB.
constexpr double max_rotate_mb = 1e6;

} // namespace

void add_pcap_flags(cli& c, backend_options& o) {
    auto seen = [&o](const char* name) {
        if (o.capture_flag.empty()) o.capture_flag = name;
    };
    c.option("pcap", "FILE", "record every frame received and sent (pcapng; see --pcap-format)", [&o](std::string_view v) -> result<void> {
        if (v.empty()) return bad("expected a file name");
        o.pcap = std::string(v);
        return {};
    });
    c.option("pcap-format", "pcapng|pcap", "--pcap file format: pcapng (default: direction per frame) or classic pcap",
             [&o, seen](std::string_view v) -> result<void> {
        auto f = parse_capture_format(v);
        if (!f) return bad("expected pcapng or pcap");
        o.capture.format = *f;
        seen("pcap-format");
        return {};
    });
    c.option("pcap-snaplen", "BYTES", "--pcap keeps at most this many bytes of each frame (default: the whole frame)",
             [&o, seen](std::string_view v) -> result<void> {
        uint32_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || end != v.data() + v.size() || n > capture_max_snaplen)
            return bad("expected a number of bytes from 1 to " + std::to_string(capture_max_snaplen) + " (0: the whole frame)");
        o.capture.snaplen = n;
        seen("pcap-snaplen");
        return {};
    });
    c.option("pcap-rotate", "MB", "--pcap starts a new file (FILE.1, FILE.2, ...) when one would pass MB megabytes",
             [&o, seen](std::string_view v) -> result<void> {
        double mb = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mb);
        if (ec != std::errc{} || end != v.data() + v.size() || !(mb >= 0.001) || mb > max_rotate_mb)
            return bad("expected a size in megabytes (10^6 bytes) from 0.001 to 1000000");
        o.capture.rotate_bytes = uint64_t(std::llround(mb * 1e6));
        seen("pcap-rotate");
        return {};
    });
}

} // namespace tachyon
