#pragma once
/// Order books for every symbol of a feed, in fixed-capacity tables sized at start: orders by
/// reference number and price levels by (stock locate, side, price), each an `index_table`
/// (open addressing) over a slot array with a free list. No operation allocates; a full table
/// is a result the caller counts. Books are aggregated by price level (total shares and order
/// count per level), as an ITCH-fed book is; `snapshot` sorts one side for reports and tests
/// (control path, allocates).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/core/index_table.hpp"

namespace tachyon::md {

/// Capacities, fixed at construction.
struct book_config {
    size_t max_orders = size_t(1) << 20; ///< live orders over all symbols
    size_t max_levels = size_t(1) << 18; ///< live price levels over all symbols and sides
};

/// What a book operation did.
enum class book_result : uint8_t {
    ok,              ///< applied
    duplicate_order, ///< add/replace with a reference number already live: nothing changed
    unknown_order,   ///< no live order has that reference number: nothing changed
    orders_full,     ///< the order table is full: the order was not added
    levels_full,     ///< the level table is full: the order was not added
    overfill,        ///< more shares executed/cancelled than remained: the order was removed
    bad_side,        ///< side neither 'B' nor 'S': nothing changed
};

/// A live order.
struct book_order {
    uint64_t ref = 0;     ///< Order Reference Number
    uint32_t shares = 0;  ///< shares remaining
    uint32_t price = 0;   ///< Price(4)
    uint32_t level = 0;   ///< slot of its price level
    uint16_t locate = 0;  ///< Stock Locate
    char side = 0;        ///< 'B' or 'S'
};

/// One price level of one side of one book.
struct book_level {
    uint32_t price = 0;  ///< Price(4)
    uint64_t shares = 0; ///< total shares of the orders at this price
    uint32_t orders = 0; ///< number of orders at this price
    /// Equal when every field is.
    friend bool operator==(const book_level&, const book_level&) = default;
};

/// The books of all symbols.
class order_books {
public:
    /// Tables for `config`'s capacities, allocated here and only here.
    explicit order_books(const book_config& config);

    /// Adds an order (Add Order 'A'/'F').
    book_result add(uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price);
    /// Takes `shares` off an order (Executed 'E'/'C', Cancel 'X'); the order goes at zero.
    book_result reduce(uint64_t ref, uint32_t shares);
    /// Removes an order (Delete 'D').
    book_result remove(uint64_t ref);
    /// Replaces an order by a new one on the same book and side (Replace 'U').
    book_result replace(uint64_t old_ref, uint64_t new_ref, uint32_t shares, uint32_t price);
    /// The live order `ref`, or nullptr.
    const book_order* find(uint64_t ref) const;

    /// Live orders.
    size_t orders() const { return _order_index.size(); }
    /// Live price levels.
    size_t levels() const { return _level_index.size(); }
    /// One side of one book, best price first (bids high to low, asks low to high). Control path.
    std::vector<book_level> snapshot(uint16_t locate, char side) const;
    /// The stock locates that have at least one level. Control path.
    std::vector<uint16_t> locates() const;

private:
    struct identity_hash {
        uint64_t operator()(uint64_t k) const { return k; }
    };
    struct level_slot {
        book_level level;
        uint16_t locate = 0;
        char side = 0;
        bool used = false;
    };
    static uint64_t level_key(uint16_t locate, char side, uint32_t price) {
        return (uint64_t(locate) << 33) | (uint64_t(side == 'S') << 32) | price;
    }
    void take_from_level(uint32_t level, uint32_t shares, bool last_order);
    void erase_order(uint32_t slot);

    std::vector<book_order> _orders;
    std::vector<uint32_t> _free_orders;
    index_table<uint64_t, identity_hash> _order_index;
    std::vector<level_slot> _levels;
    std::vector<uint32_t> _free_levels;
    index_table<uint64_t, identity_hash> _level_index;
};

} // namespace tachyon::md
