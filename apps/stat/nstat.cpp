#include "apps/stat/nstat.hpp"

namespace tachyon::stat {

namespace {

// Calls f(term, negative) for each term of `terms`.
template <class F>
void each_term(std::string_view terms, F&& f) {
    while (!terms.empty()) {
        const size_t space = terms.find(' ');
        std::string_view t = terms.substr(0, space);
        terms = space == std::string_view::npos ? std::string_view() : terms.substr(space + 1);
        if (t.empty()) continue;
        const bool negative = t.front() == '-';
        f(negative ? t.substr(1) : t, negative);
    }
}

} // namespace

const std::vector<nstat_definition>& nstat_definitions() {
    // MIB-II (RFC 1213 §6) as Linux counts it (/proc/net/snmp), and Linux's TcpExt (/proc/net/netstat).
    static const std::vector<nstat_definition> defs = {
        // Every datagram received, errors included: the valid ones and each header or address drop.
        {"IpInReceives", "ipv4.rx_packets ipv4.drop_truncated ipv4.drop_bad_version ipv4.drop_bad_header_length "
                         "ipv4.drop_bad_total_length ipv4.drop_bad_checksum ipv4.drop_bad_source "
                         "ipv4.drop_not_for_us ipv4.drop_not_joined ipv4.drop_fragment"},
        {"IpInHdrErrors", "ipv4.drop_truncated ipv4.drop_bad_version ipv4.drop_bad_header_length "
                          "ipv4.drop_bad_total_length ipv4.drop_bad_checksum"},
        {"IpInAddrErrors", "ipv4.drop_not_for_us ipv4.drop_bad_source"},
        {"IpInUnknownProtos", "ipv4.drop_unknown_protocol"},
        {"IpInDelivers", "ipv4.rx_packets -ipv4.drop_unknown_protocol"},
        {"IpOutRequests", "ipv4.tx_packets"},
        {"IpOutNoRoutes", "ipv4.drop_no_route"},
        {"IpReasmReqds", "ipv4.drop_fragment"},
        {"IcmpInMsgs", "icmp.rx_echo_requests icmp.rx_echo_replies icmp.rx_unreachable icmp.drop_unhandled_type "
                       "icmp.drop_broadcast_echo icmp.drop_truncated icmp.drop_bad_checksum"},
        {"IcmpInErrors", "icmp.drop_truncated icmp.drop_bad_checksum"},
        {"IcmpInCsumErrors", "icmp.drop_bad_checksum"},
        {"IcmpInDestUnreachs", "icmp.rx_unreachable"},
        {"IcmpInEchos", "icmp.rx_echo_requests"},
        {"IcmpInEchoReps", "icmp.rx_echo_replies"},
        {"IcmpOutMsgs", "icmp.tx_echo_replies icmp.tx_echo_requests udp.tx_port_unreachable"},
        {"IcmpOutDestUnreachs", "udp.tx_port_unreachable"},
        {"IcmpOutEchos", "icmp.tx_echo_requests"},
        {"IcmpOutEchoReps", "icmp.tx_echo_replies"},
        {"TcpActiveOpens", "tcp.active_opens"},
        {"TcpPassiveOpens", "tcp.passive_opens"},
        {"TcpInSegs", "tcp.rx_segments"},
        {"TcpOutSegs", "tcp.tx_segments"},
        {"TcpRetransSegs", "tcp.retransmits tcp.fast_retransmits"},
        {"TcpInErrs", "tcp.drop_truncated tcp.drop_bad_header_length tcp.drop_bad_checksum tcp.drop_bad_option"},
        {"TcpOutRsts", "tcp.tx_resets"},
        {"TcpInCsumErrors", "tcp.drop_bad_checksum"},
        {"UdpInDatagrams", "udp.rx_datagrams"},
        {"UdpNoPorts", "udp.drop_no_socket"},
        // Linux counts receive-buffer overflows and checksum errors in InErrors too.
        {"UdpInErrors", "udp.drop_truncated udp.drop_bad_length udp.drop_bad_checksum udp.drop_queue_full"},
        {"UdpOutDatagrams", "udp.tx_datagrams"},
        {"UdpRcvbufErrors", "udp.drop_queue_full"},
        {"UdpInCsumErrors", "udp.drop_bad_checksum"},
        {"TcpExtSyncookiesSent", "tcp.syncookies_sent"},
        {"TcpExtSyncookiesRecv", "tcp.syncookies_recv"},
        {"TcpExtSyncookiesFailed", "tcp.syncookies_failed"},
        {"TcpExtPAWSEstab", "tcp.drop_paws"},
        {"TcpExtListenDrops", "tcp.drop_syn_backlog_full"},
        {"TcpExtTCPTimeouts", "tcp.rto_expirations"},
        {"TcpExtTCPFastRetrans", "tcp.fast_retransmits"},
        {"TcpExtTCPSackRecovery", "tcp.sack_recoveries"},
        {"TcpExtTCPDSACKRecv", "tcp.dsacks_received"},
        {"TcpExtTCPLossProbes", "tcp.loss_probes"},
        {"TcpExtTCPLossProbeRecovery", "tcp.loss_probe_recoveries"},
        {"TcpExtTCPChallengeACK", "tcp.challenge_acks"},
        {"TcpExtTCPOFOQueue", "tcp.out_of_order"},
        {"TcpExtTCPOFODrop", "tcp.drop_out_of_order_full"},
        {"TcpExtTCPRcvQDrop", "tcp.drop_receive_queue_full"},
        {"TcpExtTCPWinProbe", "tcp.window_probes"},
        {"TcpExtTCPKeepAlive", "tcp.keepalive_probes"},
        {"TcpExtTCPAbortOnTimeout", "tcp.closed_timeout"},
    };
    return defs;
}

std::vector<std::pair<std::string_view, uint64_t>> nstat_values(const flat_counters& counters) {
    std::vector<std::pair<std::string_view, uint64_t>> out;
    out.reserve(nstat_definitions().size());
    for (const auto& d : nstat_definitions()) {
        uint64_t v = 0;
        each_term(d.terms, [&](std::string_view t, bool negative) {
            const auto it = counters.find(t);
            const uint64_t x = it == counters.end() ? 0 : it->second;
            v = negative ? v - x : v + x;
        });
        out.emplace_back(d.name, v);
    }
    return out;
}

std::vector<std::string> nstat_unknown_terms(const flat_counters& counters) {
    std::vector<std::string> out;
    for (const auto& d : nstat_definitions())
        each_term(d.terms, [&](std::string_view t, bool) {
            if (counters.find(t) == counters.end()) out.push_back(std::string(d.name) + ": " + std::string(t));
        });
    return out;
}

} // namespace tachyon::stat
