#include "stack/net/igmp_host.hpp"

#include <algorithm>

namespace tachyon {

namespace {

// RFC 2236 §8.10: the v2 Unsolicited Report Interval (v1 uses the same).
constexpr duration v2_unsolicited_report_interval = duration::s(10);

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

bool igmp_host::filter::has(ipv4_address s) const {
    for (uint8_t i = 0; i < count; ++i)
        if (sources[i] == s) return true;
    return false;
}

bool igmp_host::filter::operator==(const filter& o) const {
    if (exclude != o.exclude || count != o.count) return false;
    for (uint8_t i = 0; i < count; ++i)
        if (!o.has(sources[i])) return false;
    return true;
}

igmp_host::igmp_host(const multicast_settings& settings, uint64_t seed)
    : _settings(settings),
      _groups(settings.max_groups),
      _index(settings.max_groups),
      // A report of 16 records of 16 sources stays under a 1500-byte MTU: 8 + 16 * (8 + 64) = 1160.
      _records(16),
      _scratch(2 * max_sources),
      _rng(seed) {}

duration igmp_host::random_delay(duration max) {
    if (max <= duration{}) return duration{};
    return duration::ns(int64_t(splitmix64(_rng) % uint64_t(max.count_ns())));
}

duration igmp_host::unsolicited_interval(wire::igmp_version v) const {
    return v == wire::igmp_version::v3 ? _settings.unsolicited_report_interval : v2_unsolicited_report_interval;
}

wire::igmp_version igmp_host::version(instant now) const {
    // RFC 3376 §7.2.1: the oldest querier heard within its Older Version Querier Present
    // Timeout sets the host's compatibility mode.
    if (now < _v1_querier_until) return wire::igmp_version::v1;
    if (now < _v2_querier_until) return wire::igmp_version::v2;
    return wire::igmp_version::v3;
}

errc igmp_host::set_state(ipv4_address group, bool any_source, std::span<const ipv4_address> sources, instant now) {
    if (!group.is_multicast()) return errc::invalid_argument;
    // RFC 3376 §5: no reports for 224.0.0.0/24; joining the link-local groups makes no sense here.
    if ((group.value >> 8) == 0xe00000) return errc::invalid_argument;
    filter f;
    f.exclude = any_source;
    if (!any_source) {
        for (ipv4_address s : sources) {
            if (f.has(s)) continue;
            if (f.count == max_sources) return errc::no_space;
            f.sources[f.count++] = s;
        }
    }
    uint32_t slot = _index.find(group);
    if (slot == decltype(_index)::npos) {
        if (!f.member()) return errc::ok;
        auto it = std::find_if(_groups.begin(), _groups.end(), [](const group_entry& g) { return !g.in_use; });
        if (it == _groups.end()) return errc::no_space;
        slot = uint32_t(it - _groups.begin());
        *it = group_entry{};
        it->group = group;
        it->in_use = true;
        (void)_index.insert(group, slot);
    }
    group_entry& g = _groups[slot];
    if (g.now == f) return errc::ok;
    // §5.1: report at once, then robustness - 1 more times. A change while repetitions are
    // pending is reported against the state the routers last heard: the target of the report
    // already sent (join then leave is a TO_IN, not silence); before anything went out, the
    // two changes merge into one from the older base.
    if (g.changes_left > 0 && g.transmitted) g.reported = g.now;
    g.now = f;
    g.transmitted = false;
    g.changes_left = _settings.robustness;
    g.change_at = now;
    schedule(now);
    return errc::ok;
}

bool igmp_host::accepts(ipv4_address group, ipv4_address source) const {
    uint32_t slot = _index.find(group);
    if (slot == decltype(_index)::npos) return false;
    const filter& f = _groups[slot].now;
    return f.exclude || f.has(source);
}

void igmp_host::on_query(const wire::igmp_query& q, ipv4_address dst, instant now) {
    ++_stats.rx_queries;
    const wire::igmp_version before = version(now);
    if (q.version != wire::igmp_version::v3) {
        // §8.12: Older Version Querier Present Timeout = robustness * query interval + query
        // response interval (a v1/v2 querier tells neither: the defaults).
        const instant until = now + _settings.query_interval * _settings.robustness + _settings.query_response_interval;
        if (q.version == wire::igmp_version::v1) {
            ++_stats.rx_v1_queries;
            _v1_querier_until = until;
        } else {
            ++_stats.rx_v2_queries;
            _v2_querier_until = until;
        }
    }
    const wire::igmp_version v = version(now);
    if (v < before) {
        // §7.2.1: on falling back, pending v3 reports are cancelled.
        _general_answer_at = instant::never();
        for (auto& g : _groups) {
            g.changes_left = 0;
            g.change_at = instant::never();
            g.reported = g.now;
        }
    }
    const duration max_delay = duration::ms(100) * int64_t(q.max_response_time_ds());
    if (q.is_general()) {
        if (dst != wire::igmp_address::all_systems && !dst.is_multicast()) return;
        if (v == wire::igmp_version::v3) {
            // §5.2 rule 1: an answer to a general query already due sooner covers this one.
            instant at = now + random_delay(max_delay);
            if (_general_answer_at > at) _general_answer_at = at;
            schedule(_general_answer_at);
        } else {
            // RFC 2236 §3: each group's report on a timer of its own.
            for (auto& g : _groups) {
                if (!g.in_use || !g.member()) continue;
                instant at = now + random_delay(max_delay);
                if (g.answer_at > at) g.answer_at = at;
                schedule(g.answer_at);
            }
        }
        return;
    }
    uint32_t slot = _index.find(q.group);
    if (slot == decltype(_index)::npos || !_groups[slot].member()) return;
    group_entry& g = _groups[slot];
    instant at = now + random_delay(max_delay);
    // §5.2 rule 1 again; a group-and-source-specific query is answered with the group's whole
    // current state, which lists every source the querier asked about that we want.
    if (v == wire::igmp_version::v3 && _general_answer_at <= at) return;
    if (g.answer_at > at) g.answer_at = at;
    schedule(g.answer_at);
}

void igmp_host::on_report(ipv4_address group, instant now) {
    ++_stats.rx_reports;
    // RFC 2236 §3: a v1/v2 host hearing another's report for a group it was about to report
    // stops its timer. A v3 host never suppresses (RFC 3376 §5.2).
    if (version(now) == wire::igmp_version::v3) return;
    uint32_t slot = _index.find(group);
    if (slot != decltype(_index)::npos) _groups[slot].answer_at = instant::never();
}

size_t igmp_host::change_records(const group_entry& g, wire::igmp_group_record* out, std::span<ipv4_address> scratch) {
    const filter& from = g.reported;
    const filter& to = g.now;
    using rt = wire::igmp_record_type;
    if (!from.exclude && to.exclude) {
        out[0] = {rt::change_to_exclude, g.group, {}};
        return 1;
    }
    if (from.exclude && !to.exclude) {
        out[0] = {rt::change_to_include, g.group, std::span(to.sources.data(), to.count)};
        return 1;
    }
    if (from.exclude && to.exclude) return 0;
    // INCLUDE(A) → INCLUDE(B): ALLOW(B-A), BLOCK(A-B) (§5.1 table).
    size_t allow = 0;
    for (uint8_t i = 0; i < to.count; ++i)
        if (!from.has(to.sources[i])) scratch[allow++] = to.sources[i];
    size_t block = 0;
    for (uint8_t i = 0; i < from.count; ++i)
        if (!to.has(from.sources[i])) scratch[allow + block++] = from.sources[i];
    size_t n = 0;
    if (allow > 0) out[n++] = {rt::allow_new_sources, g.group, scratch.first(allow)};
    if (block > 0) out[n++] = {rt::block_old_sources, g.group, scratch.subspan(allow, block)};
    return n;
}

wire::igmp_group_record igmp_host::current_record(const group_entry& g) const {
    if (g.now.exclude) return {wire::igmp_record_type::mode_is_exclude, g.group, {}};
    return {wire::igmp_record_type::mode_is_include, g.group, std::span(g.now.sources.data(), g.now.count)};
}

void igmp_host::group_macs(std::vector<mac_address>& out) const {
    out.clear();
    for (const auto& g : _groups) {
        if (!g.in_use || !g.member()) continue;
        mac_address m = multicast_mac(g.group);
        if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
    }
}

void igmp_host::release(uint32_t slot) {
    _index.erase(_groups[slot].group);
    _groups[slot].in_use = false;
}

void igmp_host::recompute_deadline() {
    instant t = _general_answer_at;
    for (const auto& g : _groups) {
        if (!g.in_use) continue;
        t = std::min({t, g.change_at, g.answer_at});
    }
    _next_deadline = t;
}

} // namespace tachyon
