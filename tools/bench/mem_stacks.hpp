#pragma once
/// What the in-process benchmarks under callgrind share (mem-pingpong, mem-mcast-rx): two stacks
/// over the memory link, a device wrapper that keeps the device's cost out of the count, and the
/// loop's collection switch.

#include <cstdio>
#include <memory>

#include "stack/device/device.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"
#include "tools/bench/callgrind.hpp"
#include "tools/bench/harness.hpp"

namespace tachyon::bench {

/// Forwards to a device with callgrind's collection paused: the device's cost is excluded (the
/// driver subtracts this class's own instructions by its name).
class excluding_device final : public device {
public:
    /// Wraps `d`.
    explicit excluding_device(device& d) : _d(d) {}
    /// The device's rx_burst, not collected.
    size_t rx_burst(std::span<packet> out) override {
        const collection_paused paused;
        return _d.rx_burst(out);
    }
    /// The device's tx_burst, not collected.
    size_t tx_burst(std::span<packet> frames) override {
        const collection_paused paused;
        return _d.tx_burst(frames);
    }
    /// The device's flush, not collected.
    void flush() override {
        const collection_paused paused;
        _d.flush();
    }
    /// The device's alloc_burst, not collected.
    size_t alloc_burst(std::span<packet> out) override {
        const collection_paused paused;
        return _d.alloc_burst(out);
    }
    /// The device's capabilities.
    const device_caps& capabilities() const override { return _d.capabilities(); }
    /// The device's multicast filter.
    result<void> set_multicast_filter(std::span<const mac_address> groups) override {
        return _d.set_multicast_filter(groups);
    }
    /// The device's counters.
    const device_stats& stats() const override { return _d.stats(); }

private:
    device& _d;
};

/// The loop's collection switch, kept out of line: the measured echoes then carry the same few
/// instructions of it as they always have, so per-echo figures stay comparable across versions.
[[gnu::noinline]] inline void switch_collection(bool on) { collect(on); }

/// Two stacks joined by the memory link, their device calls not collected: `a` at --src (the
/// client or sender), `b` at --dst (the server or receiver).
class mem_stacks {
public:
    /// Builds the link; the stacks come with build().
    mem_stacks() : _link(_lc), _da(_link.a()), _db(_link.b()) {}
    /// Builds both stacks from `ca` and `cb`, with their addresses and each other's static ARP
    /// entry set from --src and --dst; false after saying why not.
    bool build(const bench_options& o, stack_config ca, stack_config cb) {
        ca.address = ipv4_cidr{o.src, 24};
        cb.address = ipv4_cidr{o.dst, 24};
        ca.static_arp.push_back({o.dst, _lc.mac_b});
        cb.static_arp.push_back({o.src, _lc.mac_a});
        auto a = stack::create(ca, _da);
        auto b = stack::create(cb, _db);
        if (!a || !b) {
            std::fprintf(stderr, "tachyon-bench: cannot build the stacks\n");
            return false;
        }
        _a = std::move(a.value());
        _b = std::move(b.value());
        return true;
    }
    /// The stack at --src.
    stack& a() { return *_a; }
    /// The stack at --dst.
    stack& b() { return *_b; }

private:
    memory_link_config _lc;
    memory_link _link;
    excluding_device _da, _db;
    std::unique_ptr<stack> _a, _b;
};

} // namespace tachyon::bench
