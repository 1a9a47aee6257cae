#pragma once
/// Packet capture: `pcap_writer` records frames in a file that tshark, tcpdump and Wireshark
/// read (pcapng by default, with each frame's direction and a nanosecond timestamp; classic
/// pcap on request), optionally cut to a snapshot length and rotated by size; `pcap_device`
/// is a decorator that records every frame passing through any device.
///
/// Timestamps are the stack's own: a received frame carries the receive time the stack gave
/// its burst (`device::on_rx_time`, the `rx_time` the application sees), a sent frame the time
/// its burst was handed to the inner device (one clock read per burst). Both are instants of
/// the stack's clock, turned into Unix time by an offset fixed when the capture starts.
///
/// Cost: `pcap_device` is an opt-in debugging tool, not part of the hot-path contract, but it
/// allocates nothing and logs nothing per frame: each frame is copied into a 1 MiB buffer
/// that reaches the file with a write(2) whenever it fills (as stdio did before). Rotation
/// closes and opens a file once per `rotate_bytes`. Leave it out of latency measurements.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "stack/core/result.hpp"
#include "stack/core/time.hpp"
#include "stack/device/capture_format.hpp"
#include "stack/device/device.hpp"
#include "stack/device/pcap_options.hpp"

namespace tachyon {

/// Writes Ethernet frames to a capture file (pcapng or classic pcap), rotating by size.
///
/// Rotation: when a frame would take the current file past `rotate_bytes` (and the file holds
/// at least one frame), the file is closed and the next one started: `path`, then `path.1`,
/// `path.2`, ... Each is a complete capture with its own headers (pcapng: SHB and IDB).
class pcap_writer {
public:
    /// Size of the buffer in front of the file.
    static constexpr size_t buffer_size = size_t(1) << 20;
    /// The classic format's snapshot length when none is given.
    static constexpr uint32_t classic_default_snaplen = 65535;

    /// A writer with no file open.
    pcap_writer() = default;
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;
    /// Flushes and closes the file.
    ~pcap_writer();

    /// Creates (or truncates) `path` and writes the format's headers; removes `path.1`,
    /// `path.2`, ... left by an earlier rotating run (up to the first missing one).
    result<void> open(const std::string& path, const pcap_options& options = {});
    /// Records one frame received or sent at `unix_ns` (nanoseconds since the Unix epoch).
    void write(std::span<const std::byte> frame, int64_t unix_ns, capture_direction dir);
    /// Pushes buffered records to the file.
    result<void> flush();
    /// Flushes and closes the file; reports the first write error since `open`.
    result<void> close();

    /// True while a file is open.
    bool is_open() const { return _fd >= 0; }
    /// Frames recorded since `open`.
    uint64_t frames() const { return _frames; }
    /// Files started since `open` (1 + rotations).
    uint64_t files() const { return _files; }
    /// True when a write failed since `open` (the disk is full, for instance).
    bool failed() const { return _failed; }
    /// The options in use.
    const pcap_options& options() const { return _options; }

    /// The name of file number `index` of a capture at `path`: `path`, then `path.1`, ...
    static std::string rotated_path(const std::string& path, uint64_t index);

private:
    /// Opens `_current` and buffers the format's headers; false (and `_failed`) on error.
    bool start_file();
    /// Closes the current file and starts the next one.
    bool rotate();
    /// Writes the buffer to the file (write(2) until done).
    void drain();

    int _fd = -1;
    std::unique_ptr<std::byte[]> _buffer;
    size_t _used = 0;            // bytes waiting in _buffer
    uint64_t _file_bytes = 0;    // bytes of the current file, buffered ones included
    uint64_t _file_frames = 0;   // frames in the current file
    uint64_t _file_index = 0;    // number of the current file (0: `path`)
    uint32_t _cap = 0;           // bytes kept per frame
    std::string _path;           // the first file
    std::string _current;        // the current file (capacity reserved at open: no allocation)
    std::string _error;          // what failed first
    pcap_options _options;
    uint64_t _frames = 0;
    uint64_t _files = 0;
    bool _failed = false;
};

/// The clock a `pcap_device` reads once per transmitted burst, and the offset that turns the
/// stack's instants into Unix time. Nothing under stack/ reads a clock itself: the runtime
/// passes the monotonic clock, tests a manual one.
struct capture_clock {
    instant (*read)(const void* ctx) = nullptr; ///< reads the clock
    const void* ctx = nullptr;                  ///< the clock object `read` is given
    int64_t unix_offset_ns = 0;                 ///< added to an instant: nanoseconds since the Unix epoch

    /// The clock's current time.
    instant now() const { return read(ctx); }
    /// `t` as nanoseconds since the Unix epoch.
    int64_t unix_ns(instant t) const { return t.ns_since_epoch() + unix_offset_ns; }
};

/// A `capture_clock` reading `clock.now()` (`clock` must outlive it).
template <class Clock>
capture_clock make_capture_clock(const Clock& clock, int64_t unix_offset_ns) {
    return {[](const void* c) { return static_cast<const Clock*>(c)->now(); }, &clock, unix_offset_ns};
}

/// A device decorator that records every frame received (inbound, at the stack's receive
/// time) and every frame the inner device accepted for sending (outbound, at the time its
/// burst was handed over).
class pcap_device final : public device {
public:
    /// Wraps `inner`; records into `writer`, which must be open and outlive this device.
    pcap_device(device& inner, pcap_writer& writer, capture_clock clock);

    /// Forwarded to the inner device; what it received is recorded by `on_rx_time`.
    size_t rx_burst(std::span<packet> out) override { return _inner.rx_burst(out); }
    /// Records the received frames with the stack's receive time, before the stack reads
    /// (and may rewrite) them. A caller of `rx_burst` other than the stack calls it too.
    void on_rx_time(std::span<const packet> frames, instant now) override;
    /// Sends through the inner device and records what it accepted.
    size_t tx_burst(std::span<packet> frames) override;
    /// Forwarded to the inner device.
    void flush() override { _inner.flush(); }
    /// Forwarded to the inner device.
    size_t alloc_burst(std::span<packet> out) override { return _inner.alloc_burst(out); }
    /// The inner device's capabilities, plus `rx_time_hook`.
    const device_caps& capabilities() const override { return _caps; }
    /// Forwarded to the inner device.
    result<void> set_multicast_filter(std::span<const mac_address> groups) override {
        return _inner.set_multicast_filter(groups);
    }
    /// The inner device's counters.
    const device_stats& stats() const override { return _inner.stats(); }
    /// The inner device's own report sections, then `pcap`: frames recorded, files started,
    /// whether a write failed.
    void report(json_writer& w) const override;

    /// The wrapped device.
    device& inner() { return _inner; }

private:
    /// Frames passed to the inner tx_burst at a time (each is kept referenced until recorded).
    static constexpr size_t chunk = 64;

    device& _inner;
    pcap_writer& _writer;
    capture_clock _clock;
    device_caps _caps;
    std::array<packet, chunk> _refs;
};

} // namespace tachyon
