/// The memory link: a fixed receive ring per port, and the fault injector that sits between a
/// port's tx_burst and its peer's ring. Each direction draws from its own splitmix64 stream,
/// so a seed fixes which frames are lost, duplicated and reordered.

#include "stack/device/memory_link.hpp"

#include <cstring>
#include <string>

namespace tachyon {

namespace {

/// Ethernet header plus one VLAN tag: the most a frame may exceed the MTU by.
constexpr size_t link_overhead = 14 + 4;

/// Stream separation for the b → a direction when one seed drives both.
constexpr uint64_t reverse_stream = 0x9e3779b97f4a7c15ull;

} // namespace

memory_port::memory_port(const memory_link_config& cfg, const mac_address& mac,
                         const std::function<instant()>* now)
    : _pool(cfg.pool_size, cfg.room, cfg.headroom), _now(now),
      _ring(cfg.queue_capacity == 0 ? 1 : cfg.queue_capacity), _max_frame(cfg.mtu + link_overhead) {
    _caps.mac = mac;
    _caps.mtu = cfg.mtu;
    _rng = _faults.seed;
}

memory_port::~memory_port() { drain(); }

uint64_t memory_port::next_random() {
    // splitmix64 (Steele, Lea, Flood 2014): one add and three xor-shift-multiplies.
    uint64_t z = (_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

bool memory_port::push(buf* b, instant due) {
    if (_count == _ring.size()) [[unlikely]]
        return false;
    size_t tail = _head + _count;
    if (tail >= _ring.size()) tail -= _ring.size();
    _ring[tail] = entry{b, due};
    ++_count;
    return true;
}

void memory_port::drain() {
    while (_count > 0) {
        packet{_ring[_head].frame}.reset();
        if (++_head == _ring.size()) _head = 0;
        --_count;
    }
    _head = 0;
    if (_held != nullptr) packet{std::exchange(_held, nullptr)}.reset();
}

size_t memory_port::tx_burst(std::span<packet> frames) {
    memory_port& rx = *_peer;
    // Delay needs the time a frame was sent: read it once for the whole burst.
    instant due{};
    if (_faults.delay > duration{}) [[unlikely]]
        due = (*_now)() + _faults.delay;

    size_t n = 0;
    for (; n < frames.size(); ++n) {
        packet& p = frames[n];
        if (rx._count == rx._ring.size()) [[unlikely]]
            break; // the peer's queue is full: the rest stays with the caller
        if (p.size() > _max_frame) [[unlikely]] {
            ++_stats.tx_errors; // longer than the link carries: accepted and dropped
            p.reset();
            continue;
        }
        ++_stats.tx_frames;
        _stats.tx_bytes += p.size();
        ++_fault_stats.frames;
        if (roll(_faults.loss)) [[unlikely]] {
            ++_fault_stats.lost;
            p.reset();
            continue;
        }
        if (due != instant{}) ++_fault_stats.delayed;

        // The duplicate is a private copy: the receiver may rewrite either frame in place.
        packet copy;
        if (roll(_faults.duplicate)) [[unlikely]] {
            copy = _pool.alloc();
            if (copy) {
                copy.reset_frame(p.headroom(), p.size());
                std::memcpy(copy.data(), p.data(), p.size());
            } else {
                ++_fault_stats.duplicate_no_buffer;
            }
        }

        if (roll(_faults.reorder) && rx._held == nullptr) [[unlikely]] {
            rx._held = p.release();
            rx._held_due = due;
            ++_fault_stats.reordered;
        } else {
            rx.push(p.release(), due); // room was checked above
            // A frame held back goes right after the one that overtook it.
            if (rx._held != nullptr && rx.push(rx._held, rx._held_due)) rx._held = nullptr;
        }

        if (copy) {
            if (rx.push(copy.descriptor(), due)) {
                copy.release();
                ++_fault_stats.duplicated;
            } else {
                ++_stats.tx_drop_full; // the copy did not fit; it goes back to the pool
            }
        }
    }
    if (n < frames.size()) [[unlikely]]
        _stats.tx_drop_full += frames.size() - n;
    return n;
}

size_t memory_port::rx_burst(std::span<packet> out) {
    bool have_now = false;
    instant now;
    auto due = [&](instant t) {
        if (t == instant{}) return true;
        if (!have_now) {
            now = (*_now)(); // once per burst at most
            have_now = true;
        }
        return t <= now;
    };

    size_t n = 0;
    while (n < out.size() && _count > 0) {
        entry& e = _ring[_head];
        if (!due(e.due)) break; // delays are equal in a direction, so later frames wait too
        out[n] = packet{e.frame};
        _stats.rx_bytes += out[n].size();
        ++n;
        if (++_head == _ring.size()) _head = 0;
        --_count;
    }
    // A held-back frame with nothing left to follow is delivered once the queue is empty.
    if (n < out.size() && _count == 0 && _held != nullptr && due(_held_due)) {
        out[n] = packet{std::exchange(_held, nullptr)};
        _stats.rx_bytes += out[n].size();
        ++n;
    }
    _stats.rx_frames += n;
    return n;
}

result<void> memory_port::set_multicast_filter(std::span<const mac_address> groups) {
    _multicast.assign(groups.begin(), groups.end());
    return {};
}

result<void> memory_port::set_faults(const link_faults& f) {
    auto is_rate = [](double p) { return p >= 0 && p <= 1; };
    if (!is_rate(f.loss) || !is_rate(f.duplicate) || !is_rate(f.reorder))
        return make_error(errc::invalid_argument,
                          "memory link: loss, duplicate and reorder must be probabilities in [0, 1]");
    if (f.delay < duration{})
        return make_error(errc::invalid_argument, "memory link: delay must not be negative");
    if (f.delay > duration{} && !*_now)
        return make_error(errc::invalid_argument,
                          "memory link: a delay needs a clock: pass `now` to the memory_link");
    _faults = f;
    _rng = f.seed;
    return {};
}

memory_link::memory_link(const memory_link_config& cfg, std::function<instant()> now)
    : _now(std::move(now)), _a(cfg, cfg.mac_a, &_now), _b(cfg, cfg.mac_b, &_now) {
    _a._peer = &_b;
    _b._peer = &_a;
}

memory_link::~memory_link() {
    // Each queue holds buffers of the other port's pool: empty both before either pool goes.
    _a.drain();
    _b.drain();
}

result<void> memory_link::set_faults(const link_faults& f) {
    if (auto r = _a.set_faults(f); !r) return r;
    link_faults reverse = f;
    reverse.seed = f.seed ^ reverse_stream;
    return _b.set_faults(reverse);
}

} // namespace tachyon
