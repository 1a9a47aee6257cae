#pragma once
/// The command line every tachyon program shares. A program declares its own flags next to
/// the shared backend flags (`add_backend_flags`); `--help` lists them all.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/config.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"
#include "stack/device/pcap_options.hpp"
#include "stack/device/xdp/xdp_options.hpp"

namespace tachyon {

/// What `parse` decided.
enum class cli_outcome {
    run,  ///< flags are fine: run the program
    help, ///< --help was given and the usage printed: exit 0
};

/// A small flag parser: `--name VALUE`, `--name=VALUE` and bare `--switch`.
class cli {
public:
    /// Parses a flag's value; an error message says what is wrong with it.
    using setter = std::function<result<void>(std::string_view value)>;

    /// A parser for `program`, described by `summary` in the usage.
    cli(std::string program, std::string summary);
    /// Declares `--name VALUE`; `repeatable` lets it appear more than once.
    void option(std::string name, std::string value_name, std::string help, setter set, bool repeatable = false);
    /// Declares a bare `--name` switch.
    void toggle(std::string name, std::string help, std::function<void()> set);
    /// Parses argv; an error names the flag and what is wrong.
    result<cli_outcome> parse(int argc, const char* const* argv);
    /// The usage text.
    std::string usage() const;

private:
    struct flag {
        std::string name, value_name, help;
        setter set;
        std::function<void()> on;
        bool repeatable = false;
        bool seen = false;
    };
    std::string _program, _summary;
    std::vector<flag> _flags;
};

/// The backend flags every program takes (see the README).
struct backend_options {
    std::string backend = "tap";           ///< --backend tap|dpdk|xdp
    std::string tap = "tachyon0";          ///< --tap NAME
    std::string dpdk_args;                 ///< --dpdk "EAL ARGS"
    stack_config stack;                    ///< --ip, --gateway, --arp, --mac
    bool have_ip = false;                  ///< --ip was given
    std::optional<std::string> pcap;       ///< --pcap FILE
    pcap_options capture;                  ///< --pcap-format, --pcap-snaplen, --pcap-rotate
    std::string capture_flag;              ///< the first --pcap-* flag given (it needs --pcap)
    std::optional<std::string> stats_path; ///< --stats FILE
    duration stats_interval = duration::s(1); ///< --stats-interval SECONDS
    std::string name;                      ///< --name NAME: the shared-memory segment's (empty: PROGRAM-PID)
    std::string log_level = "info";        ///< --log-level LEVEL
    std::optional<duration> run_for;       ///< --duration SECONDS
    bool idle = false;                     ///< --idle: sleep briefly when nothing arrives
    bool sqpoll = false;                   ///< --sqpoll: io_uring SQPOLL mode (TAP backend)
    uint16_t port = 0;                     ///< --port N: the DPDK ethdev port (DPDK backend)
    std::optional<unsigned> core;          ///< --core N: the lcore that polls (DPDK backend)
    xdp_options xdp;                       ///< --iface, --xdp-*: the AF_XDP backend

    /// Checks the combination of flags (after parsing) and the stack configuration.
    result<void> validate() const;
};

/// Declares the shared backend flags on `c`, writing into `o`.
void add_backend_flags(cli& c, backend_options& o);

/// Declares the AF_XDP backend's flags (--iface, --xdp-*) on `c`, writing into `o`.
void add_xdp_flags(cli& c, xdp_options& o);

/// Declares the capture flags (--pcap, --pcap-format, --pcap-snaplen, --pcap-rotate) on `c`.
void add_pcap_flags(cli& c, backend_options& o);

/// Parses a count of seconds such as "1", "0.5" or "2.25" into a duration.
std::optional<duration> parse_seconds(std::string_view text);

} // namespace tachyon
