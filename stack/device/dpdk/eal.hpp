#pragma once
/// The DPDK Environment Abstraction Layer, once per process. `rte_eal_init` may run only once
/// in a process, and after `rte_eal_cleanup` never again; every DPDK device holds an
/// `eal_session` handle, and the EAL is cleaned up when the last handle goes. A second
/// `acquire` while the EAL is up reuses it when it asks for the same arguments (or for none);
/// other arguments are an error, since the EAL cannot be re-initialised with them.
///
/// Control path only: nothing here runs per packet.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stack/core/result.hpp"

namespace tachyon {

/// Splits `args` into words as a POSIX shell would (blanks separate words; single quotes keep
/// everything; double quotes keep everything but `\"`, `\\`, `\$` and `` \` `` escapes; a
/// backslash outside quotes escapes the next character), without globbing or expansion.
/// An unterminated quote or a trailing backslash is an error.
result<std::vector<std::string>> split_shell_words(std::string_view args);

/// The EAL settings that tachyon reads back after initialisation.
struct eal_info {
    std::string args;           ///< the argument string the EAL was initialised with
    unsigned main_lcore = 0;    ///< the lcore the initialising thread is pinned to
    unsigned lcore_count = 0;   ///< lcores enabled
    bool hugepages = true;      ///< false with --no-huge
    std::string file_prefix;    ///< --file-prefix (the default "rte" when not given)
};

/// A reference to the process's EAL: the EAL stays up while one exists.
class eal_session {
public:
    /// Initialises the EAL from `args` (a shell-like string, see `split_shell_words`), or
    /// joins the EAL already up. `args` empty joins only. The error names the likely cause
    /// (no hugepages, a file prefix in use, bad arguments) and what to do.
    static result<std::shared_ptr<eal_session>> acquire(std::string_view args);
    /// True while the EAL is initialised in this process.
    static bool up();
    /// True once the EAL was cleaned up: it cannot come back in this process.
    static bool finished();

    eal_session(const eal_session&) = delete;
    eal_session& operator=(const eal_session&) = delete;
    /// The last session calls `rte_eal_cleanup`.
    ~eal_session();

    /// What the EAL runs with.
    const eal_info& info() const;

private:
    eal_session() = default;
};

} // namespace tachyon
