#include "apps/md/itch.hpp"

namespace tachyon::md {

size_t itch_length_of(char type) {
    // The fixed lengths of §4; the ones this library decodes come from their field lists, the
    // others from the specification's tables (they are skipped by length and counted).
    switch (type) {
    case itch_system_event::type: return itch_length<itch_system_event>();
    case itch_stock_directory::type: return itch_length<itch_stock_directory>();
    case 'H': return 25; // §4.2.2 Stock Trading Action
    case 'Y': return 20; // §4.2.3 Reg SHO Short Sale Price Test Restricted Indicator
    case 'L': return 26; // §4.2.4 Market Participant Position
    case 'V': return 35; // §4.2.5.1 MWCB Decline Level
    case 'W': return 12; // §4.2.5.2 MWCB Status
    case 'K': return 28; // §4.2.6 IPO Quoting Period Update
    case 'J': return 35; // §4.2.7 LULD Auction Collar
    case 'h': return 21; // §4.2.8 Operational Halt
    case itch_add_order::type: return itch_length<itch_add_order>();
    case itch_add_order_mpid::type: return itch_length<itch_add_order_mpid>();
    case itch_order_executed::type: return itch_length<itch_order_executed>();
    case itch_order_executed_price::type: return itch_length<itch_order_executed_price>();
    case itch_order_cancel::type: return itch_length<itch_order_cancel>();
    case itch_order_delete::type: return itch_length<itch_order_delete>();
    case itch_order_replace::type: return itch_length<itch_order_replace>();
    case itch_trade::type: return itch_length<itch_trade>();
    case 'Q': return 40; // §4.5.2 Cross Trade
    case 'B': return 19; // §4.5.3 Broken Trade
    case 'I': return 50; // §4.6 Net Order Imbalance Indicator
    case 'N': return 20; // §4.7 Retail Price Improvement Indicator
    case 'O': return 48; // §4.8 Direct Listing with Capital Raise Price Discovery
    default: return 0;
    }
}

itch_error itch_check(std::span<const std::byte> bytes) {
    if (bytes.empty()) return itch_error::empty;
    const size_t len = itch_length_of(char(bytes[0]));
    if (len == 0) return itch_error::unknown_type;
    if (bytes.size() != len) return itch_error::wrong_length;
    return itch_error::ok;
}

static_assert(itch_length<itch_system_event>() == 12);
static_assert(itch_length<itch_stock_directory>() == 39);
static_assert(itch_length<itch_add_order>() == 36);
static_assert(itch_length<itch_add_order_mpid>() == 40);
static_assert(itch_length<itch_order_executed>() == 31);
static_assert(itch_length<itch_order_executed_price>() == 36);
static_assert(itch_length<itch_order_cancel>() == 23);
static_assert(itch_length<itch_order_delete>() == 19);
static_assert(itch_length<itch_order_replace>() == 35);
static_assert(itch_length<itch_trade>() == 44);

} // namespace tachyon::md
