/// The program's ops: each reads its arguments first (so that decoding never depends on the
/// state), then acts, when there is something to act on. See `op` in program.hpp.

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "stack/wire/checksum.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/igmp.hpp"
#include "support/fuzz_target.hpp"
#include "support/program.hpp"

namespace tachyon::fuzz {

namespace {

namespace tf = wire::tcp_flags;

constexpr std::array<duration, 16> steps = {
    duration::ms(1),   duration::ms(10), duration::ms(40), duration::ms(100), duration::ms(200), duration::ms(500),
    duration::s(1),    duration::s(2),   duration::s(3),   duration::s(4),    duration::s(5),    duration::s(8),
    duration::s(16),   duration::s(30),  duration::s(75),  duration::s(300)};
constexpr std::array<uint8_t, 16> flag_presets = {
    tf::ack,           tf::ack | tf::psh, tf::fin | tf::ack, tf::rst,        tf::rst | tf::ack,
    tf::syn,           tf::syn | tf::ack, 0 /* from the input */, tf::ack | tf::urg, 0,
    tf::syn | tf::fin, tf::fin,           tf::ack | tf::ece | tf::cwr, tf::syn | tf::ece | tf::cwr,
    tf::ack | tf::psh | tf::fin, tf::ack};
constexpr std::array<uint16_t, 8> windows = {0, 1, 64, 512, 1460, 8192, 32768, 65535};
constexpr std::array<size_t, 16> lengths = {0, 0, 1, 2, 10, 100, 500, 536, 1000, 1400, 1448, 1460, 1200, 64, 3, 7};

} // namespace

peer_conn* program_run::pick_peer() {
    const uint8_t b = _in.u8();
    return _peers.empty() ? nullptr : &_peers[b % _peers.size()];
}

app_conn* program_run::pick_app() {
    const uint8_t b = _in.u8();
    return _apps.empty() ? nullptr : &_apps[b % _apps.size()];
}

void program_run::step() {
    stack& st = _rig->st();
    const op o = op(_in.below(uint8_t(op::count)));
    if (tracing()) std::fprintf(stderr, "op %u at %lld ms\n", unsigned(o), (long long)(_rig->now().ns_since_epoch() / 1000000));
    switch (o) {
    case op::segment: op_segment(); break;
    case op::advance: {
        const uint8_t b = _in.u8();
        for (int i = 0; i < ((b & 0x80) ? 8 : 1); ++i) {
            _rig->advance(steps[b & 15]);
            check_all();
        }
        break;
    }
    case op::send: {
        app_conn* a = pick_app();
        const uint8_t size = _in.u8();
        if (a != nullptr) op_send(*a, send_sizes[size % send_sizes.size()]);
        break;
    }
    case op::close:
        if (app_conn* a = pick_app()) (void)st.tcp_close(a->id, _rig->now());
        break;
    case op::abort:
        if (app_conn* a = pick_app()) (void)st.tcp_abort(a->id, _rig->now());
        break;
    case op::react: {
        app_conn* a = pick_app();
        const uint8_t cb = _in.below(uint8_t(callback::count));
        const auto what = action(_in.below(uint8_t(action::count)));
        const uint8_t arg = _in.u8();
        if (a != nullptr) a->reactions[cb] = {what, arg};
        break;
    }
    case op::connect: op_connect(); break;
    case op::syn: {
        const uint8_t options = _in.u8();
        const uint32_t iss = _in.u32();
        if (_peers.size() < 16) op_syn(options, iss);
        break;
    }
    case op::complete:
        if (peer_conn* p = pick_peer()) op_complete(*p);
        break;
    case op::ack_all: {
        peer_conn* p = pick_peer();
        const uint16_t wnd = windows[_in.below(windows.size())];
        if (p != nullptr) send_segment(*p, tf::ack, rcv_anchor(*p), p->stack_end, wnd, peer_options(*p, false), 0);
        break;
    }
    case op::data: {
        peer_conn* p = pick_peer();
        const size_t len = lengths[_in.below(lengths.size())];
        const bool fin = _in.flag();
        if (p != nullptr)
            send_segment(*p, uint8_t(tf::ack | tf::psh | (fin ? tf::fin : 0)), rcv_anchor(*p), p->stack_end, 65535,
                         peer_options(*p, false), len);
        break;
    }
    case op::udp: op_udp(); break;
    case op::ping: op_ping(); break;
    case op::raw: op_raw(); break;
    case op::arp: op_arp(); break;
    case op::igmp_query: op_igmp_query(); break;
    case op::sockopt: op_sockopt(); break;
    case op::poll: _rig->poll(); break;
    case op::count: break;
    }
    _rig->collect();
}

const tcp_connection* program_run::conn_of(const peer_conn& p) const {
    if (p.app < 0 || !_apps[size_t(p.app)].live) return nullptr;
    return _rig->st().tcp_connection_of(_apps[size_t(p.app)].id);
}

uint32_t program_run::rcv_anchor(const peer_conn& p) const {
    const tcp_connection* c = conn_of(p);
    return c != nullptr ? c->rcv_nxt().value() : p.stack_acked;
}

uint32_t program_run::snd_anchor(const peer_conn& p) const {
    const tcp_connection* c = conn_of(p);
    return c != nullptr ? c->snd_nxt().value() : p.stack_end;
}

wire::tcp_options program_run::peer_options(peer_conn& p, bool syn) {
    wire::tcp_options o;
    const uint8_t b = p.syn_options;
    if (syn) {
        if (b & 1) {
            o.has_mss = true;
            o.mss = (_config[1] & 0x40) ? 536 : 1460;
        }
        if (b & 2) {
            o.has_window_scale = true;
            constexpr uint8_t scales[4] = {0, 2, 7, 14};
            o.window_scale = scales[(_config[1] >> 4) & 3];
        }
        o.sack_permitted = (b & 4) != 0;
    }
    if (b & 8) {
        o.has_timestamps = true;
        o.ts_val = ++p.ts_clock;
        o.ts_ecr = p.ts_echo;
    }
    return o;
}

void program_run::send_segment(peer_conn& p, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window,
                               const wire::tcp_options& opt, size_t len, bool corrupt) {
    wire::tcp_repr h;
    h.src_port = p.peer_port;
    h.dst_port = p.our_port;
    h.seq = seq32{seq};
    h.ack = seq32{ack};
    h.flags = flags;
    h.window = window;
    h.options = opt;
    const size_t hlen = h.emitted_header_len();
    len = std::min(len, 1500 - 20 - hlen);
    std::vector<std::byte> seg(hlen + len);
    const uint32_t first = seq + ((flags & tf::syn) ? 1 : 0);
    for (size_t i = 0; i < len; ++i) seg[hlen + i] = std::byte{peer_byte(first + uint32_t(i))};
    h.emit(seg, peer_ip, our_ip, len);
    if (corrupt) seg[16] ^= std::byte{0x01};
    p.acks_sent[p.acks_next++ % p.acks_sent.size()] = ack;
    if (flags & tf::ack) p.peer_ack = ack;
    if (tracing())
        std::fprintf(stderr, "  peer %u -> %u flags 0x%02x seq %u ack %u wnd %u len %zu\n", p.peer_port, p.our_port, flags,
                     seq, ack, window, len);
    (void)_rig->inject(stack_rig::ipv4(peer_ip, our_ip, wire::ip_protocol::tcp, seg));
    _rig->poll();
}

void program_run::op_segment() {
    const uint8_t bc = _in.u8(), bf = _in.u8(), seq_mode = _in.u8();
    const uint16_t sd = _in.u16();
    const uint8_t ack_mode = _in.u8();
    const uint16_t ad = _in.u16();
    const uint8_t bw = _in.u8(), bo = _in.u8(), bl = _in.u8();
    if (_peers.empty()) return;
    peer_conn& p = _peers[bc % _peers.size()];
    const uint8_t flags = (bf & 15) == 7 ? uint8_t(bf ^ bw) : flag_presets[bf & 15];
    const tcp_connection* c = conn_of(p);
    const uint32_t rcv = rcv_anchor(p);
    uint32_t seq = rcv;
    switch (seq_mode & 7) {
    case 1: seq = rcv + sd; break;
    case 2: seq = rcv - sd; break;
    case 3: seq = rcv + uint32_t(sd) * 64; break;
    case 4: seq = uint32_t(sd) << 16 | ad; break;
    case 5: seq = p.iss; break;
    case 6: seq = p.iss + 1; break;
    case 7: seq = rcv + 4096 - (sd & 0xff); break;
    default: break;
    }
    const uint32_t una = c != nullptr ? c->snd_una().value() : p.peer_ack;
    const uint32_t nxt = snd_anchor(p);
    const uint32_t max = p.stack_end;
    uint32_t ack = nxt;
    switch (ack_mode & 7) {
    case 1: ack = una; break;
    case 2: ack = una + (max - una + 1 != 0 ? ad % (max - una + 1) : ad); break;
    case 3: ack = max + ad; break;
    case 4: ack = una - ad; break;
    case 5: ack = uint32_t(ad) << 16 | sd; break;
    case 6: ack = p.stack_isn + 1; break;
    case 7: ack = max; break;
    default: break;
    }
    wire::tcp_options o;
    if (bo & 1) {
        o.has_timestamps = true;
        o.ts_val = (bo & 2) ? p.ts_clock - 5000 : ++p.ts_clock; // an old one: PAWS (RFC 7323 §5)
        o.ts_ecr = p.ts_echo;
    }
    if (bo & 0x0c) {
        const uint32_t left = una + (ad & 0xfff);
        o.sack_count = (bo & 8) ? 3 : 1;
        for (uint8_t i = 0; i < o.sack_count; ++i) {
            const uint32_t l = left + i * (1 + (sd & 0x7ff)) * 2;
            o.sack_blocks[i] = {seq32{l}, seq32{l + 1 + (sd & 0x7ff)}};
        }
    }
    if (bo & 0x10) {
        o.has_mss = true;
        o.mss = uint16_t(sd & 0x7ff);
    }
    if (bo & 0x20) {
        o.has_window_scale = true;
        o.window_scale = uint8_t(sd % 15);
    }
    o.sack_permitted = (bo & 0x40) != 0;
    send_segment(p, flags, seq, ack, windows[bw & 7], o, lengths[bl & 15], (bo & 0x80) != 0 && (bl & 0x80) != 0);
}

void program_run::op_send(app_conn& a, size_t size) {
    size = std::min(size, _scratch.size());
    for (size_t i = 0; i < size; ++i) _scratch[i] = std::byte{app_byte(a.salt, a.sent + i)};
    const size_t n = _rig->st().tcp_send(a.id, std::span(_scratch.data(), size), _rig->now());
    FUZZ_CHECK(n <= size, "tcp_send took %zu of %zu bytes", n, size);
    FUZZ_CHECK(a.live || n == 0, "tcp_send took %zu bytes on id %u after its on_closed", n, a.id);
    a.sent += n;
}

void program_run::op_connect() {
    const uint8_t port = _in.u8();
    const uint32_t iss = _in.u32();
    const uint8_t options = _in.u8();
    const uint8_t t = _in.u8();
    if (_peers.size() < 16)
        connect_to(uint16_t(peer_service_port + (port & 3)), iss, options & 0x0f, duration::ms(500 + 500 * (t & 15)));
}

void program_run::connect_to(uint16_t port, uint32_t iss, uint8_t syn_options, duration timeout) {
    stack& st = _rig->st();
    auto r = st.tcp_connect(peer_ip, port, callbacks(), timeout, _rig->now());
    if (!r.ok()) return;
    const tcp_id id = *r;
    for (const app_conn& a : _apps)
        FUZZ_CHECK(!(a.live && a.id == id), "tcp_connect handed out id %u, which names a live connection", id);
    const tcp_connection* c = st.tcp_connection_of(id);
    FUZZ_CHECK(c != nullptr, "tcp_connect returned id %u, which names no connection", id);
    const tcp_tuple t = c->tuple();
    FUZZ_CHECK(t.remote_port == port && t.remote_address == peer_ip, "tcp_connect to %u made %s:%u", port,
               t.remote_address.to_string().c_str(), t.remote_port);
    app_conn a;
    a.id = id;
    a.local_port = t.local_port;
    a.remote_port = port;
    a.remote = peer_ip;
    a.salt = uint32_t(_apps.size()) * 7919u;
    a.have_base = true;
    a.base = c->snd_nxt();
    peer_conn* p = find_peer(port, t.local_port);
    if (p == nullptr) {
        _peers.emplace_back();
        p = &_peers.back();
    }
    *p = peer_conn{};
    p->peer_port = port;
    p->our_port = t.local_port;
    p->active = true;
    p->iss = iss;
    p->syn_options = syn_options;
    p->stack_acked = iss + 1;
    a.peer = peer_index(p);
    p->app = int(_apps.size());
    _apps.push_back(a);
    _rig->collect(); // the SYN
}

void program_run::op_syn(uint8_t options, uint32_t iss) {
    _peers.emplace_back();
    peer_conn& p = _peers.back();
    p.peer_port = uint16_t(first_peer_port + _peers.size() - 1);
    p.our_port = listen_port;
    p.iss = iss;
    p.syn_options = options & 0x0f;
    p.stack_acked = iss + 1;
    const uint8_t flags = (options & 0x10) ? uint8_t(tf::syn | tf::ece | tf::cwr) : tf::syn;
    send_segment(p, flags, iss, 0, 65535, peer_options(p, true), 0);
}

void program_run::op_complete(peer_conn& p) {
    if (!p.know_stack_isn) return;
    if (p.active) {
        send_segment(p, tf::syn | tf::ack, p.iss, p.stack_isn + 1, 65535, peer_options(p, true), 0);
    } else {
        send_segment(p, tf::ack, p.iss + 1, p.stack_isn + 1, 65535, peer_options(p, false), 0);
    }
}

} // namespace tachyon::fuzz
