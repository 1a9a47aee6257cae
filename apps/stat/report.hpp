#pragma once
/// What `tachyon-stat` prints, as text (nstat's and ss's layouts) and as JSON: the list of
/// stacks, one stack's counters (with rates between two snapshots for --watch), and its
/// connection table. Pure formatting: no I/O, so the tests check it on made-up snapshots.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/stat_reader.hpp"
#include "apps/stat/nstat.hpp"

namespace tachyon::stat {

/// JSON with members in insertion order.
using json = nlohmann::ordered_json;

/// The identity of the stack behind a segment, as a list entry (from its header).
stat_entry entry_of(std::string_view name, const stat_header& h, stat_liveness liveness);

/// A snapshot's counters (cold ones included) by "section.counter".
flat_counters flatten(const stat_snapshot& s);

/// The list of segments as JSON: {"stacks": [...]}.
json list_json(const std::vector<stat_entry>& entries);
/// The list of segments as a table.
std::string list_text(const std::vector<stat_entry>& entries);

/// One stack's counters as JSON: identity, "nstat" (kernel names) and "counters" (by section);
/// with `prev`, also "rates" per second since it.
json counters_json(const stat_entry& who, const stat_snapshot& now, const stat_snapshot* prev);
/// One stack's counters as nstat prints them: a '#' line naming the stack, then the kernel
/// names and ours, non-zero ones only unless `all`, with a rate column when `prev` is given.
std::string counters_text(const stat_entry& who, const stat_snapshot& now, const stat_snapshot* prev, bool all);

/// The connection table as JSON: {"connections": [...], "table_age_ms": ...}.
json connections_json(const stat_entry& who, const stat_snapshot& s);
/// The connection table as `ss -tin` prints it: one line per socket, TCP details indented below.
std::string connections_text(const stat_entry& who, const stat_snapshot& s);

} // namespace tachyon::stat
