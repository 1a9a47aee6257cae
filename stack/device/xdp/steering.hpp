#pragma once
/// The XDP steering program (bpf/tachyon_steer.bpf.c) from user space: the object compiled at
/// build time and embedded in the library, its maps, and its attachment to an interface
/// through libxdp (with libxdp's dispatcher when the kernel and a bpffs allow, so other XDP
/// programs keep running; alone otherwise). Control path only.
///
/// What the program steers is decided by three maps the device writes: `tachyon_config` (the
/// stack's address, queue, owner pid, flags), `tachyon_groups` (the multicast MACs joined) and
/// `tachyon_xsks` (queue -> AF_XDP socket). `tachyon_verdicts` counts each decision by reason.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "stack/core/addr.hpp"
#include "stack/core/result.hpp"
#include "stack/device/xdp/steering_abi.h"
#include "stack/device/xdp/xdp_options.hpp"

struct bpf_object;
struct xdp_program;

namespace tachyon {

/// The steering program's ELF object, compiled by clang at build time.
std::span<const unsigned char> steering_object();

/// Frames counted by the program, one per `tachyon_xdp_reason`, summed over CPUs.
using steering_verdicts = std::array<uint64_t, TACHYON_XDP_REASONS>;

/// The file descriptors of a loaded program's maps.
struct steering_maps {
    int config = -1;   ///< tachyon_config: one tachyon_xdp_config
    int groups = -1;   ///< tachyon_groups: joined multicast MACs
    int xsks = -1;     ///< tachyon_xsks: queue -> AF_XDP socket
    int verdicts = -1; ///< tachyon_verdicts: per-CPU counts by reason

    /// Finds the maps in a loaded object.
    static result<steering_maps> find(bpf_object* obj);
    /// Writes the configuration.
    result<void> write_config(const tachyon_xdp_config& c) const;
    /// Replaces the joined groups with `macs`.
    result<void> write_groups(std::span<const mac_address> macs) const;
    /// Sends the frames of `queue` to the socket `xsk_fd`.
    result<void> set_socket(uint32_t queue, int xsk_fd) const;
    /// The verdict counters, summed over the CPUs.
    steering_verdicts read_verdicts() const;
};

/// Opens the embedded object with libbpf and loads it as a plain XDP program, attached
/// nowhere (for BPF_PROG_TEST_RUN in the tests). The deleter closes it.
struct bpf_object_closer {
    /// Closes the object.
    void operator()(bpf_object* o) const;
};
/// A loaded, unattached steering object.
using bpf_object_ptr = std::unique_ptr<bpf_object, bpf_object_closer>;
/// Loads the steering object (see `bpf_object_closer`).
result<bpf_object_ptr> load_steering_object();

/// The steering program attached to one interface; detached by `detach` or the destructor.
class xdp_steering {
public:
    /// Loads the program and attaches it to `ifindex` (`ifname` for messages) in `mode` (auto:
    /// native, then generic). A stale program of ours for the same queue, left by a process that
    /// is gone, is detached first (logged); one whose process lives is an error.
    static result<std::unique_ptr<xdp_steering>> attach(int ifindex, const std::string& ifname, uint32_t queue,
                                                        xdp_attach_mode mode);
    xdp_steering(const xdp_steering&) = delete;
    xdp_steering& operator=(const xdp_steering&) = delete;
    /// Detaches.
    ~xdp_steering();

    /// Removes the program from the interface (idempotent).
    void detach();
    /// The maps.
    const steering_maps& maps() const { return _maps; }
    /// The attach mode obtained (native or skb).
    xdp_attach_mode mode() const { return _mode; }
    /// True when libxdp's dispatcher runs the program (other XDP programs may share the port).
    bool dispatcher() const { return _dispatcher; }
    /// The kernel's id of the program.
    uint32_t id() const;

private:
    xdp_steering() = default;
    void close_program();

    bpf_object* _obj = nullptr;
    xdp_program* _prog = nullptr;
    int _ifindex = 0;
    std::string _ifname;
    xdp_attach_mode _mode = xdp_attach_mode::native;
    bool _dispatcher = false;
    bool _attached = false;
    steering_maps _maps;
};

/// Makes sure a bpffs is mounted at /sys/fs/bpf (libxdp keeps its dispatcher there): mounts one
/// when it can, else logs how to. Never fails: without it libxdp attaches the program alone.
void ensure_bpffs();

/// Routes libbpf's and libxdp's messages into tachyon's log (once per process).
void route_bpf_logs();

} // namespace tachyon
