/// tachyon-bench: the measurements behind docs/BENCHMARKS.md (tools/bench/run drives it).
///
///     tachyon-bench MODE [flags]       (tachyon-bench MODE --help lists the flags)
///
/// Modes (DPDK ones take the shared backend flags: --dpdk "EAL ARGS", --core N, --ip, --mac, --arp):
///   raw-pingpong --role server|client   L2 frames bounced over DPDK with no stack: the floor
///   udp-pingpong | icmp-pingpong        a client stack against a server stack (closed loop, or
///                                       open loop at --rate with latency from the scheduled time)
///   stack-server                        the server stack for them: UDP echo on --port, ICMP echo
///   blast                               raw DPDK sender of pre-built UDP frames (for the rx rate)
///   rx-drop                             raw DPDK receive-and-drop: datagrams per second
///   udp-rx                              the stack receiving the same datagrams into a callback
///   mem-pingpong --proto udp|icmp       two stacks over the in-process memory link (callgrind)
///   tcp-pingpong | tcp-stream           slots: TCP is not built yet (exits 3, says so)
///
/// Every mode prints one JSON object on stdout (what tools/bench/run reads) and a human summary
/// on stderr. Allocation and system-call counts cover only the measured phase of the thread
/// that runs the stack (hooks.hpp).

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#endif

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "stack/device/memory_link.hpp"
#include "stack/iface/stack.hpp"
#include "tools/bench/frames.hpp"
#include "tools/bench/histogram.hpp"
#include "tools/bench/hooks.hpp"

#ifdef TACHYON_HAVE_DPDK
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "stack/device/dpdk/dpdk_device.hpp"
#include "stack/device/dpdk/eal.hpp"
#endif

namespace {

using namespace tachyon;
using tachyon::bench::histogram;
using tachyon::bench::udp_frame_template;
using tachyon::bench::steady_counter;

inline int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline instant now_instant() { return instant::from_ns(now_ns()); }

constexpr uint16_t raw_ethertype = 0x88B5; // IEEE local experimental
constexpr uint64_t stop_seq = UINT64_MAX;

struct bench_options {
    std::string mode;
    std::string role = "client";
    std::string proto = "udp";
    uint64_t count = 100000;
    uint64_t warmup = 10000;
    uint32_t size = 64;                       // UDP (or ICMP echo data) payload bytes
    double rate = 0;                          // open loop: messages per second (0: closed loop)
    double seconds = 2;                       // rx modes: measured window; servers: longest run
    double warmup_seconds = 0.3;              // rx modes: time before the window opens
    ipv4_address dst{198, 18, 0, 2};
    ipv4_address src{198, 18, 0, 1};
    uint16_t port = 7000;
    std::optional<ipv4_address> group;
    mac_address peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
    std::string cdf_path;
    std::string collect = "none";             // mem-pingpong: server | client | none
    backend_options backend;
};

result<void> parse_u64(std::string_view v, uint64_t& out) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || end != v.data() + v.size()) return make_error(errc::invalid_argument, "expected a whole number");
    out = n;
    return {};
}
result<void> parse_double(std::string_view v, double& out) {
    try {
        size_t used = 0;
        out = std::stod(std::string(v), &used);
        if (used != v.size() || !(out >= 0)) throw 0;
    } catch (...) {
        return make_error(errc::invalid_argument, "expected a non-negative number");
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Results: one JSON object on stdout.

struct report {
    std::string body;
    void field(const char* k, double v) {
        char b[64];
        if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
            std::snprintf(b, sizeof b, "%.0f", v);
        else if (std::isfinite(v))
            std::snprintf(b, sizeof b, "%.6g", v);
        else
            std::snprintf(b, sizeof b, "null");
        add(k, b);
    }
    void field(const char* k, const std::string& v) { add(k, "\"" + v + "\""); }
    void add(const char* k, const std::string& raw) {
        body += body.empty() ? "{" : ", ";
        body += "\"" + std::string(k) + "\": " + raw;
    }
    void latency(const histogram& h) {
        field("samples", double(h.count()));
        field("min_ns", double(h.min()));
        field("p50_ns", double(h.quantile(0.50)));
        field("p90_ns", double(h.quantile(0.90)));
        field("p99_ns", double(h.quantile(0.99)));
        field("p999_ns", double(h.quantile(0.999)));
        field("p9999_ns", double(h.quantile(0.9999)));
        field("max_ns", double(h.max()));
    }
    void counts(const steady_counter& c, uint64_t messages) {
        field("messages_counted", double(messages));
        field("allocations", double(c.allocations()));
        field("syscalls", double(c.syscalls()));
        const double m = messages ? double(messages) : 1.0;
        field("allocs_per_msg", c.allocations() < 0 ? NAN : double(c.allocations()) / m);
        field("syscalls_per_msg", c.syscalls() < 0 ? NAN : double(c.syscalls()) / m);
        if (!c.why_not().empty()) field("counts_note", c.why_not());
        if (!bench::alloc_hook_available()) field("alloc_note", std::string("allocation hook off (AddressSanitizer build)"));
    }
    void print() { std::printf("%s}\n", body.c_str()); std::fflush(stdout); }
};

void summary(const char* what, const histogram& h) {
    std::fprintf(stderr, "%s: %llu samples, p50 %.2f us, p90 %.2f, p99 %.2f, p99.9 %.2f, p99.99 %.2f, max %.2f\n", what,
                 (unsigned long long)h.count(), h.quantile(0.5) / 1e3, h.quantile(0.9) / 1e3, h.quantile(0.99) / 1e3,
                 h.quantile(0.999) / 1e3, h.quantile(0.9999) / 1e3, double(h.max()) / 1e3);
}

void write_cdf(const bench_options& o, const histogram& h) {
    if (o.cdf_path.empty()) return;
    if (std::FILE* f = std::fopen(o.cdf_path.c_str(), "w")) {
        h.write_cdf(f);
        std::fclose(f);
    }
}


// ---------------------------------------------------------------------------------------------
// Raw DPDK: a port with no stack.

#ifdef TACHYON_HAVE_DPDK
struct raw_port {
    std::shared_ptr<eal_session> eal;
    rte_mempool* pool = nullptr;
    uint16_t port = 0;
    bool started = false;
    rte_ether_addr mac{};

    ~raw_port() {
        if (started) {
            rte_eth_dev_stop(port);
            rte_eth_dev_close(port);
        }
        if (pool != nullptr) rte_mempool_free(pool);
    }

    result<void> open(const bench_options& o, double link_wait_s = 30) {
        auto args = eal_args_with_core(o.backend.dpdk_args, o.backend.core);
        if (!args) return args.err();
        auto e = eal_session::acquire(*args);
        if (!e) return e.err();
        eal = std::move(e.value());
        port = o.backend.port;
        if (!rte_eth_dev_is_valid_port(port)) return make_error(errc::invalid_argument, "no such DPDK port");
        const int socket = std::max(0, rte_eth_dev_socket_id(port));
        pool = rte_pktmbuf_pool_create("bench_raw", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
        if (pool == nullptr) return make_error(errc::no_buffer, "cannot create the mbuf pool");
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(port, 1, 1, &conf) != 0) return make_error(errc::invalid_argument, "rte_eth_dev_configure");
        uint16_t rxd = 1024, txd = 1024;
        rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
        if (rte_eth_rx_queue_setup(port, 0, rxd, unsigned(socket), nullptr, pool) != 0 ||
            rte_eth_tx_queue_setup(port, 0, txd, unsigned(socket), nullptr) != 0)
            return make_error(errc::invalid_argument, "queue setup");
        if (rte_eth_dev_start(port) != 0) return make_error(errc::invalid_argument, "rte_eth_dev_start");
        started = true;
        rte_eth_macaddr_get(port, &mac);
        const int64_t until = now_ns() + int64_t(link_wait_s * 1e9);
        for (;;) {
            rte_eth_link link{};
            rte_eth_link_get_nowait(port, &link);
            if (link.link_status == RTE_ETH_LINK_UP) break;
            if (now_ns() > until || stop_requested()) return make_error(errc::unreachable, "link did not come up");
            timespec ts{0, 1'000'000};
            ::nanosleep(&ts, nullptr);
        }
        return {};
    }
};

int raw_server(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o, o.seconds); !ok) {
        std::fprintf(stderr, "tachyon-bench: %s\n", ok.err().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "raw server: ready\n");
    steady_counter counter;
    uint64_t bounced = 0, counted_from = 0;
    bool counting = false, done = false;
    const int64_t deadline = now_ns() + int64_t(o.seconds * 1e9);
    std::array<rte_mbuf*, 32> bufs{};
    while (!done && !stop_requested()) {
        const uint16_t n = rte_eth_rx_burst(p.port, 0, bufs.data(), 32);
        if (n == 0) {
            if (now_ns() > deadline) break;
            continue;
        }
        for (uint16_t i = 0; i < n; ++i) {
            auto* eth = rte_pktmbuf_mtod(bufs[i], rte_ether_hdr*);
            uint64_t seq = 0;
            std::memcpy(&seq, reinterpret_cast<uint8_t*>(eth) + 14, 8);
            if (seq == stop_seq) done = true;
            rte_ether_addr t = eth->dst_addr;
            eth->dst_addr = eth->src_addr;
            eth->src_addr = t;
        }
        const uint16_t sent = rte_eth_tx_burst(p.port, 0, bufs.data(), n);
        if (sent < n) rte_pktmbuf_free_bulk(bufs.data() + sent, n - sent);
        bounced += n;
        if (!counting && bounced >= o.warmup) {
            counting = true;
            counted_from = bounced;
            counter.begin();
        }
    }
    if (counting) counter.end();
    report r;
    r.field("mode", std::string("raw-server"));
    r.field("bounced", double(bounced));
    r.counts(counter, counting ? bounced - counted_from : 0);
    r.print();
    return 0;
}

int raw_client(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o); !ok) {
        std::fprintf(stderr, "tachyon-bench: %s\n", ok.err().message.c_str());
        return 1;
    }
    const size_t len = 14 + 20 + 8 + o.size; // the same bytes on the wire as a UDP ping
    std::vector<uint8_t> tmpl(len, 0);
    std::memcpy(&tmpl[0], o.peer_mac.bytes.data(), 6);
    std::memcpy(&tmpl[6], p.mac.addr_bytes, 6);
    tmpl[12] = raw_ethertype >> 8;
    tmpl[13] = raw_ethertype & 0xff;
    histogram h;
    steady_counter counter;
    uint64_t lost = 0;
    std::array<rte_mbuf*, 32> bufs{};
    auto send = [&](uint64_t seq) {
        rte_mbuf* m = rte_pktmbuf_alloc(p.pool);
        if (m == nullptr) return false;
        auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, uint16_t(len)));
        std::memcpy(d, tmpl.data(), len);
        std::memcpy(d + 14, &seq, 8);
        while (rte_eth_tx_burst(p.port, 0, &m, 1) == 0) {
            if (stop_requested()) {
                rte_pktmbuf_free(m);
                return false;
            }
        }
        return true;
    };
    const uint64_t total = o.warmup + o.count;
    for (uint64_t i = 0; i < total && !stop_requested(); ++i) {
        if (i == o.warmup) counter.begin();
        const int64_t t0 = now_ns();
        if (!send(i)) break;
        bool got = false;
        while (!got) {
            const uint16_t n = rte_eth_rx_burst(p.port, 0, bufs.data(), 32);
            if (n > 0) {
                const int64_t t1 = now_ns();
                for (uint16_t k = 0; k < n; ++k) {
                    uint64_t seq = 0;
                    std::memcpy(&seq, rte_pktmbuf_mtod(bufs[k], uint8_t*) + 14, 8);
                    if (seq == i) {
                        got = true;
                        if (i >= o.warmup) h.record(t1 - t0);
                    }
                }
                rte_pktmbuf_free_bulk(bufs.data(), n);
            } else if (now_ns() - t0 > 100'000'000) {
                ++lost;
                break;
            }
        }
    }
    counter.end();
    send(stop_seq);
    summary("raw-pingpong", h);
    write_cdf(o, h);
    report r;
    r.field("mode", std::string("raw-pingpong"));
    r.field("frame_bytes", double(len));
    r.field("lost", double(lost));
    r.latency(h);
    r.counts(counter, h.count());
    r.print();
    return 0;
}

int raw_blast(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o); !ok) {
        std::fprintf(stderr, "tachyon-bench: %s\n", ok.err().message.c_str());
        return 1;
    }
    const ipv4_address dst = o.group ? *o.group : o.dst;
    mac_address dst_mac = o.peer_mac;
    if (dst.is_multicast()) {
        dst_mac = mac_address{{0x01, 0x00, 0x5e, uint8_t(dst.octet(1) & 0x7f), dst.octet(2), dst.octet(3)}};
    }
    mac_address src_mac;
    std::memcpy(src_mac.bytes.data(), p.mac.addr_bytes, 6);
    const auto tmpl = udp_frame_template(src_mac, dst_mac, o.src, dst, 5000, o.port, o.size);
    // The frames are built once and sent again and again: each send takes an extra mbuf
    // reference, which the driver drops once it has copied the frame into the memif ring.
    std::array<rte_mbuf*, 32> frames{};
    if (rte_pktmbuf_alloc_bulk(p.pool, frames.data(), 32) != 0) {
        std::fprintf(stderr, "tachyon-bench: no mbufs\n");
        return 1;
    }
    for (auto* m : frames) std::memcpy(rte_pktmbuf_append(m, uint16_t(tmpl.size())), tmpl.data(), tmpl.size());
    std::array<rte_mbuf*, 32> bufs{};
    uint64_t sent = 0;
    const int64_t start = now_ns(), deadline = start + int64_t(o.seconds * 1e9);
    while (!stop_requested() && sent < o.count) {
        if ((sent & 1023) < 32 && now_ns() > deadline) break;
        bufs = frames;
        for (auto* m : bufs) rte_mbuf_refcnt_update(m, 1);
        const uint16_t done = rte_eth_tx_burst(p.port, 0, bufs.data(), 32);
        for (uint16_t i = done; i < 32; ++i) rte_mbuf_refcnt_update(bufs[i], -1);
        sent += done;
    }
    rte_pktmbuf_free_bulk(frames.data(), 32);
    const double secs = double(now_ns() - start) / 1e9;
    std::fprintf(stderr, "blast: %llu frames in %.2f s (%.0f/s)\n", (unsigned long long)sent, secs, double(sent) / secs);
    report r;
    r.field("mode", std::string("blast"));
    r.field("sent", double(sent));
    r.field("rate", double(sent) / secs);
    r.print();
    return 0;
}

int raw_drop(const bench_options& o) {
    raw_port p;
    if (auto ok = p.open(o); !ok) {
        std::fprintf(stderr, "tachyon-bench: %s\n", ok.err().message.c_str());
        return 1;
    }
    std::array<rte_mbuf*, 32> bufs{};
    uint64_t n_total = 0, in_window = 0;
    int64_t first = 0, win_start = 0, win_end = 0;
    const int64_t give_up = now_ns() + 30'000'000'000;
    steady_counter counter;
    bool open_ = false;
    while (!stop_requested()) {
        const uint16_t n = rte_eth_rx_burst(p.port, 0, bufs.data(), 32);
        if (n > 0) rte_pktmbuf_free_bulk(bufs.data(), n);
        n_total += n;
        if (first == 0) {
            if (n > 0) first = now_ns();
            else if (now_ns() > give_up) break;
            continue;
        }
        if (open_) in_window += n;
        const int64_t t = now_ns();
        if (!open_ && t - first >= int64_t(o.warmup_seconds * 1e9)) {
            open_ = true;
            win_start = t;
            counter.begin();
        } else if (open_ && t - win_start >= int64_t(o.seconds * 1e9)) {
            win_end = t;
            counter.end();
            break;
        }
    }
    if (open_ && win_end == 0) {
        win_end = now_ns();
        counter.end();
    }
    const double secs = win_end > win_start ? double(win_end - win_start) / 1e9 : 0;
    const double rate = secs > 0 ? double(in_window) / secs : 0;
    std::fprintf(stderr, "rx-drop: %llu frames in %.2f s: %.0f/s\n", (unsigned long long)in_window, secs, rate);
    report r;
    r.field("mode", std::string("rx-drop"));
    r.field("received", double(in_window));
    r.field("seconds", secs);
    r.field("rate", rate);
    r.counts(counter, in_window);
    r.print();
    return 0;
}
#endif // TACHYON_HAVE_DPDK

// ---------------------------------------------------------------------------------------------
// Through the stack, on any backend the runtime opens (DPDK memif in the benchmarks).

std::unique_ptr<runtime> open_runtime(const bench_options& o) {
    auto rt = runtime::open(o.backend);
    if (!rt) {
        std::fprintf(stderr, "tachyon-bench: %s\n", rt.err().message.c_str());
        return nullptr;
    }
    return std::move(rt.value());
}

/// The server side of the stack ping-pongs: UDP echo (every datagram back) on --port; the
/// stack answers ICMP echo by itself.
struct udp_echo_server {
    stack* net = nullptr;
    udp_id id = 0;
    uint64_t echoed = 0;
    uint64_t errors = 0;
    static void on_datagram(void* self, const datagram& d) {
        auto* e = static_cast<udp_echo_server*>(self);
        packet frame = e->net->udp_frame(d.payload.size());
        if (!frame) [[unlikely]] {
            ++e->errors;
            return;
        }
        std::memcpy(frame.data(), d.payload.data(), d.payload.size());
        if (e->net->udp_send_frame(e->id, std::move(frame), d.src, d.src_port, d.rx_time) != errc::ok) ++e->errors;
        ++e->echoed;
    }
};

int stack_server(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    udp_echo_server echo{&net};
    auto id = net.udp_open();
    if (!id || net.udp_bind(*id, ipv4_address::any(), o.port) != errc::ok) {
        std::fprintf(stderr, "tachyon-bench: cannot bind UDP port %u\n", o.port);
        return 1;
    }
    echo.id = *id;
    (void)net.udp_on_datagram(*id, &udp_echo_server::on_datagram, &echo);
    install_stop_signals();
    std::fprintf(stderr, "stack server: ready\n");
    steady_counter counter;
    bool counting = false;
    uint64_t from = 0;
    auto handled = [&] { return echo.echoed + net.stats().icmp.tx_echo_replies; };
    const int64_t deadline = now_ns() + int64_t(o.seconds * 1e9);
    // The window closes once the client has gone quiet for 100 ms, before the SIGTERM that ends
    // the run (its handler's return, rt_sigreturn, is a system call that is no message's).
    bool closed = false;
    uint64_t last_handled = 0, at_close = 0;
    int64_t last_change = now_ns();
    while (!stop_requested()) {
        const instant now = now_instant();
        net.poll(now);
        const uint64_t h = handled();
        if (h != last_handled) {
            last_handled = h;
            last_change = now.ns_since_epoch();
        }
        if (!counting && h >= o.warmup) {
            counting = true;
            from = h;
            counter.begin();
        } else if (counting && !closed && now.ns_since_epoch() - last_change > 100'000'000) {
            counter.end();
            closed = true;
            at_close = h;
        }
        if (now.ns_since_epoch() > deadline) break;
    }
    if (counting && !closed) {
        counter.end();
        at_close = handled();
    }
    report r;
    r.field("mode", std::string("stack-server"));
    r.field("udp_echoed", double(echo.echoed));
    r.field("icmp_echoed", double(net.stats().icmp.tx_echo_replies));
    r.field("errors", double(echo.errors));
    r.counts(counter, counting ? at_close - from : 0);
    r.print();
    return 0;
}

/// What the client's receive callbacks update.
struct client_state {
    histogram h;
    uint64_t warmup = 0;
    uint64_t received = 0;
    uint64_t duplicates_or_stale = 0;
    uint64_t expect = UINT64_MAX;  // closed loop: the sequence awaited
    bool got = false;
    int64_t sent_at = 0;           // closed loop
    int64_t t0 = 0;                // open loop: the schedule's origin
    int64_t period = 0;            // open loop: ns between sends (0: closed loop)
    bool timing = true;            // false under callgrind: no clock reads in the measured code

    void arrived(uint64_t seq) {
        if (period == 0) {
            if (seq != expect) {
                ++duplicates_or_stale;
                return;
            }
            got = true;
            ++received;
            if (timing && seq >= warmup) h.record(now_ns() - sent_at);
        } else {
            ++received;
            if (seq >= warmup) h.record(now_ns() - (t0 + int64_t(seq) * period));
        }
    }
    static void on_udp(void* self, const datagram& d) {
        uint64_t seq = 0;
        if (d.payload.size() >= 8) std::memcpy(&seq, d.payload.data(), 8);
        static_cast<client_state*>(self)->arrived(seq);
    }
    static void on_icmp(void* self, const echo_reply& r) {
        uint64_t seq = 0;
        if (r.data.size() >= 8) std::memcpy(&seq, r.data.data(), 8);
        static_cast<client_state*>(self)->arrived(seq);
    }
};

/// Sends message `seq` from `net` (UDP on socket `id`, or an ICMP echo request).
struct sender {
    stack* net;
    bool udp;
    udp_id id;
    ipv4_address dst;
    uint16_t port;
    std::vector<std::byte> payload;
    errc send(uint64_t seq, instant now) {
        std::memcpy(payload.data(), &seq, 8);
        if (udp) return net->udp_send_to(id, dst, port, payload, now);
        return net->send_echo_request(dst, 0x7ac7, uint16_t(seq), payload, now);
    }
};

int stack_client(const bench_options& o, bool udp) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    client_state cs;
    cs.warmup = o.warmup;
    sender s{&net, udp, 0, o.dst, o.port, std::vector<std::byte>(std::max<uint32_t>(o.size, 8))};
    if (udp) {
        auto id = net.udp_open();
        if (!id || net.udp_bind(*id, ipv4_address::any(), uint16_t(o.port + 1)) != errc::ok) {
            std::fprintf(stderr, "tachyon-bench: cannot open the UDP socket\n");
            return 1;
        }
        s.id = *id;
        (void)net.udp_on_datagram(*id, &client_state::on_udp, &cs);
    } else {
        net.on_echo_reply(&client_state::on_icmp, &cs);
    }
    steady_counter counter;
    uint64_t lost = 0, send_errors = 0;
    const uint64_t total = o.warmup + o.count;
    // Resolve the peer first (ARP), outside the measurement: one message, waited for.
    if (o.rate <= 0) {
        for (uint64_t i = 0; i < total && !stop_requested(); ++i) {
            if (i == o.warmup) counter.begin();
            cs.expect = i;
            cs.got = false;
            cs.sent_at = now_ns();
            if (s.send(i, instant::from_ns(cs.sent_at)) != errc::ok) ++send_errors;
            const int64_t timeout = cs.sent_at + (i == 0 ? 3'000'000'000 : 100'000'000);
            for (;;) {
                const instant now = now_instant();
                net.poll(now);
                if (cs.got) break;
                if (now.ns_since_epoch() > timeout) {
                    ++lost;
                    break;
                }
            }
        }
        counter.end();
    } else {
        // Open loop: message k leaves at t0 + k*period (as soon after as the loop sees it) and
        // its latency counts from that scheduled time, so a stall delays every message it holds
        // up instead of hiding them (no coordinated omission).
        const double period_d = 1e9 / o.rate;
        cs.period = int64_t(period_d);
        // Warm up ARP with one closed-loop message (sequence numbers below the schedule's).
        cs.t0 = now_ns() + 50'000'000;
        uint64_t next = 0;
        const int64_t end_at = cs.t0 + int64_t(double(total) * period_d) + 200'000'000;
        bool counting = false;
        while (!stop_requested()) {
            const int64_t t = now_ns();
            while (next < total && cs.t0 + int64_t(next) * cs.period <= t) {
                if (next == o.warmup && !counting) {
                    counting = true;
                    counter.begin();
                }
                if (s.send(next, instant::from_ns(t)) != errc::ok) ++send_errors;
                ++next;
            }
            net.poll(instant::from_ns(t));
            if (cs.received >= total || t > end_at) break;
        }
        if (counting) counter.end();
        lost = total - std::min(total, cs.received);
    }
    summary(udp ? "udp-pingpong" : "icmp-pingpong", cs.h);
    write_cdf(o, cs.h);
    report r;
    r.field("mode", std::string(udp ? "udp-pingpong" : "icmp-pingpong"));
    r.field("loop", std::string(o.rate > 0 ? "open" : "closed"));
    r.field("rate", o.rate);
    r.field("lost", double(lost));
    r.field("send_errors", double(send_errors));
    r.field("stale", double(cs.duplicates_or_stale));
    r.latency(cs.h);
    r.counts(counter, o.rate > 0 ? o.count : cs.h.count());
    r.print();
    return 0;
}

int stack_rx(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    struct counter_cb {
        uint64_t n = 0;
        static void on(void* self, const datagram&) { ++static_cast<counter_cb*>(self)->n; }
    } cb;
    auto id = net.udp_open();
    if (!id || net.udp_bind(*id, ipv4_address::any(), o.port) != errc::ok) {
        std::fprintf(stderr, "tachyon-bench: cannot bind UDP port %u\n", o.port);
        return 1;
    }
    (void)net.udp_on_datagram(*id, &counter_cb::on, &cb);
    if (o.group && net.udp_join(*id, *o.group, ipv4_address::any(), now_instant()) != errc::ok) {
        std::fprintf(stderr, "tachyon-bench: cannot join %s\n", o.group->to_string().c_str());
        return 1;
    }
    std::fprintf(stderr, "udp-rx: ready\n");
    steady_counter counter;
    uint64_t at_open = 0;
    int64_t first = 0, win_start = 0, win_end = 0;
    bool open_ = false;
    const int64_t give_up = now_ns() + 30'000'000'000;
    while (!stop_requested()) {
        const instant now = now_instant();
        net.poll(now);
        const int64_t t = now.ns_since_epoch();
        if (first == 0) {
            if (cb.n > 0) first = t;
            else if (t > give_up) break;
            continue;
        }
        if (!open_ && t - first >= int64_t(o.warmup_seconds * 1e9)) {
            open_ = true;
            win_start = now_ns();
            at_open = cb.n;
            counter.begin();
        } else if (open_ && t - win_start >= int64_t(o.seconds * 1e9)) {
            win_end = now_ns();
            counter.end();
            break;
        }
    }
    if (open_ && win_end == 0) {
        win_end = now_ns();
        counter.end();
    }
    const uint64_t got = cb.n - at_open;
    const double secs = win_end > win_start ? double(win_end - win_start) / 1e9 : 0;
    const double rate = secs > 0 ? double(got) / secs : 0;
    std::fprintf(stderr, "udp-rx: %llu datagrams in %.2f s: %.0f/s\n", (unsigned long long)got, secs, rate);
    report r;
    r.field("mode", std::string("udp-rx"));
    r.field("received", double(got));
    r.field("seconds", secs);
    r.field("rate", rate);
    r.field("drops", double(net.stats().udp.drops() + net.stats().ipv4.drops() + net.stats().ethernet.drops()));
    r.counts(counter, got);
    r.print();
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Two stacks in one process over the memory link: for callgrind (instructions per echo through
// the stack, the device excluded) and as a no-NIC latency and allocation check.

/// Whether callgrind is collecting now (the toggles flip a global state: keep track of it).
bool g_collecting = false;
bool g_callgrind = false;
inline void collect(bool on) {
    if (g_callgrind && g_collecting != on) {
        CALLGRIND_TOGGLE_COLLECT;
        g_collecting = on;
    }
}

/// Forwards to a device with callgrind's collection paused: the device's cost is excluded.
class excluding_device final : public device {
public:
    explicit excluding_device(device& d) : _d(d) {}
    size_t rx_burst(std::span<packet> out) override {
        const bool was = g_collecting;
        collect(false);
        size_t n = _d.rx_burst(out);
        collect(was);
        return n;
    }
    size_t tx_burst(std::span<packet> frames) override {
        const bool was = g_collecting;
        collect(false);
        size_t n = _d.tx_burst(frames);
        collect(was);
        return n;
    }
    void flush() override {
        const bool was = g_collecting;
        collect(false);
        _d.flush();
        collect(was);
    }
    size_t alloc_burst(std::span<packet> out) override {
        const bool was = g_collecting;
        collect(false);
        size_t n = _d.alloc_burst(out);
        collect(was);
        return n;
    }
    const device_caps& capabilities() const override { return _d.capabilities(); }
    result<void> set_multicast_filter(std::span<const mac_address> groups) override { return _d.set_multicast_filter(groups); }
    const device_stats& stats() const override { return _d.stats(); }

private:
    device& _d;
};

int mem_pingpong(const bench_options& o) {
    const bool udp = o.proto == "udp";
    g_callgrind = o.collect != "none";
    const bool collect_server = o.collect == "server" || o.collect == "both";
    const bool collect_client = o.collect == "client" || o.collect == "both";
    memory_link_config lc;
    memory_link link(lc);
    excluding_device da(link.a()), db(link.b());
    stack_config ca, cb;
    ca.address = ipv4_cidr{o.src, 24};
    cb.address = ipv4_cidr{o.dst, 24};
    ca.static_arp.push_back({o.dst, lc.mac_b});
    cb.static_arp.push_back({o.src, lc.mac_a});
    auto a = stack::create(ca, da);
    auto b = stack::create(cb, db);
    if (!a || !b) {
        std::fprintf(stderr, "tachyon-bench: cannot build the stacks\n");
        return 1;
    }
    stack& client = *a.value();
    stack& server = *b.value();
    instant now = now_instant();
    client.start(now);
    server.start(now);
    client.poll(now);
    server.poll(now);
    udp_echo_server echo{&server};
    client_state cs;
    cs.warmup = o.warmup;
    cs.timing = !g_callgrind;
    sender s{&client, udp, 0, o.dst, o.port, std::vector<std::byte>(std::max<uint32_t>(o.size, 8))};
    if (udp) {
        auto sid = server.udp_open();
        (void)server.udp_bind(*sid, ipv4_address::any(), o.port);
        echo.id = *sid;
        (void)server.udp_on_datagram(*sid, &udp_echo_server::on_datagram, &echo);
        auto cid = client.udp_open();
        (void)client.udp_bind(*cid, ipv4_address::any(), uint16_t(o.port + 1));
        s.id = *cid;
        (void)client.udp_on_datagram(*cid, &client_state::on_udp, &cs);
    } else {
        client.on_echo_reply(&client_state::on_icmp, &cs);
    }
    steady_counter counter;
    uint64_t lost = 0;
    const uint64_t total = o.warmup + o.count;
    for (uint64_t i = 0; i < total; ++i) {
        if (i == o.warmup) counter.begin();
        const bool measured = i >= o.warmup;
        cs.expect = i;
        cs.got = false;
        if (cs.timing) {
            cs.sent_at = now_ns();
            now = instant::from_ns(cs.sent_at);
        }
        // Callgrind never reads the clock: time stands still, which no timer minds in a run this short.
        if (measured) collect(collect_client);
        (void)s.send(i, now);
        collect(measured && collect_server);
        server.poll(now);
        collect(measured && collect_client);
        client.poll(now);
        collect(false);
        if (!cs.got) ++lost;
    }
    counter.end();
    summary(udp ? "mem udp-pingpong" : "mem icmp-pingpong", cs.h);
    write_cdf(o, cs.h);
    report r;
    r.field("mode", std::string("mem-pingpong"));
    r.field("proto", o.proto);
    r.field("collect", o.collect);
    r.field("lost", double(lost));
    r.latency(cs.h);
    r.counts(counter, o.count);
    r.print();
    return lost == 0 ? 0 : 1;
}

/// The machine's own noise: a busy loop reading the clock on this core; every gap between two
/// reads is a time the core was taken away (preemption, interrupts, the hypervisor).
int jitter(const bench_options& o) {
    histogram gaps;
    const int64_t start = now_ns(), end = start + int64_t(o.seconds * 1e9);
    int64_t prev = start, lost = 0, stalls = 0;
    for (;;) {
        const int64_t t = now_ns();
        const int64_t g = t - prev;
        if (g > 10'000) {
            gaps.record(g);
            lost += g;
            ++stalls;
        }
        prev = t;
        if (t >= end) break;
    }
    const double secs = double(prev - start) / 1e9;
    std::fprintf(stderr, "jitter: %lld stalls over 10 us in %.2f s, %.2f%% of the time lost, longest %.0f us\n",
                 (long long)stalls, secs, 100.0 * double(lost) / double(prev - start), double(gaps.max()) / 1e3);
    report r;
    r.field("mode", std::string("jitter"));
    r.field("seconds", secs);
    r.field("stalls", double(stalls));
    r.field("lost_fraction", double(lost) / double(prev - start));
    r.latency(gaps);
    r.print();
    return 0;
}

/// Proves the counters count: 100 getppid() system calls and 10 mallocs inside a window.
int selftest_counters() {
    steady_counter c;
    c.begin();
    for (int i = 0; i < 100; ++i) (void)::syscall(SYS_getppid);
    for (int i = 0; i < 10; ++i) {
        void* volatile p = std::malloc(64);
        std::free(p);
    }
    c.end();
    report r;
    r.field("mode", std::string("selftest-counters"));
    r.field("expected_syscalls", 100);
    r.field("expected_allocations", 10);
    r.counts(c, 1);
    r.print();
    return 0;
}

int usage_error(const char* what) {
    std::fprintf(stderr, "tachyon-bench: %s\n", what);
    std::fprintf(stderr,
                 "usage: tachyon-bench MODE [flags]; MODE one of raw-pingpong, udp-pingpong, icmp-pingpong, "
                 "stack-server, blast, rx-drop, udp-rx, mem-pingpong, tcp-pingpong, tcp-stream (MODE --help for flags)\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argv[1][0] == '-') return usage_error("the first argument is the mode");
    bench_options o;
    o.mode = argv[1];
    o.backend.backend = "dpdk";
    o.backend.log_level = "warn";
    tachyon::cli cli("tachyon-bench " + o.mode, "One benchmark of tachyon (tools/bench/run runs them all).");
    tachyon::add_backend_flags(cli, o.backend);
    auto u64 = [](uint64_t& dst) { return [&dst](std::string_view v) { return parse_u64(v, dst); }; };
    auto dbl = [](double& dst) { return [&dst](std::string_view v) { return parse_double(v, dst); }; };
    auto ip = [](ipv4_address& dst) {
        return [&dst](std::string_view v) -> result<void> {
            auto a = ipv4_address::parse(v);
            if (!a) return make_error(errc::invalid_argument, "expected an IPv4 address");
            dst = *a;
            return {};
        };
    };
    cli.option("role", "server|client", "raw-pingpong: which end", [&](std::string_view v) -> result<void> {
        if (v != "server" && v != "client") return make_error(errc::invalid_argument, "expected server or client");
        o.role = std::string(v);
        return {};
    });
    cli.option("proto", "udp|icmp", "mem-pingpong: the protocol", [&](std::string_view v) -> result<void> {
        if (v != "udp" && v != "icmp") return make_error(errc::invalid_argument, "expected udp or icmp");
        o.proto = std::string(v);
        return {};
    });
    cli.option("count", "N", "measured messages (blast: frames at most)", u64(o.count));
    cli.option("warmup", "N", "messages before the measurement starts", u64(o.warmup));
    cli.option("size", "BYTES", "payload bytes (default 64)", [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n < 8 || n > 1400)
            return make_error(errc::invalid_argument, "expected 8 to 1400");
        o.size = uint32_t(n);
        return {};
    });
    cli.option("rate", "PER_SECOND", "open loop at this rate (default: closed loop)", dbl(o.rate));
    cli.option("seconds", "S", "rx modes: measured window; servers and blast: longest run", dbl(o.seconds));
    cli.option("warmup-seconds", "S", "rx modes: time after the first datagram before measuring", dbl(o.warmup_seconds));
    cli.option("dst", "A.B.C.D", "the peer's address (default 198.18.0.2)", ip(o.dst));
    cli.option("src", "A.B.C.D", "blast and mem-pingpong: the sender's address (default 198.18.0.1)", ip(o.src));
    cli.option("port", "PORT", "UDP port of the server / receiver (default 7000)", [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n == 0 || n > 65000) return make_error(errc::invalid_argument, "expected a port");
        o.port = uint16_t(n);
        return {};
    });
    cli.option("group", "GROUP", "blast / udp-rx: a multicast group instead of unicast", [&](std::string_view v) -> result<void> {
        auto g = ipv4_address::parse(v);
        if (!g || !g->is_multicast()) return make_error(errc::invalid_argument, "expected a multicast group");
        o.group = *g;
        return {};
    });
    cli.option("peer-mac", "MAC", "raw modes: the MAC frames are sent to", [&](std::string_view v) -> result<void> {
        auto m = mac_address::parse(v);
        if (!m) return make_error(errc::invalid_argument, "expected a MAC");
        o.peer_mac = *m;
        return {};
    });
    cli.option("cdf", "FILE", "write the latency CDF (ns, fraction) here", [&](std::string_view v) -> result<void> {
        o.cdf_path = std::string(v);
        return {};
    });
    cli.option("collect", "server|client|both|none", "mem-pingpong: what callgrind collects (run under callgrind "
               "with --collect-atstart=no)", [&](std::string_view v) -> result<void> {
        if (v != "server" && v != "client" && v != "both" && v != "none")
            return make_error(errc::invalid_argument, "expected server, client, both or none");
        o.collect = std::string(v);
        return {};
    });
    auto parsed = cli.parse(argc - 1, argv + 1);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-bench: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == tachyon::cli_outcome::help) return 0;
    if (!o.backend.have_ip) {
        // The stack modes need an address; default to the role's usual one.
        const bool serverish = o.mode == "stack-server" || o.mode == "udp-rx" || o.mode == "rx-drop";
        o.backend.stack.address = ipv4_cidr{serverish ? o.dst : o.src, 24};
        o.backend.have_ip = true;
    }
    if (o.mode == "mem-pingpong") return mem_pingpong(o);
    if (o.mode == "selftest-counters") return selftest_counters();
    if (o.mode == "jitter") return jitter(o);
    if (o.mode == "tcp-pingpong" || o.mode == "tcp-stream") {
        std::fprintf(stderr, "tachyon-bench %s: not yet measured: TCP not built\n", o.mode.c_str());
        std::printf("{\"mode\": \"%s\", \"status\": \"not yet measured: TCP not built\"}\n", o.mode.c_str());
        return 3;
    }
    if (o.mode == "udp-pingpong" || o.mode == "icmp-pingpong") return stack_client(o, o.mode == "udp-pingpong");
    if (o.mode == "stack-server") return stack_server(o);
    if (o.mode == "udp-rx") return stack_rx(o);
#ifdef TACHYON_HAVE_DPDK
    install_stop_signals();
    if (o.mode == "raw-pingpong") return o.role == "server" ? raw_server(o) : raw_client(o);
    if (o.mode == "blast") return raw_blast(o);
    if (o.mode == "rx-drop") return raw_drop(o);
#else
    if (o.mode == "raw-pingpong" || o.mode == "blast" || o.mode == "rx-drop")
        return usage_error("this build has no DPDK (configure found no libdpdk): raw modes need it");
#endif
    return usage_error(("unknown mode " + o.mode).c_str());
}
