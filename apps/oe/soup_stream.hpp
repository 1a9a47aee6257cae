#pragma once
/// SoupBinTCP framing over a TCP byte stream: `soup_stream::feed` takes bytes as TCP delivers
/// them (a packet split at any byte, several packets in one segment) and calls the handler once
/// per whole, valid packet, in order. SoupBinTCP packets "do not necessarily map directly to
/// physical packets on the underlying network socket; they may be broken apart or aggregated"
/// (spec §1.1), so nothing here assumes a segment boundary.
///
/// Zero copy where possible: a packet wholly inside the bytes fed is handed over as a view of
/// them; only a packet that straddles two feeds is copied, into one buffer sized at
/// construction for the largest packet accepted (no allocation afterwards).
///
/// Bad input is counted, never a crash. A packet with an unknown type or the wrong length for
/// its type is dropped and counted; the length prefix still frames the stream, so parsing goes
/// on. A Packet Length of 0 or above the limit loses the framing for good: the stream stops
/// (`failed()`), counts it, and ignores everything until `reset()` (a new connection).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "apps/oe/soupbintcp.hpp"
#include "stack/wire/endian.hpp"

namespace tachyon::oe {

/// What a `soup_stream` has seen.
struct soup_stream_stats {
    uint64_t bytes = 0;        ///< bytes fed (while not failed)
    uint64_t packets = 0;      ///< valid packets delivered
    uint64_t reassembled = 0;  ///< of those, packets that straddled feeds (copied once)
    uint64_t unknown_type = 0; ///< packets dropped: unknown Packet Type
    uint64_t wrong_length = 0; ///< packets dropped: a fixed-size type with another length
    uint64_t zero_length = 0;  ///< streams stopped: Packet Length 0
    uint64_t oversize = 0;     ///< streams stopped: Packet Length above the limit
};

/// Splits a SoupBinTCP byte stream into packets.
class soup_stream {
public:
    /// A parser accepting packets whose Packet Length is at most `max_length` (1..65535).
    explicit soup_stream(size_t max_length = soup_max_length)
        : _max(std::clamp<size_t>(max_length, 1, soup_max_length)),
          _buf(std::make_unique<std::byte[]>(soup_length_bytes + _max)) {}

    /// Feeds the next bytes of the stream; calls `on_packet(const soup_packet&)` for each valid
    /// packet completed by them (the packet's view is valid during the call only). Returns ok,
    /// or the error that stopped the stream (now or earlier). Every byte is taken.
    template <class F>
    soup_error feed(std::span<const std::byte> bytes, F&& on_packet) {
        if (_error != soup_error::ok) [[unlikely]]
            return _error;
        _stats.bytes += bytes.size();
        while (!bytes.empty()) {
            if (_have == 0 && bytes.size() >= soup_length_bytes) [[likely]] {
                // Fast path: a whole packet lies in `bytes`; hand over a view of it.
                const size_t len = wire::load_be16(bytes.data());
                if (!length_ok(len)) [[unlikely]]
                    return _error;
                if (bytes.size() >= soup_length_bytes + len) {
                    deliver(bytes.first(soup_length_bytes + len), on_packet);
                    bytes = bytes.subspan(soup_length_bytes + len);
                    continue;
                }
            }
            // Slow path: gather a straddling packet into the buffer.
            if (_have < soup_length_bytes) {
                const size_t take = std::min(soup_length_bytes - _have, bytes.size());
                std::memcpy(_buf.get() + _have, bytes.data(), take);
                _have += take;
                bytes = bytes.subspan(take);
                if (_have < soup_length_bytes) break;
                if (!length_ok(wire::load_be16(_buf.get()))) [[unlikely]]
                    return _error;
            }
            const size_t total = soup_length_bytes + wire::load_be16(_buf.get());
            const size_t take = std::min(total - _have, bytes.size());
            std::memcpy(_buf.get() + _have, bytes.data(), take);
            _have += take;
            bytes = bytes.subspan(take);
            if (_have == total) {
                _have = 0;
                if (deliver(std::span<const std::byte>(_buf.get(), total), on_packet)) ++_stats.reassembled;
            }
        }
        return soup_error::ok;
    }

    /// Forgets any partial packet and a stop (a new connection begins).
    void reset() {
        _have = 0;
        _error = soup_error::ok;
    }
    /// True once the framing is lost (Packet Length 0 or over the limit).
    bool failed() const { return _error != soup_error::ok; }
    /// Why the stream stopped (ok while it runs).
    soup_error error() const { return _error; }
    /// Bytes of a partial packet held.
    size_t pending() const { return _have; }
    /// The largest Packet Length accepted.
    size_t max_length() const { return _max; }
    /// Counters.
    const soup_stream_stats& stats() const { return _stats; }

private:
    /// Checks a Packet Length; on a bad one stops the stream and counts why.
    bool length_ok(size_t len) {
        if (len == 0) [[unlikely]] {
            _error = soup_error::zero_length;
            ++_stats.zero_length;
            return false;
        }
        if (len > _max) [[unlikely]] {
            _error = soup_error::oversize;
            ++_stats.oversize;
            return false;
        }
        return true;
    }

    /// Validates one framed packet; hands it over (true) or counts the drop (false).
    template <class F>
    bool deliver(std::span<const std::byte> bytes, F& on_packet) {
        soup_packet p;
        switch (soup_packet::parse(bytes, p)) {
        case soup_error::ok:
            ++_stats.packets;
            on_packet(std::as_const(p));
            return true;
        case soup_error::unknown_type: ++_stats.unknown_type; return false;
        default: ++_stats.wrong_length; return false; // framing was checked: only the type's length is left
        }
    }

    size_t _max;
    std::unique_ptr<std::byte[]> _buf;
    size_t _have = 0;
    soup_error _error = soup_error::ok;
    soup_stream_stats _stats;
};

} // namespace tachyon::oe
