/// IGMP (RFC 3376, RFC 2236, RFC 1112): the kernel's own v1/v2/v3 reports and leaves, scapy's
/// v1/v2/v3 queries, byte-exact emit of each, the Router Alert header, the §4.1.1 code format,
/// round trips, and every way a message can be malformed.

#include "stack/wire/igmp.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "stack/wire/ethernet.hpp"
#include "unit/wire/byte_edits.hpp"
#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::as_bytes;
using test::from;
using test::same;

/// 198.18.4.1, the host in the TAP captures.
constexpr ipv4_address host{198, 18, 4, 1};
/// 198.18.4.2, the (scapy) querier in the TAP captures, also a source of 239.1.2.4.
constexpr ipv4_address router{198, 18, 4, 2};
/// 198.18.4.3, the other source of 239.1.2.4.
constexpr ipv4_address other_source{198, 18, 4, 3};
/// The any-source group of the captures.
constexpr ipv4_address group3{239, 1, 2, 3};
/// The source-specific group of the captures.
constexpr ipv4_address group4{239, 1, 2, 4};

/// The IGMP message of a captured frame (everything after the 24-byte IPv4 header).
template <size_t N>
std::span<const std::byte> igmp_of(const uint8_t (&frame)[N]) {
    return from(frame, test::igmp_offset);
}


/// A record's contents, copied out of `for_each_record` for comparison.
struct record_copy {
    igmp_record_type type;             ///< record type
    ipv4_address group;                ///< multicast address
    std::vector<ipv4_address> sources; ///< sources, in order
    bool operator==(const record_copy&) const = default;
};

/// All records of a parsed report.
std::vector<record_copy> records_of(const igmp_v3_report& report) {
    std::vector<record_copy> out;
    report.for_each_record([&](const igmp_v3_record& r) {
        record_copy c{r.type, r.group, {}};
        for (size_t i = 0; i < r.source_count(); ++i) c.sources.push_back(r.source(i));
        out.push_back(c);
    });
    return out;
}

/// Emits a v3 report with `records` into a buffer of exactly its length.
std::vector<std::byte> v3_report(std::span<const igmp_group_record> records) {
    std::vector<std::byte> out(igmp_v3_report_len(records));
    emit_igmp_v3_report(out, records);
    return out;
}

// --- the code format (RFC 3376 §4.1.1 and §4.1.7) -------------------------------------------------

TEST(igmp, decodes_max_resp_codes_per_rfc3376_4_1_1) {
    struct row {
        uint8_t code;   ///< the byte on the wire
        uint32_t value; ///< what it means
    };
    constexpr row table[] = {
        {0x00, 0},    {0x01, 1},    {0x0a, 10},    {0x64, 100},   {0x7f, 127},   // literal below 128
        {0x80, 128},  {0x81, 136},  {0x8c, 224},   {0x8f, 248},                  // exp 0: (16|m) << 3
        {0x90, 256},  {0x9f, 496},  {0xa0, 512},   {0xb0, 1024},  {0xc0, 2048},  // exp 1..4
        {0xd0, 4096}, {0xe0, 8192}, {0xf0, 16384}, {0xf5, 21504}, {0xff, 31744}, // exp 5..7; the maximum
    };
    for (const auto& r : table) {
        EXPECT_EQ(igmp_decode_code(r.code), r.value) << int(r.code);
        EXPECT_EQ(igmp_encode_code(r.value), r.code) << r.value;
    }
    static_assert(igmp_decode_code(0x8c) == 224 && igmp_encode_code(125) == 125);
}

TEST(igmp, encoding_rounds_down_and_saturates) {
    EXPECT_EQ(igmp_encode_code(129), 0x80); // 128..135 all encode as 128
    EXPECT_EQ(igmp_encode_code(135), 0x80);
    EXPECT_EQ(igmp_encode_code(255), 0x8f); // 248
    EXPECT_EQ(igmp_encode_code(31744), 0xff);
    EXPECT_EQ(igmp_encode_code(31745), 0xff);
    EXPECT_EQ(igmp_encode_code(1'000'000), 0xff);
    for (uint32_t v = 0; v < 40000; ++v) {
        const uint32_t back = igmp_decode_code(igmp_encode_code(v));
        ASSERT_LE(back, v) << v;
        if (v <= 31744) {
            ASSERT_LE(v - back, v / 16) << "within one mantissa step of " << v;
        }
    }
    for (int c = 0; c < 256; ++c) EXPECT_EQ(igmp_encode_code(igmp_decode_code(uint8_t(c))), c);
}

// --- queries ---------------------------------------------------------------------------------------

TEST(igmp, parses_a_v3_general_query) {
    igmp_query q;
    ASSERT_EQ(igmp_query::parse(igmp_of(test::igmp_v3_general_query_frame), q), wire_error::ok);
    EXPECT_EQ(q.version, igmp_version::v3);
    EXPECT_TRUE(q.is_general());
    EXPECT_EQ(q.max_resp_code, 10);
    EXPECT_EQ(q.max_response_time_ds(), 10u);
    EXPECT_FALSE(q.suppress_router_processing);
    EXPECT_EQ(q.qrv, 2);
    EXPECT_EQ(q.qqic, 125);
    EXPECT_EQ(q.querier_query_interval_s(), 125u);
    EXPECT_EQ(q.source_count(), 0u);
}

TEST(igmp, parses_a_v3_group_and_source_specific_query) {
    const auto bytes = igmp_of(test::igmp_v3_group_source_query_frame);
    igmp_query q;
    ASSERT_EQ(igmp_query::parse(bytes, q), wire_error::ok);
    EXPECT_EQ(q.version, igmp_version::v3);
    EXPECT_FALSE(q.is_general());
    EXPECT_EQ(q.group, group4);
    EXPECT_EQ(q.max_resp_code, 0x8c);
    EXPECT_EQ(q.max_response_time_ds(), 224u);
    EXPECT_TRUE(q.suppress_router_processing);
    EXPECT_EQ(q.qrv, 2);
    EXPECT_EQ(q.querier_query_interval_s(), 248u);
    ASSERT_EQ(q.source_count(), 2u);
    EXPECT_EQ(q.source(0), router);
    EXPECT_EQ(q.source(1), other_source);
    EXPECT_EQ(q.sources.data(), bytes.data() + 12) << "a view, not a copy";
}

TEST(igmp, parses_v2_and_v1_queries) {
    igmp_query q;
    ASSERT_EQ(igmp_query::parse(igmp_of(test::igmp_v2_general_query_frame), q), wire_error::ok);
    EXPECT_EQ(q.version, igmp_version::v2);
    EXPECT_TRUE(q.is_general());
    EXPECT_EQ(q.max_response_time_ds(), 100u);
    EXPECT_EQ(q.qrv, 0);
    EXPECT_EQ(q.querier_query_interval_s(), 0u);

    ASSERT_EQ(igmp_query::parse(igmp_of(test::igmp_v2_group_query_frame), q), wire_error::ok);
    EXPECT_EQ(q.version, igmp_version::v2);
    EXPECT_EQ(q.group, group3);
    EXPECT_EQ(q.max_response_time_ds(), 10u);

    ASSERT_EQ(igmp_query::parse(igmp_of(test::igmp_v1_query_frame), q), wire_error::ok);
    EXPECT_EQ(q.version, igmp_version::v1);
    EXPECT_EQ(q.max_resp_code, 0);
    EXPECT_EQ(q.max_response_time_ds(), 100u) << "v1 queries mean 10 s";
}

TEST(igmp, a_v2_code_above_127_is_literal_not_a_float) {
    igmp_query q;
    q.version = igmp_version::v2;
    q.max_resp_code = 0xff;
    EXPECT_EQ(q.max_response_time_ds(), 255u);
    q.version = igmp_version::v3;
    EXPECT_EQ(q.max_response_time_ds(), 31744u);
}

TEST(igmp, emits_each_captured_query) {
    const std::span<const std::byte> captured[] = {
        igmp_of(test::igmp_v3_general_query_frame), igmp_of(test::igmp_v3_group_source_query_frame),
        igmp_of(test::igmp_v2_general_query_frame), igmp_of(test::igmp_v2_group_query_frame),
        igmp_of(test::igmp_v1_query_frame)};
    for (const auto bytes : captured) {
        igmp_query q;
        ASSERT_EQ(igmp_query::parse(bytes, q), wire_error::ok);
        std::vector<std::byte> out(q.message_len(), std::byte{0xee});
        ASSERT_EQ(out.size(), bytes.size());
        q.emit(out);
        EXPECT_TRUE(same(out, bytes)) << int(q.version);
    }
}

TEST(igmp, emits_a_v3_query_from_fields) {
    const std::array<std::byte, 8> sources = {std::byte{198}, std::byte{18}, std::byte{4}, std::byte{2},
                                              std::byte{198}, std::byte{18}, std::byte{4}, std::byte{3}};
    igmp_query q;
    q.group = group4;
    q.max_resp_code = igmp_encode_code(224);
    q.suppress_router_processing = true;
    q.qrv = 2;
    q.qqic = igmp_encode_code(248);
    q.sources = sources;
    std::array<std::byte, 20> out{};
    ASSERT_EQ(q.message_len(), out.size());
    q.emit(out);
    EXPECT_TRUE(same(out, igmp_of(test::igmp_v3_group_source_query_frame)));
}

TEST(igmp, query_emit_handles_sources_already_in_place) {
    auto buffer = test::copy_of(igmp_of(test::igmp_v3_group_source_query_frame));
    igmp_query q;
    ASSERT_EQ(igmp_query::parse(buffer, q), wire_error::ok);
    q.max_resp_code = 50;
    q.emit(buffer);
    igmp_query back;
    ASSERT_EQ(igmp_query::parse(buffer, back), wire_error::ok);
    EXPECT_EQ(back.max_resp_code, 50);
    EXPECT_EQ(back.source(1), other_source);
}

TEST(igmp, v1_emit_writes_code_zero) {
    igmp_query q;
    q.version = igmp_version::v1;
    q.max_resp_code = 100;
    std::array<std::byte, 8> out{};
    q.emit(out);
    EXPECT_TRUE(same(out, igmp_of(test::igmp_v1_query_frame)));
}

TEST(igmp, round_trips_random_queries) {
    std::mt19937 rng(3376);
    for (int i = 0; i < 1000; ++i) {
        std::vector<std::byte> sources(4 * (rng() % 6));
        for (auto& b : sources) b = std::byte(uint8_t(rng()));
        igmp_query q;
        q.version = igmp_version(1 + rng() % 3);
        q.max_resp_code = q.version == igmp_version::v1 ? 0 : uint8_t(1 + rng() % 255);
        q.group = ipv4_address{uint32_t(rng())};
        if (q.version == igmp_version::v3) {
            q.suppress_router_processing = rng() & 1;
            q.qrv = uint8_t(rng() & 7);
            q.qqic = uint8_t(rng());
            q.sources = sources;
        }
        std::vector<std::byte> out(q.message_len());
        q.emit(out);
        EXPECT_EQ(internet_checksum(out), 0);
        igmp_query back;
        ASSERT_EQ(igmp_query::parse(out, back), wire_error::ok);
        EXPECT_EQ(back.version, q.version);
        EXPECT_EQ(back.max_resp_code, q.max_resp_code);
        EXPECT_EQ(back.group, q.group);
        EXPECT_EQ(back.suppress_router_processing, q.suppress_router_processing);
        EXPECT_EQ(back.qrv, q.qrv);
        EXPECT_EQ(back.qqic, q.qqic);
        EXPECT_TRUE(same(back.sources, q.sources));
    }
}

// --- v1/v2 reports and v2 leave --------------------------------------------------------------------

TEST(igmp, parses_and_emits_the_kernels_v2_report_leave_and_v1_report) {
    struct row {
        std::span<const std::byte> bytes; ///< the captured message
        uint8_t type;                     ///< its type
    };
    const row rows[] = {
        {igmp_of(test::igmp_v2_report_frame), igmp_type::v2_membership_report},
        {igmp_of(test::igmp_v2_leave_frame), igmp_type::v2_leave_group},
        {igmp_of(test::igmp_v1_report_frame), igmp_type::v1_membership_report},
    };
    for (const auto& r : rows) {
        igmp_v2_message m;
        ASSERT_EQ(igmp_v2_message::parse(r.bytes, m), wire_error::ok);
        EXPECT_EQ(m.type, r.type);
        EXPECT_EQ(m.max_resp_time, 0);
        EXPECT_EQ(m.group, group3);
        std::array<std::byte, 8> out{};
        igmp_v2_message{r.type, 0, group3}.emit(out);
        EXPECT_TRUE(same(out, r.bytes)) << int(r.type);
    }
}

TEST(igmp, a_v2_message_longer_than_8_bytes_is_accepted) {
    // RFC 2236 §2.5: ignore anything past the first 8 bytes, but checksum the whole payload.
    auto bytes = test::copy_of(igmp_of(test::igmp_v2_report_frame));
    bytes.insert(bytes.end(), {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}});
    igmp_v2_message m;
    EXPECT_EQ(igmp_v2_message::parse(bytes, m), wire_error::bad_checksum);
    store_be16(bytes.data() + 2, 0);
    store_be16(bytes.data() + 2, internet_checksum(bytes));
    ASSERT_EQ(igmp_v2_message::parse(bytes, m), wire_error::ok);
    EXPECT_EQ(m.group, group3);
}

// --- v3 reports ------------------------------------------------------------------------------------

TEST(igmp, parses_the_kernels_v3_reports) {
    struct row {
        std::span<const std::byte> bytes; ///< the captured message
        std::vector<record_copy> records; ///< what it says
    };
    const row rows[] = {
        {igmp_of(test::igmp_v3_join_frame), {{igmp_record_type::change_to_exclude, group3, {}}}},
        {igmp_of(test::igmp_v3_source_join_frame), {{igmp_record_type::allow_new_sources, group4, {router}}}},
        {igmp_of(test::igmp_v3_current_state_frame),
         {{igmp_record_type::mode_is_include, group4, {router, other_source}},
          {igmp_record_type::mode_is_exclude, group3, {}}}},
        {igmp_of(test::igmp_v3_leave_frame), {{igmp_record_type::change_to_include, group3, {}}}},
        {igmp_of(test::igmp_v3_source_leave_frame),
         {{igmp_record_type::block_old_sources, group4, {router}}}},
    };
    for (const auto& r : rows) {
        igmp_v3_report report;
        ASSERT_EQ(igmp_v3_report::parse(r.bytes, report), wire_error::ok);
        EXPECT_EQ(report.record_count, r.records.size());
        EXPECT_EQ(report.records.size(), r.bytes.size() - 8);
        EXPECT_EQ(records_of(report), r.records);
    }
}

TEST(igmp, emits_the_kernels_v3_reports) {
    const ipv4_address just_router[] = {router};
    const ipv4_address both[] = {router, other_source};
    const igmp_group_record join[] = {{igmp_record_type::change_to_exclude, group3, {}}};
    const igmp_group_record source_join[] = {{igmp_record_type::allow_new_sources, group4, just_router}};
    const igmp_group_record current[] = {{igmp_record_type::mode_is_include, group4, both},
                                         {igmp_record_type::mode_is_exclude, group3, {}}};
    const igmp_group_record leave[] = {{igmp_record_type::change_to_include, group3, {}}};
    const igmp_group_record source_leave[] = {{igmp_record_type::block_old_sources, group4, just_router}};
    EXPECT_TRUE(same(v3_report(join), igmp_of(test::igmp_v3_join_frame)));
    EXPECT_TRUE(same(v3_report(source_join), igmp_of(test::igmp_v3_source_join_frame)));
    EXPECT_TRUE(same(v3_report(current), igmp_of(test::igmp_v3_current_state_frame)));
    EXPECT_TRUE(same(v3_report(leave), igmp_of(test::igmp_v3_leave_frame)));
    EXPECT_TRUE(same(v3_report(source_leave), igmp_of(test::igmp_v3_source_leave_frame)));
    EXPECT_EQ(igmp_v3_report_len(current), 32u);
    EXPECT_EQ(igmp_v3_report_len({}), 8u);
}

TEST(igmp, a_report_with_no_records_is_valid) {
    const auto bytes = v3_report({});
    igmp_v3_report report;
    ASSERT_EQ(igmp_v3_report::parse(bytes, report), wire_error::ok);
    EXPECT_EQ(report.record_count, 0);
    EXPECT_TRUE(records_of(report).empty());
}

TEST(igmp, aux_data_and_trailing_bytes_are_skipped) {
    // Two records, the first with 1 source and 2 words of aux data, then 3 trailing bytes.
    // clang-format off
    constexpr uint8_t message[] = {
        0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, // v3 report, checksum filled below, 2 records
        0x05, 0x02, 0x00, 0x01, 0xef, 0x01, 0x02, 0x04, // ALLOW, aux 2 words, 1 source, 239.1.2.4
        0xc6, 0x12, 0x04, 0x02,                         // source 198.18.4.2
        0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce, // aux data
        0x02, 0x00, 0x00, 0x00, 0xef, 0x01, 0x02, 0x03, // IS_EX, no aux, no sources, 239.1.2.3
        0x01, 0x02, 0x03,                               // trailing bytes
    };
    // clang-format on
    auto bytes = test::copy_of(as_bytes(message));
    store_be16(bytes.data() + 2, internet_checksum(bytes));
    igmp_v3_report report;
    ASSERT_EQ(igmp_v3_report::parse(bytes, report), wire_error::ok);
    EXPECT_EQ(report.records.size(), bytes.size() - 8 - 3);
    const std::vector<record_copy> want = {{igmp_record_type::allow_new_sources, group4, {router}},
                                           {igmp_record_type::mode_is_exclude, group3, {}}};
    EXPECT_EQ(records_of(report), want);
    uint8_t aux = 0;
    report.for_each_record([&](const igmp_v3_record& r) { aux += r.aux_data_words; });
    EXPECT_EQ(aux, 2);
}

TEST(igmp, unknown_record_types_are_passed_on) {
    const igmp_group_record odd[] = {{igmp_record_type(9), group3, {}}};
    const auto bytes = v3_report(odd);
    igmp_v3_report report;
    ASSERT_EQ(igmp_v3_report::parse(bytes, report), wire_error::ok);
    EXPECT_EQ(uint8_t(records_of(report).at(0).type), 9);
}

TEST(igmp, round_trips_random_v3_reports) {
    std::mt19937 rng(2236);
    for (int i = 0; i < 500; ++i) {
        std::vector<std::vector<ipv4_address>> sources(rng() % 8);
        std::vector<igmp_group_record> records;
        std::vector<record_copy> want;
        for (auto& s : sources) {
            s.resize(rng() % 5);
            for (auto& a : s) a = ipv4_address{uint32_t(rng())};
            const igmp_group_record r{igmp_record_type(1 + rng() % 6), ipv4_address{uint32_t(rng())}, s};
            records.push_back(r);
            want.push_back({r.type, r.group, s});
        }
        const auto bytes = v3_report(records);
        EXPECT_EQ(internet_checksum(bytes), 0);
        igmp_message m;
        ASSERT_EQ(parse_igmp(bytes, m), wire_error::ok);
        ASSERT_EQ(m.type, igmp_type::v3_membership_report);
        EXPECT_EQ(records_of(m.v3_report), want);
    }
}

// --- parse_igmp ------------------------------------------------------------------------------------

TEST(igmp, parse_igmp_dispatches_on_type) {
    igmp_message m;
    ASSERT_EQ(parse_igmp(igmp_of(test::igmp_v3_group_source_query_frame), m), wire_error::ok);
    EXPECT_EQ(m.type, igmp_type::membership_query);
    EXPECT_EQ(m.query.version, igmp_version::v3);
    EXPECT_EQ(m.query.source_count(), 2u);

    ASSERT_EQ(parse_igmp(igmp_of(test::igmp_v1_query_frame), m), wire_error::ok);
    EXPECT_EQ(m.query.version, igmp_version::v1);

    ASSERT_EQ(parse_igmp(igmp_of(test::igmp_v2_leave_frame), m), wire_error::ok);
    EXPECT_EQ(m.type, igmp_type::v2_leave_group);
    EXPECT_EQ(m.v2_message.group, group3);

    ASSERT_EQ(parse_igmp(igmp_of(test::igmp_v1_report_frame), m), wire_error::ok);
    EXPECT_EQ(m.type, igmp_type::v1_membership_report);

    ASSERT_EQ(parse_igmp(igmp_of(test::igmp_v3_current_state_frame), m), wire_error::ok);
    EXPECT_EQ(m.type, igmp_type::v3_membership_report);
    EXPECT_EQ(m.v3_report.record_count, 2);
}

TEST(igmp, each_parser_rejects_the_others_types) {
    igmp_query q;
    igmp_v2_message v2;
    igmp_v3_report v3;
    EXPECT_EQ(igmp_query::parse(igmp_of(test::igmp_v2_report_frame), q), wire_error::bad_type);
    EXPECT_EQ(igmp_query::parse(igmp_of(test::igmp_v3_join_frame), q), wire_error::bad_type);
    EXPECT_EQ(igmp_v2_message::parse(igmp_of(test::igmp_v2_general_query_frame), v2), wire_error::bad_type);
    EXPECT_EQ(igmp_v2_message::parse(igmp_of(test::igmp_v3_join_frame), v2), wire_error::bad_type);
    EXPECT_EQ(igmp_v3_report::parse(igmp_of(test::igmp_v2_report_frame), v3), wire_error::bad_type);
    EXPECT_EQ(igmp_v3_report::parse(igmp_of(test::igmp_v3_general_query_frame), v3), wire_error::bad_type);
}

TEST(igmp, every_strict_prefix_is_truncated) {
    // Cut each captured message at every length, re-checksum what is left so only the length is
    // wrong: all are truncated, except a v3 query cut to 8 bytes, which is a valid v2 query.
    const std::span<const std::byte> messages[] = {
        igmp_of(test::igmp_v3_join_frame),
        igmp_of(test::igmp_v3_source_join_frame),
        igmp_of(test::igmp_v3_current_state_frame),
        igmp_of(test::igmp_v3_source_leave_frame),
        igmp_of(test::igmp_v2_report_frame),
        igmp_of(test::igmp_v2_leave_frame),
        igmp_of(test::igmp_v1_report_frame),
        igmp_of(test::igmp_v3_general_query_frame),
        igmp_of(test::igmp_v3_group_source_query_frame),
        igmp_of(test::igmp_v2_general_query_frame),
    };
    for (const auto message : messages) {
        for (size_t n = 0; n < message.size(); ++n) {
            auto bytes = test::copy_of(message.first(n));
            if (n >= 4) {
                store_be16(bytes.data() + 2, 0);
                store_be16(bytes.data() + 2, internet_checksum(bytes));
            }
            const bool v2_query = uint8_t(message[0]) == igmp_type::membership_query && n == 8;
            igmp_message m;
            EXPECT_EQ(parse_igmp(bytes, m), v2_query ? wire_error::ok : wire_error::truncated)
                << "type " << int(message[0]) << " cut to " << n;
            if (n >= 8) {
                bytes[2] ^= std::byte{1};
                EXPECT_EQ(parse_igmp(bytes, m), wire_error::bad_checksum) << "checksum comes first, at " << n;
                EXPECT_EQ(parse_igmp(bytes, m, false), v2_query ? wire_error::ok : wire_error::truncated);
            }
        }
    }
}

/// One validation case: how to spoil a captured message and what parse_igmp must say.
struct igmp_case {
    const char* name;                                  ///< what is wrong
    std::span<const std::byte> message;                ///< the captured message to start from
    std::function<void(std::vector<std::byte>&)> edit; ///< spoils the bytes (may resize them)
    bool fix_checksum;    ///< re-checksum after the edit, so only the edit is wrong
    bool verify_checksum; ///< parse's flag
    wire_error expected;  ///< the verdict
};

/// Sets byte `at` to `v`.
auto set_byte(size_t at, uint8_t v) {
    return [at, v](std::vector<std::byte>& b) { b[at] = std::byte{v}; };
}
/// Sets the 16-bit field at `at` to `v`.
auto set16(size_t at, uint16_t v) {
    return [at, v](std::vector<std::byte>& b) { store_be16(b.data() + at, v); };
}
/// Appends `n` zero bytes.
auto append(size_t n) {
    return [n](std::vector<std::byte>& b) { b.resize(b.size() + n); };
}

TEST(igmp, validation_table) {
    const auto none = [](std::vector<std::byte>&) {};
    const auto v3q = igmp_of(test::igmp_v3_group_source_query_frame);
    const auto v2q = igmp_of(test::igmp_v2_general_query_frame);
    const auto v2r = igmp_of(test::igmp_v2_report_frame);
    const auto v3r = igmp_of(test::igmp_v3_current_state_frame);
    const auto join = igmp_of(test::igmp_v3_join_frame);
    const igmp_case cases[] = {
        {"v3 query", v3q, none, false, true, wire_error::ok},
        {"v2 report", v2r, none, false, true, wire_error::ok},
        {"v3 report", v3r, none, false, true, wire_error::ok},
        // checksums
        {"v3 query: source changed", v3q, set_byte(19, 9), false, true, wire_error::bad_checksum},
        {"v2 query: group changed", v2q, set_byte(7, 1), false, true, wire_error::bad_checksum},
        {"v2 report: checksum zeroed", v2r, set16(2, 0), false, true, wire_error::bad_checksum},
        {"v3 report: record type changed", v3r, set_byte(8, 2), false, true, wire_error::bad_checksum},
        {"v3 report: bad checksum, not verified", v3r, set_byte(8, 2), false, false, wire_error::ok},
        {"bad checksum beats bad type", v2r, set_byte(0, 0x13), false, true, wire_error::bad_checksum},
        // types
        {"type 0", v2r, set_byte(0, 0x00), true, true, wire_error::bad_type},
        {"type 0x13 (DVMRP)", v2r, set_byte(0, 0x13), true, true, wire_error::bad_type},
        {"type 0x1e (mtrace response)", v2r, set_byte(0, 0x1e), true, true, wire_error::bad_type},
        {"type 0x1f (mtrace)", v2r, set_byte(0, 0x1f), true, true, wire_error::bad_type},
        {"type 0xff", v2r, set_byte(0, 0xff), true, true, wire_error::bad_type},
        {"type 0x17 is a leave", v2r, set_byte(0, 0x17), true, true, wire_error::ok},
        {"bad type, not verified", v2r, set_byte(0, 0x30), false, false, wire_error::bad_type},
        // query lengths (RFC 3376 §7.1)
        {"9-byte query", v2q, append(1), true, true, wire_error::truncated},
        {"11-byte query", v2q, append(3), true, true, wire_error::truncated},
        {"12-byte query is v3", v2q, append(4), true, true, wire_error::ok},
        {"v3 query: 3 sources in 2's room", v3q, set16(10, 3), true, true, wire_error::truncated},
        {"v3 query: 65535 sources", v3q, set16(10, 65535), true, true, wire_error::truncated},
        {"v3 query: 1 source of 2 sent (extra bytes ignored)", v3q, set16(10, 1), true, true, wire_error::ok},
        {"v3 query: sources then 3 stray bytes", v3q, append(3), true, true, wire_error::ok},
        // report records (RFC 3376 §4.2)
        {"v3 report: 3 records of 2", v3r, set16(6, 3), true, true, wire_error::truncated},
        {"v3 report: 65535 records", v3r, set16(6, 65535), true, true, wire_error::truncated},
        {"v3 report: 1 record of 2", v3r, set16(6, 1), true, true, wire_error::ok},
        {"v3 report: record 1 claims 3 sources", v3r, set16(10, 3), true, true, wire_error::truncated},
        {"v3 report: record 1 claims 4 sources, eating record 2", v3r, set16(10, 4), true, true,
         wire_error::truncated},
        {"v3 report: 1 record of 4 sources", v3r,
         [](auto& b) {
             store_be16(b.data() + 6, 1);
             store_be16(b.data() + 10, 4);
         },
         true, true, wire_error::ok},
        {"v3 report: record 1 claims 5 sources", v3r, set16(10, 5), true, true, wire_error::truncated},
        {"v3 report: last record claims 1 source", v3r, set16(26, 1), true, true, wire_error::truncated},
        {"v3 report: last record claims aux data", v3r, set_byte(25, 1), true, true, wire_error::truncated},
        {"v3 report: aux data present", v3r,
         [](auto& b) {
             b[25] = std::byte{1};
             b.resize(b.size() + 4);
         },
         true, true, wire_error::ok},
        {"v3 report: 7 trailing bytes", join, append(7), true, true, wire_error::ok},
        {"v3 report: 2 records, second header cut short", join,
         [](auto& b) {
             store_be16(b.data() + 6, 2);
             b.resize(b.size() + 7);
         },
         true, true, wire_error::truncated},
        {"v3 report: overrun, not verified", v3r, set16(6, 3), false, false, wire_error::truncated},
    };
    for (const auto& c : cases) {
        auto bytes = test::copy_of(c.message);
        c.edit(bytes);
        if (c.fix_checksum) {
            store_be16(bytes.data() + 2, 0);
            store_be16(bytes.data() + 2, internet_checksum(bytes));
        }
        igmp_message m;
        EXPECT_EQ(parse_igmp(bytes, m, c.verify_checksum), c.expected)
            << c.name << ": got " << to_string(parse_igmp(bytes, m, c.verify_checksum));
    }
}

TEST(igmp, out_is_untouched_on_error) {
    auto bytes = test::copy_of(igmp_of(test::igmp_v3_current_state_frame));
    store_be16(bytes.data() + 6, 3);
    igmp_message m;
    m.type = 0x42;
    EXPECT_EQ(parse_igmp(bytes, m, false), wire_error::truncated);
    EXPECT_EQ(m.type, 0x42);
    EXPECT_EQ(m.v3_report.record_count, 0);
    EXPECT_TRUE(m.v3_report.records.empty());
}

// --- the IPv4 header with Router Alert -------------------------------------------------------------

TEST(igmp, emits_the_kernels_ipv4_header_with_router_alert) {
    struct row {
        std::span<const std::byte> frame; ///< the captured frame
        ipv4_address dst;                 ///< where it went
    };
    const row rows[] = {
        {as_bytes(test::igmp_v3_join_frame), igmp_address::v3_routers},
        {as_bytes(test::igmp_v3_current_state_frame), igmp_address::v3_routers},
        {as_bytes(test::igmp_v2_report_frame), group3},
        {as_bytes(test::igmp_v2_leave_frame), igmp_address::all_routers},
    };
    for (const auto& r : rows) {
        const auto datagram = r.frame.subspan(test::ip_offset);
        const size_t igmp_len = datagram.size() - ipv4_router_alert_header_len;
        std::array<std::byte, 24> out{};
        emit_ipv4_with_router_alert(out, igmp_ipv4_repr(host, r.dst, igmp_len));
        EXPECT_TRUE(same(out, datagram.first(24))) << r.dst.to_string();

        ipv4_repr ip;
        ASSERT_EQ(ipv4_repr::parse(datagram, ip), wire_error::ok);
        EXPECT_EQ(ip.header_len, 24);
        EXPECT_EQ(ip.protocol, ip_protocol::igmp);
        EXPECT_EQ(ip.ttl, 1);
        EXPECT_TRUE(has_router_alert(datagram.first(ip.header_len)));
    }
}

TEST(igmp, builds_the_kernels_v3_join_frame_from_scratch) {
    const igmp_group_record join[] = {{igmp_record_type::change_to_exclude, group3, {}}};
    const size_t igmp_len = igmp_v3_report_len(join);
    std::vector<std::byte> frame(ethernet_repr::header_len + ipv4_router_alert_header_len + igmp_len);
    ethernet_repr eth{multicast_mac(igmp_address::v3_routers), mac_address{{0x02, 0, 0, 0, 0x04, 0x01}},
                      ethertype::ipv4};
    eth.emit(frame);
    emit_ipv4_with_router_alert(std::span(frame).subspan(14),
                                igmp_ipv4_repr(host, igmp_address::v3_routers, igmp_len));
    emit_igmp_v3_report(std::span(frame).subspan(test::igmp_offset), join);
    EXPECT_TRUE(same(frame, as_bytes(test::igmp_v3_join_frame)));
}

TEST(igmp, router_alert_option_scan) {
    std::array<std::byte, 20> base{};
    ipv4_repr ip;
    ip.total_len = 20;
    ip.emit(base);
    const auto with_options = [&](std::initializer_list<uint8_t> opts) {
        std::vector<std::byte> h(base.begin(), base.end());
        for (auto o : opts) h.push_back(std::byte{o});
        return h;
    };
    EXPECT_FALSE(has_router_alert(base)) << "no options";
    EXPECT_TRUE(has_router_alert(with_options({0x94, 0x04, 0x00, 0x00})));
    EXPECT_TRUE(has_router_alert(with_options({0x01, 0x01, 0x01, 0x01, 0x94, 0x04, 0x00, 0x00})))
        << "after NOPs";
    EXPECT_TRUE(has_router_alert(with_options({0x07, 0x03, 0x04, 0x01, 0x94, 0x04, 0x00, 0x00})))
        << "after a record-route option";
    EXPECT_FALSE(has_router_alert(with_options({0x00, 0x00, 0x00, 0x00, 0x94, 0x04, 0x00, 0x00})))
        << "after End of Option List";
    EXPECT_FALSE(has_router_alert(with_options({0x94, 0x05, 0x00, 0x00}))) << "length past the end";
    EXPECT_FALSE(has_router_alert(with_options({0x07, 0x01, 0x94, 0x04}))) << "length below 2";
    EXPECT_FALSE(has_router_alert(with_options({0x44, 0x04, 0x05, 0x00}))) << "timestamp, not RA";
    EXPECT_FALSE(has_router_alert(with_options({0x01, 0x01, 0x01, 0x94}))) << "a kind with no length byte";
}

} // namespace
} // namespace tachyon::wire
