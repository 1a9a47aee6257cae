/// libFuzzer target for the market-data receive path: the input is a run of datagrams, each
/// `[line (1 byte)] [length (2 bytes, big-endian)] [bytes]`, fed through the MoldUDP64 parse,
/// the A/B arbiter (line 0 A, 1 B, 2 the retransmission server; the clock advances 1 ms per
/// datagram, and `poll` runs after each, so requests, retries and give-ups all happen) and the
/// ITCH book builder with small tables (so full tables are reached). Oracles: a valid packet's
/// blocks lie inside the datagram and number its count; messages reach the books in strictly
/// increasing sequence order, each once; `missing()` never exceeds what is known to exist.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "apps/md/arbiter.hpp"
#include "apps/md/book_builder.hpp"
#include "support/fuzz_target.hpp"

namespace {

using namespace tachyon;
using namespace tachyon::md;

/// Applies what the arbiter delivers, checking the order.
struct checking_sink {
    book_builder* books;
    uint64_t last = 0;
    void on_message(uint64_t seq, std::span<const std::byte> msg, bool) {
        FUZZ_CHECK(seq > last || last == 0, "message %llu delivered after %llu", (unsigned long long)seq, (unsigned long long)last);
        last = seq;
        books->apply(msg);
    }
    void on_loss(uint64_t seq) {
        FUZZ_CHECK(seq > last || last == 0, "loss of %llu reported after %llu", (unsigned long long)seq, (unsigned long long)last);
        last = seq;
        books->on_loss();
    }
};

void check_blocks(std::span<const std::byte> d) {
    mold_packet p;
    if (mold_packet::parse(d, p) != mold_error::ok) return;
    mold_block_iterator it(p);
    std::span<const std::byte> m;
    size_t n = 0;
    while (it.next(m)) {
        FUZZ_CHECK(m.data() >= d.data() && m.data() + m.size() <= d.data() + d.size(), "a message block outside its datagram");
        ++n;
    }
    FUZZ_CHECK(n == p.messages(), "%zu blocks for a count of %zu", n, size_t(p.messages()));
}

} // namespace

TACHYON_FUZZ_TARGET(moldudp64) {
    arbiter_config config;
    config.hold_messages = 64;
    config.max_request = 16;
    config.max_retries = 1;
    config.max_ahead = 1 << 12;
    book_builder books(book_config{32, 16}, {});
    arbiter arb(config);
    checking_sink sink{&books};
    instant now = instant::from_ns(1'000'000'000);
    std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
    while (in.size() >= 3) {
        const auto line = feed_line(uint8_t(in[0]) % 3);
        const size_t len = std::min<size_t>((size_t(in[1]) << 8) | size_t(in[2]), in.size() - 3);
        const std::span<const std::byte> d = in.subspan(3, len);
        in = in.subspan(3 + len);
        check_blocks(d);
        arb.on_datagram(line, d, now, sink);
        now = now + duration::ms(1);
        (void)arb.poll(now, sink);
        FUZZ_CHECK(arb.missing() <= arb.known_end(), "more missing than known to exist");
    }
    return 0;
}
