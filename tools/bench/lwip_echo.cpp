/// tachyon-bench-lwip: Debian's lwIP (liblwip-dev, its raw API) as the echo server in the same
/// in-memory harness as `tachyon-bench mem-pingpong`, so that callgrind counts its instructions
/// per echo the same way: a prebuilt request frame is handed to the netif's input (the
/// "device" part: pbuf allocation and the copy into it, not collected), lwIP parses it and
/// answers (UDP: a raw-API receive callback that sends the same pbuf back with udp_sendto;
/// ICMP: lwIP's own echo reply; TCP: a raw-API connection, accepted from a handshake the
/// harness plays, whose receive callback writes every segment back with tcp_write (copy) and
/// tcp_output), and the reply reaches the netif's linkoutput (not collected).
///
///     valgrind --tool=callgrind --collect-atstart=no tachyon-bench-lwip --proto udp --count 2000
///
/// Debian builds lwIP with NO_SYS=0 and core locking (lwipopts.h): the raw API must be called
/// with the TCPIP core lock held, so the harness starts lwIP with tcpip_init (whose thread then
/// only waits for that lock) and holds the lock for the whole run. It also builds lwIP with
/// MEM_LIBC_MALLOC and MEMP_MEM_MALLOC: every pbuf and control block is a malloc.

extern "C" {
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
}

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tools/bench/callgrind.hpp"
#include "tools/bench/frames.hpp"

namespace {

using tachyon::ipv4_address;
using tachyon::mac_address;
using tachyon::bench::collect;
using tachyon::bench::g_callgrind;

const mac_address lwip_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const mac_address peer_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
uint64_t g_out = 0;
std::vector<uint8_t> g_last; // the last frame lwIP sent (TCP: the harness reads its seq and ack)
bool g_keep_last = false;

err_t link_output(struct netif*, struct pbuf* p) {
    const tachyon::bench::collection_paused paused;
    ++g_out;
    if (g_keep_last) {
        g_last.resize(p->tot_len);
        pbuf_copy_partial(p, g_last.data(), p->tot_len, 0);
    }
    return ERR_OK;
}

/// TCP echo: every received segment written back (copied: the pbuf is freed), sent at once.
err_t tcp_echo_recv(void*, struct tcp_pcb* pcb, struct pbuf* p, err_t) {
    if (p == nullptr) {
        tcp_close(pcb);
        return ERR_OK;
    }
    for (struct pbuf* q = p; q != nullptr; q = q->next) tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    tcp_output(pcb);
    return ERR_OK;
}

err_t tcp_echo_accept(void*, struct tcp_pcb* pcb, err_t) {
    tcp_nagle_disable(pcb);
    tcp_recv(pcb, tcp_echo_recv);
    return ERR_OK;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

err_t netif_setup(struct netif* n) {
    n->name[0] = 'b';
    n->name[1] = 'n';
    n->output = etharp_output;
    n->linkoutput = link_output;
    n->mtu = 1500;
    n->hwaddr_len = 6;
    std::memcpy(n->hwaddr, lwip_mac.bytes.data(), 6);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

void udp_echo(void*, struct udp_pcb* pcb, struct pbuf* p, const ip_addr_t* addr, u16_t port) {
    udp_sendto(pcb, p, addr, port);
    pbuf_free(p);
}

void inject(struct netif& nif, const std::vector<uint8_t>& frame, bool measured) {
    struct pbuf* p = pbuf_alloc(PBUF_RAW, u16_t(frame.size()), PBUF_POOL);
    if (p == nullptr) return;
    pbuf_take(p, frame.data(), u16_t(frame.size()));
    collect(measured);
    nif.input(p, &nif);
    collect(false);
}

} // namespace

int main(int argc, char** argv) {
    std::string proto = "udp";
    unsigned long count = 10000, warmup = 1000;
    size_t size = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--proto") proto = v;
        else if (k == "--count") count = std::stoul(v);
        else if (k == "--warmup") warmup = std::stoul(v);
        else if (k == "--size") size = std::stoul(v);
        else if (k == "--collect") g_callgrind = v != "none";
        else {
            std::fprintf(stderr, "usage: tachyon-bench-lwip [--proto udp|icmp|tcp] [--count N] [--warmup N] [--size B] "
                                 "[--collect server|none]\n");
            return 2;
        }
    }
    std::atomic<bool> ready{false};
    tcpip_init([](void* r) { static_cast<std::atomic<bool>*>(r)->store(true); }, &ready);
    while (!ready.load()) std::this_thread::yield();
    LOCK_TCPIP_CORE();

    static struct netif nif;
    ip4_addr_t addr, mask, gw;
    IP4_ADDR(&addr, 198, 18, 0, 2);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    netif_add(&nif, &addr, &mask, &gw, nullptr, netif_setup, ethernet_input);
    netif_set_default(&nif);
    netif_set_up(&nif);
    netif_set_link_up(&nif);

    struct udp_pcb* pcb = udp_new();
    udp_bind(pcb, IP_ANY_TYPE, 7000);
    udp_recv(pcb, udp_echo, nullptr);

    const ipv4_address me{198, 18, 0, 2}, peer{198, 18, 0, 1};
    // lwIP learns the peer's MAC from an ARP request for its own address (no static entries in
    // this build): one request first, outside the measurement.
    std::vector<uint8_t> arp(42, 0);
    std::memset(&arp[0], 0xff, 6);
    std::memcpy(&arp[6], peer_mac.bytes.data(), 6);
    arp[12] = 0x08, arp[13] = 0x06;
    const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    std::memcpy(&arp[14], arp_hdr, 8);
    std::memcpy(&arp[22], peer_mac.bytes.data(), 6);
    for (int i = 0; i < 4; ++i) arp[28 + i] = peer.octet(i), arp[38 + i] = me.octet(i);
    inject(nif, arp, false);

    if (proto == "tcp") {
        struct tcp_pcb* l = tcp_new();
        tcp_bind(l, IP_ANY_TYPE, 7000);
        l = tcp_listen(l);
        tcp_accept(l, tcp_echo_accept);
        g_keep_last = true;
        // The handshake, played by the harness: SYN, lwIP's SYN-ACK, ACK.
        using tachyon::bench::tcp_frame;
        uint32_t cseq = 1000;
        inject(nif, tcp_frame(peer_mac, lwip_mac, peer, me, 7001, 7000, cseq, 0, 0x02, 65535, 0), false);
        if (g_last.size() < 54 || g_last[47] != 0x12) {
            std::fprintf(stderr, "tachyon-bench-lwip: no SYN-ACK\n");
            return 1;
        }
        uint32_t sseq = be32(&g_last[38]) + 1;
        ++cseq;
        inject(nif, tcp_frame(peer_mac, lwip_mac, peer, me, 7001, 7000, cseq, sseq, 0x10, 65535, 0), false);
        const uint64_t before = g_out;
        uint64_t echoed = 0;
        for (unsigned long i = 0; i < warmup + count; ++i) {
            // Each request carries the ACK of the previous response (what a client with delayed
            // ACKs sends; the same as tachyon's client in mem-pingpong).
            const auto req = tcp_frame(peer_mac, lwip_mac, peer, me, 7001, 7000, cseq, sseq, 0x18, 65535, size, i);
            const uint64_t out = g_out;
            inject(nif, req, i >= warmup);
            if (g_out == out + 1 && g_last.size() >= 54) {
                const size_t len = g_last.size() - 14 - 20 - size_t(g_last[46] >> 4) * 4;
                if (len == size) ++echoed;
                sseq = be32(&g_last[38]) + uint32_t(len);
            }
            cseq += uint32_t(size);
        }
        std::printf("{\"mode\": \"lwip-echo\", \"proto\": \"tcp\", \"requests\": %lu, \"replies\": %llu, "
                    "\"echoed\": %llu}\n", warmup + count, (unsigned long long)(g_out - before),
                    (unsigned long long)echoed);
        std::fflush(stdout);
        UNLOCK_TCPIP_CORE();
        std::_Exit(echoed == warmup + count && g_out - before == warmup + count ? 0 : 1);
    }

    const auto frame = proto == "udp" ? tachyon::bench::udp_frame_template(peer_mac, lwip_mac, peer, me, 7001, 7000, size)
                                      : tachyon::bench::icmp_echo_template(peer_mac, lwip_mac, peer, me, 0x7ac7, 1, size);
    const uint64_t before = g_out;
    for (unsigned long i = 0; i < warmup + count; ++i) inject(nif, frame, i >= warmup);
    const uint64_t replies = g_out - before;
    std::printf("{\"mode\": \"lwip-echo\", \"proto\": \"%s\", \"requests\": %lu, \"replies\": %llu}\n", proto.c_str(),
                warmup + count, (unsigned long long)replies);
    std::fflush(stdout);
    UNLOCK_TCPIP_CORE();
    std::_Exit(replies == warmup + count ? 0 : 1);
}
