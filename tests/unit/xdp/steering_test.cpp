/// The steering program's verdicts, run in the kernel with BPF_PROG_TEST_RUN on crafted frames:
/// what goes to the stack (XDP_REDIRECT into the AF_XDP socket) and what stays with the kernel
/// (XDP_PASS), and for which reason (the program's per-CPU verdict counters).
///
/// The program is loaded from the object embedded in the library, as the device loads it. An
/// AF_XDP socket bound to lo (copy mode) in a private network namespace fills the socket map,
/// so that a redirect returns XDP_REDIRECT as it does on a live interface (with no socket in
/// the map, bpf_redirect_map falls back to XDP_PASS, which the last test checks).

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/if_xdp.h>
#include <sys/mman.h>
#include <xdp/xsk.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "stack/device/xdp/steering.hpp"
#include "unit/xdp/netns_env.hpp"

namespace tachyon {
namespace {

constexpr ipv4_address us{198, 18, 0, 2};
constexpr ipv4_address other{198, 18, 0, 1};
constexpr mac_address our_mac{{0x02, 0, 0, 0, 0, 2}};
constexpr mac_address peer_mac{{0x02, 0, 0, 0, 0, 1}};
constexpr mac_address group_mac{{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01}}; // 239.1.1.1

/// A frame under construction, byte by byte.
struct frame {
    std::vector<uint8_t> b;
    frame& u8(uint8_t v) { b.push_back(v); return *this; }
    frame& u16(uint16_t v) { return u8(uint8_t(v >> 8)).u8(uint8_t(v)); }
    frame& mac(const mac_address& m) { b.insert(b.end(), m.bytes.begin(), m.bytes.end()); return *this; }
    frame& ip(ipv4_address a) { for (int i = 0; i < 4; ++i) u8(a.octet(i)); return *this; }
    frame& zeros(size_t n) { b.insert(b.end(), n, 0); return *this; }
    frame& eth(const mac_address& dst, uint16_t type) { return mac(dst).mac(peer_mac).u16(type); }
};

/// An Ethernet + ARP frame (RFC 826): `op` 1 request, 2 reply.
frame arp(uint16_t op, ipv4_address sender, ipv4_address target) {
    frame f;
    f.eth(op == 1 ? mac_address::broadcast() : our_mac, 0x0806).u16(1).u16(0x0800).u8(6).u8(4).u16(op);
    f.mac(peer_mac).ip(sender).mac(op == 1 ? mac_address::zero() : our_mac).ip(target);
    return f;
}

/// An Ethernet + IPv4 frame of protocol `proto` to `dst` with `payload` bytes after the header.
frame ipv4(const mac_address& dst_mac, ipv4_address dst, uint8_t proto, size_t payload = 8) {
    frame f;
    f.eth(dst_mac, 0x0800).u8(0x45).u8(0).u16(uint16_t(20 + payload)).u16(1).u16(0).u8(64).u8(proto).u16(0);
    f.ip(other).ip(dst).zeros(payload);
    return f;
}

class steering_test : public ::testing::Test {
protected:
    void SetUp() override {
        TACHYON_REQUIRE_NETNS();
        auto obj = load_steering_object();
        ASSERT_TRUE(obj) << obj.err().message;
        _obj = std::move(*obj);
        auto maps = steering_maps::find(_obj.get());
        ASSERT_TRUE(maps) << maps.err().message;
        _maps = *maps;
        _prog_fd = bpf_program__fd(bpf_object__find_program_by_name(_obj.get(), TACHYON_XDP_PROG_NAME));
        ASSERT_GE(_prog_fd, 0);
        configure(us, 0);
        const mac_address groups[] = {group_mac};
        ASSERT_TRUE(_maps.write_groups(groups));
    }
    static void TearDownTestSuite() {
        // The kernel releases a queue's UMEM after a delay: one socket serves every test.
        if (_xsk != nullptr) xsk_socket__delete(_xsk);
        if (_umem != nullptr) (void)xsk_umem__delete(_umem);
        if (_area != nullptr) ::munmap(_area, area_size);
        _xsk = nullptr;
        _umem = nullptr;
        _area = nullptr;
    }

    void configure(ipv4_address addr, uint32_t flags) {
        tachyon_xdp_config c{};
        c.ipv4 = htonl(addr.value);
        c.flags = flags;
        ASSERT_TRUE(_maps.write_config(c));
    }

    /// Binds an AF_XDP socket to lo's queue 0 and puts it in the program's socket map.
    void bind_socket_on_lo() {
        if (_xsk == nullptr) {
            ASSERT_NO_FATAL_FAILURE(create_socket());
        }
        ASSERT_TRUE(_maps.set_socket(0, xsk_socket__fd(_xsk)));
    }

    static void create_socket() {
        _area = ::mmap(nullptr, area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(_area, MAP_FAILED);
        // libxdp keeps pointers to these ring structs until the socket is deleted: static.
        static xsk_ring_prod fill, tx;
        static xsk_ring_cons comp, rx;
        ASSERT_EQ(xsk_umem__create(&_umem, _area, area_size, &fill, &comp, nullptr), 0);
        xsk_socket_config sc{};
        sc.rx_size = sc.tx_size = 64;
        sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
        sc.bind_flags = XDP_COPY;
        ASSERT_EQ(xsk_socket__create(&_xsk, "lo", 0, _umem, &rx, &tx, &sc), 0);
    }

    /// Runs the program on `f` as received on lo queue 0: its action and the reason it counted.
    std::pair<int, int> run(const frame& f) {
        const steering_verdicts before = _maps.read_verdicts();
        xdp_md ctx{};
        ctx.data_end = uint32_t(f.b.size()); // the whole frame, no metadata in front
        ctx.ingress_ifindex = 1;             // lo
        ctx.rx_queue_index = 0;
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b.data(), .data_size_in = uint32_t(f.b.size()),
                    .ctx_in = &ctx, .ctx_size_in = sizeof ctx);
        const int r = bpf_prog_test_run_opts(_prog_fd, &opts);
        EXPECT_EQ(r, 0) << std::strerror(errno);
        const steering_verdicts after = _maps.read_verdicts();
        int reason = -1;
        for (size_t i = 0; i < after.size(); ++i)
            if (after[i] != before[i]) {
                EXPECT_EQ(reason, -1) << "two reasons counted for one frame";
                EXPECT_EQ(after[i] - before[i], 1u);
                reason = int(i);
            }
        return {int(opts.retval), reason};
    }

    static constexpr size_t area_size = 64 * 4096;
    bpf_object_ptr _obj;
    steering_maps _maps;
    int _prog_fd = -1;
    static inline void* _area = nullptr;
    static inline xsk_umem* _umem = nullptr;
    static inline xsk_socket* _xsk = nullptr;
};

using verdict = std::pair<int, int>;
const verdict redirect_arp{XDP_REDIRECT, TACHYON_XDP_ARP_FOR_US};
const verdict redirect_ipv4{XDP_REDIRECT, TACHYON_XDP_IPV4_FOR_US};
const verdict redirect_group{XDP_REDIRECT, TACHYON_XDP_MULTICAST_JOINED};
const verdict redirect_query{XDP_REDIRECT, TACHYON_XDP_IGMP_QUERY};
const verdict pass_not_ours{XDP_PASS, TACHYON_XDP_PASS_NOT_OURS};
const verdict pass_other_type{XDP_PASS, TACHYON_XDP_PASS_OTHER_TYPE};
const verdict pass_truncated{XDP_PASS, TACHYON_XDP_PASS_TRUNCATED};

TEST_F(steering_test, arp_for_us_goes_to_the_stack_and_arp_for_others_to_the_kernel) {
    bind_socket_on_lo();
    EXPECT_EQ(run(arp(1, other, us)), redirect_arp);     // who has us? (request for us)
    EXPECT_EQ(run(arp(2, other, us)), redirect_arp);     // the answer to our own request
    EXPECT_EQ(run(arp(1, us, other)), pass_not_ours);    // someone asks for the kernel's address
    EXPECT_EQ(run(arp(2, us, other)), pass_not_ours);    // a reply to the kernel
    frame gratuitous = arp(1, other, other);             // RFC 5227 announcement of another host
    EXPECT_EQ(run(gratuitous), pass_not_ours);
    frame not_ipv4 = arp(1, other, us);
    not_ipv4.b[14 + 3] = 0xdd;                           // protocol type 0x08dd: not IPv4
    EXPECT_EQ(run(not_ipv4), pass_not_ours);
}

TEST_F(steering_test, ipv4_to_us_goes_to_the_stack_whatever_the_protocol) {
    bind_socket_on_lo();
    EXPECT_EQ(run(ipv4(our_mac, us, 17)), redirect_ipv4); // UDP
    EXPECT_EQ(run(ipv4(our_mac, us, 6, 20)), redirect_ipv4); // TCP
    EXPECT_EQ(run(ipv4(our_mac, us, 1)), redirect_ipv4);  // ICMP
    EXPECT_EQ(run(ipv4(our_mac, other, 17)), pass_not_ours);
    EXPECT_EQ(run(ipv4(our_mac, ipv4_address{198, 18, 0, 255}, 17)), pass_not_ours); // subnet broadcast
    frame v6_in_v4 = ipv4(our_mac, us, 17);
    v6_in_v4.b[14] = 0x65;                                // version 6 in an IPv4 EtherType
    EXPECT_EQ(run(v6_in_v4), pass_not_ours);
}

TEST_F(steering_test, joined_groups_go_to_the_stack_others_to_the_kernel) {
    bind_socket_on_lo();
    EXPECT_EQ(run(ipv4(group_mac, ipv4_address{239, 1, 1, 1}, 17)), redirect_group);
    const mac_address not_joined{{0x01, 0x00, 0x5e, 0x01, 0x01, 0x02}};
    EXPECT_EQ(run(ipv4(not_joined, ipv4_address{239, 1, 1, 2}, 17)), pass_not_ours);
    // A group address in a unicast frame is not a group frame.
    EXPECT_EQ(run(ipv4(our_mac, ipv4_address{239, 1, 1, 1}, 17)), pass_not_ours);
    // Leaving: the filter without the group passes it on to the kernel.
    ASSERT_TRUE(_maps.write_groups({}));
    EXPECT_EQ(run(ipv4(group_mac, ipv4_address{239, 1, 1, 1}, 17)), pass_not_ours);
}

TEST_F(steering_test, igmp_general_queries_go_to_the_stack_only_while_it_has_groups) {
    bind_socket_on_lo();
    const mac_address all_systems{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    const ipv4_address all_systems_ip{224, 0, 0, 1};
    EXPECT_EQ(run(ipv4(all_systems, all_systems_ip, 2)), pass_not_ours); // no groups flag yet
    configure(us, TACHYON_XDP_IGMP_QUERIES);
    EXPECT_EQ(run(ipv4(all_systems, all_systems_ip, 2)), redirect_query);
    EXPECT_EQ(run(ipv4(all_systems, all_systems_ip, 1)), pass_not_ours); // a ping to all hosts
    EXPECT_EQ(run(ipv4(all_systems, all_systems_ip, 17)), pass_not_ours);
}

TEST_F(steering_test, ipv6_and_vlan_tagged_frames_stay_with_the_kernel) {
    bind_socket_on_lo();
    frame v6;
    v6.eth(our_mac, 0x86dd).u8(0x60).zeros(39);
    EXPECT_EQ(run(v6), pass_other_type);
    frame vlan;
    vlan.eth(our_mac, 0x8100).u16(100).u16(0x0800);
    const frame inner = ipv4(our_mac, us, 17);
    vlan.b.insert(vlan.b.end(), inner.b.begin() + 14, inner.b.end());
    EXPECT_EQ(run(vlan), pass_other_type);
    frame qinq = vlan;
    qinq.b[12] = 0x88;
    qinq.b[13] = 0xa8;
    EXPECT_EQ(run(qinq), pass_other_type);
}

TEST_F(steering_test, truncated_frames_stay_with_the_kernel) {
    bind_socket_on_lo();
    frame ip_short = ipv4(our_mac, us, 17, 0);
    ip_short.b.resize(14 + 19); // one byte short of the fixed IPv4 header
    EXPECT_EQ(run(ip_short), pass_truncated);
    frame arp_short = arp(1, other, us);
    arp_short.b.resize(14 + 27);
    EXPECT_EQ(run(arp_short), pass_truncated);
    frame eth_only;
    eth_only.eth(our_mac, 0x0800);
    EXPECT_EQ(run(eth_only), pass_truncated);
    // A whole IPv4 header with a short payload is the stack's to count (udp.drop_truncated).
    EXPECT_EQ(run(ipv4(our_mac, us, 17, 3)), redirect_ipv4);
}

TEST_F(steering_test, without_address_or_socket_everything_passes) {
    // No socket in the map: bpf_redirect_map falls back to XDP_PASS (counted as for us).
    EXPECT_EQ(run(ipv4(our_mac, us, 17)), (verdict{XDP_PASS, TACHYON_XDP_IPV4_FOR_US}));
    configure(ipv4_address::any(), 0);
    EXPECT_EQ(run(ipv4(our_mac, us, 17)), (verdict{XDP_PASS, TACHYON_XDP_PASS_UNCONFIGURED}));
    EXPECT_EQ(run(arp(1, other, us)), (verdict{XDP_PASS, TACHYON_XDP_PASS_UNCONFIGURED}));
}

/// The reference model of the steering decision, written from the rules in docs/AF_XDP.md
/// (not from the BPF code): the reason the program must count for frame `f`.
int reference_reason(const std::vector<uint8_t>& f, ipv4_address addr, bool igmp_queries,
                     const std::vector<mac_address>& groups) {
    auto at = [&](size_t i) { return uint32_t(f[i]); };
    auto ip_at = [&](size_t i) { return ipv4_address{f[i], f[i + 1], f[i + 2], f[i + 3]}; };
    if (addr.is_any()) return TACHYON_XDP_PASS_UNCONFIGURED;
    if (f.size() < 14) return TACHYON_XDP_PASS_TRUNCATED;
    const uint32_t type = at(12) << 8 | at(13);
    if (type == 0x0806) {
        if (f.size() < 14 + 28) return TACHYON_XDP_PASS_TRUNCATED;
        const bool ipv4_over_ethernet = at(14) == 0 && at(15) == 1 && at(16) == 8 && at(17) == 0 &&
                                        at(18) == 6 && at(19) == 4;
        return ipv4_over_ethernet && ip_at(14 + 24) == addr ? TACHYON_XDP_ARP_FOR_US : TACHYON_XDP_PASS_NOT_OURS;
    }
    if (type != 0x0800) return TACHYON_XDP_PASS_OTHER_TYPE;
    if (f.size() < 14 + 20) return TACHYON_XDP_PASS_TRUNCATED;
    if ((at(14) >> 4) != 4) return TACHYON_XDP_PASS_NOT_OURS;
    const ipv4_address dst = ip_at(30);
    if (dst == addr) return TACHYON_XDP_IPV4_FOR_US;
    if (!dst.is_multicast() || (f[0] & 1) == 0) return TACHYON_XDP_PASS_NOT_OURS;
    if (dst == ipv4_address{224, 0, 0, 1})
        return at(23) == 2 && igmp_queries ? TACHYON_XDP_IGMP_QUERY : TACHYON_XDP_PASS_NOT_OURS;
    mac_address dst_mac;
    std::memcpy(dst_mac.bytes.data(), f.data(), 6);
    for (const mac_address& g : groups)
        if (g == dst_mac) return TACHYON_XDP_MULTICAST_JOINED;
    return TACHYON_XDP_PASS_NOT_OURS;
}

/// Fuzz-style differential test (also the fuzz target idea for this parser): 3000 frames built
/// from random choices among the values that matter (EtherTypes, ARP header fields, addresses,
/// group MACs, protocols) and random lengths; the program and the reference model must agree
/// on every one, and redirect exactly when the model says "to the stack".
TEST_F(steering_test, agrees_with_a_reference_model_on_random_frames) {
    bind_socket_on_lo();
    std::mt19937 rng(20261129);
    auto pick = [&](auto... v) {
        const std::array<uint32_t, sizeof...(v)> a{uint32_t(v)...};
        return a[rng() % a.size()];
    };
    const std::vector<mac_address> groups = {group_mac, {{0x01, 0x00, 0x5e, 0x7f, 0x00, 0x09}}};
    ASSERT_TRUE(_maps.write_groups(groups));
    const std::array<ipv4_address, 6> addrs = {us, other, ipv4_address{239, 1, 1, 1}, ipv4_address{239, 127, 0, 9},
                                                ipv4_address{224, 0, 0, 1}, ipv4_address{239, 1, 1, 2}};
    for (int i = 0; i < 3000; ++i) {
        const bool igmp_flag = rng() % 2 == 0;
        configure(us, igmp_flag ? TACHYON_XDP_IGMP_QUERIES : 0);
        std::vector<uint8_t> f(60);
        for (auto& b : f) b = uint8_t(rng());
        const mac_address dst_mac = rng() % 3 == 0 ? our_mac : rng() % 2 ? group_mac : groups[1];
        std::memcpy(f.data(), dst_mac.bytes.data(), 6);
        if (rng() % 4 == 0) f[5] ^= 1; // sometimes another MAC of the group range
        const uint32_t type = pick(0x0806, 0x0800, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x88b5);
        f[12] = uint8_t(type >> 8);
        f[13] = uint8_t(type);
        if (type == 0x0806) {
            const uint8_t hdr[6] = {0, uint8_t(pick(1, 1, 1, 6)), uint8_t(pick(8, 8, 8, 0x86)), 0,
                                    uint8_t(pick(6, 6, 6, 8)), uint8_t(pick(4, 4, 4, 16))};
            std::memcpy(&f[14], hdr, 6);
            const ipv4_address t = addrs[rng() % 2];
            for (int k = 0; k < 4; ++k) f[14 + 24 + k] = t.octet(k);
        } else if (type == 0x0800) {
            f[14] = uint8_t(pick(0x45, 0x45, 0x46, 0x65, 0x44));
            f[23] = uint8_t(pick(1, 2, 6, 17));
            const ipv4_address d = addrs[rng() % addrs.size()];
            for (int k = 0; k < 4; ++k) f[30 + k] = d.octet(k);
        }
        f.resize(14 + rng() % 47); // 14 to 60 bytes: every truncation point
        frame fr;
        fr.b = f;
        const int want = reference_reason(f, us, igmp_flag, groups);
        const bool steered = want <= TACHYON_XDP_IGMP_QUERY;
        ASSERT_EQ(run(fr), (verdict{steered ? XDP_REDIRECT : XDP_PASS, want})) << "frame " << i;
    }
}

} // namespace
} // namespace tachyon
