/// The steering program from user space: load, maps, attach through libxdp, stale programs.

#include "stack/device/xdp/steering.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <vector>

#include "stack/core/log.hpp"

namespace tachyon {

namespace {

constexpr const char* bpffs_path = "/sys/fs/bpf";

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

error xdp_error(errc code, const std::string& what) { return make_error(code, "xdp: " + what); }

/// The name libxdp gives an attach mode.
const char* mode_name(::xdp_attach_mode m) {
    switch (m) {
    case XDP_MODE_NATIVE: return "native";
    case XDP_MODE_SKB: return "skb (generic)";
    case XDP_MODE_HW: return "offloaded";
    default: return "unknown";
    }
}

/// Copies a libbpf/libxdp message (printf format) into one trimmed line.
std::string format_line(const char* fmt, va_list args) {
    char text[512];
    std::vsnprintf(text, sizeof text, fmt, args);
    std::string_view s(text);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return std::string(s);
}

int on_libbpf(enum libbpf_print_level level, const char* fmt, va_list args) {
    std::string line = format_line(fmt, args);
    if (level == LIBBPF_WARN) log().debug("libbpf: {}", line);
    else log().trace("libbpf: {}", line);
    return 0;
}

int on_libxdp(enum libxdp_print_level level, const char* fmt, va_list args) {
    std::string line = format_line(fmt, args);
    if (level == LIBXDP_WARN) log().info("libxdp: {}", line);
    else if (level == LIBXDP_INFO) log().debug("libxdp: {}", line);
    else log().trace("libxdp: {}", line);
    return 0;
}

/// True when `pid` names a live process (EPERM: it lives, owned by someone else).
bool process_alive(uint32_t pid) {
    if (pid == 0) return false;
    return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

/// Reads the tachyon_config of a program found on an interface (through its map ids).
std::optional<tachyon_xdp_config> read_program_config(int prog_fd) {
    std::array<uint32_t, 16> ids{};
    bpf_prog_info info{};
    info.nr_map_ids = uint32_t(ids.size());
    info.map_ids = uint64_t(uintptr_t(ids.data()));
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return std::nullopt;
    for (uint32_t i = 0; i < std::min<uint32_t>(info.nr_map_ids, uint32_t(ids.size())); ++i) {
        const int fd = bpf_map_get_fd_by_id(ids[i]);
        if (fd < 0) continue;
        bpf_map_info mi{};
        uint32_t mlen = sizeof mi;
        std::optional<tachyon_xdp_config> out;
        if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0 && std::string_view(mi.name) == "tachyon_config") {
            uint32_t key = 0;
            tachyon_xdp_config c{};
            if (bpf_map_lookup_elem(fd, &key, &c) == 0) out = c;
        }
        ::close(fd);
        if (out) return out;
    }
    return std::nullopt;
}

/// Detaches programs of ours for `queue` left on the interface by processes that are gone.
result<void> remove_stale(int ifindex, const std::string& ifname, uint32_t queue) {
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (libxdp_get_error(mp) != 0 || mp == nullptr) return {}; // nothing attached
    std::vector<xdp_program*> ours;
    if (xdp_multiprog__is_legacy(mp)) {
        xdp_program* p = xdp_multiprog__main_prog(mp);
        if (p != nullptr && std::string_view(xdp_program__name(p)) == TACHYON_XDP_PROG_NAME) ours.push_back(p);
    } else {
        for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p != nullptr; p = xdp_multiprog__next_prog(p, mp))
            if (std::string_view(xdp_program__name(p)) == TACHYON_XDP_PROG_NAME) ours.push_back(p);
    }
    result<void> out;
    for (xdp_program* p : ours) {
        auto cfg = read_program_config(xdp_program__fd(p));
        if (cfg && cfg->queue != queue) continue; // another stack's program, for another queue
        if (cfg && process_alive(cfg->owner_pid) && cfg->owner_pid != uint32_t(::getpid())) {
            out = xdp_error(errc::in_use, "queue " + std::to_string(queue) + " of " + ifname +
                                              " is in use by tachyon process " + std::to_string(cfg->owner_pid));
            break;
        }
        log().warn("xdp: found a stale tachyon XDP program on {} (id {}, left by process {} which is gone): "
                   "replacing it", ifname, xdp_program__id(p), cfg ? std::to_string(cfg->owner_pid) : "unknown");
        const int r = xdp_multiprog__is_legacy(mp) ? xdp_multiprog__detach(mp)
                                                   : xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
        if (r != 0) {
            out = xdp_error(errc::system, "cannot detach the stale program from " + ifname + ": " + errno_text(r) +
                                              " (ip link set dev " + ifname + " xdp off)");
            break;
        }
    }
    xdp_multiprog__close(mp);
    return out;
}

/// What an attach failure means, in words a user can act on.
error attach_error(int err, const std::string& ifname, ::xdp_attach_mode m) {
    err = err < 0 ? -err : err;
    std::string what = "cannot attach the steering program to " + ifname + " in " + mode_name(m) + " mode: " +
                       errno_text(err);
    if (err == EPERM || err == EACCES)
        return xdp_error(errc::permission_denied,
                         what + " (loading BPF programs needs CAP_BPF and CAP_NET_ADMIN: run as root)");
    if (err == EBUSY || err == EEXIST)
        return xdp_error(errc::in_use, what + " (another XDP program holds the interface and libxdp cannot "
                                              "share it: see `xdp-loader status " + ifname + "`)");
    if (err == EOPNOTSUPP || err == EINVAL)
        return xdp_error(errc::invalid_argument, what + " (the driver has no native XDP: use --xdp-attach skb)");
    return xdp_error(errc::system, what);
}

} // namespace

void route_bpf_logs() {
    static std::once_flag once;
    std::call_once(once, [] {
        libbpf_set_print(on_libbpf);
        libxdp_set_print(on_libxdp);
    });
}

void ensure_bpffs() {
    struct statfs st{};
    if (::statfs(bpffs_path, &st) == 0 && st.f_type == BPF_FS_MAGIC) return;
    if (::mount("bpf", bpffs_path, "bpf", 0, nullptr) == 0) {
        log().info("xdp: mounted a bpffs at {} (libxdp keeps its dispatcher's state there)", bpffs_path);
        return;
    }
    log().warn("xdp: no bpffs at {} and mounting one failed ({}): libxdp will attach the steering program "
               "alone, without its dispatcher. Mount it with: mount -t bpf bpf {}", bpffs_path,
               errno_text(errno), bpffs_path);
}

// ---------------------------------------------------------------------------------------------
// Maps
// ---------------------------------------------------------------------------------------------

result<steering_maps> steering_maps::find(bpf_object* obj) {
    steering_maps m;
    m.config = bpf_object__find_map_fd_by_name(obj, "tachyon_config");
    m.groups = bpf_object__find_map_fd_by_name(obj, "tachyon_groups");
    m.xsks = bpf_object__find_map_fd_by_name(obj, "tachyon_xsks");
    m.verdicts = bpf_object__find_map_fd_by_name(obj, "tachyon_verdicts");
    if (m.config < 0 || m.groups < 0 || m.xsks < 0 || m.verdicts < 0)
        return xdp_error(errc::system, "the steering object lacks one of its maps (was it loaded?)");
    return m;
}

result<void> steering_maps::write_config(const tachyon_xdp_config& c) const {
    uint32_t key = 0;
    if (bpf_map_update_elem(config, &key, &c, BPF_ANY) != 0)
        return xdp_error(errc::system, "cannot write the steering configuration: " + errno_text(errno));
    return {};
}

result<void> steering_maps::write_groups(std::span<const mac_address> macs) const {
    std::vector<tachyon_xdp_group_key> want;
    for (const mac_address& m : macs) {
        tachyon_xdp_group_key k = 0;
        std::memcpy(&k, m.bytes.data(), 6);
        want.push_back(k);
    }
    // Delete the keys no longer wanted, then add the new ones (the map is small: 1024 groups).
    std::vector<tachyon_xdp_group_key> have;
    tachyon_xdp_group_key key = 0, next = 0;
    const void* prev = nullptr;
    while (bpf_map_get_next_key(groups, prev, &next) == 0) {
        have.push_back(next);
        key = next;
        prev = &key;
    }
    for (tachyon_xdp_group_key k : have)
        if (std::find(want.begin(), want.end(), k) == want.end()) (void)bpf_map_delete_elem(groups, &k);
    const uint8_t one = 1;
    for (tachyon_xdp_group_key k : want)
        if (bpf_map_update_elem(groups, &k, &one, BPF_ANY) != 0)
            return xdp_error(errc::no_space, "cannot add a group to the steering program: " + errno_text(errno));
    return {};
}

result<void> steering_maps::set_socket(uint32_t queue, int xsk_fd) const {
    if (bpf_map_update_elem(xsks, &queue, &xsk_fd, BPF_ANY) != 0)
        return xdp_error(errc::system, "cannot put the AF_XDP socket in the steering map: " + errno_text(errno));
    return {};
}

steering_verdicts steering_maps::read_verdicts() const {
    steering_verdicts out{};
    const int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0 || verdicts < 0) return out;
    std::vector<uint64_t> per_cpu(size_t(cpus), 0);
    for (uint32_t r = 0; r < TACHYON_XDP_REASONS; ++r) {
        if (bpf_map_lookup_elem(verdicts, &r, per_cpu.data()) != 0) continue;
        for (uint64_t v : per_cpu) out[r] += v;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Loading and attaching
// ---------------------------------------------------------------------------------------------

void bpf_object_closer::operator()(bpf_object* o) const { bpf_object__close(o); }

namespace {

result<bpf_object*> open_steering_object() {
    route_bpf_logs();
    auto obj_bytes = steering_object();
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = TACHYON_XDP_PROG_NAME);
    bpf_object* obj = bpf_object__open_mem(obj_bytes.data(), obj_bytes.size(), &opts);
    if (libbpf_get_error(obj) != 0 || obj == nullptr)
        return xdp_error(errc::system, "cannot open the embedded steering object: " + errno_text(errno));
    return obj;
}

} // namespace

result<bpf_object_ptr> load_steering_object() {
    auto obj = open_steering_object();
    if (!obj) return obj.err();
    bpf_object_ptr owned(*obj);
    if (int r = bpf_object__load(owned.get()); r != 0) {
        const int err = -r;
        if (err == EPERM || err == EACCES)
            return xdp_error(errc::permission_denied, "cannot load the steering program: " + errno_text(err) +
                                                          " (needs CAP_BPF: run as root)");
        return xdp_error(errc::system, "cannot load the steering program: " + errno_text(err));
    }
    return owned;
}

result<std::unique_ptr<xdp_steering>> xdp_steering::attach(int ifindex, const std::string& ifname, uint32_t queue,
                                                           xdp_attach_mode mode) {
    route_bpf_logs();
    ensure_bpffs();
    if (auto ok = remove_stale(ifindex, ifname, queue); !ok) return ok.err();
    std::unique_ptr<xdp_steering> s(new xdp_steering());
    s->_ifindex = ifindex;
    s->_ifname = ifname;

    std::vector<::xdp_attach_mode> tries;
    if (mode != xdp_attach_mode::skb) tries.push_back(XDP_MODE_NATIVE);
    if (mode != xdp_attach_mode::native) tries.push_back(XDP_MODE_SKB);
    int last = 0;
    ::xdp_attach_mode used = XDP_MODE_UNSPEC;
    for (::xdp_attach_mode m : tries) {
        // A fresh program per try: a failed attach may leave it half loaded.
        s->close_program();
        auto obj = open_steering_object();
        if (!obj) return obj.err();
        s->_obj = *obj;
        s->_prog = xdp_program__from_bpf_obj(*obj, "xdp");
        if (libxdp_get_error(s->_prog) != 0 || s->_prog == nullptr) {
            s->_prog = nullptr;
            return xdp_error(errc::system, "libxdp cannot use the steering object");
        }
        last = xdp_program__attach(s->_prog, ifindex, m, 0);
        if (last == 0) {
            used = m;
            break;
        }
        log().info("xdp: {} attach on {} failed: {}", mode_name(m), ifname, errno_text(last));
        if (-last == EPERM || -last == EACCES || -last == EBUSY || -last == EEXIST) break;
    }
    if (used == XDP_MODE_UNSPEC) {
        return attach_error(last, ifname, tries.size() == 1 ? tries[0] : XDP_MODE_SKB);
    }
    s->_attached = true;
    s->_mode = used == XDP_MODE_NATIVE ? xdp_attach_mode::native : xdp_attach_mode::skb;
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (libxdp_get_error(mp) == 0 && mp != nullptr) {
        s->_dispatcher = !xdp_multiprog__is_legacy(mp);
        xdp_multiprog__close(mp);
    }
    auto maps = steering_maps::find(xdp_program__bpf_obj(s->_prog));
    if (!maps) return maps.err(); // the destructor detaches
    s->_maps = *maps;
    log().info("xdp: steering program {} attached to {} in {} mode{}", s->id(), ifname, mode_name(used),
               s->_dispatcher ? " through libxdp's dispatcher (other XDP programs may share the port)"
                              : " alone (no libxdp dispatcher here: no other XDP program can share the port)");
    return s;
}

uint32_t xdp_steering::id() const { return _prog != nullptr ? xdp_program__id(_prog) : 0; }

void xdp_steering::detach() {
    if (_attached) {
        const ::xdp_attach_mode m = _mode == xdp_attach_mode::native ? XDP_MODE_NATIVE : XDP_MODE_SKB;
        if (int r = xdp_program__detach(_prog, _ifindex, m, 0); r != 0)
            log().warn("xdp: detaching the steering program from {} failed: {} (ip link set dev {} xdp off)",
                       _ifname, errno_text(r), _ifname);
        else
            log().info("xdp: steering program detached from {}", _ifname);
        _attached = false;
    }
    close_program();
}

void xdp_steering::close_program() {
    // libxdp does not close an object it was given (xdp_program__from_bpf_obj): close both.
    if (_prog != nullptr) xdp_program__close(_prog);
    if (_obj != nullptr) bpf_object__close(_obj);
    _prog = nullptr;
    _obj = nullptr;
}

xdp_steering::~xdp_steering() { detach(); }

} // namespace tachyon
