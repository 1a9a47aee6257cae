#pragma once
/// The AF_XDP device: kernel bypass on the NIC's own Linux driver, sharing the port with the
/// kernel. An XDP program of ours (steering.hpp) redirects the stack's frames (ARP for its
/// address, IPv4 to it, its multicast groups) into one AF_XDP socket bound to one queue of the
/// interface; everything else stays with the kernel (SSH, the kernel's sockets, tcpdump).
///
/// Zero copy to the stack. The UMEM's frames are the packet buffers (umem.hpp): rx_burst hands
/// out the frames the kernel filled, as they lie; tx_burst puts the stack's frames on the
/// transmit ring as they lie; a frame goes back to the fill ring once its last reference is
/// gone. Whether the NIC DMAs into the UMEM (zero-copy mode) or the kernel copies (copy mode)
/// depends on the driver; the stack sees the same thing either way.
///
/// References. A frame handed to tx_burst keeps its `packet` reference on the transmit ring:
/// `buf::refcnt` counts the kernel's hold too, until the completion ring returns the frame. So
/// `packet::shared()` is true while a frame is being sent, and TCP never rewrites the headers
/// of a frame the NIC may still be reading (it copies, as on DPDK).
///
/// System calls. need_wakeup on both rings: receiving makes none unless the driver asks for a
/// wake-up of the fill ring; sending makes one `sendto` per flush when the kernel asks for a
/// kick (always in copy mode, only when the driver sleeps in zero-copy mode). With
/// `busy_poll_us` the socket prefers busy polling and an empty poll calls `recvfrom` to run the
/// driver's NAPI from this core (docs/AF_XDP.md).
///
/// Hot path: rx_burst, tx_burst, alloc_burst and flush neither allocate, lock nor log; the
/// only system calls are the kicks above.

#include <xdp/xsk.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/device/device.hpp"
#include "stack/device/xdp/steering.hpp"
#include "stack/device/xdp/umem.hpp"
#include "stack/device/xdp/xdp_options.hpp"

namespace tachyon {

/// How to open an AF_XDP device: the user's options plus what the stack tells it.
struct xdp_config {
    xdp_options options;              ///< interface, queue, modes, busy poll, UMEM size
    ipv4_address address;             ///< the stack's address: the program steers frames for it
    std::optional<mac_address> mac;   ///< --mac: must be the interface's own (the port is shared)
    uint32_t ring_size = 2048;        ///< entries of each ring (fill, completion, RX, TX)
};

/// Counters of the AF_XDP device beyond the common `device_stats`.
#define TACHYON_XDP_COUNTERS(X)                                                                   \
    X(rx_wakeups)         /* recvfrom calls: the fill ring asked for a wake-up, or busy polling */ \
    X(tx_kicks)           /* sendto calls that pushed the transmit ring */                        \
    X(tx_kicks_again)     /* of those, the ones the kernel cut short (EAGAIN/EBUSY: more to do) */ \
    X(tx_kick_errors)     /* sendto calls that failed otherwise */                                \
    X(tx_completions)     /* frames the completion ring gave back */                              \
    X(tx_copied_foreign)  /* frames to send that were not UMEM frames: copied into one */         \
    X(alloc_failures)     /* alloc_burst calls that found no free frame */

/// Counters of the AF_XDP device.
struct xdp_stats {
    TACHYON_COUNTERS(TACHYON_XDP_COUNTERS)
};

/// One AF_XDP socket on one queue of an interface, with its UMEM and steering program.
class xdp_device final : public device {
public:
    /// Checks the interface and queue, maps the UMEM, binds the socket (zero copy first in auto
    /// mode), attaches the steering program and fills the fill ring. The error names the cause
    /// and the remedy (no AF_XDP in the kernel, no permission, no such interface, queue out of
    /// range, interface busy).
    static result<std::unique_ptr<xdp_device>> open(const xdp_config& cfg);
    xdp_device(const xdp_device&) = delete;
    xdp_device& operator=(const xdp_device&) = delete;
    /// Closes (see `close`).
    ~xdp_device() override;

    /// Up to `out.size()` received frames, each the UMEM frame itself; refills the fill ring.
    size_t rx_burst(std::span<packet> out) override;
    /// Puts the frames on the transmit ring as they lie; takes those the ring had room for.
    size_t tx_burst(std::span<packet> frames) override;
    /// Kicks the kernel when frames wait on the transmit ring and it asks for a kick.
    void flush() override;
    /// Empty UMEM frames with `xdp_umem::tx_headroom` in front.
    size_t alloc_burst(std::span<packet> out) override;
    /// The interface's MAC and MTU; no offloads; exact multicast filter (the program's map).
    const device_caps& capabilities() const override { return _caps; }
    /// Steers exactly these group MACs to the stack (and IGMP queries while there are any).
    result<void> set_multicast_filter(std::span<const mac_address> groups) override;
    /// The common device counters.
    const device_stats& stats() const override { return _stats; }
    /// Adds `xdp` (ours), `xdp_kernel` (the socket's XDP_STATISTICS) and `xdp_steering`.
    void report(json_writer& w) const override;

    /// Detaches the program, closes the socket and the UMEM. Logs frames the stack still holds
    /// (the UMEM is then kept mapped). Idempotent.
    void close();

    /// The AF_XDP counters.
    const xdp_stats& xdp_counters() const { return _xdp_stats; }
    /// True when the socket is bound in zero-copy mode.
    bool zerocopy() const { return _zerocopy; }
    /// The steering program (its maps, attach mode).
    const xdp_steering* steering() const { return _steering.get(); }
    /// The UMEM (for tests: its free count shows leaks).
    const xdp_umem& umem() const { return *_umem; }
    /// The interface's name.
    const std::string& iface() const { return _iface; }

private:
    xdp_device() = default;
    result<void> bind_socket(const xdp_config& cfg);
    void set_busy_poll(uint32_t usec);
    void refill();
    void reap_completions();
    bool tx_pending() const;

    std::string _iface;
    int _ifindex = 0;
    uint32_t _queue = 0;
    std::unique_ptr<xdp_umem> _umem;
    xsk_umem* _xsk_umem = nullptr;
    xsk_socket* _xsk = nullptr;
    int _fd = -1;
    xsk_ring_prod _fill{};
    xsk_ring_cons _comp{};
    xsk_ring_cons _rx{};
    xsk_ring_prod _tx{};
    uint32_t _ring_size = 0;
    uint32_t _in_fill = 0;      // frames given to the fill ring and not yet received
    uint32_t _in_flight = 0;    // frames on the transmit ring, not yet completed
    bool _kick_pending = false; // frames were produced on the TX ring since the last kick
    bool _busy_poll = false;
    bool _zerocopy = false;
    std::unique_ptr<xdp_steering> _steering;
    tachyon_xdp_config _steer_cfg{};
    device_caps _caps;
    device_stats _stats;
    xdp_stats _xdp_stats;
};

} // namespace tachyon
