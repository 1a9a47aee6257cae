/// The process-wide EAL guard. The EAL's own log is captured while `rte_eal_init` runs, so that
/// a failure can quote the EAL's reason next to ours (the EAL's error codes alone are too
/// coarse: EACCES means "no hugepages" as often as "no permission").

#include "stack/device/dpdk/eal.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "stack/core/log.hpp"

namespace tachyon {

namespace {

/// What the process knows about its EAL. One per process by the EAL's own nature.
struct eal_state {
    std::mutex lock;
    std::weak_ptr<eal_session> session; // live while a device (or a test) holds a handle
    bool up = false;
    bool finished = false;
    eal_info info;
    std::vector<std::string> words; // argv storage: the EAL may keep pointers into it
};

eal_state& state() {
    static eal_state s; // function-local: no order-of-initialisation surprises
    return s;
}

error eal_error(errc code, const std::string& what) { return make_error(code, "dpdk: EAL: " + what); }

std::string option_value(const std::vector<std::string>& words, std::string_view name) {
    for (size_t i = 0; i < words.size(); ++i) {
        std::string_view w = words[i];
        if (w == name && i + 1 < words.size()) return words[i + 1];
        if (w.starts_with(name) && w.size() > name.size() && w[name.size()] == '=')
            return std::string(w.substr(name.size() + 1));
    }
    return {};
}

bool has_word(const std::vector<std::string>& words, std::string_view name) {
    for (const auto& w : words)
        if (w == name || (w.starts_with(name) && w.size() > name.size() && w[name.size()] == '=')) return true;
    return false;
}

/// The EAL's log lines that explain a failure (errors and alerts), at most a few.
std::string eal_reason(const std::string& captured) {
    std::string out;
    size_t start = 0;
    int kept = 0;
    while (start < captured.size() && kept < 4) {
        size_t end = captured.find('\n', start);
        if (end == std::string::npos) end = captured.size();
        std::string_view line(captured.data() + start, end - start);
        start = end + 1;
        const bool telling = line.find("Cannot") != std::string_view::npos ||
                             line.find("cannot") != std::string_view::npos ||
                             line.find("rror") != std::string_view::npos ||
                             line.find("nvalid") != std::string_view::npos ||
                             line.find("not supported") != std::string_view::npos ||
                             line.find("failed") != std::string_view::npos ||
                             line.find("unrecognized") != std::string_view::npos ||
                             line.find("FATAL") != std::string_view::npos;
        if (!telling) continue;
        if (!out.empty()) out += "; ";
        out.append(line);
        ++kept;
    }
    return out;
}

/// Forwards the EAL's start-up log to ours: warnings as warnings, the rest at debug level.
void forward_log(const std::string& captured) {
    size_t start = 0;
    while (start < captured.size()) {
        size_t end = captured.find('\n', start);
        if (end == std::string::npos) end = captured.size();
        std::string_view line(captured.data() + start, end - start);
        start = end + 1;
        if (line.empty()) continue;
        if (line.find("WARNING") != std::string_view::npos || line.find("rror") != std::string_view::npos)
            log().warn("dpdk: {}", line);
        else
            log().debug("dpdk: {}", line);
    }
}

/// Turns a failed rte_eal_init into a message that names the likely cause and the remedy.
error explain_failure(int code, const std::vector<std::string>& words, const std::string& captured) {
    const std::string reason = eal_reason(captured);
    const std::string quoted = reason.empty() ? "" : " (EAL says: " + reason + ")";
    const bool no_huge = has_word(words, "--no-huge");
    if (captured.find("Cannot create lock") != std::string::npos ||
        captured.find("another primary process") != std::string::npos) {
        std::string prefix = option_value(words, "--file-prefix");
        if (prefix.empty()) prefix = "rte";
        return eal_error(errc::in_use, "file prefix '" + prefix +
                                           "' is in use by another DPDK process: give each process its own "
                                           "--file-prefix NAME" + quoted);
    }
    if (captured.find("hugepage") != std::string::npos && !no_huge) {
        return eal_error(errc::system, "no usable hugepages: reserve some (tools/dpdk-setup --hugepages 1G) "
                                       "or run without them: --no-huge -m 512" + quoted);
    }
    if (has_word(words, "--in-memory") && no_huge)
        return eal_error(errc::invalid_argument, "--in-memory conflicts with --no-huge: drop --in-memory and "
                                                 "give a unique --file-prefix instead" + quoted);
    switch (code) {
    case EACCES:
        if (!no_huge)
            return eal_error(errc::permission_denied,
                             "cannot get hugepage information: no hugepages reserved, or not root. Reserve "
                             "hugepages (tools/dpdk-setup) or run with --no-huge -m 512" + quoted);
        return eal_error(errc::permission_denied, "permission denied (run as root)" + quoted);
    case EINVAL:
        return eal_error(errc::invalid_argument, "invalid EAL arguments" + quoted);
    case ENOMEM:
    case ENODEV:
        return eal_error(errc::system, std::string("cannot initialise memory: ") +
                                           (no_huge ? "-m may be too large for this machine, or too small"
                                                    : "no hugepages reserved? (tools/dpdk-setup, or --no-huge -m 512)") +
                                           quoted);
    case EALREADY:
        return eal_error(errc::in_use, "already initialised in this process" + quoted);
    default:
        return eal_error(errc::system, std::string("rte_eal_init failed: ") + rte_strerror(code) + quoted);
    }
}

} // namespace

result<std::vector<std::string>> split_shell_words(std::string_view args) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const char c = args[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\') {
            if (i + 1 >= args.size()) return make_error(errc::invalid_argument, "trailing backslash");
            word += args[++i];
        } else if (c == '\'') {
            const size_t end = args.find('\'', i + 1);
            if (end == std::string_view::npos) return make_error(errc::invalid_argument, "unterminated ' quote");
            word.append(args.substr(i + 1, end - i - 1));
            i = end;
        } else if (c == '"') {
            size_t j = i + 1;
            for (; j < args.size() && args[j] != '"'; ++j) {
                if (args[j] == '\\' && j + 1 < args.size() &&
                    (args[j + 1] == '"' || args[j + 1] == '\\' || args[j + 1] == '$' || args[j + 1] == '`'))
                    ++j;
                word += args[j];
            }
            if (j >= args.size()) return make_error(errc::invalid_argument, "unterminated \" quote");
            i = j;
        } else {
            word += c;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

result<std::shared_ptr<eal_session>> eal_session::acquire(std::string_view args) {
    eal_state& s = state();
    std::lock_guard guard(s.lock);
    if (auto live = s.session.lock()) {
        if (args.empty() || args == s.info.args) return live;
        return eal_error(errc::in_use, "already initialised in this process with \"" + s.info.args +
                                           "\"; the EAL can be initialised only once per process, so \"" +
                                           std::string(args) + "\" cannot take effect");
    }
    if (s.finished)
        return eal_error(errc::invalid_argument,
                         "already cleaned up in this process; DPDK cannot initialise its EAL twice");
    if (args.empty()) return eal_error(errc::invalid_argument, "no EAL arguments given (--dpdk \"EAL ARGS\")");

    auto words = split_shell_words(args);
    if (!words) return eal_error(errc::invalid_argument, "--dpdk \"" + std::string(args) + "\": " + words.err().message);
    s.words.clear();
    s.words.push_back("tachyon");
    for (auto& w : *words) s.words.push_back(std::move(w));
    std::vector<char*> argv;
    for (auto& w : s.words) argv.push_back(w.data());
    argv.push_back(nullptr);

    // Capture the EAL's log while it starts: a failure then quotes the EAL's own reason.
    char* text = nullptr;
    size_t text_len = 0;
    std::FILE* capture = ::open_memstream(&text, &text_len);
    if (capture != nullptr) (void)rte_openlog_stream(capture);
    optind = 1; // the EAL parses with getopt: start from the first argument
    const int r = rte_eal_init(int(argv.size() - 1), argv.data());
    const int code = rte_errno;
    (void)rte_openlog_stream(nullptr); // back to the EAL's own console log
    std::string captured;
    if (capture != nullptr) {
        std::fclose(capture);
        captured.assign(text, text_len);
        std::free(text);
    }
    if (r < 0) {
        // A failed rte_eal_init leaves the EAL half made; DPDK does not support another try.
        s.finished = code != EALREADY;
        return explain_failure(code, s.words, captured);
    }
    forward_log(captured);

    s.up = true;
    s.info.args = std::string(args);
    s.info.main_lcore = rte_get_main_lcore();
    s.info.lcore_count = rte_lcore_count();
    s.info.hugepages = rte_eal_has_hugepages() != 0;
    s.info.file_prefix = option_value(s.words, "--file-prefix");
    if (s.info.file_prefix.empty()) s.info.file_prefix = "rte";
    log().info("dpdk: EAL up: main lcore {} ({} lcores), {}, file prefix '{}'", s.info.main_lcore,
               s.info.lcore_count, s.info.hugepages ? "hugepages" : "no hugepages", s.info.file_prefix);
    std::shared_ptr<eal_session> session(new eal_session());
    s.session = session;
    return session;
}

bool eal_session::up() {
    std::lock_guard guard(state().lock);
    return state().up;
}

bool eal_session::finished() {
    std::lock_guard guard(state().lock);
    return state().finished;
}

const eal_info& eal_session::info() const { return state().info; }

eal_session::~eal_session() {
    eal_state& s = state();
    std::lock_guard guard(s.lock);
    if (!s.up) return;
    if (int r = rte_eal_cleanup(); r < 0) log().warn("dpdk: rte_eal_cleanup failed: {}", rte_strerror(-r));
    s.up = false;
    s.finished = true;
    log().info("dpdk: EAL cleaned up");
}

} // namespace tachyon
