/// ICMP for the stack, per RFC 792 and RFC 1122 §3.2.2: echo replies, built in the request's
/// own buffer with an incremental checksum update (RFC 1624), so a ping costs no allocation.

#include "stack/core/log.hpp"
#include "stack/iface/stack.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/endian.hpp"
#include "stack/wire/icmp.hpp"

namespace tachyon {

void stack::icmp_input(packet&& frame, const wire::ipv4_repr& ip, instant now) {
    wire::icmp_repr icmp;
    switch (wire::icmp_repr::parse(frame.bytes(), icmp)) {
    case wire::wire_error::ok: break;
    case wire::wire_error::bad_checksum: TACHYON_DROP(_stats.icmp.drop_bad_checksum); return;
    default: TACHYON_DROP(_stats.icmp.drop_truncated); return;
    }
    switch (icmp.type) {
    case wire::icmp_type::echo_request:
        break;
    case wire::icmp_type::echo_reply:
        if (_echo_handler == nullptr) {
            TACHYON_DROP(_stats.icmp.drop_unhandled_type);
            return;
        }
        ++_stats.icmp.rx_echo_replies;
        _echo_handler(_echo_context, echo_reply{ip.src, icmp.identifier, icmp.sequence, icmp.data, frame.rx_time()});
        return;
    case wire::icmp_type::destination_unreachable:
        ++_stats.icmp.rx_unreachable;
        _tcp.icmp_unreachable(icmp.code, icmp.data, now);
        return;
    default:
        TACHYON_DROP(_stats.icmp.drop_unhandled_type);
        return;
    }
    if (ip.dst != _config.address.address) {
        // RFC 1122 §3.2.2.6: an echo to a broadcast address MAY be discarded; we do, as Linux does.
        TACHYON_DROP(_stats.icmp.drop_broadcast_echo);
        return;
    }
    ++_stats.icmp.rx_echo_requests;
    // RFC 792: the reply is the request with type 0; identifier, sequence and data unchanged.
    std::byte* msg = frame.data();
    uint16_t old_word = wire::load_be16(msg);          // type, code
    uint16_t new_word = uint16_t(wire::icmp_type::echo_reply << 8 | icmp.code);
    msg[0] = std::byte{wire::icmp_type::echo_reply};
    uint16_t checksum = wire::checksum_update16(wire::load_be16(msg + 2), old_word, new_word);
    if (checksum == 0) [[unlikely]] {
        // RFC 1624 eqn. 3 cannot tell a message that sums to +0 (every word zero: identifier,
        // sequence and data all zero), whose checksum is 0xFFFF, from one that sums to -0
        // (checksum 0x0000). ICMP has no pseudo header to rule the first out: recompute.
        wire::store_be16(msg + 2, 0);
        checksum = wire::internet_checksum(frame.bytes());
    }
    wire::store_be16(msg + 2, checksum);
    frame.set_tx_l4(wire::icmp_repr::header_len, 0); // the checksum is complete
    ++_stats.icmp.tx_echo_replies;
    (void)ipv4_output(std::move(frame), ip.src, wire::ip_protocol::icmp, now);
}

errc stack::send_echo_request(ipv4_address dst, uint16_t identifier, uint16_t sequence,
                              std::span<const std::byte> data, instant now) {
    if (wire::ipv4_repr::min_header_len + wire::icmp_repr::header_len + data.size() > _caps.mtu)
        return errc::invalid_argument; // no fragmentation: the echo must fit the MTU
    packet frame = alloc_frame();
    if (!frame) [[unlikely]]
        return errc::no_buffer;
    wire::icmp_repr echo;
    echo.type = wire::icmp_type::echo_request;
    echo.identifier = identifier;
    echo.sequence = sequence;
    echo.data = data;
    std::byte* p = frame.append(echo.message_len());
    if (p == nullptr) [[unlikely]]
        return errc::invalid_argument; // more data than a frame holds
    echo.emit({p, echo.message_len()});
    frame.set_tx_l4(wire::icmp_repr::header_len, 0);
    ++_stats.icmp.tx_echo_requests;
    return ipv4_output(std::move(frame), dst, wire::ip_protocol::icmp, now);
}

} // namespace tachyon
