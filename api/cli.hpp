#pragma once
/// The settings every tachyon program shares, from flags, a --config file and TACHYON_CONFIG
/// (docs/CONFIG.md). A program declares its own keys next to the shared ones
/// (`add_backend_flags`); `--help` and `--doc` list them all.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/device_settings.hpp"
#include "stack/core/config.hpp"
#include "stack/core/result.hpp"
#include "stack/core/time.hpp"
#include "stack/device/pcap_options.hpp"
#include "stack/device/xdp/xdp_options.hpp"

namespace tachyon {

/// What `parse` decided.
enum class cli_outcome {
    run,  ///< settings are fine: run the program
    help, ///< --help, --doc or --print-config printed what was asked: exit 0
};

/// Where a setting's value came from, lowest precedence first.
enum class config_source {
    defaults, ///< nobody set it
    file,     ///< the --config file
    env,      ///< the TACHYON_CONFIG environment variable
    flag,     ///< the command line
};

/// The name of a source as messages and --print-config show it.
std::string_view to_string(config_source s);

/// One setting: a flag `--NAME`, a key NAME in the --config file (`a-b-c`, `a_b_c`, or `c` in a
/// section `[a]` / `[a.b]`) and in TACHYON_CONFIG, all of the same meaning.
struct config_key {
    /// Parses one value and stores it; an error message says what is wrong with it.
    using setter = std::function<result<void>(std::string_view value)>;

    std::string name;                  ///< the flag without "--", like tcp-send-buffer
    std::string type;                  ///< what a value looks like: "bytes", "seconds", "A.B.C.D/N", ...
    std::string default_value;         ///< as text ("" when there is none)
    std::string range;                 ///< the values allowed, in words ("" when the type says it)
    std::string help;                  ///< the one-line meaning
    std::string field;                 ///< the stack_config field it sets ("tcp.send_buffer"), or ""
    setter set;                        ///< stores one value
    std::function<std::string()> get;  ///< the value in effect as text (empty: the text given)
    bool repeatable = false;           ///< a list: a flag given more than once, an array in a file
    bool is_switch = false;            ///< true/false; a bare `--NAME` on the command line means true
    bool shared = false;               ///< one of the keys every program takes (add_backend_flags)
};

/// The settings of one program: its flags, the --config file and TACHYON_CONFIG, through CLI11,
/// with precedence flags > TACHYON_CONFIG > file > defaults. A program declares its own keys next
/// to the shared ones (`add_backend_flags`); --help, --doc and --print-config list them all.
class cli {
public:
    /// Parses a flag's value; an error message says what is wrong with it.
    using setter = config_key::setter;

    /// A parser for `program`, described by `summary` in the usage.
    cli(std::string program, std::string summary);
    /// Declares a key with all it says about itself.
    void key(config_key k);
    /// Declares `--name VALUE`; `repeatable` lets it appear more than once.
    void option(std::string name, std::string value_name, std::string help, setter set, bool repeatable = false);
    /// Declares a bare `--name` switch (in a file or TACHYON_CONFIG: name = true).
    void toggle(std::string name, std::string help, std::function<void()> set);
    /// Parses argv, the --config file it names and TACHYON_CONFIG (from the environment); an
    /// error names the key, its value and where it came from.
    result<cli_outcome> parse(int argc, const char* const* argv);
    /// As `parse`, with TACHYON_CONFIG's text given (nullopt: unset).
    result<cli_outcome> parse(int argc, const char* const* argv, std::optional<std::string_view> env);
    /// The usage text (--help).
    std::string usage() const;
    /// Every key with its type, default, range and meaning (--doc): the shared keys, then the
    /// program's own.
    std::string doc() const;
    /// The configuration in effect after `parse`, each value with its source (--print-config),
    /// in a form --config reads back.
    std::string effective() const;
    /// The keys declared, in order.
    const std::vector<config_key>& keys() const { return _keys; }
    /// Where a key's value came from after `parse` (defaults for an unknown name).
    config_source source(std::string_view name) const;
    /// A key's values in effect after `parse`, as text (empty: not set; a list has several).
    std::vector<std::string> values(std::string_view name) const;

private:
    struct given; // one key's values from one source
    result<void> apply(const std::vector<given>& values);
    std::vector<std::string> values_of(size_t i) const;

    std::string _program, _summary;
    std::vector<config_key> _keys;
    std::vector<config_source> _sources;        // per key, after parse
    std::vector<std::vector<std::string>> _raw; // per key: the values that won, as given
    std::string _config_file;
};

/// The backend flags every program takes (see the README).
struct backend_options {
    std::string backend = "tap";           ///< --backend tap|dpdk|xdp|auto
    bool strict = false;                   ///< --strict: --backend auto may not fall back
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
    tap_settings tap_device;               ///< --tap-*: the TAP backend's own settings
    dpdk_settings dpdk_device;             ///< --dpdk-*: the DPDK backend's own settings

    /// Checks the combination of flags (after parsing) and the stack configuration.
    result<void> validate() const;
};

/// Declares the shared keys on `c` (backend, addresses, capture, stats, every stack_config
/// field), writing into `o`.
void add_backend_flags(cli& c, backend_options& o);

/// Declares the AF_XDP backend's flags (--iface, --xdp-*) on `c`, writing into `o`.
void add_xdp_flags(cli& c, xdp_options& o);

/// Declares the capture flags (--pcap, --pcap-format, --pcap-snaplen, --pcap-rotate) on `c`.
void add_pcap_flags(cli& c, backend_options& o);

/// Parses a count of seconds such as "1", "0.5" or "2.25" into a duration.
std::optional<duration> parse_seconds(std::string_view text);

/// Parses true/false (also 1/0, yes/no, on/off).
std::optional<bool> parse_bool(std::string_view text);

} // namespace tachyon
