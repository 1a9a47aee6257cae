/// The pcap writer and the recording decorator. File format: the classic libpcap layout
/// (a 24-byte global header, then a 16-byte record header before each frame), written in the
/// host's byte order, which readers detect from the magic number.

#include "stack/device/pcap.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace tachyon {

namespace {

/// Appends a host-order integer to `out` at `at`.
template <class T>
void put(std::byte* out, size_t at, T v) {
    std::memcpy(out + at, &v, sizeof v);
}

/// Nanoseconds since the Unix epoch, from CLOCK_REALTIME (the vDSO: no system call).
int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

} // namespace

pcap_writer::~pcap_writer() { (void)close(); }

result<void> pcap_writer::open(const std::string& path) {
    if (auto r = close(); !r) return r;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr)
        return make_error(errc::system, "pcap: cannot create " + path + ": " + std::strerror(errno));
    _buffer = std::make_unique<char[]>(buffer_size);
    std::setvbuf(f, _buffer.get(), _IOFBF, buffer_size);
    _file = f;
    _path = path;
    _frames = 0;
    _failed = false;

    std::byte header[24];
    put(header, 0, magic_nanosecond);
    put(header, 4, uint16_t(2)); // version 2.4
    put(header, 6, uint16_t(4));
    put(header, 8, int32_t(0));   // thiszone: timestamps are UTC
    put(header, 12, uint32_t(0)); // sigfigs
    put(header, 16, snaplen);
    put(header, 20, linktype_ethernet);
    if (std::fwrite(header, sizeof header, 1, _file) != 1) _failed = true;
    return {};
}

void pcap_writer::write(std::span<const std::byte> frame, int64_t unix_ns) {
    if (_file == nullptr) [[unlikely]]
        return;
    const uint32_t caplen = uint32_t(std::min<size_t>(frame.size(), snaplen));
    std::byte record[16];
    put(record, 0, uint32_t(unix_ns / 1'000'000'000));
    put(record, 4, uint32_t(unix_ns % 1'000'000'000));
    put(record, 8, caplen);
    put(record, 12, uint32_t(frame.size()));
    if (std::fwrite(record, sizeof record, 1, _file) != 1 ||
        (caplen > 0 && std::fwrite(frame.data(), caplen, 1, _file) != 1)) [[unlikely]]
        _failed = true;
    ++_frames;
}

result<void> pcap_writer::flush() {
    if (_file == nullptr) return {};
    if (std::fflush(_file) != 0) _failed = true;
    if (_failed) return make_error(errc::system, "pcap: writing " + _path + " failed");
    return {};
}

result<void> pcap_writer::close() {
    if (_file == nullptr) return {};
    if (std::fclose(_file) != 0) _failed = true;
    _file = nullptr;
    _buffer.reset();
    if (_failed) return make_error(errc::system, "pcap: writing " + _path + " failed");
    return {};
}

size_t pcap_device::rx_burst(std::span<packet> out) {
    const size_t n = _inner.rx_burst(out);
    if (n > 0) {
        const int64_t ts = realtime_ns();
        for (size_t i = 0; i < n; ++i) _writer.write(out[i].bytes(), ts);
    }
    return n;
}

size_t pcap_device::tx_burst(std::span<packet> frames) {
    // The inner device takes the frames it accepts, so keep a reference to each until we know
    // which were taken: only those are recorded.
    int64_t ts = 0;
    size_t done = 0;
    while (done < frames.size()) {
        const size_t m = std::min(chunk, frames.size() - done);
        for (size_t i = 0; i < m; ++i) _refs[i] = frames[done + i].share();
        const size_t k = _inner.tx_burst(frames.subspan(done, m));
        if (k > 0 && ts == 0) ts = realtime_ns();
        for (size_t i = 0; i < k; ++i) _writer.write(_refs[i].bytes(), ts);
        for (size_t i = 0; i < m; ++i) _refs[i].reset();
        done += k;
        if (k < m) break;
    }
    return done;
}

} // namespace tachyon
