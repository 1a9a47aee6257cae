#pragma once
/// The per-core stack: one object owns everything below the API for one device queue (ARP
/// cache, IGMP host, UDP table, the TCP layer (tcp_layer.hpp), counters, transmit queue,
/// timers). Nothing is shared between stacks, so nothing is locked; two stacks can live in one
/// process (tests do).
///
/// `poll(now)` is one run-to-completion iteration: take a burst from the device, carry each
/// frame through Ethernet → ARP | IPv4 → ICMP | IGMP | UDP | TCP (echo and ARP replies are built
/// in the received buffer), run due timers, then hand everything queued to the device with one
/// `tx_burst`. Each frame built records its offload metadata as its headers are written
/// (`buf_offload`: header lengths, the sums left to the device).
/// The protocol code never reads a clock: `now` comes from the caller.

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stack/buf/packet.hpp"
#include "stack/buf/packet_ring.hpp"
#include "stack/core/config.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"
#include "stack/device/device.hpp"
#include "stack/iface/counters.hpp"
#include "stack/iface/tcp_layer.hpp"
#include "stack/net/arp_cache.hpp"
#include "stack/net/igmp_host.hpp"
#include "stack/net/udp_table.hpp"
#include "stack/core/timer_wheel.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/udp.hpp"

namespace tachyon {

/// An ICMP echo reply as the echo handler sees it (the data points into the received frame).
struct echo_reply {
    ipv4_address source;             ///< who answered
    uint16_t identifier = 0;         ///< the echo identifier
    uint16_t sequence = 0;           ///< the echo sequence number
    std::span<const std::byte> data; ///< the echoed data (valid during the call only)
    instant rx_time;                 ///< when the reply was received
};

/// Receives echo replies: a plain function and its context, no allocation, no virtual call.
using echo_reply_handler = void (*)(void* context, const echo_reply& reply);

/// Every counter of a stack, by layer.
struct stack_stats {
    ethernet_stats ethernet; ///< Ethernet demultiplexing
    arp_stats arp;           ///< ARP protocol
    ipv4_stats ipv4;         ///< IPv4
    icmp_stats icmp;         ///< ICMP
    udp_stats udp;           ///< UDP
    tcp_stats tcp;           ///< TCP
    tx_stats tx;             ///< the transmit path
};

/// One stack on one core, over one device.
class stack {
public:
    /// Builds a stack over `dev` after checking `config`; the error says what is wrong.
    /// `counters` (optional) is where the counters live, e.g. a shared-memory segment that
    /// tools read while the stack runs (api/stat_segment.hpp); it must outlive the stack.
    static result<std::unique_ptr<stack>> create(const stack_config& config, device& dev,
                                                 stack_stats* counters = nullptr);
    /// Builds a stack over `dev`; `config` must be valid (see `stack_config::validate`).
    /// `counters`: as for `create` (null: the stack keeps its own).
    stack(const stack_config& config, device& dev, stack_stats* counters = nullptr);
    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;
    ~stack();

    /// Announces our address (RFC 5227 §2.3 gratuitous ARP) and starts resolving the gateway.
    void start(instant now);
    /// Closes every UDP socket, leaving every group: the IGMP leaves go out now. For a clean
    /// exit. TCP connections are left as they are (the application closes them first).
    void stop(instant now);
    /// One iteration: receive a burst, process it, run due timers, transmit. Returns the
    /// number of frames received.
    size_t poll(instant now);
    /// The same iteration, reading `clock.now()` once, just after the burst arrived: the
    /// frames' receive timestamps are then as close to their arrival as a software clock
    /// allows (a clock read before the burst would stamp them early).
    template <class Clock>
    size_t poll_clock(const Clock& clock) {
        const size_t n = _dev.rx_burst(_rx);
        return process(n, clock.now());
    }
    /// The time of the latest `start` or `poll`: what sends made outside the loop use as now.
    instant now() const { return _now; }

    /// Holds transmission back while it lives; when the outermost one ends, the connections
    /// touched run `output` (data, and an ACK only if no data carried it) and every queued
    /// frame leaves in one `tx_burst`. `poll` holds one for its iteration and every call that
    /// may send holds one, so a call from outside `poll` sends at once, and one from a
    /// callback leaves with the iteration's flush. An application holds one (`begin_batch`)
    /// to send a burst of messages in one `tx_burst`.
    class [[nodiscard]] tx_batch {
    public:
        /// Starts holding (`now`: the time the flush uses, when this is the outermost).
        tx_batch(stack& s, instant now) : _s(s) {
            if (_s._batch_depth++ == 0) _s._batch_now = now;
        }
        tx_batch(const tx_batch&) = delete;
        tx_batch& operator=(const tx_batch&) = delete;
        /// Flushes when it is the outermost (still counted while it flushes, so that the
        /// frames it makes queue up for the one burst).
        ~tx_batch() {
            if (_s._batch_depth == 1) _s.flush_batch();
            --_s._batch_depth;
        }

    private:
        stack& _s;
    };
    /// A batch the caller holds: sends made while it lives leave together when it ends.
    tx_batch begin_batch(instant now) { return tx_batch(*this, now); }
    /// The earliest instant at which a timer needs `poll` (instant::never() when none): an
    /// idle loop may sleep until then.
    instant next_deadline() const;

    /// Sends an IPv4 packet whose payload (e.g. an ICMP message) starts at `frame.data()`,
    /// with headroom for the headers. Routes it, resolves the next hop (queueing the frame
    /// while ARP resolves) and queues it for transmission.
    errc ipv4_output(packet&& frame, ipv4_address dst, uint8_t protocol, instant now, uint8_t ttl = 0);
    /// Sends an ICMP echo request (a ping) to `dst` carrying `data`.
    errc send_echo_request(ipv4_address dst, uint16_t identifier, uint16_t sequence,
                           std::span<const std::byte> data, instant now);
    /// Delivers echo replies to `handler(context, reply)` (null: count them as unhandled).
    void on_echo_reply(echo_reply_handler handler, void* context) {
        _echo_handler = handler;
        _echo_context = context;
    }
    /// Opens a UDP socket (unbound); fails when every socket is in use.
    result<udp_id> udp_open() { return _udp.open(); }
    /// Binds a UDP socket to `port` (0: ephemeral) on `address` (any or ours).
    errc udp_bind(udp_id id, ipv4_address address, uint16_t port);
    /// Sets a UDP socket's default destination.
    errc udp_connect(udp_id id, ipv4_address address, uint16_t port);
    /// Delivers the socket's datagrams to `handler(context, d)` inline; null: queue them for `udp_recv`.
    errc udp_on_datagram(udp_id id, datagram_handler handler, void* context);
    /// Sends `data` to `dst:port` (one copy, into the frame). Binds an ephemeral port first if needed.
    errc udp_send_to(udp_id id, ipv4_address dst, uint16_t port, std::span<const std::byte> data, instant now);
    /// Sends `data` to the connected destination.
    errc udp_send(udp_id id, std::span<const std::byte> data, instant now);
    /// A frame with room for `len` bytes of UDP payload at `data()` (the zero-copy send path:
    /// write the payload there, then `udp_send_frame`). Empty when no buffer is free.
    packet udp_frame(size_t len);
    /// Sends a frame from `udp_frame` whose payload the caller has written.
    errc udp_send_frame(udp_id id, packet&& frame, ipv4_address dst, uint16_t port, instant now);
    /// Takes the oldest queued datagram (pull mode): fills `d` (its payload points into the
    /// returned packet, which the caller keeps while it reads). Empty packet when none waits.
    packet udp_recv(udp_id id, datagram& d);
    /// Joins `group` on a UDP socket, from any source or (source-specific, RFC 3376 INCLUDE)
    /// from `source` only. IGMP reports go out and the device's multicast filter follows.
    errc udp_join(udp_id id, ipv4_address group, ipv4_address source, instant now);
    /// Leaves what `udp_join` joined (the same group and source).
    errc udp_leave(udp_id id, ipv4_address group, ipv4_address source, instant now);
    /// Sets the TTL of the multicast datagrams a socket sends (default: the configuration's).
    errc udp_set_multicast_ttl(udp_id id, uint8_t ttl);
    /// Delivers the multicast this socket sends to this stack's sockets joined to the group
    /// too (IP_MULTICAST_LOOP; off by default: a trading host rarely wants its own feed back).
    errc udp_set_multicast_loop(udp_id id, bool on);
    /// Sets the pull queue's length (1 to the configured `udp_queue`).
    errc udp_set_receive_queue(udp_id id, size_t datagrams);
    /// Closes a UDP socket, dropping what it had queued and leaving its groups.
    void udp_close(udp_id id, instant now);
    /// A UDP socket's state (read-only).
    const udp_endpoint* udp_state(udp_id id) { return _udp.valid(id) ? &_udp.at(id) : nullptr; }

    /// Listens on `port` with at most `backlog` half-open connections; accepted connections
    /// go to `on_accept(context, id)`.
    result<uint16_t> tcp_listen(uint16_t port, size_t backlog, tcp_accept_handler on_accept, void* context) {
        return _tcp.listen(port, backlog, on_accept, context);
    }
    /// Stops listening on `port` (connections already accepted stay).
    void tcp_unlisten(uint16_t port) { _tcp.unlisten(port); }
    /// Opens a connection to `dst:port` (SYN now); `callbacks` say what happens next.
    result<tcp_id> tcp_connect(ipv4_address dst, uint16_t port, const tcp_callbacks& callbacks, duration timeout,
                               instant now) {
        return _tcp.connect(dst, port, callbacks, timeout, now);
    }
    /// Sets the callbacks of a connection (accepted ones start with none). Data and an end of
    /// stream that arrived while there was no reader (or one that consumed nothing) go to the
    /// new `on_data` at once: setting the callbacks again is also how a paused reader resumes.
    errc tcp_set_callbacks(tcp_id id, const tcp_callbacks& callbacks) { return _tcp.set_callbacks(id, callbacks); }
    /// Queues up to `data.size()` bytes for sending; returns how many were taken (never blocks).
    size_t tcp_send(tcp_id id, std::span<const std::byte> data, instant now) { return _tcp.send(id, data, now); }
    /// Bytes `tcp_send` would take now.
    size_t tcp_send_space(tcp_id id) const { return _tcp.send_space(id); }
    /// Closes our sending side (FIN after the queued data); receiving goes on (half-close).
    errc tcp_shutdown(tcp_id id, instant now) { return _tcp.shutdown(id, now); }
    /// Closes the connection: FIN after queued data; `on_closed` comes when it is done.
    errc tcp_close(tcp_id id, instant now) { return tcp_shutdown(id, now); }
    /// Aborts the connection with a RST; `on_closed(aborted)` is called at once.
    errc tcp_abort(tcp_id id, instant now) { return _tcp.abort(id, now); }
    /// Sets TCP_NODELAY (on by default: Nagle off).
    errc tcp_set_nodelay(tcp_id id, bool nodelay) { return _tcp.set_nodelay(id, nodelay); }
    /// Turns keepalive on or off for a connection.
    errc tcp_set_keepalive(tcp_id id, bool on, instant now) { return _tcp.set_keepalive(id, on, now); }
    /// Aborts the connection when data stays unacknowledged for `d` (0: off).
    errc tcp_set_user_timeout(tcp_id id, duration d) { return _tcp.set_user_timeout(id, d); }
    /// Sets a connection's RTO floor and tail-loss-probe timings (`tcp_recovery_timers`).
    errc tcp_set_recovery_timers(tcp_id id, const tcp_recovery_timers& t) { return _tcp.set_recovery_timers(id, t); }
    /// Sets a connection's send and receive buffer sizes (0 keeps one), each at most the
    /// stack's configured `tcp.send_buffer` / `tcp.receive_buffer`.
    errc tcp_set_buffer_sizes(tcp_id id, size_t send, size_t receive) { return _tcp.set_buffer_sizes(id, send, receive); }
    /// A connection's control block (read-only), or null for a stale id. After on_closed it
    /// stays visible here through TIME-WAIT, while every other call on the id is refused.
    const tcp_connection* tcp_connection_of(tcp_id id) const { return _tcp.connection_of(id); }

    /// An empty frame with headroom for every header, or an empty handle (counted) when the
    /// device has no buffer.
    packet alloc_frame();

    /// Our MAC address.
    const mac_address& mac() const { return _mac; }
    /// Our address and subnet.
    const ipv4_cidr& address() const { return _config.address; }
    /// The configuration the stack runs with.
    const stack_config& config() const { return _config; }
    /// The MAC of the gateway once resolved, else null.
    const mac_address* gateway_mac(instant now) const;
    /// The stack's counters.
    const stack_stats& stats() const { return _stats; }
    /// The IGMP host state (read-only, for tests and tools).
    const igmp_host& multicast() const { return _igmp; }
    /// The neighbour cache (read-only, for tests and tools).
    const arp_cache& neighbours() const { return _arp; }
    /// The TCP connections and listeners (read-only, for tools).
    const tcp_table& tcp_connections() const { return _tcp.table(); }
    /// The UDP sockets (read-only, for tools).
    const udp_table& udp_sockets() const { return _udp; }
    /// The device the stack runs on.
    device& dev() { return _dev; }
    /// All counters, the device's included, as a JSON object of sections.
    std::string stats_json() const;
    /// Writes every counter section into `w` (a kept writer reuses its memory: --stats).
    void report(json_writer& w) const;

private:
    size_t process(size_t received, instant now);
    // Receive path (one file each: ethernet.cpp, arp.cpp, ipv4.cpp, icmp.cpp).
    void ethernet_input(packet&& frame, instant now);
    void arp_input(packet&& frame, instant now);
    void ipv4_input(packet&& frame, instant now);
    void icmp_input(packet&& frame, const wire::ipv4_repr& ip, instant now);
    void udp_input(packet&& frame, const wire::ipv4_repr& ip, instant now);
    udp_endpoint* endpoint(udp_id id) { return _udp.valid(id) ? &_udp.at(id) : nullptr; }
    void igmp_input(packet&& frame, const wire::ipv4_repr& ip, instant now);
    void send_igmp(const igmp_output& message);
    errc update_group(ipv4_address group, instant now);
    enum class membership : uint8_t { accepted, not_joined, source_filtered };
    udp_endpoint* udp_demux_multicast(ipv4_address group, uint16_t port, ipv4_address source);
    void udp_deliver(udp_endpoint& e, packet&& frame, const wire::ipv4_repr& ip, const wire::udp_repr& udp);
    void udp_loop_back(ipv4_address group, uint16_t port, uint16_t src_port, std::span<const std::byte> payload);
    void udp_drain_loopback();
    static constexpr size_t loopback_per_call = 64; // multicast loop-back copies delivered per drain
    static membership membership_verdict(const udp_endpoint& e, ipv4_address group, ipv4_address source);
    void send_port_unreachable(packet&& frame, const wire::ipv4_repr& ip, instant now);
    bool icmp_error_allowed(instant now);

    // Transmit path.
    void neighbour_output(packet&& frame, ipv4_address next_hop, instant now);
    void ethernet_output(packet&& frame, const mac_address& dst, uint16_t ethertype);
    void send_arp_request(ipv4_address target, const mac_address& dst_mac, const mac_address& target_mac);
    void send_arp_request(ipv4_address target, arp_request_kind kind, const mac_address* known);
    void transmit(packet&& frame);
    void flush_tx();
    void flush_batch();
    void run_timers(instant now);
    [[gnu::noinline]] void run_due_timers(instant now);
    bool is_our_destination(ipv4_address dst) const;

    stack_config _config;
    device& _dev;
    device_caps _caps; // read once: no virtual call per packet
    mac_address _mac;
    // The counters: where the caller put them (a shared-memory segment), else owned here.
    // Declared before the tables, which keep references into them.
    std::unique_ptr<stack_stats> _own_stats;
    stack_stats& _stats;
    arp_cache _arp;
    udp_table _udp;
    igmp_host _igmp;
    std::vector<mac_address> _multicast_macs; // the device filter as last set
    std::vector<ipv4_address> _group_sources; // scratch for update_group
    tcp_layer _tcp; // connections, listeners, ISNs, SYN cookies; their timers are on _wheel
    timer_wheel _wheel;
    uint64_t _icmp_tokens_milli = 0;  // ICMP error token bucket, in thousandths of a token
    instant _icmp_tokens_at;
    std::vector<packet> _rx;        // one burst of received frames
    std::vector<packet> _tx;        // frames queued in this iteration
    size_t _tx_count = 0;
    std::array<packet, 32> _spare;  // empty frames taken from the device in bursts
    size_t _spare_count = 0;
    echo_reply_handler _echo_handler = nullptr;
    void* _echo_context = nullptr;
    std::array<uint16_t, 256> _ip_id_counters{}; // RFC 7739 §5.4: per-destination-bucket IDs, random starts
    uint32_t _ip_id_key = 0;
    uint32_t _batch_depth = 0;    // tx_batch guards alive (poll holds one)
    instant _batch_now;           // the outermost guard's time
    packet_ring _loopback{256}; // multicast loop-back copies waiting for delivery (IP_MULTICAST_LOOP)
    bool _in_loopback = false;
    instant _now;
    bool _gateway_resolved = false;
    bool _gateway_warned = false;
    instant _started;
    instant _gateway_next_request = instant::never();
};

} // namespace tachyon
