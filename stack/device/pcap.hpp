#pragma once
/// Packet capture: `pcap_writer` records frames in the classic pcap format (nanosecond
/// timestamps, Ethernet link type) that tshark, tcpdump and Wireshark read; `pcap_device` is a
/// decorator that records every frame passing through any device.
///
/// `pcap_device` is an opt-in debugging tool, not part of the hot-path contract: it reads
/// CLOCK_REALTIME once per burst and copies every frame into a stdio buffer, which reaches the
/// file with a write(2) whenever the buffer fills. Leave it out of latency measurements.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "stack/core/result.hpp"
#include "stack/device/device.hpp"

namespace tachyon {

/// Writes Ethernet frames to a classic pcap file with nanosecond timestamps.
class pcap_writer {
public:
    /// Magic number of a pcap file with nanosecond timestamps.
    static constexpr uint32_t magic_nanosecond = 0xa1b23c4d;
    /// Largest number of bytes recorded per frame.
    static constexpr uint32_t snaplen = 65535;
    /// LINKTYPE_ETHERNET.
    static constexpr uint32_t linktype_ethernet = 1;
    /// Size of the stdio buffer in front of the file.
    static constexpr size_t buffer_size = size_t(1) << 20;

    /// A writer with no file open.
    pcap_writer() = default;
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;
    /// Flushes and closes the file.
    ~pcap_writer();

    /// Creates (or truncates) `path` and writes the file header.
    result<void> open(const std::string& path);
    /// Records one frame received or sent at `unix_ns` (nanoseconds since the Unix epoch).
    void write(std::span<const std::byte> frame, int64_t unix_ns);
    /// Pushes buffered records to the file.
    result<void> flush();
    /// Flushes and closes the file; reports the first write error since `open`.
    result<void> close();

    /// True while a file is open.
    bool is_open() const { return _file != nullptr; }
    /// Frames recorded since `open`.
    uint64_t frames() const { return _frames; }
    /// True when a write failed since `open` (the disk is full, for instance).
    bool failed() const { return _failed; }

private:
    std::FILE* _file = nullptr;
    std::unique_ptr<char[]> _buffer;
    std::string _path;
    uint64_t _frames = 0;
    bool _failed = false;
};

/// A device decorator that records every frame received and every frame accepted for sending.
class pcap_device final : public device {
public:
    /// Wraps `inner`; records into `writer`, which must be open and outlive this device.
    pcap_device(device& inner, pcap_writer& writer) : _inner(inner), _writer(writer) {}

    /// Receives from the inner device and records what it got.
    size_t rx_burst(std::span<packet> out) override;
    /// Sends through the inner device and records what it accepted.
    size_t tx_burst(std::span<packet> frames) override;
    /// Forwarded to the inner device.
    void flush() override { _inner.flush(); }
    /// Forwarded to the inner device.
    size_t alloc_burst(std::span<packet> out) override { return _inner.alloc_burst(out); }
    /// The inner device's capabilities.
    const device_caps& capabilities() const override { return _inner.capabilities(); }
    /// Forwarded to the inner device.
    result<void> set_multicast_filter(std::span<const mac_address> groups) override {
        return _inner.set_multicast_filter(groups);
    }
    /// The inner device's counters.
    const device_stats& stats() const override { return _inner.stats(); }
    void report(json_writer& w) const override { _inner.report(w); }

    /// The wrapped device.
    device& inner() { return _inner; }

private:
    /// Frames passed to the inner tx_burst at a time (each is kept referenced until recorded).
    static constexpr size_t chunk = 64;

    device& _inner;
    pcap_writer& _writer;
    std::array<packet, chunk> _refs;
};

} // namespace tachyon
