#include "apps/oe/ouch.hpp"

namespace tachyon::oe {

const char* to_string(ouch_error e) {
    switch (e) {
    case ouch_error::ok: return "ok";
    case ouch_error::not_decoded: return "not_decoded";
    case ouch_error::empty: return "empty";
    case ouch_error::unknown_type: return "unknown_type";
    case ouch_error::wrong_length: return "wrong_length";
    }
    return "?";
}

size_t ouch_length_of(ouch_direction d, char type) {
    // The decoded types' lengths come from their field lists; the others from the
    // specification's tables (they are skipped by length and counted).
    if (d == ouch_direction::inbound) {
        switch (type) {
        case ouch_enter_order::type: return ouch_length<ouch_enter_order>();
        case ouch_replace_order::type: return ouch_length<ouch_replace_order>();
        case ouch_cancel_order::type: return ouch_length<ouch_cancel_order>();
        case 'M': return 20; // §2.4 Modify Order: token, Buy/Sell Indicator, Shares
        case 'N': return 15; // Trade Now (a later addition to 4.2): token
        default: return 0;
        }
    }
    switch (type) {
    case ouch_system_event::type: return ouch_length<ouch_system_event>();
    case ouch_accepted::type: return ouch_length<ouch_accepted>();
    case ouch_replaced::type: return ouch_length<ouch_replaced>();
    case ouch_canceled::type: return ouch_length<ouch_canceled>();
    case ouch_executed::type: return ouch_length<ouch_executed>();
    case ouch_rejected::type: return ouch_length<ouch_rejected>();
    case 'D': return 37; // AIQ Canceled: Canceled + Quantity Prevented, Execution Price, Liquidity Flag
    case 'B': return 32; // Broken Trade: timestamp, token, Match Number, Reason
    case 'G': return 45; // Executed with Reference Price: Executed + Reference Price, its Type
    case 'F': return 41; // Trade Correction: Executed + Reason
    case 'K': return 36; // Price Correction: timestamp, token, Match Number, New Price, Reason
    case 'P': return 23; // Cancel Pending: timestamp, token
    case 'I': return 23; // Cancel Reject: timestamp, token
    case 'T': return 36; // Order Priority Update: timestamp, token, Price, Display, Order Reference
    case 'M': return 28; // Order Modified: timestamp, token, Buy/Sell Indicator, Shares
    case 'N': return 23; // Trade Now (a later addition to 4.2): timestamp, token
    default: return 0;
    }
}

bool ouch_decoded(ouch_direction d, char type) {
    if (d == ouch_direction::inbound)
        return type == ouch_enter_order::type || type == ouch_replace_order::type ||
               type == ouch_cancel_order::type;
    switch (type) {
    case ouch_system_event::type:
    case ouch_accepted::type:
    case ouch_replaced::type:
    case ouch_canceled::type:
    case ouch_executed::type:
    case ouch_rejected::type: return true;
    default: return false;
    }
}

ouch_error ouch_check(ouch_direction d, std::span<const std::byte> bytes) {
    if (bytes.empty()) return ouch_error::empty;
    const size_t len = ouch_length_of(d, char(bytes[0]));
    if (len == 0) return ouch_error::unknown_type;
    if (bytes.size() != len) return ouch_error::wrong_length;
    return ouch_error::ok;
}

const char* ouch_reject_reason_text(char code) {
    switch (code) {
    case 'T': return "test mode";
    case 'H': return "halted";
    case 'Z': return "shares exceed the configured safety threshold";
    case 'S': return "invalid stock";
    case 'D': return "invalid display type";
    case 'C': return "exchange closed";
    case 'L': return "firm not authorized for the clearing type on this account";
    case 'M': return "outside the permitted times for the clearing type";
    case 'R': return "order not allowed in this type of cross";
    case 'X': return "invalid price";
    case 'N': return "invalid minimum quantity";
    case 'O': return "other";
    case 'a': return "reject all enabled";
    case 'b': return "easy to borrow reject";
    case 'c': return "restricted symbol list reject";
    case 'd': return "ISO order restriction";
    case 'e': return "odd lot order restriction";
    case 'f': return "mid-point order restriction";
    case 'g': return "pre-market order restriction";
    case 'h': return "post-market order restriction";
    case 'i': return "short sale order restriction";
    case 'j': return "on open order restriction";
    case 'k': return "on close order restriction";
    case 'l': return "two sided quote reject";
    case 'm': return "exceeded shares limit";
    case 'n': return "exceeded dollar value limit";
    default: return "unknown reason code";
    }
}

// The lengths of the specification's message tables.
static_assert(ouch_length<ouch_enter_order>() == 49);
static_assert(ouch_length<ouch_replace_order>() == 47);
static_assert(ouch_length<ouch_cancel_order>() == 19);
static_assert(ouch_length<ouch_system_event>() == 10);
static_assert(ouch_length<ouch_accepted>() == 66);
static_assert(ouch_length<ouch_replaced>() == 80);
static_assert(ouch_length<ouch_canceled>() == 28);
static_assert(ouch_length<ouch_executed>() == 40);
static_assert(ouch_length<ouch_rejected>() == 24);

} // namespace tachyon::oe
