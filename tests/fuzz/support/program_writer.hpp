#pragma once
/// Writes stack_program inputs op by op, in the layout `program_run` decodes (program.hpp): the
/// seed corpus is made with it (seeds.cpp), so the seeds stay valid programs when ops change.

#include <cstdint>
#include <vector>

#include "support/program.hpp"

namespace tachyon::fuzz {

/// Builds one program.
class program_writer {
public:
    /// A program whose two header bytes are `c0` and `c1` (see program.cpp `handshakes`): c0 bits
    /// 0-3 the passive SYN's options (MSS, window scale, SACK-permitted, timestamps), 4 keepalive
    /// on accepted connections, 5 keepalive on the active one, 6 delayed ACK, 7 Nagle; c1 bits 0-3
    /// the SYN-ACK's options, 4-5 the peer's window scale, 6 MSS 536.
    program_writer(uint8_t c0, uint8_t c1) : _b{c0, c1} {}

    /// A segment (see op::segment for the arguments' meaning).
    program_writer& segment(uint8_t conn, uint8_t flags, uint8_t seq_mode, uint16_t seq_delta, uint8_t ack_mode,
                            uint16_t ack_delta, uint8_t window, uint8_t options, uint8_t length) {
        return put(op::segment, {conn, flags, seq_mode, hi(seq_delta), lo(seq_delta), ack_mode, hi(ack_delta),
                                 lo(ack_delta), window, options, length});
    }
    /// The clock moves by step `s` (0..15: 1 ms .. 300 s), eight times when `eight`.
    program_writer& advance(uint8_t s, bool eight = false) { return put(op::advance, {uint8_t(s | (eight ? 0x80 : 0))}); }
    /// The application sends `send_sizes[size]` bytes on connection `conn`.
    program_writer& send(uint8_t conn, uint8_t size) { return put(op::send, {conn, size}); }
    /// The application closes connection `conn`.
    program_writer& close(uint8_t conn) { return put(op::close, {conn}); }
    /// The application aborts connection `conn`.
    program_writer& abort(uint8_t conn) { return put(op::abort, {conn}); }
    /// Connection `conn`'s callback `cb` does `a` (with `arg`) from now on.
    program_writer& react(uint8_t conn, callback cb, action a, uint8_t arg) {
        return put(op::react, {conn, uint8_t(cb), uint8_t(a), arg});
    }
    /// The stack connects to the peer's port 7000 + `port`.
    program_writer& connect(uint8_t port, uint32_t iss, uint8_t options) {
        return put(op::connect, {port, b3(iss), b2(iss), b1(iss), b0(iss), options, 4});
    }
    /// A new peer sends a SYN to the listener.
    program_writer& syn(uint8_t options, uint32_t iss) { return put(op::syn, {options, b3(iss), b2(iss), b1(iss), b0(iss)}); }
    /// The peer's next handshake step on peer connection `conn`.
    program_writer& complete(uint8_t conn) { return put(op::complete, {conn}); }
    /// The peer acknowledges everything on peer connection `conn`, window index `w`.
    program_writer& ack_all(uint8_t conn, uint8_t w = 7) { return put(op::ack_all, {conn, w}); }
    /// In-order data from the peer (length index `len`), with FIN when `fin`.
    program_writer& data(uint8_t conn, uint8_t len, bool fin = false) { return put(op::data, {conn, len, uint8_t(fin)}); }
    /// A UDP sub-op with its three argument bytes.
    program_writer& udp(uint8_t sub, uint8_t b1, uint8_t b2, uint8_t b3) { return put(op::udp, {sub, b1, b2, b3}); }
    /// An echo request from the peer.
    program_writer& ping(uint16_t id, uint16_t seq, uint8_t len, uint8_t fill) {
        return put(op::ping, {hi(id), lo(id), hi(seq), lo(seq), len, fill});
    }
    /// An ARP op.
    program_writer& arp(uint8_t kind, uint8_t host) { return put(op::arp, {kind, host}); }
    /// A router's IGMP query.
    program_writer& igmp_query(uint8_t version, uint8_t group, uint8_t max_resp) {
        return put(op::igmp_query, {version, group, max_resp});
    }
    /// A socket option on connection `conn`.
    program_writer& sockopt(uint8_t conn, uint8_t which, uint8_t value) { return put(op::sockopt, {conn, which, value}); }
    /// A raw frame.
    program_writer& raw(uint8_t fix, const std::vector<uint8_t>& bytes) {
        _b.push_back(uint8_t(op::raw));
        _b.push_back(fix);
        _b.push_back(hi(uint16_t(bytes.size())));
        _b.push_back(lo(uint16_t(bytes.size())));
        _b.insert(_b.end(), bytes.begin(), bytes.end());
        return *this;
    }
    /// The program's bytes.
    const std::vector<uint8_t>& bytes() const { return _b; }

private:
    program_writer& put(op o, std::initializer_list<uint8_t> args) {
        _b.push_back(uint8_t(o));
        _b.insert(_b.end(), args.begin(), args.end());
        return *this;
    }
    static uint8_t hi(uint16_t v) { return uint8_t(v >> 8); }
    static uint8_t lo(uint16_t v) { return uint8_t(v); }
    static uint8_t b3(uint32_t v) { return uint8_t(v >> 24); }
    static uint8_t b2(uint32_t v) { return uint8_t(v >> 16); }
    static uint8_t b1(uint32_t v) { return uint8_t(v >> 8); }
    static uint8_t b0(uint32_t v) { return uint8_t(v); }

    std::vector<uint8_t> _b;
};

} // namespace tachyon::fuzz
