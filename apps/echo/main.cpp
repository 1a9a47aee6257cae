/// tachyon-echo: answers ARP and ping, and echoes UDP datagrams back to their sender on the
/// ports given with --udp-port (what `sockperf ping-pong` measures). TCP echo arrives with the
/// TCP issue. The program users start first to check that the stack is alive on their link:
///
///     tachyon-echo --backend tap --tap tch0 --ip 198.18.0.2/24 --udp-port 11111

#include <charconv>
#include <cstring>
#include <cstdio>
#include <vector>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "stack/core/log.hpp"

namespace {

/// sockperf's message header (as its own server reads it, seen on the wire): a 64-bit
/// sequence number, 16-bit flags, a 32-bit length, all big-endian.
namespace sockperf {
constexpr size_t header_len = 14;         ///< bytes before the message body
constexpr size_t flags_low_byte = 9;      ///< offset of the flags' low byte
constexpr std::byte client_flag{0x01};    ///< set by the client, cleared in the server's answer
constexpr std::byte pong_request_flag{0x02}; ///< the client wants this message answered
} // namespace sockperf

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
    bool sockperf_mode = true;
    std::vector<tachyon::ipv4_address> groups;
    tachyon::cli cli("tachyon-echo", "Answers ARP and ping, and echoes UDP datagrams (--udp-port) on the tachyon stack.");
    tachyon::add_backend_flags(cli, options);
    cli.option("udp-port", "PORT", "echo UDP datagrams sent to this port back to their sender",
               [&](std::string_view v) -> tachyon::result<void> {
                   unsigned port = 0;
                   auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
                   if (ec != std::errc{} || end != v.data() + v.size() || port == 0 || port > 65535)
                       return tachyon::make_error(tachyon::errc::invalid_argument, "expected a port from 1 to 65535");
                   udp_ports.push_back(uint16_t(port));
                   return {};
               }, true);
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
    return rt.value()->run();
}
