#pragma once
/// Applies ITCH 5.0 messages, in sequence order, to the order books: Stock Directory 'R'
/// names the stock locates (and picks the subscribed ones when a symbol filter is set), Add
/// Order 'A'/'F', Executed 'E'/'C', Cancel 'X', Delete 'D' and Replace 'U' change the books,
/// System Event 'S' and Trade 'P' are decoded and counted (a non-cross trade changes no book,
/// §4.5.1). Every other ITCH 5.0 type is skipped by its length and counted; a message of an
/// unknown type or a wrong length is counted and dropped. Sans-IO, no allocation per message.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apps/md/itch.hpp"
#include "apps/md/order_book.hpp"

namespace tachyon::md {

/// What happened to the messages applied.
struct builder_stats {
    std::array<uint64_t, 128> by_type{}; ///< messages applied, by Message Type (ASCII)
    uint64_t skipped = 0;          ///< valid ITCH 5.0 types this builder does not decode
    uint64_t unknown_type = 0;     ///< types ITCH 5.0 does not define (dropped)
    uint64_t wrong_length = 0;     ///< empty, or a length that is not the type's (dropped)
    uint64_t filtered = 0;         ///< adds for symbols not subscribed (ignored)
    uint64_t unknown_order = 0;    ///< changes to orders not in the books (with a filter: expected)
    uint64_t duplicate_order = 0;  ///< adds of a live reference number (ignored)
    uint64_t orders_full = 0;      ///< adds refused: the order table is full
    uint64_t levels_full = 0;      ///< adds refused: the level table is full
    uint64_t overfill = 0;         ///< executions/cancels beyond the shares left
    uint64_t bad_side = 0;         ///< adds with a side neither 'B' nor 'S'
    uint64_t lost = 0;             ///< messages declared lost by recovery
};

/// One stock locate's state.
struct symbol_state {
    std::array<char, 8> stock{}; ///< symbol from the Stock Directory, space-padded
    bool known = false;          ///< a Stock Directory message named it
    bool subscribed = false;     ///< its book is kept
    bool stale = false;          ///< a message was lost since: the book may be wrong
};

/// The books and their symbols.
class book_builder {
public:
    /// Books sized by `config`; `symbols` empty keeps every book, else only those named.
    book_builder(const book_config& config, std::vector<std::string> symbols);

    /// Applies one ITCH message (any bytes: validated here).
    void apply(std::span<const std::byte> msg);
    /// Recovery gave up on a message: every kept book (and any named later) may now be wrong.
    void on_loss();

    /// The books.
    const order_books& books() const { return _books; }
    /// A stock locate's state.
    const symbol_state& symbol(uint16_t locate) const { return _symbols[locate]; }
    /// The counters.
    const builder_stats& stats() const { return _stats; }
    /// Number of books kept (known and subscribed symbols).
    size_t kept_books() const;
    /// Number of kept books marked stale.
    size_t stale_books() const;
    /// The symbol's text without padding.
    static std::string_view name(const symbol_state& s);
    /// Every kept book as JSON: {"SYM": {"stale": b, "bids": [[price, shares, orders], ...],
    /// "asks": [...]}, ...}, bids best (highest) first, asks best (lowest) first. Control path.
    std::string books_json() const;

private:
    void on_directory(std::span<const std::byte> msg);
    void on_add(const itch_add_order& m);
    void count(book_result r);

    order_books _books;
    std::vector<std::string> _filter;
    std::vector<symbol_state> _symbols; // by stock locate, 65536 entries
    builder_stats _stats;
    bool _lost_any = false;
};

} // namespace tachyon::md
