#pragma once
/// NASDAQ TotalView-ITCH 5.0 messages (spec "Nasdaq TotalView-ITCH 5.0", section numbers
/// below). Every message starts with the same 11 bytes (§3 Data Types, §4): Message Type (1, Alpha),
/// Stock Locate (2), Tracking Number (2), Timestamp (6, ns since midnight); integers are
/// big-endian, Alpha fields left-justified and space-padded, prices Price(4) with 4 implied
/// decimals. Each struct lists its fields once in wire order (`visit`), from which its fixed
/// length, `parse` and `emit` all follow. Parse checks the type and the exact length.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "apps/md/field_io.hpp"

namespace tachyon::md {

/// Why a message was not parsed.
enum class itch_error : uint8_t {
    ok,           ///< parsed
    empty,        ///< no bytes (no type)
    unknown_type, ///< a type ITCH 5.0 does not define
    wrong_length, ///< the length differs from the type's fixed length
};

/// The 11 bytes every ITCH 5.0 message starts with (§4).
struct itch_header {
    char type = 0;                ///< Message Type
    uint16_t stock_locate = 0;    ///< Stock Locate (0 for market-wide messages)
    uint16_t tracking_number = 0; ///< Tracking Number (NASDAQ internal)
    u48 timestamp;                ///< nanoseconds since midnight

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        io(s.type);
        io(s.stock_locate);
        io(s.tracking_number);
        io(s.timestamp);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_header&, const itch_header&) = default;
};

/// System Event, type 'S' (§4.1).
struct itch_system_event {
    static constexpr char type = 'S'; ///< Message Type
    itch_header header;               ///< common header
    char event_code = 0;              ///< 'O','S','Q','M','E','C'

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.event_code);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_system_event&, const itch_system_event&) = default;
};

/// Stock Directory, type 'R' (§4.2.1).
struct itch_stock_directory {
    static constexpr char type = 'R'; ///< Message Type
    itch_header header;               ///< common header
    std::array<char, 8> stock{};      ///< symbol, space-padded
    char market_category = 0;         ///< Market Category
    char financial_status = 0;        ///< Financial Status Indicator
    uint32_t round_lot_size = 0;      ///< Round Lot Size
    char round_lots_only = 0;         ///< Round Lots Only ('Y'/'N')
    char issue_classification = 0;    ///< Issue Classification
    std::array<char, 2> issue_sub_type{}; ///< Issue Sub-Type
    char authenticity = 0;            ///< Authenticity ('P' live, 'T' test)
    char short_sale_threshold = 0;    ///< Short Sale Threshold Indicator
    char ipo_flag = 0;                ///< IPO Flag
    char luld_tier = 0;               ///< LULD Reference Price Tier
    char etp_flag = 0;                ///< ETP Flag
    uint32_t etp_leverage_factor = 0; ///< ETP Leverage Factor
    char inverse_indicator = 0;       ///< Inverse Indicator

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.stock);
        io(s.market_category);
        io(s.financial_status);
        io(s.round_lot_size);
        io(s.round_lots_only);
        io(s.issue_classification);
        io(s.issue_sub_type);
        io(s.authenticity);
        io(s.short_sale_threshold);
        io(s.ipo_flag);
        io(s.luld_tier);
        io(s.etp_flag);
        io(s.etp_leverage_factor);
        io(s.inverse_indicator);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_stock_directory&, const itch_stock_directory&) = default;
};

/// Add Order, no MPID attribution, type 'A' (§4.3.1).
struct itch_add_order {
    static constexpr char type = 'A'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t order_ref = 0;           ///< Order Reference Number
    char side = 0;                    ///< Buy/Sell Indicator ('B'/'S')
    uint32_t shares = 0;              ///< Shares
    std::array<char, 8> stock{};      ///< Stock
    uint32_t price = 0;               ///< Price(4)

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.order_ref);
        io(s.side);
        io(s.shares);
        io(s.stock);
        io(s.price);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_add_order&, const itch_add_order&) = default;
};

/// Add Order with MPID attribution, type 'F' (§4.3.2): an Add Order plus Attribution.
struct itch_add_order_mpid {
    static constexpr char type = 'F'; ///< Message Type
    itch_add_order order;             ///< the Add Order fields (header.type is 'F')
    std::array<char, 4> attribution{}; ///< MPID

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_add_order::visit(s.order, io);
        io(s.attribution);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_add_order_mpid&, const itch_add_order_mpid&) = default;
};

/// Order Executed, type 'E' (§4.4.1).
struct itch_order_executed {
    static constexpr char type = 'E'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t order_ref = 0;           ///< Order Reference Number
    uint32_t executed_shares = 0;     ///< Executed Shares
    uint64_t match_number = 0;        ///< Match Number

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.order_ref);
        io(s.executed_shares);
        io(s.match_number);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_order_executed&, const itch_order_executed&) = default;
};

/// Order Executed With Price, type 'C' (§4.4.2).
struct itch_order_executed_price {
    static constexpr char type = 'C'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t order_ref = 0;           ///< Order Reference Number
    uint32_t executed_shares = 0;     ///< Executed Shares
    uint64_t match_number = 0;        ///< Match Number
    char printable = 0;               ///< Printable ('Y'/'N')
    uint32_t execution_price = 0;     ///< Execution Price, Price(4)

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.order_ref);
        io(s.executed_shares);
        io(s.match_number);
        io(s.printable);
        io(s.execution_price);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_order_executed_price&, const itch_order_executed_price&) = default;
};

/// Order Cancel (partial), type 'X' (§4.4.3).
struct itch_order_cancel {
    static constexpr char type = 'X'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t order_ref = 0;           ///< Order Reference Number
    uint32_t cancelled_shares = 0;    ///< Cancelled Shares

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.order_ref);
        io(s.cancelled_shares);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_order_cancel&, const itch_order_cancel&) = default;
};

/// Order Delete, type 'D' (§4.4.4).
struct itch_order_delete {
    static constexpr char type = 'D'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t order_ref = 0;           ///< Order Reference Number

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.order_ref);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_order_delete&, const itch_order_delete&) = default;
};

/// Order Replace, type 'U' (§4.4.5): the original order goes, a new one (new reference, same
/// side and stock) takes its place.
struct itch_order_replace {
    static constexpr char type = 'U'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t original_ref = 0;        ///< Original Order Reference Number
    uint64_t new_ref = 0;             ///< New Order Reference Number
    uint32_t shares = 0;              ///< Shares
    uint32_t price = 0;               ///< Price(4)

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.original_ref);
        io(s.new_ref);
        io(s.shares);
        io(s.price);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_order_replace&, const itch_order_replace&) = default;
};

/// Trade (non-cross), type 'P' (§4.5.1): a match against a non-displayed order (no book change).
struct itch_trade {
    static constexpr char type = 'P'; ///< Message Type
    itch_header header;               ///< common header
    uint64_t order_ref = 0;           ///< Order Reference Number (0 since 2014)
    char side = 0;                    ///< Buy/Sell Indicator
    uint32_t shares = 0;              ///< Shares
    std::array<char, 8> stock{};      ///< Stock
    uint32_t price = 0;               ///< Price(4)
    uint64_t match_number = 0;        ///< Match Number

    /// Visits the fields in wire order.
    template <class S, class Io>
    static constexpr void visit(S& s, Io& io) {
        itch_header::visit(s.header, io);
        io(s.order_ref);
        io(s.side);
        io(s.shares);
        io(s.stock);
        io(s.price);
        io(s.match_number);
    }
    /// Equal when every field is.
    friend bool operator==(const itch_trade&, const itch_trade&) = default;
};

/// The fixed length of message type `M` on the wire.
template <class M>
constexpr size_t itch_length() {
    field_sizer s;
    M m{};
    M::visit(std::as_const(m), s);
    return s.size();
}

/// The length ITCH 5.0 fixes for message type `type` (every type of §4, also those this
/// library does not decode), or 0 for a type the specification does not define.
size_t itch_length_of(char type);

/// Parses `bytes` as message `M`: the type byte must be `M::type` and the length exact.
template <class M>
itch_error itch_parse(std::span<const std::byte> bytes, M& out) {
    if (bytes.empty()) return itch_error::empty;
    if (char(bytes[0]) != M::type) return itch_error::unknown_type;
    if (bytes.size() != itch_length<M>()) return itch_error::wrong_length;
    field_reader r(bytes.data());
    M::visit(out, r);
    return itch_error::ok;
}

/// Writes `m` into `out` (at least `itch_length<M>()` bytes); returns the length.
template <class M>
size_t itch_emit(const M& m, std::span<std::byte> out) {
    field_writer w(out.data());
    M::visit(m, w);
    return itch_length<M>();
}

/// Checks the framing of one ITCH message: a known type and that type's exact length.
itch_error itch_check(std::span<const std::byte> bytes);

} // namespace tachyon::md
