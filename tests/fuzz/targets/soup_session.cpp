/// libFuzzer target for the SoupBinTCP client session (apps/oe/soup_session.hpp) on a manual
/// clock. The input is a config byte (the largest Packet Length accepted, the first sequence
/// number asked for) and then ops, each one byte and its operands: connect, disconnect, server
/// bytes as they come (random), a server packet built from the input (Login Accepted naming a
/// number near the one asked for, Login Rejected, Sequenced Data, heartbeat, End of Session,
/// Debug, a client's type), cut in two receives; time passing (1 ms to 20 s), poll, a user's
/// send (a whole Unsequenced Data packet, or any bytes), logout, the host's send space.
///
/// Oracles, after every op: the host saw every state change and the session's state is the
/// last one; rejected, ended and a login from the future are final (nothing changes them);
/// each state's error is the one it implies; every byte sent is a whole client packet, never
/// more than the send space; each login asks for `next_expected()`; Sequenced Data is
/// delivered with consecutive numbers, each once, and `next_expected()` follows it; a refused
/// send sends nothing; the counters match what the host saw; after `poll` a live connection's
/// next deadline is in the future unless a heartbeat was blocked; no deadline without one.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "apps/oe/soup_session.hpp"
#include "apps/oe/soup_stream.hpp"
#include "apps/oe/soupbintcp.hpp"
#include "support/byte_reader.hpp"
#include "support/fuzz_target.hpp"

namespace {

using namespace tachyon;
using namespace tachyon::oe;
using st = soup_session_state;

/// The session's host: a send buffer of `space` bytes, and what was delivered.
struct fuzz_host {
    size_t space = 1 << 16;
    std::vector<std::byte> out; // bytes sent since the last check
    uint64_t messages = 0;
    bool delivered_any = false;
    uint64_t last_seq = 0;
    st state = st::idle;

    size_t send_space() { return space; }
    void send(std::span<const std::byte> b) {
        FUZZ_CHECK(b.size() <= space, "sent %zu bytes into %zu of space", b.size(), space);
        space -= b.size();
        out.insert(out.end(), b.begin(), b.end());
    }
    void on_message(uint64_t seq, std::span<const std::byte>) {
        FUZZ_CHECK(!delivered_any || seq == last_seq + 1, "delivered %llu after %llu",
                   static_cast<unsigned long long>(seq), static_cast<unsigned long long>(last_seq));
        delivered_any = true;
        last_seq = seq;
        ++messages;
    }
    void on_state(st s) { state = s; }
};

/// What the test counted of the session's calls.
struct tally {
    uint64_t connects = 0, sent = 0, refused = 0, logouts = 0;
};

/// The packets in `bytes`, which must be whole client packets; clears them.
std::vector<soup_packet> take_packets(std::vector<std::byte>& bytes, std::vector<std::byte>& keep) {
    keep = bytes;
    bytes.clear();
    std::vector<soup_packet> got;
    soup_stream s;
    const soup_error e = s.feed(keep, [&](const soup_packet& p) { got.push_back(p); });
    FUZZ_CHECK(e == soup_error::ok && s.pending() == 0, "the session sent a partial or bad packet (%s)",
               to_string(e));
    for (const soup_packet& p : got)
        FUZZ_CHECK(soup_sent_by_client(p.type), "the session sent a server's packet '%c'", char(p.type));
    return got;
}

/// A server packet built from the input (see the file comment).
std::vector<std::byte> server_packet(tachyon::fuzz::byte_reader& in, const soup_session& s) {
    std::vector<std::byte> out(soup_header_len + 300);
    switch (in.below(8)) {
    case 0: { // Login Accepted: at, below or above the number asked for
        soup_login_accepted a;
        a.session = s.session_name();
        const uint64_t next = s.next_expected();
        const uint8_t how = in.u8();
        a.sequence.value = how < 160 ? next - std::min<uint64_t>(next, how % 8) : how < 240 ? next + 1 + how % 4
                                                                                          : in.u32();
        out.resize(soup_emit(a, out));
        return out;
    }
    case 1: {
        soup_login_rejected r;
        r.reason = char(in.u8());
        out.resize(soup_emit(r, out));
        return out;
    }
    case 2:
    case 3: {
        const auto payload = in.take(in.u8());
        out.resize(soup_emit(out, soup_type::sequenced_data,
                             std::span(reinterpret_cast<const std::byte*>(payload.data()), payload.size())));
        return out;
    }
    case 4: out.resize(soup_emit(out, soup_type::server_heartbeat)); return out;
    case 5: out.resize(soup_emit(out, soup_type::end_of_session)); return out;
    case 6: out.resize(soup_emit(out, soup_type::debug)); return out;
    default: out.resize(soup_emit(out, soup_type(in.u8()))); return out; // any type, no payload
    }
}

/// The invariants that hold between ops.
void check(const soup_session& s, const fuzz_host& h, const tally& t) {
    FUZZ_CHECK(h.state == s.state(), "the host was told %s, the session is %s", to_string(h.state),
               to_string(s.state()));
    switch (s.state()) {
    case st::rejected: FUZZ_CHECK(s.error() == soup_session_error::login_rejected, "rejected without its error"); break;
    case st::ended: FUZZ_CHECK(s.error() == soup_session_error::end_of_session, "ended without its error"); break;
    case st::failed:
        FUZZ_CHECK(s.error() == soup_session_error::sequence_from_future ||
                       s.error() == soup_session_error::server_silent || s.error() == soup_session_error::framing_lost,
                   "failed with error %s", to_string(s.error()));
        break;
    default: break;
    }
    FUZZ_CHECK(s.error_text().empty() == (s.error() == soup_session_error::none), "error text and error disagree");
    const auto& c = s.stats();
    FUZZ_CHECK(c.messages == h.messages, "messages counted %llu, delivered %llu",
               static_cast<unsigned long long>(c.messages), static_cast<unsigned long long>(h.messages));
    FUZZ_CHECK(!h.delivered_any || s.next_expected() == h.last_seq + 1, "next expected is not after the last delivered");
    FUZZ_CHECK(c.connects == t.connects && c.sent == t.sent && c.refused == t.refused && c.logouts == t.logouts,
               "the counters disagree with the calls");
    const bool live = s.state() == st::login_sent || s.state() == st::logged_in || s.state() == st::logout_sent;
    FUZZ_CHECK(live || s.next_deadline() == instant::never(), "a deadline with no connection");
}

} // namespace

TACHYON_FUZZ_TARGET(soup_session) {
    tachyon::fuzz::byte_reader in(data, size);
    const uint8_t config = in.u8();
    soup_session_config cfg = soup_session_config::make("TRADER", "SECRET", (config & 1) ? "SESSION001" : "");
    cfg.max_packet = (config & 2) ? size_t(64 + (config >> 2)) : soup_max_length;
    cfg.first_sequence = (config & 4) ? 0 : 1 + (config >> 3);
    soup_session s(cfg);
    fuzz_host h;
    tally t;
    instant now = instant::from_ns(1'000'000'000);
    std::vector<std::byte> sent;

    while (!in.empty()) {
        const bool final_before = !s.retryable();
        const st state_before = s.state();
        const soup_session_stats before = s.stats();
        switch (in.below(10)) {
        case 0: { // a new connection
            const uint64_t asked = s.next_expected();
            if (s.connected(now, h)) {
                ++t.connects;
                const auto packets = take_packets(h.out, sent);
                soup_login_request req;
                FUZZ_CHECK(packets.size() == 1 && soup_parse(packets[0], req) == soup_error::ok,
                           "connected sent no Login Request");
                FUZZ_CHECK(req.sequence.value == asked, "the login asked for another number than next_expected");
            } else {
                FUZZ_CHECK(h.out.empty() && s.state() == state_before, "a refused connect changed something");
            }
            break;
        }
        case 1: s.disconnected(h); break;
        case 2: { // server bytes as they come
            const auto b = in.take(in.u8());
            (void)s.receive(std::span(reinterpret_cast<const std::byte*>(b.data()), b.size()), now, h);
            break;
        }
        case 3:
        case 4: { // a server packet, cut in two
            const std::vector<std::byte> p = server_packet(in, s);
            const size_t cut = std::min<size_t>(in.u8(), p.size());
            (void)s.receive(std::span(p).first(cut), now, h);
            (void)s.receive(std::span(p).subspan(cut), now, h);
            break;
        }
        case 5: now += in.flag() ? duration::ms(1 + in.u16() % 2000) : duration::s(1 + in.below(20)); break;
        case 6: {
            s.poll(now, h);
            const bool live = s.state() == st::login_sent || s.state() == st::logged_in ||
                              s.state() == st::logout_sent;
            FUZZ_CHECK(!live || s.next_deadline() > now || s.stats().heartbeats_blocked > before.heartbeats_blocked,
                       "after poll a live connection's deadline is not in the future");
            break;
        }
        case 7: { // the user sends
            std::vector<std::byte> pkt(soup_header_len + 256);
            const auto payload = in.take(in.u8());
            const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(payload.data()), payload.size());
            if (in.flag()) {
                pkt.resize(soup_emit(pkt, soup_type::unsequenced_data, body));
            } else {
                pkt.assign(body.begin(), body.end()); // any bytes: whole packet or not
            }
            const size_t space = h.space;
            const soup_send_result r = s.send(pkt, now, h);
            if (r == soup_send_result::sent) {
                ++t.sent;
                FUZZ_CHECK(h.out.size() == pkt.size() && h.space == space - pkt.size(), "a send sent other bytes");
                (void)take_packets(h.out, sent);
            } else {
                ++t.refused;
                FUZZ_CHECK(h.out.empty(), "a refused send (%s) sent bytes", to_string(r));
            }
            break;
        }
        case 8:
            if (s.logout(now, h)) {
                ++t.logouts;
                const auto packets = take_packets(h.out, sent);
                FUZZ_CHECK(packets.size() == 1 && packets[0].type == soup_type::logout_request, "logout sent no Logout");
            }
            break;
        default: h.space = in.flag() ? in.u16() : size_t(in.below(4)); break; // room, or next to none
        }
        (void)take_packets(h.out, sent); // heartbeats
        if (final_before)
            FUZZ_CHECK(s.state() == state_before && !s.retryable(), "a final session moved from %s to %s",
                       to_string(state_before), to_string(s.state()));
        check(s, h, t);
    }
    return 0;
}
