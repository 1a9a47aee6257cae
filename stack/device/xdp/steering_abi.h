/* The contract between the XDP steering program (bpf/tachyon_steer.bpf.c) and the AF_XDP device
 * that loads it (steering.cpp): the layout of its maps' keys and values. Plain C, so that both
 * clang -target bpf and the C++ compiler read the same definitions. */
#ifndef TACHYON_XDP_STEERING_ABI_H
#define TACHYON_XDP_STEERING_ABI_H

#include <linux/types.h>

/* The program's name: how a run of ours finds a program an earlier run left on an interface. */
#define TACHYON_XDP_PROG_NAME "tachyon_steer"

/* tachyon_config[0] flag: IGMP to 224.0.0.1 (general queries) goes to the stack. Set while
 * the stack has joined groups (RFC 3376 section 5.2: it must answer them). */
#define TACHYON_XDP_IGMP_QUERIES 1u

/* The one value of the tachyon_config array. */
struct tachyon_xdp_config {
    __u32 ipv4;      /* the stack's address, network byte order; 0: steer nothing */
    __u32 queue;     /* the receive queue the stack's socket is bound to */
    __u32 owner_pid; /* the process that attached the program (stale-program detection) */
    __u32 flags;     /* TACHYON_XDP_* */
};

/* Why the program decided what it did: indexes of the per-CPU tachyon_verdicts counters. */
enum tachyon_xdp_reason {
    TACHYON_XDP_ARP_FOR_US = 0,    /* redirected: ARP whose target address is ours */
    TACHYON_XDP_IPV4_FOR_US,       /* redirected: IPv4 to our address */
    TACHYON_XDP_MULTICAST_JOINED,  /* redirected: IPv4 multicast to a group MAC we joined */
    TACHYON_XDP_IGMP_QUERY,        /* redirected: IGMP to 224.0.0.1 while we have groups */
    TACHYON_XDP_PASS_NOT_OURS,     /* passed: ARP, IPv4 or multicast for someone else */
    TACHYON_XDP_PASS_OTHER_TYPE,   /* passed: not ARP or IPv4 (IPv6, VLAN-tagged, LLDP...) */
    TACHYON_XDP_PASS_TRUNCATED,    /* passed: too short to read the header we decide on */
    TACHYON_XDP_PASS_UNCONFIGURED, /* passed: no address configured yet */
    TACHYON_XDP_REASONS
};

/* The group map's key: a multicast MAC address in its first six bytes, the rest zero. */
typedef __u64 tachyon_xdp_group_key;

#endif
