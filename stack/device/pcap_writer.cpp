/// The capture writer: a buffer in front of a file descriptor, the format's headers at the
/// start of every file, size-based rotation. Layouts are in capture_format.cpp.

#include "stack/device/pcap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace tachyon {

pcap_writer::~pcap_writer() { (void)close(); }

std::string pcap_writer::rotated_path(const std::string& path, uint64_t index) {
    if (index == 0) return path;
    return path + "." + std::to_string(index);
}

result<void> pcap_writer::open(const std::string& path, const pcap_options& options) {
    if (auto r = close(); !r) return r;
    if (options.snaplen > capture_max_snaplen)
        return make_error(errc::invalid_argument, "pcap: snapshot length above " + std::to_string(capture_max_snaplen));
    _options = options;
    _path = path;
    _current.reserve(path.size() + 24); // room for ".N": rotation never allocates
    _current.assign(path);
    _failed = false;
    _error.clear();
    _frames = 0;
    _files = 0;
    _file_index = 0;
    _used = 0;
    _cap = options.snaplen != 0 ? options.snaplen
           : options.format == capture_format::pcap ? classic_default_snaplen
                                                    : capture_max_snaplen;
    _buffer = std::make_unique<std::byte[]>(buffer_size);
    // A rotating run before this one may have left path.1, path.2, ...: they are not ours.
    for (uint64_t i = 1; ::unlink(rotated_path(path, i).c_str()) == 0; ++i) {
    }
    if (!start_file()) {
        _buffer.reset();
        _failed = false;
        return make_error(errc::system, _error);
    }
    return {};
}

bool pcap_writer::start_file() {
    _fd = ::open(_current.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (_fd < 0) {
        if (_error.empty()) _error = "pcap: cannot create " + _current + ": " + std::strerror(errno);
        _failed = true;
        return false;
    }
    ++_files;
    _file_bytes = 0;
    _file_frames = 0;
    std::span<std::byte> out(_buffer.get() + _used, buffer_size - _used);
    size_t n = 0;
    if (_options.format == capture_format::pcapng) {
        n = pcapng_section_header(out);
        n += pcapng_interface_description(out.subspan(n), _options.snaplen, _options.interface_name);
    } else {
        n = pcap_file_header(out, _cap);
    }
    _used += n;
    _file_bytes = n;
    return true;
}

bool pcap_writer::rotate() {
    drain();
    ::close(_fd);
    _fd = -1;
    ++_file_index;
    // _current has the capacity for the suffix: no allocation here.
    _current.assign(_path);
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, _file_index);
    (void)ec;
    _current.push_back('.');
    _current.append(digits, end);
    return start_file();
}

void pcap_writer::write(std::span<const std::byte> frame, int64_t unix_ns, capture_direction dir) {
    if (_fd < 0) [[unlikely]]
        return;
    const size_t caplen = std::min<size_t>(frame.size(), _cap);
    const bool ng = _options.format == capture_format::pcapng;
    const size_t size = ng ? pcapng_enhanced_packet_size(caplen) : pcap_record_size(caplen);
    if (_options.rotate_bytes != 0 && _file_frames > 0 && _file_bytes + size > _options.rotate_bytes) [[unlikely]] {
        if (!rotate()) return;
    }
    if (_used + size > buffer_size) [[unlikely]]
        drain();
    const uint64_t ts = unix_ns > 0 ? uint64_t(unix_ns) : 0;
    std::span<std::byte> out(_buffer.get() + _used, size);
    if (ng)
        pcapng_enhanced_packet(out, frame, caplen, ts, dir);
    else
        pcap_record(out, frame, caplen, ts);
    _used += size;
    _file_bytes += size;
    ++_file_frames;
    ++_frames;
}

void pcap_writer::drain() {
    size_t done = 0;
    while (done < _used && _fd >= 0) {
        const ssize_t n = ::write(_fd, _buffer.get() + done, _used - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (_error.empty()) _error = "pcap: writing " + _current + " failed: " + std::strerror(n < 0 ? errno : EIO);
            _failed = true;
            break;
        }
        done += size_t(n);
    }
    _used = 0;
}

result<void> pcap_writer::flush() {
    if (_fd >= 0) drain();
    if (_failed) return make_error(errc::system, _error);
    return {};
}

result<void> pcap_writer::close() {
    if (!_buffer) return {}; // nothing open
    if (_fd >= 0) {
        drain();
        if (::close(_fd) != 0 && _error.empty()) {
            _error = "pcap: closing " + _current + " failed: " + std::strerror(errno);
            _failed = true;
        }
        _fd = -1;
    }
    _buffer.reset();
    if (_failed) return make_error(errc::system, _error);
    return {};
}

} // namespace tachyon
