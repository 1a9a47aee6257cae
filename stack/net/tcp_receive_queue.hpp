#pragma once
/// A TCP connection's receive side buffers: the in-order queue the application reads in place,
/// and the segments held beyond a gap (RFC 9293 §3.10.7.4 "segments with higher beginning
/// sequence numbers may be held"), with the SACK blocks that describe them (RFC 2018 §4).
/// Sequence numbers stay the TCB's: the queue is told RCV.NXT and moves it as gaps fill.

#include <cstddef>
#include <span>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/buf/packet_ring.hpp"
#include "stack/net/tcp_stats.hpp"
#include "stack/wire/seq.hpp"
#include "stack/wire/tcp.hpp"

namespace tachyon {

/// In-order and out-of-order received data of one connection; fixed capacity, no allocation
/// after construction.
class tcp_receive_queue {
public:
    /// Room for `in_order_frames` frames the application has not read and `out_of_order`
    /// segments beyond a gap; drops are counted in `stats`.
    tcp_receive_queue(size_t in_order_frames, size_t out_of_order, tcp_stats& stats)
        : _rx(in_order_frames), _ooo(out_of_order), _stats(stats) {}

    /// The bytes waiting at the head (one frame's worth, contiguous).
    std::span<const std::byte> readable() const;
    /// Takes `n` bytes (at most `readable().size()`) off the head.
    void consume(size_t n);
    /// Bytes the application may read.
    size_t bytes() const { return _rx_bytes; }
    /// Bytes held beyond a gap.
    size_t out_of_order_bytes() const { return _ooo_bytes; }
    /// Segments held beyond a gap.
    size_t out_of_order_count() const { return _ooo_count; }

    /// True when `len` more in-order bytes have a place (a free slot, or room at the tail).
    bool can_append(size_t len) const;
    /// Appends the in-order payload at RCV.NXT (the caller checked `can_append`); a small one
    /// is copied onto the tail frame when it has room, so a slow reader of small messages does
    /// not hold a buffer per message.
    void append(packet&& payload);
    /// Holds `payload`, which starts at `seq` beyond a gap (bounded: a full store counts
    /// `drop_out_of_order_full`; an exact duplicate is ignored).
    void hold(wire::seq32 seq, packet&& payload);
    /// Moves held segments that now start at or below `rcv_nxt` into the in-order queue,
    /// advancing `rcv_nxt` past them. True when anything was held before the call.
    bool pull(wire::seq32& rcv_nxt);
    /// Writes SACK blocks for the held segments into `o` (RFC 2018 §4: the block holding the
    /// most recently received segment first), each clipped to start at `rcv_nxt` or above;
    /// nothing when none is held.
    void fill_sack(wire::tcp_options& o, wire::seq32 rcv_nxt) const;
    /// Drops everything (the connection ended).
    void clear();

private:
    struct held {
        wire::seq32 seq;
        packet frame; // trimmed to the payload
    };
    packet_ring _rx;
    size_t _rx_bytes = 0;
    std::vector<held> _ooo; // sorted by seq; [0, _ooo_count) used
    size_t _ooo_count = 0;
    size_t _ooo_bytes = 0;
    wire::seq32 _last_ooo_seq;
    tcp_stats& _stats;
};

} // namespace tachyon
