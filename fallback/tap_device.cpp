/// The io_uring TAP device. Control path first (open the TAP, bring the link up, set up the
/// ring), then the data path: one place (`reap`) takes every completion, reads and writes
/// alike, straight from the completion ring.
///
/// Ring flags, and why not more: IORING_SETUP_COOP_TASKRUN and DEFER_TASKRUN would stop the
/// kernel from interrupting the task to post a read's completion; the CQE would then wait for
/// the task's next system call (or timer tick), and a caller that busy-polls rx_burst without
/// submitting would see frames late or never. SINGLE_ISSUER would forbid submitting from any
/// thread but the one that opened the device, which a program that opens the device on its
/// main thread and polls on a pinned one would trip over. So: plain rings, or SQPOLL on request.

#include "fallback/tap_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "stack/core/log.hpp"

namespace tachyon {

namespace {

/// Ethernet header plus one VLAN tag: the most a frame exceeds the MTU by.
constexpr size_t link_overhead = 14 + 4;
/// The user_data of cancel requests (their own completions are ignored).
constexpr uint64_t cancel_tag = ~uint64_t(0);
/// How long `close` waits for cancelled operations to complete.
constexpr auto close_timeout = std::chrono::seconds(2);

std::string errno_text(int err) { return std::strerror(err); }

error tap_error(errc code, const std::string& name, const std::string& what) {
    return make_error(code, "tap " + name + ": " + what);
}

/// A random locally administered unicast MAC: 02:xx:xx:xx:xx:xx.
mac_address random_mac() {
    mac_address m;
    if (::getrandom(m.bytes.data() + 1, 5, 0) != 5) {
        // getrandom cannot fail for 5 bytes once the pool is up; fall back to the pid.
        const auto pid = uint32_t(::getpid());
        m.bytes = {0, 0x54, uint8_t(pid >> 24), uint8_t(pid >> 16), uint8_t(pid >> 8), uint8_t(pid)};
    }
    m.bytes[0] = 0x02; // unicast (I/G clear), locally administered (U/L set)
    return m;
}

/// Closes a file descriptor when it goes out of scope.
struct scoped_fd {
    int fd;
    ~scoped_fd() {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

// ---------------------------------------------------------------------------------------------
// Control path
// ---------------------------------------------------------------------------------------------

result<std::unique_ptr<tap_device>> tap_device::open(const tap_config& cfg) {
    const std::string shown = cfg.name.empty() ? "(kernel-named)" : cfg.name;
    if (cfg.name.size() >= IFNAMSIZ)
        return tap_error(errc::invalid_argument, shown,
                         "interface name is too long (at most " + std::to_string(IFNAMSIZ - 1) +
                             " characters)");
    if (cfg.mtu < 68) return tap_error(errc::invalid_argument, shown, "MTU must be at least 68 (RFC 791)");
    if (cfg.rx_depth == 0 || cfg.ring_entries == 0 || cfg.rx_depth > cfg.ring_entries)
        return tap_error(errc::invalid_argument, shown,
                         "need 0 < rx_depth <= ring_entries (every read is armed from the ring)");
    if (cfg.ring_entries > 32768)
        return tap_error(errc::invalid_argument, shown, "ring_entries must be at most 32768");
    if (cfg.pool_size <= cfg.rx_depth)
        return tap_error(errc::invalid_argument, shown,
                         "pool_size must exceed rx_depth (reads hold rx_depth buffers)");

    // A data room with space for more than the largest frame behind the default headroom, so
    // that a frame the kernel had to truncate is told apart from a legal one.
    const size_t need = packet_pool::default_headroom + cfg.mtu + link_overhead + 1;
    const size_t room = std::max(packet_pool::default_room, (need + 63) / 64 * 64);
    std::unique_ptr<tap_device> dev(new tap_device(cfg, room));
    if (auto r = dev->start(cfg); !r) return r.err();
    return dev;
}

tap_device::tap_device(const tap_config& cfg, size_t room)
    : _name(cfg.name), _pool(cfg.pool_size, room, packet_pool::default_headroom),
      _read_len(uint32_t(room - packet_pool::default_headroom)),
      _max_frame(uint32_t(cfg.mtu + link_overhead)), _rx_depth(cfg.rx_depth), _rx_slots(cfg.rx_depth),
      _ready(cfg.rx_depth), _tx_slots(cfg.ring_entries) {
    _rx_free.reserve(_rx_slots.size());
    for (uint32_t i = _rx_depth; i > 0; --i) _rx_free.push_back(i - 1);
    _tx_free.reserve(_tx_slots.size());
    for (auto i = uint32_t(_tx_slots.size()); i > 0; --i) _tx_free.push_back(i - 1);
}

tap_device::~tap_device() {
    if (auto r = close(); !r) log().error("{}", r.err().message);
}

result<void> tap_device::start(const tap_config& cfg) {
    const std::string shown = cfg.name.empty() ? "(kernel-named)" : cfg.name;
    _fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (_fd < 0) {
        const int err = errno;
        if (err == ENOENT || err == ENODEV || err == ENXIO)
            return tap_error(errc::system, shown,
                             "cannot open /dev/net/tun (" + errno_text(err) +
                                 "): the tun module is not loaded: modprobe tun");
        if (err == EACCES || err == EPERM)
            return tap_error(errc::permission_denied, shown,
                             "cannot open /dev/net/tun: needs root or CAP_NET_ADMIN");
        return tap_error(errc::system, shown, "cannot open /dev/net/tun: " + errno_text(err));
    }

    const bool existed = !cfg.name.empty() && ::if_nametoindex(cfg.name.c_str()) != 0;
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(ifr.ifr_name, cfg.name.data(), cfg.name.size());
    if (::ioctl(_fd, TUNSETIFF, &ifr) < 0) {
        const int err = errno;
        if (err == EPERM || err == EACCES)
            return tap_error(errc::permission_denied, shown,
                             "creating or attaching a TAP needs root or CAP_NET_ADMIN");
        if (err == EBUSY)
            return tap_error(errc::in_use, shown,
                             "interface " + shown + " is busy (another process has the TAP open)");
        if (err == EINVAL && existed)
            return tap_error(errc::in_use, shown,
                             "interface " + shown +
                                 " exists and is not a TAP device (or is a multi-queue TAP)");
        if (err == EINVAL)
            return tap_error(errc::invalid_argument, shown, "the kernel refused the interface name");
        return tap_error(errc::system, shown, "TUNSETIFF failed: " + errno_text(err));
    }
    _name.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));

    // Bring the kernel side's link up and match its MTU; its address is the user's business.
    scoped_fd sock{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (sock.fd < 0)
        return tap_error(errc::system, _name, "cannot open a control socket: " + errno_text(errno));
    ifreq req{};
    std::memcpy(req.ifr_name, _name.data(), _name.size());
    if (::ioctl(sock.fd, SIOCGIFMTU, &req) < 0)
        return tap_error(errc::system, _name, "SIOCGIFMTU failed: " + errno_text(errno));
    if (req.ifr_mtu != cfg.mtu) {
        req.ifr_mtu = cfg.mtu;
        if (::ioctl(sock.fd, SIOCSIFMTU, &req) < 0) {
            const int err = errno;
            return tap_error(err == EPERM ? errc::permission_denied : errc::system, _name,
                             "cannot set MTU " + std::to_string(cfg.mtu) + ": " + errno_text(err));
        }
    }
    if (::ioctl(sock.fd, SIOCGIFFLAGS, &req) < 0)
        return tap_error(errc::system, _name, "SIOCGIFFLAGS failed: " + errno_text(errno));
    if ((req.ifr_flags & IFF_UP) == 0) {
        req.ifr_flags = short(req.ifr_flags | IFF_UP);
        if (::ioctl(sock.fd, SIOCSIFFLAGS, &req) < 0) {
            const int err = errno;
            return tap_error(err == EPERM ? errc::permission_denied : errc::system, _name,
                             "cannot bring the link up: " + errno_text(err) +
                                 (err == EPERM ? " (needs root or CAP_NET_ADMIN)" : ""));
        }
    }

    // The ring. Operations in flight never exceed rx_depth reads plus ring_entries writes; the
    // completion queue holds twice that, so cancellation at close cannot overflow it either.
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = std::bit_ceil(2 * (cfg.rx_depth + cfg.ring_entries));
    if (cfg.sqpoll) {
        params.flags |= IORING_SETUP_SQPOLL;
        params.sq_thread_idle = cfg.sqpoll_idle_ms;
    }
    if (int r = io_uring_queue_init_params(cfg.ring_entries, &_ring, &params); r < 0) {
        std::string hint;
        if (r == -ENOMEM) hint = " (locked-memory limit too low? see ulimit -l)";
        if (r == -EPERM) hint = " (io_uring disabled by kernel.io_uring_disabled, or SQPOLL not permitted)";
        if (r == -ENOSYS) hint = " (this kernel has no io_uring)";
        return tap_error(r == -EPERM ? errc::permission_denied : errc::system, _name,
                         "io_uring setup failed: " + errno_text(-r) + hint);
    }
    _ring_up = true;
    _sqpoll = cfg.sqpoll;

    // The stack is the far end of the wire, with its own MAC.
    _caps.mac = cfg.mac == mac_address::zero() ? random_mac() : cfg.mac;
    _caps.mtu = cfg.mtu;

    arm_reads();
    submit();
    log().info("tap {}: {}, link up, mtu {}; stack MAC {}{}; io_uring {} entries, {} reads armed{}", _name,
               existed ? "attached" : "created", cfg.mtu, _caps.mac.to_string(),
               cfg.mac == mac_address::zero() ? " (random)" : "", cfg.ring_entries, _rx_in_flight,
               _sqpoll ? ", SQPOLL" : "");
    return {};
}

result<void> tap_device::set_multicast_filter(std::span<const mac_address>) {
    // A TAP hands over whatever the kernel sends it: there is no filter to program. The stack
    // filters multicast itself (capabilities().multicast_filter is false).
    return {};
}

result<void> tap_device::close() {
    if (_ring_up) {
        // Cancel every operation still in flight (reads wait for frames forever), then wait
        // until the kernel has let go of every buffer. Only the head of the read chain is
        // issued, so each round cancels one read and the kernel issues the next: repeat.
        const auto deadline = std::chrono::steady_clock::now() + close_timeout;
        while (_rx_in_flight > 0 || writes_in_flight() > 0) {
            for (uint32_t i = 0; i < _rx_slots.size() + _tx_slots.size(); ++i) {
                const bool busy = i < _rx_depth ? bool(_rx_slots[i]) : bool(_tx_slots[i - _rx_depth]);
                if (!busy) continue;
                io_uring_sqe* sqe = next_sqe();
                if (sqe == nullptr) break;
                io_uring_prep_cancel64(sqe, i, 0);
                io_uring_sqe_set_data64(sqe, cancel_tag);
                ++_queued;
            }
            if (_queued > 0) submit();
            __kernel_timespec ts{0, 50'000'000};
            io_uring_cqe* cqe = nullptr;
            (void)io_uring_wait_cqe_timeout(&_ring, &cqe, &ts);
            reap();
            if (std::chrono::steady_clock::now() > deadline) break;
        }
        for (uint32_t i = 0; i < _ready_count; ++i) _ready[(_ready_head + i) % _rx_depth].reset();
        _ready_count = 0;
        _ready_head = 0;
    }
    const uint32_t stuck = _rx_in_flight + writes_in_flight();
    if (stuck > 0) {
        // The kernel may still write into these buffers: never hand them out again.
        for (auto& p : _rx_slots) (void)p.release();
        for (auto& p : _tx_slots) (void)p.release();
    }
    if (_ring_up) {
        io_uring_queue_exit(&_ring);
        _ring_up = false;
    }
    if (_fd >= 0) {
        ::close(_fd);
        _fd = -1;
    }
    if (stuck > 0)
        return tap_error(errc::system, _name,
                         std::to_string(stuck) + " operations did not complete at close");
    return {};
}

// ---------------------------------------------------------------------------------------------
// Data path
// ---------------------------------------------------------------------------------------------

io_uring_sqe* tap_device::next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&_ring);
    if (sqe != nullptr) [[likely]]
        return sqe;
    // The submission queue is full: hand it to the kernel now.
    ++_tap_stats.early_submits;
    submit();
    sqe = io_uring_get_sqe(&_ring);
    if (sqe == nullptr && _sqpoll) {
        // The polling thread has not consumed the queue yet: wait for room.
        (void)io_uring_sqring_wait(&_ring);
        sqe = io_uring_get_sqe(&_ring);
    }
    return sqe;
}

void tap_device::submit() {
    const bool enters = !_sqpoll || (IO_URING_READ_ONCE(*_ring.sq.kflags) & IORING_SQ_NEED_WAKEUP) != 0;
    const int r = io_uring_submit(&_ring);
    ++_tap_stats.submits;
    if (enters) ++_tap_stats.enters;
    if (r < 0) [[unlikely]] {
        ++_tap_stats.submit_errors; // the entries stay queued for the next submit
        return;
    }
    _queued -= std::min(uint32_t(r), _queued);
}

void tap_device::flush() {
    if (_queued == 0) return; // idle: no system call
    submit();
}

void tap_device::reap() {
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&_ring, head, cqe) {
        complete(cqe->user_data, cqe->res);
        ++seen;
    }
    if (seen > 0) io_uring_cq_advance(&_ring, seen);
}

void tap_device::complete(uint64_t tag, int32_t res) {
    if (tag < _rx_depth) {
        packet p = std::move(_rx_slots[tag]);
        _rx_free.push_back(uint32_t(tag));
        --_rx_in_flight;
        if (res > 0 && uint32_t(res) <= _max_frame) [[likely]] {
            p.reset_frame(_pool.headroom(), uint32_t(res));
            uint32_t tail = _ready_head + _ready_count;
            if (tail >= _rx_depth) tail -= _rx_depth;
            _ready[tail] = std::move(p);
            ++_ready_count;
        } else if (res > 0) {
            // Longer than the MTU allows (the kernel side's MTU was raised behind our back).
            // tun silently truncates a frame to the read's length, and every read is longer
            // than the largest legal frame, so a truncated frame always lands here.
            ++_stats.rx_drop_oversize;
        } else if (res != -ECANCELED) {
            ++_tap_stats.rx_errors;
        }
        return;
    }
    if (tag - _rx_depth < _tx_slots.size()) {
        const auto slot = uint32_t(tag - _rx_depth);
        packet& p = _tx_slots[slot];
        if (res < 0) [[unlikely]]
            ++_stats.tx_errors;
        else if (size_t(res) != p.size()) [[unlikely]]
            ++_tap_stats.tx_short;
        p.reset();
        _tx_free.push_back(slot);
    }
    // Anything else is a cancel request's own completion.
}

void tap_device::arm_reads() {
    // One chain of reads at a time, hard-linked so the kernel issues each read only when the one
    // before it has completed: the completions then come in the order of the frames on the
    // wire. Reads armed side by side complete in any order (seen: a multicast stream with
    // frames swapped). IOSQE_IO_LINK would not do: a read shorter than its buffer (every TAP
    // read) counts as failed and would cancel the rest of the chain; a hard link goes on.
    if (_rx_in_flight > 0) return;
    uint32_t want = _rx_depth - _ready_count;
    if (want == 0) return;
    if (io_uring_sq_space_left(&_ring) < want) {
        ++_tap_stats.early_submits;
        submit(); // room for the whole chain: a chain split across submits would link to a write
    }
    want = std::min(want, io_uring_sq_space_left(&_ring));
    io_uring_sqe* last = nullptr;
    for (uint32_t i = 0; i < want; ++i) {
        packet p = _pool.alloc();
        if (!p) [[unlikely]] {
            ++_tap_stats.rx_arm_no_buffer; // retried on the next rx_burst
            break;
        }
        io_uring_sqe* sqe = io_uring_get_sqe(&_ring);
        const uint32_t slot = _rx_free.back();
        _rx_free.pop_back();
        io_uring_prep_read(sqe, _fd, p.data(), _read_len, 0);
        io_uring_sqe_set_data64(sqe, slot);
        sqe->flags |= IOSQE_IO_HARDLINK;
        _rx_slots[slot] = std::move(p);
        ++_rx_in_flight;
        ++_queued;
        last = sqe;
    }
    if (last != nullptr) last->flags &= uint8_t(~IOSQE_IO_HARDLINK); // the chain ends here
}

size_t tap_device::rx_burst(std::span<packet> out) {
    reap();
    const uint32_t n = uint32_t(std::min<size_t>(out.size(), _ready_count));
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = std::move(_ready[_ready_head]);
        _stats.rx_bytes += out[i].size();
        if (++_ready_head == _rx_depth) _ready_head = 0;
    }
    _ready_count -= n;
    _stats.rx_frames += n;
    arm_reads(); // queued only: the next flush submits them
    return n;
}

size_t tap_device::tx_burst(std::span<packet> frames) {
    size_t n = 0;
    for (; n < frames.size(); ++n) {
        if (_tx_free.empty()) [[unlikely]] {
            reap(); // writes complete quickly: take back their slots
            if (_tx_free.empty()) break;
        }
        io_uring_sqe* sqe = next_sqe();
        if (sqe == nullptr) [[unlikely]]
            break;
        const uint32_t slot = _tx_free.back();
        _tx_free.pop_back();
        packet& p = _tx_slots[slot];
        p = std::move(frames[n]); // one frame per write: a TAP takes one frame per write(2)
        io_uring_prep_write(sqe, _fd, p.data(), uint32_t(p.size()), 0);
        io_uring_sqe_set_data64(sqe, _rx_depth + uint64_t(slot));
        ++_queued;
        ++_stats.tx_frames;
        _stats.tx_bytes += p.size();
    }
    if (n < frames.size()) [[unlikely]]
        _stats.tx_drop_full += frames.size() - n;
    return n;
}

} // namespace tachyon
