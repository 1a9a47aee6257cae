/// `tachyon-mcast send`: sends --count datagrams to a group (or a unicast address, --to) at a
/// steady --rate. Pacing is against the clock, not by sleeping: after every poll the loop sends
/// the datagrams that are due by now (at most a burst at once, so a stall is caught up without
/// a flood), and busy-polls the stack in between. Each datagram carries its sequence number and
/// its send time (see datagram_format.hpp), written straight into the frame.

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "api/udp_socket.hpp"
#include "apps/mcast/args.hpp"
#include "apps/mcast/clocks.hpp"
#include "apps/mcast/datagram_format.hpp"
#include "apps/mcast/send.hpp"
#include "stack/core/clock.hpp"
#include "stack/core/log.hpp"

namespace tachyon::mcast {

namespace {

constexpr uint64_t max_burst = 64;                          // datagrams sent after one poll at most
constexpr duration linger = duration::ms(200);              // polls after the last send, then stop
constexpr duration resolve_timeout = duration::s(5);        // for the next hop of a unicast destination
constexpr size_t max_payload = 1500 - 20 - 8;               // one Ethernet frame, no fragments

} // namespace

int run_send(int argc, char** argv) {
    backend_options options;
    std::optional<endpoint> dest;
    uint64_t count = 0;
    double rate = 0;
    size_t size = 64;
    std::optional<uint8_t> ttl;
    cli c("tachyon-mcast send",
          "Sends --count datagrams to a multicast group (or, with --to, any address) at a steady --rate from "
          "the tachyon stack. Each datagram carries a 64-bit big-endian sequence number (from 0) and a 64-bit "
          "big-endian send time (ns since the Unix epoch, CLOCK_REALTIME) in its first 16 bytes, then fill "
          "byte i = (sequence + i) mod 256; `tachyon-mcast recv` checks all three. Pacing follows the clock "
          "and busy-polls the stack between sends. Exits 0 when every datagram left the stack.");
    add_backend_flags(c, options);
    auto set_dest = [&](std::string_view v, bool multicast_only) -> result<void> {
        if (dest) return make_error(errc::invalid_argument, "one destination only (--group or --to, once)");
        auto ep = parse_address_port(v, multicast_only);
        if (!ep) return ep.err();
        dest = *ep;
        return {};
    };
    c.option("group", "GROUP:PORT", "send to this multicast group and UDP port",
             [&](std::string_view v) { return set_dest(v, true); });
    c.option("to", "ADDRESS:PORT", "send to this address (unicast or multicast) and UDP port",
             [&](std::string_view v) { return set_dest(v, false); });
    c.option("count", "N", "datagrams to send (required)", [&](std::string_view v) -> result<void> {
        auto n = parse_number(v, 1, UINT64_MAX);
        if (!n) return n.err();
        count = *n;
        return {};
    });
    c.option("rate", "PER_SECOND", "datagrams per second (required)", [&](std::string_view v) -> result<void> {
        auto r = parse_rate(v);
        if (!r) return r.err();
        rate = *r;
        return {};
    });
    c.option("size", "BYTES", "UDP payload bytes, 16 to 1472 (default 64)", [&](std::string_view v) -> result<void> {
        auto n = parse_number(v, header_len, max_payload);
        if (!n) return n.err();
        size = size_t(*n);
        return {};
    });
    c.option("ttl", "T", "IP TTL of multicast datagrams, 1 to 255 (default 1: the local link)",
             [&](std::string_view v) -> result<void> {
                 auto n = parse_number(v, 1, 255);
                 if (!n) return n.err();
                 ttl = uint8_t(*n);
                 return {};
             });
    auto parsed = c.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-mcast send: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == cli_outcome::help) return 0;
    if (!dest || count == 0 || rate <= 0) {
        std::fprintf(stderr, "tachyon-mcast send: --group (or --to), --count and --rate are required (see --help)\n");
        return 2;
    }
    if (ttl && !dest->address.is_multicast()) {
        std::fprintf(stderr, "tachyon-mcast send: --ttl applies to multicast destinations only\n");
        return 2;
    }

    auto opened = runtime::open(options);
    if (!opened) {
        std::fprintf(stderr, "tachyon-mcast send: %s\n", opened.err().message.c_str());
        return 1;
    }
    runtime& rt = *opened.value();
    stack& net = rt.net();
    const std::string name = dest->address.to_string() + ":" + std::to_string(dest->port);
    // The next hop a unicast destination needs resolved before the pacing clock starts.
    std::optional<ipv4_address> next_hop;
    if (!dest->address.is_multicast() && !dest->address.is_broadcast()) {
        if (net.address().contains(dest->address)) {
            next_hop = dest->address;
        } else if (net.config().gateway) {
            next_hop = *net.config().gateway;
        } else {
            std::fprintf(stderr, "tachyon-mcast send: %s is off our subnet %s and there is no --gateway\n",
                         dest->address.to_string().c_str(), net.address().to_string().c_str());
            return 1;
        }
    }
    auto opened_socket = udp_socket::open(net);
    if (!opened_socket) {
        std::fprintf(stderr, "tachyon-mcast send: %s\n", opened_socket.err().message.c_str());
        return 1;
    }
    udp_socket sock = std::move(opened_socket.value()); // after rt: closed before the stack goes
    if (errc r = sock.bind({ipv4_address::any(), 0}); r != errc::ok) {
        std::fprintf(stderr, "tachyon-mcast send: cannot bind: %s\n", to_string(r));
        return 1;
    }
    if (ttl) (void)sock.set_multicast_ttl(*ttl);

    const uint64_t device_drops_before = net.stats().tx.drop_device_full;
    uint64_t sent = 0, errors = 0, buffer_waits = 0;
    errc first_error = errc::ok;
    instant pace_start = instant::never(), resolve_start = instant::never(), done_at = instant::never();
    instant last_send;
    bool stop_raised = false, resolve_failed = false;

    auto send_one = [&](instant now) -> bool {
        packet frame = sock.prepare(size);
        if (!frame) {
            ++buffer_waits; // every buffer is on its way to the device: try after the next poll
            return false;
        }
        write_datagram({frame.data(), size}, sent, realtime_ns());
        if (errc r = sock.send_prepared(std::move(frame), *dest); r != errc::ok) {
            if (errors++ == 0) first_error = r;
        }
        ++sent;
        last_send = now;
        return true;
    };

    const int code = rt.run([&](instant now) {
        if (stop_raised) return;
        if (pace_start == instant::never()) {
            if (next_hop && net.neighbours().peek(*next_hop, now) == nullptr) {
                // Datagram 0 waits in the ARP queue while the next hop resolves; the rest
                // follow at the rate once it has.
                if (resolve_start == instant::never()) {
                    resolve_start = now;
                    (void)send_one(now);
                } else if (now - resolve_start > resolve_timeout) {
                    resolve_failed = true;
                    stop_raised = true;
                    tachyon::request_stop();
                }
                return;
            }
            pace_start = now;
            log().info("sending {} datagrams of {} bytes to {} at {}/s", count, size, name, rate);
        }
        if (sent < count) {
            const double elapsed_s = double((now - pace_start).count_ns()) / 1e9;
            const uint64_t due = std::min<uint64_t>(count, uint64_t(elapsed_s * rate) + 1);
            for (uint64_t n = 0; sent < due && n < max_burst; ++n)
                if (!send_one(now)) break;
            if (sent == count) done_at = now;
        } else if (now - done_at >= linger) {
            stop_raised = true;
            tachyon::request_stop(); // the loop ends after this iteration
        }
    });

    const uint64_t device_drops = net.stats().tx.drop_device_full - device_drops_before;
    const double elapsed = pace_start == instant::never() || sent == 0
                               ? 0.0
                               : double(((done_at == instant::never() ? last_send : done_at) - pace_start).count_ns()) / 1e9;
    const bool ok = sent == count && errors == 0 && device_drops == 0 && !resolve_failed;
    std::printf("summary: %s sent=%llu count=%llu to=%s size=%zu errors=%llu%s%s device_drops=%llu buffer_waits=%llu "
                "elapsed_s=%.3f rate=%.0f/s\n",
                ok ? "ok" : "INCOMPLETE", (unsigned long long)sent, (unsigned long long)count, name.c_str(), size,
                (unsigned long long)errors, errors ? " first_error=" : "", errors ? to_string(first_error) : "",
                (unsigned long long)device_drops, (unsigned long long)buffer_waits, elapsed,
                elapsed > 0 ? double(sent - 1) / elapsed : 0.0);
    if (resolve_failed)
        std::printf("error: the next hop %s did not answer ARP within %llds\n", next_hop->to_string().c_str(),
                    (long long)resolve_timeout.count_ms() / 1000);
    std::fflush(stdout);
    if (code != 0) return code;
    return ok ? 0 : 1;
}

} // namespace tachyon::mcast
