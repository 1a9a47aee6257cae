/// tachyon-bench-feed: the cost of an ITCH Add Order from frame to book, through the stack.
/// Two stacks in one process over the memory link: an "exchange" stack sends MoldUDP64
/// packets of ITCH Add Orders to a multicast group; the feed stack receives them on a joined
/// socket whose callback is tachyon-feed's own handler (arbiter, book builder, tick-to-book
/// stamp). Only the feed stack's poll is measured: under callgrind (`--collect-atstart=no`)
/// collection is on just around it, so the Ir total divided by the messages printed is the
/// instructions per Add Order, Ethernet to book, memory link's rx included (it is a few dozen
/// instructions a frame). Outside valgrind it also counts heap allocations and system calls in
/// the measured phase (tools/bench/hooks), which must both be zero.
///
///     valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=cg.out
///         build/release/tools/bench/tachyon-bench-feed --per-frame 1 --frames 20000
///     callgrind_annotate cg.out | grep 'PROGRAM TOTALS'    # then divide by "messages"

#include <cstdio>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#define RUNNING_ON_VALGRIND 0
#endif

#include "api/cli.hpp"
#include "api/udp_socket.hpp"
#include "apps/feed/feed_handler.hpp"
#include "apps/md/moldudp64.hpp"
#include "stack/device/memory_link.hpp"
#include "tools/bench/hooks.hpp"

namespace tachyon::bench {
namespace {

constexpr ipv4_address exchange_ip{198, 18, 0, 1};
constexpr ipv4_address feed_ip{198, 18, 0, 2};
constexpr ipv4_address group{239, 18, 0, 1};
constexpr uint16_t port = 30001;

/// The session: a stock directory for locate 1, then Add Orders, `per_frame` to a packet.
std::vector<std::vector<std::byte>> session_packets(size_t frames, size_t per_frame) {
    const md::mold_session session = md::text<10>("BENCH00001");
    std::vector<std::vector<std::byte>> out;
    std::vector<std::byte> buf(1500);
    md::itch_stock_directory dir;
    dir.header = md::itch_header{'R', 1, 0, md::u48{0}};
    dir.stock = md::text<8>("BENCH");
    std::vector<std::byte> msg(md::itch_length<md::itch_stock_directory>());
    md::itch_emit(dir, msg);
    md::mold_packet_builder first(buf, session, 1);
    (void)first.append(msg);
    auto bytes = first.finish();
    out.emplace_back(bytes.begin(), bytes.end());
    uint64_t seq = 2, ref = 1;
    for (size_t f = 0; f < frames; ++f) {
        md::mold_packet_builder b(buf, session, seq);
        for (size_t i = 0; i < per_frame; ++i, ++seq, ++ref) {
            md::itch_add_order a;
            a.header = md::itch_header{'A', 1, 0, md::u48{ref}};
            a.order_ref = ref;
            a.side = ref % 2 ? 'B' : 'S';
            a.shares = 100;
            a.stock = dir.stock;
            a.price = uint32_t(1'000'000 + (ref % 2 ? -1 : 1) * int64_t(100 * (1 + ref % 50)));
            std::vector<std::byte> m(md::itch_length<md::itch_add_order>());
            md::itch_emit(a, m);
            (void)b.append(m);
        }
        bytes = b.finish();
        out.emplace_back(bytes.begin(), bytes.end());
    }
    return out;
}

int run(int argc, char** argv) {
    uint64_t frames = 20000, per_frame = 1, warmup = 1000;
    cli c("tachyon-bench-feed", "Instructions (under callgrind), allocations and system calls per ITCH Add Order "
                                "from frame to book through the stack and tachyon-feed's handler.");
    auto number = [](uint64_t& out) {
        return [&out](std::string_view v) -> result<void> {
            out = std::stoull(std::string(v));
            return {};
        };
    };
    c.option("frames", "N", "measured frames (default 20000)", number(frames));
    c.option("per-frame", "K", "Add Orders per frame, 1 to 32 (default 1)", number(per_frame));
    c.option("warmup", "N", "frames before measuring (default 1000)", number(warmup));
    auto parsed = c.parse(argc, argv);
    if (!parsed || per_frame < 1 || per_frame > 32) {
        std::fprintf(stderr, "tachyon-bench-feed: bad flags (see --help)\n");
        return 2;
    }
    if (*parsed == cli_outcome::help) return 0;

    memory_link_config lc;
    memory_link link(lc);
    stack_config ce, cf;
    ce.address = ipv4_cidr{exchange_ip, 24};
    cf.address = ipv4_cidr{feed_ip, 24};
    ce.static_arp.push_back({feed_ip, lc.mac_b});
    cf.static_arp.push_back({exchange_ip, lc.mac_a});
    auto ex = stack::create(ce, link.a());
    auto fd = stack::create(cf, link.b());
    if (!ex || !fd) {
        std::fprintf(stderr, "tachyon-bench-feed: cannot build the stacks\n");
        return 1;
    }
    stack& exchange = *ex.value();
    stack& feed = *fd.value();
    instant now = monotonic_clock::now();
    exchange.start(now);
    feed.start(now);

    md::arbiter_config ac;
    ac.lines = 1;
    feed::feed_handler handler(ac, md::book_config{size_t(1) << 20, size_t(1) << 16}, {});
    feed::line_callback cb{&handler, md::feed_line::a};
    auto rx = udp_socket::open(feed).value();
    if (rx.bind({group, port}) != errc::ok || rx.on_datagram(cb) != errc::ok || rx.join(group) != errc::ok) return 1;
    auto tx = udp_socket::open(exchange).value();
    if (tx.bind({ipv4_address::any(), 0}) != errc::ok) return 1;

    const auto packets = session_packets(warmup + frames, per_frame);
    const bool valgrind = RUNNING_ON_VALGRIND != 0;
    steady_counter counter;
    size_t i = 0;
    auto one = [&](bool measured) {
        now = monotonic_clock::now();
        (void)tx.send_to({group, port}, packets[i++]);
        exchange.poll(now);
        if (measured && valgrind) CALLGRIND_TOGGLE_COLLECT;
        feed.poll(now);
        if (measured && valgrind) CALLGRIND_TOGGLE_COLLECT;
    };
    for (uint64_t w = 0; w < warmup + 1; ++w) one(false); // the directory, then the warm-up
    if (!valgrind) counter.begin();
    for (uint64_t f = 0; f < frames; ++f) one(true);
    if (!valgrind) counter.end();

    const uint64_t measured = frames * per_frame;
    const md::arbiter& a = handler.arbiter();
    const bool ok = a.next_sequence() == 2 + (warmup + frames) * per_frame && a.missing() == 0 &&
                    handler.builder().books().orders() == (warmup + frames) * per_frame;
    std::printf("messages=%llu frames=%llu per_frame=%llu delivered_ok=%s allocations=%lld syscalls=%lld%s%s\n",
                (unsigned long long)measured, (unsigned long long)frames, (unsigned long long)per_frame,
                ok ? "yes" : "no", (long long)counter.allocations(), (long long)counter.syscalls(),
                counter.why_not().empty() ? "" : " note=", counter.why_not().c_str());
    for (const std::string& s : counter.syscall_samples()) std::printf("syscall: %s\n", s.c_str());
    return ok ? 0 : 1;
}

} // namespace
} // namespace tachyon::bench

int main(int argc, char** argv) { return tachyon::bench::run(argc, argv); }
