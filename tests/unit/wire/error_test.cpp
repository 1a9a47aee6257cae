/// Every wire_error has its own name (they label drop counters).

#include "stack/wire/error.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace tachyon::wire {
namespace {

TEST(wire_error, every_value_has_a_distinct_name) {
    std::set<std::string> names;
    for (int e = 0; e <= int(wire_error::bad_option); ++e) {
        const std::string name = to_string(wire_error(e));
        EXPECT_NE(name, "unknown") << e;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), size_t(wire_error::bad_option) + 1);
    EXPECT_STREQ(to_string(wire_error::ok), "ok");
    EXPECT_STREQ(to_string(wire_error::bad_checksum), "bad checksum");
    EXPECT_STREQ(to_string(wire_error::bad_port), "bad port");
    EXPECT_STREQ(to_string(wire_error::bad_option), "bad option");
    EXPECT_STREQ(to_string(wire_error(200)), "unknown");
}

} // namespace
} // namespace tachyon::wire
