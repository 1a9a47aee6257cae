#pragma once
/// The AF_XDP tests run inside a private network namespace: a global Environment calls
/// unshare(CLONE_NEWNET | CLONE_NEWNS) before any test, so nothing here touches the host's interfaces, then
/// brings lo up. Tests skip with the reason when that is not possible (not root).

#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tachyon::test {

/// Empty when the process is in its own network namespace, else why not.
inline std::string& netns_error() {
    static std::string e = "the environment did not run";
    return e;
}

/// Moves the process into a new network namespace and brings its lo up.
class xdp_netns_environment : public ::testing::Environment {
public:
    void SetUp() override {
        // A mount namespace too, private, so that the bpffs the device mounts at /sys/fs/bpf
        // when there is none stays this process's.
        if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            netns_error() = std::string("unshare(CLONE_NEWNET | CLONE_NEWNS): ") + std::strerror(errno) +
                            " (run as root)";
            return;
        }
        const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
        ifreq ifr{};
        std::strcpy(ifr.ifr_name, "lo");
        const bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
                        (ifr.ifr_flags |= IFF_UP, ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
        if (s >= 0) ::close(s);
        netns_error() = up ? "" : "cannot bring lo up in the private namespace";
    }
};

/// Registered once per test binary, however many files include this header.
inline const ::testing::Environment* const xdp_netns_registered =
    ::testing::AddGlobalTestEnvironment(new xdp_netns_environment);

} // namespace tachyon::test

/// Skips the test when the process could not get its own network namespace.
#define TACHYON_REQUIRE_NETNS()                                                   \
    do {                                                                          \
        if (!::tachyon::test::netns_error().empty())                              \
            GTEST_SKIP() << ::tachyon::test::netns_error();                       \
    } while (0)
