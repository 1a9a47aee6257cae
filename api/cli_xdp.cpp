/// The AF_XDP backend's keys (--backend xdp): one block, writing into `xdp_options`
/// (stack/device/xdp/xdp_options.hpp), declared in every build.

#include "api/cli.hpp"
#include "api/config_keys.hpp"

namespace tachyon {

void add_xdp_flags(cli& c, xdp_options& o) {
    c.key(shared_key("iface", "NAME", "1 to 15 characters", "AF_XDP backend: the interface to share with the kernel",
                     [&o](std::string_view v) -> result<void> {
        if (v.empty() || v.size() > 15) return make_error(errc::invalid_argument, "an interface name has 1 to 15 characters");
        o.iface = std::string(v);
        return {};
    }, [&o] { return o.iface; }));
    c.key(count_key("xdp-queue", "", o.queue, 0, 255, "N", "AF_XDP backend: the queue to bind"));
    c.key(shared_key("xdp-mode", "auto|copy|zerocopy", "auto, copy or zerocopy",
                     "AF_XDP backend: zero copy if the driver can (auto), or force one", [&o](std::string_view v) -> result<void> {
        auto m = parse_xdp_copy_mode(v);
        if (!m) return make_error(errc::invalid_argument, "must be auto, copy or zerocopy");
        o.copy = *m;
        return {};
    }, [&o] { return std::string(o.copy == xdp_copy_mode::automatic ? "auto" : o.copy == xdp_copy_mode::copy ? "copy" : "zerocopy"); }));
    c.key(shared_key("xdp-attach", "auto|native|skb", "auto, native or skb",
                     "AF_XDP backend: XDP in the driver (native), generic (skb), or native then skb (auto)",
                     [&o](std::string_view v) -> result<void> {
        auto m = parse_xdp_attach_mode(v);
        if (!m) return make_error(errc::invalid_argument, "must be auto, native or skb");
        o.attach = *m;
        return {};
    }, [&o] { return std::string(o.attach == xdp_attach_mode::automatic ? "auto" : o.attach == xdp_attach_mode::native ? "native" : "skb"); }));
    c.key(count_key("xdp-busy-poll", "", o.busy_poll_us, 0, 1'000'000, "USEC", "AF_XDP backend: prefer busy polling, SO_BUSY_POLL USEC (0: off)"));
    c.key(count_key("xdp-frames", "", o.frames, 0, 1u << 22, "N", "AF_XDP backend: UMEM frames of 2048 bytes"));
}

} // namespace tachyon
