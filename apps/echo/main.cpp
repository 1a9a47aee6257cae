/// tachyon-echo: answers ARP and ping, echoes UDP datagrams back to their sender on the ports
/// given with --udp-port, and TCP on the ports given with --tcp-port (what `sockperf ping-pong`
/// and `sockperf ping-pong --tcp` measure). The program users start first to check that the
/// stack is alive on their link:
///
///     tachyon-echo --backend tap --tap tch0 --ip 198.18.0.2/24 --udp-port 11111 --tcp-port 11111

#include <charconv>
#include <cstring>
#include <cstdio>
#include <list>
#include <vector>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "api/tcp.hpp"
#include "stack/core/log.hpp"

namespace {

/// sockperf's message header (as its own server reads it, seen on the wire): a 64-bit
/// sequence number, 16-bit flags, a 32-bit length, all big-endian.
namespace sockperf {
constexpr size_t header_len = 14;         ///< bytes before the message body
constexpr size_t flags_low_byte = 9;      ///< offset of the flags' low byte
constexpr std::byte client_flag{0x01};    ///< set by the client, cleared in the server's answer
constexpr std::byte pong_request_flag{0x02}; ///< the client wants this message answered
constexpr size_t length_offset = 10;      ///< the 32-bit length: the whole message, header included
constexpr size_t max_message = 65536 + header_len; ///< sockperf's largest message (--msg-size ≤ 65536)

/// The length field of a header (bytes 10..13, big-endian).
inline size_t message_length(const std::byte* h) {
    return size_t(uint32_t(h[length_offset]) << 24 | uint32_t(h[length_offset + 1]) << 16 |
                  uint32_t(h[length_offset + 2]) << 8 | uint32_t(h[length_offset + 3]));
}
/// True when a message with these flags is answered (as sockperf's server decides).
inline bool wants_answer(std::byte flags_low) {
    return (flags_low & client_flag) != std::byte{0} && (flags_low & pong_request_flag) != std::byte{0};
}
} // namespace sockperf

/// One accepted TCP connection of a --tcp-port. In sockperf mode it reads the byte stream as
/// sockperf's messages (the UDP header, its length field covering the whole message): a
/// message may arrive split over segments or several in one; each whole message that asks for
/// an answer goes back with the client flag cleared. A message is taken only when its answer
/// fits in the send buffer (else reading pauses until `on_writable`), so nothing is dropped.
/// In echo mode (RFC 862) every byte goes back.
struct tcp_echo_conn {
    tachyon::tcp_stream stream;
    bool sockperf_mode = true;
    bool paused = false;                 // on_data left bytes for lack of send space
    bool peer_done = false;              // the peer sent FIN: close once everything is answered
    std::vector<std::byte> partial;      // a message split across segments (sockperf mode)
    size_t partial_need = 0;             // its whole length, once the header is in
    uint64_t* answered = nullptr;
    uint64_t* errors = nullptr;
    std::list<tcp_echo_conn>* owner = nullptr;
    std::list<tcp_echo_conn>::iterator self;

    /// Sends one message with the client flag cleared: three pieces that fill one frame.
    void answer(const std::byte* m, size_t len) {
        const std::byte flags = m[sockperf::flags_low_byte] & ~sockperf::client_flag;
        size_t n = stream.send({m, sockperf::flags_low_byte});
        n += stream.send({&flags, 1});
        n += stream.send({m + sockperf::flags_low_byte + 1, len - sockperf::flags_low_byte - 1});
        if (n == len) ++*answered;
        else ++*errors;
    }

    size_t on_data(tachyon::tcp_stream&, std::span<const std::byte> b) {
        if (!sockperf_mode) {
            const size_t n = stream.send(b);
            paused = n < b.size();
            return n;
        }
        size_t used = 0;
        while (used < b.size()) {
            if (!partial.empty() || b.size() - used < sockperf::header_len) {
                // Reassemble: the header first, then the rest of the message.
                size_t want = partial_need != 0 ? partial_need : sockperf::header_len;
                if (partial.size() < want) {
                    const size_t take = std::min(want - partial.size(), b.size() - used);
                    partial.insert(partial.end(), b.begin() + ptrdiff_t(used), b.begin() + ptrdiff_t(used + take));
                    used += take;
                }
                if (partial_need == 0 && partial.size() == sockperf::header_len) {
                    partial_need = sockperf::message_length(partial.data());
                    if (partial_need < sockperf::header_len || partial_need > sockperf::max_message) {
                        protocol_error();
                        return b.size();
                    }
                    continue;
                }
                if (partial_need == 0 || partial.size() < partial_need) continue;
                // Whole: answer it when it fits.
                if (sockperf::wants_answer(partial[sockperf::flags_low_byte])) {
                    if (stream.send_space() < partial_need) { paused = true; return used; }
                    answer(partial.data(), partial_need);
                }
                partial.clear();
                partial_need = 0;
                continue;
            }
            const std::byte* m = b.data() + used;
            const size_t len = sockperf::message_length(m);
            if (len < sockperf::header_len || len > sockperf::max_message) {
                protocol_error();
                return b.size();
            }
            if (len > b.size() - used) { // the rest comes in later segments
                partial.assign(m, m + sockperf::header_len);
                partial_need = len;
                used += sockperf::header_len;
                continue;
            }
            if (sockperf::wants_answer(m[sockperf::flags_low_byte])) {
                if (stream.send_space() < len) { paused = true; return used; }
                answer(m, len);
            }
            used += len;
        }
        return used;
    }
    void on_writable(tachyon::tcp_stream& s) {
        if (!paused) return;
        paused = false;
        if (!partial.empty() && partial_need != 0 && partial.size() == partial_need) {
            // A whole message waits for room.
            if (s.send_space() < partial_need) { paused = true; return; }
            if (sockperf::wants_answer(partial[sockperf::flags_low_byte])) answer(partial.data(), partial_need);
            partial.clear();
            partial_need = 0;
        }
        s.resume_reading();
        close_if_done(s);
    }
    void on_eof(tachyon::tcp_stream& s) {
        peer_done = true;
        close_if_done(s);
    }
    /// The peer is done and every byte it sent was taken: so are we (FIN after the answers).
    void close_if_done(tachyon::tcp_stream& s) {
        const tachyon::tcp_connection* c = s.control_block();
        if (peer_done && !paused && c != nullptr && c->received_bytes() == 0 && !c->send_closed()) (void)s.shutdown();
    }
    void on_closed(tachyon::tcp_stream&, tachyon::tcp_close_reason) {
        owner->erase(self); // destroys this connection (the stream is already closed)
    }
    void protocol_error() {
        tachyon::log().warn("tcp echo: a sockperf message with a bad length from {}: resetting",
                            stream.remote().address.to_string());
        ++*errors;
        (void)stream.abort(); // on_closed erases this object: nothing may follow
    }
};

/// One --tcp-port: accepts connections and keeps them.
struct tcp_echo_port {
    bool sockperf_mode = true;
    std::list<tcp_echo_conn> conns;
    uint64_t answered = 0;
    uint64_t errors = 0;
    tachyon::tcp_listener listener;

    void on_accept(tachyon::tcp_stream&& s) {
        conns.emplace_front();
        tcp_echo_conn& c = conns.front();
        c.stream = std::move(s);
        c.sockperf_mode = sockperf_mode;
        c.answered = &answered;
        c.errors = &errors;
        c.owner = &conns;
        c.self = conns.begin();
        if (sockperf_mode) c.partial.reserve(sockperf::max_message);
        (void)c.stream.set_handler(c);
    }
};

/// One UDP echo port: what the receive callback needs to answer.
struct udp_echo {
    tachyon::stack* net = nullptr;
    tachyon::udp_id id = 0;
    bool sockperf_mode = true;
    uint64_t ignored = 0;
    uint64_t send_errors = 0;

    static void on_datagram(void* self, const tachyon::datagram& d) {
        auto* e = static_cast<udp_echo*>(self);
        if (e->sockperf_mode) {
            // As sockperf's server does: answer client messages that ask for a pong, with the
            // client flag cleared; ignore the rest (warm-up and under-load messages).
            if (d.payload.size() < sockperf::header_len) { ++e->ignored; return; }
            std::byte flags = d.payload[sockperf::flags_low_byte];
            if ((flags & sockperf::client_flag) == std::byte{0} || (flags & sockperf::pong_request_flag) == std::byte{0}) {
                ++e->ignored;
                return;
            }
        }
        // The same bytes back to the sender's address and port (RFC 862), written straight
        // into the outgoing frame.
        tachyon::packet frame = e->net->udp_frame(d.payload.size());
        if (!frame) { ++e->send_errors; return; }
        std::memcpy(frame.data(), d.payload.data(), d.payload.size());
        if (e->sockperf_mode) frame.data()[sockperf::flags_low_byte] &= ~sockperf::client_flag;
        if (e->net->udp_send_frame(e->id, std::move(frame), d.src, d.src_port, d.rx_time) != tachyon::errc::ok)
            ++e->send_errors;
    }
};

} // namespace

int main(int argc, char** argv) {
    tachyon::backend_options options;
    std::vector<uint16_t> udp_ports;
    std::vector<uint16_t> tcp_ports;
    bool sockperf_mode = true;
    bool tcp_sockperf_mode = true;
    std::vector<tachyon::ipv4_address> groups;
    tachyon::cli cli("tachyon-echo", "Answers ARP and ping, and echoes UDP datagrams (--udp-port) and TCP "
                                     "(--tcp-port) on the tachyon stack.");
    tachyon::add_backend_flags(cli, options);
    auto port_into = [](std::vector<uint16_t>& ports) {
        return [&ports](std::string_view v) -> tachyon::result<void> {
            unsigned port = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
            if (ec != std::errc{} || end != v.data() + v.size() || port == 0 || port > 65535)
                return tachyon::make_error(tachyon::errc::invalid_argument, "expected a port from 1 to 65535");
            ports.push_back(uint16_t(port));
            return {};
        };
    };
    cli.option("udp-port", "PORT", "echo UDP datagrams sent to this port back to their sender", port_into(udp_ports),
               true);
    cli.option("tcp-port", "PORT", "accept TCP connections on this port and echo what they send",
               port_into(tcp_ports), true);
    cli.option("tcp-protocol", "sockperf|echo",
               "sockperf (default): answer sockperf's messages as its TCP server does; echo: return every byte",
               [&](std::string_view v) -> tachyon::result<void> {
                   if (v != "sockperf" && v != "echo")
                       return tachyon::make_error(tachyon::errc::invalid_argument, "expected sockperf or echo");
                   tcp_sockperf_mode = v == "sockperf";
                   return {};
               });
    cli.option("join", "GROUP", "join this multicast group on every --udp-port socket (answers go to the sender)",
               [&](std::string_view v) -> tachyon::result<void> {
                   auto g = tachyon::ipv4_address::parse(v);
                   if (!g || !g->is_multicast())
                       return tachyon::make_error(tachyon::errc::invalid_argument, "expected a multicast group like 239.1.1.1");
                   groups.push_back(*g);
                   return {};
               }, true);
    cli.option("udp-protocol", "sockperf|echo",
               "sockperf (default): answer as sockperf's server does; echo: reflect every datagram (RFC 862)",
               [&](std::string_view v) -> tachyon::result<void> {
                   if (v != "sockperf" && v != "echo")
                       return tachyon::make_error(tachyon::errc::invalid_argument, "expected sockperf or echo");
                   sockperf_mode = v == "sockperf";
                   return {};
               });
    auto parsed = cli.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-echo: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == tachyon::cli_outcome::help) return 0;
    if (!groups.empty() && udp_ports.empty()) {
        std::fprintf(stderr, "tachyon-echo: --join needs at least one --udp-port\n");
        return 2;
    }
    auto rt = tachyon::runtime::open(options);
    if (!rt) {
        std::fprintf(stderr, "tachyon-echo: %s\n", rt.err().message.c_str());
        return 1;
    }
    tachyon::stack& net = rt.value()->net();
    std::vector<udp_echo> echoes(udp_ports.size());
    for (size_t i = 0; i < udp_ports.size(); ++i) {
        auto id = net.udp_open();
        if (!id) {
            std::fprintf(stderr, "tachyon-echo: %s\n", id.err().message.c_str());
            return 1;
        }
        if (auto r = net.udp_bind(*id, tachyon::ipv4_address::any(), udp_ports[i]); r != tachyon::errc::ok) {
            std::fprintf(stderr, "tachyon-echo: --udp-port %u: %s\n", udp_ports[i], tachyon::to_string(r));
            return 1;
        }
        echoes[i] = udp_echo{&net, *id, sockperf_mode, 0, 0};
        (void)net.udp_on_datagram(*id, &udp_echo::on_datagram, &echoes[i]);
        for (tachyon::ipv4_address g : groups) {
            if (auto r = net.udp_join(*id, g, tachyon::ipv4_address::any(), net.now()); r != tachyon::errc::ok) {
                std::fprintf(stderr, "tachyon-echo: --join %s: %s\n", g.to_string().c_str(), tachyon::to_string(r));
                return 1;
            }
        }
        tachyon::log().info("udp echo on port {}{}", udp_ports[i], groups.empty() ? "" : " (with multicast groups)");
    }
    std::list<tcp_echo_port> tcp_echoes; // stable addresses: the listeners point at them
    for (uint16_t port : tcp_ports) {
        tcp_echo_port& p = tcp_echoes.emplace_back();
        p.sockperf_mode = tcp_sockperf_mode;
        auto l = tachyon::tcp_listener::listen(net, port, net.config().tcp.syn_backlog, p);
        if (!l) {
            std::fprintf(stderr, "tachyon-echo: --tcp-port %u: %s\n", port, l.err().message.c_str());
            return 1;
        }
        p.listener = std::move(l.value());
        tachyon::log().info("tcp echo on port {} ({})", port, tcp_sockperf_mode ? "sockperf" : "echo");
    }
    int rc = rt.value()->run();
    for (tcp_echo_port& p : tcp_echoes)
        tachyon::log().info("tcp echo port {}: {} messages answered, {} errors, {} connections open",
                            p.listener.port(), p.answered, p.errors, p.conns.size());
    return rc;
}
