#include "api/cli.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace tachyon {

/// One key's values from one source.
struct cli::given {
    size_t key;                      // index in _keys
    config_source source;            // where they came from
    std::vector<std::string> values; // as given
};

namespace {

error bad(std::string text) { return make_error(errc::invalid_argument, std::move(text)); }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A key as a file or TACHYON_CONFIG may spell it (tcp.send_buffer, [tcp] send_buffer) in the
/// flags' spelling (tcp-send-buffer).
std::string normalise(std::string_view name) {
    std::string out(trim(name));
    std::replace(out.begin(), out.end(), '_', '-');
    std::replace(out.begin(), out.end(), '.', '-');
    return out;
}

/// A value as TOML writes it: numbers and booleans bare, anything else quoted.
std::string toml_value(std::string_view v) {
    const bool bare = v == "true" || v == "false" ||
                      (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
                       std::count(v.begin(), v.end(), '.') <= 1 && v.front() != '.' && v.back() != '.');
    if (bare) return std::string(v);
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

} // namespace

std::string_view to_string(config_source s) {
    switch (s) {
    case config_source::defaults: return "default";
    case config_source::file: return "config file";
    case config_source::env: return "TACHYON_CONFIG";
    case config_source::flag: return "command line";
    }
    return "?";
}

cli::cli(std::string program, std::string summary) : _program(std::move(program)), _summary(std::move(summary)) {}

void cli::key(config_key k) { _keys.push_back(std::move(k)); }

void cli::option(std::string name, std::string value_name, std::string help, setter set, bool repeatable) {
    config_key k;
    k.name = std::move(name);
    k.type = std::move(value_name);
    k.help = std::move(help);
    k.set = std::move(set);
    k.repeatable = repeatable;
    key(std::move(k));
}

void cli::toggle(std::string name, std::string help, std::function<void()> set) {
    config_key k;
    k.name = std::move(name);
    k.type = "switch";
    k.default_value = "false";
    k.help = std::move(help);
    k.is_switch = true;
    k.set = [set = std::move(set)](std::string_view v) -> result<void> {
        auto on = parse_bool(v);
        if (!on) return bad("expected true or false");
        if (*on) set();
        return {};
    };
    key(std::move(k));
}

config_source cli::source(std::string_view name) const {
    for (size_t i = 0; i < _keys.size() && i < _sources.size(); ++i)
        if (_keys[i].name == name) return _sources[i];
    return config_source::defaults;
}

result<cli_outcome> cli::parse(int argc, const char* const* argv) {
    const char* env = std::getenv("TACHYON_CONFIG");
    return parse(argc, argv, env ? std::optional<std::string_view>(env) : std::nullopt);
}

result<cli_outcome> cli::parse(int argc, const char* const* argv, std::optional<std::string_view> env) {
    // The command line, through CLI11: each key a flag that keeps its values as text.
    CLI::App app{_summary, _program};
    app.set_help_flag("--help", "show this help and exit");
    std::string config_path;
    bool want_doc = false, want_print = false;
    app.add_option("--config", config_path, "read settings from this file (TOML, or INI if it ends in .ini)");
    app.add_flag("--doc", want_doc, "print every key with its type, default, range and meaning, and exit");
    app.add_flag("--print-config", want_print, "print the configuration in effect and where each value came from, and exit");
    std::vector<CLI::Option*> flags;
    for (const auto& k : _keys) {
        CLI::Option* o = k.is_switch ? app.add_flag("--" + k.name) : app.add_option("--" + k.name)->expected(1);
        o->description(k.help);
        if (!k.is_switch)
            o->multi_option_policy(k.repeatable ? CLI::MultiOptionPolicy::TakeAll : CLI::MultiOptionPolicy::Throw);
        flags.push_back(o);
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::fputs(usage().c_str(), stdout);
        return cli_outcome::help;
    } catch (const CLI::ParseError& e) {
        return bad(std::string(e.what()) + " (see --help)");
    }
    if (want_doc) {
        std::fputs(doc().c_str(), stdout);
        return cli_outcome::help;
    }

    std::vector<given> all;
    auto find = [this](std::string_view name) -> std::optional<size_t> {
        for (size_t i = 0; i < _keys.size(); ++i)
            if (_keys[i].name == name) return i;
        return std::nullopt;
    };
    // Adds one value of `name` from `source`; `where` names the source in errors.
    auto add = [&](const std::string& name, std::vector<std::string> values, config_source source,
                   const std::string& where) -> result<void> {
        auto i = find(name);
        if (!i) return bad(where + ": unknown key '" + name + "' (see --doc)");
        for (auto& g : all) {
            if (g.key != *i || g.source != source) continue;
            if (!_keys[*i].repeatable) return bad(where + ": " + name + " given twice");
            g.values.insert(g.values.end(), values.begin(), values.end());
            return {};
        }
        if (!_keys[*i].repeatable && values.size() != 1) return bad(where + ": " + name + " takes one value");
        all.push_back({*i, source, std::move(values)});
        return {};
    };

    _config_file = config_path;
    if (!config_path.empty()) {
        const std::string where = "config file " + config_path;
        std::vector<CLI::ConfigItem> items;
        try {
            const bool ini = config_path.ends_with(".ini");
            items = ini ? CLI::ConfigINI().from_file(config_path) : CLI::ConfigTOML().from_file(config_path);
        } catch (const CLI::Error& e) {
            return bad(where + ": " + e.what());
        }
        for (auto& item : items) {
            if (item.name == "++" || item.name == "--") continue; // a section opens or closes
            std::string name;
            for (const auto& p : item.parents) name += p + "-";
            if (auto ok = add(normalise(name + item.name), std::move(item.inputs), config_source::file, where); !ok) return ok.err();
        }
    }
    if (env) {
        std::string_view rest = *env;
        while (!rest.empty()) {
            const size_t semi = rest.find(';');
            const std::string_view item = trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            if (item.empty()) continue;
            const size_t eq = item.find('=');
            if (eq == std::string_view::npos) return bad("TACHYON_CONFIG: '" + std::string(item) + "' is not key=value");
            std::vector<std::string> value{std::string(trim(item.substr(eq + 1)))};
            if (auto ok = add(normalise(item.substr(0, eq)), std::move(value), config_source::env, "TACHYON_CONFIG"); !ok)
                return ok.err();
        }
    }
    for (size_t i = 0; i < flags.size(); ++i)
        if (flags[i]->count() > 0) all.push_back({i, config_source::flag, flags[i]->results()});

    if (auto ok = apply(all); !ok) return ok.err();
    if (want_print) {
        std::fputs(effective().c_str(), stdout);
        return cli_outcome::help;
    }
    return cli_outcome::run;
}

result<void> cli::apply(const std::vector<given>& all) {
    // Per key, the source of highest precedence wins (a list is replaced, not merged); keys are
    // set in the order they were declared, each once, as if the winning values were flags.
    std::vector<const given*> winner(_keys.size(), nullptr);
    for (const auto& g : all)
        if (winner[g.key] == nullptr || g.source > winner[g.key]->source) winner[g.key] = &g;
    _sources.assign(_keys.size(), config_source::defaults);
    _raw.assign(_keys.size(), {});
    for (size_t i = 0; i < _keys.size(); ++i) {
        const given* g = winner[i];
        if (g == nullptr) continue;
        const auto& k = _keys[i];
        for (const auto& v : g->values) {
            if (auto ok = k.set(v); !ok) {
                const std::string& why = ok.err().message;
                switch (g->source) {
                case config_source::flag: return bad("--" + k.name + " " + v + ": " + why);
                case config_source::env: return bad("TACHYON_CONFIG: " + k.name + "=" + v + ": " + why);
                default: return bad("config file " + _config_file + ": " + k.name + " = " + v + ": " + why);
                }
            }
        }
        _sources[i] = g->source;
        _raw[i] = g->values;
    }
    return {};
}

std::string cli::usage() const {
    std::string out = "usage: " + _program + " [flags]\n" + _summary +
                      "\n\nEvery flag is also a key of a --config file and of TACHYON_CONFIG=\"key=value;...\"\n"
                      "(flags > TACHYON_CONFIG > file > defaults; --doc lists them with defaults and ranges).\n\nflags:\n";
    auto line = [&out](const std::string& flag, const std::string& help) {
        std::string left = "  " + flag;
        if (left.size() < 28) left.resize(28, ' ');
        else left += "\n" + std::string(28, ' ');
        out += left + help + "\n";
    };
    line("--help", "show this help and exit");
    line("--config FILE", "read settings from this file (TOML, or INI if it ends in .ini)");
    line("--doc", "print every key with its type, default, range and meaning, and exit");
    line("--print-config", "print the configuration in effect and where each value came from, and exit");
    for (const auto& k : _keys)
        line("--" + k.name + (k.is_switch ? "" : " " + k.type), k.help + (k.repeatable ? " (repeatable)" : ""));
    return out;
}

std::string cli::doc() const {
    std::string out = "# " + _program + ": every key is a flag --KEY VALUE, a line KEY = VALUE of a --config file\n"
                      "# (TOML or INI; a key a-b-c may also be written a_b_c, or c in a section [a] or [a.b]) and an\n"
                      "# item KEY=VALUE of TACHYON_CONFIG=\"KEY=VALUE;KEY=VALUE\". Precedence: flags > TACHYON_CONFIG\n"
                      "# > file > defaults. A list (repeatable) from one source replaces the lower ones' list.\n";
    for (bool shared : {true, false}) {
        bool first = true;
        for (const auto& k : _keys) {
            if (k.shared != shared) continue;
            if (first) out += shared ? "\n## keys every tachyon program takes\n" : "\n## keys of " + _program + "\n";
            first = false;
            out += "\n" + k.name + "  (" + k.type + (k.repeatable ? ", repeatable" : "") + ")\n";
            out += "    default " + (k.default_value.empty() ? std::string("none") : k.default_value);
            if (!k.range.empty()) out += "; range " + k.range;
            if (!k.field.empty()) out += "; stack_config " + k.field;
            out += "\n    " + k.help + "\n";
        }
    }
    return out;
}

std::vector<std::string> cli::values_of(size_t i) const {
    const auto& k = _keys[i];
    const bool given = i < _raw.size() && !_raw[i].empty();
    if (k.repeatable) return given ? _raw[i] : std::vector<std::string>{};
    if (k.get) {
        std::string v = k.get();
        return v.empty() ? std::vector<std::string>{} : std::vector<std::string>{std::move(v)};
    }
    if (given) return {_raw[i].front()};
    return k.default_value.empty() ? std::vector<std::string>{} : std::vector<std::string>{k.default_value};
}

std::vector<std::string> cli::values(std::string_view name) const {
    for (size_t i = 0; i < _keys.size(); ++i)
        if (_keys[i].name == name) return values_of(i);
    return {};
}

std::string cli::effective() const {
    std::string out = "# " + _program + ": the configuration in effect (flags > TACHYON_CONFIG > file > defaults)\n";
    for (size_t i = 0; i < _keys.size(); ++i) {
        const auto& k = _keys[i];
        const config_source src = i < _sources.size() ? _sources[i] : config_source::defaults;
        std::string from(to_string(src));
        if (src == config_source::file) from += " " + _config_file;
        const auto vs = values_of(i);
        std::string text;
        if (k.repeatable) {
            text = k.name + " = [";
            for (size_t j = 0; j < vs.size(); ++j) text += (j ? ", " : "") + toml_value(vs[j]);
            text += "]";
        } else {
            text = vs.empty() ? "# " + k.name + " is not set" : k.name + " = " + toml_value(vs.front());
        }
        if (text.size() < 40) text.resize(40, ' ');
        out += text + "  # " + from + "\n";
    }
    return out;
}

std::optional<duration> parse_seconds(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v >= 0) || v > 1e9) return std::nullopt;
    return duration::ns(int64_t(std::llround(v * 1e9)));
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "0" || text == "no" || text == "off") return false;
    return std::nullopt;
}

} // namespace tachyon
