#include "stack/core/stats.hpp"

#include <vector>

#include <nlohmann/json.hpp>

namespace tachyon {

// The object being built and the path to the section being written (each a member of the one
// before it; only the last is ever added to, so the pointers stay valid).
struct json_writer::document {
    nlohmann::ordered_json root = nlohmann::ordered_json::object();
    std::vector<nlohmann::ordered_json*> open{&root};
};

json_writer::json_writer() : _doc(std::make_unique<document>()) {}

json_writer::~json_writer() = default;

void json_writer::begin_section(std::string_view name) {
    nlohmann::ordered_json& section = (*_doc->open.back())[std::string(name)];
    section = nlohmann::ordered_json::object();
    _doc->open.push_back(&section);
}

void json_writer::end_section() {
    if (_doc->open.size() > 1) _doc->open.pop_back();
}

void json_writer::field(std::string_view name, uint64_t value) { (*_doc->open.back())[std::string(name)] = value; }

void json_writer::field(std::string_view name, std::string_view value) {
    (*_doc->open.back())[std::string(name)] = std::string(value);
}

std::string json_writer::finish() {
    // Names and values come from the program, but a device name could hold any byte:
    // invalid UTF-8 is replaced rather than thrown about.
    return _doc->root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

} // namespace tachyon
