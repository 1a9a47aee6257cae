// Uses the installed headers and libraries: a pool, a manual clock, one packet.
#include <cstdio>
#include <cstring>

#include "stack/buf/pool.hpp"
#include "stack/core/clock.hpp"

int main() {
    tachyon::packet_pool pool{8};
    tachyon::manual_clock clock;
    clock.advance(tachyon::duration::from_ns(1000));

    tachyon::packet p = pool.alloc();
    if (!p) return 1;
    std::byte* hdr = p.prepend(4);
    if (hdr == nullptr || p.size() != 4) return 2;
    std::memcpy(hdr, "tchy", 4);
    p.set_rx_time(clock.now());
    if (p.rx_time() != clock.now() || pool.available() != pool.capacity() - 1) return 3;
    p.reset();
    if (pool.available() != pool.capacity()) return 4;
    std::puts("consumer: ok");
    return 0;
}
