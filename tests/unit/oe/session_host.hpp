#pragma once
/// Test helpers for the client session: a host that records what the session sends and
/// delivers, and a server's packets built with the codec (whose bytes the golden tests check).

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "apps/oe/soup_session.hpp"
#include "apps/oe/soup_stream.hpp"
#include "apps/oe/soupbintcp.hpp"
#include "unit/oe/golden.hpp"

namespace tachyon::oe::test {

/// A packet the session sent: its type and payload.
struct sent_packet {
    soup_type type;                ///< Packet Type
    std::vector<std::byte> payload; ///< bytes after the type
};

/// Records the session's output; `space` limits what `send` may take.
struct session_host {
    std::vector<std::byte> out;      ///< every byte sent, in order
    size_t space = 1 << 20;          ///< what send_space() answers
    size_t sends = 0;                ///< calls to send
    std::vector<uint64_t> seqs;      ///< sequence numbers delivered, in order
    std::vector<std::vector<std::byte>> messages; ///< their payloads
    std::vector<soup_session_state> states;       ///< state changes

    /// The host contract.
    size_t send_space() { return space; }
    /// The host contract: takes all of `b` (the session checked the space).
    void send(std::span<const std::byte> b) {
        EXPECT_LE(b.size(), space);
        out.insert(out.end(), b.begin(), b.end());
        ++sends;
    }
    /// The host contract.
    void on_message(uint64_t seq, std::span<const std::byte> msg) {
        seqs.push_back(seq);
        messages.emplace_back(msg.begin(), msg.end());
    }
    /// The host contract.
    void on_state(soup_session_state s) { states.push_back(s); }

    /// The packets sent since the last call (whole packets; the session sends nothing partial).
    std::vector<sent_packet> take() {
        std::vector<sent_packet> got;
        soup_stream s;
        (void)s.feed(out, [&](const soup_packet& p) { got.push_back({p.type, {p.payload.begin(), p.payload.end()}}); });
        EXPECT_EQ(s.pending(), 0u);
        out.clear();
        return got;
    }
};

/// A whole packet of type `t` with `payload`.
inline std::vector<std::byte> packet(soup_type t, std::span<const std::byte> payload = {}) {
    std::vector<std::byte> b(soup_header_len + payload.size());
    (void)soup_emit(b, t, payload);
    return b;
}

/// A Sequenced Data packet carrying the text `s`.
inline std::vector<std::byte> data(const std::string& s) {
    return packet(soup_type::sequenced_data, std::as_bytes(std::span(s.data(), s.size())));
}

/// A Login Accepted for `session` at `seq`.
inline std::vector<std::byte> accepted(const char* session, uint64_t seq) {
    soup_login_accepted a;
    a.session = soup_session_config::make("", "", session).session;
    a.sequence.value = seq;
    std::vector<std::byte> b(soup_header_len + soup_payload_length<soup_login_accepted>());
    (void)soup_emit(a, std::span<std::byte>(b));
    return b;
}

/// A Login Rejected with `reason`.
inline std::vector<std::byte> rejected(char reason) {
    const std::byte r{uint8_t(reason)};
    return packet(soup_type::login_rejected, std::span<const std::byte>(&r, 1));
}

/// The text of a payload.
inline std::string as_text(const std::vector<std::byte>& b) {
    std::string s;
    for (std::byte c : b) s.push_back(char(c));
    return s;
}

} // namespace tachyon::oe::test
