"""Loss recovery against the Linux kernel (issue 12): a request/response session as an order
gateway holds one, 64-byte messages one at a time from a kernel client to tachyon-echo, through
the user-space impairing relay (this kernel has no netem).

* Only the stack's frames are lost (2%): each lost response is found by the tail loss probe
  within a few milliseconds instead of the 200 ms retransmission timeout, so the 99th
  percentile of the response time stays far below it.
* 2% loss each way: every message comes back once, whole and in order (the kernel's own timers
  repair its lost requests: that part of the tail is the kernel's, not the stack's).
"""

import os

from conftest import run_json_tool
from lab import Lab

PORT = 7200
RR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "request_response.py")


def session(netns, echo_bin, start_program, tmp_path, relay_args, count, *echo_args):
    """tachyon-echo behind the relay; the kernel's client runs `count` exchanges. Returns the
    client's result, the stack's TCP counters and what the relay did."""
    lab = Lab(netns, "tap", impaired_by=(tmp_path, ["--reorder", 0, "--duplicate", 0, "--delay", 0,
                                                       *relay_args, "--seed", 5, "--max-seconds", 150]))
    e = start_program(echo_bin, lab, "--tcp-port", PORT, "--tcp-protocol", "echo", *echo_args)
    r = run_json_tool(netns, RR, "run", "--port", PORT, "--count", count, "--max-seconds", 100, timeout=130)
    s = e.stop()
    return r, s["tcp"], lab.relay_result()


def test_lost_responses_are_probed_in_milliseconds_not_after_the_rto(netns, echo_bin, start_program, tmp_path):
    # The kernel's client ACKs each response with its next request (no delayed ACK to wait
    # for): the probe needs no delayed-ACK allowance.
    r, tcp, relay = session(netns, echo_bin, start_program, tmp_path, ["--loss", 0, "--loss-to-kernel", 0.02],
                            1000, "--tcp-tlp-delayed-ack", 0)
    assert r["error"] is None and r["answered"] == 1000 and r["wrong"] == 0, r
    assert relay["lost_to_kernel"] >= 5, relay
    assert tcp["loss_probes"] >= 5, tcp
    # A lost probe falls back on the RTO (2% of 2%): allow a couple of those, not more.
    assert r["p99_ms"] < 50, r
    assert sum(v >= 150 for v in r["slowest_ms"]) <= 2, r
    print(f"responses lost at 2%: {r}; tcp {tcp}; relay {relay}")


def test_two_percent_loss_each_way_loses_no_message(netns, echo_bin, start_program, tmp_path):
    r, tcp, relay = session(netns, echo_bin, start_program, tmp_path, ["--loss", 0.02, "--loss-to-kernel", 0.02],
                            500, "--tcp-tlp-delayed-ack", 0)
    assert r["error"] is None and r["answered"] == 500 and r["wrong"] == 0, r
    assert relay["lost"] > 0 and relay["lost_to_kernel"] > 0, relay
    assert tcp["closed_normal"] == 1 and tcp["closed_reset"] == 0, tcp
    print(f"2% each way: {r}; tcp {tcp}; relay {relay}")
