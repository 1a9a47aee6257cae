#pragma once
/// The UMEM: one anonymous memory mapping, registered with the kernel as the AF_XDP socket's
/// packet memory, cut into frames of `frame_size` bytes. Each frame has a `buf` descriptor in a
/// side table, so a received frame is handed to the stack as it lies in the UMEM (no copy) and
/// a frame the stack built is sent from where it lies.
///
/// A frame is in one of four places: on the free stack (here), on the fill ring (the kernel
/// will receive into it), with the stack (`packet` handles: `refcnt` counts them), or being
/// sent (the transmit ring owns one reference until the completion ring gives it back). It
/// returns to the free stack when its last reference goes, whoever drops it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/core/result.hpp"

namespace tachyon {

/// The UMEM and its frames.
class xdp_umem final : public buf_pool {
public:
    /// Bytes per frame (a power of two: the kernel's aligned-chunk mode).
    static constexpr uint32_t frame_size = 2048;
    /// Headroom in front of a frame the stack allocates to send (its headers go there).
    static constexpr uint32_t tx_headroom = 128;

    /// Maps `frames` frames (locked in memory, populated at once).
    static result<std::unique_ptr<xdp_umem>> create(uint32_t frames);
    xdp_umem(const xdp_umem&) = delete;
    xdp_umem& operator=(const xdp_umem&) = delete;
    /// Unmaps (every frame must be back: see `held`).
    ~xdp_umem();

    /// The mapping's first byte.
    void* area() const { return _area; }
    /// The mapping's size in bytes.
    size_t area_size() const { return _descs.size() * size_t(frame_size); }
    /// Frames in all.
    uint32_t count() const { return uint32_t(_descs.size()); }
    /// Frames on the free stack now.
    uint32_t available() const { return uint32_t(_free.size()); }

    /// True when `b` is one of this UMEM's frames.
    bool owns(const buf& b) const { return b.pool == this; }
    /// The UMEM address (offset) of the frame's first byte.
    uint64_t frame_addr(const buf& b) const { return uint64_t(&b - _descs.data()) * frame_size; }
    /// The frame holding UMEM address `addr` (any offset inside the frame).
    buf& frame_at(uint64_t addr) { return _descs[addr / frame_size]; }

    /// Takes a frame off the free stack (null when none is free); its references are the caller's to set.
    buf* take() {
        if (_free.empty()) [[unlikely]]
            return nullptr;
        buf* b = _free.back();
        _free.pop_back();
        return b;
    }
    /// Puts a frame back on the free stack.
    void give(buf& b) { _free.push_back(&b); }

private:
    xdp_umem() : buf_pool(&xdp_umem::release_frame) {}
    static void release_frame(buf_pool& pool, buf& b);

    void* _area = nullptr;
    std::vector<buf> _descs;
    std::vector<buf*> _free;
};

} // namespace tachyon
