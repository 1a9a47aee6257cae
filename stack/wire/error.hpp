#pragma once
/// Why a wire header failed validation. Parsing returns one of these instead of throwing; each
/// value maps to a named drop counter upstream (RFC 1122 §3.2.1 says what an IPv4 host must check).

#include <cstdint>

namespace tachyon::wire {

/// Why a header failed validation (each maps to a named drop counter upstream).
enum class wire_error : uint8_t {
    ok = 0,             ///< the header is valid
    truncated,          ///< fewer bytes than the header (or its stated length) needs
    bad_hardware_type,  ///< ARP hardware type is not Ethernet (1)
    bad_protocol_type,  ///< ARP protocol type is not IPv4 (0x0800)
    bad_address_length, ///< ARP hardware/protocol address lengths are not 6/4
    bad_operation,      ///< ARP operation is neither request (1) nor reply (2)
    bad_version,        ///< IP version is not 4
    bad_header_length,  ///< IPv4 IHL or TCP data offset below 5, or beyond the bytes received
    bad_total_length,   ///< IPv4 total length below the header or beyond the bytes received
    bad_checksum,       ///< the header or message does not checksum to zero
    bad_type,           ///< a type field this parser does not accept
    bad_port,           ///< UDP destination port 0, or a TCP port 0 either way (reserved, RFC 768 / IANA)
    bad_option,         ///< TCP option length < 2, overrunning the header, or wrong for a known option
};

/// A short, stable name for a wire error (for counters and logs).
const char* to_string(wire_error e);

} // namespace tachyon::wire
