#include "stack/core/stats.hpp"

#include <vector>

#include <nlohmann/json.hpp>

namespace tachyon {

namespace {

using json = nlohmann::ordered_json;

/// The member `name` of `object`, created (null) the first time only: a writer that writes
/// the same shape again finds every member where it left it and allocates nothing.
json& member(json& object, std::string_view name) {
    if (auto it = object.find(name); it != object.end()) return *it;
    return object[std::string(name)];
}

} // namespace

// The object being built and the path to the section being written (each a member of the one
// before it; only the last is ever added to, so the pointers stay valid), and the text with
// the serializer that writes it: both kept, so that a rewrite reuses their memory.
struct json_writer::document {
    json root = json::object();
    std::vector<json*> open{&root};
    std::string text;
    // Names and values come from the program, but a device name could hold any byte:
    // invalid UTF-8 is replaced rather than thrown about.
    nlohmann::detail::serializer<json> out{
        std::make_shared<nlohmann::detail::output_string_adapter<char, std::string>>(text), ' ',
        json::error_handler_t::replace};
};

json_writer::json_writer() : _doc(std::make_unique<document>()) { _doc->open.reserve(8); }

json_writer::~json_writer() = default;

void json_writer::reset() { _doc->open.resize(1); }

void json_writer::begin_section(std::string_view name) {
    json& section = member(*_doc->open.back(), name);
    if (!section.is_object()) section = json::object();
    _doc->open.push_back(&section);
}

void json_writer::end_section() {
    if (_doc->open.size() > 1) _doc->open.pop_back();
}

void json_writer::field(std::string_view name, uint64_t value) { member(*_doc->open.back(), name) = value; }

void json_writer::field(std::string_view name, std::string_view value) {
    json& slot = member(*_doc->open.back(), name);
    if (slot.is_string()) slot.get_ref<std::string&>().assign(value); // keeps its capacity
    else slot = std::string(value);
}

std::string_view json_writer::text() {
    _doc->text.clear();
    _doc->out.dump(_doc->root, false, false, 0);
    _doc->text.push_back('\n');
    return _doc->text;
}

std::string json_writer::finish() { return std::string(text()); }

} // namespace tachyon
