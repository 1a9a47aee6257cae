#include "apps/md/moldudp64.hpp"

#include <cstring>
#include <utility>

namespace tachyon::md {

const char* to_string(mold_error e) {
    switch (e) {
    case mold_error::ok: return "ok";
    case mold_error::truncated: return "truncated";
    case mold_error::block_past_end: return "block_past_end";
    case mold_error::trailing_bytes: return "trailing_bytes";
    case mold_error::wrong_length: return "wrong_length";
    }
    return "?";
}

mold_error mold_packet::parse(std::span<const std::byte> datagram, mold_packet& out) {
    if (datagram.size() < mold_header_len) [[unlikely]]
        return mold_error::truncated;
    field_reader r(datagram.data());
    mold_header::visit(out.header, r);
    const std::span<const std::byte> rest = datagram.subspan(mold_header_len);
    out.blocks = rest;
    // Heartbeats and end of session carry no blocks (spec "Heartbeats", "End of Session
    // Message"); tshark flags bytes after an end of session as malformed too.
    if (out.header.count == mold_heartbeat || out.header.count == mold_end_of_session) {
        if (!rest.empty()) return mold_error::trailing_bytes;
        return mold_error::ok;
    }
    size_t off = 0;
    for (uint16_t i = 0; i < out.header.count; ++i) {
        if (rest.size() - off < 2) [[unlikely]]
            return mold_error::block_past_end;
        const size_t len = wire::load_be16(rest.data() + off);
        if (rest.size() - off - 2 < len) [[unlikely]]
            return mold_error::block_past_end;
        off += 2 + len;
    }
    if (off != rest.size()) [[unlikely]]
        return mold_error::trailing_bytes;
    return mold_error::ok;
}

mold_packet_builder::mold_packet_builder(std::span<std::byte> out, const mold_session& session, uint64_t sequence)
    : _out(out), _header{session, sequence, 0} {}

bool mold_packet_builder::append(std::span<const std::byte> message) {
    if (message.size() > UINT16_MAX || _count == mold_end_of_session - 1 || _out.size() - _len < 2 + message.size())
        return false;
    wire::store_be16(_out.data() + _len, uint16_t(message.size()));
    if (!message.empty()) std::memcpy(_out.data() + _len + 2, message.data(), message.size());
    _len += 2 + message.size();
    ++_count;
    return true;
}

std::span<const std::byte> mold_packet_builder::finish() { return finish_as(_count); }

std::span<const std::byte> mold_packet_builder::finish_as(uint16_t count) {
    _header.count = count;
    field_writer w(_out.data());
    mold_header::visit(std::as_const(_header), w);
    return _out.first(_len);
}

mold_error mold_request::parse(std::span<const std::byte> datagram, mold_request& out) {
    if (datagram.size() != mold_header_len) return mold_error::wrong_length;
    field_reader r(datagram.data());
    mold_header::visit(out.header, r);
    return mold_error::ok;
}

size_t mold_request::emit(std::span<std::byte> out) const {
    field_writer w(out.data());
    mold_header::visit(header, w);
    return mold_header_len;
}

} // namespace tachyon::md
