#pragma once
/// A log-linear histogram of latencies in nanoseconds: exact below 64 ns, then 64 buckets per
/// power of two (about 1.6% resolution), so quantiles cost fixed memory and no allocation per
/// sample. The maximum is kept exactly.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace tachyon::mcast {

class latency_histogram {
public:
    /// Records one latency.
    void add(uint64_t ns) {
        ++_buckets[index(ns)];
        ++_count;
        _max = std::max(_max, ns);
    }
    /// Records `n` samples of the same latency.
    void add(uint64_t ns, uint64_t n) {
        _buckets[index(ns)] += n;
        _count += n;
        _max = std::max(_max, ns);
    }
    /// Calls `f(upper_edge_ns, count)` for every non-empty bucket, lowest first.
    template <class F>
    void for_each_bucket(F&& f) const {
        for (size_t i = 0; i < _buckets.size(); ++i)
            if (_buckets[i] != 0) f(std::min(upper_edge(i), _max), _buckets[i]);
    }
    /// Samples recorded.
    uint64_t count() const { return _count; }
    /// The largest sample.
    uint64_t max() const { return _max; }
    /// The `q`-quantile (0..1): the upper edge of the bucket holding it, at most `max()`.
    uint64_t quantile(double q) const {
        if (_count == 0) return 0;
        uint64_t rank = uint64_t(q * double(_count));
        if (rank >= _count) rank = _count - 1;
        uint64_t seen = 0;
        for (size_t i = 0; i < _buckets.size(); ++i) {
            seen += _buckets[i];
            if (seen > rank) return std::min(upper_edge(i), _max);
        }
        return _max;
    }

private:
    static constexpr unsigned sub_bits = 6;
    static constexpr uint64_t sub = uint64_t(1) << sub_bits; // 64
    static constexpr size_t size = sub + (64 - sub_bits) * sub;

    static size_t index(uint64_t v) {
        if (v < sub) return size_t(v);
        const unsigned msb = 63 - unsigned(std::countl_zero(v));
        return size_t(sub + (msb - sub_bits) * sub + ((v >> (msb - sub_bits)) - sub));
    }
    static uint64_t upper_edge(size_t i) {
        if (i < sub) return i;
        const uint64_t octave = (i - sub) / sub, mantissa = (i - sub) % sub + sub;
        const unsigned shift = unsigned(octave);
        return ((mantissa + 1) << shift) - 1;
    }

    std::array<uint64_t, size> _buckets{};
    uint64_t _count = 0;
    uint64_t _max = 0;
};

} // namespace tachyon::mcast
