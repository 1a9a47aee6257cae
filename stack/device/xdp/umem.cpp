#include "stack/device/xdp/umem.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace tachyon {

result<std::unique_ptr<xdp_umem>> xdp_umem::create(uint32_t frames) {
    if (frames < 64 || frames > (1u << 22))
        return make_error(errc::invalid_argument, "xdp: the UMEM needs 64 to 4194304 frames");
    std::unique_ptr<xdp_umem> u(new xdp_umem());
    const size_t bytes = size_t(frames) * frame_size;
    void* area = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (area == MAP_FAILED)
        return make_error(errc::no_buffer, "xdp: cannot map " + std::to_string(bytes >> 20) +
                                               " MB for the UMEM: " + std::strerror(errno));
    u->_area = area;
    u->_descs.resize(frames);
    u->_free.reserve(frames);
    auto* base = static_cast<std::byte*>(area);
    for (uint32_t i = 0; i < frames; ++i) {
        buf& b = u->_descs[i];
        b.base = base + size_t(i) * frame_size;
        b.room = frame_size;
        b.pool = u.get();
    }
    for (uint32_t i = frames; i > 0; --i) u->_free.push_back(&u->_descs[i - 1]);
    return u;
}

xdp_umem::~xdp_umem() {
    if (_area != nullptr) ::munmap(_area, area_size());
}

void xdp_umem::release_frame(buf_pool& pool, buf& b) { static_cast<xdp_umem&>(pool).give(b); }

} // namespace tachyon
