#pragma once
/// SoupBinTCP 3.00 (NASDAQ, "SoupBinTCP Version 3.00", February 2017): the logical packets a
/// client and a server exchange over one TCP connection. Packets are cited by the names of
/// the specification's packet tables ("Login Accepted Packet", ...).
///
/// Every packet (§1.1 "SoupBinTCP Logical Packets") is a Packet Length (2 bytes, big-endian:
/// the bytes that follow it, so the type byte plus the payload), a Packet Type (1 byte) and a
/// payload:
///
///     '+' Debug              either side  free text
///     'A' Login Accepted     server       Session (10 Alpha), Sequence Number (20 Numeric)
///     'J' Login Rejected     server       Reject Reason Code (1): 'A' not authorized,
///                                          'S' session not available
///     'S' Sequenced Data     server       one message of the higher-level protocol
///     'H' Server Heartbeat   server       (none)
///     'Z' End of Session     server       (none)
///     'L' Login Request      client       Username (6 Alpha), Password (10 Alpha),
///                                          Requested Session (10 Alpha),
///                                          Requested Sequence Number (20 Numeric)
///     'U' Unsequenced Data   client       one message of the higher-level protocol
///     'R' Client Heartbeat   client       (none)
///     'O' Logout Request     client       (none)
///
/// Field types (the packet tables): Alpha is left-justified and padded on the right with
/// spaces; Numeric is ASCII decimal digits, right-justified and padded on the left with spaces.
///
/// `soup_packet::parse` checks one whole packet (its length field, a known type, the exact
/// length of the fixed-size types); `soup_parse<P>` then decodes a fixed-size body, Numeric
/// fields included. Emit is symmetric: the same field lists (`visit`) drive both.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "apps/md/field_io.hpp"

namespace tachyon::oe {

/// Packet Type byte (the packet tables).
enum class soup_type : char {
    debug = '+',            ///< Debug Packet, either direction
    login_accepted = 'A',   ///< Login Accepted Packet
    login_rejected = 'J',   ///< Login Rejected Packet
    sequenced_data = 'S',   ///< Sequenced Data Packet
    server_heartbeat = 'H', ///< Server Heartbeat Packet
    end_of_session = 'Z',   ///< End of Session Packet
    login_request = 'L',    ///< Login Request Packet
    unsequenced_data = 'U', ///< Unsequenced Data Packet
    client_heartbeat = 'R', ///< Client Heartbeat Packet
    logout_request = 'O',   ///< Logout Request Packet
};

/// Bytes of the Packet Length field.
inline constexpr size_t soup_length_bytes = 2;
/// Bytes before the payload: Packet Length and Packet Type.
inline constexpr size_t soup_header_len = 3;
/// The largest Packet Length the 16-bit field can say.
inline constexpr size_t soup_max_length = 0xFFFF;

/// Why bytes are not a valid SoupBinTCP packet (or why a stream stopped).
enum class soup_error : uint8_t {
    ok,              ///< valid
    truncated,       ///< fewer bytes than the header, or than the Packet Length says
    trailing_bytes,  ///< more bytes than the Packet Length says
    zero_length,     ///< Packet Length 0: no type byte (a stream cannot resynchronise)
    oversize,        ///< Packet Length above the receiver's limit (a stream cannot resynchronise)
    unknown_type,    ///< a Packet Type the specification does not define
    wrong_length,    ///< a fixed-size packet whose length differs from its type's
    bad_number,      ///< a Numeric field that is not space-padded ASCII digits below 2^64
};

/// A name for `e` (counters, logs).
const char* to_string(soup_error e);
/// A name for `t` ("login_accepted", ...), or "unknown".
const char* to_string(soup_type t);
/// True when `c` is a Packet Type of SoupBinTCP 3.00.
bool soup_known_type(char c);
/// True for the types only a server sends ("Packets Sent by the Server"); false for Debug.
bool soup_sent_by_server(soup_type t);
/// True for the types only a client sends ("Packets Sent by the Client"); false for Debug.
bool soup_sent_by_client(soup_type t);
/// The reason code of a Login Rejected in words Packet, or "unknown reason code".
const char* soup_reject_reason_text(char code);

/// A 20-byte Numeric field's value.
struct soup_number {
    uint64_t value = 0; ///< the decimal value
    /// Equal when the values are.
    friend bool operator==(soup_number, soup_number) = default;
};

/// Width of every Numeric field of SoupBinTCP 3.00 (the sequence numbers).
inline constexpr size_t soup_number_width = 20;

/// Decodes a Numeric field: optional leading spaces, then one or more digits to the end.
bool soup_decode_number(const std::array<char, soup_number_width>& text, uint64_t& value);
/// Encodes `value` right-justified, padded on the left with spaces.
std::array<char, soup_number_width> soup_encode_number(uint64_t value);

/// `md::field_reader` plus Numeric fields; remembers whether one was malformed.
class soup_reader : public md::field_reader {
public:
    using md::field_reader::field_reader;
    using md::field_reader::operator();
    /// Loads a Numeric field.
    void operator()(soup_number& v) {
        std::array<char, soup_number_width> text;
        md::field_reader::operator()(text);
        if (!soup_decode_number(text, v.value)) _bad = true;
    }
    /// True when a Numeric field read so far was malformed.
    bool bad() const { return _bad; }

private:
    bool _bad = false;
};

/// `md::field_writer` plus Numeric fields.
class soup_writer : public md::field_writer {
public:
    using md::field_writer::field_writer;
    using md::field_writer::operator();
    /// Stores a Numeric field.
    void operator()(soup_number v) { md::field_writer::operator()(soup_encode_number(v.value)); }
};

/// `md::field_sizer` plus Numeric fields.
class soup_sizer : public md::field_sizer {
public:
    using md::field_sizer::operator();
    /// Adds a Numeric field's width.
    constexpr void operator()(soup_number) {
        md::field_sizer::operator()(std::array<char, soup_number_width>{});
    }
};

/// One validated packet: its type and a view of its payload (after the type byte).
struct soup_packet {
    soup_type type = soup_type::debug; ///< Packet Type
    std::span<const std::byte> payload; ///< the bytes after the type byte

    /// Parses `bytes`, exactly one whole packet (length field included); `out.payload` views
    /// into `bytes`.
    static soup_error parse(std::span<const std::byte> bytes, soup_packet& out);
    /// The packet's length on the wire.
    size_t size() const { return soup_header_len + payload.size(); }
};

/// The payload length a fixed-size type must have, or -1 for Debug, Sequenced and
/// Unsequenced Data (any length).
int soup_fixed_payload_length(soup_type t);

/// Writes the 3-byte header of a `t` packet carrying `payload_len` bytes into `out` (at least
/// 3 bytes; `payload_len` below 0xFFFF): the caller then writes the payload right after it
/// (the gateway's encode-in-place path).
void soup_write_header(std::span<std::byte> out, soup_type t, size_t payload_len);
/// Writes a whole `t` packet with `payload` into `out`; returns its length, or 0 (nothing
/// written) when it does not fit in `out` or in the 16-bit length.
size_t soup_emit(std::span<std::byte> out, soup_type t, std::span<const std::byte> payload = {});

/// Login Request Packet.
struct soup_login_request {
    static constexpr soup_type type = soup_type::login_request; ///< Packet Type
    std::array<char, 6> username{};  ///< Username, Alpha
    std::array<char, 10> password{}; ///< Password, Alpha
    std::array<char, 10> session{};  ///< Requested Session; all spaces: the current session
    soup_number sequence;            ///< Requested Sequence Number; 0: the most recent message

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.username);
        io(s.password);
        io(s.session);
        io(s.sequence);
    }
    /// Equal when every field is.
    friend bool operator==(const soup_login_request&, const soup_login_request&) = default;
};

/// Login Accepted Packet.
struct soup_login_accepted {
    static constexpr soup_type type = soup_type::login_accepted; ///< Packet Type
    std::array<char, 10> session{}; ///< Session now logged into
    soup_number sequence;           ///< sequence number of the next Sequenced Data to come

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.session);
        io(s.sequence);
    }
    /// Equal when every field is.
    friend bool operator==(const soup_login_accepted&, const soup_login_accepted&) = default;
};

/// Login Rejected Packet.
struct soup_login_rejected {
    static constexpr soup_type type = soup_type::login_rejected; ///< Packet Type
    char reason = 0; ///< Reject Reason Code: 'A' not authorized, 'S' session not available

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.reason);
    }
    /// Equal when every field is.
    friend bool operator==(const soup_login_rejected&, const soup_login_rejected&) = default;
};

/// The payload length of body `P` on the wire.
template <class P>
constexpr size_t soup_payload_length() {
    soup_sizer s;
    P p{};
    P::visit(std::as_const(p), s);
    return s.size();
}

/// Decodes the body of a validated packet `p` as `P`: the type must be `P::type` (the length
/// was checked by `soup_packet::parse`); Numeric fields are validated.
template <class P>
soup_error soup_parse(const soup_packet& p, P& out) {
    if (p.type != P::type) return soup_error::unknown_type;
    if (p.payload.size() != soup_payload_length<P>()) return soup_error::wrong_length;
    soup_reader r(p.payload.data());
    P::visit(out, r);
    return r.bad() ? soup_error::bad_number : soup_error::ok;
}

/// Writes `body` as a whole packet into `out` (at least `soup_header_len +
/// soup_payload_length<P>()` bytes); returns the packet's length.
template <class P>
size_t soup_emit(const P& body, std::span<std::byte> out) {
    constexpr size_t len = soup_payload_length<P>();
    soup_write_header(out, P::type, len);
    soup_writer w(out.data() + soup_header_len);
    P::visit(body, w);
    return soup_header_len + len;
}

} // namespace tachyon::oe
