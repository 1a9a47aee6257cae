/// Names for `wire_error` values (cold path: counters and logs only).

#include "stack/wire/error.hpp"

namespace tachyon::wire {

const char* to_string(wire_error e) {
    switch (e) {
    case wire_error::ok: return "ok";
    case wire_error::truncated: return "truncated";
    case wire_error::bad_hardware_type: return "bad hardware type";
    case wire_error::bad_protocol_type: return "bad protocol type";
    case wire_error::bad_address_length: return "bad address length";
    case wire_error::bad_operation: return "bad operation";
    case wire_error::bad_version: return "bad version";
    case wire_error::bad_header_length: return "bad header length";
    case wire_error::bad_total_length: return "bad total length";
    case wire_error::bad_checksum: return "bad checksum";
    case wire_error::bad_type: return "bad type";
    case wire_error::bad_port: return "bad port";
    case wire_error::bad_option: return "bad option";
    }
    return "unknown";
}

} // namespace tachyon::wire
