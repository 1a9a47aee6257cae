/// The AF_XDP device. Control path first (interface checks, UMEM, socket, steering program),
/// then the data path, which works on the rings and the UMEM frames themselves.

#include "stack/device/xdp/xdp_device.hpp"

#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <arpa/inet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "stack/core/log.hpp"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

namespace tachyon {

namespace {

/// Room the kernel keeps in front of a received frame (XDP_PACKET_HEADROOM in the kernel).
constexpr uint32_t xdp_headroom = 256;
/// Ethernet header plus one VLAN tag: the most a frame exceeds the MTU by.
constexpr uint32_t link_overhead = 14 + 4;
/// Frames taken from the RX ring per rx_burst at most.
constexpr uint32_t rx_batch = 64;
/// sendto calls one flush makes at most while the kernel says it has more to send.
constexpr int max_kicks = 64;

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

error xdp_error(errc code, const std::string& what) { return make_error(code, "xdp: " + what); }

/// What a failure to create the UMEM or the socket means.
error socket_error(int err, const std::string& iface, uint32_t queue, const char* what) {
    err = err < 0 ? -err : err;
    std::string text = std::string(what) + " on " + iface + " queue " + std::to_string(queue) + ": " + errno_text(err);
    if (err == EAFNOSUPPORT)
        return xdp_error(errc::system, text + " (this kernel has no AF_XDP sockets: it needs CONFIG_XDP_SOCKETS=y)");
    if (err == EPERM || err == EACCES)
        return xdp_error(errc::permission_denied,
                         text + " (AF_XDP needs CAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF: run as root)");
    if (err == EBUSY)
        return xdp_error(errc::in_use, text + " (another AF_XDP socket is bound to this queue)");
    if (err == EINVAL)
        return xdp_error(errc::invalid_argument, text + " (is the queue within the interface's queues? `ethtool -l " +
                                                     iface + "`)");
    if (err == ENOMEM || err == ENOBUFS)
        return xdp_error(errc::no_buffer, text + " (raise `ulimit -l` or use fewer --xdp-frames)");
    return xdp_error(errc::system, text);
}

/// The number of receive queues of `iface` (0 when it cannot tell): the driver's channel count
/// (ethtool), else what sysfs shows (which is the namespace's only when /sys was mounted in it).
uint32_t rx_queue_count(const std::string& iface) {
    ethtool_channels ch{};
    ch.cmd = ETHTOOL_GCHANNELS;
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, iface.c_str(), std::min(iface.size(), size_t(IFNAMSIZ - 1)));
    ifr.ifr_data = reinterpret_cast<char*>(&ch);
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const bool ok = s >= 0 && ::ioctl(s, SIOCETHTOOL, &ifr) == 0;
    if (s >= 0) ::close(s);
    if (ok && ch.rx_count + ch.combined_count > 0) return ch.rx_count + ch.combined_count;
    std::error_code ec;
    uint32_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + iface + "/queues", ec))
        if (e.path().filename().string().starts_with("rx-")) ++n;
    return ec ? 0 : n;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Control path
// ---------------------------------------------------------------------------------------------

result<std::unique_ptr<xdp_device>> xdp_device::open(const xdp_config& cfg) {
    const xdp_options& o = cfg.options;
    if (o.iface.empty() || o.iface.size() >= IFNAMSIZ)
        return xdp_error(errc::invalid_argument, "--iface NAME is required with --backend xdp (1 to 15 characters)");
    if (cfg.address.is_any()) return xdp_error(errc::invalid_argument, "the stack needs an address (--ip)");
    if (cfg.ring_size == 0 || (cfg.ring_size & (cfg.ring_size - 1)) != 0)
        return xdp_error(errc::invalid_argument, "the ring size must be a power of two");
    std::unique_ptr<xdp_device> dev(new xdp_device());
    dev->_iface = o.iface;
    dev->_queue = o.queue;
    dev->_ring_size = cfg.ring_size;
    dev->_ifindex = int(::if_nametoindex(o.iface.c_str()));
    if (dev->_ifindex == 0)
        return xdp_error(errc::not_found, "interface " + o.iface + " not found (`ip link show`; in a network "
                                                                   "namespace, run the program inside it)");
    if (const uint32_t queues = rx_queue_count(o.iface); queues != 0 && o.queue >= queues)
        return xdp_error(errc::invalid_argument, "queue " + std::to_string(o.queue) + " is out of range: " + o.iface +
                                                     " has " + std::to_string(queues) +
                                                     " receive queue(s), 0 to " + std::to_string(queues - 1) +
                                                     " (`ethtool -l " + o.iface + "`)");
    // The interface's MAC and MTU: the stack shares the port, so it answers with the port's MAC.
    {
        const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq ifr{};
        std::memcpy(ifr.ifr_name, o.iface.c_str(), o.iface.size());
        const bool ok = s >= 0 && ::ioctl(s, SIOCGIFHWADDR, &ifr) == 0;
        if (ok) std::memcpy(dev->_caps.mac.bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
        const bool mtu_ok = s >= 0 && ::ioctl(s, SIOCGIFMTU, &ifr) == 0;
        if (mtu_ok) dev->_caps.mtu = uint16_t(ifr.ifr_mtu);
        if (s >= 0) ::close(s);
        if (!ok || !mtu_ok) return xdp_error(errc::system, "cannot read the MAC and MTU of " + o.iface);
    }
    if (cfg.mac && *cfg.mac != dev->_caps.mac)
        return xdp_error(errc::invalid_argument, "--mac " + cfg.mac->to_string() + ": the stack shares " + o.iface +
                                                     " with the kernel and uses its MAC, " +
                                                     dev->_caps.mac.to_string() + " (leave --mac out)");
    if (dev->_caps.mtu + link_overhead > xdp_umem::frame_size - xdp_headroom)
        return xdp_error(errc::invalid_argument,
                         "the MTU of " + o.iface + " (" + std::to_string(dev->_caps.mtu) + ") is too large for " +
                             std::to_string(xdp_umem::frame_size) + "-byte UMEM frames: at most " +
                             std::to_string(xdp_umem::frame_size - xdp_headroom - link_overhead));
    if (o.frames < 2 * cfg.ring_size)
        return xdp_error(errc::invalid_argument, "--xdp-frames must be at least " + std::to_string(2 * cfg.ring_size) +
                                                     " (the fill ring holds " + std::to_string(cfg.ring_size) + ")");
    if (auto ok = dev->bind_socket(cfg); !ok) return ok.err();
    if (o.busy_poll_us > 0) dev->set_busy_poll(o.busy_poll_us);

    auto steering = xdp_steering::attach(dev->_ifindex, o.iface, o.queue, o.attach);
    if (!steering) return steering.err();
    dev->_steering = std::move(*steering);
    dev->_steer_cfg.ipv4 = htonl(cfg.address.value);
    dev->_steer_cfg.queue = o.queue;
    dev->_steer_cfg.owner_pid = uint32_t(::getpid());
    if (auto ok = dev->_steering->maps().set_socket(o.queue, dev->_fd); !ok) return ok.err();
    if (auto ok = dev->_steering->maps().write_config(dev->_steer_cfg); !ok) return ok.err();
    dev->refill();

    dev->_caps.multicast_filter = true;
    log().info("xdp: {} queue {}: {} mode, {} attach, MAC {}, MTU {}, {} UMEM frames of {} bytes, rings of {}{}",
               o.iface, o.queue, dev->_zerocopy ? "zero-copy" : "copy",
               dev->_steering->mode() == xdp_attach_mode::native ? "native" : "skb (generic)",
               dev->_caps.mac.to_string(), dev->_caps.mtu, o.frames, xdp_umem::frame_size, cfg.ring_size,
               dev->_busy_poll ? ", busy polling" : "");
    return dev;
}

result<void> xdp_device::bind_socket(const xdp_config& cfg) {
    const xdp_options& o = cfg.options;
    // Zero copy needs the program in the driver: generic (skb) XDP hands the socket copies.
    if (o.copy == xdp_copy_mode::zerocopy && o.attach == xdp_attach_mode::skb)
        return xdp_error(errc::invalid_argument, "--xdp-mode zerocopy needs native attach (not --xdp-attach skb)");
    std::vector<std::pair<uint16_t, const char*>> tries;
    if (o.copy != xdp_copy_mode::copy && o.attach != xdp_attach_mode::skb)
        tries.emplace_back(uint16_t(XDP_ZEROCOPY), "zero-copy");
    if (o.copy != xdp_copy_mode::zerocopy) tries.emplace_back(uint16_t(XDP_COPY), "copy");
    int last = 0;
    for (auto [flag, name] : tries) {
        // A fresh UMEM per try: a failed bind leaves the first socket's rings unusable.
        auto umem = xdp_umem::create(o.frames);
        if (!umem) return umem.err();
        xsk_umem_config uc{};
        uc.fill_size = cfg.ring_size;
        uc.comp_size = cfg.ring_size;
        uc.frame_size = xdp_umem::frame_size;
        uc.frame_headroom = 0;
        uc.flags = 0;
        // libxdp keeps pointers to the ring structs it fills (and reads them again when the
        // socket and UMEM are deleted): they must be the device's own members, not locals.
        xsk_umem* xu = nullptr;
        _fill = {};
        _comp = {};
        _rx = {};
        _tx = {};
        if (int r = xsk_umem__create(&xu, (*umem)->area(), (*umem)->area_size(), &_fill, &_comp, &uc); r != 0)
            return socket_error(r, o.iface, o.queue, "cannot register the UMEM");
        xsk_socket_config sc{};
        sc.rx_size = cfg.ring_size;
        sc.tx_size = cfg.ring_size;
        sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD; // our own program steers
        sc.bind_flags = uint16_t(flag | XDP_USE_NEED_WAKEUP);
        xsk_socket* xsk = nullptr;
        last = xsk_socket__create(&xsk, o.iface.c_str(), o.queue, xu, &_rx, &_tx, &sc);
        if (last == 0) {
            _umem = std::move(*umem);
            _xsk_umem = xu;
            _xsk = xsk;
            _fd = xsk_socket__fd(xsk);
            _zerocopy = flag == XDP_ZEROCOPY;
            if (o.copy == xdp_copy_mode::automatic)
                log().info("xdp: {} queue {}: {} mode{}", o.iface, o.queue, name,
                           _zerocopy ? "" : " (the driver offers no zero copy here)");
            return {};
        }
        (void)xsk_umem__delete(xu);
        log().info("xdp: binding {} queue {} in {} mode failed: {}", o.iface, o.queue, name, errno_text(last));
        if (-last == EAFNOSUPPORT || -last == EPERM || -last == EACCES || -last == EBUSY) break;
    }
    if (o.copy == xdp_copy_mode::zerocopy && (-last == EOPNOTSUPP || -last == EINVAL || -last == EPROTONOSUPPORT))
        return xdp_error(errc::invalid_argument, "the driver of " + o.iface + " has no zero-copy AF_XDP (" +
                                                     errno_text(last) + "): use --xdp-mode copy or auto");
    return socket_error(last, o.iface, o.queue, "cannot bind an AF_XDP socket");
}

void xdp_device::set_busy_poll(uint32_t usec) {
    const int one = 1, us = int(usec), budget = int(rx_batch);
    const bool ok = ::setsockopt(_fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof one) == 0 &&
                    ::setsockopt(_fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof us) == 0 &&
                    ::setsockopt(_fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof budget) == 0;
    if (ok) {
        _busy_poll = true;
        return;
    }
    log().warn("xdp: busy polling not available on {} ({}): going on without it", _iface, errno_text(errno));
}

result<void> xdp_device::set_multicast_filter(std::span<const mac_address> groups) {
    if (!_steering) return xdp_error(errc::invalid_argument, "the device is closed");
    if (auto ok = _steering->maps().write_groups(groups); !ok) return ok;
    // RFC 3376 §5.2: a host with groups answers general queries (to 224.0.0.1).
    _steer_cfg.flags = groups.empty() ? 0u : TACHYON_XDP_IGMP_QUERIES;
    return _steering->maps().write_config(_steer_cfg);
}

void xdp_device::report(json_writer& w) const {
    w.section("xdp", _xdp_stats);
    xdp_statistics ks{};
    socklen_t len = sizeof ks;
    if (_fd >= 0 && ::getsockopt(_fd, SOL_XDP, XDP_STATISTICS, &ks, &len) == 0) {
        w.begin_section("xdp_kernel");
        w.field("drop_rx", ks.rx_dropped);                  // frames the kernel could not deliver to the socket
        w.field("drop_rx_ring_full", ks.rx_ring_full);      // frames lost to a full RX ring
        w.field("rx_fill_ring_empty", ks.rx_fill_ring_empty_descs); // times the kernel found no fill entry
        w.field("rx_invalid_descs", ks.rx_invalid_descs);
        w.field("tx_invalid_descs", ks.tx_invalid_descs);
        w.field("tx_ring_empty", ks.tx_ring_empty_descs);
        w.end_section();
    }
    if (_steering) {
        static constexpr const char* names[TACHYON_XDP_REASONS] = {
            "steered_arp", "steered_ipv4", "steered_multicast", "steered_igmp_query",
            "passed_not_ours", "passed_other_type", "passed_truncated", "passed_unconfigured"};
        const steering_verdicts v = _steering->maps().read_verdicts();
        w.begin_section("xdp_steering");
        for (size_t i = 0; i < v.size(); ++i) w.field(names[i], v[i]);
        w.field("attach", _steering->mode() == xdp_attach_mode::native ? "native" : "skb");
        w.field("mode", _zerocopy ? "zerocopy" : "copy");
        w.field("dispatcher", _steering->dispatcher() ? "libxdp" : "none");
        w.end_section();
    }
}

xdp_device::~xdp_device() { close(); }

void xdp_device::close() {
    if (_steering) {
        _steering->detach(); // first: no frame is steered to a socket that is going
        _steering.reset();
    }
    if (_xsk != nullptr) {
        xsk_socket__delete(_xsk);
        _xsk = nullptr;
        _fd = -1;
    }
    if (_xsk_umem != nullptr) {
        if (int r = xsk_umem__delete(_xsk_umem); r != 0)
            log().warn("xdp: deleting the UMEM of {} failed: {}", _iface, errno_text(r));
        _xsk_umem = nullptr;
    }
    if (!_umem) return;
    const uint32_t held = _umem->count() - _umem->available() - _in_fill - _in_flight;
    if (held != 0) {
        // A packet handle that outlived the device would release into unmapped memory.
        log().error("xdp: {} UMEM frames still held by the stack when {} closed; the UMEM stays mapped", held, _iface);
        (void)_umem.release();
    } else {
        _umem.reset();
    }
    log().info("xdp: {} queue {} closed (rx {} frames, tx {} frames)", _iface, _queue, _stats.rx_frames,
               _stats.tx_frames);
}

// ---------------------------------------------------------------------------------------------
// Data path
// ---------------------------------------------------------------------------------------------

/// Gives free frames to the fill ring, up to its size (the kernel receives into them).
inline void xdp_device::refill() {
    const uint32_t want = std::min(_ring_size - _in_fill, _umem->available());
    if (want == 0) return;
    uint32_t idx = 0;
    if (xsk_ring_prod__reserve(&_fill, want, &idx) != want) [[unlikely]]
        return; // cannot happen: the ring holds at most _in_fill entries
    for (uint32_t i = 0; i < want; ++i) *xsk_ring_prod__fill_addr(&_fill, idx + i) = _umem->frame_addr(*_umem->take());
    xsk_ring_prod__submit(&_fill, want);
    _in_fill += want;
}

/// Takes back the frames the kernel finished sending: each drops the transmit ring's reference.
inline void xdp_device::reap_completions() {
    uint32_t idx = 0;
    const uint32_t n = xsk_ring_cons__peek(&_comp, _ring_size, &idx);
    if (n == 0) return;
    for (uint32_t i = 0; i < n; ++i) {
        buf& b = _umem->frame_at(*xsk_ring_cons__comp_addr(&_comp, idx + i));
        if (--b.refcnt == 0) _umem->give(b);
    }
    xsk_ring_cons__release(&_comp, n);
    _in_flight -= n;
    _xdp_stats.tx_completions += n;
}

inline bool xdp_device::tx_pending() const {
    return __atomic_load_n(_tx.consumer, __ATOMIC_ACQUIRE) != *_tx.producer;
}

size_t xdp_device::rx_burst(std::span<packet> out) {
    if (_xsk == nullptr) [[unlikely]]
        return 0;
    if (_in_flight != 0) reap_completions();
    uint32_t idx = 0;
    const uint32_t n = xsk_ring_cons__peek(&_rx, uint32_t(std::min<size_t>(out.size(), rx_batch)), &idx);
    if (n == 0) {
        if (_busy_poll || xsk_ring_prod__needs_wakeup(&_fill)) [[unlikely]] {
            ++_xdp_stats.rx_wakeups;
            (void)::recvfrom(_fd, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
        }
        return 0;
    }
    for (uint32_t i = 0; i < n; ++i) {
        const xdp_desc* d = xsk_ring_cons__rx_desc(&_rx, idx + i);
        buf& b = _umem->frame_at(d->addr);
        b.data_off = uint32_t(d->addr - _umem->frame_addr(b));
        b.data_len = d->len;
        b.refcnt = 1;
        b.rx_time = instant{};
        b.offload = buf_offload{}; // no offload: the stack checks every sum
        _stats.rx_bytes += d->len;
        out[i] = packet{&b};
    }
    xsk_ring_cons__release(&_rx, n);
    _in_fill -= n;
    _stats.rx_frames += n;
    refill();
    return n;
}

size_t xdp_device::tx_burst(std::span<packet> frames) {
    if (_xsk == nullptr || frames.empty()) [[unlikely]]
        return 0;
    const auto want = uint32_t(std::min<size_t>(frames.size(), _ring_size));
    const uint32_t n = std::min(want, xsk_prod_nb_free(&_tx, want));
    uint32_t idx = 0;
    if (n == 0 || xsk_ring_prod__reserve(&_tx, n, &idx) != n) [[unlikely]] {
        _stats.tx_drop_full += frames.size();
        return 0;
    }
    uint32_t k = 0;
    for (; k < n; ++k) {
        packet& p = frames[k];
        buf* b = p.descriptor();
        if (!_umem->owns(*b)) [[unlikely]] {
            // Not a UMEM frame (built elsewhere): the kernel can only send from the UMEM.
            buf* f = _umem->take();
            if (f == nullptr || p.size() > xdp_umem::frame_size - xdp_umem::tx_headroom) {
                if (f != nullptr) _umem->give(*f);
                break;
            }
            f->data_off = xdp_umem::tx_headroom;
            f->data_len = uint32_t(p.size());
            f->refcnt = 1;
            std::memcpy(f->base + f->data_off, p.data(), p.size());
            p.reset();
            b = f;
            ++_xdp_stats.tx_copied_foreign;
        } else {
            (void)p.release(); // the transmit ring holds this reference until the completion
        }
        xdp_desc* d = xsk_ring_prod__tx_desc(&_tx, idx + k);
        d->addr = _umem->frame_addr(*b) + b->data_off;
        d->len = b->data_len;
        d->options = 0;
        _stats.tx_bytes += b->data_len;
    }
    _tx.cached_prod -= n - k; // give back what was reserved and not used
    xsk_ring_prod__submit(&_tx, k);
    _in_flight += k;
    _stats.tx_frames += k;
    _kick_pending = _kick_pending || k != 0;
    if (k < frames.size()) [[unlikely]]
        _stats.tx_drop_full += frames.size() - k;
    return k;
}

void xdp_device::flush() {
    if (!_kick_pending) [[likely]]
        return;
    if (xsk_ring_prod__needs_wakeup(&_tx)) {
        // Copy mode sends at most a batch (32 frames) per call and says EAGAIN when more wait.
        for (int i = 0; i < max_kicks; ++i) {
            ++_xdp_stats.tx_kicks;
            if (::sendto(_fd, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
                if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) {
                    ++_xdp_stats.tx_kick_errors;
                    break;
                }
                ++_xdp_stats.tx_kicks_again;
            }
            if (!tx_pending()) break;
        }
    }
    _kick_pending = tx_pending();
    reap_completions();
}

size_t xdp_device::alloc_burst(std::span<packet> out) {
    if (_umem == nullptr) [[unlikely]]
        return 0;
    if (_umem->available() < out.size() && _in_flight != 0) reap_completions();
    size_t n = 0;
    while (n < out.size()) {
        buf* b = _umem->take();
        if (b == nullptr) break;
        b->refcnt = 1;
        b->data_off = xdp_umem::tx_headroom;
        b->data_len = 0;
        b->rx_time = instant{};
        b->offload = buf_offload{};
        out[n++] = packet{b};
    }
    if (n == 0 && !out.empty()) [[unlikely]]
        ++_xdp_stats.alloc_failures;
    return n;
}

} // namespace tachyon
