#pragma once
/// NASDAQ OUCH 4.2 order-entry messages (spec "O*U*C*H Version 4.2", section numbers below),
/// carried one per SoupBinTCP packet: inbound (client to exchange) in Unsequenced Data,
/// outbound (exchange to client) in Sequenced Data. Every message starts with its Message Type
/// (1 byte) and has a fixed length per type and direction (§1.1 Architecture). Integers are
/// big-endian binary, Alpha fields left-justified and space-padded, Price is an Integer with
/// 4 implied decimals, Timestamp is nanoseconds since midnight (§1.2 Data Types).
///
/// Decoded here (each struct lists its fields once, in wire order, after the type byte):
///
///     inbound   'O' Enter Order (§2.1, 49 bytes)   'U' Replace Order (§2.2, 47)
///               'X' Cancel Order (§2.3, 19)
///     outbound  'S' System Event (§3.1, 10)        'A' Accepted (§3.3, 66)
///               'U' Replaced (80)  'C' Canceled (28)  'E' Executed (40)  'J' Rejected (24)
///
/// The other types of 4.2 are known by length only: `ouch_dispatch` skips and counts them.
/// 'U' means Replace Order inbound and Replaced outbound, so every lookup takes the direction.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "apps/md/field_io.hpp"
#include "apps/oe/soupbintcp.hpp"

namespace tachyon::oe {

/// Order Token: day-unique per firm, Alpha (client-chosen).
using ouch_token = std::array<char, 14>;
/// Stock symbol, Alpha.
using ouch_stock = std::array<char, 8>;
/// Firm identifier, Alpha (spaces: the port's default firm).
using ouch_firm = std::array<char, 4>;

/// Which way a message travels (spec §2 Inbound Messages, §3 Outbound Sequenced Messages).
enum class ouch_direction : uint8_t {
    inbound,  ///< client to exchange
    outbound, ///< exchange to client
};

/// Why a message was not decoded.
enum class ouch_error : uint8_t {
    ok,           ///< decoded
    not_decoded,  ///< a valid 4.2 type this library skips by its length (counted)
    empty,        ///< no bytes (no type)
    unknown_type, ///< a type OUCH 4.2 does not define for the direction
    wrong_length, ///< the length differs from the type's fixed length
};

/// A name for `e` (counters, logs).
const char* to_string(ouch_error e);

/// Enter Order, type 'O' (§2.1).
struct ouch_enter_order {
    static constexpr char type = 'O'; ///< Message Type
    /// Sent by the client.
    static constexpr ouch_direction direction = ouch_direction::inbound;
    ouch_token token{};         ///< Order Token
    char side = 0;              ///< Buy/Sell Indicator: 'B', 'S', 'T' short, 'E' short exempt
    uint32_t shares = 0;        ///< Shares
    ouch_stock stock{};         ///< Stock
    uint32_t price = 0;         ///< Price(4)
    uint32_t time_in_force = 0; ///< seconds; 0 IOC, 99998 market hours, 99999 system hours
    ouch_firm firm{};           ///< Firm
    char display = 0;           ///< Display ('Y' visible, 'N' hidden, 'A' attributable, ...)
    char capacity = 0;          ///< Capacity ('A', 'P', 'R', 'O')
    char iso = 0;               ///< Intermarket Sweep Eligibility ('Y'/'N')
    uint32_t min_quantity = 0;  ///< Minimum Quantity
    char cross_type = 0;        ///< Cross Type ('N' none, 'O', 'C', 'H', 'S', 'R')
    char customer_type = 0;     ///< Customer Type ('R' retail, 'N' not, ' ' port default)

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.token);
        io(s.side);
        io(s.shares);
        io(s.stock);
        io(s.price);
        io(s.time_in_force);
        io(s.firm);
        io(s.display);
        io(s.capacity);
        io(s.iso);
        io(s.min_quantity);
        io(s.cross_type);
        io(s.customer_type);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_enter_order&, const ouch_enter_order&) = default;
};

/// Replace Order, type 'U' (§2.2): the existing order goes, the replacement takes its place.
struct ouch_replace_order {
    static constexpr char type = 'U'; ///< Message Type
    /// Sent by the client.
    static constexpr ouch_direction direction = ouch_direction::inbound;
    ouch_token existing_token{};    ///< Existing Order Token
    ouch_token replacement_token{}; ///< Replacement Order Token
    uint32_t shares = 0;            ///< Shares (the new total)
    uint32_t price = 0;             ///< Price(4)
    uint32_t time_in_force = 0;     ///< Time In Force
    char display = 0;               ///< Display
    char iso = 0;                   ///< Intermarket Sweep Eligibility
    uint32_t min_quantity = 0;      ///< Minimum Quantity

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.existing_token);
        io(s.replacement_token);
        io(s.shares);
        io(s.price);
        io(s.time_in_force);
        io(s.display);
        io(s.iso);
        io(s.min_quantity);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_replace_order&, const ouch_replace_order&) = default;
};

/// Cancel Order, type 'X' (§2.3).
struct ouch_cancel_order {
    static constexpr char type = 'X'; ///< Message Type
    /// Sent by the client.
    static constexpr ouch_direction direction = ouch_direction::inbound;
    ouch_token token{};  ///< Order Token
    uint32_t shares = 0; ///< Shares left on the order after the cancel (0: cancel all)

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.token);
        io(s.shares);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_cancel_order&, const ouch_cancel_order&) = default;
};

/// System Event, type 'S' (§3.1); Event Code 'S' start of day, 'E' end of day (§3.2).
struct ouch_system_event {
    static constexpr char type = 'S'; ///< Message Type
    /// Sent by the exchange.
    static constexpr ouch_direction direction = ouch_direction::outbound;
    uint64_t timestamp = 0; ///< ns since midnight
    char event_code = 0;    ///< Event Code

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.timestamp);
        io(s.event_code);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_system_event&, const ouch_system_event&) = default;
};

/// The terms of an order as the exchange took it: the fields Accepted and Replaced share, in
/// wire order (§3.3 Order Messages), from Buy/Sell Indicator to Order State.
struct ouch_order_terms {
    char side = 0;              ///< Buy/Sell Indicator
    uint32_t shares = 0;        ///< Shares
    ouch_stock stock{};         ///< Stock
    uint32_t price = 0;         ///< Price(4)
    uint32_t time_in_force = 0; ///< Time In Force
    ouch_firm firm{};           ///< Firm
    char display = 0;           ///< Display
    uint64_t order_ref = 0;     ///< Order Reference Number (the ITCH feed's)
    char capacity = 0;          ///< Capacity
    char iso = 0;               ///< Intermarket Sweep Eligibility
    uint32_t min_quantity = 0;  ///< Minimum Quantity
    char cross_type = 0;        ///< Cross Type
    char order_state = 0;       ///< 'L' live, 'D' dead

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.side);
        io(s.shares);
        io(s.stock);
        io(s.price);
        io(s.time_in_force);
        io(s.firm);
        io(s.display);
        io(s.order_ref);
        io(s.capacity);
        io(s.iso);
        io(s.min_quantity);
        io(s.cross_type);
        io(s.order_state);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_order_terms&, const ouch_order_terms&) = default;
};

/// Accepted, type 'A' (§3.3 Order Messages): the order as the exchange took it.
struct ouch_accepted {
    static constexpr char type = 'A'; ///< Message Type
    /// Sent by the exchange.
    static constexpr ouch_direction direction = ouch_direction::outbound;
    uint64_t timestamp = 0; ///< ns since midnight
    ouch_token token{};     ///< Order Token
    ouch_order_terms terms; ///< Buy/Sell Indicator .. Order State
    char bbo_weight = 0;    ///< BBO Weight Indicator

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.timestamp);
        io(s.token);
        ouch_order_terms::visit(s.terms, io);
        io(s.bbo_weight);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_accepted&, const ouch_accepted&) = default;
};

/// Replaced, type 'U' (§3.3 Order Messages): the replacement, as accepted.
struct ouch_replaced {
    static constexpr char type = 'U'; ///< Message Type
    /// Sent by the exchange.
    static constexpr ouch_direction direction = ouch_direction::outbound;
    uint64_t timestamp = 0;         ///< ns since midnight
    ouch_token replacement_token{}; ///< Replacement Order Token
    ouch_order_terms terms;         ///< Buy/Sell Indicator .. Order State
    ouch_token previous_token{};    ///< Previous Order Token (the one replaced)
    char bbo_weight = 0;            ///< BBO Weight Indicator

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.timestamp);
        io(s.replacement_token);
        ouch_order_terms::visit(s.terms, io);
        io(s.previous_token);
        io(s.bbo_weight);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_replaced&, const ouch_replaced&) = default;
};

/// Canceled, type 'C' (§3.3 Order Messages).
struct ouch_canceled {
    static constexpr char type = 'C'; ///< Message Type
    /// Sent by the exchange.
    static constexpr ouch_direction direction = ouch_direction::outbound;
    uint64_t timestamp = 0;        ///< ns since midnight
    ouch_token token{};            ///< Order Token
    uint32_t decrement_shares = 0; ///< shares just taken off the order (incremental)
    char reason = 0;               ///< 'U' user, 'I' IOC, 'T' timeout, 'S' supervisory, ...

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.timestamp);
        io(s.token);
        io(s.decrement_shares);
        io(s.reason);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_canceled&, const ouch_canceled&) = default;
};

/// Executed, type 'E' (§3.3 Order Messages).
struct ouch_executed {
    static constexpr char type = 'E'; ///< Message Type
    /// Sent by the exchange.
    static constexpr ouch_direction direction = ouch_direction::outbound;
    uint64_t timestamp = 0;       ///< ns since midnight
    ouch_token token{};           ///< Order Token
    uint32_t executed_shares = 0; ///< Executed Shares (incremental)
    uint32_t execution_price = 0; ///< Execution Price, Price(4)
    char liquidity_flag = 0;      ///< Liquidity Flag ('A' added, 'R' removed, ...)
    uint64_t match_number = 0;    ///< Match Number (day-unique)

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.timestamp);
        io(s.token);
        io(s.executed_shares);
        io(s.execution_price);
        io(s.liquidity_flag);
        io(s.match_number);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_executed&, const ouch_executed&) = default;
};

/// Rejected, type 'J' (§3.3 Order Messages): an Enter Order refused.
struct ouch_rejected {
    static constexpr char type = 'J'; ///< Message Type
    /// Sent by the exchange.
    static constexpr ouch_direction direction = ouch_direction::outbound;
    uint64_t timestamp = 0; ///< ns since midnight
    ouch_token token{};     ///< Order Token
    char reason = 0;        ///< 'T' test mode, 'H' halted, 'S' invalid stock, 'X' invalid price, ...

    /// Visits the fields after the type byte, in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.timestamp);
        io(s.token);
        io(s.reason);
    }
    /// Equal when every field is.
    friend bool operator==(const ouch_rejected&, const ouch_rejected&) = default;
};

/// The fixed length of message `M` on the wire, type byte included.
template <class M>
constexpr size_t ouch_length() {
    md::field_sizer s;
    M m{};
    M::visit(std::as_const(m), s);
    return 1 + s.size();
}

/// The length OUCH 4.2 fixes for `type` travelling `d` (every type of §2 and §3, also those
/// this library does not decode), or 0 for a type the specification does not define there.
size_t ouch_length_of(ouch_direction d, char type);
/// True when this library decodes `type` travelling `d` (the structs above).
bool ouch_decoded(ouch_direction d, char type);
/// Checks the framing of one message: a known type for `d` and that type's exact length.
ouch_error ouch_check(ouch_direction d, std::span<const std::byte> bytes);
/// The reason code of a Rejected message in words (§3.3), or "unknown reason code".
const char* ouch_reject_reason_text(char code);

/// Parses `bytes` as message `M`: the type byte must be `M::type` and the length exact.
template <class M>
ouch_error ouch_parse(std::span<const std::byte> bytes, M& out) {
    if (bytes.empty()) return ouch_error::empty;
    if (char(bytes[0]) != M::type) return ouch_error::unknown_type;
    if (bytes.size() != ouch_length<M>()) return ouch_error::wrong_length;
    md::field_reader r(bytes.data() + 1);
    M::visit(out, r);
    return ouch_error::ok;
}

/// Writes `m` into `out` (at least `ouch_length<M>()` bytes); returns the length.
template <class M>
size_t ouch_emit(const M& m, std::span<std::byte> out) {
    out[0] = std::byte(M::type);
    md::field_writer w(out.data() + 1);
    M::visit(m, w);
    return ouch_length<M>();
}

/// Bytes of `M` framed in its SoupBinTCP data packet.
template <class M>
constexpr size_t ouch_packet_length() {
    return soup_header_len + ouch_length<M>();
}

/// Writes `m` framed as the SoupBinTCP packet that carries it, in place (no copy): Unsequenced
/// Data for an inbound message, Sequenced Data for an outbound one. `out` holds at least
/// `ouch_packet_length<M>()` bytes; returns that length.
template <class M>
size_t ouch_emit_packet(const M& m, std::span<std::byte> out) {
    constexpr soup_type t =
        M::direction == ouch_direction::inbound ? soup_type::unsequenced_data : soup_type::sequenced_data;
    soup_write_header(out, t, ouch_length<M>());
    return soup_header_len + ouch_emit(m, out.subspan(soup_header_len));
}

/// Messages seen by `ouch_dispatch`, by outcome and by type byte.
struct ouch_stats {
    uint64_t decoded = 0;                ///< decoded and handed to the handler
    uint64_t skipped = 0;                ///< valid types not decoded here, skipped by length
    uint64_t unknown_type = 0;           ///< dropped: a type 4.2 does not define there
    uint64_t wrong_length = 0;           ///< dropped: a known type with another length
    std::array<uint64_t, 128> by_type{}; ///< valid messages (decoded or skipped) per type byte
};

/// Decodes one message travelling `d` and calls `handler.on_message(const M&)` with it for
/// the types decoded here; counts the others in `stats` (skipped valid types, or drops).
template <class H>
ouch_error ouch_dispatch(ouch_direction d, std::span<const std::byte> bytes, H& handler, ouch_stats& stats) {
    const ouch_error e = ouch_check(d, bytes);
    if (e == ouch_error::unknown_type || e == ouch_error::empty) [[unlikely]] {
        ++stats.unknown_type;
        return e;
    }
    if (e == ouch_error::wrong_length) [[unlikely]] {
        ++stats.wrong_length;
        return e;
    }
    const char t = char(bytes[0]);
    ++stats.by_type[uint8_t(t) & 0x7f];
    const auto hand = [&](auto m) {
        (void)ouch_parse(bytes, m); // type and length checked above
        ++stats.decoded;
        handler.on_message(std::as_const(m));
        return ouch_error::ok;
    };
    if (d == ouch_direction::inbound) {
        switch (t) {
        case ouch_enter_order::type: return hand(ouch_enter_order{});
        case ouch_replace_order::type: return hand(ouch_replace_order{});
        case ouch_cancel_order::type: return hand(ouch_cancel_order{});
        default: break;
        }
    } else {
        switch (t) {
        case ouch_system_event::type: return hand(ouch_system_event{});
        case ouch_accepted::type: return hand(ouch_accepted{});
        case ouch_replaced::type: return hand(ouch_replaced{});
        case ouch_canceled::type: return hand(ouch_canceled{});
        case ouch_executed::type: return hand(ouch_executed{});
        case ouch_rejected::type: return hand(ouch_rejected{});
        default: break;
        }
    }
    ++stats.skipped;
    return ouch_error::not_decoded;
}

} // namespace tachyon::oe
