#pragma once
/// The one packet-buffer type. A `packet` is a move-only owning handle to a `buf` descriptor:
/// where the frame's bytes are, how much headroom is in front of them, and which pool takes the
/// buffer back. The descriptor mirrors `rte_mbuf` (buf_addr, data_off, data_len, refcnt) so the
/// DPDK device can keep one inside each mbuf's private area and hand frames over with no copy.
///
/// Parsing walks forward with `trim_front`; emitting walks backward with `prepend`.
/// `share` takes another reference to the same bytes (TCP retransmission holds frames that way).
///
/// Offload metadata (`buf_offload`) travels with the frame between the stack and the device, so
/// that no device parses a protocol: on transmit the stack, which builds every header, records
/// their lengths and the checksums it left for the device to complete; on receive the device
/// records the checksums the NIC found good, and the stack verifies the rest itself.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "stack/core/time.hpp"

namespace tachyon {

class buf_pool;

/// The checksums named in `buf_offload` (bits).
namespace checksum_bit {
inline constexpr uint8_t ipv4 = 1;       ///< the IPv4 header checksum
inline constexpr uint8_t udp = 2;        ///< the UDP checksum
inline constexpr uint8_t tcp = 4;        ///< the TCP checksum
inline constexpr uint8_t l4 = udp | tcp; ///< a NIC's transport verdict, whichever the frame carries
} // namespace checksum_bit

/// Per-frame offload metadata. The transmit fields are written by the stack as it builds the
/// frame (a received frame reused for a reply gets them written again); the receive field by
/// the device that received the frame. A device hands out frames (allocated or received) with
/// `rx_checksums_good` zero unless its NIC verified those sums.
struct buf_offload {
    uint8_t l2_len = 0;       ///< transmit: Ethernet header length
    uint8_t l3_len = 0;       ///< transmit: IPv4 header length (0: not IPv4)
    uint8_t l4_len = 0;       ///< transmit: UDP, TCP (options included) or ICMP/IGMP header length
    uint8_t tx_checksums = 0; ///< transmit: the checksums the device must complete (checksum_bit)
    uint8_t rx_checksums_good = 0; ///< receive: the checksums the device verified good (checksum_bit)
    /// Field-wise equality (tests).
    bool operator==(const buf_offload&) const = default;
};

/// The descriptor of one packet buffer: its data room, the frame within it, and its owner.
struct buf {
    std::byte* base = nullptr; ///< start of the data room
    uint32_t room = 0;         ///< size of the data room in bytes
    uint32_t data_off = 0;     ///< offset of the frame's first byte in the data room
    uint32_t data_len = 0;     ///< length of the frame
    uint32_t refcnt = 0;       ///< references held by `packet` handles
    instant rx_time;           ///< when the frame was received (set by the stack or the device)
    buf_pool* pool = nullptr;  ///< who takes the buffer back when the last reference goes
    void* native = nullptr;    ///< the device's own handle (the `rte_mbuf*` on DPDK), or null
    /// The device's own count of holders (DPDK: the mbuf's refcnt, above 1 while a NIC still
    /// has the frame after tx_burst), or null where the device keeps no frame after tx_burst.
    const uint16_t* device_refcnt = nullptr;
    buf_offload offload; ///< header lengths and checksum work between stack and device
};
static_assert(sizeof(buf) <= 64, "the descriptor fits one cache line (and the mbuf's private area)");

/// Where buffers go back to. One non-virtual call through a function pointer per release,
/// fixed per pool, so the branch predictor always guesses it.
class buf_pool {
public:
    /// Returns a buffer whose last reference went away.
    using release_fn = void (*)(buf_pool& pool, buf& b);
    /// A pool that releases through `fn`.
    explicit buf_pool(release_fn fn) : _release(fn) {}
    /// Takes back `b`.
    void release(buf& b) { _release(*this, b); }

private:
    release_fn _release;
};

/// A move-only owning handle to a packet buffer (or to nothing).
class packet {
public:
    /// An empty handle.
    packet() = default;
    /// Adopts one reference to `b` (its `refcnt` already counts this handle).
    explicit packet(buf* b) : _b(b) {}
    packet(const packet&) = delete;
    packet& operator=(const packet&) = delete;
    /// Moves ownership; `o` becomes empty.
    packet(packet&& o) noexcept : _b(std::exchange(o._b, nullptr)) {}
    /// Moves ownership; the buffer held before is released.
    packet& operator=(packet&& o) noexcept {
        if (this != &o) {
            reset();
            _b = std::exchange(o._b, nullptr);
        }
        return *this;
    }
    ~packet() { reset(); }

    /// True when the handle holds a buffer.
    explicit operator bool() const { return _b != nullptr; }
    /// The first byte of the frame.
    std::byte* data() const { return _b->base + _b->data_off; }
    /// The frame's length.
    size_t size() const { return _b->data_len; }
    /// The frame's bytes.
    std::span<std::byte> bytes() const { return {data(), size()}; }
    /// Free bytes in front of the frame.
    size_t headroom() const { return _b->data_off; }
    /// Free bytes after the frame.
    size_t tailroom() const { return _b->room - _b->data_off - _b->data_len; }

    /// Grows the frame by `n` bytes at the front; returns the new first byte, or null when
    /// the headroom is too small (the frame is then unchanged).
    std::byte* prepend(size_t n) {
        if (n > _b->data_off) [[unlikely]]
            return nullptr;
        _b->data_off -= uint32_t(n);
        _b->data_len += uint32_t(n);
        return data();
    }
    /// Drops `n` bytes from the front (a parsed header). `n` must not exceed `size()`.
    void trim_front(size_t n) {
        assert(n <= _b->data_len);
        _b->data_off += uint32_t(n);
        _b->data_len -= uint32_t(n);
    }
    /// Shortens the frame to `len` bytes (Ethernet padding, IPv4 total length).
    void truncate(size_t len) {
        if (len < _b->data_len) _b->data_len = uint32_t(len);
    }
    /// Grows the frame by `n` bytes at the back; returns the first new byte, or null when the
    /// tailroom is too small (the frame is then unchanged).
    std::byte* append(size_t n) {
        if (n > tailroom()) [[unlikely]]
            return nullptr;
        std::byte* p = data() + _b->data_len;
        _b->data_len += uint32_t(n);
        return p;
    }
    /// Sets the frame to `len` bytes starting `headroom` bytes into the data room.
    void reset_frame(size_t headroom, size_t len = 0) {
        assert(headroom + len <= _b->room);
        _b->data_off = uint32_t(headroom);
        _b->data_len = uint32_t(len);
    }

    /// Another handle to the same bytes (a reference, not a copy).
    packet share() const {
        ++_b->refcnt;
        return packet{_b};
    }
    /// True when another handle, or a device still sending the frame, refers to the same bytes
    /// (they must then not be written).
    bool shared() const {
        return _b->refcnt > 1 ||
               (_b->device_refcnt != nullptr && __atomic_load_n(_b->device_refcnt, __ATOMIC_RELAXED) > 1);
    }

    /// When the frame was received.
    instant rx_time() const { return _b->rx_time; }
    /// Records when the frame was received.
    void set_rx_time(instant t) { _b->rx_time = t; }

    /// The offload metadata (read by devices and tests).
    const buf_offload& offload() const { return _b->offload; }
    /// True when the device verified the checksums in `bits` (all of them) on receive.
    bool rx_checksum_good(uint8_t bits) const { return (_b->offload.rx_checksums_good & bits) == bits; }
    /// Records the transport header the stack wrote (`len` bytes) and the checksum the device
    /// must complete in it (`device_checksum`: checksum_bit::udp or ::tcp, or 0 when the stack
    /// filled it). The first transmit record for a frame: it resets the checksums asked for.
    void set_tx_l4(size_t len, uint8_t device_checksum) {
        _b->offload.l4_len = uint8_t(len);
        _b->offload.tx_checksums = device_checksum;
    }
    /// Records the link header (`l2` bytes) and the IPv4 header (`l3` bytes) in front of the
    /// transport header, and whether the device fills the IPv4 header checksum. After `set_tx_l4`.
    void set_tx_ipv4(size_t l2, size_t l3, bool device_checksum) {
        _b->offload.l2_len = uint8_t(l2); // with l3_len: one store, the lengths being constants
        _b->offload.l3_len = uint8_t(l3);
        if (device_checksum) _b->offload.tx_checksums |= checksum_bit::ipv4;
    }
    /// Records a frame without IPv4 (ARP): a link header of `l2` bytes, nothing to complete.
    void set_tx_link_only(size_t l2) {
        _b->offload.l2_len = uint8_t(l2);
        _b->offload.l3_len = 0;
        _b->offload.l4_len = 0;
        _b->offload.tx_checksums = 0;
    }

    /// The descriptor (for devices).
    buf* descriptor() const { return _b; }
    /// Gives up ownership without releasing: the caller now holds the reference.
    buf* release() { return std::exchange(_b, nullptr); }
    /// Drops this handle's reference; the buffer goes back to its pool with the last one.
    void reset() {
        if (_b != nullptr) {
            if (--_b->refcnt == 0) _b->pool->release(*_b);
            _b = nullptr;
        }
    }

private:
    buf* _b = nullptr;
};

} // namespace tachyon
