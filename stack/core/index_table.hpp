#pragma once
/// A fixed-capacity hash index from a key to a slot number, for the stack's tables (ARP
/// neighbours now; sockets and connections later). Open addressing with linear probing and
/// backward-shift deletion (no tombstones, so lookups never slow down with churn). The table
/// holds twice as many buckets as it may hold keys, rounded up to a power of two, all
/// allocated at construction: insert, find and erase never allocate.

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tachyon {

/// Maps `Key` to a slot number in [0, capacity). `Hash` is a callable `uint64_t(const Key&)`.
template <class Key, class Hash>
class index_table {
public:
    /// The value `find` returns when a key is absent.
    static constexpr uint32_t npos = UINT32_MAX;

    /// A table for up to `capacity` keys.
    explicit index_table(size_t capacity)
        : _capacity(capacity), _buckets(std::bit_ceil(capacity * 2 < 2 ? 2 : capacity * 2)) {
        _mask = _buckets.size() - 1;
    }

    /// The slot of `key`, or `npos`.
    uint32_t find(const Key& key) const {
        for (size_t i = home(key);; i = (i + 1) & _mask) {
            const bucket& b = _buckets[i];
            if (b.slot == npos) return npos;
            if (b.key == key) return b.slot;
        }
    }
    /// Adds `key` → `slot`; false when the table is full or the key is present.
    bool insert(const Key& key, uint32_t slot) {
        if (_size == _capacity) return false;
        size_t i = home(key);
        for (; _buckets[i].slot != npos; i = (i + 1) & _mask)
            if (_buckets[i].key == key) return false;
        _buckets[i] = bucket{key, slot};
        ++_size;
        return true;
    }
    /// Removes `key`; false when absent.
    bool erase(const Key& key) {
        size_t i = home(key);
        for (;; i = (i + 1) & _mask) {
            if (_buckets[i].slot == npos) return false;
            if (_buckets[i].key == key) break;
        }
        // Backward-shift: pull later members of the probe run into the hole when their home
        // bucket does not lie cyclically in (hole, j].
        size_t hole = i;
        for (size_t j = (i + 1) & _mask; _buckets[j].slot != npos; j = (j + 1) & _mask) {
            size_t h = home(_buckets[j].key);
            bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
            if (movable) {
                _buckets[hole] = _buckets[j];
                hole = j;
            }
        }
        _buckets[hole].slot = npos;
        --_size;
        return true;
    }
    /// Keys held.
    size_t size() const { return _size; }
    /// Keys the table may hold.
    size_t capacity() const { return _capacity; }

private:
    struct bucket {
        Key key{};
        uint32_t slot = npos;
    };
    size_t home(const Key& key) const { return size_t(Hash{}(key) * 0x9e3779b97f4a7c15ull >> 20) & _mask; }

    size_t _capacity;
    std::vector<bucket> _buckets;
    size_t _mask = 0;
    size_t _size = 0;
};

} // namespace tachyon
