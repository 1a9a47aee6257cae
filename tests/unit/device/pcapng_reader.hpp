#pragma once
/// A small pcapng reader for the tests, written from draft-ietf-opsawg-pcapng apart from the
/// writer: it walks a host-order file block by block, checks that every block's leading and
/// trailing lengths agree and are multiples of 4, and hands out the interface and packet
/// blocks with their options. Test code only: it trusts nothing and reports by `ok`.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tachyon::test {

/// One option of a block.
struct ng_option {
    uint16_t code = 0;              ///< option code
    std::vector<uint8_t> value;     ///< the value, without padding
};

/// One Enhanced Packet Block.
struct ng_packet {
    uint32_t interface = 0;         ///< interface id
    uint64_t timestamp = 0;         ///< high << 32 | low
    uint32_t caplen = 0;            ///< captured length
    uint32_t origlen = 0;           ///< original length
    std::vector<uint8_t> data;      ///< the captured bytes
    std::vector<ng_option> options; ///< options, opt_endofopt excluded
    bool has_flags = false;         ///< an epb_flags option was present
    uint32_t flags = 0;             ///< its value
};

/// What a file holds.
struct ng_file {
    bool ok = false;                ///< every block was well formed
    std::string error;              ///< what was wrong, when not ok
    uint32_t blocks = 0;            ///< blocks read
    std::vector<uint32_t> types;    ///< block types, in order
    uint16_t major = 0, minor = 0;  ///< the SHB's version
    int64_t section_length = 0;     ///< the SHB's section length
    std::vector<ng_option> shb_options;  ///< the SHB's options
    uint16_t linktype = 0;          ///< the (single) IDB's link type
    uint32_t snaplen = 0;           ///< its snapshot length
    std::vector<ng_option> idb_options;  ///< its options
    std::vector<ng_packet> packets; ///< every EPB
};

inline std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class T>
T load(const std::vector<uint8_t>& b, size_t at) {
    T v{};
    std::memcpy(&v, b.data() + at, sizeof v);
    return v;
}

/// Options from `at` to `end`; false when one runs past the end or opt_endofopt is missing.
inline bool read_options(const std::vector<uint8_t>& b, size_t at, size_t end, std::vector<ng_option>& out) {
    while (at + 4 <= end) {
        const uint16_t code = load<uint16_t>(b, at), len = load<uint16_t>(b, at + 2);
        if (code == 0) return len == 0 && at + 4 == end;
        const size_t padded = (size_t(len) + 3) & ~size_t(3);
        if (at + 4 + padded > end) return false;
        for (size_t i = at + 4 + len; i < at + 4 + padded; ++i)
            if (b[i] != 0) return false; // padding is zeros
        out.push_back({code, std::vector<uint8_t>(b.begin() + long(at + 4), b.begin() + long(at + 4 + len))});
        at += 4 + padded;
    }
    return false;
}

/// Reads a whole pcapng buffer.
inline ng_file parse_pcapng(const std::vector<uint8_t>& b) {
    ng_file f;
    auto fail = [&f](std::string why) { f.error = std::move(why); return f; };
    size_t at = 0;
    while (at < b.size()) {
        if (at + 12 > b.size()) return fail("truncated block header at " + std::to_string(at));
        const uint32_t type = load<uint32_t>(b, at), len = load<uint32_t>(b, at + 4);
        if (len < 12 || len % 4 != 0 || at + len > b.size()) return fail("bad length at " + std::to_string(at));
        if (load<uint32_t>(b, at + len - 4) != len) return fail("trailing length differs at " + std::to_string(at));
        const size_t end = at + len - 4;
        if (f.blocks == 0 && type != 0x0A0D0D0A) return fail("first block is not an SHB");
        if (type == 0x0A0D0D0A) {
            if (len < 28 || load<uint32_t>(b, at + 8) != 0x1A2B3C4D) return fail("bad SHB");
            f.major = load<uint16_t>(b, at + 12);
            f.minor = load<uint16_t>(b, at + 14);
            f.section_length = load<int64_t>(b, at + 16);
            if (!read_options(b, at + 24, end, f.shb_options)) return fail("bad SHB options");
        } else if (type == 1) {
            if (len < 20) return fail("short IDB");
            f.linktype = load<uint16_t>(b, at + 8);
            if (load<uint16_t>(b, at + 10) != 0) return fail("IDB reserved field not 0");
            f.snaplen = load<uint32_t>(b, at + 12);
            if (!read_options(b, at + 16, end, f.idb_options)) return fail("bad IDB options");
        } else if (type == 6) {
            if (len < 32) return fail("short EPB");
            ng_packet p;
            p.interface = load<uint32_t>(b, at + 8);
            p.timestamp = uint64_t(load<uint32_t>(b, at + 12)) << 32 | load<uint32_t>(b, at + 16);
            p.caplen = load<uint32_t>(b, at + 20);
            p.origlen = load<uint32_t>(b, at + 24);
            const size_t padded = (size_t(p.caplen) + 3) & ~size_t(3);
            if (at + 28 + padded > end) return fail("EPB data past its block");
            p.data.assign(b.begin() + long(at + 28), b.begin() + long(at + 28 + p.caplen));
            for (size_t i = at + 28 + p.caplen; i < at + 28 + padded; ++i)
                if (b[i] != 0) return fail("EPB padding not zero");
            if (!read_options(b, at + 28 + padded, end, p.options)) return fail("bad EPB options");
            for (const auto& o : p.options)
                if (o.code == 2 && o.value.size() == 4) {
                    p.has_flags = true;
                    std::memcpy(&p.flags, o.value.data(), 4);
                }
            f.packets.push_back(std::move(p));
        }
        f.types.push_back(type);
        ++f.blocks;
        at += len;
    }
    f.ok = true;
    return f;
}

} // namespace tachyon::test
