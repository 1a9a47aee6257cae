#include "stack/core/stats.hpp"

#include <cstdio>

namespace tachyon {

void json_writer::comma() {
    if (!_first) _out += ',';
    _first = false;
}

void json_writer::quoted(std::string_view s) {
    _out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') {
            _out += '\\';
            _out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            _out += esc;
        } else {
            _out += c;
        }
    }
    _out += '"';
}

void json_writer::begin_section(std::string_view name) {
    comma();
    quoted(name);
    _out += ":{";
    _first = true;
}

void json_writer::end_section() {
    _out += '}';
    _first = false;
}

void json_writer::field(std::string_view name, uint64_t value) {
    comma();
    quoted(name);
    _out += ':';
    _out += std::to_string(value);
}

void json_writer::field(std::string_view name, std::string_view value) {
    comma();
    quoted(name);
    _out += ':';
    quoted(value);
}

std::string json_writer::finish() {
    _out += "}\n";
    return std::move(_out);
}

} // namespace tachyon
