#include "apps/md/book_builder.hpp"

#include <algorithm>

namespace tachyon::md {

namespace {

/// Decodes a message `itch_check` has already validated (type and length).
template <class M>
M decode(std::span<const std::byte> msg) {
    M m;
    (void)itch_parse(msg, m);
    return m;
}

} // namespace

book_builder::book_builder(const book_config& config, std::vector<std::string> symbols)
    : _books(config), _filter(std::move(symbols)), _symbols(65536) {}

void book_builder::count(book_result r) {
    switch (r) {
    case book_result::ok: break;
    case book_result::duplicate_order: ++_stats.duplicate_order; break;
    case book_result::unknown_order: ++_stats.unknown_order; break;
    case book_result::orders_full: ++_stats.orders_full; break;
    case book_result::levels_full: ++_stats.levels_full; break;
    case book_result::overfill: ++_stats.overfill; break;
    case book_result::bad_side: ++_stats.bad_side; break;
    }
}

void book_builder::apply(std::span<const std::byte> msg) {
    const itch_error e = itch_check(msg);
    if (e != itch_error::ok) [[unlikely]] {
        if (e == itch_error::unknown_type) ++_stats.unknown_type;
        else ++_stats.wrong_length;
        return;
    }
    const char type = char(msg[0]);
    switch (type) {
    case itch_add_order::type: on_add(decode<itch_add_order>(msg)); break;
    case itch_add_order_mpid::type: on_add(decode<itch_add_order_mpid>(msg).order); break;
    case itch_order_executed::type: {
        const auto m = decode<itch_order_executed>(msg);
        count(_books.reduce(m.order_ref, m.executed_shares));
        break;
    }
    case itch_order_executed_price::type: {
        const auto m = decode<itch_order_executed_price>(msg);
        count(_books.reduce(m.order_ref, m.executed_shares));
        break;
    }
    case itch_order_cancel::type: {
        const auto m = decode<itch_order_cancel>(msg);
        count(_books.reduce(m.order_ref, m.cancelled_shares));
        break;
    }
    case itch_order_delete::type: count(_books.remove(decode<itch_order_delete>(msg).order_ref)); break;
    case itch_order_replace::type: {
        const auto m = decode<itch_order_replace>(msg);
        count(_books.replace(m.original_ref, m.new_ref, m.shares, m.price));
        break;
    }
    case itch_stock_directory::type: on_directory(msg); break;
    case itch_system_event::type:
    case itch_trade::type: break; // decoded by itch_check's length; no book changes
    default: ++_stats.skipped; return;
    }
    ++_stats.by_type[size_t(uint8_t(type)) & 127];
}

void book_builder::on_add(const itch_add_order& m) {
    if (!_symbols[m.header.stock_locate].subscribed) {
        ++_stats.filtered;
        return;
    }
    count(_books.add(m.header.stock_locate, m.order_ref, m.side, m.shares, m.price));
}

void book_builder::on_directory(std::span<const std::byte> msg) {
    const auto m = decode<itch_stock_directory>(msg);
    symbol_state& s = _symbols[m.header.stock_locate];
    s.stock = m.stock;
    s.known = true;
    s.subscribed = _filter.empty() || std::find(_filter.begin(), _filter.end(), name(s)) != _filter.end();
    s.stale = s.subscribed && _lost_any; // named after a loss: it may have missed its orders
}

void book_builder::on_loss() {
    ++_stats.lost;
    if (_lost_any) return; // already marked: a loss is a rare, but not a once-only, event
    _lost_any = true;
    for (symbol_state& s : _symbols)
        if (s.subscribed) s.stale = true;
}

size_t book_builder::kept_books() const {
    return size_t(std::count_if(_symbols.begin(), _symbols.end(), [](const symbol_state& s) { return s.subscribed; }));
}

size_t book_builder::stale_books() const {
    return size_t(
        std::count_if(_symbols.begin(), _symbols.end(), [](const symbol_state& s) { return s.subscribed && s.stale; }));
}

std::string_view book_builder::name(const symbol_state& s) {
    std::string_view v(s.stock.data(), s.stock.size());
    while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.remove_suffix(1);
    return v;
}

std::string book_builder::books_json() const {
    auto side_json = [&](uint16_t locate, char side) {
        std::string out = "[";
        bool first = true;
        for (const book_level& l : _books.snapshot(locate, side)) {
            out += (first ? "" : ", ") + std::string("[") + std::to_string(l.price) + ", " + std::to_string(l.shares) +
                   ", " + std::to_string(l.orders) + "]";
            first = false;
        }
        return out + "]";
    };
    std::string json = "{";
    bool first = true;
    for (size_t locate = 0; locate < _symbols.size(); ++locate) {
        const symbol_state& s = _symbols[locate];
        if (!s.subscribed) continue;
        json += (first ? "\n" : ",\n") + std::string("  \"") + std::string(name(s)) + "\": {\"locate\": " +
                std::to_string(locate) + ", \"stale\": " + (s.stale ? "true" : "false") +
                ", \"bids\": " + side_json(uint16_t(locate), 'B') + ", \"asks\": " + side_json(uint16_t(locate), 'S') +
                "}";
        first = false;
    }
    return json + "\n}\n";
}

} // namespace tachyon::md
