/// The recording decorator: received frames at the stack's receive time, sent frames at the
/// time their burst was handed to the inner device, each with its direction.

#include "stack/device/pcap.hpp"

#include <algorithm>

namespace tachyon {

pcap_device::pcap_device(device& inner, pcap_writer& writer, capture_clock clock)
    : _inner(inner), _writer(writer), _clock(clock), _caps(inner.capabilities()) {
    _caps.rx_time_hook = true;
}

void pcap_device::on_rx_time(std::span<const packet> frames, instant now) {
    const int64_t ts = _clock.unix_ns(now);
    for (const packet& f : frames) _writer.write(f.bytes(), ts, capture_direction::inbound);
}

size_t pcap_device::tx_burst(std::span<packet> frames) {
    // The inner device takes the frames it accepts, so keep a reference to each until we know
    // which were taken: only those are recorded.
    int64_t ts = 0;
    bool stamped = false;
    size_t done = 0;
    while (done < frames.size()) {
        const size_t m = std::min(chunk, frames.size() - done);
        for (size_t i = 0; i < m; ++i) _refs[i] = frames[done + i].share();
        if (!stamped) {
            ts = _clock.unix_ns(_clock.now()); // one clock read per burst, at the hand-over
            stamped = true;
        }
        const size_t k = _inner.tx_burst(frames.subspan(done, m));
        for (size_t i = 0; i < k; ++i) _writer.write(_refs[i].bytes(), ts, capture_direction::outbound);
        for (size_t i = 0; i < m; ++i) _refs[i].reset();
        done += k;
        if (k < m) break;
    }
    return done;
}

void pcap_device::report(json_writer& w) const {
    _inner.report(w);
    w.begin_section("pcap");
    w.field("frames", _writer.frames());
    w.field("files", _writer.files());
    w.field("write_failed", uint64_t(_writer.failed()));
    w.end_section();
}

} // namespace tachyon
