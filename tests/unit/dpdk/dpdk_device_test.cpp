/// The DPDK device on virtual ports, in one process: net_ring ports (in-process rings, no
/// kernel, no NIC) and net_null (a driver that frees every frame it is given at once).
///
/// The EAL can be initialised once per process, so a global Environment brings it up once
/// (`--no-huge -m 512 --no-pci`, a file prefix unique to this process) and every test makes
/// its own ports by hot-plugging virtual devices (`rte_dev_probe`). Tests of EAL failures need
/// a fresh process: they run this executable again with TACHYON_DPDK_CHILD naming the case,
/// and read its exit code and message.
///
/// Every test ends with the mempool full again: no mbuf leaks, none freed twice.

#include "stack/device/dpdk/dpdk_device.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <rte_dev.h>
#include <rte_ring.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "unit/device/frames.hpp"

namespace tachyon {
namespace {

using test::frame_intact;
using test::frame_seq;
using test::is_test_frame;
using test::make_frame;

const mac_address mac_a{{0x02, 0, 0, 0, 0, 0x0a}};
const mac_address mac_b{{0x02, 0, 0, 0, 0, 0x0b}};

// ---------------------------------------------------------------------------------------------
// Argument handling (no EAL needed)
// ---------------------------------------------------------------------------------------------

std::vector<std::string> words(std::string_view s) {
    auto r = split_shell_words(s);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return r.ok() ? *r : std::vector<std::string>{};
}

TEST(dpdk_args, splits_like_a_shell) {
    EXPECT_EQ(words(""), std::vector<std::string>{});
    EXPECT_EQ(words("  --no-huge   -m 512 "), (std::vector<std::string>{"--no-huge", "-m", "512"}));
    EXPECT_EQ(words("--vdev='net_tap0,iface=a b'"), (std::vector<std::string>{"--vdev=net_tap0,iface=a b"}));
    EXPECT_EQ(words(R"(--x "a \"q\" \\ \n")"), (std::vector<std::string>{"--x", R"(a "q" \ \n)"}));
    EXPECT_EQ(words(R"(a\ b c)"), (std::vector<std::string>{"a b", "c"}));
    EXPECT_EQ(words("*.so ?"), (std::vector<std::string>{"*.so", "?"})) << "no globbing";
    EXPECT_EQ(words("''"), (std::vector<std::string>{""}));
    EXPECT_FALSE(split_shell_words("'open").ok());
    EXPECT_FALSE(split_shell_words("\"open").ok());
    EXPECT_FALSE(split_shell_words("trailing\\").ok());
}

TEST(dpdk_args, core_becomes_the_main_lcore) {
    EXPECT_EQ(*eal_args_with_core("--no-huge", std::nullopt), "--no-huge");
    EXPECT_EQ(*eal_args_with_core("--no-huge", 1u), "--no-huge -l 1");
    EXPECT_EQ(*eal_args_with_core("--no-huge -l 0-1", 1u), "--no-huge -l 0-1 --main-lcore 1");
    EXPECT_EQ(*eal_args_with_core("--lcores=0@0,1@1", 0u), "--lcores=0@0,1@1 --main-lcore 0");
    EXPECT_FALSE(eal_args_with_core("--main-lcore 0 -l 0", 1u).ok());
}

TEST(dpdk_offloads, describes_itself) {
    dpdk_offloads o;
    EXPECT_EQ(o.to_string(), "none (software checksums)");
    o.tx_ipv4 = o.tx_udp = o.tx_tcp = true;
    o.rx_ipv4 = true;
    EXPECT_EQ(o.to_string(), "rx ipv4, tx ipv4,udp,tcp");
}

// ---------------------------------------------------------------------------------------------
// The EAL, once for the whole process
// ---------------------------------------------------------------------------------------------

std::string g_eal_args;
std::string g_eal_error = "the environment did not run";
std::shared_ptr<eal_session> g_eal;

bool child_mode() { return std::getenv("TACHYON_DPDK_CHILD") != nullptr; }

class eal_environment : public ::testing::Environment {
public:
    void SetUp() override {
        if (child_mode()) return; // the child brings its own EAL up (or fails to)
        g_eal_args = "--no-huge -m 512 --no-pci --no-telemetry -l 0 --log-level=lib.eal:error --file-prefix unit-dpdk-" +
                     std::to_string(::getpid());
        auto eal = eal_session::acquire(g_eal_args);
        if (!eal) {
            g_eal_error = eal.err().message;
            return;
        }
        g_eal = *eal;
    }
    void TearDown() override {
        g_eal.reset(); // rte_eal_cleanup with the last holder
        // The EAL leaves its runtime directory behind: remove this process's and those of the
        // children it ran (their prefixes end with this pid).
        const std::string pid = std::to_string(::getpid());
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/var/run/dpdk", ec)) {
            const std::string name = e.path().filename().string();
            if (name.starts_with("unit-dpdk-") && name.ends_with("-" + pid)) std::filesystem::remove_all(e.path(), ec);
        }
    }
};

[[maybe_unused]] const auto* g_env = ::testing::AddGlobalTestEnvironment(new eal_environment);

/// Skips unless the EAL is up; makes virtual ports and opens devices on them.
class dpdk_test : public ::testing::Test {
protected:
    void SetUp() override {
        if (child_mode()) GTEST_SKIP() << "child process";
        if (!g_eal) GTEST_SKIP() << "EAL not available: " << g_eal_error;
    }

    /// Hot-plugs a virtual device (`devargs` like "net_ring_x") and returns its port id.
    static uint16_t probe(const std::string& devargs) {
        EXPECT_EQ(rte_dev_probe(devargs.c_str()), 0) << devargs;
        const std::string name = devargs.substr(0, devargs.find(','));
        uint16_t port = RTE_MAX_ETHPORTS;
        EXPECT_EQ(rte_eth_dev_get_port_by_name(name.c_str(), &port), 0) << name;
        return port;
    }

    /// A unique virtual device name for this test.
    static std::string unique(const std::string& driver) { return driver + "_t" + std::to_string(++_serial); }

    static dpdk_config small_config(uint16_t port) {
        dpdk_config cfg; // eal_args empty: join the EAL the environment brought up
        cfg.port = port;
        cfg.rx_descriptors = 256;
        cfg.tx_descriptors = 256;
        cfg.mbufs = 1023;
        cfg.mbuf_cache = 0; // every free goes straight back: counts are exact at any moment
        cfg.link_wait = std::chrono::milliseconds(500);
        return cfg;
    }

    std::unique_ptr<dpdk_device> open(uint16_t port) {
        auto dev = dpdk_device::open(small_config(port));
        EXPECT_TRUE(dev.ok()) << (dev.ok() ? "" : dev.err().message);
        return dev.ok() ? std::move(*dev) : nullptr;
    }

    /// Allocates `n` test frames from `dev` with sequence numbers from `first`.
    static std::vector<packet> frames(dpdk_device& dev, uint32_t first, size_t n, size_t len = 100) {
        std::vector<packet> out(n);
        size_t got = 0;
        while (got < n) {
            const size_t k = dev.alloc_burst(std::span(out).subspan(got));
            if (k == 0) break;
            got += k;
        }
        EXPECT_EQ(got, n);
        for (size_t i = 0; i < got; ++i) EXPECT_TRUE(make_frame(out[i], mac_b, mac_a, first + uint32_t(i), len));
        out.resize(got);
        return out;
    }

    /// Polls `dev` until `n` frames arrived (bounded); returns them.
    static std::vector<packet> receive(dpdk_device& dev, size_t n) {
        std::vector<packet> got;
        std::array<packet, 32> burst;
        for (int spins = 0; spins < 100000 && got.size() < n; ++spins) {
            const size_t k = dev.rx_burst(burst);
            for (size_t i = 0; i < k; ++i) got.push_back(std::move(burst[i]));
        }
        return got;
    }

    static void expect_pool_full(const dpdk_device& dev) {
        EXPECT_EQ(dev.mbufs_available(), dev.mbufs_total()) << "mbufs leaked or still held";
    }

    static inline unsigned _serial = 0;
};

// ---------------------------------------------------------------------------------------------
// Frames, zero copy, references
// ---------------------------------------------------------------------------------------------

TEST_F(dpdk_test, opens_a_ring_port_with_its_mac_and_no_offloads) {
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    EXPECT_EQ(dev->driver(), "net_ring");
    EXPECT_NE(dev->capabilities().mac, mac_address::zero());
    EXPECT_EQ(dev->capabilities().mtu, 1500);
    EXPECT_FALSE(dev->capabilities().tx_ipv4_checksum) << "net_ring advertises no offload";
    EXPECT_FALSE(dev->capabilities().rx_ipv4_checksum);
    EXPECT_EQ(dev->offloads().to_string(), "none (software checksums)");
    EXPECT_TRUE(dev->link_up());
    EXPECT_EQ(dev->mbufs_total(), 1023u);
    expect_pool_full(*dev);
    EXPECT_TRUE(dev->close().ok());
}

TEST_F(dpdk_test, frames_cross_a_loopback_ring_intact_and_in_order) {
    // A net_ring port made by name alone sends into the ring it receives from.
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    for (uint32_t round = 0; round < 20; ++round) {
        auto out = frames(*dev, round * 100, 50, 60 + round * 70);
        ASSERT_EQ(dev->tx_burst(out), out.size());
        for (auto& p : out) EXPECT_FALSE(p) << "tx_burst takes the frames it accepts";
        auto in = receive(*dev, 50);
        ASSERT_EQ(in.size(), 50u);
        for (size_t i = 0; i < in.size(); ++i) {
            ASSERT_TRUE(is_test_frame(in[i]));
            EXPECT_EQ(frame_seq(in[i]), round * 100 + i);
            EXPECT_EQ(in[i].size(), 60 + round * 70);
            EXPECT_TRUE(frame_intact(in[i]));
        }
    }
    EXPECT_EQ(dev->stats().tx_frames, 1000u);
    EXPECT_EQ(dev->stats().rx_frames, 1000u);
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, zero_copy_the_packet_is_the_mbuf) {
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    auto out = frames(*dev, 7, 1, 200);
    buf* sent_desc = out[0].descriptor();
    auto* sent_mbuf = static_cast<rte_mbuf*>(sent_desc->native);
    ASSERT_NE(sent_mbuf, nullptr);
    // The descriptor lives in the mbuf's private area; the frame in its data room, behind the
    // mbuf's own headroom.
    EXPECT_EQ(static_cast<void*>(sent_desc), rte_mbuf_to_priv(sent_mbuf));
    EXPECT_EQ(static_cast<void*>(sent_desc->base), sent_mbuf->buf_addr);
    EXPECT_EQ(out[0].headroom(), RTE_PKTMBUF_HEADROOM);
    const std::byte* sent_bytes = out[0].data();
    ASSERT_EQ(dev->tx_burst(out), 1u);

    auto in = receive(*dev, 1);
    ASSERT_EQ(in.size(), 1u);
    auto* m = static_cast<rte_mbuf*>(in[0].descriptor()->native);
    ASSERT_NE(m, nullptr);
    // The payload view points into the mbuf's data room: received with no copy ...
    const auto* room = static_cast<const std::byte*>(m->buf_addr);
    EXPECT_GE(in[0].data(), room);
    EXPECT_LE(in[0].data() + in[0].size(), room + m->buf_len);
    EXPECT_EQ(in[0].data(), rte_pktmbuf_mtod(m, std::byte*));
    EXPECT_EQ(static_cast<void*>(in[0].descriptor()), rte_mbuf_to_priv(m));
    // ... and sent with none: the ring carried the very mbuf and bytes the stack wrote.
    EXPECT_EQ(m, sent_mbuf);
    EXPECT_EQ(in[0].data(), sent_bytes);
    EXPECT_TRUE(frame_intact(in[0]));
    // Trimming and prepending move the view inside the same room.
    in[0].trim_front(14);
    EXPECT_EQ(in[0].data(), rte_pktmbuf_mtod(m, std::byte*) + 14);
    EXPECT_NE(in[0].prepend(14), nullptr);
    in.clear();
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, tx_writes_the_frame_geometry_back_into_the_mbuf) {
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    auto out = frames(*dev, 1, 1, 80);
    out[0].trim_front(10); // a frame that starts 10 bytes further in
    auto* m = static_cast<rte_mbuf*>(out[0].descriptor()->native);
    ASSERT_EQ(dev->tx_burst(out), 1u);
    EXPECT_EQ(m->data_off, RTE_PKTMBUF_HEADROOM + 10);
    EXPECT_EQ(m->data_len, 70u);
    EXPECT_EQ(m->pkt_len, 70u);
    auto in = receive(*dev, 1);
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].size(), 70u);
    EXPECT_EQ(in[0].headroom(), RTE_PKTMBUF_HEADROOM + 10u);
    in.clear();
    expect_pool_full(*dev);
}

// ---------------------------------------------------------------------------------------------
// Offload metadata: the device reads the stack's record of each frame, never its headers
// ---------------------------------------------------------------------------------------------

TEST(dpdk_offload_flags, tx_flags_are_the_metadata_s_checksums) {
    EXPECT_EQ(dpdk_device::tx_offload_flags(buf_offload{14, 20, 8, 0, 0}), 0u) << "the stack completed every sum";
    EXPECT_EQ(dpdk_device::tx_offload_flags(buf_offload{14, 20, 8, checksum_bit::ipv4 | checksum_bit::udp, 0}),
              RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
    EXPECT_EQ(dpdk_device::tx_offload_flags(buf_offload{14, 20, 32, checksum_bit::tcp, 0}),
              RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
    EXPECT_EQ(dpdk_device::tx_offload_flags(buf_offload{14, 20, 8, checksum_bit::ipv4, 0}),
              RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
}

TEST(dpdk_offload_flags, only_a_good_verdict_spares_the_stack_a_check) {
    EXPECT_EQ(dpdk_device::rx_checksums_good(RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD),
              checksum_bit::ipv4 | checksum_bit::l4);
    EXPECT_EQ(dpdk_device::rx_checksums_good(RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD),
              checksum_bit::ipv4);
    EXPECT_EQ(dpdk_device::rx_checksums_good(RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD),
              checksum_bit::l4);
    EXPECT_EQ(dpdk_device::rx_checksums_good(RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN), 0);
    EXPECT_EQ(dpdk_device::rx_checksums_good(RTE_MBUF_F_RX_IP_CKSUM_NONE | RTE_MBUF_F_RX_L4_CKSUM_NONE), 0)
        << "NONE: the NIC did not look";
    EXPECT_TRUE(dpdk_device::rx_checksums_bad(RTE_MBUF_F_RX_L4_CKSUM_BAD));
    EXPECT_TRUE(dpdk_device::rx_checksums_bad(RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD));
    EXPECT_FALSE(dpdk_device::rx_checksums_bad(RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_NONE));
}

TEST_F(dpdk_test, tx_gives_the_nic_the_header_lengths_the_stack_recorded) {
    // The test frame is no IPv4 at all: the device reads only the metadata, so the mbuf carries
    // whatever lengths and sums the stack recorded (the loopback ring hands the mbuf back as sent).
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    auto out = frames(*dev, 1, 2, 90);
    out[0].set_tx_l4(32, checksum_bit::tcp);
    out[0].set_tx_ipv4(14, 20, true);
    out[1].set_tx_l4(8, 0); // every sum already complete
    out[1].set_tx_ipv4(14, 20, false);
    ASSERT_EQ(dev->tx_burst(out), 2u);
    auto in = receive(*dev, 2);
    ASSERT_EQ(in.size(), 2u);
    const auto* m0 = static_cast<const rte_mbuf*>(in[0].descriptor()->native);
    EXPECT_EQ(m0->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM);
    EXPECT_EQ(uint64_t(m0->l2_len), 14u);
    EXPECT_EQ(uint64_t(m0->l3_len), 20u);
    EXPECT_EQ(uint64_t(m0->l4_len), 32u);
    EXPECT_EQ(static_cast<const rte_mbuf*>(in[1].descriptor()->native)->ol_flags, 0u);
    EXPECT_EQ(dev->dpdk_counters().tx_offload_frames, 1u);
    // Received, the descriptor starts afresh: no transmit record, and no verdict (net_ring
    // has no receive offload, so its flags are not read).
    EXPECT_EQ(in[0].offload(), buf_offload{});
    EXPECT_EQ(in[1].offload(), buf_offload{});
    in.clear();
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, shared_frame_sent_to_a_driver_that_frees_at_once) {
    // net_null frees every frame inside tx_burst: the driver's free comes first, ours last.
    auto dev = open(probe(unique("net_null") + ",no-rx=1"));
    ASSERT_TRUE(dev);
    const unsigned full = dev->mbufs_total();
    auto out = frames(*dev, 1, 4);
    std::vector<packet> kept;
    for (auto& p : out) kept.push_back(p.share()); // a retransmission queue's references
    for (auto& p : kept) EXPECT_TRUE(p.shared());
    ASSERT_EQ(dev->tx_burst(out), 4u);
    EXPECT_EQ(dev->dpdk_counters().tx_shared, 4u);
    // The driver has freed its references; ours keep the mbufs (and their bytes) alive.
    EXPECT_EQ(dev->mbufs_available(), full - 4);
    for (size_t i = 0; i < kept.size(); ++i) {
        EXPECT_FALSE(kept[i].shared());
        auto* m = static_cast<rte_mbuf*>(kept[i].descriptor()->native);
        EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
        EXPECT_EQ(frame_seq(kept[i]), 1 + i);
        EXPECT_TRUE(frame_intact(kept[i]));
    }
    kept.clear(); // our last references: each mbuf goes back exactly once
    EXPECT_EQ(dev->mbufs_available(), full);

    // Not shared: the driver's free is the only one.
    auto plain = frames(*dev, 10, 8);
    ASSERT_EQ(dev->tx_burst(plain), 8u);
    EXPECT_EQ(dev->dpdk_counters().tx_shared, 4u);
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, shared_frame_our_release_first_then_the_receiver) {
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    const unsigned full = dev->mbufs_total();
    auto out = frames(*dev, 5, 1);
    packet kept = out[0].share();
    auto* m = static_cast<rte_mbuf*>(kept.descriptor()->native);
    ASSERT_EQ(dev->tx_burst(out), 1u);
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 2) << "one for the ring, one for our handle";
    kept.reset(); // we let go while the frame is still in flight
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
    EXPECT_EQ(dev->mbufs_available(), full - 1);
    auto in = receive(*dev, 1);
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].descriptor()->native, m) << "nobody else held it: received in place";
    EXPECT_EQ(frame_seq(in[0]), 5u);
    in.clear();
    expect_pool_full(*dev);
}

// A frame the driver still holds after tx_burst must count as shared, or TCP rewrites its
// headers in place for a retransmission while the NIC may still be reading them.
TEST_F(dpdk_test, a_frame_the_driver_still_holds_counts_as_shared) {
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    auto out = frames(*dev, 3, 1);
    packet kept = out[0].share();
    EXPECT_TRUE(kept.shared());
    ASSERT_EQ(dev->tx_burst(out), 1u);
    EXPECT_EQ(kept.descriptor()->refcnt, 1u) << "the only stack handle left";
    EXPECT_TRUE(kept.shared()) << "the ring (the NIC) still holds the frame";
    auto in = receive(*dev, 1); // the ring lets go (the frame comes back as a copy)
    ASSERT_EQ(in.size(), 1u);
    in.clear();
    EXPECT_FALSE(kept.shared()) << "nobody else holds it now: writable again";
    kept.reset();
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, frame_still_held_when_it_comes_back_is_received_as_a_copy) {
    // In one process a frame can come back while the sender still holds it (a retransmission
    // queue over a loopback ring): its private area still holds the sender's descriptor.
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    auto out = frames(*dev, 9, 1, 300);
    packet kept = out[0].share();
    buf* kept_desc = kept.descriptor();
    ASSERT_EQ(dev->tx_burst(out), 1u);
    auto in = receive(*dev, 1);
    ASSERT_EQ(in.size(), 1u);
    EXPECT_NE(in[0].descriptor(), kept_desc);
    EXPECT_EQ(dev->dpdk_counters().rx_copied_shared, 1u);
    EXPECT_EQ(frame_seq(in[0]), 9u);
    EXPECT_TRUE(frame_intact(in[0]));
    // The held handle is untouched.
    EXPECT_EQ(kept_desc->refcnt, 1u);
    EXPECT_EQ(kept.size(), 300u);
    EXPECT_TRUE(frame_intact(kept));
    in.clear();
    kept.reset();
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, refused_shared_frames_stay_with_the_caller_unchanged) {
    // A ring of 16 slots made here: the port refuses what does not fit.
    const std::string name = unique("tring");
    rte_ring* r = rte_ring_create(name.c_str(), 16, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(r, nullptr);
    using from_rings_fn = int (*)(const char*, rte_ring* const[], unsigned, rte_ring* const[], unsigned, unsigned);
    void* lib = ::dlopen("librte_net_ring.so.23", RTLD_NOW | RTLD_NOLOAD);
    if (lib == nullptr) lib = ::dlopen(RTE_EAL_PMD_PATH "/librte_net_ring.so.23", RTLD_NOW);
    ASSERT_NE(lib, nullptr) << ::dlerror();
    auto from_rings = reinterpret_cast<from_rings_fn>(::dlsym(lib, "rte_eth_from_rings"));
    ASSERT_NE(from_rings, nullptr);
    const std::string port_name = "net_ring_" + name;
    const int port = from_rings(port_name.c_str(), &r, 1, &r, 1, 0);
    ASSERT_GE(port, 0);
    {
        auto dev = open(uint16_t(port));
        ASSERT_TRUE(dev);
        auto out = frames(*dev, 0, 20);
        std::vector<packet> kept;
        for (auto& p : out) kept.push_back(p.share());
        const size_t n = dev->tx_burst(out);
        EXPECT_LT(n, 20u);
        EXPECT_EQ(dev->stats().tx_drop_full, 20 - n);
        for (size_t i = 0; i < 20; ++i) {
            EXPECT_EQ(bool(out[i]), i >= n) << i;
            auto* m = static_cast<rte_mbuf*>(kept[i].descriptor()->native);
            EXPECT_EQ(rte_mbuf_refcnt_read(m), i < n ? 2 : 1) << i;
            EXPECT_EQ(kept[i].descriptor()->refcnt, i < n ? 1u : 2u) << i;
        }
        out.clear();
        kept.clear();
        auto in = receive(*dev, n);
        EXPECT_EQ(in.size(), n);
        in.clear();
        expect_pool_full(*dev);
    }
    rte_ring_free(r);
    ::dlclose(lib);
}

TEST_F(dpdk_test, two_ports_joined_by_rings_talk_both_ways) {
    // Two ports in one process, each receiving what the other sends.
    const std::string a2b = unique("a2b"), b2a = unique("b2a");
    rte_ring* r1 = rte_ring_create(a2b.c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* r2 = rte_ring_create(b2a.c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_TRUE(r1 && r2);
    void* lib = ::dlopen("librte_net_ring.so.23", RTLD_NOW | RTLD_NOLOAD);
    if (lib == nullptr) lib = ::dlopen(RTE_EAL_PMD_PATH "/librte_net_ring.so.23", RTLD_NOW);
    ASSERT_NE(lib, nullptr) << ::dlerror();
    using from_rings_fn = int (*)(const char*, rte_ring* const[], unsigned, rte_ring* const[], unsigned, unsigned);
    auto from_rings = reinterpret_cast<from_rings_fn>(::dlsym(lib, "rte_eth_from_rings"));
    ASSERT_NE(from_rings, nullptr);
    const int pa = from_rings(("net_ring_" + a2b).c_str(), &r2, 1, &r1, 1, 0);
    const int pb = from_rings(("net_ring_" + b2a).c_str(), &r1, 1, &r2, 1, 0);
    ASSERT_GE(pa, 0);
    ASSERT_GE(pb, 0);
    {
        auto a = open(uint16_t(pa));
        auto b = open(uint16_t(pb));
        ASSERT_TRUE(a && b);
        for (uint32_t round = 0; round < 10; ++round) {
            auto out = frames(*a, round * 64, 64);
            ASSERT_EQ(a->tx_burst(out), 64u);
            auto in = receive(*b, 64);
            ASSERT_EQ(in.size(), 64u);
            // b answers in the buffers it received (the echo pattern: no allocation, no copy).
            for (auto& p : in) {
                EXPECT_TRUE(frame_intact(p));
                EXPECT_NE(p.descriptor()->pool, nullptr);
            }
            ASSERT_EQ(b->tx_burst(in), 64u);
            auto back = receive(*a, 64);
            ASSERT_EQ(back.size(), 64u);
            for (size_t i = 0; i < back.size(); ++i) EXPECT_EQ(frame_seq(back[i]), round * 64 + i);
        }
        // Mbufs travel with their frames: each returns to the pool it came from.
        expect_pool_full(*a);
        expect_pool_full(*b);
        EXPECT_EQ(a->stats().rx_frames, 640u);
        EXPECT_EQ(b->stats().tx_frames, 640u);
    }
    rte_ring_free(r1);
    rte_ring_free(r2);
    ::dlclose(lib);
}

// ---------------------------------------------------------------------------------------------
// Multicast, lifecycle, errors in this process
// ---------------------------------------------------------------------------------------------

TEST_F(dpdk_test, multicast_filter_falls_back_when_the_driver_has_no_list) {
    auto dev = open(probe(unique("net_ring")));
    ASSERT_TRUE(dev);
    EXPECT_FALSE(dev->capabilities().multicast_filter) << "net_ring has no exact multicast list";
    const std::array<mac_address, 2> groups{mac_address{{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01}},
                                            mac_address{{0x01, 0x00, 0x5e, 0x01, 0x01, 0x02}}};
    auto r = dev->set_multicast_filter(groups);
    EXPECT_TRUE(r.ok()) << r.err().message;
    EXPECT_NE(dev->multicast_mode(), dpdk_multicast_mode::exact_list);
    EXPECT_TRUE(dev->set_multicast_filter({}).ok());
    EXPECT_TRUE(dev->set_multicast_filter(groups).ok()) << "the fallback stays in place";
}

TEST_F(dpdk_test, alloc_takes_what_is_left_when_the_pool_runs_low) {
    auto dev = open(probe(unique("net_null") + ",no-rx=1"));
    ASSERT_TRUE(dev);
    std::vector<packet> held(dev->mbufs_available());
    size_t got = 0;
    for (int i = 0; i < 1000 && got < held.size(); ++i) {
        const size_t k = dev->alloc_burst(std::span(held).subspan(got, std::min<size_t>(30, held.size() - got)));
        got += k;
    }
    EXPECT_EQ(got, held.size()) << "the last, partial burst is served one by one";
    std::array<packet, 4> more;
    EXPECT_EQ(dev->alloc_burst(more), 0u);
    EXPECT_EQ(dev->dpdk_counters().alloc_failures, 1u);
    held.clear();
    expect_pool_full(*dev);
}

TEST_F(dpdk_test, close_refuses_to_free_a_pool_with_mbufs_out) {
    auto dev = open(probe(unique("net_null") + ",no-rx=1"));
    ASSERT_TRUE(dev);
    std::array<packet, 2> held;
    ASSERT_EQ(dev->alloc_burst(held), 2u);
    auto r = dev->close();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.err().message.find("2 mbufs still held"), std::string::npos) << r.err().message;
    // The pool was kept: releasing now is still safe.
    held[0].reset();
    held[1].reset();
    EXPECT_TRUE(dev->close().ok()) << "idempotent";
}

TEST_F(dpdk_test, missing_port_is_named_with_the_ports_there_are) {
    const uint16_t there = probe(unique("net_ring"));
    dpdk_config cfg = small_config(RTE_MAX_ETHPORTS - 1);
    auto dev = dpdk_device::open(cfg);
    ASSERT_FALSE(dev.ok());
    EXPECT_NE(dev.err().message.find("no such port"), std::string::npos) << dev.err().message;
    EXPECT_NE(dev.err().message.find("--port"), std::string::npos) << dev.err().message;
    EXPECT_NE(dev.err().message.find(std::to_string(there) + " (net_ring_t"), std::string::npos) << dev.err().message;
    (void)rte_eth_dev_close(there);
}

TEST_F(dpdk_test, the_eal_cannot_be_initialised_twice_with_other_arguments) {
    auto again = eal_session::acquire("--no-huge -m 256 --file-prefix other");
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.err().message.find("only once per process"), std::string::npos) << again.err().message;
    auto same = eal_session::acquire(g_eal_args);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->get(), g_eal.get()) << "the same arguments join the EAL that is up";
}

TEST_F(dpdk_test, pool_too_large_for_the_memory_names_the_cause) {
    dpdk_config cfg = small_config(probe(unique("net_null") + ",no-rx=1"));
    cfg.mbufs = 400000; // about 1 GB: more than -m 512 gives
    auto dev = dpdk_device::open(cfg);
    ASSERT_FALSE(dev.ok());
    EXPECT_NE(dev.err().message.find("cannot create the mbuf pool"), std::string::npos) << dev.err().message;
    EXPECT_NE(dev.err().message.find("-m"), std::string::npos) << dev.err().message;
    EXPECT_NE(dev.err().message.find("no-huge"), std::string::npos) << dev.err().message;
}

// ---------------------------------------------------------------------------------------------
// EAL failures, each in a fresh process
// ---------------------------------------------------------------------------------------------

/// In the child: brings the EAL up with TACHYON_DPDK_CHILD_ARGS and opens port 0; prints the
/// error message and exits 3 on failure, 0 on success.
TEST(dpdk_child, open) {
    const char* args = std::getenv("TACHYON_DPDK_CHILD_ARGS");
    if (!child_mode() || args == nullptr) GTEST_SKIP() << "runs only as a child of the tests below";
    dpdk_config cfg;
    cfg.eal_args = args;
    cfg.rx_descriptors = 256;
    cfg.tx_descriptors = 256;
    cfg.mbufs = 1023;
    auto dev = dpdk_device::open(cfg);
    std::printf("CHILD-RESULT: %s\n", dev.ok() ? "ok" : dev.err().message.c_str());
    std::fflush(stdout);
    std::_Exit(dev.ok() ? 0 : 3);
}

struct child_result {
    int status = -1;
    std::string out;
};

/// Runs this test executable again as a child that opens a device with `args`.
child_result run_child(const std::string& args) {
    const std::string cmd = "TACHYON_DPDK_CHILD=1 TACHYON_DPDK_CHILD_ARGS='" + args +
                            "' timeout 60 /proc/" + std::to_string(::getpid()) +
                            "/exe --gtest_filter=dpdk_child.open 2>&1";
    child_result r;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char line[4096];
    while (std::fgets(line, sizeof line, p) != nullptr) r.out += line;
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    const auto at = r.out.find("CHILD-RESULT: ");
    if (at != std::string::npos) r.out = r.out.substr(at + 14);
    return r;
}

class dpdk_child_test : public dpdk_test {
protected:
    static std::string prefix(const std::string& what) {
        return "--file-prefix unit-dpdk-" + what + "-" + std::to_string(::getpid());
    }
};

TEST_F(dpdk_child_test, no_hugepages_suggests_no_huge) {
    if (std::system("grep -q '^HugePages_Total: *0$' /proc/meminfo") != 0)
        GTEST_SKIP() << "this machine has hugepages: the failure cannot be shown here";
    auto r = run_child("--no-pci -m 64 " + prefix("nohuge") + " --vdev=net_ring0");
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_NE(r.out.find("hugepages"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--no-huge -m 512"), std::string::npos) << r.out;
}

TEST_F(dpdk_child_test, no_port_without_a_virtual_device) {
    auto r = run_child("--no-huge -m 256 --no-pci " + prefix("noport"));
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_NE(r.out.find("no port"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--vdev"), std::string::npos) << r.out;
}

TEST_F(dpdk_child_test, file_prefix_in_use_is_named) {
    // This process holds its prefix's lock.
    auto r = run_child("--no-huge -m 256 --no-pci --file-prefix unit-dpdk-" + std::to_string(::getpid()) +
                       " --vdev=net_ring0");
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_NE(r.out.find("in use"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--file-prefix"), std::string::npos) << r.out;
}

TEST_F(dpdk_child_test, bad_arguments_quote_the_eal) {
    auto r = run_child("--no-huge -m 256 --no-pci --bogus-flag " + prefix("bad"));
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_NE(r.out.find("EAL"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("invalid"), std::string::npos) << r.out;
}

TEST_F(dpdk_child_test, in_memory_with_no_huge_is_explained) {
    auto r = run_child("--no-huge --in-memory -m 256 --no-pci " + prefix("inmem") + " --vdev=net_ring0");
    if (r.status == 0) GTEST_SKIP() << "this DPDK accepts --in-memory with --no-huge";
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_NE(r.out.find("in-memory"), std::string::npos) << r.out;
}

TEST_F(dpdk_child_test, a_working_child_opens_its_ring) {
    auto r = run_child("--no-huge -m 256 --no-pci " + prefix("ok") + " --vdev=net_ring0");
    EXPECT_EQ(r.status, 0) << r.out;
}

} // namespace
} // namespace tachyon
