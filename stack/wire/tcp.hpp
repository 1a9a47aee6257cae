#pragma once
/// The TCP header and its options. Read RFC 9293 §3.1 (header format, the checksum and its pseudo
/// header), §3.2 (options; MUST-6: unknown options are skipped by their length; MUST-7: an illegal
/// option length is an error), RFC 7323 §2-§3 (window scale, timestamps; Appendix A for the
/// NOP NOP TS layout a receiver can predict) and RFC 2018 (SACK-permitted and SACK).
///
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-------------------------------+-------------------------------+
/// |          Source Port          |       Destination Port        |
/// +-------------------------------+-------------------------------+
/// |                        Sequence Number                        |
/// +---------------------------------------------------------------+
/// |                    Acknowledgment Number                      |
/// +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// |       |       |R|E|G|K|H|T|N|N|                               |
/// +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
/// |           Checksum            |         Urgent Pointer        |
/// +-------------------------------+-------------------------------+
/// |                    Options (0-40 bytes)                       |
/// +---------------------------------------------------------------+
/// |                          payload ...                          |
///
/// TCP has no length field: the segment is the whole IP payload and the payload is everything
/// after Data Offset * 4 bytes. The checksum is always present (a zero is just a value) and covers
/// the pseudo header (source, destination, zero, protocol 6, TCP length), header and payload.
/// The four reserved bits (one of them AccECN's AE, RFC 9768) are ignored on parse and sent as 0.
///
/// Options are emitted in the layout Linux uses (net/ipv4/tcp_output.c, `tcp_options_write`), so
/// every option sits on a 4-byte boundary and segments look the same as the kernel's to
/// middleboxes and to a header-predicting receiver:
///   MSS                    02 04 mm mm
///   timestamps             04 02 08 0a <TSval> <TSecr> (with SACK-permitted)
///                       or 01 01 08 0a <TSval> <TSecr> (without)
///   SACK-permitted         01 01 04 02 (only when there are no timestamps)
///   window scale           01 03 03 ss
///   SACK                   01 01 05 ll <left right>... (as many blocks as fit in 40 bytes)

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "stack/core/addr.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/error.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/seq.hpp"

namespace tachyon::wire {

/// The control bits of byte 13 (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1).
namespace tcp_flags {
/// No more data from the sender.
inline constexpr uint8_t fin = 0x01;
/// Synchronize sequence numbers.
inline constexpr uint8_t syn = 0x02;
/// Reset the connection.
inline constexpr uint8_t rst = 0x04;
/// Push function.
inline constexpr uint8_t psh = 0x08;
/// The acknowledgment field is significant.
inline constexpr uint8_t ack = 0x10;
/// The urgent pointer field is significant.
inline constexpr uint8_t urg = 0x20;
/// ECN-Echo (RFC 3168).
inline constexpr uint8_t ece = 0x40;
/// Congestion Window Reduced (RFC 3168).
inline constexpr uint8_t cwr = 0x80;
} // namespace tcp_flags

/// Option kinds this stack reads or writes (IANA "TCP Option Kind Numbers").
namespace tcp_option_kind {
/// End of option list (RFC 9293 §3.2): the rest of the option space is padding.
inline constexpr uint8_t eol = 0;
/// No-operation (RFC 9293 §3.2): one byte of padding between options.
inline constexpr uint8_t nop = 1;
/// Maximum segment size, length 4 (RFC 9293 §3.2, §3.7.1).
inline constexpr uint8_t mss = 2;
/// Window scale, length 3 (RFC 7323 §2).
inline constexpr uint8_t window_scale = 3;
/// SACK permitted, length 2 (RFC 2018 §2).
inline constexpr uint8_t sack_permitted = 4;
/// SACK blocks, length 2 + 8n (RFC 2018 §3).
inline constexpr uint8_t sack = 5;
/// Timestamps, length 10 (RFC 7323 §3).
inline constexpr uint8_t timestamps = 8;
} // namespace tcp_option_kind

/// What `tcp_repr::emit` writes in the checksum field. (TCP has no "no checksum", unlike UDP's
/// `udp_checksum_mode::none`, and sends a computed 0 as 0, so it has its own enum.)
enum class tcp_checksum_mode : uint8_t {
    full,    ///< the final checksum over pseudo header, header and payload
    offload, ///< the folded pseudo-header sum, not complemented, for a NIC with tx L4 checksum offload
};

/// The options of one segment as plain values (no allocation, no std::optional).
struct tcp_options {
    bool has_mss = false;          ///< an MSS option is present (RFC 9293 §3.2; SYN only)
    uint16_t mss = 0;              ///< the largest segment the sender can receive
    bool has_window_scale = false; ///< a window scale option is present (RFC 7323 §2; SYN only)
    uint8_t window_scale = 0;      ///< the shift count, 0..14 (larger values are read as 14)
    bool sack_permitted = false;   ///< SACK-permitted is present (RFC 2018 §2; SYN only)
    bool has_timestamps = false;   ///< a timestamps option is present (RFC 7323 §3)
    uint32_t ts_val = 0;           ///< TSval: the sender's timestamp clock
    uint32_t ts_ecr = 0;           ///< TSecr: the TSval echoed back (meaningful when ACK is set)
    uint8_t sack_count = 0;        ///< how many of `sack_blocks` are in use, 0..4 (RFC 2018 §3)
    /// SACK blocks as (left edge, right edge): the first byte received and the one after the
    /// last. Entries at and past `sack_count` are zero after `parse`.
    std::array<std::pair<seq32, seq32>, 4> sack_blocks{};

    /// The largest shift count RFC 7323 §2.3 allows; a larger one is read as this.
    static constexpr uint8_t max_window_scale = 14;
    /// The most SACK blocks one option can hold (2 + 8 * 4 = 34 of the 40 option bytes).
    static constexpr size_t max_sack_blocks = 4;
    /// The most option bytes a header holds (data offset 15: 60 - 20).
    static constexpr size_t max_len = 40;

    /// Reads the option bytes of a header (from byte 20 to data offset * 4) into `out`, the general
    /// way: NOP skipped, EOL ends the list (anything after it is padding, never looked at), unknown
    /// kinds skipped by their length (RFC 9293 §3.2 MUST-6), a later copy of an option overriding an
    /// earlier one. bad_option when an option other than EOL/NOP has no length byte, a length < 2,
    /// or one running past the option bytes (RFC 9293 §3.2 MUST-7), or when a known option has the
    /// wrong length (MSS != 4, window scale != 3, SACK-permitted != 2, timestamps != 10, SACK not
    /// 2 + 8n with n >= 1). A window scale above 14 is read as 14 (RFC 7323 §2.3), not rejected.
    /// `out` is written only on success (reset to defaults, then filled).
    [[nodiscard]] static wire_error parse(std::span<const std::byte> bytes, tcp_options& out);

    /// How many SACK blocks `emit` writes: `sack_count`, less those that do not fit in the 40 option
    /// bytes after the other options (3 with timestamps, 2 with MSS, timestamps and window scale).
    /// The first blocks are kept: RFC 2018 §4 puts the most recent one first.
    [[nodiscard]] size_t emitted_sack_count() const {
        const size_t used = fixed_len();
        const size_t fit = used + 4 + 8 <= max_len ? (max_len - used - 4) / 8 : 0;
        return std::min({size_t(sack_count), fit, max_sack_blocks});
    }

    /// Bytes `emit` writes: a multiple of 4, at most 40.
    [[nodiscard]] size_t emitted_len() const {
        const size_t blocks = emitted_sack_count();
        return fixed_len() + (blocks == 0 ? 0 : 4 + 8 * blocks);
    }

    /// Writes the options present at `p` in Linux's layout (see the file comment): emitted_len()
    /// bytes, 4-byte aligned, NOP-padded, no EOL.
    void emit(std::byte* p) const {
        if (has_mss) {
            store_be32(p, 0x02040000u | mss);
            p += 4;
        }
        if (has_timestamps) {
            store_be32(p, sack_permitted ? 0x0402080au : 0x0101080au);
            store_be32(p + 4, ts_val);
            store_be32(p + 8, ts_ecr);
            p += 12;
        } else if (sack_permitted) {
            store_be32(p, 0x01010402u);
            p += 4;
        }
        if (has_window_scale) {
            assert(window_scale <= max_window_scale);
            store_be32(p, 0x01030300u | window_scale);
            p += 4;
        }
        const size_t blocks = emitted_sack_count();
        if (blocks != 0) {
            store_be32(p, 0x01010500u | uint32_t(2 + 8 * blocks));
            p += 4;
            for (size_t i = 0; i < blocks; ++i, p += 8) {
                store_be32(p, sack_blocks[i].first.value());
                store_be32(p + 4, sack_blocks[i].second.value());
            }
        }
    }

    /// Field-wise equality (all four SACK slots compared).
    bool operator==(const tcp_options&) const = default;

private:
    /// Bytes of everything but SACK blocks in the emitted layout.
    [[nodiscard]] size_t fixed_len() const {
        size_t n = has_mss ? 4 : 0;
        if (has_timestamps) {
            n += 12; // SACK-permitted rides in the timestamps word
        } else if (sack_permitted) {
            n += 4;
        }
        if (has_window_scale) n += 4;
        return n;
    }
};

/// A TCP header as a value.
struct tcp_repr {
    uint16_t src_port = 0;   ///< the sender's port (never 0)
    uint16_t dst_port = 0;   ///< the receiver's port (never 0)
    seq32 seq{};             ///< the sequence number of the first octet (of the SYN, when SYN is set)
    seq32 ack{};             ///< the next sequence number the sender expects (meaningful with ACK)
    uint8_t flags = 0;       ///< control bits, an OR of `tcp_flags::`
    uint16_t window = 0;     ///< the window as on the wire (not yet scaled, RFC 7323 §2.2)
    uint16_t checksum = 0;   ///< the checksum as received (ignored by `emit`)
    uint16_t urgent = 0;     ///< the urgent pointer (meaningful with URG)
    uint8_t header_len = 20; ///< header bytes including options as received, 20..60 (ignored by `emit`)
    tcp_options options{};   ///< the options

    /// Bytes in a header without options.
    static constexpr size_t min_header_len = 20;
    /// The largest header: data offset 15.
    static constexpr size_t max_header_len = 60;

    /// Reads the segment in `segment`, the whole IP payload (TCP has no length of its own). Checks,
    /// in this order: truncated (< 20 bytes); bad_header_length (data offset < 5, or data offset * 4
    /// > segment.size()); bad_checksum (when verify_checksum and pseudo header + segment do not sum
    /// to 0xffff; always required for TCP, RFC 9293 §3.1 MUST-2/MUST-3, a zero checksum is not
    /// special); bad_port (source or destination port 0); bad_option (see `tcp_options::parse`). The
    /// checksum comes before the port and options so that corruption counts as corruption. `src`/
    /// `dst` are the IPv4 addresses of the pseudo header. `out` is written only on success.
    ///
    /// Fast path: options that are exactly NOP NOP timestamps (what every established Linux segment
    /// carries, RFC 7323 Appendix A) are read with one compare and two loads, and no options at all
    /// with none; anything else goes through the general option loop.
    [[nodiscard]] static wire_error parse(std::span<const std::byte> segment, ipv4_address src,
                                          ipv4_address dst, tcp_repr& out, bool verify_checksum = true) {
        const size_t size = segment.size();
        if (size < min_header_len) [[unlikely]]
            return wire_error::truncated;
        const std::byte* p = segment.data();
        const size_t hlen = size_t(uint8_t(p[12]) >> 4) * 4;
        if (hlen < min_header_len || hlen > size) [[unlikely]]
            return wire_error::bad_header_length;
        if (verify_checksum && checksum_fold(checksum_partial(segment, pseudo_sum(src, dst, size))) != 0)
            [[unlikely]]
            return wire_error::bad_checksum;
        const uint16_t sport = load_be16(p);
        const uint16_t dport = load_be16(p + 2);
        if (sport == 0 || dport == 0) [[unlikely]]
            return wire_error::bad_port;
        tcp_options opts;
        const std::span<const std::byte> raw = segment.subspan(min_header_len, hlen - min_header_len);
        if (raw.size() == 12 && load_be32(raw.data()) == nop_nop_timestamps) [[likely]] {
            opts.has_timestamps = true;
            opts.ts_val = load_be32(raw.data() + 4);
            opts.ts_ecr = load_be32(raw.data() + 8);
        } else if (!raw.empty()) {
            if (const wire_error e = tcp_options::parse(raw, opts); e != wire_error::ok) [[unlikely]]
                return e;
        }
        out.src_port = sport;
        out.dst_port = dport;
        out.seq = seq32{load_be32(p + 4)};
        out.ack = seq32{load_be32(p + 8)};
        out.flags = uint8_t(p[13]);
        out.window = load_be16(p + 14);
        out.checksum = load_be16(p + 16);
        out.urgent = load_be16(p + 18);
        out.header_len = uint8_t(hlen);
        out.options = opts;
        return wire_error::ok;
    }

    /// True when every bit of `f` (an OR of `tcp_flags::`) is set.
    [[nodiscard]] bool has(uint8_t f) const { return (flags & f) == f; }

    /// SEG.LEN (RFC 9293 §3.4): the sequence octets this segment occupies, its payload plus one
    /// for SYN and one for FIN.
    [[nodiscard]] uint32_t segment_len(size_t payload_len) const {
        return uint32_t(payload_len) + ((flags & tcp_flags::syn) != 0 ? 1 : 0) +
               ((flags & tcp_flags::fin) != 0 ? 1 : 0);
    }

    /// Bytes of options `emit` writes, padded to a multiple of 4 (see `tcp_options::emitted_len`).
    [[nodiscard]] size_t options_len() const { return options.emitted_len(); }

    /// Bytes of header `emit` writes: 20 + options_len().
    [[nodiscard]] size_t emitted_header_len() const { return min_header_len + options_len(); }

    /// The payload inside `segment` (the bytes this header was parsed from): all after header_len.
    [[nodiscard]] std::span<const std::byte> payload(std::span<const std::byte> segment) const {
        assert(segment.size() >= header_len);
        return segment.subspan(header_len);
    }

    /// Where `emit` expects the payload inside `segment`: `payload_len` bytes after
    /// emitted_header_len(). Fill it, then `emit` the header in front of it.
    [[nodiscard]] std::span<std::byte> payload_mut(std::span<std::byte> segment, size_t payload_len) const {
        assert(segment.size() >= emitted_header_len() + payload_len);
        return segment.subspan(emitted_header_len(), payload_len);
    }

    /// Writes the header and options (emitted_header_len() bytes; `header_len` and `checksum` are
    /// ignored) at the front of `out`, whose next `payload_len` bytes must already hold the payload,
    /// then the checksum `mode` asks for: the full one over pseudo header + header + payload (a
    /// computed 0 is sent as 0), or with `offload` the pseudo-header sum as Linux leaves it for
    /// CHECKSUM_PARTIAL, so a NIC that sums header + payload and stores the complement there ends
    /// with the full checksum. `src`/`dst` are the IPv4 addresses of the pseudo header.
    void emit(std::span<std::byte> out, ipv4_address src, ipv4_address dst, size_t payload_len,
              tcp_checksum_mode mode = tcp_checksum_mode::full) const {
        const size_t hlen = emitted_header_len();
        const size_t len = hlen + payload_len;
        assert(out.size() >= len && len <= 0xffff);
        std::byte* p = out.data();
        store_be16(p, src_port);
        store_be16(p + 2, dst_port);
        store_be32(p + 4, seq.value());
        store_be32(p + 8, ack.value());
        p[12] = std::byte(uint8_t((hlen / 4) << 4));
        p[13] = std::byte{flags};
        store_be16(p + 14, window);
        store_be16(p + 16, 0);
        store_be16(p + 18, urgent);
        options.emit(p + min_header_len);
        const uint32_t pseudo = pseudo_sum(src, dst, len);
        switch (mode) {
        case tcp_checksum_mode::full:
            store_be16(p + 16, checksum_fold(checksum_partial(out.first(len), pseudo)));
            break;
        case tcp_checksum_mode::offload:
            store_be16(p + 16, uint16_t(~checksum_fold(pseudo)));
            break;
        }
    }

    /// Field-wise equality.
    bool operator==(const tcp_repr&) const = default;

private:
    /// The first word of NOP NOP TS: the option layout of the parse fast path.
    static constexpr uint32_t nop_nop_timestamps = 0x0101080au;

    /// The pseudo-header sum for a segment of `len` bytes (RFC 9293 §3.1), unfolded.
    [[nodiscard]] static uint32_t pseudo_sum(ipv4_address src, ipv4_address dst, size_t len) {
        return pseudo_header_sum(src, dst, ip_protocol::tcp, 0) + uint32_t(len);
    }
};

} // namespace tachyon::wire
