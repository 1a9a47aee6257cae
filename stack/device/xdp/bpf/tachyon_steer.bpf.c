// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP steering program of the AF_XDP device. It runs in the NIC driver (native attach) or
 * in the kernel's generic receive path (skb attach), before the kernel's stack, on every frame
 * of the interface, and redirects into the AF_XDP socket of the frame's receive queue only
 * what belongs to the tachyon stack:
 *
 *   - ARP (RFC 826) whose target protocol address is the stack's: requests for it and replies
 *     to it;
 *   - IPv4 (RFC 791) whose destination is the stack's address, whatever the protocol;
 *   - IPv4 multicast (RFC 1112 section 6.4) whose destination MAC is a group the stack joined
 *     (the device keeps tachyon_groups in step with the stack's multicast filter);
 *   - IGMP to 224.0.0.1 (general queries, RFC 3376 section 4.1.12) while the stack has groups.
 *
 * Everything else goes on to the kernel (XDP_PASS), so SSH, the kernel's own sockets and
 * tcpdump keep working on the same port: IPv6, VLAN-tagged frames, other addresses, frames
 * too short to read. A queue whose socket is gone also passes (bpf_redirect_map's fallback).
 *
 * Loaded through libxdp, so it shares the interface with other XDP programs (its dispatcher
 * runs the next program when this one passes). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>

#include "../steering_abi.h"

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u32);
} tachyon_xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct tachyon_xdp_config);
} tachyon_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, tachyon_xdp_group_key);
    __type(value, __u8);
} tachyon_groups SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, TACHYON_XDP_REASONS);
    __type(key, __u32);
    __type(value, __u64);
} tachyon_verdicts SEC(".maps");

/* Runs before programs of the default priority (50); passes on to the next program. */
struct {
    __uint(priority, 20);
    __uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(tachyon_steer);

static __always_inline void count(__u32 reason)
{
    __u64 *n = bpf_map_lookup_elem(&tachyon_verdicts, &reason);
    if (n)
        *n += 1;
}

static __always_inline int pass(__u32 reason)
{
    count(reason);
    return XDP_PASS;
}

static __always_inline int steer(struct xdp_md *ctx, __u32 reason)
{
    count(reason);
    return bpf_redirect_map(&tachyon_xsks, ctx->rx_queue_index, XDP_PASS);
}

static __always_inline __u32 load32(const __u8 *p)
{
    __u32 v;
    __builtin_memcpy(&v, p, 4);
    return v; /* network byte order, compared with the configured address as is */
}

SEC("xdp")
int tachyon_steer(struct xdp_md *ctx)
{
    const __u8 *data = (const __u8 *)(long)ctx->data;
    const __u8 *end = (const __u8 *)(long)ctx->data_end;
    __u32 zero = 0;
    const struct tachyon_xdp_config *cfg = bpf_map_lookup_elem(&tachyon_config, &zero);
    if (!cfg || cfg->ipv4 == 0)
        return pass(TACHYON_XDP_PASS_UNCONFIGURED);
    if (data + ETH_HLEN > end)
        return pass(TACHYON_XDP_PASS_TRUNCATED);
    const __u16 type = (__u16)(data[12] << 8 | data[13]);
    const __u8 *l3 = data + ETH_HLEN;

    if (type == ETH_P_ARP) {
        /* RFC 826 for IPv4 over Ethernet: htype 1, ptype 0x0800, hlen 6, plen 4; the target
         * protocol address is the last field, 24 bytes in. */
        if (l3 + 28 > end)
            return pass(TACHYON_XDP_PASS_TRUNCATED);
        if (l3[0] != 0 || l3[1] != 1 || l3[2] != 0x08 || l3[3] != 0x00 || l3[4] != 6 || l3[5] != 4)
            return pass(TACHYON_XDP_PASS_NOT_OURS);
        if (load32(l3 + 24) == cfg->ipv4)
            return steer(ctx, TACHYON_XDP_ARP_FOR_US);
        return pass(TACHYON_XDP_PASS_NOT_OURS);
    }
    if (type != ETH_P_IP)
        return pass(TACHYON_XDP_PASS_OTHER_TYPE); /* IPv6, 802.1Q/802.1ad tags, LLDP, ... */

    /* IPv4: the fixed 20 bytes must be there to read the destination; anything else wrong
     * with the header is the stack's to find and count. */
    if (l3 + 20 > end)
        return pass(TACHYON_XDP_PASS_TRUNCATED);
    if ((l3[0] >> 4) != 4)
        return pass(TACHYON_XDP_PASS_NOT_OURS);
    const __u32 dst = load32(l3 + 16);
    if (dst == cfg->ipv4)
        return steer(ctx, TACHYON_XDP_IPV4_FOR_US);
    if ((l3[16] & 0xf0) != 0xe0 || (data[0] & 1) == 0)
        return pass(TACHYON_XDP_PASS_NOT_OURS); /* not class D, or not to a group MAC */
    /* 224.0.0.1, all systems: only IGMP, and only while the stack has groups to report. */
    if (l3[16] == 224 && l3[17] == 0 && l3[18] == 0 && l3[19] == 1) {
        if (l3[9] == 2 && (cfg->flags & TACHYON_XDP_IGMP_QUERIES))
            return steer(ctx, TACHYON_XDP_IGMP_QUERY);
        return pass(TACHYON_XDP_PASS_NOT_OURS);
    }
    tachyon_xdp_group_key key = 0;
    __builtin_memcpy(&key, data, 6);
    if (bpf_map_lookup_elem(&tachyon_groups, &key))
        return steer(ctx, TACHYON_XDP_MULTICAST_JOINED);
    return pass(TACHYON_XDP_PASS_NOT_OURS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
