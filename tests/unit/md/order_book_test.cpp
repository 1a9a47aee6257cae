/// The order books against a plain reference model (std::map of orders and of levels) under a
/// million random operations: every result agrees, and the whole books agree at checkpoints.
/// Plus the small cases by hand: replace keeps side and book, full tables are results.

#include "apps/md/order_book.hpp"

#include <map>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

namespace tachyon::md {
namespace {

/// The reference: what an order book must be, written the plainest way.
class reference_books {
public:
    struct order {
        uint16_t locate;
        char side;
        uint32_t shares, price;
    };
    reference_books(size_t orders_cap, size_t levels_cap) : max_orders(orders_cap), max_levels(levels_cap) {}
    size_t max_orders, max_levels;

    book_result add(uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price) {
        if (side != 'B' && side != 'S') return book_result::bad_side;
        if (orders.count(ref)) return book_result::duplicate_order;
        if (orders.size() == max_orders) return book_result::orders_full;
        auto key = std::make_tuple(locate, side, price);
        if (!levels.count(key) && levels.size() == max_levels) return book_result::levels_full;
        orders[ref] = order{locate, side, shares, price};
        auto& l = levels[key];
        l.price = price;
        l.shares += shares;
        l.orders += 1;
        return book_result::ok;
    }
    book_result reduce(uint64_t ref, uint32_t shares) {
        auto it = orders.find(ref);
        if (it == orders.end()) return book_result::unknown_order;
        if (shares < it->second.shares) {
            it->second.shares -= shares;
            level_of(it->second).shares -= shares;
            return book_result::ok;
        }
        const bool over = shares > it->second.shares;
        erase(it);
        return over ? book_result::overfill : book_result::ok;
    }
    book_result remove(uint64_t ref) {
        auto it = orders.find(ref);
        if (it == orders.end()) return book_result::unknown_order;
        erase(it);
        return book_result::ok;
    }
    book_result replace(uint64_t old_ref, uint64_t new_ref, uint32_t shares, uint32_t price) {
        auto it = orders.find(old_ref);
        if (it == orders.end()) return book_result::unknown_order;
        if (new_ref != old_ref && orders.count(new_ref)) return book_result::duplicate_order;
        const order o = it->second;
        erase(it);
        return add(o.locate, new_ref, o.side, shares, price);
    }
    std::vector<book_level> snapshot(uint16_t locate, char side) const {
        std::vector<book_level> out;
        for (const auto& [key, l] : levels)
            if (std::get<0>(key) == locate && std::get<1>(key) == side) out.push_back(l);
        if (side == 'B') std::reverse(out.begin(), out.end());
        return out;
    }

    std::map<uint64_t, order> orders;
    std::map<std::tuple<uint16_t, char, uint32_t>, book_level> levels;

private:
    book_level& level_of(const order& o) { return levels[std::make_tuple(o.locate, o.side, o.price)]; }
    void erase(std::map<uint64_t, order>::iterator it) {
        book_level& l = level_of(it->second);
        l.shares -= it->second.shares;
        if (--l.orders == 0) levels.erase(std::make_tuple(it->second.locate, it->second.side, it->second.price));
        orders.erase(it);
    }
};

TEST(order_book, a_million_random_operations_agree_with_the_reference) {
    const book_config config{4096, 2048};
    order_books books(config);
    reference_books ref(config.max_orders, config.max_levels);
    std::mt19937_64 rng(20261129);
    const uint16_t locates = 5;
    uint64_t next_ref = 1;
    size_t full_seen = 0;
    auto pick_ref = [&]() -> uint64_t {
        // Mostly a live order, sometimes a dead or never-used reference.
        if (!ref.orders.empty() && rng() % 8 != 0) {
            auto it = ref.orders.lower_bound(rng() % next_ref);
            if (it == ref.orders.end()) it = ref.orders.begin();
            return it->first;
        }
        return rng() % (next_ref + 10);
    };
    for (int i = 0; i < 1'000'000; ++i) {
        const unsigned op = unsigned(rng() % 100);
        // Prices near a mid so levels hold several orders; sizes so executions both reduce and overfill.
        const uint32_t price = uint32_t(1000 + rng() % 60);
        const uint32_t shares = uint32_t(1 + rng() % 500);
        book_result want, got;
        if (op < 45) {
            const uint16_t locate = uint16_t(rng() % locates);
            const char side = rng() % 50 == 0 ? 'X' : (rng() % 2 ? 'B' : 'S');
            const uint64_t r = rng() % 50 == 0 ? pick_ref() : next_ref++;
            want = ref.add(locate, r, side, shares, price);
            got = books.add(locate, r, side, shares, price);
        } else if (op < 70) {
            const uint64_t r = pick_ref();
            want = ref.reduce(r, shares);
            got = books.reduce(r, shares);
        } else if (op < 85) {
            const uint64_t r = pick_ref();
            want = ref.remove(r);
            got = books.remove(r);
        } else {
            const uint64_t r = pick_ref();
            const uint64_t n = rng() % 20 == 0 ? pick_ref() : next_ref++;
            want = ref.replace(r, n, shares, price);
            got = books.replace(r, n, shares, price);
        }
        ASSERT_EQ(got, want) << "operation " << i;
        if (got == book_result::orders_full || got == book_result::levels_full) ++full_seen;
        ASSERT_EQ(books.orders(), ref.orders.size()) << "operation " << i;
        ASSERT_EQ(books.levels(), ref.levels.size()) << "operation " << i;
        if (i % 50'000 == 0 || i == 999'999) {
            for (uint16_t l = 0; l < locates; ++l)
                for (char side : {'B', 'S'}) ASSERT_EQ(books.snapshot(l, side), ref.snapshot(l, side)) << "operation " << i;
            for (const auto& [r, o] : ref.orders) {
                const book_order* b = books.find(r);
                ASSERT_NE(b, nullptr);
                ASSERT_EQ(std::tie(b->locate, b->side, b->shares, b->price), std::tie(o.locate, o.side, o.shares, o.price));
            }
        }
    }
    EXPECT_GT(ref.orders.size(), 100u) << "the run kept books of some depth";
    EXPECT_GT(full_seen, 0u) << "the run reached the capacities";
}

TEST(order_book, full_tables_are_results_and_the_books_stay_consistent) {
    order_books books(book_config{3, 2});
    EXPECT_EQ(books.add(1, 1, 'B', 10, 100), book_result::ok);
    EXPECT_EQ(books.add(1, 2, 'B', 10, 100), book_result::ok);
    EXPECT_EQ(books.add(1, 3, 'S', 10, 101), book_result::ok);
    EXPECT_EQ(books.add(1, 4, 'S', 10, 101), book_result::orders_full);
    EXPECT_EQ(books.remove(3), book_result::ok);
    EXPECT_EQ(books.add(1, 4, 'S', 10, 101), book_result::ok);
    EXPECT_EQ(books.remove(4), book_result::ok);
    EXPECT_EQ(books.add(2, 5, 'S', 10, 101), book_result::ok); // levels: (1,B,100), (2,S,101)
    EXPECT_EQ(books.remove(2), book_result::ok);                // an order slot free, no level
    EXPECT_EQ(books.add(1, 6, 'S', 10, 99), book_result::levels_full);
    EXPECT_EQ(books.orders(), 2u);
    EXPECT_EQ(books.snapshot(1, 'B'), (std::vector<book_level>{{100, 10, 1}}));
}

TEST(order_book, replace_keeps_book_and_side_and_moves_the_shares) {
    order_books books(book_config{16, 16});
    ASSERT_EQ(books.add(7, 100, 'S', 300, 5000), book_result::ok);
    ASSERT_EQ(books.add(7, 101, 'S', 100, 5000), book_result::ok);
    ASSERT_EQ(books.replace(100, 200, 50, 4990), book_result::ok);
    EXPECT_EQ(books.find(100), nullptr);
    ASSERT_NE(books.find(200), nullptr);
    EXPECT_EQ(books.find(200)->side, 'S');
    EXPECT_EQ(books.find(200)->locate, 7);
    EXPECT_EQ(books.snapshot(7, 'S'), (std::vector<book_level>{{4990, 50, 1}, {5000, 100, 1}}));
    EXPECT_EQ(books.replace(999, 300, 1, 1), book_result::unknown_order);
    EXPECT_EQ(books.replace(200, 101, 1, 1), book_result::duplicate_order);
    EXPECT_EQ(books.reduce(101, 150), book_result::overfill);
    EXPECT_EQ(books.snapshot(7, 'S'), (std::vector<book_level>{{4990, 50, 1}}));
}

} // namespace
} // namespace tachyon::md
