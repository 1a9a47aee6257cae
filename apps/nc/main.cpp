/// tachyon-nc: netcat for the tachyon stack, what users reach for to check a path. Standard
/// input goes to the socket, the socket to standard output:
///
///     tachyon-nc --tap tch0 --ip 198.18.0.2/24 --connect 198.18.0.1:5000 < request > answer
///     tachyon-nc --tap tch0 --ip 198.18.0.2/24 --listen 5000 > received
///     tachyon-nc --tap tch0 --ip 198.18.0.2/24 --udp --connect 198.18.0.1:5353 < query
///
/// TCP: the end of standard input half-closes (FIN); the peer's FIN ends the program (as
/// OpenBSD nc does): standard input is read no further, what was queued is sent with our FIN,
/// and once both FINs are acknowledged and standard output is flushed it exits 0. A reset, a refused or timed
/// out connect, or an unreachable peer exit 1 with a message on standard error. --listen takes
/// one connection and stops listening.
///
/// UDP (--udp): standard input is cut into datagrams of at most 1472 bytes; datagrams received
/// go to standard output. --listen answers whoever sent the first datagram. The program ends
/// once standard input reached its end (and, listening, a peer was heard) and nothing arrived
/// for --wait seconds.
///
/// Neither end blocks the poll loop: standard input and output are non-blocking, read and
/// written between polls, bounded per iteration. What standard output cannot take waits in a
/// buffer; while it is full the connection is not read, so the peer's window closes.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "api/tcp.hpp"
#include "api/udp_socket.hpp"
#include "apps/nc/byte_fifo.hpp"
#include "stack/core/log.hpp"

namespace {

constexpr size_t stdin_chunk = 64 * 1024;        // one read
constexpr size_t stdin_per_iteration = 256 * 1024; // read at most this much between polls
constexpr size_t udp_payload_max = 1472;           // 1500 - IPv4 - UDP headers

std::optional<uint16_t> parse_port(std::string_view v) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
    if (ec != std::errc{} || end != v.data() + v.size() || port == 0 || port > 65535) return std::nullopt;
    return uint16_t(port);
}

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return;
    (void)::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

/// Asks the runtime's loop to end (its signal handler sets the stop flag).
void stop_loop() { tachyon::request_stop(); }

/// Everything one run of tachyon-nc holds: the socket, standard input and output.
struct session {
    tachyon::stack* net = nullptr;
    tachyon_nc::byte_fifo out;
    std::vector<std::byte> in;       // stdin bytes read but not yet taken by the socket
    size_t in_off = 0, in_len = 0;
    bool stdin_eof = false;
    bool stdout_broken = false;
    bool read_paused = false;        // on_data left bytes: standard output is full
    bool finished = false;           // the transfer ended (see exit_code)
    int exit_code = 0;
    std::string error;

    // TCP
    tachyon::tcp_listener listener;
    tachyon::tcp_stream stream;
    bool accepted = false;
    bool connected = false;
    bool shut = false;               // our FIN is queued
    bool peer_eof = false;

    // UDP
    std::optional<tachyon::udp_socket> udp;
    std::optional<tachyon::endpoint> udp_peer;
    bool udp_listening = false;
    tachyon::instant last_datagram;
    tachyon::duration udp_wait = tachyon::duration::s(1);
    uint64_t udp_dropped = 0;

    explicit session(size_t out_capacity) : out(out_capacity), in(stdin_chunk) {}

    void finish(int code, std::string why = {}) {
        if (finished) return;
        finished = true;
        exit_code = code;
        error = std::move(why);
        stop_loop();
    }

    /// Writes what standard output takes now; false when it is broken.
    void flush_stdout() {
        while (!out.empty() && !stdout_broken) {
            auto f = out.front();
            ssize_t w = ::write(STDOUT_FILENO, f.data(), f.size());
            if (w > 0) {
                out.pop(size_t(w));
                continue;
            }
            if (w < 0 && (errno == EAGAIN || errno == EINTR)) return;
            stdout_broken = true;
            on_stdout_broken();
        }
    }
    void on_stdout_broken() {
        if (stream.is_open()) (void)stream.abort();
        finish(1, std::string("standard output: ") + std::strerror(errno));
    }
    /// Takes what standard output accepts of `b` (written at once, or buffered); returns how much.
    size_t to_stdout(std::span<const std::byte> b) {
        size_t taken = 0;
        if (out.empty() && !stdout_broken) {
            ssize_t w = ::write(STDOUT_FILENO, b.data(), b.size());
            if (w > 0) taken = size_t(w);
            else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                stdout_broken = true;
                return b.size();
            }
        }
        if (taken < b.size()) taken += out.push(b.subspan(taken));
        return taken;
    }

    // --- TCP handler (tcp_stream / tcp_listener events)
    void on_accept(tachyon::tcp_stream&& s) {
        if (accepted) {
            (void)s.abort(); // one connection per run
            return;
        }
        accepted = connected = true;
        stream = std::move(s);
        tachyon::endpoint r = stream.remote();
        tachyon::log().info("connection from {}:{}", r.address.to_string(), r.port);
        listener.close();
        (void)stream.set_handler(*this);
    }
    void on_connected(tachyon::tcp_stream& s) {
        connected = true;
        tachyon::endpoint r = s.remote();
        tachyon::log().info("connected to {}:{}", r.address.to_string(), r.port);
    }
    size_t on_data(tachyon::tcp_stream&, std::span<const std::byte> b) {
        size_t n = to_stdout(b);
        if (stdout_broken) {
            on_stdout_broken();
            return 0;
        }
        read_paused = n < b.size();
        return n;
    }
    void on_eof(tachyon::tcp_stream& s) {
        peer_eof = true;
        if (!shut) { // the peer is done: so are we (what we queued still goes, then FIN)
            shut = true;
            (void)s.shutdown();
        }
    }
    void on_closed(tachyon::tcp_stream&, tachyon::tcp_close_reason r) {
        switch (r) {
        case tachyon::tcp_close_reason::normal: finish(0); break;
        case tachyon::tcp_close_reason::reset:
            finish(1, connected ? "connection reset by peer" : "connection refused");
            break;
        case tachyon::tcp_close_reason::timeout:
            finish(1, connected ? "connection timed out" : "connect timed out: no answer");
            break;
        case tachyon::tcp_close_reason::unreachable: finish(1, "peer unreachable"); break;
        default: finish(1, std::string("connection ended: ") + tachyon::to_string(r)); break;
        }
    }

    // --- UDP
    void operator()(const tachyon::datagram& d) { // udp_socket::on_datagram's handler
        session* s = this;
        s->last_datagram = d.rx_time;
        if (!s->udp_peer) {
            s->udp_peer = tachyon::endpoint{d.src, d.src_port};
            tachyon::log().info("datagrams from {}:{}", d.src.to_string(), d.src_port);
        }
        if (s->out.free() < d.payload.size() && !s->out.empty()) {
            ++s->udp_dropped; // a datagram is whole or not at all
            return;
        }
        size_t n = s->to_stdout(d.payload);
        if (n < d.payload.size()) ++s->udp_dropped;
        if (s->stdout_broken) s->finish(1, std::string("standard output: ") + std::strerror(errno));
    }

    /// Between polls: standard output, then standard input, then whether the transfer ended.
    void each(tachyon::instant now) {
        if (finished) return;
        flush_stdout();
        if (finished) return;
        if (read_paused && out.free() >= out.capacity() / 4) {
            read_paused = false;
            stream.resume_reading();
        }
        if (udp) each_udp(now);
        else each_tcp();
    }

    void each_tcp() {
        if (!connected || !stream.is_open() || shut) return;
        size_t moved = 0;
        while (moved < stdin_per_iteration) {
            if (in_len == 0) {
                if (stdin_eof) break;
                const size_t space = stream.send_space();
                if (space == 0) break;
                ssize_t r = ::read(STDIN_FILENO, in.data(), std::min(space, in.size()));
                if (r < 0) {
                    if (errno == EAGAIN || errno == EINTR) break;
                    (void)stream.abort();
                    finish(1, std::string("standard input: ") + std::strerror(errno));
                    return;
                }
                if (r == 0) {
                    stdin_eof = true;
                    break;
                }
                in_off = 0;
                in_len = size_t(r);
            }
            const size_t n = stream.send({in.data() + in_off, in_len});
            in_off += n;
            in_len -= n;
            moved += n;
            if (in_len > 0) break; // the send buffer is full: on the next iteration
        }
        if (stdin_eof && in_len == 0 && !shut) {
            shut = true;
            (void)stream.shutdown(); // FIN after what is queued; receiving goes on
        }
    }

    void each_udp(tachyon::instant now) {
        size_t moved = 0;
        while (!stdin_eof && udp_peer && moved < stdin_per_iteration) {
            ssize_t r = ::read(STDIN_FILENO, in.data(), udp_payload_max);
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                finish(1, std::string("standard input: ") + std::strerror(errno));
                return;
            }
            if (r == 0) {
                stdin_eof = true;
                last_datagram = std::max(last_datagram, now);
                break;
            }
            if (auto e = udp->send_to(*udp_peer, {in.data(), size_t(r)}); e != tachyon::errc::ok)
                tachyon::log().warn("udp send: {}", tachyon::to_string(e));
            moved += size_t(r);
        }
        if (stdin_eof && (udp_peer || !udp_listening) && now - last_datagram >= udp_wait && out.empty()) finish(0);
    }
};

} // namespace

int main(int argc, char** argv) {
    tachyon::backend_options options;
    std::optional<tachyon::endpoint> connect_to;
    std::optional<uint16_t> listen_port;
    bool use_udp = false;
    double wait_seconds = 1.0;
    std::optional<tachyon::duration> connect_timeout;
    size_t out_buffer = 1 << 20;
    tachyon::cli cli("tachyon-nc", "Netcat on the tachyon stack: standard input to a TCP (or UDP) socket, the socket to "
                                   "standard output.");
    tachyon::add_backend_flags(cli, options);
    cli.option("connect", "IP:PORT", "connect to this address and port",
               [&](std::string_view v) -> tachyon::result<void> {
                   auto colon = v.rfind(':');
                   auto ip = colon == std::string_view::npos ? std::nullopt : tachyon::ipv4_address::parse(v.substr(0, colon));
                   auto port = colon == std::string_view::npos ? std::nullopt : parse_port(v.substr(colon + 1));
                   if (!ip || !port)
                       return tachyon::make_error(tachyon::errc::invalid_argument, "expected IP:PORT like 198.18.0.1:5000");
                   connect_to = tachyon::endpoint{*ip, *port};
                   return {};
               });
    cli.option("listen", "PORT", "listen on this port for one connection (or, with --udp, datagrams)",
               [&](std::string_view v) -> tachyon::result<void> {
                   listen_port = parse_port(v);
                   if (!listen_port) return tachyon::make_error(tachyon::errc::invalid_argument, "expected a port from 1 to 65535");
                   return {};
               });
    cli.toggle("udp", "UDP instead of TCP", [&] { use_udp = true; });
    cli.option("timeout", "SECONDS", "TCP connect timeout (default: the stack's, 10)",
               [&](std::string_view v) -> tachyon::result<void> {
                   connect_timeout = tachyon::parse_seconds(v);
                   if (!connect_timeout || *connect_timeout <= tachyon::duration{})
                       return tachyon::make_error(tachyon::errc::invalid_argument, "expected seconds above 0");
                   return {};
               });
    cli.option("wait", "SECONDS", "UDP: after the end of standard input, wait this long for datagrams (default 1)",
               [&](std::string_view v) -> tachyon::result<void> {
                   auto d = tachyon::parse_seconds(v);
                   if (!d) return tachyon::make_error(tachyon::errc::invalid_argument, "expected seconds");
                   wait_seconds = double(d->count_ns()) / 1e9;
                   return {};
               });
    auto parsed = cli.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-nc: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == tachyon::cli_outcome::help) return 0;
    if (connect_to.has_value() == listen_port.has_value()) {
        std::fprintf(stderr, "tachyon-nc: give exactly one of --connect IP:PORT and --listen PORT\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN); // a closed standard output is an error we report, not a kill
    auto rt = tachyon::runtime::open(options);
    if (!rt) {
        std::fprintf(stderr, "tachyon-nc: %s\n", rt.err().message.c_str());
        return 1;
    }
    tachyon::stack& net = rt.value()->net();
    session s(out_buffer);
    s.net = &net;
    s.udp_wait = tachyon::duration::ns(int64_t(wait_seconds * 1e9));
    set_nonblocking(STDIN_FILENO, true);
    set_nonblocking(STDOUT_FILENO, true);
    auto fail = [&](const std::string& what) {
        set_nonblocking(STDIN_FILENO, false);
        set_nonblocking(STDOUT_FILENO, false);
        std::fprintf(stderr, "tachyon-nc: %s\n", what.c_str());
        return 1;
    };
    if (use_udp) {
        auto sock = tachyon::udp_socket::open(net);
        if (!sock) return fail(sock.err().message);
        s.udp.emplace(std::move(sock.value()));
        if (listen_port) {
            if (auto e = s.udp->bind({tachyon::ipv4_address::any(), *listen_port}); e != tachyon::errc::ok)
                return fail("--listen " + std::to_string(*listen_port) + ": " + tachyon::to_string(e));
            s.udp_listening = true;
        } else {
            s.udp_peer = *connect_to;
            if (auto e = s.udp->bind({tachyon::ipv4_address::any(), 0}); e != tachyon::errc::ok)
                return fail(std::string("bind: ") + tachyon::to_string(e));
            if (auto e = s.udp->connect(*connect_to); e != tachyon::errc::ok)
                return fail(std::string("connect: ") + tachyon::to_string(e));
        }
        (void)s.udp->on_datagram(s);
        s.last_datagram = net.now();
    } else if (listen_port) {
        auto l = tachyon::tcp_listener::listen(net, *listen_port, 1, s);
        if (!l) return fail("--listen " + std::to_string(*listen_port) + ": " + l.err().message);
        s.listener = std::move(l.value());
        tachyon::log().info("listening on tcp port {}", *listen_port);
    } else {
        auto c = tachyon::tcp_stream::connect(net, *connect_to, s, connect_timeout.value_or(tachyon::duration{}));
        if (!c) return fail("--connect: " + c.err().message);
        s.stream = std::move(c.value());
    }
    (void)rt.value()->run([&](tachyon::instant now) { s.each(now); });
    // Whatever standard output still holds goes now (blocking), then the socket closes.
    set_nonblocking(STDOUT_FILENO, false);
    s.flush_stdout();
    set_nonblocking(STDIN_FILENO, false);
    if (!s.finished) {
        std::fprintf(stderr, "tachyon-nc: stopped before the transfer ended\n");
        return 1;
    }
    if (s.udp_dropped > 0) tachyon::log().warn("{} datagrams did not fit in standard output's buffer", s.udp_dropped);
    if (s.exit_code != 0) std::fprintf(stderr, "tachyon-nc: %s\n", s.error.c_str());
    return s.exit_code;
}
