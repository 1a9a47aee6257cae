#include "apps/oe/order_table.hpp"

namespace tachyon::oe {

const char* to_string(order_state s) {
    switch (s) {
    case order_state::pending_new: return "pending_new";
    case order_state::pending_replace: return "pending_replace";
    case order_state::accepted: return "accepted";
    case order_state::partially_executed: return "partially_executed";
    case order_state::executed: return "executed";
    case order_state::canceled: return "canceled";
    case order_state::rejected: return "rejected";
    case order_state::replaced: return "replaced";
    }
    return "?";
}

bool is_final(order_state s) {
    return s == order_state::executed || s == order_state::canceled || s == order_state::rejected ||
           s == order_state::replaced;
}

const char* to_string(order_outcome o) {
    switch (o) {
    case order_outcome::applied: return "applied";
    case order_outcome::table_full: return "table_full";
    case order_outcome::duplicate: return "duplicate";
    case order_outcome::unknown_token: return "unknown_token";
    case order_outcome::bad_transition: return "bad_transition";
    }
    return "?";
}

order_table::order_table(size_t capacity) : _slots(capacity), _index(capacity) {
    _free.reserve(capacity);
    for (size_t i = capacity; i-- > 0;) _free.push_back(uint32_t(i));
}

bool order_table::live(const order_record& r) {
    return r.state == order_state::accepted || r.state == order_state::partially_executed;
}

order_outcome order_table::refuse(order_outcome o) {
    switch (o) {
    case order_outcome::table_full: ++_stats.table_full; break;
    case order_outcome::duplicate: ++_stats.duplicate; break;
    case order_outcome::unknown_token: ++_stats.unknown_token; break;
    case order_outcome::bad_transition: ++_stats.bad_transition; break;
    case order_outcome::applied: break;
    }
    return o;
}

order_record* order_table::lookup(const ouch_token& token) {
    const uint32_t slot = _index.find(token);
    return slot == _index.npos ? nullptr : &_slots[slot];
}

const order_record* order_table::find(const ouch_token& token) const {
    const uint32_t slot = _index.find(token);
    return slot == _index.npos ? nullptr : &_slots[slot];
}

order_outcome order_table::add(const order_record& r) {
    if (_index.find(r.token) != _index.npos) return refuse(order_outcome::duplicate);
    if (_free.empty()) return refuse(order_outcome::table_full);
    const uint32_t slot = _free.back();
    _free.pop_back();
    _slots[slot] = r;
    (void)_index.insert(r.token, slot); // room and absence checked above
    return order_outcome::applied;
}

bool order_table::erase(const ouch_token& token) {
    const uint32_t slot = _index.find(token);
    if (slot == _index.npos) return false;
    (void)_index.erase(token);
    _free.push_back(slot);
    return true;
}

order_outcome order_table::enter(const ouch_enter_order& o) {
    order_record r;
    r.token = o.token;
    r.side = o.side;
    r.stock = o.stock;
    r.price = o.price;
    r.shares = o.shares;
    r.state = order_state::pending_new;
    const order_outcome out = add(r);
    if (out == order_outcome::applied) ++_stats.entered;
    return out;
}

order_outcome order_table::request_replace(const ouch_replace_order& rq) {
    const order_record* old = find(rq.existing_token);
    if (old == nullptr) return refuse(order_outcome::unknown_token);
    if (!live(*old)) return refuse(order_outcome::bad_transition);
    order_record r;
    r.token = rq.replacement_token;
    r.side = old->side;
    r.stock = old->stock;
    r.price = rq.price;
    r.shares = rq.shares;
    r.previous = rq.existing_token;
    r.state = order_state::pending_replace;
    const order_outcome out = add(r);
    if (out == order_outcome::applied) ++_stats.replace_requests;
    return out;
}

order_outcome order_table::request_cancel(const ouch_token& token) {
    order_record* r = lookup(token);
    if (r == nullptr) return refuse(order_outcome::unknown_token);
    if (!live(*r)) return refuse(order_outcome::bad_transition);
    r->cancel_requested = true;
    ++_stats.cancel_requests;
    return order_outcome::applied;
}

order_outcome order_table::apply(const ouch_accepted& m) {
    order_record* r = lookup(m.token);
    if (r == nullptr) return refuse(order_outcome::unknown_token);
    if (r->state != order_state::pending_new) return refuse(order_outcome::bad_transition);
    // The exchange's terms win (§3.3 Accepted: "the order as accepted"; shares and price may differ).
    r->shares = m.terms.shares;
    r->price = m.terms.price;
    r->order_ref = m.terms.order_ref;
    r->state = order_state::accepted;
    ++_stats.accepted;
    return order_outcome::applied;
}

order_outcome order_table::apply(const ouch_rejected& m) {
    order_record* r = lookup(m.token);
    if (r == nullptr) return refuse(order_outcome::unknown_token);
    if (r->state != order_state::pending_new) return refuse(order_outcome::bad_transition);
    r->state = order_state::rejected;
    ++_stats.rejected;
    return order_outcome::applied;
}

order_outcome order_table::apply(const ouch_executed& m) {
    order_record* r = lookup(m.token);
    if (r == nullptr) return refuse(order_outcome::unknown_token);
    if (!live(*r) || m.executed_shares == 0 || m.executed_shares > r->leaves())
        return refuse(order_outcome::bad_transition);
    r->executed += m.executed_shares;
    r->state = r->leaves() == 0 ? order_state::executed : order_state::partially_executed;
    ++_stats.executions;
    _stats.executed_shares += m.executed_shares;
    if (r->state == order_state::executed) ++_stats.fully_executed;
    return order_outcome::applied;
}

order_outcome order_table::apply(const ouch_canceled& m) {
    order_record* r = lookup(m.token);
    if (r == nullptr) return refuse(order_outcome::unknown_token);
    if (!live(*r) || m.decrement_shares > r->leaves()) return refuse(order_outcome::bad_transition);
    r->canceled += m.decrement_shares;
    ++_stats.cancels;
    _stats.canceled_shares += m.decrement_shares;
    if (r->leaves() == 0) {
        r->state = order_state::canceled;
        ++_stats.fully_canceled;
    }
    return order_outcome::applied;
}

order_outcome order_table::apply(const ouch_replaced& m) {
    order_record* next = lookup(m.replacement_token);
    order_record* prev = lookup(m.previous_token);
    if (next == nullptr || prev == nullptr) return refuse(order_outcome::unknown_token);
    if (next->state != order_state::pending_replace || next->previous != m.previous_token || !live(*prev))
        return refuse(order_outcome::bad_transition);
    prev->state = order_state::replaced;
    // Replaced's Shares is the replacement's open quantity (§3.3 Replaced).
    next->shares = m.terms.shares;
    next->price = m.terms.price;
    next->order_ref = m.terms.order_ref;
    next->state = order_state::accepted;
    ++_stats.replaced;
    return order_outcome::applied;
}

} // namespace tachyon::oe
