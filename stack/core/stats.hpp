#pragma once
/// Counters. Each layer declares its counters once, as a list, and gets a struct of plain
/// `uint64_t` fields plus a `visit` that names them, so that every drop reason is a named
/// counter and the JSON report can never miss one:
///
///     #define TACHYON_ARP_COUNTERS(X) X(rx_requests) X(drop_bad_hardware_type)
///     struct arp_stats { TACHYON_COUNTERS(TACHYON_ARP_COUNTERS) };
///
/// Counters are only ever incremented by the core that owns the stack: no atomics.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

/// Declares the counter fields of LIST and a `visit(f)` that calls f(name, value) for each.
#define TACHYON_COUNTERS(LIST)                                                                  \
    LIST(TACHYON_COUNTER_FIELD_)                                                                \
    template <class F> void visit(F&& f) const { LIST(TACHYON_COUNTER_VISIT_) }                \
    /** The sum of every counter whose name starts with "drop_". */                            \
    uint64_t drops() const {                                                                    \
        uint64_t n = 0;                                                                         \
        visit([&](std::string_view name, uint64_t v) { if (name.starts_with("drop_")) n += v; }); \
        return n;                                                                               \
    }

#define TACHYON_COUNTER_FIELD_(name) uint64_t name = 0;
#define TACHYON_COUNTER_VISIT_(name) f(std::string_view(#name), name);

namespace tachyon {

/// Writes a JSON object section by section: {"layer": {"counter": n, ...}, ...} (through
/// nlohmann-json; control path only). A writer kept and `reset` between writes of the same
/// shape (the --stats file, each second) reuses its tree and its text: no allocation after
/// the first write.
class json_writer {
public:
    /// Opens the top-level object.
    json_writer();
    json_writer(const json_writer&) = delete;
    json_writer& operator=(const json_writer&) = delete;
    ~json_writer();
    /// Starts the next write over the previous one's tree (members keep their place and memory).
    void reset();
    /// Starts a named section (a nested object).
    void begin_section(std::string_view name);
    /// Ends the current section.
    void end_section();
    /// Writes one number in the current section.
    void field(std::string_view name, uint64_t value);
    /// Writes one string in the current section.
    void field(std::string_view name, std::string_view value);
    /// Writes all the counters of a `TACHYON_COUNTERS` struct as one section.
    template <class Counters>
    void section(std::string_view name, const Counters& c) {
        begin_section(name);
        c.visit([&](std::string_view n, uint64_t v) { field(n, v); });
        end_section();
    }
    /// The object's text (one line and a newline), valid until the next call.
    std::string_view text();
    /// The object's text, as a copy.
    std::string finish();

private:
    struct document;
    std::unique_ptr<document> _doc;
};

} // namespace tachyon
