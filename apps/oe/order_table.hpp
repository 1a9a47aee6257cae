#pragma once
/// The gateway's orders by OUCH Order Token, in a table sized at construction (no allocation
/// afterwards; full is a counted refusal, never a crash). Each order follows the OUCH 4.2
/// life cycle (spec §3.3 Order Messages):
///
///     pending_new --Accepted--> accepted --Executed--> partially_executed --Executed--> executed
///          |                     |   |                        |
///          | Rejected            |   +------Canceled (all left)-------> canceled
///          v                     |  Replaced (this one goes)
///       rejected                 v
///                             replaced     (the replacement: pending_replace --Replaced--> accepted)
///
/// Executed and Canceled are incremental (Executed Shares, Decrement Shares): the order's
/// leaves are its shares less what was executed and canceled. A Canceled that leaves shares is
/// a partial cancel; the order stays live. An event for a token the table does not hold, or one
/// its state does not allow (an execution of a rejected order, more shares than are left), is
/// counted and changes nothing.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "apps/oe/ouch.hpp"
#include "stack/core/index_table.hpp"

namespace tachyon::oe {

/// Where an order stands.
enum class order_state : uint8_t {
    pending_new,        ///< Enter Order sent, no answer yet
    pending_replace,    ///< a replacement: Replace Order sent, no answer yet
    accepted,           ///< live, nothing executed
    partially_executed, ///< live, some shares executed
    executed,           ///< every share executed (final)
    canceled,           ///< every share left canceled (final)
    rejected,           ///< refused by the exchange (final)
    replaced,           ///< replaced by another token (final)
};

/// A name for `s`.
const char* to_string(order_state s);
/// True for the states an order never leaves.
bool is_final(order_state s);

/// What the table did with a request or an exchange event.
enum class order_outcome : uint8_t {
    applied,        ///< done
    table_full,     ///< no free slot (refused, counted)
    duplicate,      ///< the token is held already (refused, counted)
    unknown_token,  ///< no order with that token (ignored, counted)
    bad_transition, ///< not allowed in the order's state, or more shares than left (ignored, counted)
};

/// A name for `o`.
const char* to_string(order_outcome o);

/// One order.
struct order_record {
    ouch_token token{};          ///< Order Token
    char side = 0;               ///< Buy/Sell Indicator
    ouch_stock stock{};          ///< Stock
    uint32_t price = 0;          ///< Price(4) (as accepted, once accepted)
    uint32_t shares = 0;         ///< shares ordered (as accepted, once accepted)
    uint32_t executed = 0;       ///< shares executed so far
    uint32_t canceled = 0;       ///< shares canceled so far
    uint64_t order_ref = 0;      ///< Order Reference Number (from Accepted / Replaced)
    ouch_token previous{};       ///< for a replacement: the token it replaces
    order_state state = order_state::pending_new; ///< where it stands
    bool cancel_requested = false; ///< a Cancel Order was sent for it

    /// Shares still open.
    uint32_t leaves() const { return shares - executed - canceled; }
};

/// What the table counted.
struct order_table_stats {
    uint64_t entered = 0;        ///< orders added (Enter Order)
    uint64_t replace_requests = 0; ///< replacements added (Replace Order)
    uint64_t cancel_requests = 0;  ///< Cancel Orders recorded
    uint64_t accepted = 0;       ///< Accepted applied
    uint64_t rejected = 0;       ///< Rejected applied
    uint64_t replaced = 0;       ///< Replaced applied
    uint64_t executions = 0;     ///< Executed applied
    uint64_t executed_shares = 0; ///< shares in them
    uint64_t fully_executed = 0; ///< orders that reached `executed`
    uint64_t cancels = 0;        ///< Canceled applied
    uint64_t canceled_shares = 0; ///< shares in them
    uint64_t fully_canceled = 0; ///< orders that reached `canceled`
    uint64_t table_full = 0;     ///< refusals: no slot
    uint64_t duplicate = 0;      ///< refusals: token held
    uint64_t unknown_token = 0;  ///< events for no order held
    uint64_t bad_transition = 0; ///< events the order's state does not allow
};

/// Orders by token, fixed capacity (see the file comment).
class order_table {
public:
    /// A table for up to `capacity` orders at once.
    explicit order_table(size_t capacity);

    /// Adds an order about to be sent (pending_new).
    order_outcome enter(const ouch_enter_order& o);
    /// Adds the replacement named by a Replace Order about to be sent (pending_replace); the
    /// existing order must be live.
    order_outcome request_replace(const ouch_replace_order& r);
    /// Records that a Cancel Order is about to be sent for a live order.
    order_outcome request_cancel(const ouch_token& token);

    /// Applies Accepted.
    order_outcome apply(const ouch_accepted& m);
    /// Applies Rejected.
    order_outcome apply(const ouch_rejected& m);
    /// Applies Executed.
    order_outcome apply(const ouch_executed& m);
    /// Applies Canceled.
    order_outcome apply(const ouch_canceled& m);
    /// Applies Replaced (the previous order becomes `replaced`, the replacement `accepted`).
    order_outcome apply(const ouch_replaced& m);

    /// The order with `token`, or null.
    const order_record* find(const ouch_token& token) const;
    /// Frees `token`'s slot (say, once final and accounted for); false when absent.
    bool erase(const ouch_token& token);
    /// Orders held.
    size_t size() const { return _index.size(); }
    /// Orders the table may hold.
    size_t capacity() const { return _slots.size(); }
    /// Counters.
    const order_table_stats& stats() const { return _stats; }

private:
    /// Hashes a token: its 14 bytes folded into 64 bits (index_table mixes further).
    struct token_hash {
        uint64_t operator()(const ouch_token& t) const {
            uint64_t a = 0, b = 0;
            std::memcpy(&a, t.data(), 8);
            std::memcpy(&b, t.data() + 6, 8);
            return a ^ (b * 0x100000001b3ull) ^ (b >> 29);
        }
    };

    order_record* lookup(const ouch_token& token);
    order_outcome add(const order_record& r);
    order_outcome refuse(order_outcome o);
    static bool live(const order_record& r);

    std::vector<order_record> _slots;
    std::vector<uint32_t> _free;
    index_table<ouch_token, token_hash> _index;
    order_table_stats _stats;
};

} // namespace tachyon::oe
