#pragma once
// TCP packet traces: the test plays the far end of a memory link (the "peer"), writes the
// segments it sends as `syn(seq)`, `ack(seq, ack)`, `data(seq, ack, "bytes")`, ..., and reads
// what the stack sends back as segments, on a manual clock. Sequence numbers are plain
// uint32_t: their arithmetic is modulo 2^32, like the wire's.

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <optional>
#include <ostream>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "stack/net/isn.hpp"
#include "stack/wire/tcp.hpp"
#include "trace_fixture.hpp"

namespace tachyon {
// Readable gtest messages for the values the traces compare.
inline void PrintTo(const duration& d, std::ostream* os) { *os << d.count_ns() / 1000 << " us"; }
inline void PrintTo(tcp_state s, std::ostream* os) { *os << to_string(s); }
inline void PrintTo(tcp_close_reason r, std::ostream* os) { *os << to_string(r); }
} // namespace tachyon

namespace tachyon::trace {

namespace tf = wire::tcp_flags;
inline constexpr uint8_t FIN = tf::fin;
inline constexpr uint8_t SYN = tf::syn;
inline constexpr uint8_t RST = tf::rst;
inline constexpr uint8_t PSH = tf::psh;
inline constexpr uint8_t ACK = tf::ack;

inline constexpr uint16_t our_port = 9000;   // the stack's listener
inline constexpr uint16_t peer_port = 40000; // the peer's port

/// `v` milliseconds and seconds, as the traces write their times.
inline duration ms(int64_t v) { return duration::ms(v); }
inline duration sec(int64_t v) { return duration::s(v); }

/// Any value (for a sequence number the stack chose).
inline constexpr std::optional<uint32_t> any = std::nullopt;

/// "SYN|ACK"-style names of control bits.
inline std::string flag_names(uint8_t f) {
    std::string s;
    const std::pair<uint8_t, const char*> names[] = {{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"},
                                                     {PSH, "PSH"}, {ACK, "ACK"}, {tf::urg, "URG"}};
    for (auto [bit, name] : names)
        if (f & bit) s += (s.empty() ? "" : "|") + std::string(name);
    return s.empty() ? "none" : s;
}

/// A segment the peer sends.
struct seg {
    uint8_t flags = 0;
    uint32_t seq = 0;
    uint32_t ack_no = 0;
    uint16_t wnd = 65535;
    std::string payload;
    wire::tcp_options opt;
    uint16_t src = peer_port;
    uint16_t dst = our_port;

    seg& mss(uint16_t m) { opt.has_mss = true; opt.mss = m; return *this; }
    seg& wscale(uint8_t s) { opt.has_window_scale = true; opt.window_scale = s; return *this; }
    seg& sack_ok() { opt.sack_permitted = true; return *this; }
    seg& ts(uint32_t val, uint32_t ecr) { opt.has_timestamps = true; opt.ts_val = val; opt.ts_ecr = ecr; return *this; }
    seg& window(uint16_t w) { wnd = w; return *this; }
    seg& from(uint16_t p) { src = p; return *this; }
    seg& to(uint16_t p) { dst = p; return *this; }
    seg& with(uint8_t f) { flags |= f; return *this; }
    seg& sack(uint32_t left, uint32_t right) {
        opt.sack_blocks[opt.sack_count++] = {wire::seq32{left}, wire::seq32{right}};
        return *this;
    }
};

/// A segment with these control bits and numbers.
inline seg make_seg(uint8_t flags, uint32_t seq, uint32_t ack_no, uint16_t wnd = 65535, std::string bytes = {}) {
    seg s;
    s.flags = flags;
    s.seq = seq;
    s.ack_no = ack_no;
    s.wnd = wnd;
    s.payload = std::move(bytes);
    return s;
}
inline seg syn(uint32_t seq) { return make_seg(SYN, seq, 0); }
inline seg synack(uint32_t seq, uint32_t ack) { return make_seg(SYN | ACK, seq, ack); }
inline seg ack(uint32_t seq, uint32_t ack, uint16_t wnd = 65535) { return make_seg(ACK, seq, ack, wnd); }
inline seg data(uint32_t seq, uint32_t ack, std::string bytes) { return make_seg(ACK | PSH, seq, ack, 65535, std::move(bytes)); }
inline seg fin(uint32_t seq, uint32_t ack) { return make_seg(FIN | ACK, seq, ack); }
inline seg rst(uint32_t seq) { return make_seg(RST, seq, 0); }

/// A segment the stack sent, as the peer reads it.
struct out_seg {
    uint8_t flags = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint16_t wnd = 0;
    wire::tcp_options opt;
    std::string payload;
    uint16_t src = 0, dst = 0;
    size_t len() const { return payload.size(); }
};

inline std::string describe(const out_seg& s) {
    std::string d = flag_names(s.flags) + " seq=" + std::to_string(s.seq) + " ack=" + std::to_string(s.ack) +
                    " wnd=" + std::to_string(s.wnd) + " len=" + std::to_string(s.len());
    if (s.opt.has_mss) d += " mss=" + std::to_string(s.opt.mss);
    if (s.opt.has_window_scale) d += " ws=" + std::to_string(s.opt.window_scale);
    if (s.opt.sack_permitted) d += " sackOK";
    if (s.opt.has_timestamps) d += " ts=" + std::to_string(s.opt.ts_val) + "/" + std::to_string(s.opt.ts_ecr);
    for (size_t i = 0; i < s.opt.sack_count; ++i)
        d += " sack[" + std::to_string(s.opt.sack_blocks[i].first.value()) + "," +
             std::to_string(s.opt.sack_blocks[i].second.value()) + ")";
    return d;
}
inline std::string describe(const std::vector<out_seg>& v) {
    std::string d;
    for (const auto& s : v) d += "\n  " + describe(s);
    return v.empty() ? "(nothing)" : d;
}

/// The segment has these control bits, sequence number, acknowledgment and payload length.
inline ::testing::AssertionResult segment_is(const out_seg& s, uint8_t flags, std::optional<uint32_t> seq,
                                             std::optional<uint32_t> ack_no, size_t len) {
    // PSH is the sender's business: compare it only when asked for.
    const uint8_t got = (flags & PSH) ? s.flags : uint8_t(s.flags & ~PSH);
    if (got != flags || (seq && s.seq != *seq) || (ack_no && (s.flags & ACK) && s.ack != *ack_no) ||
        s.len() != len)
        return ::testing::AssertionFailure()
               << "expected " << flag_names(flags) << " seq=" << (seq ? std::to_string(*seq) : "*")
               << " ack=" << (ack_no ? std::to_string(*ack_no) : "*") << " len=" << len << "\n     got "
               << describe(s);
    return ::testing::AssertionSuccess();
}

/// The stack with a listener on `our_port`, one application behind it that records what it
/// is told, and the peer's side of the trace.
struct tcp_trace : stack_trace {
    // What the application saw.
    struct app {
        tcp_id id = 0;
        int accepts = 0;
        bool connected = false;
        bool eof = false;
        bool closed = false;
        tcp_close_reason reason = tcp_close_reason::none;
        std::string got;
        bool reading = true;                                  // on_data consumes what it sees
        std::function<void(tcp_trace&, std::string_view)> on_request; // answers inside on_data
    } app;
    instant t0;

    static tcp_trace& self(void* c) { return *static_cast<tcp_trace*>(c); }
    tcp_callbacks callbacks() {
        tcp_callbacks cb;
        cb.context = this;
        cb.on_connected = [](void* c, tcp_id id) {
            self(c).app.connected = true;
            self(c).app.id = id;
        };
        cb.on_data = [](void* c, tcp_id, std::span<const std::byte> b) -> size_t {
            tcp_trace& t = self(c);
            if (b.empty()) {
                t.app.eof = true;
                return 0;
            }
            if (!t.app.reading) return 0;
            const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
            t.app.got += s;
            if (t.app.on_request) t.app.on_request(t, s);
            return b.size();
        };
        cb.on_closed = [](void* c, tcp_id, tcp_close_reason r) {
            self(c).app.closed = true;
            self(c).app.reason = r;
        };
        return cb;
    }

    /// A stack (settings changed by `tweak`) that knows the peer's MAC and listens on `our_port`.
    void make_tcp(const std::function<void(stack_config&)>& tweak = {}) {
        stack_config c;
        c.address = ipv4_cidr{our_ip, 24};
        c.tcp.msl = duration::s(2); // TIME-WAIT: 4 s
        c.static_arp = {{peer_ip, peer_mac}}; // no ARP in the traces, however long they run
        if (tweak) tweak(c);
        auto made = stack::create(c, link.b());
        ASSERT_TRUE(made.ok()) << made.err().message;
        st = std::move(made.value());
        auto l = st->tcp_listen(
            our_port, 16,
            [](void* c, tcp_id id) {
                tcp_trace& t = self(c);
                t.app.id = id;
                ++t.app.accepts;
                (void)t.st->tcp_set_callbacks(id, t.callbacks());
            },
            this);
        ASSERT_TRUE(l.ok());
        t0 = clock.now();
    }

    /// Moves the clock to t0 + `d` and runs one poll.
    void at(duration d) {
        clock.set(t0 + d);
        st->poll(clock.now());
    }
    /// Moves the clock to t0 + `d` without polling.
    void time(duration d) { clock.set(t0 + d); }

    /// The Ethernet frame of a segment from the peer (valid checksums).
    static std::vector<std::byte> frame(const seg& s) {
        wire::tcp_repr h;
        h.src_port = s.src;
        h.dst_port = s.dst;
        h.seq = wire::seq32{s.seq};
        h.ack = wire::seq32{s.ack_no};
        h.flags = s.flags;
        h.window = s.wnd;
        h.options = s.opt;
        const size_t tlen = h.emitted_header_len() + s.payload.size();
        std::vector<std::byte> pkt(20 + tlen);
        std::memcpy(pkt.data() + 20 + h.emitted_header_len(), s.payload.data(), s.payload.size());
        h.emit(std::span(pkt).subspan(20), peer_ip, our_ip, s.payload.size());
        return ip_frame(std::move(pkt));
    }
    /// Wraps a TCP segment (at offset 20 of `pkt`) in IPv4 and Ethernet headers.
    static std::vector<std::byte> ip_frame(std::vector<std::byte> pkt) {
        wire::ipv4_repr ip;
        ip.total_len = uint16_t(pkt.size());
        ip.protocol = wire::ip_protocol::tcp;
        ip.src = peer_ip;
        ip.dst = our_ip;
        ip.emit(pkt);
        return eth(our_mac, wire::ethertype::ipv4, pkt);
    }
    /// The peer sends `s` now (one poll).
    void peer(const seg& s) { feed(frame(s)); }

    /// Every TCP segment the stack sent since the last call (frames that are not TCP, or
    /// whose checksum is wrong, fail the test).
    std::vector<out_seg> segments() {
        std::vector<out_seg> out;
        for (const auto& f : sent()) {
            auto b = std::span<const std::byte>(f);
            wire::ethernet_repr e;
            wire::ipv4_repr ip;
            if (wire::ethernet_repr::parse(b, e) != wire::wire_error::ok || e.ethertype != wire::ethertype::ipv4 ||
                wire::ipv4_repr::parse(b.subspan(14), ip) != wire::wire_error::ok ||
                ip.protocol != wire::ip_protocol::tcp) {
                ADD_FAILURE() << "the stack sent a frame that is not TCP";
                continue;
            }
            EXPECT_EQ(e.dst, peer_mac);
            EXPECT_EQ(ip.src, our_ip);
            EXPECT_EQ(ip.dst, peer_ip);
            auto t = b.subspan(14 + ip.header_len, ip.payload_len());
            wire::tcp_repr h;
            const auto err = wire::tcp_repr::parse(t, our_ip, peer_ip, h, /*verify_checksum=*/true);
            if (err != wire::wire_error::ok) {
                ADD_FAILURE() << "the stack sent a TCP segment that does not parse (checksum?)";
                continue;
            }
            out_seg s;
            s.flags = h.flags;
            s.seq = h.seq.value();
            s.ack = h.ack.value();
            s.wnd = h.window;
            s.opt = h.options;
            auto p = h.payload(t);
            s.payload.assign(reinterpret_cast<const char*>(p.data()), p.size());
            s.src = h.src_port;
            s.dst = h.dst_port;
            out.push_back(std::move(s));
        }
        return out;
    }

    /// Exactly one segment was sent, and it is this one; returns it.
    out_seg expect_sent(uint8_t flags, std::optional<uint32_t> seq, std::optional<uint32_t> ack_no, size_t len,
                        std::source_location loc = std::source_location::current()) {
        ::testing::ScopedTrace trace(loc.file_name(), int(loc.line()), "expect_sent");
        auto v = segments();
        if (v.size() != 1) {
            ADD_FAILURE() << "expected exactly one segment, got " << v.size() << ":" << describe(v);
            return v.empty() ? out_seg{} : v[0];
        }
        EXPECT_TRUE(segment_is(v[0], flags, seq, ack_no, len));
        return v[0];
    }
    /// Nothing was sent.
    void expect_silence(std::source_location loc = std::source_location::current()) {
        ::testing::ScopedTrace trace(loc.file_name(), int(loc.line()), "expect_silence");
        auto v = segments();
        EXPECT_TRUE(v.empty()) << "expected nothing, got:" << describe(v);
    }

    /// The connection's control block (null once it is gone).
    const tcp_connection* conn() const { return st->tcp_connection_of(app.id); }
    tcp_state state() const { return conn() ? conn()->state() : tcp_state::closed; }

    /// The peer opens a connection with ISN `p_iss` (SYN built by `syn_opts`), the stack
    /// answers SYN-ACK, the peer ACKs `rtt` later (with window `wnd`); returns the stack's ISS.
    uint32_t handshake(uint32_t p_iss, const std::function<void(seg&)>& syn_opts = {}, duration rtt = {},
                       uint16_t wnd = 65535, std::source_location loc = std::source_location::current()) {
        ::testing::ScopedTrace trace(loc.file_name(), int(loc.line()), "handshake");
        seg s = syn(p_iss);
        if (syn_opts) syn_opts(s);
        peer(s);
        const out_seg sa = expect_sent(SYN | ACK, any, p_iss + 1, 0);
        clock.advance(rtt);
        seg a = ack(p_iss + 1, sa.seq + 1, wnd);
        if (s.opt.has_timestamps) a.ts(s.opt.ts_val + 1, sa.opt.ts_val);
        peer(a);
        expect_silence();
        EXPECT_EQ(app.accepts, 1);
        EXPECT_EQ(state(), tcp_state::established);
        return sa.seq;
    }

    /// Sends `s` from the application (outside poll: it leaves at once).
    size_t app_send(std::string_view s) {
        return st->tcp_send(app.id, std::as_bytes(std::span(s.data(), s.size())), clock.now());
    }
};

} // namespace tachyon::trace
