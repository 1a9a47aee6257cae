/// The AF_XDP device on a veth pair inside a private network namespace: frames for the stack
/// arrive zero copy (in the UMEM), others stay with the kernel; frames sent leave from the UMEM;
/// a frame shared with a retransmission queue reads as shared until the kernel completes it;
/// every frame comes back; the errors a user meets first name the remedy.

#include "stack/device/xdp/xdp_device.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "unit/xdp/netns_env.hpp"

namespace tachyon {
namespace {

constexpr ipv4_address stack_ip{198, 18, 0, 2};

/// A raw socket on the kernel's end of the veth.
struct raw_port {
    int fd = -1;
    int ifindex = 0;
    explicit raw_port(const char* name) {
        fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
        ifindex = int(::if_nametoindex(name));
        sockaddr_ll a{};
        a.sll_family = AF_PACKET;
        a.sll_protocol = htons(ETH_P_ALL);
        a.sll_ifindex = ifindex;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ~raw_port() {
        if (fd >= 0) ::close(fd);
    }
    bool send(const std::vector<uint8_t>& f) const { return ::send(fd, f.data(), f.size(), 0) == ssize_t(f.size()); }
    /// The next frame of EtherType `type` to arrive within a second (empty when none).
    std::vector<uint8_t> receive(uint16_t type) const {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        std::vector<uint8_t> b(2048);
        while (std::chrono::steady_clock::now() < end) {
            const ssize_t n = ::recv(fd, b.data(), b.size(), 0);
            if (n >= 14 && (b[12] << 8 | b[13]) == type) {
                b.resize(size_t(n));
                return b;
            }
        }
        return {};
    }
};

/// An IPv4/UDP-shaped frame to `dst` carrying `tag` (checksums are not the device's business).
std::vector<uint8_t> ipv4_frame(const mac_address& dst_mac, ipv4_address dst, uint8_t tag, size_t len = 100) {
    std::vector<uint8_t> f(len, tag);
    std::memcpy(f.data(), dst_mac.bytes.data(), 6);
    const uint8_t src[6] = {0x02, 0, 0, 0, 0, 1};
    std::memcpy(f.data() + 6, src, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    f[14] = 0x45;
    f[23] = 17;
    for (int i = 0; i < 4; ++i) f[30 + i] = dst.octet(i);
    return f;
}

class xdp_device_test : public ::testing::Test {
protected:
    void SetUp() override {
        TACHYON_REQUIRE_NETNS();
        // Each test gets its own pair: the kernel releases a queue's UMEM after a delay.
        _near = "xn" + std::to_string(_serial);
        _far = "xf" + std::to_string(_serial++);
        const std::string cmd = "ip link add " + _near + " type veth peer name " + _far + " && ip link set " + _near +
                                " up && ip link set " + _far + " up";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    std::unique_ptr<xdp_device> open(xdp_attach_mode attach = xdp_attach_mode::skb) {
        xdp_config c;
        c.options.iface = _near;
        c.options.attach = attach;
        c.options.frames = 4096;
        c.address = stack_ip;
        auto d = xdp_device::open(c);
        EXPECT_TRUE(d) << (d ? "" : d.err().message);
        return d ? std::move(*d) : nullptr;
    }

    /// Polls rx_burst for up to a second until a frame arrives.
    static packet receive(xdp_device& d) {
        std::array<packet, 8> got;
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        while (std::chrono::steady_clock::now() < end)
            if (d.rx_burst(got) > 0) return std::move(got[0]);
        return {};
    }

    static inline int _serial = 0;
    std::string _near, _far;
};

TEST_F(xdp_device_test, frames_for_the_stack_arrive_in_the_umem_and_others_stay_with_the_kernel) {
    auto d = open();
    ASSERT_NE(d, nullptr);
    raw_port far(_far.c_str());
    ASSERT_GE(far.fd, 0);
    const mac_address mac = d->capabilities().mac;
    ASSERT_TRUE(far.send(ipv4_frame(mac, stack_ip, 0xa5)));
    packet p = receive(*d);
    ASSERT_TRUE(p);
    ASSERT_EQ(p.size(), 100u);
    EXPECT_EQ(p.data()[14 + 20 + 5], std::byte{0xa5});
    const auto* area = static_cast<const std::byte*>(d->umem().area());
    EXPECT_GE(p.data(), area); // zero copy: the frame lies in the UMEM
    EXPECT_LT(p.data(), area + d->umem().area_size());
    ASSERT_TRUE(far.send(ipv4_frame(mac, ipv4_address{198, 18, 0, 9}, 0x11)));
    EXPECT_FALSE(receive(*d)) << "a frame for another address reached the stack";
    EXPECT_EQ(d->stats().rx_frames, 1u);
}

TEST_F(xdp_device_test, frames_sent_leave_from_the_umem_and_every_frame_comes_back) {
    auto d = open();
    ASSERT_NE(d, nullptr);
    raw_port far(_far.c_str());
    const uint32_t free_at_start = d->umem().available();
    std::array<packet, 16> out;
    ASSERT_EQ(d->alloc_burst(out), out.size());
    for (size_t i = 0; i < out.size(); ++i) {
        std::byte* b = out[i].append(60);
        ASSERT_NE(b, nullptr);
        std::memset(b, int(i), 60);
        b[12] = std::byte{0x88};
        b[13] = std::byte{0xb5};
    }
    ASSERT_EQ(d->tx_burst(out), out.size());
    d->flush();
    for (size_t i = 0; i < out.size(); ++i) {
        auto f = far.receive(0x88b5);
        ASSERT_EQ(f.size(), 60u) << "frame " << i;
        EXPECT_EQ(f[20], uint8_t(i));
    }
    std::array<packet, 1> none;
    (void)d->rx_burst(none); // reaps completions
    EXPECT_EQ(d->umem().available(), free_at_start);
    EXPECT_EQ(d->stats().tx_frames, out.size());
}

TEST_F(xdp_device_test, a_shared_frame_reads_as_shared_until_the_kernel_completes_it) {
    auto d = open();
    ASSERT_NE(d, nullptr);
    std::array<packet, 1> one;
    ASSERT_EQ(d->alloc_burst(one), 1u);
    std::byte* b = one[0].append(64);
    std::memset(b, 0x42, 64);
    packet kept = one[0].share(); // as TCP's retransmission queue keeps it
    ASSERT_EQ(d->tx_burst(one), 1u);
    EXPECT_TRUE(kept.shared()) << "the transmit ring's reference must show";
    d->flush(); // copy mode: the kernel sends and completes within the kick
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (kept.shared() && std::chrono::steady_clock::now() < end) (void)d->rx_burst(std::span<packet>{});
    EXPECT_FALSE(kept.shared());
    const uint32_t before = d->umem().available();
    kept.reset();
    EXPECT_EQ(d->umem().available(), before + 1);
}

TEST_F(xdp_device_test, the_multicast_filter_steers_exactly_the_joined_groups) {
    auto d = open();
    ASSERT_NE(d, nullptr);
    raw_port far(_far.c_str());
    const mac_address group{{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}};
    const ipv4_address group_ip{239, 1, 2, 3};
    ASSERT_TRUE(far.send(ipv4_frame(group, group_ip, 1)));
    EXPECT_FALSE(receive(*d));
    const mac_address groups[] = {group};
    ASSERT_TRUE(d->set_multicast_filter(groups));
    ASSERT_TRUE(far.send(ipv4_frame(group, group_ip, 2)));
    EXPECT_TRUE(receive(*d));
    ASSERT_TRUE(d->set_multicast_filter({}));
    ASSERT_TRUE(far.send(ipv4_frame(group, group_ip, 3)));
    EXPECT_FALSE(receive(*d));
}

TEST_F(xdp_device_test, close_detaches_the_program) {
    auto d = open(xdp_attach_mode::native);
    ASSERT_NE(d, nullptr);
    ASSERT_NE(d->steering(), nullptr);
    EXPECT_EQ(d->steering()->mode(), xdp_attach_mode::native); // veth has native XDP
    d->close();
    const std::string cmd = "ip link show dev " + _near + " | grep -q xdp";
    EXPECT_NE(std::system(cmd.c_str()), 0) << "an XDP program is still attached";
}

TEST_F(xdp_device_test, errors_name_the_interface_the_queue_and_the_remedy) {
    xdp_config c;
    c.address = stack_ip;
    c.options.iface = "nosuch0";
    auto missing = xdp_device::open(c);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.err().message.find("interface nosuch0 not found"), std::string::npos) << missing.err().message;
    c.options.iface = _near;
    c.options.queue = 7;
    auto queue = xdp_device::open(c);
    ASSERT_FALSE(queue);
    EXPECT_NE(queue.err().message.find("queue 7 is out of range"), std::string::npos) << queue.err().message;
    c.options.queue = 0;
    c.options.copy = xdp_copy_mode::zerocopy; // veth has no zero-copy AF_XDP
    auto zc = xdp_device::open(c);
    ASSERT_FALSE(zc);
    EXPECT_NE(zc.err().message.find("--xdp-mode copy"), std::string::npos) << zc.err().message;
    c.options.copy = xdp_copy_mode::automatic;
    c.mac = mac_address{{0x02, 9, 9, 9, 9, 9}};
    auto mac = xdp_device::open(c);
    ASSERT_FALSE(mac);
    EXPECT_NE(mac.err().message.find("leave --mac out"), std::string::npos) << mac.err().message;
}

} // namespace
} // namespace tachyon
