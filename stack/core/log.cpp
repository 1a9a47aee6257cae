#include "stack/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace tachyon {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        auto l = spdlog::stderr_color_mt("tachyon");
        l->set_pattern("%H:%M:%S.%e %^%l%$ %v");
        l->set_level(spdlog::level::info);
        return l;
    }();
    return *logger;
}

bool set_log_level(std::string_view level) {
    auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off") return false;
    log().set_level(lvl);
    return true;
}

} // namespace tachyon
