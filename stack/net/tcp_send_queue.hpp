#pragma once
/// A TCP connection's send queue: application data in frames, one segment each, from SND.UNA
/// on. Entries [0, in_flight()) have been sent, the rest wait. A (re)transmission writes
/// headers in front of an entry's payload and sends a reference to its frame, so nothing is
/// copied; an entry leaves only when the cumulative ACK covers it (never overwritten: the oldest
/// entry holds unacknowledged data). Each entry carries the RFC 6675 scoreboard bits and the
/// send times RACK (RFC 8985) and Karn's rule (RFC 6298 §3) need.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/core/time.hpp"
#include "stack/wire/seq.hpp"

namespace tachyon {

/// One queued segment.
struct tcp_tx_entry {
    packet frame;              ///< headers are written in front of the payload when sent
    wire::seq32 seq;           ///< sequence number of the first payload byte
    uint32_t offset = 0;       ///< payload start within the buffer's room
    uint32_t len = 0;          ///< payload bytes
    instant sent_at;           ///< first transmission (RTT sample, Karn's rule)
    instant last_sent;         ///< latest transmission (RFC 8985 RACK)
    uint8_t transmissions = 0; ///< 0: not sent yet
    bool sacked = false;       ///< RFC 6675 scoreboard: the peer holds it (SACK block)
    bool lost = false;         ///< RFC 6675 §4 IsLost
    bool rexmit = false;       ///< retransmitted in the current recovery (below HighRxt)
    /// The sequence number after its last byte.
    wire::seq32 end() const { return seq + len; }
};

/// A fixed ring of `tcp_tx_entry`; no allocation after construction.
class tcp_send_queue {
public:
    /// Room for `slots` segments.
    explicit tcp_send_queue(size_t slots) : _ring(slots) {}

    /// Drops every entry; the next byte queued gets sequence number `next_seq`.
    void reset(wire::seq32 next_seq);
    /// Queues `frame`'s whole content as one segment's payload (its headroom must hold the
    /// headers); false, the frame untouched, when no slot is free.
    bool push(packet&& frame);
    /// The last entry when it is unsent and its payload may still grow to `mss` bytes.
    tcp_tx_entry* growable_tail(uint32_t mss);
    /// Bytes `growable_tail(mss)` may still take.
    size_t tail_room(uint32_t mss) const;
    /// Grows the tail entry by `n` bytes written after its payload.
    void extend_tail(size_t n);
    /// Removes what `ack` acknowledges: whole entries (each shown to `on_acked` first, then
    /// released) and the front of a partly acknowledged one.
    template <class F>
    void take_acked(wire::seq32 ack, F&& on_acked);
    /// Counts the next unsent entry as sent (SND.NXT moves past it).
    void mark_sent() { ++_sent; }
    /// After a retransmission timeout every entry counts as unsent again (go-back-N).
    void rewind() { _sent = 0; }

    /// The `i`-th entry from the oldest.
    tcp_tx_entry& at(size_t i) { return _ring[index(i)]; }
    /// The `i`-th entry from the oldest.
    const tcp_tx_entry& at(size_t i) const { return _ring[index(i)]; }
    /// Entries queued.
    size_t size() const { return _count; }
    /// Entries sent at least once since the last rewind (they come first).
    size_t in_flight() const { return _sent; }
    /// True when an entry waits to be sent.
    bool has_unsent() const { return _sent < _count; }
    /// Payload bytes queued, sent or not.
    size_t bytes() const { return _bytes; }
    /// The sequence number after the last queued byte.
    wire::seq32 end() const { return _end; }
    /// Entries the ring holds at most.
    size_t capacity() const { return _ring.size(); }
    /// True when `push` would succeed.
    bool slot_free() const { return _count < _ring.size(); }

private:
    size_t index(size_t i) const {
        const size_t j = _head + i;
        return j >= _ring.size() ? j - _ring.size() : j;
    }
    std::vector<tcp_tx_entry> _ring;
    size_t _head = 0, _count = 0, _sent = 0;
    size_t _bytes = 0;
    wire::seq32 _end;
};

template <class F>
void tcp_send_queue::take_acked(wire::seq32 ack, F&& on_acked) {
    while (_count > 0) {
        tcp_tx_entry& e = _ring[_head];
        if (e.end() <= ack) {
            on_acked(e);
            _bytes -= e.len;
            e.frame.reset();
            e.transmissions = 0;
            _head = index(1);
            --_count;
            if (_sent > 0) --_sent;
            continue;
        }
        if (e.seq < ack) {
            // Part of a segment acknowledged: the rest stays, in the same buffer.
            const uint32_t n = uint32_t(ack - e.seq);
            e.seq += n;
            e.offset += n;
            e.len -= n;
            _bytes -= n;
        }
        return;
    }
}

} // namespace tachyon
