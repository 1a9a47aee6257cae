#include "apps/stat/report.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "stack/core/addr.hpp"
#include "stack/net/tcp_connection.hpp"

namespace tachyon::stat {

namespace {

std::string format(const char* fmt, auto... args) {
    char buf[256];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

std::string endpoint(uint32_t address, uint16_t port) {
    return ipv4_address(address).to_string() + ":" + (port == 0 ? std::string("*") : std::to_string(port));
}

std::string state_name(const stat_connection& r, bool ss_style) {
    if (r.kind == stat_kind::udp) return ss_style ? (r.state ? "ESTAB" : "UNCONN") : (r.state ? "CONNECTED" : "UNCONNECTED");
    const auto s = tcp_state(r.state);
    if (!ss_style) return to_string(s);
    switch (s) { // ss(8)'s short names
    case tcp_state::established: return "ESTAB";
    case tcp_state::syn_received: return "SYN-RECV";
    default: return to_string(s);
    }
}

double ms(uint32_t us) { return double(us) / 1000.0; }

double seconds_between(const stat_snapshot& a, const stat_snapshot& b) {
    const double s = double(b.taken_ns - a.taken_ns) / 1e9;
    return s > 0 ? s : 1.0;
}

std::optional<double> heartbeat_age_ms(const stat_entry& who) {
    if (!who.heartbeat_age) return std::nullopt;
    return double(who.heartbeat_age->count_ns()) / 1e6;
}

std::string who_line(const stat_entry& who) {
    std::string line = "#" + who.name + " " + to_string(who.liveness) + ", pid " + std::to_string(who.pid) + " (" +
                       who.program + "), " + who.address + " on " + who.device;
    if (who.liveness == stat_liveness::stale) line += ": its process is gone (tachyon-stat --gc removes it)";
    else if (auto age = heartbeat_age_ms(who)) line += format(", heartbeat %.1f ms ago", *age);
    return line + "\n";
}

} // namespace

stat_entry entry_of(std::string_view name, const stat_header& h, stat_liveness liveness) {
    stat_entry e;
    e.name = std::string(name);
    e.liveness = liveness;
    e.alive = liveness == stat_liveness::running;
    e.pid = h.pid;
    e.program = std::string(h.program, strnlen(h.program, sizeof h.program));
    e.address = std::string(h.address, strnlen(h.address, sizeof h.address));
    e.device = std::string(h.device, strnlen(h.device, sizeof h.device));
    e.start_unix_ns = h.start_unix_ns;
    return e;
}

flat_counters flatten(const stat_snapshot& s) {
    flat_counters out;
    visit_stat_counters(s.counters, s.cold, [&](std::string_view section, std::string_view name, uint64_t v) {
        out.emplace(std::string(section) + "." + std::string(name), v);
    });
    return out;
}

json list_json(const std::vector<stat_entry>& entries) {
    json stacks = json::array();
    for (const auto& e : entries) {
        json j = {{"name", e.name}, {"state", to_string(e.liveness)}, {"alive", e.alive}, {"pid", e.pid}};
        if (!e.program.empty()) {
            j["program"] = e.program;
            j["address"] = e.address;
            j["device"] = e.device;
            j["started_unix_ns"] = e.start_unix_ns;
        }
        if (auto age = heartbeat_age_ms(e)) j["heartbeat_age_ms"] = *age;
        stacks.push_back(std::move(j));
    }
    return json{{"stacks", std::move(stacks)}};
}

std::string list_text(const std::vector<stat_entry>& entries) {
    if (entries.empty()) return "no tachyon stacks (nothing in /dev/shm/tachyon-*)\n";
    std::string out = format("%-28s %-11s %8s  %-16s %-20s %-20s %s\n", "NAME", "STATE", "PID", "PROGRAM", "ADDRESS",
                             "DEVICE", "HEARTBEAT");
    for (const auto& e : entries) {
        const auto age = heartbeat_age_ms(e);
        out += format("%-28s %-11s %8" PRId64 "  %-16s %-20s %-20s %s\n", e.name.c_str(), to_string(e.liveness), e.pid,
                      e.program.c_str(), e.address.c_str(), e.device.c_str(),
                      age ? format("%.1f ms ago", *age).c_str() : "-");
    }
    return out;
}

json counters_json(const stat_entry& who, const stat_snapshot& now, const stat_snapshot* prev) {
    const flat_counters cur = flatten(now);
    json j = {{"name", who.name}, {"state", to_string(who.liveness)}, {"pid", who.pid}, {"program", who.program},
              {"address", who.address}, {"device", who.device}};
    if (auto age = heartbeat_age_ms(who)) j["heartbeat_age_ms"] = *age;
    json nstat = json::object();
    for (const auto& [name, v] : nstat_values(cur)) nstat[std::string(name)] = v;
    j["nstat"] = std::move(nstat);
    json sections = json::object();
    visit_stat_counters(now.counters, now.cold, [&](std::string_view section, std::string_view name, uint64_t v) {
        sections[std::string(section)][std::string(name)] = v;
    });
    j["counters"] = std::move(sections);
    if (prev != nullptr) {
        const flat_counters old = flatten(*prev);
        const double dt = seconds_between(*prev, now);
        json rates = json::object();
        const auto before = nstat_values(old);
        const auto after = nstat_values(cur);
        for (size_t i = 0; i < after.size(); ++i)
            rates[std::string(after[i].first)] = double(after[i].second - before[i].second) / dt;
        for (const auto& [name, v] : cur) rates[name] = double(v - old.at(name)) / dt;
        j["interval_s"] = dt;
        j["rates"] = std::move(rates);
    }
    return j;
}

std::string counters_text(const stat_entry& who, const stat_snapshot& now, const stat_snapshot* prev, bool all) {
    const flat_counters cur = flatten(now);
    std::optional<flat_counters> old;
    if (prev != nullptr) old = flatten(*prev);
    const double dt = prev != nullptr ? seconds_between(*prev, now) : 1.0;
    std::string out = who_line(who);
    const auto line = [&](std::string_view name, uint64_t v, uint64_t before) {
        if (!all && v == 0) return;
        out += format("%-40.*s%-16" PRIu64, int(name.size()), name.data(), v);
        if (old) out += format("%12.1f", double(v - before) / dt);
        out += "\n";
    };
    const auto ours = nstat_values(cur);
    const auto theirs = old ? nstat_values(*old) : ours;
    for (size_t i = 0; i < ours.size(); ++i) line(ours[i].first, ours[i].second, theirs[i].second);
    for (const auto& [name, v] : cur) line(name, v, old ? old->at(name) : v);
    return out;
}

json connections_json(const stat_entry& who, const stat_snapshot& s) {
    json rows = json::array();
    for (const auto& r : s.rows) {
        json j = {{"proto", r.kind == stat_kind::udp ? "udp" : "tcp"},
                  {"state", state_name(r, false)},
                  {"local", endpoint(r.local_address, r.local_port)},
                  {"remote", endpoint(r.remote_address, r.remote_port)},
                  {"recv_queue", r.recv_queue},
                  {"send_queue", r.send_queue}};
        if (r.kind == stat_kind::tcp) {
            j.update({{"snd_una", r.snd_una}, {"snd_nxt", r.snd_nxt}, {"rcv_nxt", r.rcv_nxt}, {"snd_wnd", r.snd_wnd},
                      {"cwnd", r.cwnd}, {"ssthresh", r.ssthresh}, {"mss", r.mss}, {"srtt_us", r.srtt_us},
                      {"rttvar_us", r.rttvar_us}, {"rto_us", r.rto_us}, {"retransmits", r.retransmits},
                      {"out_of_order", r.out_of_order}, {"sack", (r.flags & stat_sack) != 0},
                      {"timestamps", (r.flags & stat_timestamps) != 0}, {"wscale", (r.flags & stat_wscale) != 0}});
        } else if (r.kind == stat_kind::udp) {
            j.update({{"rx_datagrams", r.rx}, {"tx_datagrams", r.tx}, {"drops", r.drops}});
        }
        rows.push_back(std::move(j));
    }
    json j = {{"name", who.name}, {"state", to_string(who.liveness)}, {"connections", std::move(rows)}};
    j["table_age_ms"] = s.table_ns == 0 ? json(nullptr) : json(double(s.taken_ns - s.table_ns) / 1e6);
    j["consistent"] = s.consistent;
    return j;
}

std::string connections_text(const stat_entry& who, const stat_snapshot& s) {
    std::string out = who_line(who);
    if (s.table_ns == 0) return out + "(no table published yet)\n";
    out += format("%-6s%-13s%8s %8s %-24s%-24s\n", "Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port",
                  "Peer Address:Port");
    for (const auto& r : s.rows) {
        out += format("%-6s%-13s%8u %8u %-24s%-24s\n", r.kind == stat_kind::udp ? "udp" : "tcp",
                      state_name(r, true).c_str(), r.recv_queue, r.send_queue,
                      endpoint(r.local_address, r.local_port).c_str(), endpoint(r.remote_address, r.remote_port).c_str());
        if (r.kind == stat_kind::tcp) {
            out += "\t";
            if (r.flags & stat_timestamps) out += "ts ";
            if (r.flags & stat_sack) out += "sack ";
            if (r.flags & stat_wscale) out += "wscale ";
            out += format("rto:%.3f rtt:%.3f/%.3f mss:%u cwnd:%u ssthresh:%u snd_wnd:%u", ms(r.rto_us), ms(r.srtt_us),
                          ms(r.rttvar_us), r.mss, r.cwnd, r.ssthresh, r.snd_wnd);
            out += format(" snd_una:%u snd_nxt:%u rcv_nxt:%u retrans:%u ooo:%u\n", r.snd_una, r.snd_nxt, r.rcv_nxt,
                          r.retransmits, r.out_of_order);
        } else if (r.kind == stat_kind::udp) {
            out += format("\trx:%" PRIu64 " tx:%" PRIu64 " drops:%" PRIu64 "\n", r.rx, r.tx, r.drops);
        }
    }
    return out + format("(table published %.1f ms ago)\n", double(s.taken_ns - s.table_ns) / 1e6);
}

} // namespace tachyon::stat
