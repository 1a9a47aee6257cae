#include "apps/md/arbiter.hpp"

#include <bit>
#include <cstring>

namespace tachyon::md {

arbiter::arbiter(const arbiter_config& config)
    : _config(config), _mask(std::bit_ceil(config.hold_messages < 2 ? size_t(2) : config.hold_messages) - 1),
      _hold_seq(_mask + 1, 0), _hold_len(_mask + 1, 0), _hold_bytes((_mask + 1) * config.hold_message_bytes),
      _next(config.first_sequence < 1 ? 1 : config.first_sequence), _known_end(_next) {
    for (line_stats& l : _lines) l.next_sequence = _next;
}

bool arbiter::accept(feed_line line, const mold_packet& p) {
    line_stats& ls = _lines[size_t(line)];
    if (!_have_session) {
        // The first multicast packet names the session; an answer can only follow a request.
        if (line == feed_line::recovery) {
            ++ls.unexpected;
            return false;
        }
        _session = p.header.session;
        _have_session = true;
    } else if (p.header.session != _session) {
        ++ls.wrong_session;
        return false;
    }
    const uint64_t seq = p.header.sequence;
    const uint64_t count = p.messages();
    if (seq == 0 || seq > UINT64_MAX - count || seq > _next + _config.max_ahead) {
        ++ls.implausible;
        return false;
    }
    if (line == feed_line::recovery) {
        // An answer is a downstream packet starting at the sequence number asked for
        // ("Request Packet": the response is a standard Downstream Packet).
        if (!_request || p.kind() != mold_kind::data || seq != _request->request.header.sequence) {
            ++ls.unexpected;
            return false;
        }
        _request.reset();
    }
    return true;
}

void arbiter::on_control(feed_line line, const mold_packet& p, instant now) {
    line_stats& ls = _lines[size_t(line)];
    const uint64_t next = p.header.sequence; // the next sequence number the server will send
    if (p.kind() == mold_kind::heartbeat) {
        ++ls.heartbeats;
    } else {
        ++ls.end_of_session;
        if (!_end_seen || next > _end_sequence) _end_sequence = next;
        _end_seen = true;
    }
    if (next > ls.next_sequence) {
        ++ls.gaps;
        ls.next_sequence = next;
    }
    if (next > _known_end) _known_end = next;
    after_progress(now);
}

void arbiter::hold(feed_line line, uint64_t seq, std::span<const std::byte> msg) {
    if (seq - _next > _mask) {
        ++_stats.hold_overflow;
        return;
    }
    if (msg.size() > _config.hold_message_bytes) {
        ++_stats.hold_too_long;
        return;
    }
    const uint64_t i = seq & _mask;
    if (_hold_seq[i] == seq) {
        ++_lines[size_t(line)].duplicates;
        return;
    }
    _hold_seq[i] = seq;
    _hold_len[i] = uint16_t(msg.size());
    if (!msg.empty()) std::memcpy(&_hold_bytes[i * _config.hold_message_bytes], msg.data(), msg.size());
    ++_held;
    ++_stats.held;
    ++_lines[size_t(line)].delivered; // its first copy; it is delivered once the gap fills
}

void arbiter::after_progress(instant now) {
    if (_next >= _known_end) {
        _gap_since = instant::never();
    } else if (_gap_since == instant::never()) {
        _gap_since = now;
        ++_stats.gaps;
    }
}

std::optional<mold_request> arbiter::next_request(instant now) {
    if (_request) {
        if (now < _request->sent_at + _config.request_timeout) return std::nullopt;
        // No answer in time: ask again (the retry limit was checked by poll).
        ++_stats.retries;
        ++_request->tries;
        _request->sent_at = now;
        return _request->request;
    }
    if (_next >= _known_end) return std::nullopt;
    // Wait until every configured line has passed the gap (the other line may only be
    // behind), or until the gap has waited long enough (a line may be silent).
    bool all_passed = true;
    for (unsigned l = 0; l < _config.lines && l < 2; ++l)
        if (_lines[l].next_sequence <= _next) all_passed = false;
    if (!all_passed && now < _gap_since + _config.gap_wait) return std::nullopt;
    uint64_t count = 0;
    const uint64_t limit = _config.max_request;
    while (count < limit && _next + count < _known_end && _hold_seq[(_next + count) & _mask] != _next + count) ++count;
    mold_request r;
    r.header = mold_header{_session, _next, uint16_t(count)};
    _request = outstanding{r, now, 1};
    ++_stats.requests;
    return r;
}

} // namespace tachyon::md
