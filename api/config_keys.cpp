#include "api/config_keys.hpp"

namespace tachyon {

namespace {

error bad(std::string text) { return make_error(errc::invalid_argument, std::move(text)); }

} // namespace

std::string format_seconds(duration d) {
    const int64_t ns = d.count_ns();
    std::string out = std::to_string(ns / 1'000'000'000);
    if (int64_t frac = ns % 1'000'000'000; frac != 0) {
        std::string digits = std::to_string(frac);
        digits.insert(0, 9 - digits.size(), '0');
        while (digits.back() == '0') digits.pop_back();
        out += "." + digits;
    }
    return out;
}

config_key shared_key(std::string name, std::string type, std::string range, std::string help, config_key::setter set,
                      std::function<std::string()> get) {
    config_key k;
    k.name = std::move(name);
    k.type = std::move(type);
    k.range = std::move(range);
    k.help = std::move(help);
    k.set = std::move(set);
    k.get = std::move(get);
    k.default_value = k.get ? k.get() : std::string();
    k.shared = true;
    return k;
}

config_key seconds_key(std::string name, std::string field, duration& ref, duration min, duration max, std::string help) {
    config_key k;
    k.name = std::move(name);
    k.field = std::move(field);
    k.type = "seconds";
    k.help = std::move(help);
    k.default_value = format_seconds(ref);
    const std::string low = min == duration::ns(1) ? "above 0" : format_seconds(min);
    k.range = low + " to " + format_seconds(max);
    k.shared = true;
    k.set = [&ref, min, max, range = k.range](std::string_view v) -> result<void> {
        auto d = parse_seconds(v);
        if (!d) return bad("expected a number of seconds, like 0.5 (" + range + ")");
        if (*d < min || *d > max) return bad("out of range: " + range + " seconds");
        ref = *d;
        return {};
    };
    k.get = [&ref] { return format_seconds(ref); };
    return k;
}

config_key bool_key(std::string name, std::string field, bool& ref, std::string help) {
    config_key k;
    k.name = std::move(name);
    k.field = std::move(field);
    k.type = "bool";
    k.help = std::move(help);
    k.default_value = ref ? "true" : "false";
    k.range = "true or false";
    k.is_switch = true;
    k.shared = true;
    k.set = [&ref](std::string_view v) -> result<void> {
        auto b = parse_bool(v);
        if (!b) return bad("expected true or false");
        ref = *b;
        return {};
    };
    k.get = [&ref] { return std::string(ref ? "true" : "false"); };
    return k;
}

void add_stack_keys(cli& c, stack_config& s) {
    const duration above_0 = duration::ns(1);
    const duration hour = duration::s(3600), day = duration::s(86400);
    c.key(count_key("default-ttl", "default_ttl", s.default_ttl, 1, 255, "hops", "TTL of packets we originate (RFC 1122 §3.2.1.7)"));
    auto& a = s.arp;
    c.key(count_key("arp-capacity", "arp.capacity", a.capacity, 1, 1u << 20, "entries", "ARP cache: neighbour entries in all"));
    c.key(count_key("arp-pending-per-neighbour", "arp.pending_per_neighbour", a.pending_per_neighbour, 1, 1024, "frames",
                    "ARP: frames that may wait for one resolution"));
    c.key(seconds_key("arp-reachable-time", "arp.reachable_time", a.reachable_time, above_0, day,
                      "ARP: an entry's life after its last confirmation"));
    c.key(seconds_key("arp-retry-interval", "arp.retry_interval", a.retry_interval, above_0, hour,
                      "ARP: at most one request per neighbour per interval (RFC 1122 §2.3.2.1)"));
    c.key(count_key("arp-max-requests", "arp.max_requests", a.max_requests, 1, 1000, "requests",
                    "ARP: broadcast requests before a resolution is given up"));
    c.key(count_key("rx-burst", "rx_burst", s.rx_burst, 1, 512, "frames", "frames taken from the device per poll"));
    c.key(count_key("tx-queue", "tx_queue", s.tx_queue, 1, 65536, "frames",
                    "frames one poll iteration may queue for transmission (at least rx-burst)"));
    c.key(seconds_key("gateway-retry", "gateway_retry", s.gateway_retry, above_0, hour,
                      "how often the gateway is asked for until it answers"));
    c.key(count_key("udp-sockets", "udp_sockets", s.udp_sockets, 1, 65535, "sockets", "UDP sockets open at once"));
    c.key(count_key("udp-queue", "udp_queue", s.udp_queue, 1, 65536, "datagrams", "datagrams a pull-mode UDP socket may hold"));
    auto& m = s.multicast;
    c.key(count_key("multicast-max-groups", "multicast.max_groups", m.max_groups, 1, 4096, "groups",
                    "multicast groups the interface may join"));
    c.key(count_key("multicast-memberships-per-socket", "multicast.memberships_per_socket", m.memberships_per_socket, 1, 256,
                    "joins", "(group, source) joins per UDP socket"));
    c.key(count_key("multicast-robustness", "multicast.robustness", m.robustness, 1, 255, "count",
                    "IGMP Robustness Variable (RFC 3376 §8.1)"));
    c.key(seconds_key("multicast-unsolicited-report-interval", "multicast.unsolicited_report_interval",
                      m.unsolicited_report_interval, above_0, hour, "IGMPv3 Unsolicited Report Interval (RFC 3376 §8.11)"));
    c.key(seconds_key("multicast-query-interval", "multicast.query_interval", m.query_interval, above_0, day,
                      "IGMP Query Interval assumed when a query gives none (RFC 3376 §8.2)"));
    c.key(seconds_key("multicast-query-response-interval", "multicast.query_response_interval", m.query_response_interval,
                      above_0, hour, "IGMP Query Response Interval (RFC 3376 §8.3)"));
    c.key(count_key("multicast-ttl", "multicast.multicast_ttl", m.multicast_ttl, 1, 255, "hops",
                    "TTL of multicast we send (RFC 1112 §6.1)"));
    auto& t = s.tcp;
    c.key(count_key("tcp-max-connections", "tcp.max_connections", t.max_connections, 1, 1u << 20, "connections",
                    "TCP connections at once, TIME_WAIT included"));
    c.key(count_key("tcp-max-listeners", "tcp.max_listeners", t.max_listeners, 1, 65535, "ports", "TCP listening ports"));
    c.key(count_key("tcp-syn-backlog", "tcp.syn_backlog", t.syn_backlog, 1, 65535, "connections",
                    "TCP half-open connections per listener"));
    c.key(count_key("tcp-send-buffer", "tcp.send_buffer", t.send_buffer, 2048, 64u << 20, "bytes",
                    "TCP bytes a connection may hold unacknowledged or unsent"));
    c.key(count_key("tcp-receive-buffer", "tcp.receive_buffer", t.receive_buffer, 2048, 64u << 20, "bytes",
                    "TCP bytes a connection may hold for the application (at most 65535 << tcp-window-scale)"));
    c.key(count_key("tcp-out-of-order-segments", "tcp.out_of_order_segments", t.out_of_order_segments, 0, 65536, "segments",
                    "TCP segments kept beyond a gap (RFC 9293 §3.10.7.4)"));
    c.key(seconds_key("tcp-msl", "tcp.msl", t.msl, above_0, hour, "TCP Maximum Segment Lifetime; TIME_WAIT lasts 2*MSL"));
    // rto-min before rto-initial: a floor above the initial timeout raises it unless the
    // initial timeout is set too (then validation checks the pair).
    config_key rto_min = seconds_key("tcp-rto-min", "tcp.rto_min", t.rto_min, above_0, duration::s(60),
                                     "TCP: the retransmission timeout's floor (RFC 6298 (2.4) says 1; 200 ms as Linux)");
    rto_min.set = [&t, set = rto_min.set](std::string_view v) -> result<void> {
        if (auto ok = set(v); !ok) return ok;
        if (t.rto_initial < t.rto_min) t.rto_initial = t.rto_min;
        return {};
    };
    c.key(std::move(rto_min));
    c.key(seconds_key("tcp-rto-initial", "tcp.rto_initial", t.rto_initial, above_0, hour, "TCP initial retransmission timeout (RFC 6298 (2.1))"));
    c.key(seconds_key("tcp-rto-max", "tcp.rto_max", t.rto_max, above_0, hour, "TCP: the retransmission timeout's ceiling (RFC 6298 (2.5))"));
    c.key(count_key("tcp-max-retransmits", "tcp.max_retransmits", t.max_retransmits, 1, 255, "count",
                    "TCP retransmissions of one segment before the connection is given up"));
    c.key(seconds_key("tcp-connect-timeout", "tcp.connect_timeout", t.connect_timeout, above_0, hour,
                      "TCP: default connect timeout (SYN retransmissions)"));
    c.key(bool_key("tcp-delayed-ack", "tcp.delayed_ack", t.delayed_ack,
                   "TCP delayed ACKs (RFC 1122 §4.2.3.2); off: ACK at the end of each poll"));
    c.key(seconds_key("tcp-delayed-ack-timeout", "tcp.delayed_ack_timeout", t.delayed_ack_timeout, above_0, duration::ms(500),
                      "TCP: how long an ACK may wait with tcp-delayed-ack (RFC 1122 §4.2.3.2: under 0.5 s)"));
    c.key(bool_key("tcp-nagle", "tcp.nagle", t.nagle, "TCP Nagle algorithm (RFC 896, RFC 1122 §4.2.3.4); off for latency"));
    c.key(bool_key("tcp-timestamps", "tcp.timestamps", t.timestamps, "TCP timestamps (RFC 7323: RTTM, PAWS)"));
    c.key(bool_key("tcp-sack", "tcp.sack", t.sack, "TCP SACK-permitted and SACK blocks (RFC 2018)"));
    c.key(bool_key("tcp-tail-loss-probe", "tcp.tail_loss_probe", t.tail_loss_probe, "TCP tail loss probe (RFC 8985 §7; needs SACK)"));
    c.key(seconds_key("tcp-pto-min", "tcp.pto_min", t.pto_min, above_0, duration::s(60),
                      "TCP: floor of the tail loss probe's timeout (RFC 8985 §7.2)"));
    c.key(seconds_key("tcp-tlp-delayed-ack", "tcp.tlp_delayed_ack", t.tlp_delayed_ack, duration{}, duration::s(60),
                      "TCP: how long the peer may delay an ACK, added to the tail loss probe's wait when one segment "
                      "is in flight (0 for a peer that ACKs at once; RFC 8985 §7.2 WCDelAckT)"));
    c.key(count_key("tcp-window-scale", "tcp.window_scale", t.window_scale, 0, 14, "shift",
                    "TCP window scale we offer (RFC 7323 §2.3)"));
    c.key(bool_key("tcp-keepalive", "tcp.keepalive", t.keepalive, "TCP keepalive probes (RFC 1122 §4.2.3.6)"));
    c.key(seconds_key("tcp-keepalive-idle", "tcp.keepalive_idle", t.keepalive_idle, above_0, duration::s(7 * 86400),
                      "TCP: idle time before the first keepalive probe"));
    c.key(seconds_key("tcp-keepalive-interval", "tcp.keepalive_interval", t.keepalive_interval, above_0, day,
                      "TCP: time between keepalive probes"));
    c.key(count_key("tcp-keepalive-probes", "tcp.keepalive_probes", t.keepalive_probes, 1, 255, "count",
                    "TCP: unanswered keepalive probes before the connection is dropped"));
    c.key(count_key("tcp-challenge-ack-limit", "tcp.challenge_ack_limit", t.challenge_ack_limit, 0, 1'000'000, "per second",
                    "TCP challenge ACKs per second at most (RFC 5961 §7)"));
    c.key(bool_key("tcp-syn-cookies", "tcp.syn_cookies", t.syn_cookies, "TCP SYN cookies when a listener's backlog is full (RFC 4987 §3.6)"));
    c.key(count_key("icmp-error-rate", "icmp_error_rate", s.icmp_error_rate, 0, 1'000'000, "per second",
                    "ICMP errors sent per second at most (RFC 1812 §4.3.2.8; 0: none)"));
    c.key(count_key("icmp-error-burst", "icmp_error_burst", s.icmp_error_burst, 0, 1'000'000, "errors",
                    "ICMP errors sent in one burst at most"));
}

} // namespace tachyon
