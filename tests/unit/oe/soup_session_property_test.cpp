/// The client session against a plain model under random operations: connects, logins
/// accepted from a random point at or before what was asked (sometimes after it), data,
/// heartbeats, time passing, drops mid-stream, sends and logouts, with the server's bytes cut
/// at random. Invariants: the same state and next expected number as the model, every
/// sequence number delivered exactly once and in order with its own payload, duplicates and
/// heartbeats counted as the model counts them.

#include "apps/oe/soup_session.hpp"

#include <random>

#include <gtest/gtest.h>

#include "unit/oe/session_host.hpp"

namespace tachyon::oe {
namespace {

using namespace test;
using st = soup_session_state;

/// The session as a few plain variables.
struct model {
    st state = st::idle;
    bool final = false;
    bool numbered = false; // a Login Accepted came on this connection
    uint64_t next = 1;
    uint64_t rx = 0;
    uint64_t duplicates = 0;
    uint64_t heartbeats = 0;
    instant last_sent, last_heard;
    bool live() const { return state == st::login_sent || state == st::logged_in || state == st::logout_sent; }
};

TEST(soup_session_property, random_sessions_match_the_model) {
    std::mt19937_64 rng(20261129);
    const duration hb = duration::s(1), timeout = duration::s(15);
    for (int run = 0; run < 300; ++run) {
        session_host h;
        soup_session s(soup_session_config::make("TRADER", "SECRET"));
        model m;
        instant now = instant::from_ns(0);
        uint64_t cursor = 0; // the server's next sequence number on this connection
        std::vector<std::byte> pending; // server bytes not yet fed
        const auto flush = [&] {
            const size_t cut = pending.empty() ? 0 : rng() % (pending.size() + 1);
            s.receive(std::span(pending).first(cut), now, h);
            s.receive(std::span(pending).subspan(cut), now, h);
            pending.clear();
        };
        const auto model_data = [&] {
            const uint64_t seq = m.rx++;
            if (seq < m.next) ++m.duplicates;
            else m.next = seq + 1;
        };
        for (int op = 0; op < 200; ++op) {
            switch (rng() % 9) {
            case 0: // connect
                if (m.state != st::idle) break;
                ASSERT_TRUE(s.connected(now, h));
                {
                    auto sent = h.take();
                    ASSERT_EQ(sent.size(), 1u);
                    soup_login_request req;
                    ASSERT_EQ(soup_parse(soup_packet{soup_type::login_request, sent[0].payload}, req), soup_error::ok);
                    ASSERT_EQ(req.sequence.value, m.next);
                }
                m.state = st::login_sent;
                m.numbered = false;
                m.last_sent = m.last_heard = now;
                break;
            case 1: { // the server accepts from `start` and sends a few messages
                if (m.state != st::login_sent) break;
                const uint64_t back = rng() % 4;
                uint64_t start = m.next > back ? m.next - back : 1;
                if (rng() % 80 == 0) start = m.next + 1 + rng() % 3; // from the future
                pending = cat({pending, accepted("SESS1", start)});
                m.last_heard = now;
                if (start > m.next) {
                    m.state = st::failed;
                    m.final = true;
                    break;
                }
                m.state = st::logged_in;
                m.numbered = true;
                m.rx = cursor = start;
                for (uint64_t k = rng() % 5; k > 0; --k) {
                    pending = cat({pending, data("m" + std::to_string(cursor++))});
                    model_data();
                }
                break;
            }
            case 2: // data
                if (!m.numbered || (m.state != st::logged_in && m.state != st::logout_sent)) break;
                pending = cat({pending, data("m" + std::to_string(cursor++))});
                model_data();
                m.last_heard = now;
                break;
            case 3: // server heartbeat
                if (!m.live()) break;
                pending = cat({pending, packet(soup_type::server_heartbeat)});
                m.last_heard = now;
                break;
            case 4: { // time passes; timers run
                flush();
                now += duration::ms(int64_t(rng() % 3000));
                s.poll(now, h);
                if (m.live() && now - m.last_heard >= timeout) {
                    m.state = st::failed;
                } else if (m.state == st::logged_in && now - m.last_sent >= hb) {
                    ++m.heartbeats;
                    m.last_sent = now;
                }
                break;
            }
            case 5: // the connection drops, perhaps inside a packet (its first bytes came)
                flush();
                if (m.state == st::logged_in && rng() % 2 == 0) {
                    const auto partial = data("lost");
                    s.receive(std::span(partial).first(1 + rng() % (partial.size() - 1)), now, h);
                }
                s.disconnected(h);
                if (!m.final && m.state != st::ended) m.state = st::idle;
                break;
            case 6: { // the client sends
                const auto u = packet(soup_type::unsequenced_data, bytes({0x4f}));
                flush();
                const auto r = s.send(u, now, h);
                ASSERT_EQ(r == soup_send_result::sent, m.state == st::logged_in);
                if (r == soup_send_result::sent) m.last_sent = now;
                break;
            }
            case 7: // logout
                flush();
                if (s.logout(now, h)) {
                    ASSERT_TRUE(m.state == st::logged_in || m.state == st::login_sent);
                    m.state = st::logout_sent;
                    m.last_sent = now;
                } else {
                    ASSERT_FALSE(m.state == st::logged_in || m.state == st::login_sent);
                }
                break;
            default: flush(); break;
            }
            if (rng() % 3 == 0) flush();
            if (pending.empty()) {
                ASSERT_EQ(s.state(), m.state) << "run " << run << " op " << op;
                ASSERT_EQ(s.next_expected(), m.next);
                ASSERT_EQ(s.stats().duplicates, m.duplicates);
                ASSERT_EQ(s.stats().heartbeats_sent, m.heartbeats);
            }
            (void)h.take();
        }
        flush();
        // Every number from 1 delivered once, in order, with its own payload.
        ASSERT_EQ(h.seqs.size(), s.next_expected() - 1);
        for (size_t i = 0; i < h.seqs.size(); ++i) {
            ASSERT_EQ(h.seqs[i], i + 1);
            ASSERT_EQ(as_text(h.messages[i]), "m" + std::to_string(i + 1));
        }
    }
}

} // namespace
} // namespace tachyon::oe
