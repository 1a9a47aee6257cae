#pragma once
/// The io_uring TAP device: the backend for laptops and CI. Frames are read from and written to
/// a Linux TAP interface through one io_uring, in batches: `rx_depth` reads stay outstanding,
/// each into a buffer of the device's own pool; a send queues one write per frame; `flush()`
/// submits everything queued with one io_uring_submit (none when nothing is queued), and in
/// SQPOLL mode not even that unless the kernel's submission thread has gone to sleep.
///
/// The stack is the far end of the wire: its MAC is not the kernel interface's MAC. The kernel
/// side (`name()`) gets its address from the user (`ip addr add ... dev NAME`).
///
/// Hot path: rx_burst reaps completions straight from the completion ring (no system call),
/// tx_burst fills submission entries; neither allocates, locks or logs.

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stack/buf/pool.hpp"
#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/device/device.hpp"

namespace tachyon {

/// How to open a TAP device.
struct tap_config {
    std::string name;               ///< interface name; created if missing, attached if a TAP exists
    mac_address mac{};              ///< the stack's MAC; zero → a random locally administered one
    uint16_t mtu = 1500;            ///< the link's MTU (set on the kernel side too)
    uint32_t rx_depth = 64;         ///< reads kept outstanding
    uint32_t pool_size = 4096;      ///< buffers in the device's pool
    uint32_t ring_entries = 256;    ///< submission queue entries (also the number of writes in flight)
    bool sqpoll = false;            ///< let a kernel thread poll the submission queue
    uint32_t sqpoll_idle_ms = 1000; ///< how long that thread spins before it sleeps
};

/// Counters of the io_uring machinery, beyond the common device counters.
#define TACHYON_TAP_COUNTERS(X)                                                           \
    X(submits)          /* calls to io_uring_submit */                                    \
    X(enters)           /* of those, the ones that entered the kernel (see tap_device) */ \
    X(early_submits)    /* submits forced by a full submission queue */                   \
    X(submit_errors)    /* io_uring_submit failures */                                    \
    X(rx_errors)        /* reads that completed with an error */                          \
    X(rx_arm_no_buffer) /* times a read could not be re-armed: the pool was empty */      \
    X(tx_short)         /* writes that sent fewer bytes than the frame */

/// Counters of the io_uring machinery.
struct tap_stats {
    TACHYON_COUNTERS(TACHYON_TAP_COUNTERS)
};

/// A TAP interface driven through io_uring.
class tap_device final : public device {
public:
    /// Opens or creates the TAP interface, brings its link up, and arms the reads.
    static result<std::unique_ptr<tap_device>> open(const tap_config& cfg);
    tap_device(const tap_device&) = delete;
    tap_device& operator=(const tap_device&) = delete;
    /// Closes (see `close`).
    ~tap_device() override;

    /// Reaps completed reads (no system call) and re-arms reads (queued, not submitted).
    size_t rx_burst(std::span<packet> out) override;
    /// Queues one write per frame; the frames stay alive until their writes complete.
    size_t tx_burst(std::span<packet> frames) override;
    /// Submits everything queued with one io_uring_submit; nothing when idle.
    void flush() override;
    /// Empty frames from the device's pool.
    size_t alloc_burst(std::span<packet> out) override { return _pool.alloc_burst(out); }
    /// MAC and MTU; no offloads.
    const device_caps& capabilities() const override { return _caps; }
    /// Accepts any list: a TAP has no filter (the stack filters).
    result<void> set_multicast_filter(std::span<const mac_address> groups) override;
    /// The common device counters.
    const device_stats& stats() const override { return _stats; }
    void report(json_writer& w) const override { w.section("tap", _tap_stats); }

    /// Cancels the outstanding reads, waits for every operation to complete, returns every
    /// buffer to the pool and closes the ring and the TAP. Fails when operations did not
    /// complete in time (their buffers are then kept out of the pool). Idempotent; the device
    /// takes no more frames afterwards.
    result<void> close();

    /// The io_uring counters. `enters` counts the io_uring_enter calls made by submits: every
    /// submit without SQPOLL; with SQPOLL only those that found the kernel thread asleep (read
    /// just before submitting, so it may miss a thread that falls asleep in between).
    const tap_stats& uring_stats() const { return _tap_stats; }
    /// The kernel interface's name.
    const std::string& name() const { return _name; }
    /// The pool the device reads into and allocates from.
    const packet_pool& pool() const { return _pool; }
    /// Reads outstanding in the kernel.
    uint32_t reads_in_flight() const { return _rx_in_flight; }
    /// Frames read but not yet handed out by rx_burst.
    uint32_t reads_ready() const { return _ready_count; }
    /// Writes outstanding in the kernel.
    uint32_t writes_in_flight() const { return uint32_t(_tx_slots.size() - _tx_free.size()); }
    /// True when the ring polls submissions with a kernel thread.
    bool sqpoll() const { return _sqpoll; }

private:
    tap_device(const tap_config& cfg, size_t room);
    result<void> start(const tap_config& cfg);
    void reap();
    void complete(uint64_t tag, int32_t res);
    void arm_reads();
    io_uring_sqe* next_sqe();
    void submit();

    std::string _name;
    int _fd = -1;
    io_uring _ring{};
    bool _ring_up = false;
    bool _sqpoll = false;
    uint32_t _queued = 0; // entries queued since the last submit
    packet_pool _pool;
    uint32_t _read_len;  // bytes each read may fill: room - headroom
    uint32_t _max_frame; // the longest legal frame: MTU + Ethernet header + one VLAN tag

    // Reads: slot i is tag i, armed as one hard-linked chain at a time (completions in wire
    // order). The ready ring holds completed reads; reads in flight plus ready frames never
    // exceed rx_depth, so the ring cannot overflow.
    uint32_t _rx_depth;
    std::vector<packet> _rx_slots;
    std::vector<uint32_t> _rx_free;
    uint32_t _rx_in_flight = 0;
    std::vector<packet> _ready;
    uint32_t _ready_head = 0;
    uint32_t _ready_count = 0;

    // Writes: slot i is tag rx_depth + i; the packet stays alive until its write completes.
    std::vector<packet> _tx_slots;
    std::vector<uint32_t> _tx_free;

    device_caps _caps;
    device_stats _stats;
    tap_stats _tap_stats;
};

} // namespace tachyon
