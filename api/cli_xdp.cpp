/// The AF_XDP backend's flags (--backend xdp): one block, writing into `xdp_options`
/// (stack/device/xdp/xdp_options.hpp), declared in every build.

#include <charconv>

#include "api/cli.hpp"

namespace tachyon {

namespace {

result<uint32_t> parse_count(std::string_view v, uint32_t max) {
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size() || n > max)
        return make_error(errc::invalid_argument, "expected a number from 0 to " + std::to_string(max));
    return n;
}

} // namespace

void add_xdp_flags(cli& c, xdp_options& o) {
    c.option("iface", "NAME", "AF_XDP backend: the interface to share with the kernel", [&o](std::string_view v) -> result<void> {
        if (v.empty() || v.size() > 15) return make_error(errc::invalid_argument, "an interface name has 1 to 15 characters");
        o.iface = std::string(v);
        return {};
    });
    c.option("xdp-queue", "N", "AF_XDP backend: the queue to bind (default 0)", [&o](std::string_view v) -> result<void> {
        auto n = parse_count(v, 255);
        if (!n) return n.err();
        o.queue = *n;
        return {};
    });
    c.option("xdp-mode", "auto|copy|zerocopy", "AF_XDP backend: zero copy if the driver can (auto, default), or force one",
             [&o](std::string_view v) -> result<void> {
        auto m = parse_xdp_copy_mode(v);
        if (!m) return make_error(errc::invalid_argument, "must be auto, copy or zerocopy");
        o.copy = *m;
        return {};
    });
    c.option("xdp-attach", "auto|native|skb", "AF_XDP backend: XDP in the driver (native), generic (skb), or native then skb (auto)",
             [&o](std::string_view v) -> result<void> {
        auto m = parse_xdp_attach_mode(v);
        if (!m) return make_error(errc::invalid_argument, "must be auto, native or skb");
        o.attach = *m;
        return {};
    });
    c.option("xdp-busy-poll", "USEC", "AF_XDP backend: prefer busy polling, SO_BUSY_POLL USEC (default 0: off)",
             [&o](std::string_view v) -> result<void> {
        auto n = parse_count(v, 1'000'000);
        if (!n) return n.err();
        o.busy_poll_us = *n;
        return {};
    });
    c.option("xdp-frames", "N", "AF_XDP backend: UMEM frames of 2048 bytes (default 8192)", [&o](std::string_view v) -> result<void> {
        auto n = parse_count(v, 1u << 22);
        if (!n) return n.err();
        o.frames = *n;
        return {};
    });
}

} // namespace tachyon
