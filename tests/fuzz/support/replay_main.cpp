/// The replay driver: runs files through a fuzz target without libFuzzer, so that the corpus and
/// the regressions are checked by every compiler's build (ctest fuzz.replay.NAME).
///
///     fuzz_replay TARGET [FILE|DIR]...
///
/// Each file (or each file of a directory) is one input; with none, the empty input runs once.
/// An oracle that fails aborts, naming the file that was running.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/fuzz_target.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: fuzz_replay TARGET [FILE|DIR]...\n");
        return 2;
    }
    const auto fn = tachyon::fuzz::find_target(argv[1]);
    if (fn == nullptr) {
        std::fprintf(stderr, "fuzz_replay: no target %s\n", argv[1]);
        return 2;
    }
    std::vector<fs::path> files;
    for (int i = 2; i < argc; ++i) {
        const fs::path p(argv[i]);
        if (fs::is_directory(p)) {
            for (const auto& e : fs::directory_iterator(p))
                if (e.is_regular_file()) files.push_back(e.path());
        } else {
            files.push_back(p);
        }
    }
    if (files.empty()) {
        fn(nullptr, 0);
        std::printf("fuzz_replay %s: the empty input passed\n", argv[1]);
        return 0;
    }
    for (const auto& f : files) {
        std::fprintf(stderr, "fuzz_replay %s: %s\n", argv[1], f.c_str());
        const std::vector<uint8_t> bytes = read_file(f);
        fn(bytes.data(), bytes.size());
    }
    std::printf("fuzz_replay %s: %zu inputs passed\n", argv[1], files.size());
    return 0;
}
