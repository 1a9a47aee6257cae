/// The DPDK ethdev device. Control path first (EAL, port, pool, queues, offloads, link), then
/// the data path (rx_burst, tx_burst, alloc_burst), which works on the mbufs themselves.

#include "stack/device/dpdk/dpdk_device.hpp"

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "stack/core/log.hpp"

namespace tachyon {

namespace {

/// Each mbuf's private area holds one `buf`, aligned as the mempool requires.
constexpr uint16_t priv_size = uint16_t(RTE_ALIGN(sizeof(buf), RTE_MBUF_PRIV_ALIGN));
static_assert(alignof(buf) <= RTE_MBUF_PRIV_ALIGN, "the mbuf private area is 8-byte aligned");

/// Returns a buffer whose last `packet` handle went: one mbuf reference dropped. Stateless and
/// process-wide, so that an mbuf released after its device closed still finds its owner.
void release_mbuf(buf_pool&, buf& b) { rte_pktmbuf_free(static_cast<rte_mbuf*>(b.native)); }

buf_pool& mbuf_owner() {
    static buf_pool owner(&release_mbuf);
    return owner;
}

std::string ports_list() {
    std::string out;
    uint16_t id = 0;
    RTE_ETH_FOREACH_DEV(id) {
        char name[RTE_ETH_NAME_MAX_LEN] = {};
        (void)rte_eth_dev_get_name_by_port(id, name);
        if (!out.empty()) out += ", ";
        out += std::to_string(id) + " (" + name + ")";
    }
    return out;
}

error port_error(errc code, uint16_t port, const std::string& what) {
    return make_error(code, "dpdk port " + std::to_string(port) + ": " + what);
}

std::atomic<unsigned> g_pool_serial{0};

} // namespace

std::string dpdk_offloads::to_string() const {
    auto list = [](bool ip, bool udp, bool tcp) {
        std::string s;
        for (auto [on, name] : {std::pair{ip, "ipv4"}, std::pair{udp, "udp"}, std::pair{tcp, "tcp"}})
            if (on) s += (s.empty() ? "" : ",") + std::string(name);
        return s.empty() ? std::string("software") : s;
    };
    if (!rx_ipv4 && !rx_udp && !rx_tcp && !tx_ipv4 && !tx_udp && !tx_tcp) return "none (software checksums)";
    return "rx " + list(rx_ipv4, rx_udp, rx_tcp) + ", tx " + list(tx_ipv4, tx_udp, tx_tcp);
}

result<std::string> eal_args_with_core(std::string_view args, std::optional<unsigned> core) {
    if (!core) return std::string(args);
    auto words = split_shell_words(args);
    if (!words) return make_error(errc::invalid_argument, "--dpdk: " + words.err().message);
    bool lcores = false;
    for (const auto& w : *words) {
        if (w == "--main-lcore" || w.starts_with("--main-lcore="))
            return make_error(errc::invalid_argument,
                              "--core and --main-lcore in --dpdk both choose the polling lcore: give one");
        if (w.starts_with("-l") || w.starts_with("-c") || w == "--lcores" || w.starts_with("--lcores="))
            lcores = true;
    }
    const std::string n = std::to_string(*core);
    return std::string(args) + (lcores ? " --main-lcore " + n : " -l " + n);
}

// ---------------------------------------------------------------------------------------------
// Control path
// ---------------------------------------------------------------------------------------------

result<std::unique_ptr<dpdk_device>> dpdk_device::open(const dpdk_config& cfg) {
    auto args = eal_args_with_core(cfg.eal_args, cfg.core);
    if (!args) return args.err();
    auto eal = eal_session::acquire(*args);
    if (!eal) return eal.err();
    if (cfg.core && (*eal)->info().main_lcore != *cfg.core)
        return make_error(errc::invalid_argument,
                          "dpdk: --core " + std::to_string(*cfg.core) + " but the EAL's main lcore is " +
                              std::to_string((*eal)->info().main_lcore) + " (the EAL was already up)");
    std::unique_ptr<dpdk_device> dev(new dpdk_device(std::move(*eal)));
    dev->_port = cfg.port;
    if (auto r = dev->start(cfg); !r) return r.err();
    return dev;
}

result<void> dpdk_device::start(const dpdk_config& cfg) {
    if (rte_eth_dev_count_avail() == 0)
        return make_error(errc::not_found,
                          "dpdk: no port: the EAL found no device. Give a virtual device "
                          "(--vdev=net_tap0,iface=dt0, --vdev=net_af_packet0,iface=veth0, "
                          "--vdev=net_memif0,role=server, --vdev=net_ring0) when using --no-pci, "
                          "or bind a NIC to vfio-pci (tools/dpdk-setup)");
    if (!rte_eth_dev_is_valid_port(_port))
        return port_error(errc::not_found, _port, "no such port; the EAL has " + ports_list() + " (--port N)");

    rte_eth_dev_info info{};
    if (int r = rte_eth_dev_info_get(_port, &info); r != 0)
        return port_error(errc::system, _port, std::string("cannot read device info: ") + rte_strerror(-r));
    _driver = info.driver_name != nullptr ? info.driver_name : "?";
    _socket = rte_eth_dev_socket_id(_port);
    if (_socket < 0) _socket = int(rte_socket_id()) < 0 ? 0 : int(rte_socket_id());

    // Ring sizes within the driver's limits, then a pool that can fill both rings and still
    // have frames for the stack.
    uint16_t nb_rxd = cfg.rx_descriptors;
    uint16_t nb_txd = cfg.tx_descriptors;
    if (int r = rte_eth_dev_adjust_nb_rx_tx_desc(_port, &nb_rxd, &nb_txd); r != 0)
        return port_error(errc::system, _port, std::string("cannot fit the descriptor counts: ") + rte_strerror(-r));
    const uint32_t floor = uint32_t(nb_rxd) + nb_txd + 2 * uint32_t(_burst.size());
    if (cfg.mbufs < floor)
        return port_error(errc::invalid_argument, _port,
                          "mbufs (" + std::to_string(cfg.mbufs) + ") must exceed the rx and tx rings (" +
                              std::to_string(nb_rxd) + " + " + std::to_string(nb_txd) + ") plus two bursts");
    const uint32_t need_room = RTE_PKTMBUF_HEADROOM + cfg.mtu + RTE_ETHER_HDR_LEN + 4 + RTE_ETHER_CRC_LEN;
    if (cfg.data_room < need_room)
        return port_error(errc::invalid_argument, _port,
                          "data_room " + std::to_string(cfg.data_room) + " cannot hold an MTU " +
                              std::to_string(cfg.mtu) + " frame behind the headroom (needs " +
                              std::to_string(need_room) + ")");

    char name[RTE_MEMPOOL_NAMESIZE];
    std::snprintf(name, sizeof name, "tachyon_p%u_%u", unsigned(_port), g_pool_serial.fetch_add(1));
    const unsigned cache = std::min<unsigned>({cfg.mbuf_cache, RTE_MEMPOOL_CACHE_MAX_SIZE, cfg.mbufs / 2});
    _pool = rte_pktmbuf_pool_create(name, cfg.mbufs, cache, priv_size, cfg.data_room, _socket);
    if (_pool == nullptr) {
        const int code = rte_errno;
        const uint64_t mib =
            (uint64_t(cfg.mbufs) * (sizeof(rte_mbuf) + priv_size + cfg.data_room + RTE_CACHE_LINE_SIZE) >> 20) + 1;
        std::string hint;
        if (code == ENOMEM || code == ENOBUFS || code == ENOSPC)
            hint = eal().hugepages
                       ? ": not enough hugepage memory on socket " + std::to_string(_socket) +
                             " (reserve more: tools/dpdk-setup --hugepages, or lower the pool size)"
                       : ": not enough memory: with --no-huge, -m (MiB) must cover the pool and the "
                         "drivers' rings; try -m 512 or more";
        else if (code == EEXIST)
            hint = ": a pool of that name exists already";
        else
            hint = std::string(": ") + rte_strerror(code);
        return port_error(errc::no_buffer, _port,
                          "cannot create the mbuf pool (" + std::to_string(cfg.mbufs) + " mbufs of " +
                              std::to_string(cfg.data_room) + " bytes, about " + std::to_string(mib) +
                              " MiB, on socket " + std::to_string(_socket) + ")" + hint);
    }

    // Checksum offloads: what the port advertises, when the configuration allows them. The
    // stack treats UDP and TCP as one switch (tx_l4_checksum), so both must be there.
    rte_eth_conf conf{};
    conf.rxmode.mtu = cfg.mtu;
    if (cfg.offloads) {
        _offloads.rx_ipv4 = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
        _offloads.rx_udp = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0;
        _offloads.rx_tcp = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
        _offloads.tx_ipv4 = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
        _offloads.tx_udp = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
        _offloads.tx_tcp = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) != 0;
        if (!(_offloads.rx_udp && _offloads.rx_tcp)) _offloads.rx_udp = _offloads.rx_tcp = false;
        if (!(_offloads.tx_udp && _offloads.tx_tcp)) _offloads.tx_udp = _offloads.tx_tcp = false;
    }
    if (_offloads.rx_ipv4) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    if (_offloads.rx_udp) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    if (_offloads.tx_ipv4) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
    if (_offloads.tx_udp) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;

    if (int r = rte_eth_dev_configure(_port, 1, 1, &conf); r != 0)
        return port_error(errc::system, _port,
                          "rte_eth_dev_configure failed: " + std::string(rte_strerror(-r)) + " (driver " +
                              _driver + ", MTU " + std::to_string(cfg.mtu) + ")");
    _configured = true;

    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    if (int r = rte_eth_rx_queue_setup(_port, 0, nb_rxd, unsigned(_socket), &rxconf, _pool); r != 0)
        return port_error(errc::system, _port, "cannot set up the receive queue (" + std::to_string(nb_rxd) +
                                                   " descriptors): " + rte_strerror(-r));
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    if (int r = rte_eth_tx_queue_setup(_port, 0, nb_txd, unsigned(_socket), &txconf); r != 0)
        return port_error(errc::system, _port, "cannot set up the transmit queue (" + std::to_string(nb_txd) +
                                                   " descriptors): " + rte_strerror(-r));

    if (cfg.mac) {
        rte_ether_addr a;
        std::memcpy(a.addr_bytes, cfg.mac->bytes.data(), RTE_ETHER_ADDR_LEN);
        if (int r = rte_eth_dev_default_mac_addr_set(_port, &a); r != 0) {
            // The stack still answers for --mac; the port must then let every frame in.
            log().warn("dpdk port {}: cannot set MAC {} ({}); enabling promiscuous mode", _port,
                       cfg.mac->to_string(), rte_strerror(-r));
            (void)rte_eth_promiscuous_enable(_port);
        }
    }

    if (int r = rte_eth_dev_start(_port); r != 0)
        return port_error(errc::system, _port, std::string("rte_eth_dev_start failed: ") + rte_strerror(-r));
    _started = true;

    rte_ether_addr mac{};
    if (int r = rte_eth_macaddr_get(_port, &mac); r != 0)
        return port_error(errc::system, _port, std::string("cannot read the MAC: ") + rte_strerror(-r));
    std::memcpy(_caps.mac.bytes.data(), mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    if (!_caps.mac.is_unicast()) {
        // Some virtual ports (net_ring) have no address at all: give them a random locally
        // administered one, which the stack then answers for.
        const mac_address had = _caps.mac;
        rte_eth_random_addr(mac.addr_bytes);
        (void)rte_eth_dev_default_mac_addr_set(_port, &mac); // a port without a filter may refuse
        std::memcpy(_caps.mac.bytes.data(), mac.addr_bytes, RTE_ETHER_ADDR_LEN);
        log().info("dpdk port {}: the port's MAC {} is not a unicast address; using {}", _port, had.to_string(),
                   _caps.mac.to_string());
    }
    uint16_t mtu = cfg.mtu;
    if (rte_eth_dev_get_mtu(_port, &mtu) != 0) mtu = cfg.mtu;
    _caps.mtu = mtu;
    _max_frame = uint32_t(mtu) + RTE_ETHER_HDR_LEN + 4;
    _caps.rx_ipv4_checksum = _offloads.rx_ipv4;
    _caps.rx_l4_checksum = _offloads.rx_udp;
    _caps.tx_ipv4_checksum = _offloads.tx_ipv4;
    _caps.tx_l4_checksum = _offloads.tx_udp;
    _rx_good_mask = uint8_t((_caps.rx_ipv4_checksum ? checksum_bit::ipv4 : 0) |
                            (_caps.rx_l4_checksum ? checksum_bit::l4 : 0));
    _rx_offload = _rx_good_mask != 0;

    // An empty list tells whether the driver filters by an exact list at all.
    const int mc = rte_eth_dev_set_mc_addr_list(_port, nullptr, 0);
    _caps.multicast_filter = mc == 0;
    _mc_mode = mc == 0 ? dpdk_multicast_mode::exact_list : dpdk_multicast_mode::all_multicast;

    // Wait for the link, bounded: a NIC negotiates for a second or two; memif waits for its
    // peer, which may come later (the port then works once it does).
    const auto deadline = std::chrono::steady_clock::now() + cfg.link_wait;
    bool up = link_up();
    while (!up && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        up = link_up();
    }
    if (!up) ++_dpdk_stats.link_down_at_start;
    rte_eth_link link{};
    (void)rte_eth_link_get_nowait(_port, &link);

    log().info("dpdk port {} ({}, socket {}): MAC {}, MTU {}, link {}{}, rx/tx descriptors {}/{}, "
               "{} mbufs of {} bytes", _port, _driver, _socket, _caps.mac.to_string(), mtu,
               up ? "up" : "down", up ? " " + std::to_string(link.link_speed) + " Mb/s" : " (going on without it)",
               nb_rxd, nb_txd, cfg.mbufs, cfg.data_room);
    log().info("dpdk port {}: checksum offload: {}; multicast filter: {}", _port, _offloads.to_string(),
               _caps.multicast_filter ? "exact list" : "none in the driver (all-multicast fallback)");
    log().info("dpdk: polling on lcore {} (the EAL main lcore, pinned by the EAL)", rte_lcore_id());
    return {};
}

bool dpdk_device::link_up() {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(_port, &link) != 0) return false;
    return link.link_status == RTE_ETH_LINK_UP;
}

unsigned dpdk_device::mbufs_available() const { return _pool != nullptr ? rte_mempool_avail_count(_pool) : 0; }

unsigned dpdk_device::mbufs_total() const { return _pool != nullptr ? _pool->size : 0; }

dpdk_device::~dpdk_device() {
    if (auto r = close(); !r) log().error("{}", r.err().message);
}

result<void> dpdk_device::close() {
    if (!_eal) return {};
    if (_started) {
        if (int r = rte_eth_dev_stop(_port); r != 0)
            log().warn("dpdk port {}: rte_eth_dev_stop failed: {}", _port, rte_strerror(-r));
        _started = false;
    }
    if (_configured) {
        // Releases the queues, and with them the mbufs the driver held for receiving.
        if (int r = rte_eth_dev_close(_port); r != 0)
            log().warn("dpdk port {}: rte_eth_dev_close failed: {}", _port, rte_strerror(-r));
        _configured = false;
    }
    result<void> out;
    if (_pool != nullptr) {
        const unsigned in_use = rte_mempool_in_use_count(_pool);
        if (in_use == 0) {
            rte_mempool_free(_pool);
        } else {
            // Frames still held somewhere would be released into freed memory: keep the pool.
            out = port_error(errc::system, _port,
                             std::to_string(in_use) + " mbufs still held at close; the pool is kept");
        }
        _pool = nullptr;
    }
    log().info("dpdk port {}: closed (rx {} frames, tx {} frames, {} flagged with a bad checksum)", _port,
               _stats.rx_frames, _stats.tx_frames, _dpdk_stats.rx_checksum_flagged_bad);
    _eal.reset(); // the last holder cleans the EAL up
    return out;
}

result<void> dpdk_device::set_multicast_filter(std::span<const mac_address> groups) {
    if (_mc_mode == dpdk_multicast_mode::exact_list) {
        std::vector<rte_ether_addr> list(groups.size());
        for (size_t i = 0; i < groups.size(); ++i)
            std::memcpy(list[i].addr_bytes, groups[i].bytes.data(), RTE_ETHER_ADDR_LEN);
        const int r = rte_eth_dev_set_mc_addr_list(_port, list.data(), uint32_t(list.size()));
        if (r == 0) return {};
        if (r != -ENOTSUP && r != -EINVAL)
            return port_error(errc::system, _port, std::string("cannot set the multicast list: ") + rte_strerror(-r));
        // -EINVAL: more groups than the driver's list holds.
        log().warn("dpdk port {}: the driver takes no multicast list of {} groups ({}); falling back to "
                   "all-multicast", _port, groups.size(), rte_strerror(-r));
        _mc_fallback_logged = true;
        _mc_mode = dpdk_multicast_mode::all_multicast;
        _caps.multicast_filter = false;
    }
    if (_mc_mode == dpdk_multicast_mode::all_multicast) {
        const int r = groups.empty() ? rte_eth_allmulticast_disable(_port) : rte_eth_allmulticast_enable(_port);
        if (r == 0) {
            if (!_mc_fallback_logged && !groups.empty()) {
                log().info("dpdk port {} ({}): no exact multicast filter in the driver; all-multicast on "
                           "(the stack filters groups itself)", _port, _driver);
                _mc_fallback_logged = true;
            }
            return {};
        }
        if (r != -ENOTSUP)
            return port_error(errc::system, _port, std::string("cannot enable all-multicast: ") + rte_strerror(-r));
        log().info("dpdk port {} ({}): the driver has neither a multicast list nor all-multicast; it passes "
                   "every frame (the stack filters groups itself)", _port, _driver);
        _mc_mode = dpdk_multicast_mode::unfiltered;
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Data path
// ---------------------------------------------------------------------------------------------

inline void dpdk_device::fill_descriptor(rte_mbuf* m) {
    buf* b = new (rte_mbuf_to_priv(m)) buf{};
    b->base = static_cast<std::byte*>(m->buf_addr);
    b->room = m->buf_len;
    b->data_off = m->data_off;
    b->data_len = m->data_len;
    b->refcnt = 1;
    b->pool = &mbuf_owner();
    b->native = m;
    b->device_refcnt = &m->refcnt; // the NIC's hold after tx_burst shows in `packet::shared`
}

uint8_t dpdk_device::rx_checksums_good(uint64_t ol_flags) {
    uint8_t good = 0;
    if ((ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD) good |= checksum_bit::ipv4;
    if ((ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) good |= checksum_bit::l4;
    return good;
}

uint64_t dpdk_device::tx_offload_flags(const buf_offload& o) {
    if (o.tx_checksums == 0) return 0;
    uint64_t flags = RTE_MBUF_F_TX_IPV4;
    if ((o.tx_checksums & checksum_bit::ipv4) != 0) flags |= RTE_MBUF_F_TX_IP_CKSUM;
    if ((o.tx_checksums & checksum_bit::udp) != 0) flags |= RTE_MBUF_F_TX_UDP_CKSUM;
    if ((o.tx_checksums & checksum_bit::tcp) != 0) flags |= RTE_MBUF_F_TX_TCP_CKSUM;
    return flags;
}

/// Tells the NIC where the headers are and which sums to fill, as the stack recorded them
/// when it built the frame (it left the IPv4 header checksum zero and put the pseudo-header
/// sum in the UDP/TCP field of what it asks the NIC to complete).
inline void dpdk_device::set_tx_offload(rte_mbuf* m, const buf_offload& o) {
    m->ol_flags = tx_offload_flags(o);
    if (m->ol_flags != 0) {
        m->l2_len = o.l2_len;
        m->l3_len = o.l3_len;
        m->l4_len = o.l4_len;
        ++_dpdk_stats.tx_offload_frames;
    }
}

size_t dpdk_device::rx_burst(std::span<packet> out) {
    const auto want = uint16_t(std::min(out.size(), _burst.size()));
    if (want == 0 || _pool == nullptr) [[unlikely]]
        return 0;
    const uint16_t n = rte_eth_rx_burst(_port, 0, _burst.data(), want);
    size_t k = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = _burst[i];
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(_burst[i + 1], void*));
        if (m->nb_segs != 1 || m->pkt_len > _max_frame) [[unlikely]] {
            ++(m->nb_segs != 1 ? _dpdk_stats.drop_rx_multi_segment : _stats.rx_drop_oversize);
            rte_pktmbuf_free(m);
            continue;
        }
        if (m->pool != _pool && rte_pktmbuf_priv_size(m->pool) < sizeof(buf)) [[unlikely]] {
            ++_dpdk_stats.drop_rx_foreign_mbuf;
            rte_pktmbuf_free(m);
            continue;
        }
        if (rte_mbuf_refcnt_read(m) != 1) [[unlikely]] {
            // Still referenced elsewhere: a frame this process sent and still holds (net_ring
            // joins two ports in one process). Its private area holds a live descriptor, so
            // the frame is received in a fresh mbuf instead (the one copy on this path).
            const uint64_t rx_flags = m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
            rte_mbuf* copy = rte_pktmbuf_copy(m, _pool, 0, UINT32_MAX);
            rte_pktmbuf_free(m);
            if (copy == nullptr) {
                ++_stats.rx_drop_no_buffer;
                continue;
            }
            copy->ol_flags = rx_flags;
            ++_dpdk_stats.rx_copied_shared;
            m = copy;
        }
        fill_descriptor(m);
        if (_rx_offload) {
            // The NIC's verdicts: a sum it found good the stack does not check again; one it
            // found bad, or left unknown, the stack checks (and counts) itself.
            auto* b = static_cast<buf*>(rte_mbuf_to_priv(m));
            b->offload.rx_checksums_good = rx_checksums_good(m->ol_flags) & _rx_good_mask;
            if (rx_checksums_bad(m->ol_flags)) [[unlikely]]
                ++_dpdk_stats.rx_checksum_flagged_bad;
        }
        _stats.rx_bytes += m->data_len;
        out[k++] = packet{static_cast<buf*>(rte_mbuf_to_priv(m))};
    }
    _stats.rx_frames += k;
    return k;
}

size_t dpdk_device::tx_burst(std::span<packet> frames) {
    size_t done = 0;
    while (done < frames.size()) {
        const auto n = uint16_t(std::min(frames.size() - done, _burst.size()));
        for (uint16_t i = 0; i < n; ++i) {
            buf* b = frames[done + i].descriptor();
            auto* m = static_cast<rte_mbuf*>(b->native);
            m->data_off = uint16_t(b->data_off);
            m->data_len = uint16_t(b->data_len);
            m->pkt_len = b->data_len;
            set_tx_offload(m, b->offload);
            // A shared frame: the NIC gets a reference of its own before it can free one.
            if (b->refcnt > 1) rte_mbuf_refcnt_update(m, 1);
            _burst[i] = m;
        }
        const uint16_t sent = rte_eth_tx_burst(_port, 0, _burst.data(), n);
        for (uint16_t i = 0; i < n; ++i) {
            packet& p = frames[done + i];
            buf* b = p.descriptor();
            if (i < sent) {
                _stats.tx_bytes += b->data_len;
                (void)p.release();
                if (b->refcnt > 1) {
                    --b->refcnt; // the stack's other handles keep the mbuf; the NIC has its own
                    ++_dpdk_stats.tx_shared;
                } else {
                    b->refcnt = 0; // the NIC holds the only reference now
                }
            } else if (b->refcnt > 1) {
                rte_mbuf_refcnt_update(_burst[i], -1); // not taken: the NIC's reference goes back
            }
        }
        _stats.tx_frames += sent;
        done += sent;
        if (sent < n) [[unlikely]] {
            _stats.tx_drop_full += frames.size() - done;
            break;
        }
    }
    return done;
}

size_t dpdk_device::alloc_burst(std::span<packet> out) {
    auto n = unsigned(std::min(out.size(), _burst.size()));
    if (n == 0 || _pool == nullptr) [[unlikely]]
        return 0;
    if (rte_pktmbuf_alloc_bulk(_pool, _burst.data(), n) != 0) [[unlikely]] {
        // The bulk call is all or nothing: take what is left one by one.
        unsigned k = 0;
        while (k < n) {
            rte_mbuf* m = rte_pktmbuf_alloc(_pool);
            if (m == nullptr) break;
            _burst[k++] = m;
        }
        n = k;
        if (n == 0) {
            ++_dpdk_stats.alloc_failures;
            return 0;
        }
    }
    for (unsigned i = 0; i < n; ++i) {
        fill_descriptor(_burst[i]); // data_off is the pool's headroom, data_len 0
        out[i] = packet{static_cast<buf*>(rte_mbuf_to_priv(_burst[i]))};
    }
    return n;
}

} // namespace tachyon
