/// tachyon-bench: the measurements behind docs/BENCHMARKS.md (tools/bench/run drives it).
///
///     tachyon-bench MODE [flags]       (tachyon-bench MODE --help lists the flags)
///
/// Modes (DPDK ones take the shared backend flags: --dpdk "EAL ARGS", --core N, --ip, --mac, --arp):
///   raw-pingpong --role server|client   L2 frames bounced over DPDK with no stack: the floor
///   udp-pingpong | icmp-pingpong        a client stack against a server stack (closed loop, or
///                                       open loop at --rate with latency from the scheduled time)
///   tcp-pingpong                        the same over TCP (a client connection to stack-server)
///   stack-server                        the server stack for them: UDP and TCP echo on --port, ICMP echo
///   blast                               raw DPDK sender of pre-built UDP frames (for the rx rate)
///   rx-drop                             raw DPDK receive-and-drop: datagrams per second
///   udp-rx                              the stack receiving the same datagrams into a callback
///   tcp-stream --role server|client     TCP bulk transfer, one direction: the client sends MSS-sized
///                                       segments as fast as the windows allow, the server (a sink)
///                                       measures bytes and segments per second over its window
///   mem-pingpong --proto udp|icmp|tcp   two stacks over the in-process memory link (callgrind)
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
#include <functional>
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

/// Waits without polling the device, until SIGINT/SIGTERM or `max_seconds`. DPDK 22.11's memif
/// PMD unmaps the shared regions from its interrupt thread when the peer disconnects, with no
/// synchronisation against the bursts of the polling thread (rte_eth_memif.c: memif_disconnect
/// and memif_free_regions against eth_memif_rx/eth_memif_tx): a process still polling when its
/// peer exits can fault inside librte_net_memif (seen twice, "segfault ... in
/// librte_net_memif.so.23.0"). So every DPDK mode stops polling before it, or its peer, exits:
/// servers and receivers once their window has closed (until the driver's SIGTERM), clients
/// for a while after their last message.
void linger(double max_seconds) {
    const int64_t until = now_ns() + int64_t(max_seconds * 1e9);
    while (!tachyon::stop_requested() && now_ns() < until) {
        timespec ts{0, 5'000'000};
        ::nanosleep(&ts, nullptr);
    }
}

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
    bool delayed_ack = false;                 // TCP client: delayed ACKs (the next request carries the ACK)
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
        if (!c.syscall_samples().empty()) {
            std::string a = "[";
            for (const std::string& x : c.syscall_samples()) {
                if (a.size() > 1) a += ", ";
                a += "\"";
                for (char ch : x) {
                    if (ch == '"' || ch == '\\') a += '\\';
                    a += ch;
                }
                a += "\"";
            }
            add("syscall_samples", a + "]");
        }
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
    linger(0.3); // the server stops at stop_seq: let it stop polling before this process exits
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
    std::fprintf(stderr, "rx-drop: window closed\n");
    linger(30); // until the driver has stopped the blaster, then SIGTERM
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

/// TCP echo for the same server: every byte back from the on_data callback with tcp_send (the
/// response leaves with the iteration's flush, carrying the ACK: one frame each way).
struct tcp_echo_server {
    stack* net = nullptr;
    uint64_t bytes = 0;        // echoed
    uint64_t short_sends = 0;  // tcp_send took less than offered (send space ran out)
    uint64_t accepted = 0;
    tcp_callbacks callbacks() {
        tcp_callbacks cb;
        cb.context = this;
        cb.on_data = &on_data;
        cb.on_writable = &on_writable;
        return cb;
    }
    static void on_accept(void* self, tcp_id id) {
        auto* e = static_cast<tcp_echo_server*>(self);
        ++e->accepted;
        (void)e->net->tcp_set_callbacks(id, e->callbacks());
    }
    static size_t on_data(void* self, tcp_id id, std::span<const std::byte> b) {
        auto* e = static_cast<tcp_echo_server*>(self);
        if (b.empty()) { // the peer is done: close our side too
            (void)e->net->tcp_close(id, e->net->now());
            return 0;
        }
        const size_t n = e->net->tcp_send(id, b, e->net->now());
        if (n < b.size()) [[unlikely]]
            ++e->short_sends;
        e->bytes += n;
        return n;
    }
    static void on_writable(void* self, tcp_id id) {
        // What could not be echoed for want of send space is still in the receive queue, shown
        // again only with new data: setting the callbacks again delivers it now.
        auto* e = static_cast<tcp_echo_server*>(self);
        const tcp_connection* c = e->net->tcp_state(id);
        if (c != nullptr && c->received_bytes() > 0) [[unlikely]]
            (void)e->net->tcp_set_callbacks(id, e->callbacks());
    }
};

int stack_server(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    udp_echo_server echo{&net};
    tcp_echo_server techo{&net};
    if (auto l = net.tcp_listen(o.port, 16, &tcp_echo_server::on_accept, &techo); !l) {
        std::fprintf(stderr, "tachyon-bench: cannot listen on TCP port %u: %s\n", o.port, l.err().message.c_str());
        return 1;
    }
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
    auto handled = [&] { return echo.echoed + net.stats().icmp.tx_echo_replies + techo.bytes / o.size; };
    const int64_t deadline = now_ns() + int64_t(o.seconds * 1e9);
    // The window closes once the client has gone quiet for 100 ms, and says so on stderr: the
    // driver sends the SIGTERM that ends the run only after that line (the handler's return,
    // rt_sigreturn, is a system call, and it is no message's: counted inside the window it was
    // the "1 system call per closed-loop server window" of earlier reports).
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
            std::fprintf(stderr, "stack server: window closed\n");
            break;
        }
        if (now.ns_since_epoch() > deadline) break;
    }
    if (closed) linger(double(deadline - now_ns()) / 1e9); // no more polling: until the SIGTERM
    if (counting && !closed) {
        counter.end();
        at_close = handled();
    }
    if (techo.accepted > 0) std::fprintf(stderr, "server stats: %s\n", net.stats_json().c_str());
    report r;
    r.field("mode", std::string("stack-server"));
    r.field("udp_echoed", double(echo.echoed));
    r.field("icmp_echoed", double(net.stats().icmp.tx_echo_replies));
    r.field("tcp_echoed_bytes", double(techo.bytes));
    r.field("tcp_short_sends", double(techo.short_sends));
    r.field("tcp_rx_segments", double(net.stats().tcp.rx_segments));
    r.field("tcp_tx_segments", double(net.stats().tcp.tx_segments));
    r.field("tcp_retransmits", double(net.stats().tcp.retransmits));
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

/// The client's TCP connection: the byte stream cut back into messages of `size` bytes, each
/// starting with its sequence number.
struct tcp_client_conn {
    client_state* cs = nullptr;
    uint32_t size = 64;
    uint32_t have = 0;             // bytes of the current message received
    std::array<std::byte, 8> seq_bytes{};
    bool connected = false;
    bool closed = false;
    tcp_close_reason reason = tcp_close_reason::none;

    tcp_callbacks callbacks() {
        tcp_callbacks cb;
        cb.context = this;
        cb.on_connected = [](void* c, tcp_id) { static_cast<tcp_client_conn*>(c)->connected = true; };
        cb.on_data = &on_data;
        cb.on_closed = [](void* c, tcp_id, tcp_close_reason r) {
            auto* t = static_cast<tcp_client_conn*>(c);
            t->closed = true;
            t->reason = r;
        };
        return cb;
    }
    static size_t on_data(void* self, tcp_id, std::span<const std::byte> b) {
        auto* t = static_cast<tcp_client_conn*>(self);
        if (b.empty()) {
            t->closed = true;
            return 0;
        }
        for (size_t i = 0; i < b.size();) {
            size_t k;
            if (t->have < 8) {
                k = std::min<size_t>(8 - t->have, b.size() - i);
                std::memcpy(t->seq_bytes.data() + t->have, b.data() + i, k);
            } else {
                k = std::min<size_t>(t->size - t->have, b.size() - i);
            }
            t->have += uint32_t(k);
            i += k;
            if (t->have == t->size) {
                t->have = 0;
                uint64_t seq = 0;
                std::memcpy(&seq, t->seq_bytes.data(), 8);
                t->cs->arrived(seq);
            }
        }
        return b.size();
    }
};

enum class proto { udp, icmp, tcp };

const char* mode_name(proto p) {
    switch (p) {
    case proto::udp: return "udp-pingpong";
    case proto::icmp: return "icmp-pingpong";
    default: return "tcp-pingpong";
    }
}

/// Sends message `seq` from `net` (UDP on socket `id`, an ICMP echo request, or on the TCP
/// connection `tid`: the whole message or nothing).
struct sender {
    stack* net;
    proto p;
    udp_id id;
    ipv4_address dst;
    uint16_t port;
    std::vector<std::byte> payload;
    tcp_id tid = 0;
    bool fits() const { return p != proto::tcp || net->tcp_send_space(tid) >= payload.size(); }
    errc send(uint64_t seq, instant now) {
        std::memcpy(payload.data(), &seq, 8);
        switch (p) {
        case proto::udp: return net->udp_send_to(id, dst, port, payload, now);
        case proto::icmp: return net->send_echo_request(dst, 0x7ac7, uint16_t(seq), payload, now);
        default: return net->tcp_send(tid, payload, now) == payload.size() ? errc::ok : errc::no_buffer;
        }
    }
};

/// Opens a TCP connection from `net` to dst:port and polls until it is established (or 5 s).
bool tcp_open(stack& net, tcp_client_conn& conn, sender& s, const std::function<instant()>& clock,
              const std::function<void(instant)>& poll) {
    auto id = net.tcp_connect(s.dst, s.port, conn.callbacks(), duration::s(5), clock());
    if (!id) {
        std::fprintf(stderr, "tachyon-bench: tcp_connect: %s\n", id.err().message.c_str());
        return false;
    }
    s.tid = *id;
    const int64_t until = now_ns() + 5'000'000'000;
    while (!conn.connected && !conn.closed && now_ns() < until && !stop_requested()) poll(clock());
    if (!conn.connected) {
        std::fprintf(stderr, "tachyon-bench: the TCP connection did not open (%s)\n",
                     conn.closed ? to_string(conn.reason) : "timeout");
        return false;
    }
    return true;
}

int stack_client(const bench_options& o, proto p) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    client_state cs;
    cs.warmup = o.warmup;
    sender s{&net, p, 0, o.dst, o.port, std::vector<std::byte>(std::max<uint32_t>(o.size, 8))};
    tcp_client_conn conn;
    conn.cs = &cs;
    conn.size = uint32_t(s.payload.size());
    if (p == proto::udp) {
        auto id = net.udp_open();
        if (!id || net.udp_bind(*id, ipv4_address::any(), uint16_t(o.port + 1)) != errc::ok) {
            std::fprintf(stderr, "tachyon-bench: cannot open the UDP socket\n");
            return 1;
        }
        s.id = *id;
        (void)net.udp_on_datagram(*id, &client_state::on_udp, &cs);
    } else if (p == proto::icmp) {
        net.on_echo_reply(&client_state::on_icmp, &cs);
    } else if (!tcp_open(net, conn, s, now_instant, [&](instant t) { net.poll(t); })) {
        return 1;
    }
    const stack_stats before = net.stats();
    steady_counter counter;
    uint64_t lost = 0, send_errors = 0, deferred = 0, last_deferred = UINT64_MAX;
    const uint64_t total = o.warmup + o.count;
    // Resolve the peer first (ARP), outside the measurement: one message, waited for.
    if (o.rate <= 0) {
        for (uint64_t i = 0; i < total && !stop_requested() && !conn.closed; ++i) {
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
            // TCP: a lost reply is not lost, only late (retransmitted); a late one would shift
            // every later reply by one. Not seen in practice; `stale` counts it.
        }
        counter.end();
    } else {
        // Open loop: message k leaves at t0 + k*period (as soon after as the loop sees it) and
        // its latency counts from that scheduled time, so a stall delays every message it holds
        // up instead of hiding them (no coordinated omission). TCP: a message that finds the
        // send buffer full waits for room (and its latency grows), the stream stays whole.
        const double period_d = 1e9 / o.rate;
        cs.period = int64_t(period_d);
        cs.t0 = now_ns() + 50'000'000;
        uint64_t next = 0;
        const int64_t end_at = cs.t0 + int64_t(double(total) * period_d) + 200'000'000;
        bool counting = false;
        while (!stop_requested() && !conn.closed) {
            const int64_t t = now_ns();
            while (next < total && cs.t0 + int64_t(next) * cs.period <= t) {
                if (!s.fits()) {
                    if (next != last_deferred) ++deferred; // messages held back, each counted once
                    last_deferred = next;
                    break;
                }
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
    const stack_stats& after = net.stats();
    const uint64_t tcp_tx = after.tcp.tx_segments - before.tcp.tx_segments;
    const uint64_t tcp_rx = after.tcp.rx_segments - before.tcp.rx_segments;
    const uint64_t retransmits = after.tcp.retransmits - before.tcp.retransmits;
    if (p == proto::tcp) {
        // A clean close, so that the server's side ends too.
        (void)net.tcp_close(s.tid, now_instant());
        const int64_t until = now_ns() + 20'000'000;
        while (now_ns() < until) net.poll(now_instant());
    }
    if (p == proto::tcp) std::fprintf(stderr, "client stats: %s\n", net.stats_json().c_str());
    summary(mode_name(p), cs.h);
    write_cdf(o, cs.h);
    report r;
    r.field("mode", std::string(mode_name(p)));
    r.field("loop", std::string(o.rate > 0 ? "open" : "closed"));
    r.field("rate", o.rate);
    r.field("lost", double(lost));
    r.field("send_errors", double(send_errors));
    r.field("stale", double(cs.duplicates_or_stale));
    if (p == proto::tcp) {
        r.field("delayed_ack", double(o.delayed_ack));
        r.field("tcp_tx_segments", double(tcp_tx));
        r.field("tcp_rx_segments", double(tcp_rx));
        r.field("tcp_retransmits", double(retransmits));
        r.field("deferred_for_space", double(deferred));
        r.field("closed_early", double(conn.closed));
    }
    r.latency(cs.h);
    r.counts(counter, o.rate > 0 ? o.count : cs.h.count());
    r.print();
    linger(0.3); // the server closes its window after 100 ms of quiet and stops polling
    return 0;
}

// ---------------------------------------------------------------------------------------------
// TCP stream: one direction, bulk.

/// The sink: listens on --port, takes every byte, measures bytes and segments per second over
/// a window that opens --warmup-seconds after the first byte and lasts --seconds; then resets
/// the connection (which ends the sender).
int tcp_stream_server(const bench_options& o) {
    auto rt = open_runtime(o);
    if (!rt) return 1;
    stack& net = rt->net();
    install_stop_signals();
    struct sink {
        stack* net = nullptr;
        uint64_t bytes = 0;
        tcp_id id = 0;
        bool have = false;
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
    } k{&net};
    if (auto l = net.tcp_listen(o.port, 16, &sink::on_accept, &k); !l) {
        std::fprintf(stderr, "tachyon-bench: cannot listen on TCP port %u: %s\n", o.port, l.err().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "tcp-stream server: ready\n");
    steady_counter counter;
    uint64_t bytes_at_open = 0, segs_at_open = 0, ack_at_open = 0;
    int64_t first = 0, win_start = 0, win_end = 0;
    bool open_ = false;
    const int64_t give_up = now_ns() + 30'000'000'000;
    while (!stop_requested()) {
        const instant now = now_instant();
        net.poll(now);
        const int64_t t = now.ns_since_epoch();
        if (first == 0) {
            if (k.bytes > 0) first = t;
            else if (t > give_up) break;
            continue;
        }
        if (!open_ && t - first >= int64_t(o.warmup_seconds * 1e9)) {
            open_ = true;
            win_start = now_ns();
            bytes_at_open = k.bytes;
            segs_at_open = net.stats().tcp.rx_segments;
            ack_at_open = net.stats().tcp.tx_segments;
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
    const uint64_t got = k.bytes - bytes_at_open;
    const uint64_t segs = net.stats().tcp.rx_segments - segs_at_open;
    const uint64_t acks = net.stats().tcp.tx_segments - ack_at_open;
    const double secs = win_end > win_start ? double(win_end - win_start) / 1e9 : 0;
    if (k.have) (void)net.tcp_abort(k.id, now_instant());
    for (const int64_t until = now_ns() + 50'000'000; now_ns() < until;) net.poll(now_instant());
    std::fprintf(stderr, "tcp-stream: %llu bytes in %llu segments in %.2f s: %.1f MB/s, %.0f segments/s\n",
                 (unsigned long long)got, (unsigned long long)segs, secs, secs > 0 ? double(got) / secs / 1e6 : 0,
                 secs > 0 ? double(segs) / secs : 0);
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
    std::fprintf(stderr, "tcp-stream server: window closed\n");
    linger(30); // until the driver has stopped the sender, then SIGTERM
    return 0;
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
    const size_t mss = net.tcp_state(s.tid)->send_mss();
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
    std::fprintf(stderr, "tcp-stream client: window closed\n");
    linger(30); // no more polling: until the driver's SIGTERM
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
    std::fprintf(stderr, "udp-rx: window closed\n");
    linger(30); // until the driver has stopped the blaster, then SIGTERM
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
    const proto p = o.proto == "udp" ? proto::udp : o.proto == "icmp" ? proto::icmp : proto::tcp;
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
    // TCP: the client delays its ACKs, so that each request carries the ACK of the previous
    // response (two frames per exchange, as in the lwIP harness); the server ACKs at once, on
    // the response. Time stands still under callgrind: the 40 ms timer never fires.
    ca.tcp.delayed_ack = true;
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
    sender s{&client, p, 0, o.dst, o.port, std::vector<std::byte>(std::max<uint32_t>(o.size, 8))};
    tcp_echo_server techo{&server};
    tcp_client_conn conn;
    conn.cs = &cs;
    conn.size = uint32_t(s.payload.size());
    if (p == proto::tcp) {
        if (!server.tcp_listen(o.port, 16, &tcp_echo_server::on_accept, &techo)) return 1;
        const bool ok = tcp_open(client, conn, s, now_instant, [&](instant t) {
            client.poll(t);
            server.poll(t);
        });
        if (!ok) return 1;
        now = now_instant();
    } else if (p == proto::udp) {
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
    summary(p == proto::udp ? "mem udp-pingpong" : p == proto::icmp ? "mem icmp-pingpong" : "mem tcp-pingpong", cs.h);
    write_cdf(o, cs.h);
    report r;
    r.field("mode", std::string("mem-pingpong"));
    r.field("proto", o.proto);
    r.field("collect", o.collect);
    r.field("lost", double(lost));
    if (p == proto::tcp) {
        r.field("tcp_server_rx_segments", double(server.stats().tcp.rx_segments));
        r.field("tcp_server_tx_segments", double(server.stats().tcp.tx_segments));
        r.field("tcp_client_tx_segments", double(client.stats().tcp.tx_segments));
    }
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
                 "stack-server, blast, rx-drop, udp-rx, mem-pingpong, tcp-pingpong, tcp-stream, jitter, selftest-counters "
                 "(MODE --help for flags)\n");
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
    cli.option("delayed-ack", "0|1", "TCP client stack: delayed ACKs (RFC 1122 §4.2.3.2; default 0)",
               [&](std::string_view v) -> result<void> {
        if (v != "0" && v != "1") return make_error(errc::invalid_argument, "expected 0 or 1");
        o.delayed_ack = v == "1";
        return {};
    });
    cli.option("tcp-buffer", "BYTES", "TCP send and receive buffers of the stack (default: the stack's, 64 KiB)",
               [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n < 4096 || n > (64u << 20))
            return make_error(errc::invalid_argument, "expected 4096 to 64 MiB");
        o.backend.stack.tcp.send_buffer = o.backend.stack.tcp.receive_buffer = size_t(n);
        return {};
    });
    cli.option("role", "server|client", "raw-pingpong, tcp-stream: which end", [&](std::string_view v) -> result<void> {
        if (v != "server" && v != "client") return make_error(errc::invalid_argument, "expected server or client");
        o.role = std::string(v);
        return {};
    });
    cli.option("proto", "udp|icmp|tcp", "mem-pingpong: the protocol", [&](std::string_view v) -> result<void> {
        if (v != "udp" && v != "icmp" && v != "tcp") return make_error(errc::invalid_argument, "expected udp, icmp or tcp");
        o.proto = std::string(v);
        return {};
    });
    cli.option("count", "N", "measured messages (blast: frames at most)", u64(o.count));
    cli.option("warmup", "N", "messages before the measurement starts", u64(o.warmup));
    cli.option("size", "BYTES", "payload bytes (default 64)", [&](std::string_view v) -> result<void> {
        uint64_t n = 0;
        if (auto ok = parse_u64(v, n); !ok || n < 8 || n > 1472)
            return make_error(errc::invalid_argument, "expected 8 to 1472 (a 1514-byte frame)");
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
        const bool serverish = o.mode == "stack-server" || o.mode == "udp-rx" || o.mode == "rx-drop" ||
                               (o.mode == "tcp-stream" && o.role == "server");
        o.backend.stack.address = ipv4_cidr{serverish ? o.dst : o.src, 24};
        o.backend.have_ip = true;
    }
    if (o.mode == "mem-pingpong") return mem_pingpong(o);
    if (o.mode == "selftest-counters") return selftest_counters();
    if (o.mode == "jitter") return jitter(o);
    if (o.mode == "tcp-stream") {
        return o.role == "server" ? tcp_stream_server(o) : tcp_stream_client(o);
    }
    if (o.mode == "tcp-pingpong") {
        o.backend.stack.tcp.delayed_ack = o.delayed_ack;
        return stack_client(o, proto::tcp);
    }
    if (o.mode == "udp-pingpong" || o.mode == "icmp-pingpong")
        return stack_client(o, o.mode == "udp-pingpong" ? proto::udp : proto::icmp);
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
