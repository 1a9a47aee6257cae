/// libFuzzer target for the order-entry receive path: the input is `[config (1 byte)] [cuts
/// (4 bytes)] [stream]`: the config picks the largest Packet Length accepted (1..255, or 65535
/// for 0), the cuts split the stream into up to five feeds. The stream goes through
/// `soup_stream` in those pieces and, as a reference, whole; Sequenced Data is dispatched as
/// outbound OUCH, Unsequenced Data as inbound. Oracles: the split does not change a packet,
/// a counter or the stop; every packet delivered re-parses and its emit gives its bytes back;
/// a decoded fixed-size body emits and parses back to the same value; a decoded OUCH message
/// emits back to its bytes; the counters add up.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "apps/oe/ouch.hpp"
#include "apps/oe/soup_stream.hpp"
#include "support/fuzz_target.hpp"

namespace {

using namespace tachyon::oe;

/// Re-emits every decoded OUCH message and compares with the bytes it came from.
struct ouch_echo {
    std::span<const std::byte> bytes;
    template <class M>
    void on_message(const M& m) {
        std::byte out[128];
        const size_t n = ouch_emit(m, out);
        FUZZ_CHECK(n == bytes.size() && std::memcmp(out, bytes.data(), n) == 0,
                   "OUCH '%c' does not emit back", M::type);
    }
};

/// Parses a fixed-size body, emits it, parses that again: the same value.
template <class P>
void check_body(const soup_packet& p) {
    P body;
    if (soup_parse(p, body) != soup_error::ok) return;
    std::byte out[soup_header_len + 64];
    const size_t n = soup_emit(body, out);
    soup_packet again;
    FUZZ_CHECK(soup_packet::parse(std::span(out, n), again) == soup_error::ok,
               "an emitted body does not parse");
    P back;
    FUZZ_CHECK(soup_parse(again, back) == soup_error::ok && back == body, "a body does not round-trip");
}

/// What one stream gave: packet bytes back to back, and the OUCH counters.
struct outcome {
    std::vector<std::byte> packets;
    ouch_stats inbound, outbound;
};

void on_packet(const soup_packet& p, outcome& o) {
    std::byte out[soup_header_len + soup_max_length];
    const size_t n = soup_emit(out, p.type, p.payload);
    FUZZ_CHECK(n == p.size(), "a delivered packet does not emit back");
    soup_packet again;
    FUZZ_CHECK(soup_packet::parse(std::span(out, n), again) == soup_error::ok && again.type == p.type,
               "a delivered packet does not re-parse");
    o.packets.insert(o.packets.end(), out, out + n);
    switch (p.type) {
    case soup_type::login_request: check_body<soup_login_request>(p); break;
    case soup_type::login_accepted: check_body<soup_login_accepted>(p); break;
    case soup_type::login_rejected: check_body<soup_login_rejected>(p); break;
    case soup_type::sequenced_data:
    case soup_type::unsequenced_data: {
        ouch_echo echo{p.payload};
        const bool out_bound = p.type == soup_type::sequenced_data;
        (void)ouch_dispatch(out_bound ? ouch_direction::outbound : ouch_direction::inbound, p.payload, echo,
                            out_bound ? o.outbound : o.inbound);
        break;
    }
    default: break;
    }
}

/// Equal counters (bytes only while the streams run: a stopped one stops counting them).
bool same_stats(const soup_stream_stats& a, const soup_stream_stats& b, bool with_bytes) {
    return (!with_bytes || a.bytes == b.bytes) && a.packets == b.packets &&
           a.unknown_type == b.unknown_type && a.wrong_length == b.wrong_length &&
           a.zero_length == b.zero_length && a.oversize == b.oversize;
}

/// Equal OUCH counters.
bool same_ouch(const ouch_stats& a, const ouch_stats& b) {
    return a.decoded == b.decoded && a.skipped == b.skipped && a.unknown_type == b.unknown_type &&
           a.wrong_length == b.wrong_length && a.by_type == b.by_type;
}

} // namespace

TACHYON_FUZZ_TARGET(soupbintcp) {
    if (size < 5) return 0;
    const size_t max_length = data[0] == 0 ? soup_max_length : data[0];
    const std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data + 5), size - 5);

    soup_stream whole(max_length);
    outcome ref;
    const soup_error whole_error = whole.feed(stream, [&](const soup_packet& p) { on_packet(p, ref); });

    soup_stream pieces(max_length);
    outcome got;
    size_t at = 0;
    soup_error error = soup_error::ok;
    for (int i = 1; i <= 5; ++i) {
        const size_t end = i == 5 ? stream.size() : std::max(at, std::min(stream.size(), at + data[i]));
        error = pieces.feed(stream.subspan(at, end - at), [&](const soup_packet& p) { on_packet(p, got); });
        at = end;
    }

    FUZZ_CHECK(error == whole_error, "split stream stopped with %s, whole with %s", to_string(error),
               to_string(whole_error));
    FUZZ_CHECK(got.packets == ref.packets, "a split changed the packets");
    const auto& s = pieces.stats();
    FUZZ_CHECK(same_stats(s, whole.stats(), error == soup_error::ok), "a split changed the counters");
    FUZZ_CHECK(same_ouch(got.inbound, ref.inbound) && same_ouch(got.outbound, ref.outbound),
               "a split changed OUCH");
    FUZZ_CHECK(s.reassembled <= s.packets, "more reassembled than delivered");
    FUZZ_CHECK(s.zero_length + s.oversize == (error == soup_error::ok ? 0u : 1u), "stops counted wrong");
    FUZZ_CHECK(pieces.pending() <= soup_length_bytes + max_length, "more pending than a packet");
    for (const ouch_stats* o : {&got.inbound, &got.outbound}) {
        uint64_t by_type = 0;
        for (uint64_t n : o->by_type) by_type += n;
        FUZZ_CHECK(by_type == o->decoded + o->skipped, "OUCH per-type counts do not add up");
    }
    return 0;
}
