/// TCP header and options (stack/wire/tcp.hpp): parse → emit → parse agreement, the checksum
/// against an independent one, and the NOP NOP timestamps fast path against the general option
/// loop. The input's first 8 bytes are the pseudo header's addresses, the rest the segment.

#include <cstring>
#include <span>
#include <vector>

#include "stack/wire/tcp.hpp"
#include "support/frame_check.hpp"
#include "support/fuzz_target.hpp"

using namespace tachyon;

TACHYON_FUZZ_TARGET(tcp) {
    fuzz::addressed_input a;
    if (!fuzz::split_addresses(data, size, a)) return 0;
    const ipv4_address src = a.src, dst = a.dst;
    const auto in = a.rest;
    // The general option loop on any bytes: never reads past them, and fails without writing.
    wire::tcp_options any;
    any.mss = 0x1234;
    if (wire::tcp_options::parse(in.first(std::min<size_t>(in.size(), 40)), any) != wire::wire_error::ok)
        FUZZ_CHECK(any.mss == 0x1234 && !any.has_mss, "tcp: a failed option parse wrote its output");
    wire::tcp_repr h;
    if (wire::tcp_repr::parse(in, src, dst, h, false) != wire::wire_error::ok) return 0;
    const bool sum_ok = fuzz::reference_sum(in, fuzz::reference_pseudo(src, dst, 6, in.size())) == 0xffff;
    wire::tcp_repr checked;
    FUZZ_CHECK((wire::tcp_repr::parse(in, src, dst, checked, true) == wire::wire_error::ok) == sum_ok,
               "tcp: checksum verification disagrees with the reference sum");
    // The fast path (NOP NOP timestamps) and the general loop read the same options.
    wire::tcp_options general;
    FUZZ_CHECK(wire::tcp_options::parse(in.subspan(20, h.header_len - 20u), general) == wire::wire_error::ok &&
                   general == h.options,
               "tcp: the option fast path and the general loop disagree");
    const auto payload = h.payload(in);
    FUZZ_CHECK(payload.size() == in.size() - h.header_len, "tcp: payload of %zu", payload.size());
    // Emit in Linux's layout and parse again: the same header, SACK blocks cut to what fits.
    FUZZ_CHECK(h.options_len() <= 40 && h.options_len() % 4 == 0, "tcp: %zu option bytes", h.options_len());
    std::vector<std::byte> out(h.emitted_header_len() + payload.size());
    if (!payload.empty()) std::memcpy(out.data() + h.emitted_header_len(), payload.data(), payload.size());
    h.emit(out, src, dst, payload.size());
    FUZZ_CHECK(fuzz::reference_sum(out, fuzz::reference_pseudo(src, dst, 6, out.size())) == 0xffff,
               "tcp: emit wrote a bad checksum");
    wire::tcp_repr again;
    const wire::wire_error e = wire::tcp_repr::parse(out, src, dst, again, true);
    FUZZ_CHECK(e == wire::wire_error::ok, "tcp: the emitted segment fails: %s", wire::to_string(e));
    wire::tcp_repr expected = h;
    expected.options.sack_count = uint8_t(h.options.emitted_sack_count());
    for (size_t i = expected.options.sack_count; i < expected.options.sack_blocks.size(); ++i)
        expected.options.sack_blocks[i] = {};
    expected.header_len = uint8_t(h.emitted_header_len());
    expected.checksum = again.checksum;
    FUZZ_CHECK(again == expected, "tcp: the emitted segment parses differently");
    FUZZ_CHECK(again.segment_len(payload.size()) == h.segment_len(payload.size()), "tcp: SEG.LEN changed");
    return 0;
}
