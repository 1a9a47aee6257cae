#pragma once
/// The runtime every program shares: builds the device the settings ask for (TAP, DPDK, AF_XDP
/// or the first usable of them with --backend auto; the pcap recorder in front when --pcap is given), the stack over it, and runs the poll
/// loop until SIGINT/SIGTERM or --duration, writing --stats as it goes and at the end. The
/// stack's counters live in a shared-memory segment (`/dev/shm/tachyon-NAME`, --name) that
/// `tachyon-stat` reads while it runs; the segment is removed when the loop stops cleanly.
/// Control path only: the loop itself is `stack::poll` plus a clock read.

#include <functional>
#include <memory>
#include <string>

#include "api/cli.hpp"
#include "api/stat_publisher.hpp"
#include "api/stat_segment.hpp"
#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/device/device.hpp"
#include "stack/device/pcap.hpp"
#include "stack/iface/stack.hpp"

namespace tachyon {

/// A device, its optional recorder and a stack, ready to run.
class runtime {
public:
    /// Opens the backend and builds the stack; the error says what failed and what to do.
    static result<std::unique_ptr<runtime>> open(const backend_options& options);
    ~runtime();

    /// The stack.
    stack& net() { return *_stack; }
    /// Runs the loop until a signal or --duration; `each` (optional) runs after every poll.
    /// Returns the exit code (0 on a clean stop).
    int run(const std::function<void(instant)>& each = {});
    /// Writes the --stats file now (atomically: a temporary file renamed over it).
    void write_stats() const;
    /// Adds the program's own members to every --stats write: `members()` returns JSON
    /// members (`"name": value, ...`) placed after the stack's sections.
    void set_stats_members(std::function<std::string()> members) { _stats_members = std::move(members); }

private:
    runtime() = default;
    result<void> open_segment();

    backend_options _options;
    std::unique_ptr<device> _backend;
    pcap_writer _pcap_writer;
    std::unique_ptr<pcap_device> _pcap;
    stat_segment _segment;     // /dev/shm/tachyon-NAME: the stack's counters live in it
    std::unique_ptr<stack> _stack;
    stat_publisher _publisher; // refreshes the segment from the loop
    std::function<std::string()> _stats_members;
    mutable json_writer _stats_writer; // kept: each --stats write reuses its memory
    std::string _stats_tmp;            // --stats FILE's temporary name (FILE.tmp)
};

/// Installs SIGINT/SIGTERM handlers that ask `runtime::run` to stop.
void install_stop_signals();
/// True once SIGINT or SIGTERM arrived, or `request_stop` was called.
bool stop_requested();
/// Asks `runtime::run` to stop after the current iteration (from a callback, say), as a
/// signal would: the stats are written and the stack stopped cleanly.
void request_stop();

} // namespace tachyon
