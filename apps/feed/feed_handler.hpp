#pragma once
/// The feed handler's per-datagram work, between the sockets and the sans-IO parts: a
/// datagram from line A, line B or the retransmission server goes through the arbiter, whose
/// in-order messages the book builder applies; tick-to-book is the time from the frame's
/// receive timestamp to the end of the datagram's book updates, recorded for each message
/// applied straight from a live datagram (messages released from the hold window or
/// recovered are counted apart: their wait is recovery time, not processing time).

#include <cstdint>
#include <string>
#include <vector>

#include "api/udp_socket.hpp"
#include "apps/mcast/latency_histogram.hpp"
#include "apps/md/arbiter.hpp"
#include "apps/md/book_builder.hpp"
#include "stack/core/clock.hpp"

namespace tachyon::feed {

/// Arbiter, books and latency histogram of one feed.
class feed_handler {
public:
    /// A handler with these settings; every table is allocated here.
    feed_handler(const md::arbiter_config& arbitration, const md::book_config& books, std::vector<std::string> symbols)
        : _arbiter(arbitration), _builder(books, std::move(symbols)) {}

    /// Takes one datagram from `line` (the sockets' callbacks call this).
    void on_datagram(md::feed_line line, const datagram& d) {
        _live = 0;
        _arbiter.on_datagram(line, d.payload, d.rx_time, *this);
        if (_live != 0) {
            const instant done = monotonic_clock::now();
            const int64_t ns = (done - d.rx_time).count_ns();
            _tick_to_book.add(ns < 0 ? 0 : uint64_t(ns), _live);
        }
    }
    /// Arbiter sink: one message in sequence order.
    void on_message(uint64_t, std::span<const std::byte> msg, bool from_hold) {
        _builder.apply(msg);
        if (from_hold) ++_released;
        else ++_live;
    }
    /// Checks the multicast lines for silence (control path, after each poll): a line that
    /// has received nothing for `stale_after` (since `started` if never) is reported once
    /// through `report(line, silent)`, and again when it comes back.
    template <class Report>
    void check_silence(instant now, instant started, duration stale_after, unsigned lines, Report&& report) {
        for (unsigned l = 0; l < lines && l < 2; ++l) {
            const instant last = _arbiter.line(md::feed_line(l)).last_rx;
            const bool silent = now - (last == instant::never() ? started : last) > stale_after;
            if (silent != _silent[l]) [[unlikely]] {
                _silent[l] = silent;
                if (silent) ++_silent_reports[l];
                report(l, silent);
            }
        }
    }
    /// True while line `l` (0 A, 1 B) is reported silent.
    bool silent(unsigned l) const { return _silent[l]; }
    /// Times line `l` was reported silent.
    uint64_t silent_reports(unsigned l) const { return _silent_reports[l]; }
    /// Arbiter sink: a message recovery gave up on.
    void on_loss(uint64_t) { _builder.on_loss(); }

    /// The arbiter.
    md::arbiter& arbiter() { return _arbiter; }
    /// The arbiter.
    const md::arbiter& arbiter() const { return _arbiter; }
    /// The books.
    const md::book_builder& builder() const { return _builder; }
    /// Tick-to-book latencies of messages applied straight from a live datagram.
    const mcast::latency_histogram& tick_to_book() const { return _tick_to_book; }
    /// Messages applied after waiting in the hold window.
    uint64_t released_from_hold() const { return _released; }

private:
    md::arbiter _arbiter;
    md::book_builder _builder;
    mcast::latency_histogram _tick_to_book;
    uint64_t _live = 0;
    uint64_t _released = 0;
    bool _silent[2] = {false, false};
    uint64_t _silent_reports[2] = {0, 0};
};

/// A socket's callback: forwards datagrams to the handler, tagged with the line.
struct line_callback {
    feed_handler* handler = nullptr; ///< the handler
    md::feed_line line{};            ///< which line this socket is
    /// Forwards one datagram.
    void operator()(const datagram& d) { handler->on_datagram(line, d); }
};

/// The feed's counters as JSON members for --stats (`"feed": {...}`).
std::string stats_members(const feed_handler& h);
/// The summary printed at exit.
std::string summary(const feed_handler& h);
/// The latency histogram as HdrHistogram percentile-distribution text (.hgrm), in microseconds.
std::string hgrm(const mcast::latency_histogram& h);

} // namespace tachyon::feed
