#pragma once
/// `tachyon-mcast send`: sends numbered, time-stamped datagrams at a steady rate (see send.cpp).

namespace tachyon::mcast {

/// Runs the send subcommand; argv[0] is "send". Returns the exit code.
int run_send(int argc, char** argv);

} // namespace tachyon::mcast
