#include "stack/core/result.hpp"

namespace tachyon {

const char* to_string(errc e) {
    switch (e) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid argument";
    case errc::no_buffer: return "no buffer";
    case errc::no_space: return "no space";
    case errc::would_block: return "would block";
    case errc::unreachable: return "unreachable";
    case errc::not_found: return "not found";
    case errc::in_use: return "in use";
    case errc::permission_denied: return "permission denied";
    case errc::system: return "system error";
    }
    return "unknown";
}

} // namespace tachyon
