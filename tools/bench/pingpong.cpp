#include "tools/bench/pingpong.hpp"

#include <cstdio>

#include "api/runtime.hpp"

namespace tachyon::bench {

const char* mode_name(proto p) {
    switch (p) {
    case proto::udp:
        return "udp-pingpong";
    case proto::icmp:
        return "icmp-pingpong";
    default:
        return "tcp-pingpong";
    }
}

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

} // namespace tachyon::bench
