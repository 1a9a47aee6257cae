#pragma once
/// The device interface: what the stack needs from a link. Every call moves a burst of frames,
/// so the one virtual call is paid per burst, never per packet. Implementations: the memory
/// link (tests), the pcap decorator, the io_uring TAP device (fallback/), DPDK ethdev.
///
/// Ownership: `rx_burst` hands frames to the caller; `tx_burst` takes the frames it accepts and
/// leaves the rest with the caller (who counts them as dropped); `alloc_burst` hands out empty
/// frames with headroom for the headers.
///
/// Checksum offload is per frame (`buf_offload` in stack/buf/packet.hpp): the stack records in
/// each frame it sends the header lengths and the sums the device is to complete, and a device
/// records in each frame it receives the sums its NIC verified. No device parses a protocol.

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/buf/packet.hpp"
#include "stack/core/addr.hpp"
#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/core/time.hpp"

namespace tachyon {

/// What a device can do, read once at start-up.
struct device_caps {
    mac_address mac;                 ///< the link's own MAC address
    uint16_t mtu = 1500;             ///< largest IP packet the link carries
    bool rx_ipv4_checksum = false;   ///< the NIC may verify IPv4 header sums (then marked per frame in `buf_offload`; unset: never marked)
    bool rx_l4_checksum = false;     ///< the NIC may verify UDP and TCP sums (then marked per frame in `buf_offload`; unset: never marked)
    bool tx_ipv4_checksum = false;   ///< the device fills IPv4 header sums a frame's `buf_offload` asks for
    bool tx_l4_checksum = false;     ///< the device fills UDP and TCP sums a frame's `buf_offload` asks for
    bool multicast_filter = false;   ///< the device filters multicast by an exact MAC list
    bool rx_time_hook = false;       ///< the device wants `on_rx_time` for every received burst (the pcap decorator)
};

/// Device-level counters, kept by each device.
struct device_stats {
    uint64_t rx_frames = 0;       ///< frames handed to the stack
    uint64_t rx_bytes = 0;        ///< bytes handed to the stack
    uint64_t tx_frames = 0;       ///< frames accepted for transmission
    uint64_t tx_bytes = 0;        ///< bytes accepted for transmission
    uint64_t rx_drop_no_buffer = 0; ///< frames lost because no buffer was free
    uint64_t rx_drop_oversize = 0;  ///< frames longer than a buffer, dropped
    uint64_t tx_drop_full = 0;      ///< frames refused because the transmit queue was full (the caller owns the drop)
    uint64_t tx_errors = 0;         ///< frames the link failed to send

    /// Calls f(name, value) for each counter, by its name in the stats report.
    template <class F>
    void visit(F&& f) const {
        f(std::string_view("rx_frames"), rx_frames);
        f(std::string_view("rx_bytes"), rx_bytes);
        f(std::string_view("tx_frames"), tx_frames);
        f(std::string_view("tx_bytes"), tx_bytes);
        f(std::string_view("drop_rx_no_buffer"), rx_drop_no_buffer);
        f(std::string_view("drop_rx_oversize"), rx_drop_oversize);
        f(std::string_view("tx_refused_full"), tx_drop_full); // counted as a drop in tx.drop_device_full
        f(std::string_view("tx_errors"), tx_errors);
    }
};

/// A link that moves bursts of Ethernet frames.
class device {
public:
    virtual ~device() = default;

    /// Receives up to `out.size()` frames into `out[0..n)`; returns n (0 when none is waiting).
    virtual size_t rx_burst(std::span<packet> out) = 0;
    /// The stack's receive time `now` for the frames of the last `rx_burst`, given before it
    /// processes them (once per non-empty burst, only when `capabilities().rx_time_hook`).
    virtual void on_rx_time(std::span<const packet> frames, instant now) { (void)frames, (void)now; }
    /// Queues frames for transmission; takes ownership of `frames[0..n)` and returns n. The
    /// frames it did not accept are left in place for the caller.
    virtual size_t tx_burst(std::span<packet> frames) = 0;
    /// Pushes queued work to the link (one system call at most on the io_uring device).
    /// The stack calls it once at the end of every poll iteration and after a direct send.
    virtual void flush() {}
    /// Fills `out` with empty frames with headroom; returns how many it could allocate.
    virtual size_t alloc_burst(std::span<packet> out) = 0;
    /// What the device can do.
    virtual const device_caps& capabilities() const = 0;
    /// Accepts multicast frames for exactly these group MACs (plus broadcast).
    virtual result<void> set_multicast_filter(std::span<const mac_address> groups) = 0;
    /// The device's counters.
    virtual const device_stats& stats() const = 0;
    /// Adds the device's own sections to a stats report (control path; none by default).
    virtual void report(json_writer& w) const { (void)w; }
};

} // namespace tachyon
