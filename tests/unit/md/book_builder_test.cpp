/// The book builder: ITCH messages (emitted here from field values; their bytes are pinned by
/// itch_test's golden cases) change the right book; a symbol filter keeps only the books
/// named; types not decoded are skipped by length, unknown types and wrong lengths counted;
/// a loss marks the kept books stale; the JSON lists bids high to low and asks low to high.

#include "apps/md/book_builder.hpp"

#include <gtest/gtest.h>

namespace tachyon::md {
namespace {

template <class M>
std::vector<std::byte> wire_of(const M& m) {
    std::vector<std::byte> out(itch_length<M>());
    itch_emit(m, out);
    return out;
}

itch_header header(char type, uint16_t locate) { return itch_header{type, locate, 0, u48{1000}}; }

std::vector<std::byte> directory(uint16_t locate, const char* stock) {
    itch_stock_directory m;
    m.header = header('R', locate);
    m.stock = text<8>(stock);
    return wire_of(m);
}

std::vector<std::byte> add(uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price) {
    itch_add_order m;
    m.header = header('A', locate);
    m.order_ref = ref;
    m.side = side;
    m.shares = shares;
    m.price = price;
    return wire_of(m);
}

TEST(book_builder, each_message_type_changes_the_book_it_names) {
    book_builder b(book_config{64, 64}, {});
    b.apply(directory(1, "AAPL"));
    b.apply(directory(2, "MSFT"));
    b.apply(add(1, 10, 'B', 100, 1500000));
    b.apply(add(1, 11, 'B', 200, 1500000));
    b.apply(add(1, 12, 'S', 300, 1510000));
    itch_add_order_mpid f;
    f.order = itch_add_order{header('F', 2), 13, 'S', 50, text<8>("MSFT"), 3000000};
    f.attribution = text<4>("GSCO");
    b.apply(wire_of(f));
    itch_order_executed e{header('E', 1), 10, 40, 1};
    b.apply(wire_of(e));
    itch_order_executed_price c{header('C', 1), 11, 200, 2, 'Y', 1500000};
    b.apply(wire_of(c)); // 11 fully executed: gone
    itch_order_cancel x{header('X', 1), 12, 100};
    b.apply(wire_of(x));
    itch_order_replace u{header('U', 1), 12, 14, 500, 1505000};
    b.apply(wire_of(u));
    itch_order_delete d{header('D', 2), 13};
    b.apply(wire_of(d));
    itch_trade p{header('P', 1), 0, 'B', 100, text<8>("AAPL"), 1500000, 3};
    b.apply(wire_of(p));
    itch_system_event s{header('S', 0), 'Q'};
    b.apply(wire_of(s));

    EXPECT_EQ(b.books().snapshot(1, 'B'), (std::vector<book_level>{{1500000, 60, 1}}));
    EXPECT_EQ(b.books().snapshot(1, 'S'), (std::vector<book_level>{{1505000, 500, 1}}));
    EXPECT_TRUE(b.books().snapshot(2, 'S').empty());
    const builder_stats& st = b.stats();
    for (char t : {'A', 'F', 'E', 'C', 'X', 'U', 'D', 'P', 'S'}) EXPECT_GE(st.by_type[size_t(t)], 1u) << t;
    EXPECT_EQ(st.by_type['A'], 3u);
    EXPECT_EQ(st.by_type['R'], 2u);
    EXPECT_EQ(st.unknown_order + st.duplicate_order + st.overfill + st.filtered, 0u);
    EXPECT_EQ(b.kept_books(), 2u);
    EXPECT_EQ(b.books_json(), "{\n  \"AAPL\": {\"locate\": 1, \"stale\": false, \"bids\": [[1500000, 60, 1]], "
                              "\"asks\": [[1505000, 500, 1]]},\n  \"MSFT\": {\"locate\": 2, \"stale\": false, "
                              "\"bids\": [], \"asks\": []}\n}\n");
}

TEST(book_builder, a_symbol_filter_keeps_only_the_books_named) {
    book_builder b(book_config{64, 64}, {"MSFT"});
    b.apply(directory(1, "AAPL"));
    b.apply(directory(2, "MSFT"));
    b.apply(add(1, 10, 'B', 100, 1500000));
    b.apply(add(2, 11, 'B', 100, 3000000));
    EXPECT_EQ(b.stats().filtered, 1u);
    EXPECT_EQ(b.books().orders(), 1u);
    EXPECT_EQ(b.kept_books(), 1u);
    itch_order_delete d{header('D', 1), 10};
    b.apply(wire_of(d));
    EXPECT_EQ(b.stats().unknown_order, 1u) << "changes to orders of other symbols find no order";
}

TEST(book_builder, bad_and_skipped_messages_are_counted_and_change_nothing) {
    book_builder b(book_config{64, 64}, {});
    b.apply(directory(1, "AAPL"));
    auto a = add(1, 10, 'B', 100, 1500000);
    b.apply(std::span(a).first(35));        // one byte short
    std::vector<std::byte> unknown = a;
    unknown[0] = std::byte{'Z'};
    b.apply(unknown);
    b.apply({});
    std::vector<std::byte> halt(25, std::byte{0});
    halt[0] = std::byte{'H'};               // Stock Trading Action: valid, not decoded
    b.apply(halt);
    EXPECT_EQ(b.stats().wrong_length, 2u);
    EXPECT_EQ(b.stats().unknown_type, 1u);
    EXPECT_EQ(b.stats().skipped, 1u);
    EXPECT_EQ(b.books().orders(), 0u);
    EXPECT_EQ(b.stale_books(), 0u);
    b.on_loss();
    EXPECT_EQ(b.stale_books(), 1u);
    EXPECT_EQ(b.stats().lost, 1u);
}

} // namespace
} // namespace tachyon::md
