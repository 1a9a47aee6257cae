#include "stack/core/addr.hpp"

#include <charconv>
#include <cstdio>

namespace tachyon {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<mac_address> mac_address::parse(std::string_view s) {
    if (s.size() != 17) return std::nullopt;
    mac_address m;
    for (int i = 0; i < 6; ++i) {
        int hi = hex_digit(s[i * 3]);
        int lo = hex_digit(s[i * 3 + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-') return std::nullopt;
        m.bytes[i] = uint8_t(hi << 4 | lo);
    }
    return m;
}

std::string mac_address::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return buf;
}

std::optional<ipv4_address> ipv4_address::parse(std::string_view s) {
    uint32_t v = 0;
    const char* p = s.data();
    const char* end = s.data() + s.size();
    for (int i = 0; i < 4; ++i) {
        if (p == end || *p < '0' || *p > '9') return std::nullopt;
        unsigned octet = 0;
        auto [next, ec] = std::from_chars(p, end, octet);
        if (ec != std::errc{} || octet > 255 || next - p > 3) return std::nullopt;
        v = v << 8 | octet;
        p = next;
        if (i < 3) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
    }
    if (p != end) return std::nullopt;
    return ipv4_address{v};
}

std::string ipv4_address::to_string() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", octet(0), octet(1), octet(2), octet(3));
    return buf;
}

std::optional<ipv4_cidr> ipv4_cidr::parse(std::string_view s) {
    auto slash = s.find('/');
    auto addr = ipv4_address::parse(s.substr(0, slash));
    if (!addr) return std::nullopt;
    if (slash == std::string_view::npos) return ipv4_cidr{*addr, 32};
    auto len_text = s.substr(slash + 1);
    unsigned len = 0;
    auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (ec != std::errc{} || next != len_text.data() + len_text.size() || len > 32 || len_text.empty())
        return std::nullopt;
    return ipv4_cidr{*addr, uint8_t(len)};
}

std::string ipv4_cidr::to_string() const {
    return address.to_string() + "/" + std::to_string(prefix_len);
}

} // namespace tachyon
