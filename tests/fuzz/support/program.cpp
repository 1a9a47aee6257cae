/// The structure-aware harness: set-up (a listener and two handshakes), the application's
/// callbacks with their oracles and reactions, and the end (everything closed, listener probed,
/// pools counted). The ops are in program_ops.cpp, the transmit-side oracles in program_checks.cpp.

#include "support/program.hpp"

#include <cstdio>
#include <cstdlib>

#include "support/fuzz_target.hpp"

namespace tachyon::fuzz {

namespace tf = wire::tcp_flags;

uint8_t peer_byte(uint32_t seq) {
    const uint32_t x = seq * 2654435761u;
    return uint8_t((x >> 24) ^ (x >> 11));
}

uint8_t app_byte(uint32_t salt, uint64_t offset) {
    const uint64_t x = (offset + salt) * 0x9e3779b97f4a7c15ull;
    return uint8_t(x >> 56);
}

bool tracing() {
    static const bool on = std::getenv("TACHYON_FUZZ_TRACE") != nullptr;
    return on;
}

program_run::program_run(const uint8_t* data, size_t size) : _in(data, size), _scratch(send_sizes.back()) {
    _config[0] = _in.u8();
    _config[1] = _in.u8();
    stack_config c = rig_config();
    c.tcp.delayed_ack = (_config[0] & 0x40) != 0;
    _rig = std::make_unique<stack_rig>(c);
    _rig->on_sent([this](const sent_frame& f, std::span<const std::byte>) { on_sent(f); });
    auto l = _rig->st().tcp_listen(listen_port, 4, &program_run::on_accept, this);
    FUZZ_CHECK(l.ok(), "listen failed");
    handshakes();
    check_all();
}

void program_run::handshakes() {
    // The peer connects to the listener: SYN, SYN-ACK, ACK.
    op_syn(_config[0] & 0x0f, 0x10000000u);
    op_complete(_peers[0]);
    FUZZ_CHECK(_peers[0].app >= 0, "the first passive handshake did not complete");
    stack& st = _rig->st();
    const tcp_id passive = _apps[size_t(_peers[0].app)].id;
    if (_config[0] & 0x80) (void)st.tcp_set_nodelay(passive, false);
    // The stack connects to the peer: SYN, SYN-ACK, ACK.
    connect_to(peer_service_port, 0x20000000u, _config[1] & 0x0f, duration::s(3));
    FUZZ_CHECK(_peers.size() == 2 && _peers[1].app >= 0, "tcp_connect failed");
    op_complete(_peers[1]);
    const app_conn& active = _apps[size_t(_peers[1].app)];
    FUZZ_CHECK(active.have_rx, "the active handshake did not complete");
    if (_config[0] & 0x20) (void)st.tcp_set_keepalive(active.id, true, _rig->now());
}

void program_run::run() {
    for (int n = 0; n < 512 && !_in.empty(); ++n) {
        step();
        check_all();
    }
    final_checks();
}

void program_run::final_checks() {
    _final = true;
    stack& st = _rig->st();
    for (const udp_id id : _udp) st.udp_close(id, _rig->now());
    _udp.clear();
    // Everything closed, every half-open, TIME-WAIT and ARP resolution run out.
    for (int round = 0; round < 16; ++round) {
        for (size_t i = 0; i < _apps.size(); ++i)
            if (_apps[i].live) (void)st.tcp_abort(_apps[i].id, _rig->now());
        _rig->collect();
        _rig->advance(duration::ms(700));
        check_all();
    }
    for (const app_conn& a : _apps) FUZZ_CHECK(!a.live, "id %u still open after abort", a.id);
    // A listener answers a new SYN once every half-open has expired (its backlog is free again).
    const uint64_t full_before = st.stats().tcp.drop_syn_backlog_full;
    op_syn(0x01, 0x30000000u);
    peer_conn& probe = _peers.back();
    FUZZ_CHECK(probe.know_stack_isn,
               "the listener does not answer a SYN with every half-open gone (backlog full: %llu -> %llu)",
               (unsigned long long)full_before, (unsigned long long)st.stats().tcp.drop_syn_backlog_full);
    send_segment(probe, tf::rst, probe.iss + 1, 0, 0, {}, 0);
    _rig->advance(duration::s(5));
    _rig->check_pools_quiet();
    _rig->destroy_and_check_pools();
}

namespace {

/// The sequence number of the first byte `on_data` has not shown yet: RCV.NXT less the bytes
/// queued and the FIN, when one arrived (data can come with the handshake's last segment).
seq32 first_unread(const tcp_connection& c) {
    const tcp_state s = c.state();
    const bool fin = s == tcp_state::close_wait || s == tcp_state::closing || s == tcp_state::last_ack ||
                     s == tcp_state::time_wait;
    return c.rcv_nxt() - uint32_t(c.received_bytes()) - (fin ? 1u : 0u);
}

} // namespace

app_conn* program_run::app_for(tcp_id id, const char* where) {
    app_conn* dead = nullptr;
    for (app_conn& a : _apps) {
        if (a.id != id) continue;
        if (a.live) return &a;
        dead = &a;
    }
    FUZZ_CHECK(dead == nullptr, "%s for id %u after its on_closed", where, id);
    fail("%s for id %u, which the application was never given", where, id);
}

void program_run::check_tuple(const app_conn& a, const char* where) {
    const tcp_connection* c = _rig->st().tcp_connection_of(a.id);
    if (c == nullptr) return;
    const tcp_tuple& t = c->tuple();
    FUZZ_CHECK(t.remote_port == a.remote_port && t.local_port == a.local_port && t.remote_address == a.remote,
               "%s: id %u names %s:%u -> %u, handed out for %s:%u -> %u", where, a.id,
               t.remote_address.to_string().c_str(), t.remote_port, t.local_port, a.remote.to_string().c_str(),
               a.remote_port, a.local_port);
}

tcp_callbacks program_run::callbacks() {
    tcp_callbacks cb;
    cb.context = this;
    cb.on_connected = &program_run::on_connected;
    cb.on_data = &program_run::on_data;
    cb.on_writable = &program_run::on_writable;
    cb.on_closed = &program_run::on_closed;
    return cb;
}

void program_run::react(app_conn& a, callback cb) {
    if (_final || _depth >= 3) return;
    const reaction r = a.reactions[size_t(cb)];
    stack& st = _rig->st();
    app_conn* target = &a;
    if (r.what == action::close_other || r.what == action::abort_other || r.what == action::send_other)
        target = &_apps[r.arg % _apps.size()];
    ++_depth;
    switch (r.what) {
    case action::send:
    case action::send_other: op_send(*target, send_sizes[r.arg % send_sizes.size()]); break;
    case action::close_self:
    case action::close_other: (void)st.tcp_close(target->id, _rig->now()); break;
    case action::abort_self:
    case action::abort_other: (void)st.tcp_abort(target->id, _rig->now()); break;
    default: break;
    }
    --_depth;
}

void program_run::adopt_accepted(tcp_id id) {
    for (const app_conn& a : _apps)
        FUZZ_CHECK(!(a.live && a.id == id), "on_accept handed out id %u, which names a live connection", id);
    stack& st = _rig->st();
    const tcp_connection* c = st.tcp_connection_of(id);
    FUZZ_CHECK(c != nullptr, "on_accept with id %u, which names no connection", id);
    const tcp_tuple t = c->tuple();
    FUZZ_CHECK(t.local_port == listen_port && t.local_address == our_ip, "accepted on port %u", t.local_port);
    FUZZ_CHECK(c->snd_una() == c->snd_nxt(), "accepted with %d bytes in flight", c->snd_nxt() - c->snd_una());
    app_conn a;
    a.id = id;
    a.local_port = t.local_port;
    a.remote_port = t.remote_port;
    a.remote = t.remote_address;
    a.salt = uint32_t(_apps.size()) * 7919u;
    a.have_base = true;
    a.base = c->snd_nxt();
    a.have_rx = true;
    a.rx_next = first_unread(*c);
    if (t.remote_address == peer_ip) {
        if (peer_conn* p = find_peer(t.remote_port, t.local_port); p != nullptr && !p->active) {
            FUZZ_CHECK(p->app < 0 || !_apps[size_t(p->app)].live, "two live ids (%u, %u) on one 4-tuple",
                       p->app < 0 ? 0u : _apps[size_t(p->app)].id, id);
            a.peer = peer_index(p);
            p->app = int(_apps.size());
        }
    }
    _apps.push_back(a);
    if (_config[0] & 0x10) (void)st.tcp_set_keepalive(id, true, _rig->now());
    (void)st.tcp_set_callbacks(id, callbacks());
}

void program_run::on_accept(void* ctx, tcp_id id) { static_cast<program_run*>(ctx)->adopt_accepted(id); }

void program_run::on_connected(void* ctx, tcp_id id) {
    auto& self = *static_cast<program_run*>(ctx);
    app_conn& a = *self.app_for(id, "on_connected");
    self.check_tuple(a, "on_connected");
    FUZZ_CHECK(!a.have_rx, "on_connected twice for id %u", id);
    const tcp_connection* c = self._rig->st().tcp_connection_of(id);
    FUZZ_CHECK(c != nullptr, "on_connected for id %u, which names no connection", id);
    a.have_rx = true;
    a.rx_next = first_unread(*c);
    self.react(a, callback::connected);
}

size_t program_run::on_data(void* ctx, tcp_id id, std::span<const std::byte> bytes) {
    auto& self = *static_cast<program_run*>(ctx);
    app_conn& a = *self.app_for(id, "on_data");
    self.check_tuple(a, "on_data");
    if (bytes.empty()) {
        FUZZ_CHECK(!a.eof, "on_data told id %u of the end twice", id);
        a.eof = true;
        self.react(a, callback::data);
        return 0;
    }
    FUZZ_CHECK(!a.eof, "on_data shows id %u %zu bytes after the end of its stream", id, bytes.size());
    if (a.have_rx && a.peer >= 0) {
        for (size_t i = 0; i < bytes.size(); ++i)
            FUZZ_CHECK(uint8_t(bytes[i]) == peer_byte(a.rx_next.value() + uint32_t(i)),
                       "on_data for id %u: byte %zu of %zu (seq %u) is not the one the peer sent there", id, i,
                       bytes.size(), a.rx_next.value() + uint32_t(i));
    }
    const action how = a.reactions[size_t(callback::data)].what;
    const size_t consumed = how == action::stall ? 0 : how == action::consume_part ? (bytes.size() + 1) / 2 : bytes.size();
    a.rx_next += uint32_t(consumed);
    self.react(a, callback::data);
    return consumed;
}

void program_run::on_writable(void* ctx, tcp_id id) {
    auto& self = *static_cast<program_run*>(ctx);
    app_conn& a = *self.app_for(id, "on_writable");
    self.check_tuple(a, "on_writable");
    self.react(a, callback::writable);
}

void program_run::on_closed(void* ctx, tcp_id id, tcp_close_reason reason) {
    auto& self = *static_cast<program_run*>(ctx);
    app_conn& a = *self.app_for(id, "on_closed");
    self.check_tuple(a, "on_closed");
    FUZZ_CHECK(reason != tcp_close_reason::none, "on_closed for id %u without a reason", id);
    a.live = false;
    self.react(a, callback::closed);
}

void program_run::on_datagram(void* ctx, const datagram& d) {
    (void)ctx;
    uint32_t sum = 0;
    for (const std::byte b : d.payload) sum += uint32_t(b); // every byte of the view must be readable
    FUZZ_CHECK(d.payload.size() <= 1472 && (sum != 0xffffffffu), "a datagram of %zu bytes", d.payload.size());
}

} // namespace tachyon::fuzz
