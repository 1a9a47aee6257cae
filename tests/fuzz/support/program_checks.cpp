/// The oracles on what the stack sends (each segment in its connection's sequence space, each
/// byte the one the application queued at that sequence number) and on every live id after each
/// op (it names its 4-tuple; everything acknowledged means the whole send buffer is free).

#include <algorithm>
#include <cstdio>

#include "support/fuzz_target.hpp"
#include "support/program.hpp"

namespace tachyon::fuzz {

namespace tf = wire::tcp_flags;

peer_conn* program_run::find_peer(uint16_t peer_port, uint16_t our_port) {
    for (peer_conn& p : _peers)
        if (p.peer_port == peer_port && p.our_port == our_port) return &p;
    return nullptr;
}

int program_run::peer_index(const peer_conn* p) const {
    for (size_t i = 0; i < _peers.size(); ++i)
        if (&_peers[i] == p) return int(i);
    return -1;
}

void program_run::on_sent(const sent_frame& f) {
    if (!f.is_tcp || f.ip.dst != peer_ip) return;
    if (tracing())
        std::fprintf(stderr, "  stack %u -> %u flags 0x%02x seq %u ack %u wnd %u len %zu\n", f.tcp.src_port,
                     f.tcp.dst_port, f.tcp.flags, f.tcp.seq.value(), f.tcp.ack.value(), f.tcp.window,
                     f.tcp_payload.size());
    peer_conn* p = find_peer(f.tcp.dst_port, f.tcp.src_port);
    if (p == nullptr) return;
    check_segment_space(*p, f);
    if (p->app >= 0) check_app_bytes(_apps[size_t(p->app)], f);
}

void program_run::check_segment_space(peer_conn& p, const sent_frame& f) {
    const seq32 seq = f.tcp.seq;
    const uint32_t len = f.tcp.segment_len(f.tcp_payload.size());
    if (f.tcp.has(tf::syn)) {
        // A SYN or SYN-ACK: the connection on this 4-tuple (re)starts at this ISN.
        p.know_stack_isn = true;
        p.stack_isn = seq.value();
        p.stack_end = (seq + len).value();
    } else {
        const bool in_space =
            p.know_stack_isn && wire::between_inclusive(seq32{p.stack_isn}, seq, seq32{p.stack_end});
        // RFC 9293 §3.10.7: a reset answering a segment takes its SEQ from that segment's ACK
        // (or is 0 with ACK set): those numbers are the peer's, not the connection's.
        const bool answers_peer =
            f.tcp.has(tf::rst) &&
            (seq.value() == 0 || std::find(p.acks_sent.begin(), p.acks_sent.end(), seq.value()) != p.acks_sent.end());
        FUZZ_CHECK(in_space || answers_peer,
                   "sent flags 0x%02x seq %u len %u on %u -> %u, outside that connection's sequence space [%u, %u] "
                   "(a segment for another connection?)",
                   f.tcp.flags, seq.value(), len, f.tcp.src_port, f.tcp.dst_port, p.stack_isn, p.stack_end);
        if (in_space) p.stack_end = wire::seq_max(seq32{p.stack_end}, seq + len).value();
    }
    if (f.tcp.has(tf::ack)) p.stack_acked = f.tcp.ack.value();
    if (f.tcp.options.has_timestamps) p.ts_echo = f.tcp.options.ts_val;
}

void program_run::check_app_bytes(const app_conn& a, const sent_frame& f) {
    if (!a.have_base || f.tcp.has(tf::syn) || f.tcp.has(tf::rst)) return;
    const uint32_t off = f.tcp.seq.value() - a.base.value();
    const size_t n = f.tcp_payload.size();
    if (n > 0) {
        FUZZ_CHECK(uint64_t(off) + n <= a.sent,
                   "id %u sent %zu bytes at offset %u, but the application queued only %llu", a.id, n, off,
                   (unsigned long long)a.sent);
        for (size_t i = 0; i < n; ++i)
            FUZZ_CHECK(uint8_t(f.tcp_payload[i]) == app_byte(a.salt, uint64_t(off) + i),
                       "id %u sent at offset %llu a byte the application did not queue there (segment of %zu at %u)",
                       a.id, (unsigned long long)(uint64_t(off) + i), n, off);
    }
    if (f.tcp.has(tf::fin))
        FUZZ_CHECK(uint64_t(off) + n == a.sent, "id %u sent FIN at offset %llu, after %llu bytes queued", a.id,
                   (unsigned long long)(uint64_t(off) + n), (unsigned long long)a.sent);
}

void program_run::check_all() {
    const stack& st = _rig->st();
    for (const app_conn& a : _apps) {
        if (!a.live) continue;
        const tcp_connection* c = st.tcp_connection_of(a.id);
        FUZZ_CHECK(c != nullptr, "id %u (port %u -> %u) is gone without on_closed", a.id, a.local_port, a.remote_port);
        check_tuple(a, "after an op");
        const tcp_state s = c->state();
        if ((s != tcp_state::established && s != tcp_state::close_wait) || c->send_closed() || !a.have_base) continue;
        const uint32_t acked = c->snd_una().value() - a.base.value();
        if (acked == uint32_t(a.sent) && c->snd_una() == c->snd_nxt())
            FUZZ_CHECK(st.tcp_send_space(a.id) == std::min(c->send_buffer(), c->send_queue_slots() * c->send_mss()),
                       "id %u: all %llu bytes acknowledged, nothing in flight, yet send space is %zu of %zu", a.id,
                       (unsigned long long)a.sent, st.tcp_send_space(a.id), c->send_buffer());
    }
}

} // namespace tachyon::fuzz
