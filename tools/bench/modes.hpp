#pragma once
/// The modes of tachyon-bench, one entry point each (main.cpp's table dispatches to them). Every
/// mode prints one JSON object on stdout and a human summary on stderr, and returns the exit code.

#include "tools/bench/harness.hpp"
#include "tools/bench/pingpong.hpp"

namespace tachyon::bench {

#ifdef TACHYON_HAVE_DPDK
/// raw-pingpong --role server: bounces L2 frames back over a DPDK port with no stack (raw_pingpong.cpp).
int raw_server(const bench_options& o);
/// raw-pingpong --role client: the floor's round trips of raw L2 frames (raw_pingpong.cpp).
int raw_client(const bench_options& o);
/// blast: raw DPDK sender of pre-built UDP frames, for the receive rates (raw_rate.cpp).
int raw_blast(const bench_options& o);
/// rx-drop: raw DPDK receive-and-drop, frames per second over the window (raw_rate.cpp).
int raw_drop(const bench_options& o);
#endif

/// stack-server: UDP and TCP echo on --port, ICMP echo by the stack (stack_server.cpp).
int stack_server(const bench_options& o);
/// udp-, icmp- and tcp-pingpong: a client stack against stack-server, closed or open loop
/// (stack_client.cpp).
int stack_client(const bench_options& o, proto p);
/// tcp-stream --role server: the sink, bytes and segments per second over its window (tcp_stream.cpp).
int tcp_stream_server(const bench_options& o);
/// tcp-stream --role client: keeps the send buffer full with whole segments (tcp_stream.cpp).
int tcp_stream_client(const bench_options& o);
/// udp-rx: the stack receiving datagrams into a counting callback (udp_rx.cpp).
int stack_rx(const bench_options& o);
/// mem-pingpong: two stacks over the in-process memory link, for callgrind (mem_pingpong.cpp).
int mem_pingpong(const bench_options& o);
/// mem-mcast-rx: multicast datagrams received over the memory link, for callgrind (mem_mcast_rx.cpp).
int mem_mcast_rx(const bench_options& o);
/// jitter: the machine's own noise, as gaps in a busy loop reading the clock (self_checks.cpp).
int jitter(const bench_options& o);
/// selftest-counters: proves the allocation and system-call counters count (self_checks.cpp).
int selftest_counters(const bench_options& o);

} // namespace tachyon::bench
