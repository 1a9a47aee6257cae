/// tcp-stream: TCP bulk transfer in one direction over the backend; the server is a sink that
/// measures, the client keeps its send buffer full.

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "tools/bench/modes.hpp"
#include "tools/bench/report.hpp"
#include "tools/bench/rx_window.hpp"

namespace tachyon::bench {

namespace {

/// The sink's listener and connection: every byte taken and counted.
struct sink {
    stack* net = nullptr; ///< the sink's stack
    uint64_t bytes = 0;   ///< received
    tcp_id id = 0;        ///< the accepted connection
    bool have = false;    ///< one was accepted
    /// The listener's accept callback: the connection's bytes are counted from now on.
    static void on_accept(void* self, tcp_id id) {
        auto* k = static_cast<sink*>(self);
        k->id = id;
        k->have = true;
        tcp_callbacks cb;
        cb.context = self;
        cb.on_data = [](void* c, tcp_id, std::span<const std::byte> b) -> size_t {
            static_cast<sink*>(c)->bytes += b.size();
            return b.size();
        };
        (void)k->net->tcp_set_callbacks(id, cb);
    }
};

} // namespace

/// The sink: listens on --port, takes every byte, measures bytes and segments per second over
/// a window that opens --warmup-seconds after the first byte and lasts --seconds; then resets
/// the connection (which ends the sender).
int tcp_stream_server(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    sink k{&net};
    if (auto l = net.tcp_listen(o.port, 16, &sink::on_accept, &k); !l)
        return fail("cannot listen on TCP port " + std::to_string(o.port) + ": " + l.err().message);
    std::fprintf(stderr, "tcp-stream server: ready\n");
    steady_counter counter;
    uint64_t bytes_at_open = 0, segs_at_open = 0, ack_at_open = 0;
    rx_window window(o, counter);
    while (!stop_requested()) {
        const instant now = now_instant();
        net.poll(now);
        const auto e = window.step(now.ns_since_epoch(), k.bytes > 0);
        if (e == rx_window::event::opened) {
            bytes_at_open = k.bytes;
            segs_at_open = net.stats().tcp.rx_segments;
            ack_at_open = net.stats().tcp.tx_segments;
        } else if (e != rx_window::event::none) {
            break;
        }
    }
    window.finish();
    const uint64_t got = k.bytes - bytes_at_open;
    const uint64_t segs = net.stats().tcp.rx_segments - segs_at_open;
    const uint64_t acks = net.stats().tcp.tx_segments - ack_at_open;
    const double secs = window.seconds();
    if (k.have) (void)net.tcp_abort(k.id, now_instant());
    for (const int64_t until = now_ns() + 50'000'000; now_ns() < until;) net.poll(now_instant());
    std::fprintf(stderr, "tcp-stream: %llu bytes in %llu segments in %.2f s: %.1f MB/s, %.0f segments/s\n",
                 (unsigned long long)got, (unsigned long long)segs, secs,
                 secs > 0 ? double(got) / secs / 1e6 : 0, secs > 0 ? double(segs) / secs : 0);
    report r;
    r.field("mode", std::string("tcp-stream-server"));
    r.field("tcp_buffer", double(o.backend.stack.tcp.receive_buffer));
    r.field("bytes", double(got));
    r.field("segments", double(segs));
    r.field("acks_sent", double(acks));
    r.field("seconds", secs);
    r.field("bytes_per_s", secs > 0 ? double(got) / secs : 0);
    r.field("segments_per_s", secs > 0 ? double(segs) / secs : 0);
    r.field("rate", secs > 0 ? double(segs) / secs : 0);
    r.field("bytes_per_segment", segs ? double(got) / double(segs) : 0);
    r.field("out_of_order", double(net.stats().tcp.out_of_order));
    r.field("drops", double(net.stats().tcp.drop_out_of_order_full + net.stats().tcp.drop_not_acceptable +
                            net.stats().ipv4.drops() + net.stats().ethernet.drops()));
    r.counts(counter, segs);
    r.print();
    return window_closed("tcp-stream server");
}

/// The sender: connects to --dst:--port and keeps the send buffer full with whole segments
/// (writes of a multiple of the MSS) until the sink resets the connection or --seconds pass.
int tcp_stream_client(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    client_state cs;
    sender s{&net, proto::tcp, 0, o.dst, o.port, {}};
    tcp_client_conn conn;
    conn.cs = &cs;
    if (!tcp_open(net, conn, s, now_instant, [&](instant t) { net.poll(t); })) return 1;
    const size_t mss = net.tcp_connection_of(s.tid)->send_mss();
    std::vector<std::byte> chunk(256 * 1024);
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = std::byte(i * 131 >> 3);
    uint64_t sent = 0, writes = 0;
    steady_counter counter;
    bool counting = false, closed_window = false;
    int64_t last_progress = now_ns();
    const int64_t start = now_ns(), deadline = start + int64_t(o.seconds * 1e9);
    int64_t count_from = 0;
    uint64_t sent_at_count = 0;
    const uint64_t tx0 = net.stats().tcp.tx_segments, rtx0 = net.stats().tcp.retransmits;
    while (!stop_requested() && !conn.closed) {
        const instant now = now_instant();
        net.poll(now);
        const size_t space = std::min(net.tcp_send_space(s.tid), chunk.size());
        const int64_t t = now.ns_since_epoch();
        if (space >= mss) {
            const size_t n = net.tcp_send(s.tid, std::span(chunk.data(), space - space % mss), now);
            sent += n;
            ++writes;
            if (n > 0) last_progress = t;
        }
        // The sink ends the run with a RST; should that be lost with its link, the window closes
        // once nothing has moved for 100 ms, and says so, before the driver's SIGTERM (whose
        // handler's return would be counted as a system call).
        if (counting && !closed_window && t - last_progress > 100'000'000) {
            counter.end();
            closed_window = true;
            break;
        }
        if (!counting && t - start > int64_t(o.warmup_seconds * 1e9)) {
            counting = true;
            count_from = t;
            sent_at_count = sent;
            counter.begin();
        }
        if (t > deadline) break;
    }
    if (counting && !closed_window) counter.end();
    const double secs = double((closed_window ? last_progress : now_ns()) - count_from) / 1e9;
    std::fprintf(stderr, "tcp-stream client: %llu bytes sent (MSS %zu), %.1f MB/s after the warm-up\n",
                 (unsigned long long)sent, mss, counting ? double(sent - sent_at_count) / secs / 1e6 : 0.0);
    report r;
    r.field("mode", std::string("tcp-stream-client"));
    r.field("mss", double(mss));
    r.field("bytes_sent", double(sent));
    r.field("writes", double(writes));
    r.field("bytes_per_s", counting && secs > 0 ? double(sent - sent_at_count) / secs : 0);
    r.field("tcp_tx_segments", double(net.stats().tcp.tx_segments - tx0));
    r.field("tcp_retransmits", double(net.stats().tcp.retransmits - rtx0));
    r.field("closed_by", std::string(to_string(conn.reason)));
    r.counts(counter, (sent - sent_at_count) / mss);
    r.print();
    return window_closed("tcp-stream client");
}

} // namespace tachyon::bench
