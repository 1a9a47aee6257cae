/// OUCH 4.2: a golden message of every type decoded here, written out by hand from the
/// specification's message tables (type byte, then the fields in table order: Integers
/// big-endian, Alpha space-padded, Price with 4 implied decimals, Timestamp in ns since
/// midnight); parse gives the values, emit gives the bytes back; every wrong shape is named;
/// `ouch_dispatch` hands over the decoded types and skips and counts the others.

#include "apps/oe/ouch.hpp"

#include <gtest/gtest.h>

#include "unit/oe/golden.hpp"

namespace tachyon::oe {
namespace {

using namespace test;
using md::text;

/// Parses `golden`, compares with `expected`, emits `expected` and compares with `golden`.
template <class M>
void round_trip(const std::vector<std::byte>& golden, const M& expected) {
    ASSERT_EQ(golden.size(), ouch_length<M>()) << "the golden bytes have the table's length";
    M parsed{};
    ASSERT_EQ(ouch_parse(exact(golden), parsed), ouch_error::ok);
    EXPECT_TRUE(parsed == expected);
    EXPECT_EQ(ouch_check(M::direction, golden), ouch_error::ok);
    std::vector<std::byte> out(ouch_length<M>());
    ASSERT_EQ(ouch_emit(expected, out), golden.size());
    EXPECT_TRUE(same(out, golden));
}

const auto token1 = ascii("ORD00000000001");
const auto token2 = ascii("ORD00000000002");
const auto aapl = ascii("AAPL    ");
const auto firm = ascii("FIRM");
const auto ts_0930 = bytes({0x00, 0x00, 0x1f, 0x1a, 0xce, 0xd9, 0xf0, 0x00}); // 34,200,000,000,000 ns = 09:30

TEST(ouch, enter_order_golden) {
    const auto golden = cat({
        bytes({0x4f}),                    // 'O'
        token1,                           // Order Token
        bytes({0x42}),                    // Buy/Sell Indicator 'B'
        bytes({0x00, 0x00, 0x00, 0x64}),  // Shares 100
        aapl,                             // Stock
        bytes({0x00, 0x16, 0xed, 0x24}),  // Price 150.2500
        bytes({0x00, 0x01, 0x86, 0x9e}),  // Time In Force 99998 (market hours)
        firm,                             // Firm
        bytes({0x59}),                    // Display 'Y'
        bytes({0x50}),                    // Capacity 'P'
        bytes({0x4e}),                    // Intermarket Sweep Eligibility 'N'
        bytes({0x00, 0x00, 0x00, 0x00}),  // Minimum Quantity 0
        bytes({0x4e}),                    // Cross Type 'N'
        bytes({0x4e}),                    // Customer Type 'N'
    });
    ouch_enter_order m{text<14>("ORD00000000001"), 'B', 100, text<8>("AAPL"), 1502500, 99998, text<4>("FIRM"),
                       'Y', 'P', 'N', 0, 'N', 'N'};
    round_trip(golden, m);
}

TEST(ouch, replace_order_golden) {
    const auto golden = cat({
        bytes({0x55}),                   // 'U'
        token1,                          // Existing Order Token
        token2,                          // Replacement Order Token
        bytes({0x00, 0x00, 0x00, 0xc8}), // Shares 200
        bytes({0x00, 0x16, 0xed, 0x88}), // Price 150.2600
        bytes({0x00, 0x00, 0x00, 0x00}), // Time In Force 0 (IOC)
        bytes({0x4e}),                   // Display 'N'
        bytes({0x59}),                   // Intermarket Sweep Eligibility 'Y'
        bytes({0x00, 0x00, 0x00, 0x64}), // Minimum Quantity 100
    });
    round_trip(golden, ouch_replace_order{text<14>("ORD00000000001"), text<14>("ORD00000000002"), 200,
                                          1502600, 0, 'N', 'Y', 100});
}

TEST(ouch, cancel_order_golden) {
    const auto golden = cat({bytes({0x58}), token2, bytes({0x00, 0x00, 0x00, 0x00})}); // 'X', token, Shares 0
    round_trip(golden, ouch_cancel_order{text<14>("ORD00000000002"), 0});
}

TEST(ouch, system_event_golden) {
    const auto golden = cat({bytes({0x53}), ts_0930, bytes({0x53})}); // 'S', Timestamp, Event Code 'S'
    round_trip(golden, ouch_system_event{34200000000000, 'S'});
}

TEST(ouch, accepted_golden) {
    const auto golden = cat({
        bytes({0x41}),                                         // 'A'
        ts_0930,                                               // Timestamp
        token1,                                                // Order Token
        bytes({0x53}),                                         // Buy/Sell Indicator 'S'
        bytes({0x00, 0x00, 0x01, 0x2c}),                       // Shares 300
        aapl,                                                  // Stock
        bytes({0x00, 0x16, 0xed, 0x24}),                       // Price 150.2500
        bytes({0x00, 0x01, 0x86, 0x9f}),                       // Time In Force 99999
        firm,                                                  // Firm
        bytes({0x59}),                                         // Display 'Y'
        bytes({0x00, 0x00, 0x00, 0x00, 0x07, 0x5b, 0xcd, 0x15}), // Order Reference Number 123456789
        bytes({0x41}),                                         // Capacity 'A'
        bytes({0x4e}),                                         // Intermarket Sweep Eligibility 'N'
        bytes({0x00, 0x00, 0x00, 0x00}),                       // Minimum Quantity 0
        bytes({0x4e}),                                         // Cross Type 'N'
        bytes({0x4c}),                                         // Order State 'L'
        bytes({0x20}),                                         // BBO Weight Indicator ' '
    });
    round_trip(golden, ouch_accepted{34200000000000,
                                     text<14>("ORD00000000001"),
                                     {'S', 300, text<8>("AAPL"), 1502500, 99999, text<4>("FIRM"), 'Y',
                                      123456789, 'A', 'N', 0, 'N', 'L'},
                                     ' '});
}

TEST(ouch, replaced_golden) {
    const auto golden = cat({
        bytes({0x55}),                                           // 'U'
        bytes({0x00, 0x00, 0x1f, 0x1a, 0xce, 0xd9, 0xf4, 0xd2}), // Timestamp 34,200,000,001,234
        token2,                                                  // Replacement Order Token
        bytes({0x42}),                                           // Buy/Sell Indicator 'B'
        bytes({0x00, 0x00, 0x00, 0xc8}),                         // Shares 200
        aapl,                                                    // Stock
        bytes({0x00, 0x16, 0xed, 0x88}),                         // Price 150.2600
        bytes({0x00, 0x00, 0x00, 0x00}),                         // Time In Force 0
        firm,                                                    // Firm
        bytes({0x4e}),                                           // Display 'N'
        bytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x61}), // Order Reference Number 7777
        bytes({0x50}),                                           // Capacity 'P'
        bytes({0x59}),                                           // Intermarket Sweep Eligibility 'Y'
        bytes({0x00, 0x00, 0x00, 0x64}),                         // Minimum Quantity 100
        bytes({0x4e}),                                           // Cross Type 'N'
        bytes({0x4c}),                                           // Order State 'L'
        token1,                                                  // Previous Order Token
        bytes({0x31}),                                           // BBO Weight Indicator '1'
    });
    round_trip(golden, ouch_replaced{34200000001234,
                                     text<14>("ORD00000000002"),
                                     {'B', 200, text<8>("AAPL"), 1502600, 0, text<4>("FIRM"), 'N', 7777, 'P',
                                      'Y', 100, 'N', 'L'},
                                     text<14>("ORD00000000001"),
                                     '1'});
}

TEST(ouch, canceled_golden) {
    const auto golden = cat({
        bytes({0x43}),                                           // 'C'
        bytes({0x00, 0x00, 0x1f, 0x1a, 0xce, 0xda, 0x03, 0x88}), // Timestamp 34,200,000,005,000
        token2,                                                  // Order Token
        bytes({0x00, 0x00, 0x00, 0xc8}),                         // Decrement Shares 200
        bytes({0x55}),                                           // Reason 'U' (user requested)
    });
    round_trip(golden, ouch_canceled{34200000005000, text<14>("ORD00000000002"), 200, 'U'});
}

TEST(ouch, executed_golden) {
    const auto golden = cat({
        bytes({0x45}),                                           // 'E'
        bytes({0x00, 0x00, 0x1f, 0x1a, 0xce, 0xda, 0x17, 0x0f}), // Timestamp 34,200,000,009,999
        token1,                                                  // Order Token
        bytes({0x00, 0x00, 0x00, 0x64}),                         // Executed Shares 100
        bytes({0x00, 0x16, 0xed, 0x24}),                         // Execution Price 150.2500
        bytes({0x52}),                                           // Liquidity Flag 'R' (removed)
        bytes({0x00, 0x00, 0x00, 0x00, 0x07, 0x5b, 0xcd, 0x15}), // Match Number 123456789
    });
    round_trip(golden,
               ouch_executed{34200000009999, text<14>("ORD00000000001"), 100, 1502500, 'R', 123456789});
}

TEST(ouch, rejected_golden_and_reason_words) {
    const auto golden = cat({
        bytes({0x4a}),                                           // 'J'
        bytes({0x00, 0x00, 0x1f, 0x1a, 0xce, 0xda, 0x20, 0x39}), // Timestamp 34,200,000,012,345
        token1,                                                  // Order Token
        bytes({0x53}),                                           // Reason 'S' (invalid stock)
    });
    round_trip(golden, ouch_rejected{34200000012345, text<14>("ORD00000000001"), 'S'});
    EXPECT_STREQ(ouch_reject_reason_text('S'), "invalid stock");
    EXPECT_STREQ(ouch_reject_reason_text('X'), "invalid price");
    EXPECT_STREQ(ouch_reject_reason_text('#'), "unknown reason code");
}

TEST(ouch, replace_and_replaced_share_a_type_byte_and_differ_by_direction) {
    EXPECT_EQ(ouch_length_of(ouch_direction::inbound, 'U'), 47u);
    EXPECT_EQ(ouch_length_of(ouch_direction::outbound, 'U'), 80u);
    EXPECT_EQ(ouch_length_of(ouch_direction::inbound, 'A'), 0u) << "Accepted is never inbound";
    EXPECT_EQ(ouch_length_of(ouch_direction::outbound, 'O'), 0u) << "Enter Order is never outbound";
    EXPECT_EQ(ouch_length_of(ouch_direction::outbound, 'X'), 0u);
}

TEST(ouch, every_wrong_shape_is_named) {
    const auto cancel = cat({bytes({0x58}), token2, bytes({0x00, 0x00, 0x00, 0x00})});
    ouch_cancel_order c;
    EXPECT_EQ(ouch_parse(exact({}), c), ouch_error::empty);
    EXPECT_EQ(ouch_parse(exact(cat({bytes({0x4f}), std::vector<std::byte>(18)})), c),
              ouch_error::unknown_type);
    EXPECT_EQ(ouch_parse(exact(std::vector(cancel.begin(), cancel.end() - 1)), c), ouch_error::wrong_length);
    EXPECT_EQ(ouch_parse(exact(cat({cancel, bytes({0x00})})), c), ouch_error::wrong_length);

    EXPECT_EQ(ouch_check(ouch_direction::inbound, {}), ouch_error::empty);
    EXPECT_EQ(ouch_check(ouch_direction::inbound, bytes({0x5a})), ouch_error::unknown_type);
    EXPECT_EQ(ouch_check(ouch_direction::outbound, cancel), ouch_error::unknown_type)
        << "'X' is inbound only";
    EXPECT_EQ(ouch_check(ouch_direction::inbound, cancel), ouch_error::ok);
    for (size_t len = 0; len < 100; ++len) {
        const auto msg = cat({bytes({0x45}), std::vector<std::byte>(len)}); // 'E' with len more bytes
        EXPECT_EQ(ouch_check(ouch_direction::outbound, msg),
                  len == 39 ? ouch_error::ok : ouch_error::wrong_length);
    }
}

TEST(ouch, a_message_framed_in_place_in_its_soupbintcp_packet) {
    const auto cancel_packet = cat({
        bytes({0x00, 0x14, 0x55}),       // Packet Length 20 = 1 + 19, Unsequenced Data 'U'
        bytes({0x58}), token2,           // Cancel Order 'X', Order Token
        bytes({0x00, 0x00, 0x00, 0x00}), // Shares 0
    });
    std::vector<std::byte> out(ouch_packet_length<ouch_cancel_order>());
    ASSERT_EQ(ouch_emit_packet(ouch_cancel_order{text<14>("ORD00000000002"), 0}, out), 22u);
    EXPECT_TRUE(same(out, cancel_packet));

    const auto event_packet = cat({bytes({0x00, 0x0b, 0x53}), bytes({0x53}), ts_0930, bytes({0x45})});
    out.assign(ouch_packet_length<ouch_system_event>(), std::byte{0});
    ASSERT_EQ(ouch_emit_packet(ouch_system_event{34200000000000, 'E'}, out), 13u) << "Sequenced Data 'S'";
    EXPECT_TRUE(same(out, event_packet));
}

/// Records what `ouch_dispatch` hands over.
struct recorder {
    std::vector<char> types;
    ouch_accepted accepted;
    void on_message(const ouch_accepted& m) {
        types.push_back(m.type);
        accepted = m;
    }
    template <class M>
    void on_message(const M&) {
        types.push_back(M::type);
    }
};

TEST(ouch, dispatch_decodes_skips_by_length_and_counts) {
    recorder r;
    ouch_stats stats;
    std::vector<std::byte> buf(128);
    const ouch_accepted acc{
        34200000000000,
        text<14>("T1"),
        {'B', 10, text<8>("MSFT"), 3000000, 0, text<4>(""), 'Y', 42, 'A', 'N', 0, 'N', 'L'},
        ' '};
    const size_t n = ouch_emit(acc, buf);
    EXPECT_EQ(ouch_dispatch(ouch_direction::outbound, std::span(buf).first(n), r, stats), ouch_error::ok);
    EXPECT_EQ(r.accepted, acc);

    // Every outbound type of 4.2 not decoded here, at its table length: skipped and counted.
    const std::pair<char, size_t> others[] = {{'D', 37}, {'B', 32}, {'G', 45}, {'F', 41}, {'K', 36},
                                              {'P', 23}, {'I', 23}, {'T', 36}, {'M', 28}, {'N', 23}};
    for (const auto& [type, len] : others) {
        std::vector<std::byte> msg(len);
        msg[0] = std::byte(type);
        EXPECT_EQ(ouch_dispatch(ouch_direction::outbound, msg, r, stats), ouch_error::not_decoded) << type;
        EXPECT_FALSE(ouch_decoded(ouch_direction::outbound, type));
        msg.push_back(std::byte{0});
        EXPECT_EQ(ouch_dispatch(ouch_direction::outbound, msg, r, stats), ouch_error::wrong_length) << type;
    }
    EXPECT_EQ(ouch_dispatch(ouch_direction::outbound, bytes({0x21}), r, stats), ouch_error::unknown_type);
    EXPECT_EQ(ouch_dispatch(ouch_direction::outbound, {}, r, stats), ouch_error::empty);

    const auto modify =
        cat({bytes({0x4d}), token1, bytes({0x42, 0x00, 0x00, 0x00, 0x0a})}); // inbound 'M', 20
    EXPECT_EQ(ouch_dispatch(ouch_direction::inbound, modify, r, stats), ouch_error::not_decoded);
    const auto cancel = cat({bytes({0x58}), token2, bytes({0x00, 0x00, 0x00, 0x00})});
    EXPECT_EQ(ouch_dispatch(ouch_direction::inbound, cancel, r, stats), ouch_error::ok);

    EXPECT_EQ(r.types, (std::vector<char>{'A', 'X'}));
    EXPECT_EQ(stats.decoded, 2u);
    EXPECT_EQ(stats.skipped, 11u);
    EXPECT_EQ(stats.wrong_length, 10u);
    EXPECT_EQ(stats.unknown_type, 2u);
    EXPECT_EQ(stats.by_type['A'], 1u);
    EXPECT_EQ(stats.by_type['D'], 1u);
    EXPECT_EQ(stats.by_type['M'], 2u) << "Modify Order in and Order Modified out";
}

} // namespace
} // namespace tachyon::oe
