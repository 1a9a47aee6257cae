/// tachyon-mcast: the tool users reach for to check a multicast feed on the tachyon stack.
///
///     tachyon-mcast recv --tap tch0 --ip 198.18.0.2/24 --group 239.1.1.1:30001 --count 1000
///     tachyon-mcast send --tap tch0 --ip 198.18.0.2/24 --group 239.1.1.1:30001 --count 1000 --rate 20000
///
/// recv.cpp and send.cpp hold the two subcommands; datagram_format.hpp the datagram layout they
/// share (and that other senders can produce).

#include <cstdio>
#include <string_view>

#include "apps/mcast/recv.hpp"
#include "apps/mcast/send.hpp"

namespace {

void usage(std::FILE* out) {
    std::fputs("usage: tachyon-mcast recv --group GROUP:PORT [--group ...] [--source S] [--count N] [--duration S] [backend flags]\n"
               "       tachyon-mcast send (--group GROUP:PORT | --to ADDRESS:PORT) --count N --rate R [--size B] [--ttl T] [backend flags]\n"
               "\n"
               "Checks a multicast feed on the tachyon stack: recv joins groups and reports rate, gaps, duplicates,\n"
               "reordering and one-way latency; send produces numbered, time-stamped datagrams at a steady rate.\n"
               "`tachyon-mcast recv --help` and `tachyon-mcast send --help` list every flag.\n",
               out);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const std::string_view cmd = argv[1];
    if (cmd == "recv") return tachyon::mcast::run_recv(argc - 1, argv + 1);
    if (cmd == "send") return tachyon::mcast::run_send(argc - 1, argv + 1);
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        usage(stdout);
        return 0;
    }
    std::fprintf(stderr, "tachyon-mcast: unknown command '%s': expected recv or send\n", argv[1]);
    usage(stderr);
    return 2;
}
