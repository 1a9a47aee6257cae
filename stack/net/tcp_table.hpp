#pragma once
/// The TCP connection table, as `udp_table` is UDP's: fixed capacity, one slot per connection
/// holding its TCB (built at start), the application's callbacks, its wheel timer, a generation
/// that makes ids of released slots stale, and the small per-connection flags the stack keeps
/// (end of stream pending, dirty this iteration, the listener whose backlog a half-open
/// connection holds). Connections are found by 4-tuple in one probe; listeners by port.
/// Ephemeral ports come from 49152-65535 (RFC 6335 §6), skipping tuples still in use.
///
/// Sans-IO: it only holds state. The stack's TCP layer (stack/iface/tcp.cpp) moves segments,
/// runs the callbacks and arms the timers.

#include <cstdint>
#include <memory>
#include <vector>

#include "stack/core/addr.hpp"
#include "stack/core/index_table.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"
#include "stack/core/timer_wheel.hpp"
#include "stack/net/tcp_connection.hpp"

namespace tachyon {

/// A TCP connection's identity: its slot and the slot's generation (so a stale id never
/// reaches a connection that reused the slot).
using tcp_id = uint32_t;

/// The application's callbacks for one TCP connection: plain functions and one context.
struct tcp_callbacks {
    void* context = nullptr; ///< passed to every callback
    /// The connection reached ESTABLISHED (an active open; accepted ones start established).
    void (*on_connected)(void* context, tcp_id id) = nullptr;
    /// Bytes arrived: a view into the receive queue; return how many were consumed (the rest
    /// is shown again, with what follows). An empty view means the peer finished sending (FIN).
    size_t (*on_data)(void* context, tcp_id id, std::span<const std::byte> bytes) = nullptr;
    /// Send space was freed.
    void (*on_writable)(void* context, tcp_id id) = nullptr;
    /// The connection ended; the id is invalid afterwards.
    void (*on_closed)(void* context, tcp_id id, tcp_close_reason reason) = nullptr;
};

/// Receives connections a listener accepted: set their callbacks with `tcp_set_callbacks`.
using tcp_accept_handler = void (*)(void* context, tcp_id id);

/// A connection's wheel timer, which knows its slot.
struct tcp_slot_timer : timer {
    uint32_t slot = 0; ///< the slot whose connection the timer serves
};

/// One connection slot.
struct tcp_slot {
    std::unique_ptr<tcp_connection> tcb; ///< the control block, built at start
    tcp_callbacks callbacks;             ///< the application's, cleared at release
    tcp_slot_timer timer;                ///< the connection's one wheel timer
    uint16_t generation = 0;             ///< bumped at release: older ids no longer match
    bool eof_pending = false;            ///< the peer's FIN waits until the bytes before it are consumed
    bool dirty = false;                  ///< listed for output at the end of this iteration
    int32_t listener = -1;               ///< the listener whose backlog this half-open connection holds, or -1
    bool closed_told = false;            ///< on_closed was called: the id is no longer the application's
    uint64_t key = 0;                    ///< the 4-tuple it is filed under while allocated
};

/// A listening port.
struct tcp_listen_slot {
    bool in_use = false;                    ///< the slot holds a listener
    uint16_t port = 0;                      ///< the local port
    size_t backlog = 0;                     ///< half-open connections allowed at once
    size_t half_open = 0;                   ///< half-open connections now
    tcp_accept_handler on_accept = nullptr; ///< told of each connection established
    void* context = nullptr;                ///< passed to `on_accept`
    instant cookies_until;                  ///< ACKs are checked for SYN cookies until then (RFC 4987 §3.6)
};

/// The TCP connections and listeners of one stack.
class tcp_table {
public:
    /// No slot or listener.
    static constexpr uint32_t npos = 0xffffffffu;

    /// `settings.max_connections` slots, each with a TCB built from `settings` counting into
    /// `stats`, and `settings.max_listeners` listeners (backlogs capped at `syn_backlog`). The
    /// TCBs keep references to both: they must outlive the table.
    tcp_table(const tcp_settings& settings, tcp_stats& stats);

    /// Connection slots in all.
    size_t capacity() const { return _slots.size(); }
    /// Connection slots in use.
    size_t size() const { return _slots.size() - _free.size(); }

    /// The id of `slot` as it is now.
    tcp_id id_of(uint32_t slot) const { return uint32_t(_slots[slot].generation) << slot_bits | slot; }
    /// The slot an id names (whether or not the id is still current).
    static uint32_t slot_of(tcp_id id) { return id & slot_mask; }
    /// True while `id` names the connection in its slot (not released, not reused since).
    bool current(tcp_id id) const {
        const uint32_t s = slot_of(id);
        return s < _slots.size() && _slots[s].generation == uint16_t(id >> slot_bits);
    }
    /// The slot of the open connection `id` names, or npos.
    uint32_t find(tcp_id id) const { return current(id) && _slots[slot_of(id)].tcb->in_use() ? slot_of(id) : npos; }
    /// The slot of the connection with this 4-tuple (any state, TIME-WAIT included), or npos.
    uint32_t find(ipv4_address remote, uint16_t remote_port, uint16_t local_port) const {
        return _index.find(key(remote, remote_port, local_port));
    }

    /// The slot.
    tcp_slot& operator[](uint32_t slot) { return _slots[slot]; }
    /// The slot.
    const tcp_slot& operator[](uint32_t slot) const { return _slots[slot]; }

    /// Takes a free slot for `t`, files it under its 4-tuple and clears its callbacks and
    /// flags; counts `drop_table_full` and fails when every slot is in use.
    result<uint32_t> allocate(const tcp_tuple& t);
    /// Gives `slot` back: gives up its listener's backlog place, unfiles it, makes its id
    /// stale and clears its callbacks. The caller cancels its timer.
    void release(uint32_t slot);

    /// Marks `slot` for output at the end of the iteration; true when it was not yet marked.
    bool mark_dirty(uint32_t slot);
    /// Calls `f(slot)` for each slot marked, in marking order, clearing the marks (a slot
    /// marked again from `f` is visited again).
    template <class F>
    void drain_dirty(F&& f) {
        for (size_t i = 0; i < _dirty.size(); ++i) {
            const uint32_t slot = _dirty[i];
            _slots[slot].dirty = false;
            f(slot);
        }
        _dirty.clear();
    }

    /// Opens a listener on `port` (capped backlog); errors name the cause.
    result<uint32_t> listen(uint16_t port, size_t backlog, tcp_accept_handler on_accept, void* context);
    /// Closes the listener on `port`, if any.
    void unlisten(uint16_t port);
    /// The listener on `port`, or npos.
    uint32_t find_listener(uint16_t port) const { return _listener_index.find(port); }
    /// The listener.
    tcp_listen_slot& listener(uint32_t l) { return _listeners[l]; }
    /// The listener (read-only, for tools).
    const tcp_listen_slot& listener(uint32_t l) const { return _listeners[l]; }
    /// Listener slots in all.
    size_t listener_capacity() const { return _listeners.size(); }
    /// Files `slot` as a half-open connection of listener `l` (one backlog place).
    void hold_backlog(uint32_t slot, uint32_t l);
    /// Gives `slot`'s backlog place back to its listener, if it holds one.
    void unhold_backlog(uint32_t slot);

    /// A free ephemeral port for a connection to (`remote`, `remote_port`): no 4-tuple in use
    /// (TIME-WAIT included: its old segments may still be in flight) and no listener on it; 0
    /// when none is free.
    uint16_t ephemeral_port(ipv4_address remote, uint16_t remote_port);

private:
    static constexpr uint32_t slot_bits = 20;
    static constexpr uint32_t slot_mask = (1u << slot_bits) - 1;
    static uint64_t key(ipv4_address remote, uint16_t remote_port, uint16_t local_port) {
        return uint64_t(remote.value) << 32 | uint32_t(remote_port) << 16 | local_port;
    }
    struct key_hash {
        uint64_t operator()(uint64_t k) const { return k; }
    };
    struct port_hash {
        uint64_t operator()(uint16_t p) const { return p; }
    };

    tcp_stats& _stats;
    size_t _max_backlog;
    std::vector<tcp_slot> _slots;
    std::vector<uint32_t> _free;
    std::vector<uint32_t> _dirty;
    index_table<uint64_t, key_hash> _index;
    std::vector<tcp_listen_slot> _listeners;
    index_table<uint16_t, port_hash> _listener_index;
    uint16_t _next_port = 49152;
};

} // namespace tachyon
