#pragma once
/// The in-process link: two `memory_port` devices joined back to back, for unit tests and
/// in-process benchmarks. A frame sent on one port is moved, never copied, into the other
/// port's bounded receive queue; it goes back to the sender's pool when the receiver drops it.
///
/// Seeded fault injection (loss, duplication, reordering, delay) makes the link misbehave the
/// same way on every run with the same seed. Time only matters for delay: the link then reads
/// the `now` function it was given, once per burst at most.
///
/// Hot path: rx_burst and tx_burst allocate nothing, lock nothing and make no system call.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "stack/buf/pool.hpp"
#include "stack/core/stats.hpp"
#include "stack/core/time.hpp"
#include "stack/device/device.hpp"

namespace tachyon {

/// Faults applied to every frame travelling in one direction.
struct link_faults {
    double loss = 0;      ///< probability that a frame is lost
    double duplicate = 0; ///< probability that a frame is delivered twice (the copy right after)
    double reorder = 0;   ///< probability that a frame is held back and delivered after the next
    duration delay{};     ///< how long a frame takes to cross (needs the link's `now`)
    uint64_t seed = 1;    ///< seed of the direction's random generator
};

/// What the faults did in one direction.
#define TACHYON_LINK_FAULT_COUNTERS(X)                                               \
    X(frames)              /* frames accepted for this direction */                  \
    X(lost)                /* frames dropped by the loss fault */                    \
    X(duplicated)          /* extra copies delivered */                              \
    X(duplicate_no_buffer) /* copies not made because the sender's pool was empty */ \
    X(reordered)           /* frames held back and delivered after a later one */    \
    X(delayed)             /* frames given a delivery time in the future */

/// Counters of the faults applied in one direction.
struct link_fault_stats {
    TACHYON_COUNTERS(TACHYON_LINK_FAULT_COUNTERS)
};

/// How to build a memory link.
struct memory_link_config {
    mac_address mac_a{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}}; ///< MAC of port a
    mac_address mac_b{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}}; ///< MAC of port b
    uint16_t mtu = 1500;                                     ///< largest IP packet carried
    size_t queue_capacity = 256;                             ///< receive queue bound per port
    size_t pool_size = 1024;                                 ///< buffers in each port's pool
    size_t room = packet_pool::default_room;                 ///< data room of each buffer
    size_t headroom = packet_pool::default_headroom;         ///< headroom of a fresh frame
};

class memory_link;

/// One end of a memory link.
class memory_port final : public device {
public:
    memory_port(const memory_port&) = delete;
    memory_port& operator=(const memory_port&) = delete;
    /// Returns every frame still queued or held back to its pool.
    ~memory_port() override;

    /// Hands out up to `out.size()` received frames.
    size_t rx_burst(std::span<packet> out) override;
    /// Takes frames for sending; the ones refused stay with the caller.
    size_t tx_burst(std::span<packet> frames) override;
    /// Empty frames from the device's pool.
    size_t alloc_burst(std::span<packet> out) override { return _pool.alloc_burst(out); }
    /// MAC and MTU; no offloads.
    const device_caps& capabilities() const override { return _caps; }
    /// Records the groups (the port filters nothing).
    result<void> set_multicast_filter(std::span<const mac_address> groups) override;
    /// The common device counters.
    const device_stats& stats() const override { return _stats; }

    /// Sets the faults applied to the frames this port sends (and reseeds the generator).
    result<void> set_faults(const link_faults& f);
    /// What the faults did to the frames this port sent.
    const link_fault_stats& fault_stats() const { return _fault_stats; }
    /// The multicast groups last given to `set_multicast_filter`.
    std::span<const mac_address> multicast_filter() const { return _multicast; }
    /// The pool this port allocates from (frames it sends return here).
    const packet_pool& pool() const { return _pool; }
    /// Frames waiting in this port's receive queue (including delayed ones, not a held one).
    size_t queued() const { return _count; }

private:
    friend class memory_link;

    /// A frame in flight and when it may be delivered (instant{} when at once).
    struct entry {
        buf* frame = nullptr;
        instant due;
    };

    memory_port(const memory_link_config& cfg, const mac_address& mac, const std::function<instant()>* now);
    bool push(buf* b, instant due);
    void deliver(packet p, instant due);
    void drain();
    uint64_t next_random();
    bool roll(double p) { return p > 0 && double(next_random() >> 11) * 0x1.0p-53 < p; }

    packet_pool _pool;
    memory_port* _peer = nullptr;
    const std::function<instant()>* _now;
    // The receive ring (frames sent by the peer).
    std::vector<entry> _ring;
    size_t _head = 0;
    size_t _count = 0;
    // A frame held back by the reorder fault, waiting to follow the next one.
    buf* _held = nullptr;
    instant _held_due;
    // Faults on frames this port sends.
    link_faults _faults;
    uint64_t _rng = 0;
    link_fault_stats _fault_stats;
    size_t _max_frame;
    device_caps _caps;
    device_stats _stats;
    std::vector<mac_address> _multicast;
};

/// Two memory ports joined back to back.
class memory_link {
public:
    /// A link built from `cfg`; `now` is needed only for the delay fault.
    explicit memory_link(const memory_link_config& cfg = {}, std::function<instant()> now = {});
    memory_link(const memory_link&) = delete;
    memory_link& operator=(const memory_link&) = delete;
    ~memory_link();

    /// Port a.
    memory_port& a() { return _a; }
    /// Port b.
    memory_port& b() { return _b; }
    /// Applies the same faults in both directions (b's generator gets a different stream).
    result<void> set_faults(const link_faults& f);

private:
    std::function<instant()> _now;
    memory_port _a;
    memory_port _b;
};

} // namespace tachyon
