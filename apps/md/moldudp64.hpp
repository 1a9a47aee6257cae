#pragma once
/// MoldUDP64 1.00 (NASDAQ, "MoldUDP64 Protocol Specification" v1.00): the downstream packet
/// (header, then message blocks) and the request packet sent to the retransmission server.
///
/// Downstream packet (spec "Downstream Packet Header"), all integers big-endian:
///
///     offset 0  Session          10 bytes, alphanumeric
///     offset 10 Sequence Number   8 bytes, the sequence number of the first message
///     offset 18 Message Count     2 bytes: 0 heartbeat, 0xFFFF end of session
///     offset 20 Message Blocks   each: Message Length (2 bytes) + that many bytes
///
/// Request packet (spec "Request Packet"): Session (10), Sequence Number (8), Requested Message
/// Count (2); 20 bytes exactly.
///
/// `mold_packet::parse` validates the whole datagram before anything reads a block: every
/// block lies inside the datagram, the count matches the blocks, nothing trails them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "apps/md/field_io.hpp"

namespace tachyon::md {

/// The 10-byte session name.
using mold_session = std::array<char, 10>;

/// Length of the downstream header and of a request packet.
inline constexpr size_t mold_header_len = 20;
/// Message Count of a heartbeat (spec "Heartbeats").
inline constexpr uint16_t mold_heartbeat = 0;
/// Message Count of an end-of-session packet (spec "End of Session Message").
inline constexpr uint16_t mold_end_of_session = 0xFFFF;

/// Why a datagram is not a valid MoldUDP64 packet.
enum class mold_error : uint8_t {
    ok,                ///< valid
    truncated,         ///< shorter than the 20-byte header
    block_past_end,    ///< a block's length field or data runs past the datagram (count too large)
    trailing_bytes,    ///< bytes left after the counted blocks (or after a heartbeat / end of session)
    wrong_length,      ///< a request packet that is not 20 bytes
};

/// A name for `e` (counters, logs).
const char* to_string(mold_error e);

/// What a downstream packet is.
enum class mold_kind : uint8_t {
    data,           ///< carries `count` messages
    heartbeat,      ///< count 0: no messages, `sequence` is the next one expected
    end_of_session, ///< count 0xFFFF: no messages, `sequence` is the next one expected
};

/// The header fields of a downstream packet or a request.
struct mold_header {
    mold_session session{};  ///< session name
    uint64_t sequence = 0;   ///< sequence number of the first message (or the next expected)
    uint16_t count = 0;      ///< message count (downstream) or requested count (request)

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.session);
        io(s.sequence);
        io(s.count);
    }
    /// Equal when every field is.
    friend bool operator==(const mold_header&, const mold_header&) = default;
};

/// A validated downstream packet: the header and a view of its message blocks.
struct mold_packet {
    mold_header header;                ///< the header
    std::span<const std::byte> blocks; ///< the message blocks, validated

    /// Parses and validates `datagram` into `out`; `out.blocks` views into `datagram`.
    static mold_error parse(std::span<const std::byte> datagram, mold_packet& out);
    /// What the packet is (from its count).
    mold_kind kind() const {
        if (header.count == mold_heartbeat) return mold_kind::heartbeat;
        if (header.count == mold_end_of_session) return mold_kind::end_of_session;
        return mold_kind::data;
    }
    /// Messages carried (0 for heartbeats and end of session).
    uint16_t messages() const { return kind() == mold_kind::data ? header.count : 0; }
};

/// Walks the message blocks of a validated packet: `while (it.next(msg)) ...`.
class mold_block_iterator {
public:
    /// An iterator over `p`'s blocks.
    explicit mold_block_iterator(const mold_packet& p) : _rest(p.blocks) {}
    /// The next message's bytes into `msg`; false after the last.
    bool next(std::span<const std::byte>& msg) {
        if (_rest.size() < 2) return false;
        const size_t len = wire::load_be16(_rest.data());
        msg = _rest.subspan(2, len);
        _rest = _rest.subspan(2 + len);
        return true;
    }

private:
    std::span<const std::byte> _rest;
};

/// Builds a downstream packet in `out`: the header, then blocks appended one by one.
class mold_packet_builder {
public:
    /// A packet of `session` starting at `sequence`, written into `out` (at least 20 bytes).
    mold_packet_builder(std::span<std::byte> out, const mold_session& session, uint64_t sequence);
    /// Appends one message block; false (and nothing written) when it does not fit.
    bool append(std::span<const std::byte> message);
    /// Writes the header with the count of blocks appended; returns the packet's bytes.
    std::span<const std::byte> finish();
    /// Writes the header with `count` as the Message Count (0 heartbeat, 0xFFFF end of
    /// session, or a wrong one for tests); returns the packet's bytes.
    std::span<const std::byte> finish_as(uint16_t count);
    /// Blocks appended.
    uint16_t count() const { return _count; }

private:
    std::span<std::byte> _out;
    mold_header _header;
    size_t _len = mold_header_len;
    uint16_t _count = 0;
};

/// A retransmission request (spec "Request Packet").
struct mold_request {
    mold_header header; ///< session, first sequence wanted, count wanted

    /// Parses a 20-byte request.
    static mold_error parse(std::span<const std::byte> datagram, mold_request& out);
    /// Writes the 20 bytes into `out` (at least 20); returns the length.
    size_t emit(std::span<std::byte> out) const;
};

} // namespace tachyon::md
