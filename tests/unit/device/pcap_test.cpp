/// pcap: the classic writer's bytes, checked field by field; the decorator records what
/// crosses a memory link in both directions (pcapng, with the direction and the times it was
/// given; only frames the inner device accepted); tshark reads the file back, direction
/// included (skipped when tshark is not installed).

#include "stack/device/pcap.hpp"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "stack/core/clock.hpp"
#include "stack/device/memory_link.hpp"
#include "unit/device/frames.hpp"
#include "unit/device/pcapng_reader.hpp"

namespace tachyon {
namespace {

/// A file path in the temporary directory, unique to this process and removed at the end.
struct temp_file {
    std::string path;
    explicit temp_file(const char* stem)
        : path((std::filesystem::temp_directory_path() /
                (std::string(stem) + "-" + std::to_string(::getpid()) + ".pcap"))
                   .string()) {}
    ~temp_file() { std::filesystem::remove(path); }
};

std::vector<uint8_t> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
    uint32_t v = 0;
    std::memcpy(&v, b.data() + at, 4);
    return v;
}

uint16_t u16(const std::vector<uint8_t>& b, size_t at) {
    uint16_t v = 0;
    std::memcpy(&v, b.data() + at, 2);
    return v;
}

pcap_options classic() {
    pcap_options o;
    o.format = capture_format::pcap;
    return o;
}

TEST(pcap_writer, writes_the_classic_nanosecond_format) {
    temp_file file("tachyon-pcap-writer");
    pcap_writer w;
    ASSERT_TRUE(w.open(file.path, classic()));
    std::vector<std::byte> f1(60, std::byte{0xab}), f2(1514, std::byte{0x11});
    w.write(f1, 1'700'000'000'123'456'789, capture_direction::inbound);
    w.write(f2, 1'700'000'001'000'000'001, capture_direction::outbound);
    ASSERT_TRUE(w.close());
    EXPECT_EQ(w.frames(), 2u);

    const auto b = read_all(file.path);
    ASSERT_EQ(b.size(), 24u + 16 + 60 + 16 + 1514);
    // Global header: magic written in host order reads back as 4d 3c b2 a1 on little endian.
    EXPECT_EQ(u32(b, 0), 0xa1b23c4du);
    if constexpr (std::endian::native == std::endian::little) {
        EXPECT_EQ(b[0], 0x4d);
        EXPECT_EQ(b[1], 0x3c);
        EXPECT_EQ(b[2], 0xb2);
        EXPECT_EQ(b[3], 0xa1);
    }
    EXPECT_EQ(u16(b, 4), 2);
    EXPECT_EQ(u16(b, 6), 4);
    EXPECT_EQ(u32(b, 8), 0u);
    EXPECT_EQ(u32(b, 12), 0u);
    EXPECT_EQ(u32(b, 16), 65535u);
    EXPECT_EQ(u32(b, 20), 1u);
    // First record.
    EXPECT_EQ(u32(b, 24), 1'700'000'000u);
    EXPECT_EQ(u32(b, 28), 123'456'789u);
    EXPECT_EQ(u32(b, 32), 60u);
    EXPECT_EQ(u32(b, 36), 60u);
    EXPECT_EQ(b[40], 0xab);
    EXPECT_EQ(b[40 + 59], 0xab);
    // Second record.
    const size_t r2 = 40 + 60;
    EXPECT_EQ(u32(b, r2), 1'700'000'001u);
    EXPECT_EQ(u32(b, r2 + 4), 1u);
    EXPECT_EQ(u32(b, r2 + 8), 1514u);
    EXPECT_EQ(u32(b, r2 + 12), 1514u);
    EXPECT_EQ(b[r2 + 16], 0x11);
    EXPECT_EQ(b.back(), 0x11);
}

TEST(pcap_writer, flush_makes_records_visible_before_close) {
    temp_file file("tachyon-pcap-flush");
    pcap_writer w;
    ASSERT_TRUE(w.open(file.path, classic()));
    std::vector<std::byte> f(100, std::byte{1});
    w.write(f, 0, capture_direction::inbound);
    EXPECT_EQ(read_all(file.path).size(), 0u) << "buffered until flush";
    ASSERT_TRUE(w.flush());
    EXPECT_EQ(read_all(file.path).size(), 24u + 16 + 100);
}

TEST(pcap_writer, open_reports_a_bad_path) {
    pcap_writer w;
    auto r = w.open("/nonexistent-dir/x.pcap");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("/nonexistent-dir/x.pcap"), std::string::npos);
    EXPECT_FALSE(w.is_open());
}

/// Sends `count` frames of `len` bytes from `from` (through `via`) and receives them at `to`,
/// which is given their receive time `now` as the stack would.
void exchange(device& via, memory_port& from, device& to, uint32_t first, size_t count, size_t len,
              instant now = instant{}) {
    std::array<packet, 32> frames;
    ASSERT_EQ(via.alloc_burst(std::span(frames).first(count)), count);
    for (size_t i = 0; i < count; ++i)
        test::make_frame(frames[i], to.capabilities().mac, from.capabilities().mac, first + uint32_t(i), len);
    ASSERT_EQ(via.tx_burst(std::span(frames).first(count)), count);
    via.flush();
    std::array<packet, 32> out;
    ASSERT_EQ(to.rx_burst(out), count);
    to.on_rx_time(std::span<const packet>(out.data(), count), now);
}

/// A manual clock for the decorator, with the Unix epoch 1.7e9 s before the clock's zero.
constexpr int64_t epoch_offset = 1'700'000'000'000'000'000;

TEST(pcap_device, records_both_directions_and_tshark_reads_them) {
    temp_file file("tachyon-pcap-device");
    memory_link link;
    manual_clock clock{instant::from_ns(5'000)};
    {
        pcap_writer w;
        ASSERT_TRUE(w.open(file.path));
        pcap_device cap{link.a(), w, make_capture_clock(clock, epoch_offset)};
        EXPECT_EQ(cap.capabilities().mac, link.a().capabilities().mac);
        EXPECT_TRUE(cap.capabilities().rx_time_hook) << "the stack must give it receive times";
        EXPECT_FALSE(link.a().capabilities().rx_time_hook);
        exchange(cap, link.a(), link.b(), 0, 10, 60);        // a → b: recorded on tx, at the clock's time
        clock.advance(duration::us(3));
        exchange(link.b(), link.b(), cap, 100, 5, 1514, instant::from_ns(7'777)); // b → a: at the given time
        EXPECT_EQ(w.frames(), 15u);
    } // the writer flushes on destruction
    EXPECT_EQ(link.a().pool().available(), link.a().pool().capacity());
    EXPECT_EQ(link.b().pool().available(), link.b().pool().capacity());

    const auto f = test::parse_pcapng(test::read_bytes(file.path));
    ASSERT_TRUE(f.ok) << f.error;
    ASSERT_EQ(f.packets.size(), 15u);
    for (size_t i = 0; i < 15; ++i) {
        const auto& p = f.packets[i];
        EXPECT_EQ(p.flags, i < 10 ? 2u : 1u) << i;
        EXPECT_EQ(p.timestamp, uint64_t(epoch_offset) + (i < 10 ? 5'000u : 7'777u)) << i;
        EXPECT_EQ(p.origlen, i < 10 ? 60u : 1514u);
    }

    if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark is not installed";
    const std::string cmd = "tshark -r " + file.path + " -T fields -e frame.len -e frame.packet_flags_direction 2>/dev/null";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::vector<int> lens, dirs;
    char line[64];
    while (std::fgets(line, sizeof line, p) != nullptr) {
        char* tab = std::strchr(line, '\t');
        ASSERT_NE(tab, nullptr) << line;
        lens.push_back(std::atoi(line));
        dirs.push_back(int(std::strtol(tab + 1, nullptr, 0)));
    }
    EXPECT_EQ(::pclose(p), 0);
    ASSERT_EQ(lens.size(), 15u);
    for (size_t i = 0; i < 10; ++i) EXPECT_EQ(lens[i], 60);
    for (size_t i = 10; i < 15; ++i) EXPECT_EQ(lens[i], 1514);
    for (size_t i = 0; i < 15; ++i) EXPECT_EQ(dirs[i], i < 10 ? 2 : 1) << "tshark reads the direction of frame " << i;
}

TEST(pcap_device, records_only_frames_the_inner_device_accepted) {
    temp_file file("tachyon-pcap-refused");
    memory_link_config cfg;
    cfg.queue_capacity = 4;
    memory_link link{cfg};
    pcap_writer w;
    ASSERT_TRUE(w.open(file.path));
    manual_clock clock;
    pcap_device cap{link.a(), w, make_capture_clock(clock, 0)};
    std::array<packet, 6> frames;
    ASSERT_EQ(cap.alloc_burst(frames), 6u);
    for (uint32_t i = 0; i < 6; ++i)
        test::make_frame(frames[i], link.b().capabilities().mac, link.a().capabilities().mac, i);
    EXPECT_EQ(cap.tx_burst(frames), 4u);
    EXPECT_EQ(w.frames(), 4u);
    EXPECT_TRUE(frames[4]);
    EXPECT_FALSE(frames[4].shared()) << "the decorator's references are gone";
    for (auto& f : frames) f.reset();
    std::array<packet, 8> out;
    EXPECT_EQ(link.b().rx_burst(out), 4u);
    for (auto& f : out) f.reset();
    EXPECT_EQ(link.a().pool().available(), link.a().pool().capacity());
}

} // namespace
} // namespace tachyon
