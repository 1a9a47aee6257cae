#pragma once
/// The fuzz harness's test bench: a stack on port b of a memory link, driven on a manual clock;
/// the harness plays every other host on port a. Every frame the stack sends is taken off the
/// link at once and checked by the transmit oracle (frame_check.hpp) before anyone sees it.

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"
#include "support/frame_check.hpp"

namespace tachyon::fuzz {

/// The stack's address.
inline constexpr ipv4_address our_ip{198, 18, 0, 2};
/// The peer's address (a static ARP entry: the harness never has to answer ARP for it).
inline constexpr ipv4_address peer_ip{198, 18, 0, 1};
/// The peer's MAC: memory link port a.
inline constexpr mac_address peer_mac{{0x02, 0, 0, 0, 0, 0x01}};
/// The stack's MAC: memory link port b.
inline constexpr mac_address our_mac{{0x02, 0, 0, 0, 0, 0x02}};
/// Frames the stack may keep from its device between polls (stack::_spare).
inline constexpr size_t stack_spare_frames = 32;

/// The configuration the harness runs the stack with: small tables, buffers and timeouts, so
/// that every limit and every timer is within reach of a short input.
stack_config rig_config();

/// A stack over the memory link, its clock, and the capture of what it sends. The link outlives
/// the rig (one per process, reused by every run), so only one rig may exist at a time.
class stack_rig {
public:
    /// Called for each frame the stack sent, after the transmit oracle passed it.
    using sent_handler = std::function<void(const sent_frame& f, std::span<const std::byte> frame)>;

    /// Builds and starts a stack with `config` (which must be valid).
    explicit stack_rig(const stack_config& config);
    stack_rig(const stack_rig&) = delete;
    stack_rig& operator=(const stack_rig&) = delete;
    ~stack_rig();

    /// The stack (valid until `destroy_and_check_pools`).
    stack& st() { return *_st; }
    /// The current time.
    instant now() const { return _clock.now(); }
    /// Sets who sees the frames the stack sends.
    void on_sent(sent_handler h) { _on_sent = std::move(h); }

    /// Puts a frame from the peer into the stack's receive queue (no poll); false when port a's
    /// pool is empty, the frame is too long for a buffer, or the queue is full.
    bool inject(std::span<const std::byte> frame);
    /// One poll at the current time, then `collect`.
    void poll();
    /// Moves the clock forward by `d`, then `poll`.
    void advance(duration d);
    /// Checks every frame the stack sent since the last call and hands each to the handler.
    void collect();

    /// Once everything is closed and quiet: every buffer of port a (frames the stack received)
    /// is back in its pool, and of port b's at most the stack's spare frames are out.
    void check_pools_quiet();
    /// Destroys the stack, then checks that every buffer of both pools came back.
    void destroy_and_check_pools();

    /// An Ethernet frame from the peer's MAC.
    static std::vector<std::byte> ethernet(const mac_address& dst, uint16_t ethertype,
                                           std::span<const std::byte> payload);
    /// An Ethernet frame carrying an IPv4 packet (20-byte header, checksum right) around `l4`.
    static std::vector<std::byte> ipv4(ipv4_address src, ipv4_address dst, uint8_t protocol,
                                       std::span<const std::byte> l4, uint8_t ttl = 64);

private:
    manual_clock _clock;
    memory_link& _link; // shared by every run (see stack_rig.cpp)
    std::unique_ptr<stack> _st;
    sent_handler _on_sent;
};

} // namespace tachyon::fuzz
