/// The general TCP option loop (RFC 9293 §3.2, RFC 7323 §2-§3, RFC 2018), out of line: the
/// established-state layout (NOP NOP timestamps) is read inline by `tcp_repr::parse` and never
/// comes here; SYNs, SACKs and anything unusual do.

#include "stack/wire/tcp.hpp"

namespace tachyon::wire {

wire_error tcp_options::parse(std::span<const std::byte> bytes, tcp_options& out) {
    tcp_options o;
    const std::byte* p = bytes.data();
    const size_t n = bytes.size();
    size_t i = 0;
    while (i < n) {
        const auto kind = uint8_t(p[i]);
        if (kind == tcp_option_kind::eol) break; // RFC 9293 §3.2: the rest is padding
        if (kind == tcp_option_kind::nop) {
            ++i;
            continue;
        }
        // Every other kind has a length byte counting kind and length (RFC 9293 §3.2); one that is
        // missing, below 2 or past the end is an illegal length (MUST-7).
        if (n - i < 2) return wire_error::bad_option;
        const auto len = size_t(uint8_t(p[i + 1]));
        if (len < 2 || len > n - i) return wire_error::bad_option;
        const std::byte* v = p + i + 2;
        switch (kind) {
        case tcp_option_kind::mss:
            if (len != 4) return wire_error::bad_option;
            o.has_mss = true;
            o.mss = load_be16(v);
            break;
        case tcp_option_kind::window_scale:
            if (len != 3) return wire_error::bad_option;
            o.has_window_scale = true;
            // RFC 7323 §2.3: a shift count above 14 is logged and used as 14.
            o.window_scale = std::min(uint8_t(v[0]), max_window_scale);
            break;
        case tcp_option_kind::sack_permitted:
            if (len != 2) return wire_error::bad_option;
            o.sack_permitted = true;
            break;
        case tcp_option_kind::timestamps:
            if (len != 10) return wire_error::bad_option;
            o.has_timestamps = true;
            o.ts_val = load_be32(v);
            o.ts_ecr = load_be32(v + 4);
            break;
        case tcp_option_kind::sack: {
            // RFC 2018 §3: length 2 + 8n. The 40 option bytes hold at most 4 blocks, so a length
            // that fits in them never says more than max_sack_blocks.
            if (len < 10 || (len - 2) % 8 != 0) return wire_error::bad_option;
            const size_t blocks = (len - 2) / 8;
            static_assert(2 + 8 * (max_sack_blocks + 1) > max_len);
            o.sack_count = uint8_t(std::min(blocks, max_sack_blocks));
            o.sack_blocks = {};
            for (size_t b = 0; b < o.sack_count; ++b) {
                o.sack_blocks[b] = {seq32{load_be32(v + 8 * b)}, seq32{load_be32(v + 8 * b + 4)}};
            }
            break;
        }
        default:
            break; // RFC 9293 §3.2 MUST-6: an unknown option is skipped by its length
        }
        i += len;
    }
    out = o;
    return wire_error::ok;
}

} // namespace tachyon::wire
