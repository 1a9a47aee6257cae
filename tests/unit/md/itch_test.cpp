/// ITCH 5.0: one golden message per decoded type, written out by hand field by field from the
/// specification's tables (§4.1 to §4.5.1); parse gives the fields, emit gives the same bytes,
/// a wrong type or length is refused; `itch_length_of` matches the tables for every type.

#include "apps/md/itch.hpp"

#include <gtest/gtest.h>

#include "unit/md/golden.hpp"

namespace tachyon::md {
namespace {

using test::bytes;
using test::cat;
using test::same;

/// Header of a message of type `t`: Stock Locate 0x0102, Tracking Number 0x0003, Timestamp
/// 0x0000_2A3B_4C5D (ns since midnight).
std::vector<std::byte> header(unsigned t) {
    return bytes({t, 0x01, 0x02, 0x00, 0x03, 0x00, 0x00, 0x2a, 0x3b, 0x4c, 0x5d});
}
/// "AAPL    " (Alpha, space-padded).
const std::vector<std::byte> aapl = bytes({0x41, 0x41, 0x50, 0x4c, 0x20, 0x20, 0x20, 0x20});
/// Order Reference Number 0x0000000000BC614E (12345678).
const std::vector<std::byte> ref = bytes({0, 0, 0, 0, 0x00, 0xbc, 0x61, 0x4e});
/// Match Number 0x0000000000000457 (1111).
const std::vector<std::byte> match = bytes({0, 0, 0, 0, 0, 0, 0x04, 0x57});

/// Checks the shared header fields.
void expect_header(const itch_header& h, char type) {
    EXPECT_EQ(h.type, type);
    EXPECT_EQ(h.stock_locate, 0x0102);
    EXPECT_EQ(h.tracking_number, 3);
    EXPECT_EQ(h.timestamp.value, 0x2a3b4c5du);
}

/// Parses `golden` as M, runs `check`, then emits and compares, and refuses a byte more or less
/// and another type.
template <class M, class Check>
void golden_case(const std::vector<std::byte>& golden, Check check) {
    SCOPED_TRACE(std::string(1, M::type));
    ASSERT_EQ(golden.size(), itch_length<M>());
    ASSERT_EQ(itch_length_of(M::type), golden.size());
    EXPECT_EQ(itch_check(golden), itch_error::ok);
    M m;
    ASSERT_EQ(itch_parse(golden, m), itch_error::ok);
    check(m);
    std::vector<std::byte> out(golden.size());
    EXPECT_EQ(itch_emit(m, out), golden.size());
    EXPECT_TRUE(same(out, golden));
    auto longer = golden;
    longer.push_back(std::byte{0});
    EXPECT_EQ(itch_parse(longer, m), itch_error::wrong_length);
    EXPECT_EQ(itch_check(longer), itch_error::wrong_length);
    EXPECT_EQ(itch_parse(std::span(golden).first(golden.size() - 1), m), itch_error::wrong_length);
    auto other = golden;
    other[0] = std::byte{'Z'};
    EXPECT_EQ(itch_parse(other, m), itch_error::unknown_type);
    EXPECT_EQ(itch_check(other), itch_error::unknown_type);
}

TEST(itch, system_event) {
    golden_case<itch_system_event>(cat({header('S'), bytes({'O'})}), [](const itch_system_event& m) {
        expect_header(m.header, 'S');
        EXPECT_EQ(m.event_code, 'O');
    });
}

TEST(itch, stock_directory) {
    const auto golden = cat({header('R'), aapl,
                             bytes({'Q'}),                    // Market Category
                             bytes({'N'}),                    // Financial Status Indicator
                             bytes({0x00, 0x00, 0x00, 0x64}), // Round Lot Size 100
                             bytes({'N'}),                    // Round Lots Only
                             bytes({'C'}),                    // Issue Classification
                             bytes({'Z', ' '}),               // Issue Sub-Type
                             bytes({'P'}),                    // Authenticity
                             bytes({'N'}),                    // Short Sale Threshold Indicator
                             bytes({'N'}),                    // IPO Flag
                             bytes({'1'}),                    // LULD Reference Price Tier
                             bytes({'N'}),                    // ETP Flag
                             bytes({0x00, 0x00, 0x00, 0x02}), // ETP Leverage Factor 2
                             bytes({'N'})});                  // Inverse Indicator
    golden_case<itch_stock_directory>(golden, [](const itch_stock_directory& m) {
        expect_header(m.header, 'R');
        EXPECT_EQ(m.stock, text<8>("AAPL"));
        EXPECT_EQ(m.market_category, 'Q');
        EXPECT_EQ(m.financial_status, 'N');
        EXPECT_EQ(m.round_lot_size, 100u);
        EXPECT_EQ(m.round_lots_only, 'N');
        EXPECT_EQ(m.issue_classification, 'C');
        EXPECT_EQ(m.issue_sub_type, text<2>("Z"));
        EXPECT_EQ(m.authenticity, 'P');
        EXPECT_EQ(m.short_sale_threshold, 'N');
        EXPECT_EQ(m.ipo_flag, 'N');
        EXPECT_EQ(m.luld_tier, '1');
        EXPECT_EQ(m.etp_flag, 'N');
        EXPECT_EQ(m.etp_leverage_factor, 2u);
        EXPECT_EQ(m.inverse_indicator, 'N');
    });
}

/// Add Order body after the header: ref, 'B', 300 shares, AAPL, price 150.2500 (0x0016ED24).
std::vector<std::byte> add_body() {
    return cat({ref, bytes({'B'}), bytes({0x00, 0x00, 0x01, 0x2c}), aapl, bytes({0x00, 0x16, 0xed, 0x24})});
}

void expect_add(const itch_add_order& m, char type) {
    expect_header(m.header, type);
    EXPECT_EQ(m.order_ref, 12345678u);
    EXPECT_EQ(m.side, 'B');
    EXPECT_EQ(m.shares, 300u);
    EXPECT_EQ(m.stock, text<8>("AAPL"));
    EXPECT_EQ(m.price, 1502500u);
}

TEST(itch, add_order) {
    golden_case<itch_add_order>(cat({header('A'), add_body()}), [](const itch_add_order& m) { expect_add(m, 'A'); });
}

TEST(itch, add_order_with_mpid) {
    golden_case<itch_add_order_mpid>(cat({header('F'), add_body(), bytes({'G', 'S', 'C', 'O'})}),
                                     [](const itch_add_order_mpid& m) {
                                         expect_add(m.order, 'F');
                                         EXPECT_EQ(m.attribution, text<4>("GSCO"));
                                     });
}

TEST(itch, order_executed) {
    golden_case<itch_order_executed>(cat({header('E'), ref, bytes({0x00, 0x00, 0x00, 0x32}), match}),
                                     [](const itch_order_executed& m) {
                                         expect_header(m.header, 'E');
                                         EXPECT_EQ(m.order_ref, 12345678u);
                                         EXPECT_EQ(m.executed_shares, 50u);
                                         EXPECT_EQ(m.match_number, 1111u);
                                     });
}

TEST(itch, order_executed_with_price) {
    golden_case<itch_order_executed_price>(
        cat({header('C'), ref, bytes({0x00, 0x00, 0x00, 0x32}), match, bytes({'Y'}), bytes({0x00, 0x16, 0xe3, 0x60})}),
        [](const itch_order_executed_price& m) {
            expect_header(m.header, 'C');
            EXPECT_EQ(m.order_ref, 12345678u);
            EXPECT_EQ(m.executed_shares, 50u);
            EXPECT_EQ(m.match_number, 1111u);
            EXPECT_EQ(m.printable, 'Y');
            EXPECT_EQ(m.execution_price, 1500000u);
        });
}

TEST(itch, order_cancel) {
    golden_case<itch_order_cancel>(cat({header('X'), ref, bytes({0x00, 0x00, 0x00, 0x0a})}),
                                   [](const itch_order_cancel& m) {
                                       expect_header(m.header, 'X');
                                       EXPECT_EQ(m.order_ref, 12345678u);
                                       EXPECT_EQ(m.cancelled_shares, 10u);
                                   });
}

TEST(itch, order_delete) {
    golden_case<itch_order_delete>(cat({header('D'), ref}), [](const itch_order_delete& m) {
        expect_header(m.header, 'D');
        EXPECT_EQ(m.order_ref, 12345678u);
    });
}

TEST(itch, order_replace) {
    golden_case<itch_order_replace>(
        cat({header('U'), ref, bytes({0, 0, 0, 0, 0x00, 0xbc, 0x61, 0x4f}), bytes({0x00, 0x00, 0x00, 0xc8}),
             bytes({0x00, 0x16, 0xe3, 0x61})}),
        [](const itch_order_replace& m) {
            expect_header(m.header, 'U');
            EXPECT_EQ(m.original_ref, 12345678u);
            EXPECT_EQ(m.new_ref, 12345679u);
            EXPECT_EQ(m.shares, 200u);
            EXPECT_EQ(m.price, 1500001u);
        });
}

TEST(itch, trade_non_cross) {
    golden_case<itch_trade>(
        cat({header('P'), ref, bytes({'S'}), bytes({0x00, 0x00, 0x03, 0xe8}), aapl, bytes({0x00, 0x16, 0xe3, 0x60}), match}),
        [](const itch_trade& m) {
            expect_header(m.header, 'P');
            EXPECT_EQ(m.order_ref, 12345678u);
            EXPECT_EQ(m.side, 'S');
            EXPECT_EQ(m.shares, 1000u);
            EXPECT_EQ(m.stock, text<8>("AAPL"));
            EXPECT_EQ(m.price, 1500000u);
            EXPECT_EQ(m.match_number, 1111u);
        });
}

TEST(itch, lengths_of_the_types_not_decoded_follow_the_tables) {
    const std::pair<char, size_t> table[] = {{'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35}, {'W', 12}, {'K', 28},
                                             {'J', 35}, {'h', 21}, {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20},
                                             {'O', 48}};
    for (auto [type, len] : table) EXPECT_EQ(itch_length_of(type), len) << type;
    for (char t : {'Z', 'a', '\0', 'T', 'G'}) EXPECT_EQ(itch_length_of(t), 0u) << t;
    EXPECT_EQ(itch_check({}), itch_error::empty);
}

} // namespace
} // namespace tachyon::md
