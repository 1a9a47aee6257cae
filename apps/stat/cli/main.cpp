/// tachyon-stat: the live counters and connections of running tachyon stacks, read from their
/// shared-memory segments (/dev/shm/tachyon-NAME) without disturbing them.
///
///     tachyon-stat                      list the stacks (running, stale, other builds)
///     tachyon-stat NAME                 its counters, as nstat names the kernel's, plus ours
///     tachyon-stat NAME --watch         rates per second, every --interval
///     tachyon-stat NAME --connections   its sockets and connections, like ss -tin
///     tachyon-stat --gc [NAME]          remove stale segments (their process is gone)

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "api/stat_reader.hpp"
#include "apps/stat/report.hpp"
#include "stack/core/clock.hpp"

namespace {

using namespace tachyon;
using namespace tachyon::stat;

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

struct options {
    std::string name;
    bool watch = false;
    double interval = 1.0;
    unsigned count = 0;
    bool connections = false;
    bool json = false;
    bool all = false;
    bool gc = false;
};

void print(const options& o, const json& j, const std::string& text) {
    if (o.json) std::printf("%s\n", j.dump().c_str());
    else std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
}

int list(const options& o) {
    const auto entries = stat_list();
    print(o, list_json(entries), list_text(entries));
    return 0;
}

int gc(const options& o) {
    json removed = json::array(), kept = json::array();
    std::string text;
    const auto one = [&](const std::string& name) {
        if (auto ok = stat_remove_stale(name)) {
            removed.push_back(name);
            text += "removed /dev/shm/tachyon-" + name + "\n";
        } else {
            kept.push_back({{"name", name}, {"reason", ok.err().message}});
            text += "kept " + ok.err().message + "\n";
        }
    };
    if (!o.name.empty()) {
        one(o.name);
    } else {
        for (const auto& e : stat_list())
            if (!e.alive) one(e.name);
    }
    if (text.empty()) text = "nothing stale\n";
    print(o, json{{"removed", removed}, {"kept", kept}}, text);
    return o.name.empty() || !removed.empty() ? 0 : 1;
}

int show(const options& o) {
    auto reader = stat_reader::open(o.name);
    if (!reader) {
        std::fprintf(stderr, "tachyon-stat: %s\n", reader.err().message.c_str());
        return 1;
    }
    const stat_reader& r = reader.value();
    const auto who = [&] {
        stat_entry e = entry_of(o.name, r.header(), r.liveness());
        const int64_t beat = r.header().heartbeat_ns.load(std::memory_order_relaxed);
        if (beat != 0)
            e.heartbeat_age = duration::ns(monotonic_clock::now().ns_since_epoch() - beat);
        return e;
    };
    if (r.liveness() == stat_liveness::stale)
        std::fprintf(stderr, "tachyon-stat: %s is stale: pid %lld is gone; these are its last values "
                             "(tachyon-stat --gc removes it)\n",
                     o.name.c_str(), static_cast<long long>(r.header().pid));
    const auto report = [&](const stat_snapshot& now, const stat_snapshot* prev) {
        const stat_entry e = who();
        if (o.connections) print(o, connections_json(e, now), connections_text(e, now));
        else print(o, counters_json(e, now, prev), counters_text(e, now, prev, o.all));
    };
    stat_snapshot prev = r.snapshot(o.connections);
    if (!o.watch) {
        report(prev, nullptr);
        return 0;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    for (unsigned n = 0; !g_stop && (o.count == 0 || n < o.count); ++n) {
        std::this_thread::sleep_for(std::chrono::duration<double>(o.interval));
        if (g_stop) break;
        stat_snapshot now = r.snapshot(o.connections);
        report(now, o.connections ? nullptr : &prev);
        prev = std::move(now);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"tachyon-stat: live counters and connections of running tachyon stacks, from /dev/shm/tachyon-NAME.\n"
                 "With no NAME, lists the stacks."};
    options o;
    app.add_option("name", o.name, "the stack's NAME (its --name; default PROGRAM-PID)");
    app.add_flag("--watch,-w", o.watch, "repeat every --interval: counters with rates per second");
    app.add_option("--interval,-i", o.interval, "seconds between --watch reports (default 1)")->check(CLI::PositiveNumber);
    app.add_option("--count,-c", o.count, "with --watch: stop after this many reports (0: until Ctrl-C)");
    app.add_flag("--connections,-t", o.connections, "the sockets and connections, like ss -tin");
    app.add_flag("--json,-j", o.json, "JSON output (one object per report)");
    app.add_flag("--all,-a", o.all, "counters that are zero too");
    app.add_flag("--gc", o.gc, "remove stale segments (their process is gone): NAME's, or every one");
    CLI11_PARSE(app, argc, argv);
    if (o.gc) return gc(o);
    if (o.name.empty()) return list(o);
    return show(o);
}
