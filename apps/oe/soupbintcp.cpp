#include "apps/oe/soupbintcp.hpp"

#include <cstring>

#include "stack/wire/endian.hpp"

namespace tachyon::oe {

const char* to_string(soup_error e) {
    switch (e) {
    case soup_error::ok: return "ok";
    case soup_error::truncated: return "truncated";
    case soup_error::trailing_bytes: return "trailing_bytes";
    case soup_error::zero_length: return "zero_length";
    case soup_error::oversize: return "oversize";
    case soup_error::unknown_type: return "unknown_type";
    case soup_error::wrong_length: return "wrong_length";
    case soup_error::bad_number: return "bad_number";
    }
    return "?";
}

const char* to_string(soup_type t) {
    switch (t) {
    case soup_type::debug: return "debug";
    case soup_type::login_accepted: return "login_accepted";
    case soup_type::login_rejected: return "login_rejected";
    case soup_type::sequenced_data: return "sequenced_data";
    case soup_type::server_heartbeat: return "server_heartbeat";
    case soup_type::end_of_session: return "end_of_session";
    case soup_type::login_request: return "login_request";
    case soup_type::unsequenced_data: return "unsequenced_data";
    case soup_type::client_heartbeat: return "client_heartbeat";
    case soup_type::logout_request: return "logout_request";
    }
    return "unknown";
}

bool soup_known_type(char c) {
    switch (soup_type(c)) {
    case soup_type::debug:
    case soup_type::login_accepted:
    case soup_type::login_rejected:
    case soup_type::sequenced_data:
    case soup_type::server_heartbeat:
    case soup_type::end_of_session:
    case soup_type::login_request:
    case soup_type::unsequenced_data:
    case soup_type::client_heartbeat:
    case soup_type::logout_request: return true;
    }
    return false;
}

bool soup_sent_by_server(soup_type t) {
    switch (t) {
    case soup_type::login_accepted:
    case soup_type::login_rejected:
    case soup_type::sequenced_data:
    case soup_type::server_heartbeat:
    case soup_type::end_of_session: return true;
    default: return false;
    }
}

bool soup_sent_by_client(soup_type t) { return t != soup_type::debug && !soup_sent_by_server(t); }

const char* soup_reject_reason_text(char code) {
    switch (code) {
    case 'A': return "not authorized (invalid username or password)";
    case 'S': return "session not available (the requested session is not valid or not available)";
    default: return "unknown reason code";
    }
}

bool soup_decode_number(const std::array<char, soup_number_width>& text, uint64_t& value) {
    size_t i = 0;
    while (i < text.size() && text[i] == ' ') ++i;
    if (i == text.size()) return false; // all spaces: no digit
    uint64_t v = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return false;
        const uint64_t d = uint64_t(c - '0');
        if (v > (UINT64_MAX - d) / 10) return false; // 20 digits can exceed 2^64 - 1
        v = v * 10 + d;
    }
    value = v;
    return true;
}

std::array<char, soup_number_width> soup_encode_number(uint64_t value) {
    std::array<char, soup_number_width> out;
    out.fill(' ');
    size_t i = out.size();
    do {
        out[--i] = char('0' + value % 10);
        value /= 10;
    } while (value != 0); // 2^64 - 1 has 20 digits: it always fits
    return out;
}

int soup_fixed_payload_length(soup_type t) {
    switch (t) {
    case soup_type::debug:
    case soup_type::sequenced_data:
    case soup_type::unsequenced_data: return -1;
    case soup_type::login_accepted: return int(soup_payload_length<soup_login_accepted>());
    case soup_type::login_rejected: return int(soup_payload_length<soup_login_rejected>());
    case soup_type::login_request: return int(soup_payload_length<soup_login_request>());
    case soup_type::server_heartbeat:
    case soup_type::end_of_session:
    case soup_type::client_heartbeat:
    case soup_type::logout_request: return 0;
    }
    return -1;
}

soup_error soup_packet::parse(std::span<const std::byte> bytes, soup_packet& out) {
    if (bytes.size() < soup_length_bytes) [[unlikely]]
        return soup_error::truncated;
    const size_t len = wire::load_be16(bytes.data());
    if (len == 0) [[unlikely]]
        return soup_error::zero_length;
    if (bytes.size() - soup_length_bytes < len) [[unlikely]]
        return soup_error::truncated;
    if (bytes.size() - soup_length_bytes > len) [[unlikely]]
        return soup_error::trailing_bytes;
    const char type = char(bytes[soup_length_bytes]);
    if (!soup_known_type(type)) [[unlikely]]
        return soup_error::unknown_type;
    out.type = soup_type(type);
    out.payload = bytes.subspan(soup_header_len);
    const int fixed = soup_fixed_payload_length(out.type);
    if (fixed >= 0 && out.payload.size() != size_t(fixed)) [[unlikely]]
        return soup_error::wrong_length;
    return soup_error::ok;
}

void soup_write_header(std::span<std::byte> out, soup_type t, size_t payload_len) {
    wire::store_be16(out.data(), uint16_t(payload_len + 1));
    out[soup_length_bytes] = std::byte(t);
}

size_t soup_emit(std::span<std::byte> out, soup_type t, std::span<const std::byte> payload) {
    if (payload.size() >= soup_max_length || out.size() < soup_header_len + payload.size()) return 0;
    soup_write_header(out, t, payload.size());
    if (!payload.empty()) std::memcpy(out.data() + soup_header_len, payload.data(), payload.size());
    return soup_header_len + payload.size();
}

static_assert(soup_payload_length<soup_login_request>() == 46);
static_assert(soup_payload_length<soup_login_accepted>() == 30);
static_assert(soup_payload_length<soup_login_rejected>() == 1);

} // namespace tachyon::oe
