#pragma once
/// Counters under the names the kernel's `nstat` gives its own (RFC 1213 MIB-II `Ip*`, `Icmp*`,
/// `Tcp*`, `Udp*`, and Linux's `TcpExt*`), each the sum of the tachyon counters that count the
/// same event, so an operator reads tachyon and the kernel side by side. Where the kernel has
/// no such counter, tachyon's own name (`section.counter`) is the only one.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tachyon::stat {

/// Counters by "section.counter" (as in the --stats JSON).
using flat_counters = std::map<std::string, uint64_t, std::less<>>;

/// One kernel name and how it is made: space-separated "section.counter" terms, each added,
/// or subtracted when it starts with '-'.
struct nstat_definition {
    std::string_view name;  ///< the kernel's name, as nstat prints it
    std::string_view terms; ///< what it sums
};

/// Every kernel name tachyon provides, in nstat's order (Ip, Icmp, Tcp, Udp, TcpExt).
const std::vector<nstat_definition>& nstat_definitions();

/// The kernel-named values computed from `counters`, in `nstat_definitions()` order.
std::vector<std::pair<std::string_view, uint64_t>> nstat_values(const flat_counters& counters);

/// The terms of `nstat_definitions()` that name no counter of `counters` (empty when every
/// definition matches the counters the stack has).
std::vector<std::string> nstat_unknown_terms(const flat_counters& counters);

} // namespace tachyon::stat
