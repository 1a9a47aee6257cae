"""What every part of the benchmark driver shares: paths, addresses, the failure type, and reading
the one JSON line each tachyon-bench run prints."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SKIP = 77
EAL = "--no-huge -m 512 --no-pci --no-telemetry"
MAC_C, MAC_S = "02:00:00:00:00:01", "02:00:00:00:00:02"
IP_C, IP_S = "198.18.0.1", "198.18.0.2"
GROUP = "239.18.0.1"
WINDOW_CLOSED = "stack server: window closed"


class Failure(Exception):
    """A step of the run failed; the message says which and why."""


# Every measured phase on the DPDK path (clients, servers, receivers): the zero-allocation and
# zero-system-call target covers them all.
DPDK_KEYS = ("raw", "raw_server", "udp", "icmp", "udp_open", "udp_server", "icmp_server", "udp_open_server",
             "rx_stack_mcast", "rx_stack_ucast", "rx_raw_mcast", "tcp", "tcp_server", "tcp_dack", "tcp_dack_server",
             "tcp_open", "tcp_open_server", "tcp_stream", "tcp_stream_client")


def last_json(text):
    """The last JSON object line of a tachyon-bench run's output (None when there is none)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    return None
