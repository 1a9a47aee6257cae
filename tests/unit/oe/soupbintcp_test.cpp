/// SoupBinTCP 3.00: a golden packet of every type, written out by hand from the specification's
/// packet tables (Packet Length big-endian, Packet Type, Alpha left-justified, Numeric
/// right-justified, both space-padded); emit gives the same bytes; every malformed shape is
/// named (each parsed from an exact-size copy, so ASan sees any overread).

#include "apps/oe/soupbintcp.hpp"

#include <gtest/gtest.h>

#include "unit/oe/golden.hpp"

namespace tachyon::oe {
namespace {

using namespace test;

/// Login Request: "TRADER", "SECRET", the current session (blank), sequence 1.
const std::vector<std::byte> login_request_bytes = cat({
    bytes({0x00, 0x2f}),               // Packet Length 47 = 1 + 6 + 10 + 10 + 20
    bytes({0x4c}),                     // 'L'
    bytes({0x54, 0x52, 0x41, 0x44, 0x45, 0x52}), // Username "TRADER"
    bytes({0x53, 0x45, 0x43, 0x52, 0x45, 0x54, 0x20, 0x20, 0x20, 0x20}), // Password "SECRET    "
    spaces(10),                        // Requested Session: blank = the current one
    spaces(19), bytes({0x31}),         // Requested Sequence Number "                   1"
});

/// Login Accepted: session "SESSION001", next sequence 1234.
const std::vector<std::byte> login_accepted_bytes = cat({
    bytes({0x00, 0x1f}), // Packet Length 31 = 1 + 10 + 20
    bytes({0x41}),       // 'A'
    bytes({0x53, 0x45, 0x53, 0x53, 0x49, 0x4f, 0x4e, 0x30, 0x30, 0x31}), // "SESSION001"
    spaces(16), bytes({0x31, 0x32, 0x33, 0x34}), // "                1234"
});

TEST(soupbintcp, login_request_golden_parse_and_emit) {
    soup_packet p;
    const auto wire = exact(login_request_bytes);
    ASSERT_EQ(soup_packet::parse(wire, p), soup_error::ok);
    EXPECT_EQ(p.type, soup_type::login_request);
    EXPECT_EQ(p.payload.size(), 46u);
    EXPECT_EQ(p.payload.data(), wire.data() + 3) << "a view into the bytes";
    soup_login_request r;
    ASSERT_EQ(soup_parse(p, r), soup_error::ok);
    EXPECT_EQ(r.username, md::text<6>("TRADER"));
    EXPECT_EQ(r.password, md::text<10>("SECRET"));
    EXPECT_EQ(r.session, md::text<10>(""));
    EXPECT_EQ(r.sequence.value, 1u);

    std::vector<std::byte> out(64);
    const soup_login_request body{md::text<6>("TRADER"), md::text<10>("SECRET"), md::text<10>(""), {1}};
    ASSERT_EQ(soup_emit(body, out), 49u);
    EXPECT_TRUE(same(std::span(out).first(49), login_request_bytes));
}

TEST(soupbintcp, login_accepted_golden_parse_and_emit) {
    soup_packet p;
    const auto wire = exact(login_accepted_bytes);
    ASSERT_EQ(soup_packet::parse(wire, p), soup_error::ok);
    EXPECT_EQ(p.type, soup_type::login_accepted);
    soup_login_accepted a;
    ASSERT_EQ(soup_parse(p, a), soup_error::ok);
    EXPECT_EQ(a.session, md::text<10>("SESSION001"));
    EXPECT_EQ(a.sequence.value, 1234u);

    std::vector<std::byte> out(33);
    ASSERT_EQ(soup_emit(soup_login_accepted{md::text<10>("SESSION001"), {1234}}, out), 33u);
    EXPECT_TRUE(same(out, login_accepted_bytes));
}

TEST(soupbintcp, login_rejected_both_codes_and_their_words) {
    for (const char code : {'A', 'S'}) {
        const auto golden = bytes({0x00, 0x02, 0x4a, unsigned(code)}); // Length 2, 'J', code
        const auto wire = exact(golden);
        soup_packet p;
        ASSERT_EQ(soup_packet::parse(wire, p), soup_error::ok);
        EXPECT_EQ(p.type, soup_type::login_rejected);
        soup_login_rejected r;
        ASSERT_EQ(soup_parse(p, r), soup_error::ok);
        EXPECT_EQ(r.reason, code);
        std::vector<std::byte> out(4);
        ASSERT_EQ(soup_emit(r, out), 4u);
        EXPECT_TRUE(same(out, golden));
    }
    EXPECT_STREQ(soup_reject_reason_text('A'), "not authorized (invalid username or password)");
    EXPECT_NE(std::string(soup_reject_reason_text('S')).find("session not available"), std::string::npos);
    EXPECT_STREQ(soup_reject_reason_text('?'), "unknown reason code");
}

TEST(soupbintcp, empty_packets_of_each_side) {
    struct shape {
        unsigned type;
        soup_type expected;
    };
    for (const shape s : {shape{0x48, soup_type::server_heartbeat}, shape{0x5a, soup_type::end_of_session},
                          shape{0x52, soup_type::client_heartbeat}, shape{0x4f, soup_type::logout_request}}) {
        const auto golden = bytes({0x00, 0x01, s.type}); // Packet Length 1: the type byte only
        const auto wire = exact(golden);
        soup_packet p;
        ASSERT_EQ(soup_packet::parse(wire, p), soup_error::ok) << char(s.type);
        EXPECT_EQ(p.type, s.expected);
        EXPECT_TRUE(p.payload.empty());
        std::vector<std::byte> out(3);
        ASSERT_EQ(soup_emit(out, s.expected), 3u);
        EXPECT_TRUE(same(out, golden));
    }
}

TEST(soupbintcp, variable_packets_carry_their_payload_as_a_view) {
    struct shape {
        std::vector<std::byte> golden;
        soup_type type;
        std::vector<std::byte> payload;
    };
    const shape shapes[] = {
        {cat({bytes({0x00, 0x06, 0x2b}), ascii("hello")}), soup_type::debug, ascii("hello")},
        {cat({bytes({0x00, 0x04, 0x53}), bytes({0x01, 0x02, 0x03})}), soup_type::sequenced_data,
         bytes({1, 2, 3})},
        {cat({bytes({0x00, 0x03, 0x55}), bytes({0xff, 0x00})}), soup_type::unsequenced_data,
         bytes({0xff, 0x00})},
        {bytes({0x00, 0x01, 0x53}), soup_type::sequenced_data, {}}, // an empty message is framed
        {bytes({0x00, 0x01, 0x2b}), soup_type::debug, {}},
    };
    for (const auto& s : shapes) {
        const auto wire = exact(s.golden);
        soup_packet p;
        ASSERT_EQ(soup_packet::parse(wire, p), soup_error::ok);
        EXPECT_EQ(p.type, s.type);
        EXPECT_TRUE(same(p.payload, s.payload));
        EXPECT_EQ(p.size(), wire.size());
        std::vector<std::byte> out(wire.size());
        ASSERT_EQ(soup_emit(out, s.type, s.payload), wire.size());
        EXPECT_TRUE(same(out, wire));
    }
}

TEST(soupbintcp, directions_of_the_types) {
    for (const soup_type t : {soup_type::login_accepted, soup_type::login_rejected, soup_type::sequenced_data,
                              soup_type::server_heartbeat, soup_type::end_of_session}) {
        EXPECT_TRUE(soup_sent_by_server(t)) << to_string(t);
        EXPECT_FALSE(soup_sent_by_client(t)) << to_string(t);
    }
    for (const soup_type t : {soup_type::login_request, soup_type::unsequenced_data,
                              soup_type::client_heartbeat, soup_type::logout_request}) {
        EXPECT_TRUE(soup_sent_by_client(t)) << to_string(t);
        EXPECT_FALSE(soup_sent_by_server(t)) << to_string(t);
    }
    EXPECT_FALSE(soup_sent_by_client(soup_type::debug));
    EXPECT_FALSE(soup_sent_by_server(soup_type::debug));
    int known = 0;
    for (int c = 0; c < 256; ++c) known += soup_known_type(char(c)) ? 1 : 0;
    EXPECT_EQ(known, 10) << "exactly the ten types of the specification";
}

TEST(soupbintcp, numeric_fields_decode_and_encode) {
    const auto field = [](const char* s) {
        std::array<char, 20> a;
        std::memcpy(a.data(), s, 20);
        return a;
    };
    uint64_t v = 0;
    EXPECT_TRUE(soup_decode_number(field("                   0"), v));
    EXPECT_EQ(v, 0u);
    EXPECT_TRUE(soup_decode_number(field("00000000000000000042"), v)) << "zero-padded digits are digits";
    EXPECT_EQ(v, 42u);
    EXPECT_TRUE(soup_decode_number(field("18446744073709551615"), v));
    EXPECT_EQ(v, UINT64_MAX);
    EXPECT_FALSE(soup_decode_number(field("18446744073709551616"), v)) << "2^64 overflows";
    EXPECT_FALSE(soup_decode_number(field("99999999999999999999"), v));
    EXPECT_FALSE(soup_decode_number(field("                    "), v)) << "no digit";
    EXPECT_FALSE(soup_decode_number(field("1                   "), v)) << "left-justified is not Numeric";
    EXPECT_FALSE(soup_decode_number(field("                 1 2"), v));
    EXPECT_FALSE(soup_decode_number(field("                  -1"), v));
    EXPECT_FALSE(soup_decode_number(field("                 +12"), v));
    EXPECT_EQ(soup_encode_number(0), field("                   0"));
    EXPECT_EQ(soup_encode_number(1234), field("                1234"));
    EXPECT_EQ(soup_encode_number(UINT64_MAX), field("18446744073709551615"));
}

TEST(soupbintcp, every_malformed_shape_is_named) {
    struct shape {
        const char* name;
        std::vector<std::byte> bytes;
        soup_error expected;
    };
    auto accepted_bad_number = login_accepted_bytes;
    accepted_bad_number[3 + 10 + 5] = std::byte{'x'};
    const shape shapes[] = {
        {"empty", {}, soup_error::truncated},
        {"one length byte", bytes({0x00}), soup_error::truncated},
        {"length 0", bytes({0x00, 0x00}), soup_error::zero_length},
        {"no type byte", bytes({0x00, 0x01}), soup_error::truncated},
        {"length past the end", bytes({0x00, 0x05, 0x53, 0x01}), soup_error::truncated},
        {"bytes after the packet", bytes({0x00, 0x01, 0x48, 0x00}), soup_error::trailing_bytes},
        {"unknown type", bytes({0x00, 0x01, 0x58}), soup_error::unknown_type},
        {"lower-case type", bytes({0x00, 0x01, 0x73}), soup_error::unknown_type},
        {"heartbeat with a payload", bytes({0x00, 0x02, 0x48, 0x00}), soup_error::wrong_length},
        {"logout with a payload", bytes({0x00, 0x02, 0x4f, 0x20}), soup_error::wrong_length},
        {"login rejected without code", bytes({0x00, 0x01, 0x4a}), soup_error::wrong_length},
        {"login accepted one short", cat({bytes({0x00, 0x1e, 0x41}), spaces(29)}), soup_error::wrong_length},
        {"login request one long", cat({bytes({0x00, 0x30, 0x4c}), spaces(47)}), soup_error::wrong_length},
    };
    for (const auto& s : shapes) {
        soup_packet p;
        EXPECT_EQ(soup_packet::parse(exact(s.bytes), p), s.expected) << s.name;
    }
    // A framed Login Accepted whose Numeric field is not digits: the body decode names it.
    soup_packet p;
    const auto wire = exact(accepted_bad_number);
    ASSERT_EQ(soup_packet::parse(wire, p), soup_error::ok);
    soup_login_accepted a;
    EXPECT_EQ(soup_parse(p, a), soup_error::bad_number);
    soup_login_request r;
    EXPECT_EQ(soup_parse(p, r), soup_error::unknown_type) << "a body of another type";
}

TEST(soupbintcp, emit_refuses_what_does_not_fit) {
    std::vector<std::byte> small(4);
    EXPECT_EQ(soup_emit(small, soup_type::debug, ascii("hello")), 0u);
    std::vector<std::byte> huge(soup_max_length + 8);
    std::vector<std::byte> payload(soup_max_length);
    EXPECT_EQ(soup_emit(huge, soup_type::sequenced_data, payload), 0u) << "length 65536 does not fit 16 bits";
    payload.pop_back();
    EXPECT_EQ(soup_emit(huge, soup_type::sequenced_data, payload), soup_max_length + 2);
    soup_packet p;
    EXPECT_EQ(soup_packet::parse(std::span(huge).first(soup_max_length + 2), p), soup_error::ok);
}

} // namespace
} // namespace tachyon::oe
