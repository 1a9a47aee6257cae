/// The SoupBinTCP stream parser: a session's bytes split at every byte boundary (and at every
/// pair of boundaries) give the same packets as fed whole; zero copy when a packet lies in one
/// feed; an oversize or zero Packet Length stops the stream with a named, counted error, never
/// a crash; and a property test against a plain reference parser of the whole stream, with
/// random packets (some malformed) fed in random pieces.

#include "apps/oe/soup_stream.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "apps/oe/ouch.hpp"
#include "unit/oe/golden.hpp"

namespace tachyon::oe {
namespace {

using namespace test;

/// A packet as seen: its type and payload bytes.
struct seen {
    soup_type type;
    std::vector<std::byte> payload;
    friend bool operator==(const seen&, const seen&) = default;
};

/// Feeds `stream` into `s` in pieces ending at `cuts` (sorted offsets); returns what came out.
std::vector<seen> feed_pieces(soup_stream& s, std::span<const std::byte> stream,
                              const std::vector<size_t>& cuts) {
    std::vector<seen> out;
    const auto sink = [&](const soup_packet& p) {
        out.push_back({p.type, {p.payload.begin(), p.payload.end()}});
    };
    size_t at = 0;
    for (size_t cut : cuts) {
        (void)s.feed(stream.subspan(at, cut - at), sink);
        at = cut;
    }
    (void)s.feed(stream.subspan(at), sink);
    return out;
}

/// A client's side of a short session: login, an order, a heartbeat, a debug note, logout.
std::vector<std::byte> client_session() {
    std::vector<std::byte> out(512);
    size_t n = soup_emit(
        soup_login_request{md::text<6>("TRADER"), md::text<10>("SECRET"), md::text<10>(""), {1}}, out);
    std::array<std::byte, 64> msg;
    const size_t m = ouch_emit(ouch_cancel_order{md::text<14>("ORD1"), 0}, msg);
    n += soup_emit(std::span(out).subspan(n), soup_type::unsequenced_data, std::span(msg).first(m));
    n += soup_emit(std::span(out).subspan(n), soup_type::client_heartbeat);
    n += soup_emit(std::span(out).subspan(n), soup_type::debug, ascii("note"));
    n += soup_emit(std::span(out).subspan(n), soup_type::logout_request);
    out.resize(n);
    return out;
}

TEST(soup_stream, whole_packets_are_views_of_the_bytes_fed) {
    const auto stream = client_session();
    soup_stream s(128);
    std::vector<const std::byte*> where;
    ASSERT_EQ(s.feed(stream, [&](const soup_packet& p) { where.push_back(p.payload.data()); }),
              soup_error::ok);
    ASSERT_EQ(where.size(), 5u);
    EXPECT_EQ(where[0], stream.data() + 3) << "no copy";
    EXPECT_EQ(s.stats().packets, 5u);
    EXPECT_EQ(s.stats().reassembled, 0u);
    EXPECT_EQ(s.stats().bytes, stream.size());
    EXPECT_EQ(s.pending(), 0u);
}

TEST(soup_stream, a_split_at_every_byte_boundary_gives_the_same_packets) {
    const auto stream = client_session();
    soup_stream whole(128);
    const auto expected = feed_pieces(whole, stream, {});
    ASSERT_EQ(expected.size(), 5u);
    EXPECT_EQ(expected[0].type, soup_type::login_request);
    EXPECT_EQ(expected[1].type, soup_type::unsequenced_data);
    EXPECT_EQ(expected[4].type, soup_type::logout_request);
    for (size_t cut = 1; cut < stream.size(); ++cut) {
        soup_stream s(128);
        EXPECT_EQ(feed_pieces(s, stream, {cut}), expected) << "split at " << cut;
        EXPECT_EQ(s.pending(), 0u);
    }
    // Every pair of cuts, so that a packet is also cut twice (its length field included).
    for (size_t a = 1; a < stream.size(); ++a)
        for (size_t b = a; b < stream.size(); ++b) {
            soup_stream s(128);
            ASSERT_EQ(feed_pieces(s, stream, {a, b}), expected) << "split at " << a << " and " << b;
        }
    // One byte at a time.
    std::vector<size_t> every(stream.size() - 1);
    for (size_t i = 0; i < every.size(); ++i) every[i] = i + 1;
    soup_stream s(128);
    EXPECT_EQ(feed_pieces(s, stream, every), expected);
    EXPECT_EQ(s.stats().reassembled, 5u);
}

TEST(soup_stream, an_oversize_length_prefix_stops_the_stream_and_is_counted) {
    soup_stream s(64);
    int packets = 0;
    const auto count = [&](const soup_packet&) { ++packets; };
    EXPECT_EQ(s.feed(bytes({0x00, 0x01, 0x48}), count), soup_error::ok);
    EXPECT_EQ(s.feed(bytes({0x00, 0x41, 0x53}), count), soup_error::oversize) << "65 > 64";
    EXPECT_TRUE(s.failed());
    EXPECT_EQ(s.stats().oversize, 1u);
    EXPECT_EQ(s.feed(bytes({0x00, 0x01, 0x48}), count), soup_error::oversize) << "ignored until reset";
    EXPECT_EQ(packets, 1);
    s.reset();
    EXPECT_EQ(s.feed(bytes({0x00, 0x01, 0x48}), count), soup_error::ok);
    EXPECT_EQ(packets, 2);

    // The same when the length field itself is split across feeds.
    soup_stream t(64);
    EXPECT_EQ(t.feed(bytes({0xff}), count), soup_error::ok);
    EXPECT_EQ(t.feed(bytes({0xff, 0x53}), count), soup_error::oversize);
    EXPECT_EQ(t.stats().oversize, 1u);

    // The largest length the field can say, at the default limit, is taken.
    soup_stream big;
    std::vector<std::byte> max_packet(2 + soup_max_length, std::byte{0});
    max_packet[0] = max_packet[1] = std::byte{0xff};
    max_packet[2] = std::byte{'S'};
    EXPECT_EQ(big.feed(std::span(max_packet).first(1000), count), soup_error::ok);
    EXPECT_EQ(big.feed(std::span(max_packet).subspan(1000), count), soup_error::ok);
    EXPECT_EQ(big.stats().packets, 1u);
}

TEST(soup_stream, a_zero_length_prefix_stops_the_stream) {
    soup_stream s(64);
    int packets = 0;
    EXPECT_EQ(s.feed(bytes({0x00, 0x01, 0x48, 0x00, 0x00, 0x00, 0x01, 0x48}),
                     [&](const soup_packet&) { ++packets; }),
              soup_error::zero_length);
    EXPECT_EQ(packets, 1);
    EXPECT_EQ(s.stats().zero_length, 1u);
    EXPECT_EQ(s.error(), soup_error::zero_length);
}

TEST(soup_stream, framed_bad_packets_are_dropped_counted_and_parsing_goes_on) {
    const auto stream = cat({
        bytes({0x00, 0x01, 0x58}),       // unknown type 'X'
        bytes({0x00, 0x02, 0x48, 0x00}), // a heartbeat with a payload
        bytes({0x00, 0x02, 0x4a, 0x41}), // Login Rejected 'A'
    });
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
        soup_stream s(64);
        const auto out = feed_pieces(s, stream, {cut});
        ASSERT_EQ(out.size(), 1u) << cut;
        EXPECT_EQ(out[0].type, soup_type::login_rejected);
        EXPECT_EQ(s.stats().unknown_type, 1u);
        EXPECT_EQ(s.stats().wrong_length, 1u);
        EXPECT_LE(s.stats().reassembled, 1u) << "only the valid packet can count as reassembled";
        EXPECT_FALSE(s.failed());
    }
}

/// The plain reference: walks the whole stream at once with `soup_packet::parse`.
struct reference_result {
    std::vector<seen> packets;
    uint64_t unknown_type = 0;
    uint64_t wrong_length = 0;
    soup_error stop = soup_error::ok;
    size_t pending = 0;
};

reference_result reference(std::span<const std::byte> stream, size_t max_length) {
    reference_result r;
    size_t at = 0;
    while (stream.size() - at >= 2) {
        const size_t len = (size_t(stream[at]) << 8) | size_t(stream[at + 1]);
        if (len == 0 || len > max_length) {
            r.stop = len == 0 ? soup_error::zero_length : soup_error::oversize;
            return r;
        }
        if (stream.size() - at - 2 < len) break;
        soup_packet p;
        const soup_error e = soup_packet::parse(stream.subspan(at, 2 + len), p);
        if (e == soup_error::ok) r.packets.push_back({p.type, {p.payload.begin(), p.payload.end()}});
        else if (e == soup_error::unknown_type) ++r.unknown_type;
        else ++r.wrong_length;
        at += 2 + len;
    }
    r.pending = stream.size() - at;
    return r;
}

TEST(soup_stream, property_random_packets_in_random_pieces_match_the_reference) {
    std::mt19937_64 rng(20261129);
    const char types[] = {'+', 'A', 'J', 'S', 'H', 'Z', 'L', 'U', 'R', 'O', 'Q', 'a'};
    for (int round = 0; round < 400; ++round) {
        const size_t max_length = 1 + rng() % 80;
        // A stream of random packets: mostly valid, some of unknown type or wrong length, and
        // rarely a zero or oversize length that ends the framing.
        std::vector<std::byte> stream;
        const int count = int(rng() % 30);
        for (int i = 0; i < count; ++i) {
            const char type = types[rng() % std::size(types)];
            const int fixed = soup_known_type(type) ? soup_fixed_payload_length(soup_type(type)) : -1;
            size_t payload = fixed >= 0 && rng() % 8 != 0 ? size_t(fixed) : rng() % 70;
            size_t len = 1 + payload;
            if (rng() % 50 == 0) len = 0;
            if (rng() % 50 == 0) len = max_length + 1 + rng() % 100;
            stream.push_back(std::byte(len >> 8));
            stream.push_back(std::byte(len));
            stream.push_back(std::byte(type));
            for (size_t b = 0; b < payload; ++b) stream.push_back(std::byte(rng()));
        }
        if (rng() % 4 == 0 && !stream.empty()) stream.resize(rng() % stream.size()); // cut mid-packet

        std::vector<size_t> cuts;
        const size_t pieces = stream.empty() ? 0 : rng() % 12;
        for (size_t i = 0; i < pieces; ++i) cuts.push_back(rng() % (stream.size() + 1));
        std::sort(cuts.begin(), cuts.end());

        soup_stream s(max_length);
        const auto got = feed_pieces(s, stream, cuts);
        const auto want = reference(stream, max_length);
        const std::string where = "round " + std::to_string(round);
        ASSERT_EQ(got, want.packets) << where;
        EXPECT_EQ(s.error(), want.stop) << where;
        EXPECT_EQ(s.stats().packets, want.packets.size()) << where;
        EXPECT_EQ(s.stats().unknown_type, want.unknown_type) << where;
        EXPECT_EQ(s.stats().wrong_length, want.wrong_length) << where;
        EXPECT_EQ(s.stats().zero_length + s.stats().oversize, want.stop == soup_error::ok ? 0u : 1u) << where;
        if (want.stop == soup_error::ok) {
            EXPECT_EQ(s.pending(), want.pending) << where;
        }
        EXPECT_LE(s.pending(), 2 + s.max_length()) << where;
        EXPECT_LE(s.stats().reassembled, s.stats().packets) << where;
    }
}

} // namespace
} // namespace tachyon::oe
