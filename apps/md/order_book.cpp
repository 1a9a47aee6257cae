#include "apps/md/order_book.hpp"

#include <algorithm>

namespace tachyon::md {

order_books::order_books(const book_config& config)
    : _orders(config.max_orders), _order_index(config.max_orders), _levels(config.max_levels),
      _level_index(config.max_levels) {
    _free_orders.reserve(config.max_orders);
    for (size_t i = config.max_orders; i-- > 0;) _free_orders.push_back(uint32_t(i));
    _free_levels.reserve(config.max_levels);
    for (size_t i = config.max_levels; i-- > 0;) _free_levels.push_back(uint32_t(i));
}

book_result order_books::add(uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price) {
    if (side != 'B' && side != 'S') [[unlikely]]
        return book_result::bad_side;
    if (_order_index.find(ref) != _order_index.npos) [[unlikely]]
        return book_result::duplicate_order;
    if (_free_orders.empty()) [[unlikely]]
        return book_result::orders_full;
    const uint64_t key = level_key(locate, side, price);
    uint32_t level = _level_index.find(key);
    if (level == _level_index.npos) {
        if (_free_levels.empty()) [[unlikely]]
            return book_result::levels_full;
        level = _free_levels.back();
        _free_levels.pop_back();
        _levels[level] = level_slot{book_level{price, 0, 0}, locate, side, true};
        _level_index.insert(key, level);
    }
    _levels[level].level.shares += shares;
    _levels[level].level.orders += 1;
    const uint32_t slot = _free_orders.back();
    _free_orders.pop_back();
    _orders[slot] = book_order{ref, shares, price, level, locate, side};
    _order_index.insert(ref, slot);
    return book_result::ok;
}

void order_books::take_from_level(uint32_t level, uint32_t shares, bool last_order) {
    level_slot& l = _levels[level];
    l.level.shares -= shares;
    if (last_order) l.level.orders -= 1;
    if (l.level.orders == 0) {
        _level_index.erase(level_key(l.locate, l.side, l.level.price));
        l.used = false;
        _free_levels.push_back(level);
    }
}

void order_books::erase_order(uint32_t slot) {
    const book_order& o = _orders[slot];
    take_from_level(o.level, o.shares, true);
    _order_index.erase(o.ref);
    _free_orders.push_back(slot);
}

book_result order_books::reduce(uint64_t ref, uint32_t shares) {
    const uint32_t slot = _order_index.find(ref);
    if (slot == _order_index.npos) [[unlikely]]
        return book_result::unknown_order;
    book_order& o = _orders[slot];
    if (shares < o.shares) {
        o.shares -= shares;
        take_from_level(o.level, shares, false);
        return book_result::ok;
    }
    const bool over = shares > o.shares;
    erase_order(slot);
    return over ? book_result::overfill : book_result::ok;
}

book_result order_books::remove(uint64_t ref) {
    const uint32_t slot = _order_index.find(ref);
    if (slot == _order_index.npos) [[unlikely]]
        return book_result::unknown_order;
    erase_order(slot);
    return book_result::ok;
}

book_result order_books::replace(uint64_t old_ref, uint64_t new_ref, uint32_t shares, uint32_t price) {
    const uint32_t slot = _order_index.find(old_ref);
    if (slot == _order_index.npos) [[unlikely]]
        return book_result::unknown_order;
    if (new_ref != old_ref && _order_index.find(new_ref) != _order_index.npos) [[unlikely]]
        return book_result::duplicate_order;
    const uint16_t locate = _orders[slot].locate;
    const char side = _orders[slot].side;
    erase_order(slot);
    // The freed order slot makes room for the new order; only a new price level can fail.
    return add(locate, new_ref, side, shares, price);
}

const book_order* order_books::find(uint64_t ref) const {
    const uint32_t slot = _order_index.find(ref);
    return slot == _order_index.npos ? nullptr : &_orders[slot];
}

std::vector<book_level> order_books::snapshot(uint16_t locate, char side) const {
    std::vector<book_level> out;
    for (const level_slot& l : _levels)
        if (l.used && l.locate == locate && l.side == side) out.push_back(l.level);
    std::sort(out.begin(), out.end(), [side](const book_level& a, const book_level& b) {
        return side == 'B' ? a.price > b.price : a.price < b.price;
    });
    return out;
}

std::vector<uint16_t> order_books::locates() const {
    std::vector<uint16_t> out;
    for (const level_slot& l : _levels)
        if (l.used) out.push_back(l.locate);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace tachyon::md
