#include "apps/oe/soup_session.hpp"

#include <algorithm>
#include <cstring>

namespace tachyon::oe {

const char* to_string(soup_session_state s) {
    switch (s) {
    case soup_session_state::idle: return "idle";
    case soup_session_state::login_sent: return "login_sent";
    case soup_session_state::logged_in: return "logged_in";
    case soup_session_state::logout_sent: return "logout_sent";
    case soup_session_state::rejected: return "rejected";
    case soup_session_state::ended: return "ended";
    case soup_session_state::failed: return "failed";
    }
    return "?";
}

const char* to_string(soup_session_error e) {
    switch (e) {
    case soup_session_error::none: return "none";
    case soup_session_error::login_rejected: return "login_rejected";
    case soup_session_error::sequence_from_future: return "sequence_from_future";
    case soup_session_error::server_silent: return "server_silent";
    case soup_session_error::framing_lost: return "framing_lost";
    case soup_session_error::end_of_session: return "end_of_session";
    }
    return "?";
}

const char* to_string(soup_send_result r) {
    switch (r) {
    case soup_send_result::sent: return "sent";
    case soup_send_result::not_logged_in: return "not_logged_in";
    case soup_send_result::buffer_full: return "buffer_full";
    case soup_send_result::malformed: return "malformed";
    }
    return "?";
}

namespace {
/// Copies `text` into an Alpha field: left-justified, padded with spaces, cut at its width.
template <size_t N>
std::array<char, N> alpha(const char* text) {
    std::array<char, N> out;
    out.fill(' ');
    std::memcpy(out.data(), text, std::min(N, std::strlen(text)));
    return out;
}
} // namespace

soup_session_config soup_session_config::make(const char* username, const char* password, const char* session) {
    soup_session_config c;
    c.username = alpha<6>(username);
    c.password = alpha<10>(password);
    c.session = alpha<10>(session);
    return c;
}

soup_session::soup_session(const soup_session_config& config)
    : _config(config), _stream(config.max_packet), _session(config.session), _next_expected(config.first_sequence) {}

instant soup_session::next_deadline() const {
    if (!connection_live()) return instant::never();
    instant d = _last_heard + _config.server_timeout;
    if (_state == soup_session_state::logged_in) d = std::min(d, _last_sent + _config.heartbeat_interval);
    return d;
}

std::string soup_session::error_text() const {
    switch (_error) {
    case soup_session_error::none: return "";
    case soup_session_error::login_rejected:
        return std::string("login rejected: ") + soup_reject_reason_text(_reject_reason) + " (code '" +
               (_reject_reason >= 0x20 && _reject_reason < 0x7f ? std::string(1, _reject_reason) : "?") + "')";
    case soup_session_error::sequence_from_future:
        return "login accepted with sequence number " + std::to_string(_accepted_sequence) + " above the " +
               std::to_string(_next_expected) + " asked for: the messages in between would be lost";
    case soup_session_error::server_silent:
        return "server silent for " + std::to_string(_config.server_timeout.count_ms()) + " ms: declared dead";
    case soup_session_error::framing_lost:
        return std::string("SoupBinTCP framing lost: ") + to_string(_framing_error) + " Packet Length";
    case soup_session_error::end_of_session: return "end of session: the server sends no more";
    }
    return "?";
}

bool soup_session::retryable() const {
    return _state != soup_session_state::rejected && _state != soup_session_state::ended &&
           _error != soup_session_error::sequence_from_future;
}

bool soup_session::is_unsequenced_packet(std::span<const std::byte> packet) {
    soup_packet p;
    return soup_packet::parse(packet, p) == soup_error::ok && p.type == soup_type::unsequenced_data;
}

} // namespace tachyon::oe
