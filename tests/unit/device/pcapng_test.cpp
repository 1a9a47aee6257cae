/// pcapng: golden bytes of every block, written by hand from draft-ietf-opsawg-pcapng (§4.1
/// SHB, §4.2 IDB, §4.3 EPB, §4.3.1 epb_flags; options and 32-bit padding per §3.5); the
/// writer's files block by block (snapshot length, rotation into complete files, classic pcap
/// rotation); tshark reading the direction back (skipped when tshark is not installed).
///
/// The golden bytes are little-endian: the writer uses the host's order, as the format asks.

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "stack/device/capture_format.hpp"
#include "stack/device/pcap.hpp"
#include "unit/device/pcapng_reader.hpp"

namespace tachyon {
namespace {

using bytes = std::vector<uint8_t>;

bytes as_vector(std::span<const std::byte> s) {
    bytes out(s.size());
    std::memcpy(out.data(), s.data(), s.size());
    return out;
}

#define REQUIRE_LITTLE_ENDIAN()                                                         \
    if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "golden bytes are little-endian"

TEST(pcapng_golden, section_header_block) {
    REQUIRE_LITTLE_ENDIAN();
    std::array<std::byte, 64> out{};
    ASSERT_EQ(pcapng_section_header_size(), 44u);
    ASSERT_EQ(pcapng_section_header(out), 44u);
    const bytes expected = {
        0x0a, 0x0d, 0x0d, 0x0a,                         // block type
        0x2c, 0x00, 0x00, 0x00,                         // block total length 44
        0x4d, 0x3c, 0x2b, 0x1a,                         // byte-order magic
        0x01, 0x00, 0x00, 0x00,                         // version 1.0
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // section length -1: not given
        0x04, 0x00, 0x07, 0x00,                         // shb_userappl, 7 bytes
        't', 'a', 'c', 'h', 'y', 'o', 'n', 0x00,        // "tachyon" + 1 byte of padding
        0x00, 0x00, 0x00, 0x00,                         // opt_endofopt
        0x2c, 0x00, 0x00, 0x00,                         // block total length again
    };
    EXPECT_EQ(as_vector(std::span(out).first(44)), expected);
}

TEST(pcapng_golden, interface_description_block_with_name_and_snaplen) {
    REQUIRE_LITTLE_ENDIAN();
    std::array<std::byte, 64> out{};
    ASSERT_EQ(pcapng_interface_description_size("tch01"), 44u);
    ASSERT_EQ(pcapng_interface_description(out, 128, "tch01"), 44u);
    const bytes expected = {
        0x01, 0x00, 0x00, 0x00,                         // block type 1
        0x2c, 0x00, 0x00, 0x00,                         // length 44
        0x01, 0x00, 0x00, 0x00,                         // LINKTYPE_ETHERNET, reserved 0
        0x80, 0x00, 0x00, 0x00,                         // snaplen 128
        0x02, 0x00, 0x05, 0x00,                         // if_name, 5 bytes
        't', 'c', 'h', '0', '1', 0x00, 0x00, 0x00,      // padded to 8
        0x09, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, // if_tsresol = 9 (10^-9 s), padded
        0x00, 0x00, 0x00, 0x00,                         // opt_endofopt
        0x2c, 0x00, 0x00, 0x00,
    };
    EXPECT_EQ(as_vector(std::span(out).first(44)), expected);
}

TEST(pcapng_golden, interface_description_block_whole_frames_no_name) {
    REQUIRE_LITTLE_ENDIAN();
    std::array<std::byte, 64> out{};
    ASSERT_EQ(pcapng_interface_description_size(""), 32u);
    ASSERT_EQ(pcapng_interface_description(out, 0, ""), 32u);
    const bytes expected = {
        0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, // type 1, length 32
        0x01, 0x00, 0x00, 0x00,                         // Ethernet
        0x00, 0x00, 0x00, 0x00,                         // snaplen 0: no limit
        0x09, 0x00, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, // if_tsresol = 9
        0x00, 0x00, 0x00, 0x00,                         // opt_endofopt
        0x20, 0x00, 0x00, 0x00,
    };
    EXPECT_EQ(as_vector(std::span(out).first(32)), expected);
}

TEST(pcapng_golden, enhanced_packet_block_outbound_with_padding) {
    REQUIRE_LITTLE_ENDIAN();
    const std::array<std::byte, 5> frame = {std::byte{0xd0}, std::byte{0xd1}, std::byte{0xd2}, std::byte{0xd3},
                                            std::byte{0xd4}};
    std::array<std::byte, 64> out{};
    out.fill(std::byte{0xee}); // padding must be written as zeros, not left
    ASSERT_EQ(pcapng_enhanced_packet_size(5), 52u);
    // 1'700'000'000.123456789 s = 0x17979cfe'3d85cd15 ns.
    ASSERT_EQ(pcapng_enhanced_packet(out, frame, 5, 1'700'000'000'123'456'789ull, capture_direction::outbound), 52u);
    const bytes expected = {
        0x06, 0x00, 0x00, 0x00,                         // block type 6
        0x34, 0x00, 0x00, 0x00,                         // length 52
        0x00, 0x00, 0x00, 0x00,                         // interface 0
        0xfe, 0x9c, 0x97, 0x17,                         // timestamp, upper 32 bits
        0x15, 0xcd, 0x85, 0x3d,                         // timestamp, lower 32 bits
        0x05, 0x00, 0x00, 0x00,                         // captured 5
        0x05, 0x00, 0x00, 0x00,                         // original 5
        0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0x00, 0x00, 0x00, // data padded to 32 bits
        0x02, 0x00, 0x04, 0x00,                         // epb_flags, 4 bytes
        0x02, 0x00, 0x00, 0x00,                         // bits 0-1 = 10: outbound
        0x00, 0x00, 0x00, 0x00,                         // opt_endofopt
        0x34, 0x00, 0x00, 0x00,
    };
    EXPECT_EQ(as_vector(std::span(out).first(52)), expected);
    EXPECT_EQ(out[52], std::byte{0xee}) << "nothing written past the block";
}

TEST(pcapng_golden, enhanced_packet_block_inbound_cut_to_snaplen) {
    REQUIRE_LITTLE_ENDIAN();
    std::array<std::byte, 10> frame{};
    for (size_t i = 0; i < frame.size(); ++i) frame[i] = std::byte(0xa0 + i);
    std::array<std::byte, 64> out{};
    ASSERT_EQ(pcapng_enhanced_packet(out, frame, 8, 0x0000000100000002ull, capture_direction::inbound), 52u);
    const bytes expected = {
        0x06, 0x00, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00, // type 6, length 52
        0x00, 0x00, 0x00, 0x00,                         // interface 0
        0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, // timestamp high 1, low 2
        0x08, 0x00, 0x00, 0x00,                         // captured 8 (the snapshot)
        0x0a, 0x00, 0x00, 0x00,                         // original 10
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, // no padding needed
        0x02, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, // epb_flags: 01 inbound
        0x00, 0x00, 0x00, 0x00,                         // opt_endofopt
        0x34, 0x00, 0x00, 0x00,
    };
    EXPECT_EQ(as_vector(std::span(out).first(52)), expected);
}

TEST(pcapng_golden, every_padding_length) {
    // caplen 0..8: the block grows in steps of 4 and stays a multiple of 4.
    std::array<std::byte, 8> frame{};
    std::array<std::byte, 64> out{};
    for (size_t caplen = 0; caplen <= 8; ++caplen) {
        const size_t n = pcapng_enhanced_packet(out, frame, caplen, 0, capture_direction::unknown);
        EXPECT_EQ(n, 44 + (caplen + 3) / 4 * 4) << caplen;
        EXPECT_EQ(n % 4, 0u);
        uint32_t lead = 0, trail = 0;
        std::memcpy(&lead, out.data() + 4, 4);
        std::memcpy(&trail, out.data() + n - 4, 4);
        EXPECT_EQ(lead, n);
        EXPECT_EQ(trail, n);
    }
}

TEST(capture_format, parses_its_names) {
    EXPECT_EQ(parse_capture_format("pcapng"), capture_format::pcapng);
    EXPECT_EQ(parse_capture_format("pcap"), capture_format::pcap);
    EXPECT_FALSE(parse_capture_format("PCAP"));
    EXPECT_FALSE(parse_capture_format(""));
}

/// A capture path in the temporary directory; removes it and its rotated files at the end.
struct capture_path {
    std::string path;
    explicit capture_path(const char* stem)
        : path((std::filesystem::temp_directory_path() / (std::string(stem) + "-" + std::to_string(::getpid()) + ".pcapng"))
                   .string()) {}
    ~capture_path() {
        for (uint64_t i = 0; i < 1000; ++i) std::filesystem::remove(pcap_writer::rotated_path(path, i));
    }
};

std::vector<std::byte> numbered_frame(uint32_t seq, size_t len) {
    std::vector<std::byte> f(len);
    for (size_t i = 0; i < len; ++i) f[i] = std::byte((seq * 7 + i) & 0xff);
    for (size_t i = 0; i < 4 && i < len; ++i) f[i] = std::byte(seq >> (24 - 8 * i));
    return f;
}

uint32_t seq_of(const std::vector<uint8_t>& data) {
    return uint32_t(data[0]) << 24 | uint32_t(data[1]) << 16 | uint32_t(data[2]) << 8 | data[3];
}

TEST(pcapng_writer, writes_a_section_an_interface_and_packets) {
    capture_path file("tachyon-pcapng-writer");
    pcap_writer w;
    pcap_options o;
    o.snaplen = 100;
    o.interface_name = "tch0";
    ASSERT_TRUE(w.open(file.path, o));
    w.write(numbered_frame(1, 60), 1'000, capture_direction::inbound);
    w.write(numbered_frame(2, 1514), 2'000'000'000'000'000'001, capture_direction::outbound);
    w.write(numbered_frame(3, 100), -5, capture_direction::unknown); // before the epoch: 0
    ASSERT_TRUE(w.close());
    EXPECT_EQ(w.frames(), 3u);
    EXPECT_EQ(w.files(), 1u);

    const auto b = test::read_bytes(file.path);
    const auto f = test::parse_pcapng(b);
    ASSERT_TRUE(f.ok) << f.error;
    EXPECT_EQ(b.size(), 44u + 40 + (44 + 60) + (44 + 100) + (44 + 100));
    EXPECT_EQ(f.types, (std::vector<uint32_t>{0x0A0D0D0A, 1, 6, 6, 6}));
    EXPECT_EQ(f.major, 1);
    EXPECT_EQ(f.minor, 0);
    EXPECT_EQ(f.section_length, -1);
    EXPECT_EQ(f.linktype, 1);
    EXPECT_EQ(f.snaplen, 100u);
    ASSERT_EQ(f.idb_options.size(), 2u);
    EXPECT_EQ(f.idb_options[0].code, 2); // if_name
    EXPECT_EQ(std::string(f.idb_options[0].value.begin(), f.idb_options[0].value.end()), "tch0");
    EXPECT_EQ(f.idb_options[1].code, 9); // if_tsresol
    EXPECT_EQ(f.idb_options[1].value, bytes{9});
    ASSERT_EQ(f.packets.size(), 3u);
    EXPECT_EQ(f.packets[0].timestamp, 1'000u);
    EXPECT_EQ(f.packets[0].caplen, 60u);
    EXPECT_EQ(f.packets[0].origlen, 60u);
    EXPECT_EQ(f.packets[0].flags, 1u);
    EXPECT_EQ(f.packets[1].timestamp, 2'000'000'000'000'000'001u);
    EXPECT_EQ(f.packets[1].caplen, 100u) << "cut to the snapshot length";
    EXPECT_EQ(f.packets[1].origlen, 1514u);
    EXPECT_EQ(f.packets[1].flags, 2u);
    const auto second = numbered_frame(2, 1514);
    EXPECT_EQ(f.packets[1].data, as_vector(std::span(second).first(100)));
    EXPECT_EQ(f.packets[2].timestamp, 0u);
    EXPECT_EQ(f.packets[2].caplen, 100u) << "a frame of exactly the snapshot length is whole";
    for (const auto& p : f.packets) EXPECT_TRUE(p.has_flags);
}

TEST(pcapng_writer, rotates_into_complete_files_below_the_limit) {
    capture_path file("tachyon-pcapng-rotate");
    // A file left by an earlier run beyond what this one writes is removed at open.
    { std::ofstream(pcap_writer::rotated_path(file.path, 9)) << "stale"; }
    { std::ofstream(pcap_writer::rotated_path(file.path, 1)) << "stale"; }
    pcap_writer w;
    pcap_options o;
    o.rotate_bytes = 1000; // headers 44 + 32, then 144 per 100-byte frame: 6 frames a file
    ASSERT_TRUE(w.open(file.path, o));
    EXPECT_TRUE(std::filesystem::exists(pcap_writer::rotated_path(file.path, 9)))
        << "only path.1, path.2, ... up to the first gap are taken as an earlier run's";
    std::filesystem::remove(pcap_writer::rotated_path(file.path, 9));
    for (uint32_t i = 0; i < 32; ++i) w.write(numbered_frame(i, 100), 1'000 + i, capture_direction::inbound);
    ASSERT_TRUE(w.close());
    EXPECT_EQ(w.files(), 6u);

    uint32_t next = 0;
    for (uint64_t n = 0; n < 6; ++n) {
        const std::string p = pcap_writer::rotated_path(file.path, n);
        EXPECT_EQ(p, n == 0 ? file.path : file.path + "." + std::to_string(n));
        const auto b = test::read_bytes(p);
        EXPECT_LE(b.size(), 1000u) << p;
        const auto f = test::parse_pcapng(b);
        ASSERT_TRUE(f.ok) << p << ": " << f.error;
        ASSERT_GE(f.types.size(), 2u);
        EXPECT_EQ(f.types[0], 0x0A0D0D0Au) << "each file starts its own section";
        EXPECT_EQ(f.types[1], 1u) << "and describes its interface";
        EXPECT_EQ(f.packets.size(), n < 5 ? 6u : 2u) << p;
        for (const auto& pkt : f.packets) {
            EXPECT_EQ(seq_of(pkt.data), next) << "frames in order, none lost or repeated";
            EXPECT_EQ(pkt.timestamp, 1'000u + next);
            ++next;
        }
    }
    EXPECT_EQ(next, 32u);
    EXPECT_FALSE(std::filesystem::exists(pcap_writer::rotated_path(file.path, 6)));
}

TEST(pcapng_writer, a_frame_larger_than_the_limit_gets_a_file_of_its_own) {
    capture_path file("tachyon-pcapng-big");
    pcap_writer w;
    pcap_options o;
    o.rotate_bytes = 200;
    ASSERT_TRUE(w.open(file.path, o));
    w.write(numbered_frame(0, 60), 1, capture_direction::inbound);   // 76 + 104 = 180
    w.write(numbered_frame(1, 1000), 2, capture_direction::inbound); // alone in file 1
    w.write(numbered_frame(2, 60), 3, capture_direction::inbound);   // file 2
    ASSERT_TRUE(w.close());
    EXPECT_EQ(w.files(), 3u);
    for (uint64_t n = 0; n < 3; ++n) {
        const auto f = test::parse_pcapng(test::read_bytes(pcap_writer::rotated_path(file.path, n)));
        ASSERT_TRUE(f.ok) << f.error;
        ASSERT_EQ(f.packets.size(), 1u);
        EXPECT_EQ(seq_of(f.packets[0].data), n);
    }
}

TEST(pcap_writer_classic, rotates_with_a_header_per_file_and_cuts_to_snaplen) {
    capture_path file("tachyon-pcap-classic-rotate");
    pcap_writer w;
    pcap_options o;
    o.format = capture_format::pcap;
    o.snaplen = 64;
    o.rotate_bytes = 24 + 3 * (16 + 64);
    ASSERT_TRUE(w.open(file.path, o));
    for (uint32_t i = 0; i < 7; ++i) w.write(numbered_frame(i, 200), 5'000'000'000 + i, capture_direction::outbound);
    ASSERT_TRUE(w.close());
    ASSERT_EQ(w.files(), 3u);
    for (uint64_t n = 0; n < 3; ++n) {
        const auto b = test::read_bytes(pcap_writer::rotated_path(file.path, n));
        const size_t frames = n < 2 ? 3 : 1;
        ASSERT_EQ(b.size(), 24 + frames * (16 + 64));
        EXPECT_EQ(test::load<uint32_t>(b, 0), 0xa1b23c4du);
        EXPECT_EQ(test::load<uint32_t>(b, 16), 64u) << "snaplen in the header";
        for (size_t k = 0; k < frames; ++k) {
            const size_t r = 24 + k * 80;
            EXPECT_EQ(test::load<uint32_t>(b, r), 5u);
            EXPECT_EQ(test::load<uint32_t>(b, r + 4), n * 3 + k);
            EXPECT_EQ(test::load<uint32_t>(b, r + 8), 64u);
            EXPECT_EQ(test::load<uint32_t>(b, r + 12), 200u);
        }
    }
}

TEST(pcapng_writer, rotation_property_against_a_reference_model) {
    // Random frame sizes, snapshot lengths and limits, in both formats; the reference model
    // places each frame itself (a new file when this one would pass the limit and already
    // holds a frame) and the files must match it: same frames, in order, cut to the snapshot,
    // each file no larger than the limit unless it holds a single frame.
    capture_path file("tachyon-pcapng-property");
    std::mt19937 rng(20261129);
    for (int round = 0; round < 60; ++round) {
        const bool ng = rng() % 3 != 0;
        pcap_options o;
        o.format = ng ? capture_format::pcapng : capture_format::pcap;
        o.snaplen = rng() % 2 ? 0 : uint32_t(4 + rng() % 200); // 4: the sequence number stays
        o.rotate_bytes = 100 + rng() % 3000;
        const size_t header = ng ? 44 + 32 : 24;
        const size_t cap = o.snaplen ? o.snaplen : (ng ? capture_max_snaplen : 65535);
        std::vector<std::vector<uint32_t>> model(1);
        size_t model_bytes = header;
        pcap_writer w;
        ASSERT_TRUE(w.open(file.path, o));
        const uint32_t count = 1 + rng() % 40;
        std::vector<size_t> lens;
        for (uint32_t i = 0; i < count; ++i) {
            const size_t len = 4 + rng() % 1600;
            lens.push_back(len);
            const size_t caplen = std::min(len, cap);
            const size_t size = ng ? pcapng_enhanced_packet_size(caplen) : pcap_record_size(caplen);
            if (!model.back().empty() && model_bytes + size > o.rotate_bytes) {
                model.emplace_back();
                model_bytes = header;
            }
            model.back().push_back(i);
            model_bytes += size;
            w.write(numbered_frame(i, len), i, capture_direction(1 + i % 2));
        }
        ASSERT_TRUE(w.close());
        ASSERT_EQ(w.files(), model.size()) << "round " << round;
        for (size_t n = 0; n < model.size(); ++n) {
            const auto b = test::read_bytes(pcap_writer::rotated_path(file.path, n));
            if (model[n].size() > 1) {
                EXPECT_LE(b.size(), o.rotate_bytes) << "round " << round;
            }
            std::vector<uint32_t> seqs;
            if (ng) {
                const auto f = test::parse_pcapng(b);
                ASSERT_TRUE(f.ok) << f.error;
                for (const auto& p : f.packets) {
                    seqs.push_back(seq_of(p.data));
                    EXPECT_EQ(p.origlen, lens[seqs.back()]);
                    EXPECT_EQ(p.caplen, std::min<size_t>(lens[seqs.back()], cap));
                    EXPECT_EQ(p.flags, 1 + seqs.back() % 2);
                }
            } else {
                for (size_t at = 24; at + 16 <= b.size();) {
                    const uint32_t caplen = test::load<uint32_t>(b, at + 8);
                    ASSERT_LE(at + 16 + caplen, b.size());
                    seqs.push_back(uint32_t(b[at + 16]) << 24 | uint32_t(b[at + 17]) << 16 |
                                   uint32_t(b[at + 18]) << 8 | b[at + 19]);
                    at += 16 + caplen;
                }
            }
            EXPECT_EQ(seqs, model[n]) << "round " << round << " file " << n;
        }
        EXPECT_FALSE(std::filesystem::exists(pcap_writer::rotated_path(file.path, model.size())));
    }
}

TEST(pcapng_writer, refuses_a_snaplen_above_the_maximum) {
    capture_path file("tachyon-pcapng-snaplen");
    pcap_writer w;
    pcap_options o;
    o.snaplen = capture_max_snaplen + 1;
    EXPECT_FALSE(w.open(file.path, o));
    EXPECT_FALSE(w.is_open());
}

} // namespace
} // namespace tachyon
