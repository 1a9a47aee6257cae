#pragma once
/// The DPDK ethdev device: the production backend. One port, one receive and one transmit
/// queue, polled by the one core that runs the stack.
///
/// Zero copy. The mbuf pool is created with a private area in each mbuf large enough for a
/// `buf` descriptor; the descriptor lives there, `buf::native` points back at the mbuf, and
/// `buf::base`/`room` are the mbuf's own data room. A received frame is handed to the stack as
/// the mbuf itself, and a frame to send goes to the NIC as the mbuf itself.
///
/// References. `buf::refcnt` counts the stack's `packet` handles; the mbuf's own reference
/// count stays 1 while only the stack holds it. Handing a frame to `rte_eth_tx_burst` gives the
/// NIC one reference, which the driver drops with `rte_pktmbuf_free` once sent. When the stack
/// still holds other handles (`packet::shared()`: TCP's retransmission queue, the pcap
/// decorator), the device first takes an mbuf reference for the NIC and drops one of the
/// stack's, so that the driver's free and the stack's last release each drop one mbuf
/// reference and the mbuf returns to the pool exactly once, after both.
///
/// What this folder depends on: the `device` interface, `buf`, and DPDK. No protocol code: it
/// reads no header byte. On transmit the frame's offload metadata (`buf_offload`, recorded by
/// the stack as it built the headers) says which checksums the NIC completes and where the
/// headers are; on receive the NIC's checksum flags go into the descriptor as "verified good"
/// and every other sum (bad or unknown) is left to the stack to check and count.
///
/// Hot path: rx_burst, tx_burst and alloc_burst neither allocate, lock, log nor make system
/// calls (the driver's own kicks excepted: net_tap and net_af_packet write to the kernel).

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "stack/core/result.hpp"
#include "stack/core/stats.hpp"
#include "stack/device/device.hpp"
#include "stack/device/dpdk/eal.hpp"

namespace tachyon {

/// How to open a DPDK port.
struct dpdk_config {
    std::string eal_args;                  ///< EAL arguments (--dpdk); empty: join the EAL already up
    uint16_t port = 0;                     ///< the ethdev port id (--port)
    std::optional<unsigned> core;          ///< --core: the lcore that polls (becomes the EAL main lcore)
    std::optional<mac_address> mac;        ///< set this MAC on the port (--mac), else the port's own
    uint16_t rx_descriptors = 1024;        ///< receive ring size (adjusted to the driver's limits)
    uint16_t tx_descriptors = 1024;        ///< transmit ring size (adjusted to the driver's limits)
    uint32_t mbufs = 8191;                 ///< mbufs in the pool (2^n - 1 is the mempool's best size)
    uint32_t mbuf_cache = 256;             ///< per-lcore mempool cache
    uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE; ///< each mbuf's data room, headroom included
    uint16_t mtu = 1500;                   ///< the port's MTU
    bool offloads = true;                  ///< use checksum offloads the port advertises
    std::chrono::milliseconds link_wait{3000}; ///< how long `open` waits for the link (then goes on)
};

/// Counters of the DPDK device beyond the common `device_stats`.
#define TACHYON_DPDK_COUNTERS(X)                                                                  \
    X(rx_checksum_flagged_bad)  /* frames the NIC flagged with a bad sum (passed on: the stack checks) */ \
    X(drop_rx_multi_segment)    /* a frame arrived in a chain of mbufs (jumbo without scatter) */  \
    X(drop_rx_foreign_mbuf)     /* an mbuf from a pool without room for our descriptor */          \
    X(rx_copied_shared)         /* frames received in an mbuf this process still held: copied */   \
    X(tx_shared)                /* shared frames handed to the NIC by an extra mbuf reference */   \
    X(tx_offload_frames)        /* frames sent with checksum offload flags set */                  \
    X(alloc_failures)           /* alloc_burst calls that found the mempool empty */               \
    X(link_down_at_start)       /* the link was still down when open stopped waiting */

/// Counters of the DPDK device.
struct dpdk_stats {
    TACHYON_COUNTERS(TACHYON_DPDK_COUNTERS)
};

/// The checksum offloads enabled on the port (each also shown in `device_caps`).
struct dpdk_offloads {
    bool rx_ipv4 = false; ///< RTE_ETH_RX_OFFLOAD_IPV4_CKSUM on
    bool rx_udp = false;  ///< RTE_ETH_RX_OFFLOAD_UDP_CKSUM on
    bool rx_tcp = false;  ///< RTE_ETH_RX_OFFLOAD_TCP_CKSUM on
    bool tx_ipv4 = false; ///< RTE_ETH_TX_OFFLOAD_IPV4_CKSUM on
    bool tx_udp = false;  ///< RTE_ETH_TX_OFFLOAD_UDP_CKSUM on
    bool tx_tcp = false;  ///< RTE_ETH_TX_OFFLOAD_TCP_CKSUM on
    /// "rx ipv4,udp,tcp tx ipv4,udp,tcp" or "none (software checksums)".
    std::string to_string() const;
};

/// How the port filters multicast.
enum class dpdk_multicast_mode : uint8_t {
    exact_list,    ///< rte_eth_dev_set_mc_addr_list
    all_multicast, ///< the driver has no list: every multicast frame is accepted
    unfiltered,    ///< the driver has neither (virtual devices): it passes every frame anyway
};

/// One DPDK ethdev port with one receive and one transmit queue.
class dpdk_device final : public device {
public:
    /// Brings the EAL up (or joins it), then configures, starts and checks the port. The
    /// error names the cause: EAL failure, no such port, mempool failure, driver refusal.
    static result<std::unique_ptr<dpdk_device>> open(const dpdk_config& cfg);
    dpdk_device(const dpdk_device&) = delete;
    dpdk_device& operator=(const dpdk_device&) = delete;
    /// Closes (see `close`).
    ~dpdk_device() override;

    /// Up to `out.size()` received frames, each the mbuf itself (no copy).
    size_t rx_burst(std::span<packet> out) override;
    /// Hands the frames to the NIC as mbufs (no copy); takes the ones the queue accepted.
    size_t tx_burst(std::span<packet> frames) override;
    /// Empty frames straight from the mbuf pool, with the mbuf's headroom in front.
    size_t alloc_burst(std::span<packet> out) override;
    /// MAC, MTU, the checksum offloads enabled and the multicast filter.
    const device_caps& capabilities() const override { return _caps; }
    /// Programs the exact multicast list, or falls back to all-multicast (logged once).
    result<void> set_multicast_filter(std::span<const mac_address> groups) override;
    /// The common device counters.
    const device_stats& stats() const override { return _stats; }
    void report(json_writer& w) const override {
        w.section("dpdk", _dpdk_stats);
        w.begin_section("dpdk_offloads");
        w.field("checksums", _offloads.to_string());
        w.end_section();
    }

    /// Stops and closes the port and frees the pool (unless mbufs are still out: the pool is
    /// then kept, and the error says how many). Drops this device's hold on the EAL, which is
    /// cleaned up with the last one. Idempotent.
    result<void> close();

    /// The DPDK counters (checksum drops, shared transmissions, ...).
    const dpdk_stats& dpdk_counters() const { return _dpdk_stats; }
    /// The offloads in use.
    const dpdk_offloads& offloads() const { return _offloads; }
    /// How multicast is filtered (after the last `set_multicast_filter`).
    dpdk_multicast_mode multicast_mode() const { return _mc_mode; }
    /// The port id.
    uint16_t port() const { return _port; }
    /// The driver's name (net_tap, net_memif, ...).
    const std::string& driver() const { return _driver; }
    /// The port's NUMA socket (the pool and the rings live there).
    int socket() const { return _socket; }
    /// The mbuf pool (for tests: its counts show leaks).
    rte_mempool* mempool() const { return _pool; }
    /// Mbufs free in the pool now (per-lcore caches included).
    unsigned mbufs_available() const;
    /// Mbufs in the pool in all.
    unsigned mbufs_total() const;
    /// The EAL this device runs on.
    const eal_info& eal() const { return _eal->info(); }
    /// True when the port reported its link up (at open or at the last `link_up` call).
    bool link_up();

    /// The checksums an mbuf's receive flags call good (checksum_bit; L4 good sets both udp and tcp).
    static uint8_t rx_checksums_good(uint64_t ol_flags);
    /// True when an mbuf's receive flags call the IPv4 or the UDP/TCP sum bad.
    static bool rx_checksums_bad(uint64_t ol_flags) {
        return (ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
               (ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD;
    }
    /// The transmit flags for a frame's offload metadata (0 when the stack completed every sum).
    static uint64_t tx_offload_flags(const buf_offload& o);

private:
    explicit dpdk_device(std::shared_ptr<eal_session> eal) : _eal(std::move(eal)) {}
    result<void> start(const dpdk_config& cfg);
    void fill_descriptor(rte_mbuf* m);
    void set_tx_offload(rte_mbuf* m, const buf_offload& o);

    std::shared_ptr<eal_session> _eal;
    uint16_t _port = 0;
    int _socket = 0;
    std::string _driver;
    rte_mempool* _pool = nullptr;
    bool _configured = false; // rte_eth_dev_configure succeeded: close the port at the end
    bool _started = false;
    bool _rx_offload = false;  // receive checksum offload on: the NIC's flags are read
    uint8_t _rx_good_mask = 0; // the verdicts the enabled offloads give (checksum_bit)
    dpdk_multicast_mode _mc_mode = dpdk_multicast_mode::exact_list;
    bool _mc_fallback_logged = false;
    uint32_t _max_frame = 0;
    dpdk_offloads _offloads;
    device_caps _caps;
    device_stats _stats;
    dpdk_stats _dpdk_stats;
    std::array<rte_mbuf*, 64> _burst{}; // one burst of mbufs for the driver calls
};

/// The splitting of EAL arguments into words is shared with callers that add their own
/// (`--core` becomes `-l N` or `--main-lcore N`): returns `args` with the lcore settled.
result<std::string> eal_args_with_core(std::string_view args, std::optional<unsigned> core);

} // namespace tachyon
