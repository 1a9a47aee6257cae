#include "apps/oe/order_entry.hpp"

namespace tachyon::oe {

const char* to_string(entry_result r) {
    switch (r) {
    case entry_result::sent: return "sent";
    case entry_result::not_logged_in: return "not_logged_in";
    case entry_result::table_full: return "table_full";
    case entry_result::duplicate: return "duplicate";
    case entry_result::unknown_token: return "unknown_token";
    case entry_result::not_live: return "not_live";
    case entry_result::buffer_full: return "buffer_full";
    }
    return "?";
}

} // namespace tachyon::oe
