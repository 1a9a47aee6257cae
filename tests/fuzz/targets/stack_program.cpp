/// The whole receive path, structure-aware: the input is a program of handshakes, segments near
/// the live sequence space, clock steps, application actions (also from inside callbacks), UDP,
/// ICMP, ARP, IGMP and raw frames; every oracle of support/program.hpp watches it.

#include "support/fuzz_target.hpp"
#include "support/program.hpp"

TACHYON_FUZZ_TARGET(stack_program) {
    tachyon::fuzz::program_run run(data, size);
    run.run();
    return 0;
}
