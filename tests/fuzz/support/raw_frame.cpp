#include "support/raw_frame.hpp"

#include <algorithm>
#include <cstring>

#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/ipv4.hpp"
#include "support/stack_rig.hpp"

namespace tachyon::fuzz {

namespace {

/// Writes the checksum of the transport message `l4` (protocol `proto`) in place.
void fix_l4_checksum(std::span<std::byte> l4, uint8_t proto, ipv4_address src, ipv4_address dst) {
    size_t at = 0;
    uint32_t pseudo = 0;
    switch (proto) {
    case wire::ip_protocol::tcp:
        at = 16;
        pseudo = wire::pseudo_header_sum(src, dst, proto, uint16_t(l4.size()));
        break;
    case wire::ip_protocol::udp:
        at = 6;
        pseudo = wire::pseudo_header_sum(src, dst, proto, uint16_t(l4.size()));
        break;
    case wire::ip_protocol::icmp:
    case wire::ip_protocol::igmp: at = 2; break;
    default: return;
    }
    if (l4.size() < at + 2) return;
    wire::store_be16(l4.data() + at, 0);
    wire::store_be16(l4.data() + at, wire::checksum_fold(wire::checksum_partial(l4, pseudo)));
}

} // namespace

std::vector<std::byte> raw_frame(std::span<const uint8_t> bytes, uint8_t fix, const l4_editor& edit) {
    std::vector<std::byte> b(bytes.size());
    if (!bytes.empty()) std::memcpy(b.data(), bytes.data(), bytes.size());
    if (!(fix & fixup::as_ipv4)) return b;
    if (b.size() >= wire::ipv4_repr::min_header_len) {
        if (fix & fixup::ip_header) {
            b[0] = std::byte{0x45};
            wire::store_be16(b.data() + 2, uint16_t(b.size()));
            wire::store_be16(b.data() + 6, 0);
        }
        if (fix & fixup::addresses) {
            wire::store_be32(b.data() + 12, peer_ip.value);
            wire::store_be32(b.data() + 16, our_ip.value);
        }
        const size_t hlen = size_t(uint8_t(b[0]) & 0x0f) * 4;
        const auto proto = uint8_t(b[9]);
        if (hlen >= wire::ipv4_repr::min_header_len && hlen <= b.size()) {
            const std::span<std::byte> l4 = std::span(b).subspan(hlen);
            if (edit) edit(proto, l4);
            if (fix & fixup::l4_checksum)
                fix_l4_checksum(l4, proto, ipv4_address{wire::load_be32(b.data() + 12)},
                                ipv4_address{wire::load_be32(b.data() + 16)});
        }
        if (fix & fixup::ip_header) {
            wire::store_be16(b.data() + 10, 0);
            wire::store_be16(b.data() + 10, wire::internet_checksum(std::span(b).first(std::min(hlen, b.size()))));
        }
    }
    return stack_rig::ethernet((fix & fixup::broadcast) ? mac_address::broadcast() : our_mac,
                               wire::ethertype::ipv4, b);
}

} // namespace tachyon::fuzz
