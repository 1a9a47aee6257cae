#pragma once
/// The structure-aware receive-path harness: the input is a program. Two header bytes choose the
/// options of two real handshakes (the peer connects to the stack's listener; the stack connects
/// to the peer); then each op (see `op`) sends a segment near the live sequence space (seq/ack
/// relative to what the stack sent and expects, checksums right), moves the clock so that timers
/// fire, or acts as the application (send, close, abort, and the same from inside callbacks),
/// or plays UDP, ICMP, ARP, IGMP or raw frames. Every frame the stack sends goes through the
/// transmit oracle, and the oracles below abort on the first fault (docs/FUZZING.md):
///  - an id naming another connection (each id's 4-tuple is recorded when it is handed out);
///    a callback for an id already closed; an id gone without `on_closed`; an id handed out twice;
///  - bytes the stack sends at a sequence number other than the ones the application queued there,
///    or a FIN anywhere but after the last of them; bytes delivered to `on_data` other than the
///    peer's at that sequence number (the peer's payload is a function of its sequence number);
///  - a segment on a 4-tuple outside that connection's sequence space (a segment sent for the wrong
///    connection) that is not a reset answering the peer's own acknowledgment number;
///  - an established connection with everything acknowledged whose send space is not its whole
///    send buffer (no send space with nothing in flight);
///  - at the end, once everything is closed and every half-open has expired: a listener that does
///    not answer a SYN, and buffers not back in their pools.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "stack/iface/stack.hpp"
#include "support/byte_reader.hpp"
#include "support/stack_rig.hpp"

namespace tachyon::fuzz {

/// The program's operations, one byte each (taken modulo `count`), followed by their arguments.
enum class op : uint8_t {
    segment,    ///< conn, flags, seq mode, delta16, ack mode, delta16, window, options, length
    advance,    ///< step: the clock moves (bit 7: eight steps), then a poll
    send,       ///< conn, size: the application sends
    close,      ///< conn: the application closes
    abort,      ///< conn: the application aborts
    react,      ///< conn, callback, action, argument: what that callback will do from now on
    connect,    ///< port, iss32: the stack connects to the peer
    syn,        ///< options, iss32: a new peer connects to the listener
    complete,   ///< conn: the peer's next handshake step (ACK of the SYN-ACK, or SYN-ACK to our SYN)
    ack_all,    ///< conn, window: the peer acknowledges everything the stack sent
    data,       ///< conn, length, fin: in-order data from the peer
    udp,        ///< sub-op, arguments: UDP sockets, groups and datagrams
    ping,       ///< id16, seq16, length, fill: an echo request from the peer
    raw,        ///< fixups, length16, bytes: any frame (IPv4 checksums and addresses fixed on request)
    arp,        ///< kind, host: ARP requests and replies
    igmp_query, ///< version, group, max response: a router's query
    sockopt,    ///< conn, option, value: keepalive, nodelay, buffer sizes, user timeout
    poll,       ///< nothing: one more poll at the same time
    count
};

/// Which application callback a reaction belongs to.
enum class callback : uint8_t { data, writable, closed, connected, count };

/// What a callback does besides its checks.
enum class action : uint8_t {
    none,          ///< nothing
    send,          ///< send `arg`-indexed size on this connection (another one for on_closed)
    close_self,    ///< close this connection
    abort_self,    ///< abort this connection
    close_other,   ///< close connection `arg`
    abort_other,   ///< abort connection `arg`
    send_other,    ///< send on connection `arg`
    stall,         ///< on_data: consume nothing
    consume_part,  ///< on_data: consume half
    count
};

/// The peer's byte at sequence number `seq` (the peer's payload is a function of it).
uint8_t peer_byte(uint32_t seq);
/// The application's `offset`th byte on a connection salted `salt`.
uint8_t app_byte(uint32_t salt, uint64_t offset);
/// The sizes `op::send` and the `send` actions pick from.
inline constexpr std::array<size_t, 14> send_sizes = {1, 2, 10, 100, 500, 1000, 1447, 1448, 1460, 2000, 3000, 4096, 5000, 8000};
/// The listener's port.
inline constexpr uint16_t listen_port = 9000;
/// The peer's port for the first passive connection (later ones count up).
inline constexpr uint16_t first_peer_port = 40000;
/// The peer's first port for active connections (`op::connect` adds 0..3).
inline constexpr uint16_t peer_service_port = 7000;

/// The peer's side of one 4-tuple (the peer's address is always `peer_ip`).
struct peer_conn {
    uint16_t peer_port = 0;        ///< the peer's port
    uint16_t our_port = 0;         ///< the stack's port
    bool active = false;           ///< the stack opened it (tcp_connect)
    uint32_t iss = 0;              ///< the peer's initial sequence number
    uint8_t syn_options = 0;       ///< bits: MSS, window scale, SACK-permitted, timestamps
    bool know_stack_isn = false;   ///< a SYN or SYN-ACK from the stack was seen
    uint32_t stack_isn = 0;        ///< the stack's ISN on this tuple
    uint32_t stack_end = 0;        ///< the highest seq + length the stack sent
    uint32_t stack_acked = 0;      ///< the stack's RCV.NXT as its last ACK said
    uint32_t peer_ack = 0;         ///< the acknowledgment the peer last sent
    uint32_t ts_clock = 1000;      ///< the peer's timestamp clock (ticks once per segment)
    uint32_t ts_echo = 0;          ///< the last TSval the stack sent
    std::array<uint32_t, 16> acks_sent{}; ///< recent acknowledgment numbers the peer sent
    uint8_t acks_next = 0;         ///< where the next goes in `acks_sent`
    int app = -1;                  ///< the application connection on it (index), or -1
};

/// One reaction: what a callback does.
struct reaction {
    action what = action::none; ///< the action
    uint8_t arg = 0;            ///< its size index or target connection
};

/// The application's side of one connection id.
struct app_conn {
    tcp_id id = 0;                 ///< the id the stack handed out
    bool live = true;              ///< no on_closed yet
    uint16_t local_port = 0;       ///< the 4-tuple it must name (remote address: peer_ip)
    uint16_t remote_port = 0;      ///< ...
    ipv4_address remote;           ///< ...
    int peer = -1;                 ///< the peer side (index), or -1 when not made by the harness
    bool have_base = false;        ///< `base` is known
    seq32 base;                    ///< the sequence number of the first application byte
    uint64_t sent = 0;             ///< bytes tcp_send accepted, in all
    bool have_rx = false;          ///< `rx_next` is known
    seq32 rx_next;                 ///< the sequence number of the next byte on_data will show
    bool eof = false;              ///< on_data saw the end of the stream
    uint32_t salt = 0;             ///< salts `app_byte`
    std::array<reaction, size_t(callback::count)> reactions{}; ///< per callback
};

/// True when TACHYON_FUZZ_TRACE is set: the run prints its ops and the TCP segments sent
/// (for reading a crash, not for fuzzing).
bool tracing();

/// One run of a program against a fresh stack.
class program_run {
public:
    /// A stack, a listener and two established connections, set up from the input's header.
    program_run(const uint8_t* data, size_t size);
    /// Runs every op, then the final checks (everything closed, listener answers, pools full).
    void run();

private:
    // program.cpp: set-up, callbacks, the end.
    void handshakes();
    void final_checks();
    app_conn* app_for(tcp_id id, const char* where);
    void check_tuple(const app_conn& a, const char* where);
    void react(app_conn& a, callback cb);
    void adopt_accepted(tcp_id id);
    tcp_callbacks callbacks();
    static void on_accept(void* ctx, tcp_id id);
    static void on_connected(void* ctx, tcp_id id);
    static size_t on_data(void* ctx, tcp_id id, std::span<const std::byte> bytes);
    static void on_writable(void* ctx, tcp_id id);
    static void on_closed(void* ctx, tcp_id id, tcp_close_reason reason);
    static void on_datagram(void* ctx, const datagram& d);

    // program_ops.cpp (TCP and the op loop) and program_frames.cpp (the other protocols).
    void step();
    peer_conn* pick_peer();
    app_conn* pick_app();
    void op_segment();
    void op_send(app_conn& a, size_t size);
    void op_connect();
    void connect_to(uint16_t port, uint32_t iss, uint8_t syn_options, duration timeout);
    void op_syn(uint8_t options, uint32_t iss);
    void op_complete(peer_conn& p);
    void op_udp();
    void op_ping();
    void op_raw();
    void op_arp();
    void op_igmp_query();
    void op_sockopt();
    void send_segment(peer_conn& p, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window,
                      const wire::tcp_options& opt, size_t len, bool corrupt = false);
    wire::tcp_options peer_options(peer_conn& p, bool syn);
    const tcp_connection* conn_of(const peer_conn& p) const;
    uint32_t rcv_anchor(const peer_conn& p) const;
    uint32_t snd_anchor(const peer_conn& p) const;

    // program_checks.cpp: the oracles on what the stack sent and on every live id.
    void on_sent(const sent_frame& f);
    void check_segment_space(peer_conn& p, const sent_frame& f);
    void check_app_bytes(const app_conn& a, const sent_frame& f);
    void check_all();
    peer_conn* find_peer(uint16_t peer_port, uint16_t our_port);
    int peer_index(const peer_conn* p) const;

    byte_reader _in;
    uint8_t _config[2] = {};
    std::unique_ptr<stack_rig> _rig;
    std::deque<peer_conn> _peers; // deques: references stay valid while callbacks add entries
    std::deque<app_conn> _apps;
    std::vector<udp_id> _udp;
    std::vector<std::byte> _scratch;
    int _depth = 0;             // callback nesting (reactions are bounded)
    bool _final = false;        // the end: callbacks check but do not act
};

} // namespace tachyon::fuzz
