/// The capture formats' byte layouts. Section numbers are those of draft-ietf-opsawg-pcapng
/// (PCAP Next Generation Capture File Format); the classic layout is libpcap's savefile format.

#include "stack/device/capture_format.hpp"

#include <cstring>

namespace tachyon {

namespace {

/// Option codes (§3.5 common, §4.1 SHB, §4.2 IDB, §4.3 EPB).
constexpr uint16_t opt_endofopt = 0;
constexpr uint16_t shb_userappl = 4;
constexpr uint16_t if_name = 2;
constexpr uint16_t if_tsresol = 9;
constexpr uint16_t epb_flags = 2;

/// Stores `v` in host byte order at `out + at`.
template <class T>
void put(std::span<std::byte> out, size_t at, T v) {
    std::memcpy(out.data() + at, &v, sizeof v);
}

/// Size of an option carrying `len` bytes of value (header + value padded to 32 bits).
constexpr size_t option_size(size_t len) { return 4 + pad32(len); }

/// Writes an option at `at` (value padded with zeros to 32 bits, §3.6.2); returns the end.
size_t put_option(std::span<std::byte> out, size_t at, uint16_t code, std::span<const std::byte> value) {
    put(out, at, code);
    put(out, at + 2, uint16_t(value.size()));
    if (!value.empty()) std::memcpy(out.data() + at + 4, value.data(), value.size());
    const size_t end = at + option_size(value.size());
    std::memset(out.data() + at + 4 + value.size(), 0, end - (at + 4 + value.size()));
    return end;
}

/// Writes opt_endofopt and the trailing Block Total Length (§3.1), and the leading one at 4.
size_t close_block(std::span<std::byte> out, size_t at) {
    put(out, at, opt_endofopt);
    put(out, at + 2, uint16_t(0));
    const uint32_t total = uint32_t(at + 8);
    put(out, 4, total);
    put(out, at + 4, total);
    return total;
}

std::span<const std::byte> text(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

/// Interface names longer than this are cut (an option length is 16 bits; names are short).
constexpr size_t max_name = 256;

} // namespace

std::optional<capture_format> parse_capture_format(std::string_view text) {
    if (text == "pcapng") return capture_format::pcapng;
    if (text == "pcap") return capture_format::pcap;
    return std::nullopt;
}

size_t pcapng_section_header_size() { return 24 + option_size(pcapng_user_application.size()) + 4 + 4; }

size_t pcapng_section_header(std::span<std::byte> out) {
    // §4.1: type, length, byte-order magic, major 1, minor 0, section length -1 (not given:
    // the file is written as a stream), options.
    put(out, 0, pcapng_block_shb);
    put(out, 8, pcapng_byte_order_magic);
    put(out, 12, uint16_t(1));
    put(out, 14, uint16_t(0));
    put(out, 16, int64_t(-1));
    size_t at = put_option(out, 24, shb_userappl, text(pcapng_user_application));
    return close_block(out, at);
}

size_t pcapng_interface_description_size(std::string_view name) {
    const size_t n = name.size() < max_name ? name.size() : max_name;
    return 16 + (n > 0 ? option_size(n) : 0) + option_size(1) + 4 + 4;
}

size_t pcapng_interface_description(std::span<std::byte> out, uint32_t snaplen, std::string_view name) {
    // §4.2: LinkType, Reserved (0), SnapLen (0 = no limit), options: if_name, if_tsresol.
    put(out, 0, pcapng_block_idb);
    put(out, 8, capture_linktype_ethernet);
    put(out, 10, uint16_t(0));
    put(out, 12, snaplen);
    size_t at = 16;
    if (name.size() > max_name) name = name.substr(0, max_name);
    if (!name.empty()) at = put_option(out, at, if_name, text(name));
    // if_tsresol: the most significant bit 0, so the value is a negative power of 10: 10^-9 s.
    const std::byte resol[1] = {std::byte{pcapng_tsresol_nanoseconds}};
    at = put_option(out, at, if_tsresol, resol);
    return close_block(out, at);
}

size_t pcapng_enhanced_packet(std::span<std::byte> out, std::span<const std::byte> frame, size_t caplen,
                              uint64_t unix_ns, capture_direction dir) {
    // §4.3: interface 0, timestamp as the upper and lower 32 bits of one 64-bit count of
    // if_tsresol units, captured and original lengths, data padded to 32 bits, options.
    put(out, 0, pcapng_block_epb);
    put(out, 8, uint32_t(0));
    put(out, 12, uint32_t(unix_ns >> 32));
    put(out, 16, uint32_t(unix_ns));
    put(out, 20, uint32_t(caplen));
    put(out, 24, uint32_t(frame.size()));
    if (caplen > 0) std::memcpy(out.data() + 28, frame.data(), caplen);
    size_t at = 28 + pad32(caplen);
    std::memset(out.data() + 28 + caplen, 0, at - (28 + caplen));
    // §4.3.1: epb_flags bits 0-1 are the direction (01 inbound, 10 outbound); the reception
    // type and FCS length bits stay 0 (not given).
    put(out, at, epb_flags);
    put(out, at + 2, uint16_t(4));
    put(out, at + 4, uint32_t(dir));
    return close_block(out, at + 8);
}

size_t pcap_file_header(std::span<std::byte> out, uint32_t snaplen) {
    put(out, 0, pcap_magic_nanosecond);
    put(out, 4, uint16_t(2)); // version 2.4
    put(out, 6, uint16_t(4));
    put(out, 8, int32_t(0));   // thiszone: timestamps are UTC
    put(out, 12, uint32_t(0)); // sigfigs
    put(out, 16, snaplen);
    put(out, 20, uint32_t(capture_linktype_ethernet));
    return pcap_file_header_size;
}

size_t pcap_record(std::span<std::byte> out, std::span<const std::byte> frame, size_t caplen, uint64_t unix_ns) {
    put(out, 0, uint32_t(unix_ns / 1'000'000'000));
    put(out, 4, uint32_t(unix_ns % 1'000'000'000));
    put(out, 8, uint32_t(caplen));
    put(out, 12, uint32_t(frame.size()));
    if (caplen > 0) std::memcpy(out.data() + pcap_record_header_size, frame.data(), caplen);
    return pcap_record_size(caplen);
}

} // namespace tachyon
