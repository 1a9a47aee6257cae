#pragma once
/// `tachyon-mcast recv`: joins groups and reports what arrived (see recv.cpp).

namespace tachyon::mcast {

/// Runs the recv subcommand; argv[0] is "recv". Returns the exit code.
int run_recv(int argc, char** argv);

} // namespace tachyon::mcast
