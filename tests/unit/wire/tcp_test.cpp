/// TCP (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018): the kernel's own segments parse to the values below
/// and those values emit the kernel's bytes exactly (SYN, SYN-ACK, ACK, data, SACK, FIN, RST); every
/// option alone and together; Linux's option layout; both checksum modes; and the validation order
/// and the option rules as tables.

#include "stack/wire/tcp.hpp"

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "unit/wire/byte_edits.hpp"
#include "unit/wire/captures.hpp"

namespace tachyon::wire {
namespace {

using test::from;
using test::same;
using test::keep;
using test::dst_port;

/// 198.18.5.1, the kernel in the TCP captures.
constexpr ipv4_address kernel{198, 18, 5, 1};
/// 198.18.5.2, the scapy peer in the TCP captures.
constexpr ipv4_address peer{198, 18, 5, 2};

/// The TCP segment (header + payload) of a captured frame.
template <size_t N>
std::span<const std::byte> segment_of(const uint8_t (&frame)[N]) {
    return from(frame, test::l4_offset);
}


/// Recomputes the checksum of a segment sent from `src` to `dst`.
void fix_checksum(std::vector<std::byte>& s, ipv4_address src = kernel, ipv4_address dst = peer) {
    store_be16(s.data() + 16, 0);
    store_be16(s.data() + 16, checksum_fold(checksum_partial(
                                  s, pseudo_header_sum(src, dst, ip_protocol::tcp, uint16_t(s.size())))));
}

/// A checksummed ACK 40001 -> 5001 whose options are `opts` (a multiple of 4 bytes), with `payload`
/// bytes of 0xab after the header.
std::vector<std::byte> with_options(const std::vector<uint8_t>& opts, size_t payload = 0) {
    std::vector<std::byte> s(20 + opts.size() + payload, std::byte{0xab});
    store_be16(s.data(), 40001);
    store_be16(s.data() + 2, 5001);
    store_be32(s.data() + 4, 1000);
    store_be32(s.data() + 8, 2000);
    s[12] = std::byte(uint8_t(((20 + opts.size()) / 4) << 4));
    s[13] = std::byte{tcp_flags::ack};
    store_be16(s.data() + 14, 512);
    store_be16(s.data() + 18, 0);
    for (size_t i = 0; i < opts.size(); ++i) s[20 + i] = std::byte{opts[i]};
    fix_checksum(s);
    return s;
}

/// The kernel's SYN (client 198.18.5.1:40001 -> 198.18.5.2:5001) as a value.
tcp_repr kernel_syn() {
    return {.src_port = 40001,
            .dst_port = 5001,
            .seq = seq32{0xf0e017b4},
            .ack = seq32{0},
            .flags = tcp_flags::syn,
            .window = 64240,
            .checksum = 0x18bd,
            .urgent = 0,
            .header_len = 40,
            .options = {.has_mss = true,
                        .mss = 1460,
                        .has_window_scale = true,
                        .window_scale = 10,
                        .sack_permitted = true,
                        .has_timestamps = true,
                        .ts_val = 0xf855ed71,
                        .ts_ecr = 0}};
}

/// The kernel's SYN-ACK (server 198.18.5.1:5002 -> 198.18.5.2:40002) as a value.
tcp_repr kernel_syn_ack() {
    return {.src_port = 5002,
            .dst_port = 40002,
            .seq = seq32{0x2ce9d417},
            .ack = seq32{0x0badf00e},
            .flags = tcp_flags::syn | tcp_flags::ack,
            .window = 65160,
            .checksum = 0x9887,
            .urgent = 0,
            .header_len = 40,
            .options = {.has_mss = true,
                        .mss = 1460,
                        .has_window_scale = true,
                        .window_scale = 10,
                        .sack_permitted = true,
                        .has_timestamps = true,
                        .ts_val = 0x27ad45bb,
                        .ts_ecr = 0x00c10002}};
}

/// An established-state segment 40001 -> 5001 from the client capture: NOP NOP timestamps.
tcp_repr kernel_established(uint32_t seq, uint32_t ack, uint8_t flags, uint16_t checksum, uint32_t ts_val,
                            uint32_t ts_ecr) {
    return {.src_port = 40001,
            .dst_port = 5001,
            .seq = seq32{seq},
            .ack = seq32{ack},
            .flags = flags,
            .window = 63,
            .checksum = checksum,
            .urgent = 0,
            .header_len = 32,
            .options = {.has_timestamps = true, .ts_val = ts_val, .ts_ecr = ts_ecr}};
}

/// The kernel's handshake ACK.
tcp_repr kernel_ack() {
    return kernel_established(0xf0e017b5, 0x51a0c0df, tcp_flags::ack, 0x2efe, 0xf855ed72, 0x00c0ffee);
}

/// The kernel's "tachyon\n" segment.
tcp_repr kernel_data() {
    return kernel_established(0xf0e017b5, 0x51a0c0df, tcp_flags::ack | tcp_flags::psh, 0x6faa, 0xf855ed72,
                              0x00c0ffee);
}

/// The kernel's duplicate ACK with one SACK block.
tcp_repr kernel_sack() {
    tcp_repr r = kernel_established(0xf0e017bd, 0x51a0c0df, tcp_flags::ack, 0xd3c5, 0xf855ed73, 0x00c0ffee);
    r.header_len = 44;
    r.options.sack_count = 1;
    r.options.sack_blocks[0] = {seq32{0x51a0c0e7}, seq32{0x51a0c0ef}};
    return r;
}

/// The kernel's FIN.
tcp_repr kernel_fin() {
    return kernel_established(0xf0e017bd, 0x51a0c0ef, tcp_flags::ack | tcp_flags::fin, 0x2ed9, 0xf855ed73,
                              0x00c0fff9);
}

/// The kernel's RST|ACK to a SYN for a closed port.
tcp_repr kernel_rst_ack() {
    return {.src_port = 5003,
            .dst_port = 40003,
            .seq = seq32{0},
            .ack = seq32{0x01020305},
            .flags = tcp_flags::rst | tcp_flags::ack,
            .window = 0,
            .checksum = 0x65d3};
}

/// The kernel's RST to an ACK for a closed port.
tcp_repr kernel_rst() {
    return {.src_port = 5003,
            .dst_port = 40004,
            .seq = seq32{0x0a0b0c0d},
            .ack = seq32{0},
            .flags = tcp_flags::rst,
            .window = 0,
            .checksum = 0x53d1};
}

/// A captured segment and the value it holds.
struct captured {
    const char* name;                   ///< what the kernel sent
    std::span<const std::byte> segment; ///< its TCP bytes
    tcp_repr repr;                      ///< the header as a value
    size_t payload_len;                 ///< bytes after the header
};

/// Every TCP segment the kernel sent in the captures.
std::vector<captured> kernel_segments() {
    return {
        {"SYN", segment_of(test::tcp_syn_frame), kernel_syn(), 0},
        {"SYN-ACK", segment_of(test::tcp_syn_ack_frame), kernel_syn_ack(), 0},
        {"ACK", segment_of(test::tcp_ack_frame), kernel_ack(), 0},
        {"data", segment_of(test::tcp_data_frame), kernel_data(), 8},
        {"SACK", segment_of(test::tcp_sack_frame), kernel_sack(), 0},
        {"FIN", segment_of(test::tcp_fin_frame), kernel_fin(), 0},
        {"RST|ACK", segment_of(test::tcp_rst_ack_frame), kernel_rst_ack(), 0},
        {"RST", segment_of(test::tcp_rst_frame), kernel_rst(), 0},
    };
}

TEST(tcp, the_kernels_segments_parse_to_their_values) {
    for (const auto& c : kernel_segments()) {
        tcp_repr tcp;
        ASSERT_EQ(tcp_repr::parse(c.segment, kernel, peer, tcp), wire_error::ok) << c.name;
        EXPECT_EQ(tcp, c.repr) << c.name;
        EXPECT_EQ(tcp.payload(c.segment).size(), c.payload_len) << c.name;
        EXPECT_EQ(tcp.header_len + c.payload_len, c.segment.size()) << c.name;
    }
}

TEST(tcp, the_kernels_segments_are_emitted_byte_for_byte) {
    for (const auto& c : kernel_segments()) {
        EXPECT_EQ(c.repr.emitted_header_len(), c.repr.header_len) << c.name << ": Linux's option layout";
        std::vector<std::byte> out(c.segment.size(), std::byte{0xee});
        const auto payload = c.repr.payload_mut(out, c.payload_len);
        std::copy(c.segment.end() - ptrdiff_t(c.payload_len), c.segment.end(), payload.begin());
        c.repr.emit(out, kernel, peer, c.payload_len);
        EXPECT_TRUE(same(out, c.segment)) << c.name;
    }
}

TEST(tcp, emits_the_kernels_syn_byte_for_byte) {
    // Built field by field, nothing parsed: MSS, SACK-permitted + timestamps, NOP + window scale.
    tcp_repr syn;
    syn.src_port = 40001;
    syn.dst_port = 5001;
    syn.seq = seq32{0xf0e017b4};
    syn.flags = tcp_flags::syn;
    syn.window = 64240;
    syn.options.has_mss = true;
    syn.options.mss = 1460;
    syn.options.sack_permitted = true;
    syn.options.has_timestamps = true;
    syn.options.ts_val = 0xf855ed71;
    syn.options.has_window_scale = true;
    syn.options.window_scale = 10;
    EXPECT_EQ(syn.options_len(), 20u);
    std::array<std::byte, 40> out{};
    syn.emit(out, kernel, peer, 0);
    EXPECT_TRUE(same(out, segment_of(test::tcp_syn_frame)));
    EXPECT_EQ(load_be16(out.data() + 16), 0x18bd);
}

TEST(tcp, a_captured_data_segment_gives_its_payload_as_a_view) {
    const auto s = segment_of(test::tcp_data_frame);
    tcp_repr tcp;
    ASSERT_EQ(tcp_repr::parse(s, kernel, peer, tcp), wire_error::ok);
    const auto payload = tcp.payload(s);
    EXPECT_EQ(payload.data(), s.data() + 32) << "a view, not a copy";
    const char text[] = "tachyon\n";
    EXPECT_TRUE(same(payload, std::as_bytes(std::span(text, 8))));
    EXPECT_EQ(tcp.segment_len(payload.size()), 8u);
    EXPECT_TRUE(tcp.has(tcp_flags::psh | tcp_flags::ack));
    EXPECT_FALSE(tcp.has(tcp_flags::psh | tcp_flags::fin));
}

TEST(tcp, syn_and_fin_each_take_one_sequence_number) {
    // RFC 9293 §3.4: SEG.LEN counts SYN and FIN.
    EXPECT_EQ(kernel_syn().segment_len(0), 1u);
    EXPECT_EQ(kernel_syn_ack().segment_len(0), 1u);
    EXPECT_EQ(kernel_fin().segment_len(0), 1u);
    EXPECT_EQ(kernel_ack().segment_len(0), 0u);
    EXPECT_EQ(kernel_rst().segment_len(0), 0u);
    tcp_repr both;
    both.flags = tcp_flags::syn | tcp_flags::fin;
    EXPECT_EQ(both.segment_len(3), 5u);
    // The kernel's FIN follows its data and the SACK ACK at 0xf0e017bd; its SYN took 0xf0e017b4.
    EXPECT_EQ(kernel_syn().seq + kernel_syn().segment_len(0), kernel_data().seq);
    EXPECT_EQ(kernel_data().seq + kernel_data().segment_len(8), kernel_fin().seq);
    // The closed port's RST|ACK acknowledges the SYN: its sequence number plus one.
    EXPECT_EQ(kernel_rst_ack().ack, seq32{0x01020304} + 1);
}

TEST(tcp, the_pseudo_header_is_checked) {
    const auto s = segment_of(test::tcp_data_frame);
    tcp_repr tcp;
    EXPECT_EQ(tcp_repr::parse(s, peer, kernel, tcp), wire_error::ok) << "swapping is sum-neutral";
    EXPECT_EQ(tcp_repr::parse(s, kernel, ipv4_address(198, 18, 5, 3), tcp), wire_error::bad_checksum);
    EXPECT_EQ(tcp_repr::parse(s, ipv4_address(198, 18, 4, 1), peer, tcp), wire_error::bad_checksum);
    EXPECT_EQ(tcp_repr::parse(s, kernel, ipv4_address(198, 18, 5, 3), tcp, false), wire_error::ok);
    // TCP has no length field: the segment's length comes from IP, and a byte lost at the end
    // shows up in the checksum (the pseudo header's TCP length and the data both change).
    auto shorter = test::copy_of(s);
    shorter.pop_back();
    EXPECT_EQ(tcp_repr::parse(shorter, kernel, peer, tcp), wire_error::bad_checksum);
}

TEST(tcp, offload_writes_the_pseudo_header_sum_a_nic_finishes) {
    const auto s = segment_of(test::tcp_data_frame);
    const tcp_repr r = kernel_data();
    auto out = test::copy_of(s);
    r.emit(out, kernel, peer, 8, tcp_checksum_mode::offload);
    const uint32_t pseudo = pseudo_header_sum(kernel, peer, ip_protocol::tcp, uint16_t(s.size()));
    EXPECT_EQ(load_be16(out.data() + 16), uint16_t(~checksum_fold(pseudo)));
    EXPECT_FALSE(same(out, s));
    // The NIC sums from the start of TCP and stores the complement: the kernel's own checksum.
    store_be16(out.data() + 16, internet_checksum(out));
    EXPECT_TRUE(same(out, s));
}

TEST(tcp, a_computed_zero_checksum_is_sent_as_zero_and_verifies) {
    // Unlike UDP, TCP has no "no checksum": 0 is sent as it is (RFC 9293 §3.1) and is just a value.
    tcp_repr r = kernel_data();
    auto out = test::copy_of(segment_of(test::tcp_data_frame));
    // Change one payload word by the checksum, so the ones' complement sum becomes 0xffff.
    const uint16_t c = load_be16(out.data() + 16);
    const uint32_t w = uint32_t(load_be16(out.data() + 32)) + c;
    store_be16(out.data() + 32, uint16_t((w & 0xffff) + (w >> 16)));
    r.emit(out, kernel, peer, 8);
    EXPECT_EQ(load_be16(out.data() + 16), 0);
    tcp_repr back;
    ASSERT_EQ(tcp_repr::parse(out, kernel, peer, back), wire_error::ok);
    EXPECT_EQ(back.checksum, 0);
    store_be16(out.data() + 16, 0xffff); // the other zero verifies too
    EXPECT_EQ(tcp_repr::parse(out, kernel, peer, back), wire_error::ok);
}

/// Option bytes emitted by `o` (its `emit` into a buffer of emitted_len()).
std::vector<uint8_t> emitted(const tcp_options& o) {
    std::vector<std::byte> b(o.emitted_len());
    o.emit(b.data());
    std::vector<uint8_t> v(b.size());
    std::transform(b.begin(), b.end(), v.begin(), [](std::byte x) { return uint8_t(x); });
    return v;
}

TEST(tcp_options, are_laid_out_as_linux_does) {
    // Without timestamps, SACK-permitted gets its own NOP NOP word (tcp_options_write).
    tcp_options syn{
        .has_mss = true, .mss = 1460, .has_window_scale = true, .window_scale = 7, .sack_permitted = true};
    EXPECT_EQ(emitted(syn),
              (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07}));
    // Timestamps without SACK-permitted: NOP NOP timestamps.
    tcp_options ts{.has_mss = true, .mss = 536, .has_timestamps = true, .ts_val = 0x01020304, .ts_ecr = 5};
    EXPECT_EQ(emitted(ts), (std::vector<uint8_t>{0x02, 0x04, 0x02, 0x18, 0x01, 0x01, 0x08, 0x0a, 0x01, 0x02,
                                                 0x03, 0x04, 0x00, 0x00, 0x00, 0x05}));
    // Window scale alone: NOP window scale.
    tcp_options ws{.has_window_scale = true, .window_scale = 14};
    EXPECT_EQ(emitted(ws), (std::vector<uint8_t>{0x01, 0x03, 0x03, 0x0e}));
    // SACK without timestamps: NOP NOP SACK, 4 blocks fit.
    tcp_options sack{.sack_count = 2};
    sack.sack_blocks[0] = {seq32{0x10}, seq32{0x20}};
    sack.sack_blocks[1] = {seq32{0xfffffff0u}, seq32{0x4}};
    EXPECT_EQ(emitted(sack), (std::vector<uint8_t>{0x01, 0x01, 0x05, 0x12, 0,    0,    0, 0x10, 0, 0,
                                                   0,    0x20, 0xff, 0xff, 0xff, 0xf0, 0, 0,    0, 0x04}));
    // Nothing: no bytes.
    EXPECT_EQ(tcp_options{}.emitted_len(), 0u);
}

TEST(tcp_options, sack_blocks_that_do_not_fit_are_left_off_from_the_end) {
    tcp_options o;
    o.sack_count = 4;
    for (uint32_t i = 0; i < 4; ++i) o.sack_blocks[i] = {seq32{100 * i}, seq32{100 * i + 50}};
    EXPECT_EQ(o.emitted_sack_count(), 4u);
    EXPECT_EQ(o.emitted_len(), 36u);
    o.has_timestamps = true; // 12 + 4 + 3 * 8 = 40
    EXPECT_EQ(o.emitted_sack_count(), 3u);
    EXPECT_EQ(o.emitted_len(), 40u);
    o.has_mss = true;
    o.has_window_scale = true; // 20 + 4 + 2 * 8 = 40
    EXPECT_EQ(o.emitted_sack_count(), 2u);
    EXPECT_EQ(o.emitted_len(), 40u);
    o.sack_count = 1;
    EXPECT_EQ(o.emitted_sack_count(), 1u);
    o.sack_count = 200; // never more than the array holds
    o.has_mss = o.has_window_scale = o.has_timestamps = false;
    EXPECT_EQ(o.emitted_sack_count(), 4u);
    // What survives is the first blocks (RFC 2018 §4: the most recent first).
    o.sack_count = 4;
    o.has_timestamps = true;
    std::vector<std::byte> s(20 + o.emitted_len());
    tcp_repr r{.src_port = 1, .dst_port = 2, .options = o};
    r.emit(s, kernel, peer, 0);
    tcp_repr back;
    ASSERT_EQ(tcp_repr::parse(s, kernel, peer, back), wire_error::ok);
    EXPECT_EQ(back.options.sack_count, 3);
    EXPECT_EQ(back.options.sack_blocks[2], o.sack_blocks[2]);
    EXPECT_EQ(back.options.sack_blocks[3], (std::pair<seq32, seq32>{}));
}

TEST(tcp_options, every_combination_round_trips) {
    for (int mask = 0; mask < 16; ++mask) {
        for (uint8_t blocks = 0; blocks <= 4; ++blocks) {
            tcp_options o;
            o.has_mss = (mask & 1) != 0;
            o.mss = o.has_mss ? 8960 : 0;
            o.has_window_scale = (mask & 2) != 0;
            o.window_scale = o.has_window_scale ? 9 : 0;
            o.sack_permitted = (mask & 4) != 0;
            o.has_timestamps = (mask & 8) != 0;
            o.ts_val = o.has_timestamps ? 0xfedcba98u : 0;
            o.ts_ecr = o.has_timestamps ? 0x01234567u : 0;
            o.sack_count = blocks;
            for (uint32_t i = 0; i < blocks; ++i)
                o.sack_blocks[i] = {seq32{0xfffffc00u + 300 * i}, seq32{0xfffffc00u + 300 * i + 200}};
            const size_t len = o.emitted_len();
            EXPECT_EQ(len % 4, 0u) << mask << "/" << int(blocks);
            EXPECT_LE(len, tcp_options::max_len) << mask << "/" << int(blocks);

            tcp_repr r{.src_port = 443,
                       .dst_port = 50000,
                       .seq = seq32{7},
                       .ack = seq32{9},
                       .flags = tcp_flags::ack,
                       .window = 1024,
                       .options = o};
            std::vector<std::byte> s(r.emitted_header_len() + 3, std::byte{0x5a});
            r.emit(s, kernel, peer, 3);
            tcp_repr back;
            ASSERT_EQ(tcp_repr::parse(s, kernel, peer, back), wire_error::ok) << mask << "/" << int(blocks);
            // What comes back is what fit.
            tcp_options want = o;
            want.sack_count = uint8_t(o.emitted_sack_count());
            for (size_t i = want.sack_count; i < 4; ++i) want.sack_blocks[i] = {};
            EXPECT_EQ(back.options, want) << mask << "/" << int(blocks);
            EXPECT_EQ(back.header_len, r.emitted_header_len());
            EXPECT_EQ(back.payload(s).size(), 3u);
            // And the general option loop reads the same as the fast path.
            tcp_options general;
            ASSERT_EQ(tcp_options::parse(std::span<const std::byte>(s).subspan(20, len), general),
                      wire_error::ok);
            EXPECT_EQ(general, back.options);
        }
    }
}

/// One option-list case: the option bytes, and the verdict or the options read.
struct option_case {
    const char* name;          ///< what the options hold
    std::vector<uint8_t> opts; ///< the bytes after the 20-byte header (a multiple of 4)
    wire_error expected;       ///< the verdict
    tcp_options want;          ///< the options read, when the verdict is ok
};

/// A SACK option with `n` blocks (kind, length, then n pairs 0x1000*i .. 0x1000*i + 0x100), behind
/// two NOPs.
std::vector<uint8_t> sack_option(int n) {
    std::vector<uint8_t> v{1, 1, 5, uint8_t(2 + 8 * n)};
    for (int i = 0; i < n; ++i) {
        for (const uint32_t edge : {0x1000u * uint32_t(i + 1), 0x1000u * uint32_t(i + 1) + 0x100}) {
            for (int b = 3; b >= 0; --b) v.push_back(uint8_t(edge >> (8 * b)));
        }
    }
    return v;
}

/// The options `sack_option(n)` reads as.
tcp_options sack_read(int n) {
    tcp_options o;
    o.sack_count = uint8_t(n);
    for (int i = 0; i < n; ++i)
        o.sack_blocks[size_t(i)] = {seq32{0x1000u * uint32_t(i + 1)},
                                    seq32{0x1000u * uint32_t(i + 1) + 0x100}};
    return o;
}

TEST(tcp_options, validation_table) {
    const auto ok = wire_error::ok;
    const auto bad = wire_error::bad_option;
    const tcp_options none{};
    const tcp_options ts{.has_timestamps = true, .ts_val = 0x11223344, .ts_ecr = 0x55667788};
    const option_case cases[] = {
        {"no options", {}, ok, none},
        {"NOP padding", {1, 1, 1, 1}, ok, none},
        {"EOL", {0, 0, 0, 0}, ok, none},
        {"EOL then garbage: EOL ends the list", {0, 2, 1, 0xff}, ok, none},
        {"NOP EOL garbage", {1, 0, 30, 0}, ok, none},
        {"MSS then EOL then garbage",
         {2, 4, 5, 0xb4, 0, 0xff, 0xff, 0xff},
         ok,
         {.has_mss = true, .mss = 1460}},
        {"MSS", {2, 4, 5, 0xb4}, ok, {.has_mss = true, .mss = 1460}},
        {"MSS length 3", {2, 3, 5, 1}, bad, none},
        {"MSS length 2", {2, 2, 1, 1}, bad, none},
        {"MSS length 5", {2, 5, 5, 0xb4, 0, 1, 1, 1}, bad, none},
        {"option length 0", {30, 0, 1, 1}, bad, none},
        {"option length 1", {30, 1, 1, 1}, bad, none},
        {"MSS length 0", {2, 0, 1, 1}, bad, none},
        {"a kind in the last byte has no length", {1, 1, 1, 30}, bad, none},
        {"MSS in the last byte has no length", {1, 1, 1, 2}, bad, none},
        {"MSS overruns the header by 2", {1, 1, 2, 4}, bad, none},
        {"unknown option overruns the header by 1", {30, 5, 0, 0}, bad, none},
        {"timestamps overrun the header", {1, 1, 8, 10, 0, 0, 0, 0}, bad, none},
        {"unknown option skipped by its length",
         {30, 4, 0xaa, 0xbb, 2, 4, 1, 0},
         ok,
         {.has_mss = true, .mss = 256}},
        {"experimental option (RFC 6994) skipped", {254, 6, 0xf9, 0x89, 0, 0, 1, 1}, ok, none},
        {"one unknown option filling all 40 bytes",
         [] {
             std::vector<uint8_t> v(40, 0xcc);
             v[0] = 77;
             v[1] = 40;
             return v;
         }(),
         ok, none},
        {"40 bytes of NOP", std::vector<uint8_t>(40, 1), ok, none},
        {"window scale 0", {3, 3, 0, 0}, ok, {.has_window_scale = true, .window_scale = 0}},
        {"window scale 14", {3, 3, 14, 0}, ok, {.has_window_scale = true, .window_scale = 14}},
        {"window scale 15 is read as 14", {3, 3, 15, 0}, ok, {.has_window_scale = true, .window_scale = 14}},
        {"window scale 255 is read as 14",
         {3, 3, 255, 0},
         ok,
         {.has_window_scale = true, .window_scale = 14}},
        {"window scale length 2", {3, 2, 1, 1}, bad, none},
        {"window scale length 4", {3, 4, 7, 0}, bad, none},
        {"SACK-permitted", {1, 1, 4, 2}, ok, {.sack_permitted = true}},
        {"SACK-permitted length 3", {4, 3, 0, 1}, bad, none},
        {"NOP NOP timestamps", {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, ok, ts},
        {"timestamps NOP NOP", {8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 1}, ok, ts},
        {"timestamps EOL", {8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0}, ok, ts},
        {"timestamps length 8", {1, 1, 8, 8, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 1, 1}, bad, none},
        {"timestamps length 11", {8, 11, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0}, bad, none},
        {"SACK, 1 block", sack_option(1), ok, sack_read(1)},
        {"SACK, 2 blocks", sack_option(2), ok, sack_read(2)},
        {"SACK, 3 blocks", sack_option(3), ok, sack_read(3)},
        {"SACK, 4 blocks", sack_option(4), ok, sack_read(4)},
        {"SACK with no block", {1, 1, 5, 2}, bad, none},
        {"SACK length 9", {5, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, bad, none},
        {"SACK length 11", {5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, bad, none},
        {"SACK length 18 overruns 1 block", {1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2}, bad, none},
        {"a later MSS overrides an earlier one", {2, 4, 0, 1, 2, 4, 0, 2}, ok, {.has_mss = true, .mss = 2}},
        {"the kernel's SYN options",
         {2, 4, 5, 0xb4, 4, 2, 8, 10, 0xf8, 0x55, 0xed, 0x71, 0, 0, 0, 0, 1, 3, 3, 10},
         ok,
         kernel_syn().options},
        {"the same options in another order, with EOL",
         {1, 3, 3, 10, 8, 10, 0xf8, 0x55, 0xed, 0x71, 0, 0, 0, 0, 4, 2, 2, 4, 5, 0xb4, 0, 0, 0, 0},
         ok,
         kernel_syn().options},
    };
    for (const auto& c : cases) {
        ASSERT_EQ(c.opts.size() % 4, 0u) << c.name;
        // Through the whole segment...
        const auto s = with_options(c.opts, 5);
        tcp_repr tcp;
        const wire_error e = tcp_repr::parse(s, kernel, peer, tcp);
        EXPECT_EQ(e, c.expected) << c.name << ": got " << to_string(e);
        if (e == wire_error::ok) {
            EXPECT_EQ(tcp.options, c.want) << c.name;
            EXPECT_EQ(tcp.header_len, 20 + c.opts.size()) << c.name;
            EXPECT_EQ(tcp.payload(s).size(), 5u) << c.name;
        }
        // ...and through the option loop alone.
        std::vector<std::byte> raw(c.opts.size());
        std::transform(c.opts.begin(), c.opts.end(), raw.begin(), [](uint8_t v) { return std::byte{v}; });
        tcp_options o;
        EXPECT_EQ(tcp_options::parse(raw, o), c.expected) << c.name;
        if (c.expected == wire_error::ok) {
            EXPECT_EQ(o, c.want) << c.name;
        }
    }
}

TEST(tcp_options, parse_leaves_out_untouched_on_error) {
    tcp_options o{.has_mss = true, .mss = 99};
    const std::vector<std::byte> raw{std::byte{3}, std::byte{3}, std::byte{7}, std::byte{2},
                                     std::byte{3}, std::byte{5}, std::byte{1}, std::byte{1}};
    EXPECT_EQ(tcp_options::parse(raw, o), wire_error::bad_option);
    EXPECT_EQ(o, (tcp_options{.has_mss = true, .mss = 99}));
}

/// One validation case: how to spoil the captured data segment and what parse must say.
struct tcp_case {
    const char* name;                                  ///< what is wrong
    std::function<void(std::vector<std::byte>&)> edit; ///< spoils the bytes (may resize them)
    bool fix_checksum;    ///< re-checksum after the edit, so only the edit is wrong
    bool verify_checksum; ///< parse's flag
    wire_error expected;  ///< the verdict
};

/// Sets the data offset (in 32-bit words).
auto data_offset(uint8_t words) {
    return [words](std::vector<std::byte>& b) { b[12] = std::byte(uint8_t(words << 4)); };
}
/// Sets the source port.
auto src_port(uint16_t v) {
    return [v](std::vector<std::byte>& b) { store_be16(b.data(), v); };
}
/// Sets option byte `i` (byte 20 + i of the header).
auto option_byte(size_t i, uint8_t v) {
    return [i, v](std::vector<std::byte>& b) { b[20 + i] = std::byte{v}; };
}

TEST(tcp, validation_table) {
    // The data segment: 32-byte header (NOP NOP timestamps at bytes 20..31) + 8 bytes of payload.
    const auto none = [](std::vector<std::byte>&) {};
    const tcp_case cases[] = {
        {"valid", none, false, true, wire_error::ok},
        {"header only (payload cut), re-checksummed", keep(32), true, true, wire_error::ok},
        {"header only, checksum over the payload", keep(32), false, true, wire_error::bad_checksum},
        {"31 bytes, data offset 8", keep(31), true, true, wire_error::bad_header_length},
        {"20 bytes, data offset 8", keep(20), false, false, wire_error::bad_header_length},
        {"data offset 0", data_offset(0), true, true, wire_error::bad_header_length},
        {"data offset 4", data_offset(4), true, true, wire_error::bad_header_length},
        {"data offset 11 > 40 bytes", data_offset(11), true, true, wire_error::bad_header_length},
        {"data offset 15 > 40 bytes", data_offset(15), true, true, wire_error::bad_header_length},
        {"bad data offset beats bad checksum, even unverified", data_offset(4), false, false,
         wire_error::bad_header_length},
        {"data offset 10: exactly all 40 bytes, the payload read as options", data_offset(10), true, true,
         wire_error::bad_option},
        {"data offset 5: the options become payload", data_offset(5), true, true, wire_error::ok},
        {"data offset 9: the payload's 'ta' reads as kind 116 length 97", data_offset(9), true, true,
         wire_error::bad_option},
        {"checksum off by one", [](auto& b) { b[17] ^= std::byte{0x01}; }, false, true,
         wire_error::bad_checksum},
        {"payload flipped", [](auto& b) { b[35] ^= std::byte{0x20}; }, false, true, wire_error::bad_checksum},
        {"sequence number changed", [](auto& b) { b[7] ^= std::byte{0x01}; }, false, true,
         wire_error::bad_checksum},
        {"a zero checksum is not special", [](auto& b) { store_be16(b.data() + 16, 0); }, false, true,
         wire_error::bad_checksum},
        {"bad checksum, not verified", [](auto& b) { b[35] ^= std::byte{0x20}; }, false, false,
         wire_error::ok},
        {"destination port 0", dst_port(0), true, true, wire_error::bad_port},
        {"source port 0 (invalid for TCP too)", src_port(0), true, true, wire_error::bad_port},
        {"both ports 0", [](auto& b) { store_be32(b.data(), 0); }, true, true, wire_error::bad_port},
        {"port 0, not verified", src_port(0), false, false, wire_error::bad_port},
        {"bad checksum beats bad port", dst_port(0), false, true, wire_error::bad_checksum},
        {"port 65535 is fine", dst_port(65535), true, true, wire_error::ok},
        {"timestamps length 0", option_byte(3, 0), true, true, wire_error::bad_option},
        {"timestamps length 1", option_byte(3, 1), true, true, wire_error::bad_option},
        {"timestamps length 9", option_byte(3, 9), true, true, wire_error::bad_option},
        {"timestamps overrun the header (length 11)", option_byte(3, 11), true, true, wire_error::bad_option},
        {"bad checksum beats bad option", option_byte(3, 0), false, true, wire_error::bad_checksum},
        {"bad option, not verified", option_byte(3, 0), false, false, wire_error::bad_option},
        {"bad port beats bad option",
         [](auto& b) {
             store_be16(b.data(), 0);
             b[23] = std::byte{0};
         },
         true, true, wire_error::bad_port},
        {"EOL first: the rest of the option space is padding", option_byte(0, 0), true, true, wire_error::ok},
        {"reserved bits are ignored", [](auto& b) { b[12] |= std::byte{0x0f}; }, true, true, wire_error::ok},
        {"trailing bytes are payload", [](auto& b) { b.resize(b.size() + 5, std::byte{0x55}); }, true, true,
         wire_error::ok},
    };
    for (const auto& c : cases) {
        auto bytes = test::copy_of(segment_of(test::tcp_data_frame));
        c.edit(bytes);
        if (c.fix_checksum) fix_checksum(bytes);
        tcp_repr tcp;
        const wire_error e = tcp_repr::parse(bytes, kernel, peer, tcp, c.verify_checksum);
        EXPECT_EQ(e, c.expected) << c.name << ": got " << to_string(e);
    }
}

TEST(tcp, truncated_at_every_byte_of_the_fixed_header) {
    const auto s = segment_of(test::tcp_syn_frame); // data offset 10: 40 bytes
    tcp_repr tcp;
    for (size_t n = 0; n < 20; ++n) {
        EXPECT_EQ(tcp_repr::parse(s.first(n), kernel, peer, tcp), wire_error::truncated) << n;
        EXPECT_EQ(tcp_repr::parse(s.first(n), kernel, peer, tcp, false), wire_error::truncated) << n;
    }
    for (size_t n = 20; n < 40; ++n) {
        EXPECT_EQ(tcp_repr::parse(s.first(n), kernel, peer, tcp, false), wire_error::bad_header_length) << n;
    }
    EXPECT_EQ(tcp_repr::parse(s.first(40), kernel, peer, tcp), wire_error::ok);
}

TEST(tcp, reserved_bits_are_sent_as_zero) {
    // Reserved bits set on the wire are dropped on emit (RFC 9293 §3.1: "must be zero").
    auto bytes = test::copy_of(segment_of(test::tcp_fin_frame));
    bytes[12] |= std::byte{0x0f};
    fix_checksum(bytes);
    tcp_repr tcp;
    ASSERT_EQ(tcp_repr::parse(bytes, kernel, peer, tcp), wire_error::ok);
    tcp.emit(bytes, kernel, peer, 0);
    EXPECT_TRUE(same(bytes, segment_of(test::tcp_fin_frame)));
}

TEST(tcp, every_flag_round_trips) {
    for (const uint8_t f : {tcp_flags::fin, tcp_flags::syn, tcp_flags::rst, tcp_flags::psh, tcp_flags::ack,
                            tcp_flags::urg, tcp_flags::ece, tcp_flags::cwr, uint8_t(0xff)}) {
        tcp_repr r{.src_port = 9, .dst_port = 10, .flags = f, .urgent = 0x1234};
        std::array<std::byte, 20> out{};
        r.emit(out, kernel, peer, 0);
        EXPECT_EQ(uint8_t(out[13]), f);
        tcp_repr back;
        ASSERT_EQ(tcp_repr::parse(out, kernel, peer, back), wire_error::ok);
        EXPECT_EQ(back.flags, f);
        EXPECT_EQ(back.urgent, 0x1234);
        EXPECT_TRUE(back.has(f));
    }
}

TEST(tcp, round_trips_random_segments) {
    std::mt19937 rng(9293);
    for (int i = 0; i < 3000; ++i) {
        tcp_repr r;
        r.src_port = uint16_t(1 + rng() % 65535);
        r.dst_port = uint16_t(1 + rng() % 65535);
        r.seq = seq32{uint32_t(rng())};
        r.ack = seq32{uint32_t(rng())};
        r.flags = uint8_t(rng());
        r.window = uint16_t(rng());
        r.urgent = uint16_t(rng());
        auto& o = r.options;
        const uint32_t bits = rng();
        o.has_mss = (bits & 1) != 0;
        o.mss = o.has_mss ? uint16_t(rng()) : 0;
        o.has_window_scale = (bits & 2) != 0;
        o.window_scale = o.has_window_scale ? uint8_t(rng() % 15) : 0;
        o.sack_permitted = (bits & 4) != 0;
        o.has_timestamps = (bits & 8) != 0;
        o.ts_val = o.has_timestamps ? uint32_t(rng()) : 0;
        o.ts_ecr = o.has_timestamps ? uint32_t(rng()) : 0;
        o.sack_count = uint8_t(rng() % 5);
        for (size_t b = 0; b < o.sack_count; ++b)
            o.sack_blocks[b] = {seq32{uint32_t(rng())}, seq32{uint32_t(rng())}};
        o.sack_count = uint8_t(o.emitted_sack_count()); // only what fits, so the value comes back whole
        for (size_t b = o.sack_count; b < 4; ++b) o.sack_blocks[b] = {};
        const ipv4_address src{uint32_t(rng())}, dst{uint32_t(rng())};
        const size_t payload_len = rng() % 200;
        std::vector<std::byte> out(r.emitted_header_len() + payload_len);
        for (auto& b : r.payload_mut(out, payload_len)) b = std::byte(uint8_t(rng()));
        const auto mode = (bits & 16) != 0 ? tcp_checksum_mode::offload : tcp_checksum_mode::full;
        r.emit(out, src, dst, payload_len, mode);
        if (mode == tcp_checksum_mode::offload) store_be16(out.data() + 16, internet_checksum(out));
        tcp_repr back;
        ASSERT_EQ(tcp_repr::parse(out, src, dst, back), wire_error::ok) << i;
        r.checksum = back.checksum; // parse reports what emit computed
        r.header_len = uint8_t(r.emitted_header_len());
        ASSERT_EQ(back, r) << i;
        ASSERT_EQ(back.payload(out).size(), payload_len);
    }
}

TEST(tcp, out_is_untouched_on_error) {
    auto bytes = test::copy_of(segment_of(test::tcp_sack_frame));
    bytes[23] = std::byte{0}; // the timestamps option's length
    fix_checksum(bytes);
    tcp_repr tcp;
    tcp.src_port = 7;
    tcp.options.mss = 9;
    EXPECT_EQ(tcp_repr::parse(bytes, kernel, peer, tcp), wire_error::bad_option);
    tcp_repr want;
    want.src_port = 7;
    want.options.mss = 9;
    EXPECT_EQ(tcp, want);
}

} // namespace
} // namespace tachyon::wire
