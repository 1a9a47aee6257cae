#pragma once
/// Capture file formats, sans-IO: each function writes one header or block into a span the
/// caller provides (sized with the matching `*_size`) and returns the bytes written. The
/// writer (pcap.hpp) owns the file and the buffer; these only lay bytes out.
///
/// Two formats:
/// - pcapng (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface Description
///   Block (Ethernet, nanosecond timestamps, the snapshot length), then an Enhanced Packet
///   Block per frame with the direction in its epb_flags option;
/// - classic pcap (the libpcap format, nanosecond variant): a 24-byte file header, then a
///   16-byte record header before each frame. It has no direction.
///
/// Both are written in the host's byte order, as both specifications ask (a reader learns it
/// from the magic number): the pcapng draft §3.6.1 (Endianness) says a section is saved in the
/// capturing machine's order.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tachyon {

/// Which format a capture file uses (`--pcap-format`).
enum class capture_format : uint8_t {
    pcap,   ///< classic libpcap format, nanosecond timestamps, no direction
    pcapng, ///< pcapng: nanosecond timestamps, direction per frame (the default)
};

/// Parses "pcap" or "pcapng".
std::optional<capture_format> parse_capture_format(std::string_view text);

/// Which way a recorded frame went (pcapng epb_flags bits 0-1).
enum class capture_direction : uint8_t {
    unknown = 0,  ///< not known
    inbound = 1,  ///< received by the stack
    outbound = 2, ///< handed to the device for sending
};

/// Rounds `n` up to a multiple of 4 (pcapng pads every field to 32 bits).
constexpr size_t pad32(size_t n) { return (n + 3) & ~size_t(3); }

/// LINKTYPE_ETHERNET, in both formats.
constexpr uint16_t capture_linktype_ethernet = 1;
/// The largest snapshot length accepted (libpcap's MAXIMUM_SNAPLEN).
constexpr uint32_t capture_max_snaplen = 262144;

// ---- pcapng ----------------------------------------------------------------------------

/// pcapng block types (draft-ietf-opsawg-pcapng §4.1, §4.2, §4.3).
constexpr uint32_t pcapng_block_shb = 0x0A0D0D0A;
/// Interface Description Block type.
constexpr uint32_t pcapng_block_idb = 0x00000001;
/// Enhanced Packet Block type.
constexpr uint32_t pcapng_block_epb = 0x00000006;
/// The SHB's byte-order magic.
constexpr uint32_t pcapng_byte_order_magic = 0x1A2B3C4D;
/// The SHB's shb_userappl option (the application that wrote the section).
constexpr std::string_view pcapng_user_application = "tachyon";
/// if_tsresol = 9: timestamps count nanoseconds since the Unix epoch.
constexpr uint8_t pcapng_tsresol_nanoseconds = 9;
/// An EPB's bytes besides the padded packet data: 28 of header, 8 of epb_flags, 4 of
/// opt_endofopt, 4 of trailing length.
constexpr size_t pcapng_epb_overhead = 28 + 8 + 4 + 4;

/// Size of the Section Header Block `pcapng_section_header` writes.
size_t pcapng_section_header_size();
/// Writes a Section Header Block (version 1.0, section length -1 = not given, shb_userappl).
size_t pcapng_section_header(std::span<std::byte> out);

/// Size of the Interface Description Block for an interface named `name` (may be empty).
size_t pcapng_interface_description_size(std::string_view name);
/// Writes an Interface Description Block: Ethernet, `snaplen` (0: no limit), if_name when
/// `name` is not empty, if_tsresol = 9.
size_t pcapng_interface_description(std::span<std::byte> out, uint32_t snaplen, std::string_view name);

/// Size of an Enhanced Packet Block carrying `caplen` bytes of frame.
constexpr size_t pcapng_enhanced_packet_size(size_t caplen) { return pcapng_epb_overhead + pad32(caplen); }
/// Writes an Enhanced Packet Block for interface 0: the first `caplen` bytes of `frame`
/// (`caplen` <= frame size), `unix_ns` nanoseconds since the epoch, epb_flags = `dir`.
size_t pcapng_enhanced_packet(std::span<std::byte> out, std::span<const std::byte> frame, size_t caplen,
                              uint64_t unix_ns, capture_direction dir);

// ---- classic pcap ----------------------------------------------------------------------

/// Magic number of a classic pcap file with nanosecond timestamps.
constexpr uint32_t pcap_magic_nanosecond = 0xa1b23c4d;
/// Size of the classic pcap file header.
constexpr size_t pcap_file_header_size = 24;
/// Size of a classic pcap record header.
constexpr size_t pcap_record_header_size = 16;

/// Writes the classic file header: version 2.4, UTC, `snaplen`, Ethernet.
size_t pcap_file_header(std::span<std::byte> out, uint32_t snaplen);
/// Size of a classic record carrying `caplen` bytes of frame.
constexpr size_t pcap_record_size(size_t caplen) { return pcap_record_header_size + caplen; }
/// Writes a classic record: the first `caplen` bytes of `frame` at `unix_ns`.
size_t pcap_record(std::span<std::byte> out, std::span<const std::byte> frame, size_t caplen, uint64_t unix_ns);

} // namespace tachyon
