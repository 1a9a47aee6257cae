#pragma once
/// TCP on a tachyon stack: the handles applications hold. `tcp_listener` listens on a port and
/// hands each accepted connection over as a `tcp_stream`; `tcp_stream::connect` opens one. No
/// protocol logic here (that is stack/net/tcp_connection): the handles name connections in the
/// stack's table and forward to it, in the style of `udp_socket`.
///
/// Events go to a handler object of the application's own type, through template trampolines
/// (plain function pointers with a context: no std::function, no virtual call, no allocation on
/// the data path). Every member is optional; the handler must outlive the stream:
///
///     struct session {
///         void on_connected(tachyon::tcp_stream& s);                          // connect() completed
///         size_t on_data(tachyon::tcp_stream& s, std::span<const std::byte> b); // return bytes consumed
///         void on_eof(tachyon::tcp_stream& s);                                // the peer sent FIN
///         void on_writable(tachyon::tcp_stream& s);                           // send space was freed
///         void on_closed(tachyon::tcp_stream& s, tachyon::tcp_close_reason r); // the end (once)
///     };
///     session h;
///     auto s = tachyon::tcp_stream::connect(st, {gw_ip, 9000}, h, tachyon::duration::s(2)).value();
///
/// Data: `on_data` gets a zero-copy view into the receive queue (valid during the call only) and
/// returns how many bytes it took; what it leaves is shown again with what follows. The view is
/// never empty (the end of the peer's data is `on_eof`). Returning 0 stops delivery (the window
/// closes as the receive buffer fills): call `resume_reading()` when ready again.
///
/// Sending: `send` copies into the stack's frames and returns the bytes accepted (fewer than
/// asked, or 0, when the send buffer is full); it never blocks. `on_writable` says when to try
/// again. Sends made inside a callback leave together at the end of the poll iteration, with
/// the ACK of what was received (a request and its response cost two frames).
///
/// Closing: `shutdown()` sends FIN after the queued data and keeps receiving (half-close);
/// `close()` sends FIN after the queued data and stops reading (data arriving afterwards is
/// discarded); `abort()` sends RST and drops everything (`on_closed(aborted)` is called at
/// once). A destroyed stream closes gracefully, as a socket's close(): FIN after the queued
/// data, which the stack still delivers and retransmits; nothing is reported any more. Use
/// `abort()` first for a RST. `on_closed` is called exactly once per stream that was open, with
/// the reason (normal, reset: the peer's RST, including a refused connect; timeout: connect,
/// retransmission, keepalive or user timeout; unreachable; aborted: ours). The handler may
/// destroy the stream from any callback.
///
/// Buffer sizes: the stack is built with a maximum for every connection (`stack_config::tcp.
/// send_buffer` / `receive_buffer`, which `set_tcp_buffer_sizes` writes before `stack::create`;
/// the queues are allocated for it at start-up); `tcp_stream::set_buffer_sizes` makes one
/// connection's smaller.

#include <concepts>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "api/udp_socket.hpp" // endpoint
#include "stack/iface/stack.hpp"

namespace tachyon {

/// The send and receive buffer sizes of every connection of a stack (bytes).
struct tcp_buffer_sizes {
    size_t send = 0;    ///< bytes a connection may hold unsent or unacknowledged
    size_t receive = 0; ///< bytes a connection may hold for the application (the window)
};

/// The largest buffer sizes a stack's connections may have (set at start-up).
inline tcp_buffer_sizes get_tcp_buffer_sizes(const stack& st) {
    return {st.config().tcp.send_buffer, st.config().tcp.receive_buffer};
}

/// Sets the largest buffer sizes of the connections of stacks built from `config`.
inline void set_tcp_buffer_sizes(stack_config& config, tcp_buffer_sizes sizes) {
    config.tcp.send_buffer = sizes.send;
    config.tcp.receive_buffer = sizes.receive;
}

class tcp_stream;

namespace detail {

/// What the stack's callbacks point at: stable while the stream moves (the stream owns it).
struct tcp_stream_state {
    stack* st = nullptr;
    tcp_id id = 0;
    tcp_stream* owner = nullptr; ///< the stream object that holds this state now
    void* handler = nullptr;     ///< the application's handler (type known to the trampolines)
    bool open = true;            ///< false once on_closed came (the id is dead)
    bool reading = true;         ///< false after close(): data is discarded
    bool connected = false;      ///< ESTABLISHED was reached
    /// Rebuilds the callbacks for the handler's type (for `resume_reading`).
    tcp_callbacks (*make)(tcp_stream_state*) = nullptr;
};

/// Callbacks of a connection nobody holds any more (a destroyed stream finishing its close):
/// data is taken and discarded, so that the peer's FIN gets in; nothing is reported.
inline tcp_callbacks orphan_callbacks() {
    tcp_callbacks cb;
    cb.on_data = [](void*, tcp_id, std::span<const std::byte> b) -> size_t { return b.size(); };
    return cb;
}

} // namespace detail

/// A TCP connection (move-only; destroying it closes it gracefully, see the file comment).
class tcp_stream {
public:
    /// Opens a connection to `remote` (SYN now). Events go to `handler`, which must outlive the
    /// stream: `on_connected` when established, `on_closed(reset)` when refused,
    /// `on_closed(timeout)` when nothing answered within `timeout`.
    template <class Handler>
    static result<tcp_stream> connect(stack& st, endpoint remote, Handler& handler,
                                      duration timeout = duration{}) {
        auto state = std::make_unique<detail::tcp_stream_state>();
        state->st = &st;
        state->handler = &handler;
        if (timeout == duration{}) timeout = st.config().tcp.connect_timeout;
        auto id = st.tcp_connect(remote.address, remote.port, callbacks_for<Handler>(state.get()), timeout, st.now());
        if (!id) return id.err();
        state->id = *id;
        return tcp_stream(std::move(state));
    }

    /// An empty handle (names no connection).
    tcp_stream() = default;
    tcp_stream(const tcp_stream&) = delete;
    tcp_stream& operator=(const tcp_stream&) = delete;
    /// Moves the stream; `o` no longer names it. Callbacks follow to the new object.
    tcp_stream(tcp_stream&& o) noexcept : _s(std::move(o._s)) {
        if (_s) _s->owner = this;
    }
    /// Moves the stream; the one held before is closed (as by the destructor).
    tcp_stream& operator=(tcp_stream&& o) noexcept {
        if (this != &o) {
            release();
            _s = std::move(o._s);
            if (_s) _s->owner = this;
        }
        return *this;
    }
    /// Closes gracefully (FIN after the queued data); nothing is reported afterwards.
    ~tcp_stream() { release(); }

    /// Sends events to `handler` from now on (for accepted streams, which start with none;
    /// data that arrived already is delivered now). `handler` must outlive the stream.
    template <class Handler>
    errc set_handler(Handler& handler) {
        if (!_s || !_s->open) return errc::not_found;
        _s->handler = &handler;
        return _s->st->tcp_set_callbacks(_s->id, callbacks_for<Handler>(_s.get()));
    }

    /// Queues up to `data.size()` bytes; returns how many were taken (never blocks).
    size_t send(std::span<const std::byte> data) {
        if (!_s || !_s->open) [[unlikely]]
            return 0;
        return _s->st->tcp_send(_s->id, data, _s->st->now());
    }
    /// Bytes `send` would take now.
    size_t send_space() const { return _s && _s->open ? _s->st->tcp_send_space(_s->id) : 0; }
    /// Delivers again what `on_data` left unconsumed (after it returned 0 to apply backpressure).
    void resume_reading() {
        if (!_s || !_s->open || _s->handler == nullptr) return;
        // tcp_set_callbacks delivers what waits in the receive queue to the reader it sets.
        tcp_callbacks cb = _s->st->tcp_connection_of(_s->id) ? current_callbacks() : tcp_callbacks{};
        if (cb.context != nullptr) (void)_s->st->tcp_set_callbacks(_s->id, cb);
    }

    /// Half-close: FIN after the queued data; receiving goes on.
    errc shutdown() {
        if (!_s || !_s->open) return errc::not_found;
        return _s->st->tcp_shutdown(_s->id, _s->st->now());
    }
    /// FIN after the queued data, and no more reading (what arrives is discarded); `on_closed`
    /// comes when the close completes.
    errc close() {
        if (!_s || !_s->open) return errc::not_found;
        _s->reading = false;
        return _s->st->tcp_close(_s->id, _s->st->now());
    }
    /// RST now, queued data dropped; `on_closed(aborted)` is called before this returns.
    errc abort() {
        if (!_s || !_s->open) return errc::not_found;
        return _s->st->tcp_abort(_s->id, _s->st->now());
    }

    /// TCP_NODELAY: true (the default) sends at once; false turns RFC 896 Nagle on.
    errc set_nodelay(bool on) { return _s && _s->open ? _s->st->tcp_set_nodelay(_s->id, on) : errc::not_found; }
    /// RFC 1122 keepalive with the stack's timings (`stack_config::tcp.keepalive_*`).
    errc set_keepalive(bool on) {
        return _s && _s->open ? _s->st->tcp_set_keepalive(_s->id, on, _s->st->now()) : errc::not_found;
    }
    /// Sets this stream's send and receive buffer sizes in bytes (0 keeps one), each at most the
    /// stack's `tcp.send_buffer` / `tcp.receive_buffer`; set the receive size before the
    /// handshake for it to shape the first window.
    errc set_buffer_sizes(size_t send, size_t receive) {
        return _s && _s->open ? _s->st->tcp_set_buffer_sizes(_s->id, send, receive) : errc::not_found;
    }
    /// Aborts (`on_closed(timeout)`) when sent data stays unacknowledged for `d`; 0 turns it off.
    errc set_user_timeout(duration d) {
        return _s && _s->open ? _s->st->tcp_set_user_timeout(_s->id, d) : errc::not_found;
    }

    /// Sets this stream's RTO floor and tail-loss-probe timings (see `tcp_recovery_timers`:
    /// a LAN to an exchange wants an RTO floor of a few milliseconds, not 200).
    errc set_recovery_timers(const tcp_recovery_timers& t) {
        return _s && _s->open ? _s->st->tcp_set_recovery_timers(_s->id, t) : errc::not_found;
    }

    /// This stream's send and receive buffer sizes.
    tcp_buffer_sizes buffer_sizes() const {
        const tcp_connection* c = control_block();
        return c != nullptr ? tcp_buffer_sizes{c->send_buffer(), c->receive_buffer()} : tcp_buffer_sizes{};
    }

    /// True while the connection is open (until `on_closed`).
    bool is_open() const { return _s && _s->open; }
    /// True once the connection reached ESTABLISHED.
    bool is_connected() const { return _s && _s->connected; }
    /// The RFC 9293 state (CLOSED once ended).
    tcp_state state() const {
        const tcp_connection* c = control_block();
        return c != nullptr ? c->state() : tcp_state::closed;
    }
    /// Our address and port (zeros once ended).
    endpoint local() const {
        const tcp_connection* c = control_block();
        return c != nullptr ? endpoint{c->tuple().local_address, c->tuple().local_port} : endpoint{};
    }
    /// The peer's address and port (zeros once ended).
    endpoint remote() const {
        const tcp_connection* c = control_block();
        return c != nullptr ? endpoint{c->tuple().remote_address, c->tuple().remote_port} : endpoint{};
    }
    /// The control block (read-only: counters, windows, RTT), null once ended.
    const tcp_connection* control_block() const { return _s && _s->open ? _s->st->tcp_connection_of(_s->id) : nullptr; }
    /// The stack's id of the connection.
    tcp_id id() const { return _s ? _s->id : 0; }
    /// The stack the stream lives on.
    stack* net() const { return _s ? _s->st : nullptr; }

private:
    friend class tcp_listener;
    explicit tcp_stream(std::unique_ptr<detail::tcp_stream_state> s) : _s(std::move(s)) {
        if (_s) _s->owner = this;
    }
    /// An accepted connection: tracks its end until a handler is set.
    tcp_stream(stack& st, tcp_id id) : _s(std::make_unique<detail::tcp_stream_state>()) {
        _s->st = &st;
        _s->id = id;
        _s->owner = this;
        _s->connected = true;
        tcp_callbacks cb;
        cb.context = _s.get();
        cb.on_closed = [](void* ctx, tcp_id, tcp_close_reason) { static_cast<detail::tcp_stream_state*>(ctx)->open = false; };
        (void)st.tcp_set_callbacks(id, cb);
    }

    void release() {
        if (!_s) return;
        std::unique_ptr<detail::tcp_stream_state> s = std::move(_s);
        if (!s->open) return;
        // Nothing may call back into the state after this: the stack finishes the close alone.
        (void)s->st->tcp_set_callbacks(s->id, detail::orphan_callbacks());
        (void)s->st->tcp_close(s->id, s->st->now());
    }

    tcp_callbacks current_callbacks() const { return _s->make ? _s->make(_s.get()) : tcp_callbacks{}; }

    template <class Handler>
    static tcp_callbacks callbacks_for(detail::tcp_stream_state* s) {
        using state = detail::tcp_stream_state;
        s->make = &callbacks_for<Handler>;
        tcp_callbacks cb;
        cb.context = s;
        cb.on_connected = [](void* ctx, tcp_id) {
            auto* st = static_cast<state*>(ctx);
            st->connected = true;
            if constexpr (requires(Handler& h, tcp_stream& t) { h.on_connected(t); })
                static_cast<Handler*>(st->handler)->on_connected(*st->owner);
        };
        cb.on_data = [](void* ctx, tcp_id, std::span<const std::byte> bytes) -> size_t {
            auto* st = static_cast<state*>(ctx);
            if (!st->reading) [[unlikely]]
                return bytes.size(); // closed for reading: discard
            if (bytes.empty()) {
                if constexpr (requires(Handler& h, tcp_stream& t) { h.on_eof(t); })
                    static_cast<Handler*>(st->handler)->on_eof(*st->owner);
                return 0;
            }
            if constexpr (requires(Handler& h, tcp_stream& t, std::span<const std::byte> b) {
                              { h.on_data(t, b) } -> std::convertible_to<size_t>;
                          })
                return static_cast<Handler*>(st->handler)->on_data(*st->owner, bytes);
            else
                return bytes.size();
        };
        cb.on_writable = [](void* ctx, tcp_id) {
            auto* st = static_cast<state*>(ctx);
            if constexpr (requires(Handler& h, tcp_stream& t) { h.on_writable(t); })
                static_cast<Handler*>(st->handler)->on_writable(*st->owner);
        };
        cb.on_closed = [](void* ctx, tcp_id, tcp_close_reason reason) {
            auto* st = static_cast<state*>(ctx);
            st->open = false; // before the handler, which may destroy the stream (and `st`)
            if constexpr (requires(Handler& h, tcp_stream& t) { h.on_closed(t, reason); })
                static_cast<Handler*>(st->handler)->on_closed(*st->owner, reason);
        };
        return cb;
    }

    std::unique_ptr<detail::tcp_stream_state> _s;
};

/// A listening port (move-only; destroying it stops listening, accepted streams stay).
class tcp_listener {
public:
    /// Listens on `port` with at most `backlog` half-open connections (capped by the stack's
    /// `tcp.syn_backlog`). Each accepted connection goes to `handler.on_accept(tcp_stream&&)`:
    /// keep the stream (and `set_handler` on it) or let it go, which closes it. `handler` must
    /// outlive the listener.
    template <class Handler>
    static result<tcp_listener> listen(stack& st, uint16_t port, size_t backlog, Handler& handler) {
        auto state = std::make_unique<listener_state>();
        state->st = &st;
        state->handler = &handler;
        auto got = st.tcp_listen(
            port, backlog,
            [](void* ctx, tcp_id id) {
                auto* l = static_cast<listener_state*>(ctx);
                static_cast<Handler*>(l->handler)->on_accept(tcp_stream(*l->st, id));
            },
            state.get());
        if (!got) return got.err();
        state->port = *got;
        return tcp_listener(std::move(state));
    }

    tcp_listener() = default;
    tcp_listener(const tcp_listener&) = delete;
    tcp_listener& operator=(const tcp_listener&) = delete;
    tcp_listener(tcp_listener&& o) noexcept = default;
    /// Moves the listener; the one held before stops listening.
    tcp_listener& operator=(tcp_listener&& o) noexcept {
        if (this != &o) {
            close();
            _s = std::move(o._s);
        }
        return *this;
    }
    ~tcp_listener() { close(); }

    /// The port listened on (0 once closed).
    uint16_t port() const { return _s ? _s->port : 0; }
    /// Stops listening now (new SYNs get RST); accepted streams stay.
    void close() {
        if (_s) {
            _s->st->tcp_unlisten(_s->port);
            _s.reset();
        }
    }

private:
    struct listener_state {
        stack* st = nullptr;
        void* handler = nullptr;
        uint16_t port = 0;
    };
    explicit tcp_listener(std::unique_ptr<listener_state> s) : _s(std::move(s)) {}

    std::unique_ptr<listener_state> _s;
};

} // namespace tachyon
