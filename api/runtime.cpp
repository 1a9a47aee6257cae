#include "api/runtime.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "api/backend_open.hpp"
#include "api/idle_backoff.hpp"
#include "stack/core/clock.hpp"
#include "stack/core/log.hpp"

namespace tachyon {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

} // namespace

void install_stop_signals() {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_stop != 0; }

void request_stop() { g_stop = 1; }

result<std::unique_ptr<runtime>> runtime::open(const backend_options& options) {
    if (auto ok = options.validate(); !ok) return ok.err();
    std::unique_ptr<runtime> rt(new runtime());
    rt->_options = options;
    if (options.stats_path) rt->_stats_tmp = *options.stats_path + ".tmp";
    // RFC 6528: the ISN secret is random per run, from the kernel's generator.
    if (::getrandom(rt->_options.stack.secret.data(), rt->_options.stack.secret.size(), 0) !=
        ssize_t(rt->_options.stack.secret.size()))
        return make_error(errc::system, "getrandom failed: cannot seed TCP initial sequence numbers");
    auto opened = open_backend(options);
    if (!opened) return opened.err();
    rt->_backend = std::move(opened->dev);
    rt->_options.backend = opened->backend; // what --backend auto chose
    device* dev = rt->_backend.get();
    if (options.pcap) {
        pcap_options po = options.capture;
        po.interface_name = rt->_options.backend == "tap" ? options.tap
                            : rt->_options.backend == "xdp" ? options.xdp.iface
                                                       : "dpdk port " + std::to_string(options.port);
        if (auto ok = rt->_pcap_writer.open(*options.pcap, po); !ok) return ok.err();
        // The stack's instants are CLOCK_MONOTONIC; the capture shows Unix time. The offset is
        // fixed here, so the file's times keep the stack's spacing even if the wall clock steps.
        timespec wall{};
        ::clock_gettime(CLOCK_REALTIME, &wall);
        const int64_t offset = int64_t(wall.tv_sec) * 1'000'000'000 + wall.tv_nsec -
                               monotonic_clock::now().ns_since_epoch();
        const capture_clock clock{[](const void*) { return monotonic_clock::now(); }, nullptr, offset};
        rt->_pcap = std::make_unique<pcap_device>(*dev, rt->_pcap_writer, clock);
        dev = rt->_pcap.get();
        log().info("recording frames to {} ({}{}{})", *options.pcap,
                   po.format == capture_format::pcapng ? "pcapng" : "classic pcap",
                   po.snaplen ? ", snaplen " + std::to_string(po.snaplen) : std::string(),
                   po.rotate_bytes ? ", a new file every " + std::to_string(po.rotate_bytes) + " bytes" : std::string());
    }
    if (auto ok = rt->open_segment(); !ok) return ok.err();
    auto st = stack::create(rt->_options.stack, *dev, rt->_segment ? rt->_segment.counters() : nullptr);
    if (!st) return st.err();
    rt->_stack = std::move(st.value());
    if (rt->_segment) rt->_publisher = stat_publisher(rt->_segment, *rt->_stack);
    // Started here, so that sockets opened before run() (joins, binds) see a real clock.
    rt->_stack->start(monotonic_clock::now());
    return rt;
}

result<void> runtime::open_segment() {
    const backend_options& o = _options;
    stat_identity id;
    id.name = o.name.empty() ? stat_default_name() : o.name;
    std::ifstream comm("/proc/self/comm");
    std::getline(comm, id.program);
    id.address = o.stack.address.to_string();
    id.device = o.backend + " " + (o.backend == "tap" ? o.tap : o.backend == "xdp" ? o.xdp.iface
                                                                : "port " + std::to_string(o.port));
    const size_t rows = o.stack.tcp.max_connections + o.stack.tcp.max_listeners + o.stack.udp_sockets;
    auto seg = stat_segment::create(id, rows);
    if (!seg) {
        // Asked for by name: the operator expects to find it. Otherwise the stack runs without.
        if (!o.name.empty()) return seg.err();
        log().warn("no segment for tachyon-stat: {}", seg.err().message);
        return {};
    }
    _segment = std::move(seg.value());
    log().info("counters in /dev/shm/tachyon-{} (tachyon-stat {})", _segment.name(), _segment.name());
    return {};
}

runtime::~runtime() {
    _publisher = stat_publisher();
    _stack.reset(); // flushes queued frames through the recorder before it goes
    _pcap.reset();
    if (auto ok = _pcap_writer.close(); !ok) log().error("{}", ok.err().message);
}

int runtime::run(const std::function<void(instant)>& each) {
    install_stop_signals();
    instant start = monotonic_clock::now();
    instant end = _options.run_for ? start + *_options.run_for : instant::never();
    instant next_stats = start + _options.stats_interval;
    write_stats(); // before "ready": a reader that waited for it finds the stats file
    log().info("ready: {} on {} {}, mac {}", _stack->address().to_string(), _options.backend,
               _options.backend == "tap" ? _options.tap
               : _options.backend == "xdp" ? _options.xdp.iface : _options.dpdk_args, _stack->mac().to_string());
    idle_backoff idle;
    while (!stop_requested()) {
        // The clock is read once, right after the burst arrives (receive timestamps).
        size_t n = _stack->poll_clock(monotonic_clock{});
        instant now = _stack->now();
        if (each) each(now);
        _publisher.maybe_refresh(now);
        if (now >= next_stats) [[unlikely]] {
            write_stats();
            next_stats = now + _options.stats_interval;
            if (now >= end) break;
        }
        if (now >= end) [[unlikely]]
            break;
        if (_options.idle) // after a run of empty polls, a short sleep that ends by the next timer
            idle_backoff::sleep(idle.after_poll(n, now, _stack->next_deadline()));
    }
    _stack->stop(monotonic_clock::now());
    _publisher.refresh(monotonic_clock::now(), true);
    _segment.unlink(); // a clean stop leaves nothing in /dev/shm (the mapping lives on)
    write_stats();
    log().info("stopped");
    return 0;
}

void runtime::write_stats() const {
    if (!_options.stats_path) return;
    // Once a second for the whole run: the writer's tree and text are reused and the file is
    // written with plain system calls (no FILE buffer), so a steady state allocates nothing
    // here (the program's own members, when it has some, are one string).
    _stats_writer.reset();
    _stack->report(_stats_writer);
    const std::string_view json = _stats_writer.text();
    const std::string members = _stats_members ? _stats_members() : std::string();
    // The program's members go inside the object, before its closing brace.
    const size_t close = members.empty() ? std::string_view::npos : json.rfind('}');
    const bool inside = close != json.npos;
    const std::string_view parts[] = {json.substr(0, close), inside ? std::string_view(", ") : std::string_view(),
                                      inside ? std::string_view(members) : std::string_view(),
                                      inside ? json.substr(close) : std::string_view()};
    const int fd = ::open(_stats_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log().error("cannot write stats to {}", _stats_tmp);
        return;
    }
    bool ok = true;
    for (std::string_view part : parts) {
        while (ok && !part.empty()) {
            const ssize_t n = ::write(fd, part.data(), part.size());
            if (n < 0 && errno == EINTR) continue;
            ok = n > 0;
            if (ok) part.remove_prefix(size_t(n));
        }
    }
    ok = ::close(fd) == 0 && ok;
    if (!ok || std::rename(_stats_tmp.c_str(), _options.stats_path->c_str()) != 0)
        log().error("cannot write stats to {}", *_options.stats_path);
}

} // namespace tachyon
