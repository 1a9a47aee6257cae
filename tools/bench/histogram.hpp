#pragma once
/// A log-linear latency histogram in the style of HdrHistogram: fixed memory, no allocation
/// while recording, about 0.8% relative precision (128 linear sub-buckets per power of two),
/// values from 0 to 2^42 ns (about 73 minutes). Recording is a few instructions: a bit scan
/// and an index.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>

namespace tachyon::bench {

class histogram {
public:
    static constexpr unsigned sub_bits = 7;                 // 128 sub-buckets per octave
    static constexpr unsigned sub_count = 1u << sub_bits;
    static constexpr unsigned octaves = 43 - sub_bits;      // up to 2^43 ns
    static constexpr unsigned bucket_count = (octaves + 1) * sub_count;

    void record(int64_t ns) {
        uint64_t v = ns < 0 ? 0 : uint64_t(ns);
        ++_counts[index_of(v)];
        ++_total;
        _max = std::max(_max, v);
        _min = std::min(_min, v);
    }
    uint64_t count() const { return _total; }
    uint64_t max() const { return _total ? _max : 0; }
    uint64_t min() const { return _total ? _min : 0; }

    /// The value at quantile q in [0, 1] (the bucket's upper edge, the max for q = 1).
    uint64_t quantile(double q) const {
        if (_total == 0) return 0;
        if (q >= 1.0) return _max;
        uint64_t rank = uint64_t(q * double(_total));
        if (rank >= _total) rank = _total - 1;
        uint64_t seen = 0;
        for (unsigned i = 0; i < bucket_count; ++i) {
            seen += _counts[i];
            if (seen > rank) return std::min(upper_of(i), _max);
        }
        return _max;
    }

    /// Writes "value_ns cumulative_fraction" for each non-empty bucket (the CDF).
    void write_cdf(std::FILE* f) const {
        uint64_t seen = 0;
        for (unsigned i = 0; i < bucket_count; ++i) {
            if (_counts[i] == 0) continue;
            seen += _counts[i];
            std::fprintf(f, "%llu %.7f\n", (unsigned long long)std::min(upper_of(i), _max),
                         double(seen) / double(_total));
        }
    }

private:
    static unsigned index_of(uint64_t v) {
        if (v < sub_count) return unsigned(v);
        const unsigned msb = 63u - unsigned(std::countl_zero(v));      // >= sub_bits
        const unsigned shift = msb - (sub_bits - 1);                      // keep sub_bits significant bits
        const unsigned octave = std::min(shift, octaves);
        const unsigned sub = unsigned((v >> shift) & (sub_count / 2 - 1)) + sub_count / 2;
        return octave * sub_count + (shift > octaves ? sub_count - 1 : sub);
    }
    static uint64_t upper_of(unsigned i) {
        const unsigned octave = i / sub_count, sub = i % sub_count;
        if (octave == 0) return sub;
        return ((uint64_t(sub) + 1) << octave) - 1;
    }

    std::array<uint64_t, bucket_count> _counts{};
    uint64_t _total = 0;
    uint64_t _max = 0;
    uint64_t _min = UINT64_MAX;
};

} // namespace tachyon::bench
