#pragma once
/// Seeds of the application targets (`soup_session`, `stat_reader`), for fuzz_seeds.

#include <cstdint>
#include <string>
#include <vector>

namespace tachyon::fuzz {

/// Writes one seed: target, name, bytes.
using seed_writer = void (*)(const char* target, const std::string& name, const std::vector<uint8_t>& bytes);

/// Writes the seeds of `soup_session` and `stat_reader` through `write`.
void apps_seeds(seed_writer write);

} // namespace tachyon::fuzz
