/// tachyon-echo: answers ARP and ping (UDP and TCP echo arrive with their issues). The
/// program users start first to check that the stack is alive on their link:
///
///     tachyon-echo --backend tap --tap tch0 --ip 198.18.0.2/24 --gateway 198.18.0.1

#include <cstdio>

#include "api/cli.hpp"
#include "api/runtime.hpp"
#include "stack/core/log.hpp"

int main(int argc, char** argv) {
    tachyon::backend_options options;
    tachyon::cli cli("tachyon-echo", "Answers ARP and ICMP echo (ping) on the tachyon stack.");
    tachyon::add_backend_flags(cli, options);
    auto parsed = cli.parse(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "tachyon-echo: %s\n", parsed.err().message.c_str());
        return 2;
    }
    if (*parsed == tachyon::cli_outcome::help) return 0;
    auto rt = tachyon::runtime::open(options);
    if (!rt) {
        std::fprintf(stderr, "tachyon-echo: %s\n", rt.err().message.c_str());
        return 1;
    }
    return rt.value()->run();
}
