"""IGMP as the kernel's side of the TAP sees it (tshark), with tachyon-mcast recv joining and
leaving (SIGUSR1 makes it leave every group and keep running). The tests taking `backend` run on
the TAP backend; those marked every_backend also on DPDK's net_tap and AF_XDP (conftest.py); on
net_tap the TAP appears only when the program starts, so tshark captures on every interface of the
namespace (see Lab.capture_device):

  * v3 state-change reports on join and on leave (RFC 3376 §5.1), any-source and source-specific;
  * a v3 general query answered within its maximum response time (§5.2), a group-specific query
    answered for that group only;
  * after a v2 query, v2 reports and a v2 leave; after a v1 query, v1 reports and no leave
    (RFC 3376 §7.2.1, RFC 2236);
  * malformed IGMP counted under its drop counter, the stack still answering;
  * a Linux bridge with multicast snooping (what a switch does): its mdb lists the group on the
    stack's port after the join, forwards the group there, and prunes it after the leave.
"""

import json
import signal
import time

import pytest

from conftest import KERNEL_IP, OTHER_KERNEL_IP, PREFIX, STACK_IP, drops, ping, unique
from mcast_helpers import IgmpCapture, from_stack, run_kernel

PORT = 31001
V3_REPORT, V2_REPORT, V1_REPORT, V2_LEAVE, QUERY = 0x22, 0x16, 0x12, 0x17, 0x11
IS_EX, TO_IN, TO_EX, ALLOW, BLOCK = 2, 3, 4, 5, 6
# Scheduling slack on a loaded box for "within the maximum response time": the deadline is the
# stack's, the timestamps are the kernel's (the same clock for query and answer).
SLACK = 0.5


def records_of(frames, rec_type, group):
    return [f for f in from_stack(frames) if f["type"] == V3_REPORT and (rec_type, group) in f["records"]]


def start_capture(netns, lab, tmp_path, name="igmp"):
    return IgmpCapture(netns, lab.capture_device(), tmp_path / f"{name}.pcap")


def join_and_settle(start_mcast, lab, cap, groups, *extra, rec_type=TO_EX):
    """Starts recv on `groups` and waits until both state-change transmissions (robustness 2)
    of every group were seen; returns the process."""
    args = [x for g in groups for x in ("--group", f"{g}:{PORT}")]
    recv = start_mcast("recv", *args, *extra, lab=lab, duration=90)
    frames = cap.wait_for(lambda fr: all(len(records_of(fr, rec_type, g)) >= 2 for g in groups), timeout=20)
    for g in groups:
        assert len(records_of(frames, rec_type, g)) >= 2, (g, frames, recv.log())
    return recv


def send_query(netns, lab, version, group=None, max_resp_ds=10):
    args = ["--iface", lab.tap, "--src-mac", lab.kernel_mac, "--version", version, "--max-resp-ds", max_resp_ds]
    if group:
        args += ["--group", group]
    return run_kernel(netns, "igmp-query", *args)


def query_frame(cap, after=0.0):
    frames = cap.wait_for(lambda fr: any(f["src"] == KERNEL_IP and f["type"] == QUERY and f["time"] > after
                                         for f in fr), timeout=10)
    qs = [f for f in frames if f["src"] == KERNEL_IP and f["type"] == QUERY and f["time"] > after]
    assert qs, frames
    return qs[-1]


@pytest.mark.every_backend
def test_v3_reports_on_join_and_leave(netns, backend, lab, start_mcast, tmp_path):
    g1, g2 = "239.2.0.1", "239.2.0.2"
    cap = start_capture(netns, lab, tmp_path)
    recv = join_and_settle(start_mcast, lab, cap, [g1, g2])
    joined_at = time.time()
    for f in from_stack(cap.frames()):
        assert f["version"] == 3 and f["type"] == V3_REPORT and f["dst"] == "224.0.0.22", f
    recv.proc.send_signal(signal.SIGUSR1)
    recv.wait_log(r"left every group")
    frames = cap.wait_for(lambda fr: all(len(records_of(fr, TO_IN, g)) >= 2 for g in (g1, g2)), timeout=20)
    for g in (g1, g2):
        leaves = records_of(frames, TO_IN, g)
        assert len(leaves) >= 2, (g, frames)
        assert all(f["saddrs"] == [] for f in leaves), leaves   # TO_IN({}): no sources
        assert all(f["time"] >= joined_at - 1 for f in leaves)
    # Nothing but v3 reports from the stack, all to 224.0.0.22.
    assert all(f["type"] == V3_REPORT and f["dst"] == "224.0.0.22" for f in from_stack(frames)), frames
    stats = recv.stop()
    assert stats["igmp"]["tx_v3_reports"] >= 8 and stats["igmp"]["tx_v2_reports"] == 0


def test_v3_source_specific_join_and_leave(netns, backend, lab, start_mcast, tmp_path):
    g = "239.2.1.1"
    cap = start_capture(netns, lab, tmp_path)
    recv = join_and_settle(start_mcast, lab, cap, [g], "--source", OTHER_KERNEL_IP, rec_type=ALLOW)
    allows = records_of(cap.frames(), ALLOW, g)
    assert all(f["saddrs"] == [OTHER_KERNEL_IP] for f in allows), allows
    recv.proc.send_signal(signal.SIGUSR1)
    recv.wait_log(r"left every group")
    frames = cap.wait_for(lambda fr: len(records_of(fr, BLOCK, g)) >= 2, timeout=20)
    blocks = records_of(frames, BLOCK, g)
    assert len(blocks) >= 2 and all(f["saddrs"] == [OTHER_KERNEL_IP] for f in blocks), frames
    assert not records_of(frames, TO_EX, g) and not records_of(frames, TO_IN, g), frames
    recv.stop()


@pytest.mark.every_backend
def test_general_query_answered_within_max_response_time(netns, backend, lab, start_mcast, tmp_path):
    g1, g2 = "239.2.2.1", "239.2.2.2"
    cap = start_capture(netns, lab, tmp_path)
    recv = join_and_settle(start_mcast, lab, cap, [g1, g2])
    time.sleep(1.2)  # past the unsolicited report interval: no state-change report still pending
    max_resp = 1.0
    delays = []
    for _ in range(3):
        send_query(netns, lab, 3, max_resp_ds=int(max_resp * 10))
        q = query_frame(cap, after=delays[-1][1] if delays else 0.0)
        frames = cap.wait_for(lambda fr: any(f["time"] > q["time"] and f["records"] for f in from_stack(fr)),
                              timeout=max_resp + 10)
        answers = [f for f in from_stack(frames) if f["time"] > q["time"]]
        assert answers, (q, frames, recv.log())
        a = answers[0]
        assert a["type"] == V3_REPORT and sorted(a["records"]) == [(IS_EX, g1), (IS_EX, g2)], a
        delays.append((a["time"] - q["time"], a["time"]))
        time.sleep(0.5)
    assert all(d <= max_resp + SLACK for d, _ in delays), delays
    stats = recv.stop()
    assert stats["igmp"]["rx_queries"] == 3, stats["igmp"]


def test_group_specific_query_answered_for_that_group_only(netns, backend, lab, start_mcast, tmp_path):
    g1, g2 = "239.2.3.1", "239.2.3.2"
    cap = start_capture(netns, lab, tmp_path)
    recv = join_and_settle(start_mcast, lab, cap, [g1, g2])
    time.sleep(1.2)
    send_query(netns, lab, 3, group=g1, max_resp_ds=10)
    q = query_frame(cap)
    assert q["dst"] == g1
    frames = cap.wait_for(lambda fr: any(f["time"] > q["time"] for f in from_stack(fr)), timeout=10)
    time.sleep(2.0)  # anything else the stack might send about g2
    frames = cap.frames()
    answers = [f for f in from_stack(frames) if f["time"] > q["time"]]
    assert len(answers) == 1, answers
    assert answers[0]["records"] == [(IS_EX, g1)], answers
    assert answers[0]["time"] - q["time"] <= 1.0 + SLACK, (q, answers)
    recv.stop()


def test_v2_query_switches_to_v2_reports_and_leave(netns, backend, lab, start_mcast, tmp_path):
    g = "239.2.4.1"
    cap = start_capture(netns, lab, tmp_path)
    recv = join_and_settle(start_mcast, lab, cap, [g])
    time.sleep(1.2)
    send_query(netns, lab, 2, max_resp_ds=10)
    q = query_frame(cap)
    assert q["version"] == 2, q
    frames = cap.wait_for(lambda fr: any(f["time"] > q["time"] for f in from_stack(fr)), timeout=10)
    answer = [f for f in from_stack(frames) if f["time"] > q["time"]][0]
    assert answer["type"] == V2_REPORT and answer["version"] == 2, answer
    assert answer["dst"] == g and answer["maddrs"] == [g], answer   # RFC 2236 §3: to the group
    assert answer["time"] - q["time"] <= 1.0 + SLACK, (q, answer)
    recv.proc.send_signal(signal.SIGUSR1)
    recv.wait_log(r"left every group")
    frames = cap.wait_for(lambda fr: any(f["type"] == V2_LEAVE for f in from_stack(fr)), timeout=10)
    leaves = [f for f in from_stack(frames) if f["type"] == V2_LEAVE]
    assert leaves and leaves[0]["dst"] == "224.0.0.2" and leaves[0]["maddrs"] == [g], frames
    time.sleep(1.0)
    after_query = [f for f in from_stack(cap.frames()) if f["time"] > q["time"]]
    assert all(f["type"] in (V2_REPORT, V2_LEAVE) for f in after_query), after_query
    assert sum(f["type"] == V2_LEAVE for f in after_query) == 1, after_query   # once (RFC 2236 §3)
    stats = recv.stop()
    assert stats["igmp"]["rx_v2_queries"] == 1 and stats["igmp"]["tx_leaves"] == 1, stats["igmp"]


def test_v1_query_switches_to_v1_reports(netns, backend, lab, start_mcast, tmp_path):
    g = "239.2.5.1"
    cap = start_capture(netns, lab, tmp_path)
    recv = join_and_settle(start_mcast, lab, cap, [g])
    time.sleep(1.2)
    send_query(netns, lab, 1)
    q = query_frame(cap)
    assert q["version"] == 1, q
    # A v1 query has no maximum response time: 10 s (RFC 2236 §4, RFC 1112).
    frames = cap.wait_for(lambda fr: any(f["time"] > q["time"] for f in from_stack(fr)), timeout=10 + 5)
    answer = [f for f in from_stack(frames) if f["time"] > q["time"]][0]
    assert answer["type"] == V1_REPORT and answer["version"] == 1 and answer["maddrs"] == [g], answer
    assert answer["time"] - q["time"] <= 10.0 + SLACK, (q, answer)
    recv.proc.send_signal(signal.SIGUSR1)
    recv.wait_log(r"left every group")
    time.sleep(2.0)
    after_query = [f for f in from_stack(cap.frames()) if f["time"] > q["time"]]
    assert all(f["type"] == V1_REPORT for f in after_query), after_query   # v1 has no leave
    recv.stop()


def test_malformed_igmp_counted_and_survived(netns, backend, lab, start_mcast, tmp_path):
    g = "239.2.6.1"
    count = 1200
    recv = start_mcast("recv", "--group", f"{g}:{PORT}", lab=lab, duration=120)
    assert ping(netns, 3).returncode == 0
    before = recv.wait_stats(lambda s: s["igmp"]["tx_v3_reports"] >= 2 and s["icmp"]["rx_echo_requests"] >= 3)
    time.sleep(1.2)
    before = recv.wait_stats(lambda s: True)
    stack_mac = netns.ip_json("neigh", "show", STACK_IP, "dev", lab.tap)[0]["lladdr"]
    report = run_kernel(netns, "malformed", "--protocol", "igmp", "--iface", lab.tap, "--dst-mac", stack_mac,
                        "--src-mac", lab.kernel_mac, "--count", count, timeout=180)
    assert report["sent"] == count, report
    rx0 = before["ethernet"]["rx_frames"]
    recv.wait_stats(lambda s: s["ethernet"]["rx_frames"] >= rx0 + count, timeout=30)
    assert lab.tap_stats()["tx"]["dropped"] == 0
    # Still answering: pings, and a general query.
    assert ping(netns, 10).returncode == 0
    send_query(netns, lab, 3, max_resp_ds=10)
    after = recv.wait_stats(lambda s: s["igmp"]["rx_queries"] > before["igmp"]["rx_queries"] and
                            s["igmp"]["tx_v3_reports"] > before["igmp"]["tx_v3_reports"], timeout=15)
    after = recv.stop()
    d0, d1 = drops(before), drops(after)
    delta = {k: d1[k] - d0.get(k, 0) for k in d1 if d1[k] != d0.get(k, 0)}
    assert delta == report["counters"], (delta, report)
    assert after["igmp"]["rx_queries"] - before["igmp"]["rx_queries"] == 1


def _mdb_ports(ns, bridge, group):
    out = ns.run(["bridge", "-j", "mdb", "show", "dev", bridge]).stdout
    data = json.loads(out) if out.strip() else []
    return sorted({e["port"] for d in data for e in d.get("mdb", []) if e.get("grp") == group})


def test_bridge_snooping_follows_join_and_leave(netns, netns2, start_mcast, tmp_path):
    """The real-switch check: a Linux bridge snooping IGMP (and querying, as a switch's querier
    would) between the stack's TAP and a veth to a second namespace with a kernel sender. The
    stack's port does not get unregistered multicast (mcast_flood off), so the group reaches it
    only while the mdb lists it there."""
    g = "239.2.7.1"
    br, tap, va, vb = unique("br"), unique("tm"), unique("va"), unique("vb")
    ns, far = netns, netns2
    ns.ip("link", "add", br, "type", "bridge", "mcast_snooping", "1", "mcast_igmp_version", "3",
          "mcast_last_member_interval", "50", "mcast_query_response_interval", "100")
    # A bridge that has just turned its querier on floods every group for one query response
    # interval before it trusts its mdb: 1 s once set above (set in the same command as the
    # querier, the default 10 s applies); the checks below start after that.
    ns.ip("link", "set", br, "type", "bridge", "mcast_querier", "1")
    querier_since = time.monotonic()
    ns.ip("tuntap", "add", "mode", "tap", "name", tap)
    ns.ip("link", "set", tap, "master", br)
    ns.ip("link", "add", va, "type", "veth", "peer", "name", vb)
    ns.ip("link", "set", vb, "netns", far.name)
    ns.ip("link", "set", va, "master", br)
    ns.ip("addr", "add", f"{KERNEL_IP}/{PREFIX}", "dev", br)
    for dev in (tap, va, br):
        ns.ip("link", "set", dev, "up")
    ns.run(["bridge", "link", "set", "dev", tap, "mcast_flood", "off"])
    far.ip("addr", "add", f"{OTHER_KERNEL_IP}/{PREFIX}", "dev", vb)
    far.ip("link", "set", vb, "up")
    far.ip("route", "add", "239.0.0.0/8", "dev", vb)

    recv = start_mcast("recv", "--group", f"{g}:{PORT}", tap=tap, duration=120)
    deadline = time.monotonic() + 20
    while tap not in _mdb_ports(ns, br, g) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _mdb_ports(ns, br, g) == [tap], ns.run(["bridge", "mdb", "show"]).stdout

    time.sleep(max(0.0, querier_since + 2.0 - time.monotonic()))
    n = 300
    before = recv.wait_stats(lambda s: True)
    sent = run_kernel(far, "kernel-send", "--dst", f"{g}:{PORT}", "--count", n, "--rate", 2000,
                      "--mc-if", OTHER_KERNEL_IP)
    assert sent["sent"] == n
    mid = recv.wait_stats(lambda s: s["udp"]["rx_datagrams"] - before["udp"]["rx_datagrams"] >= n, timeout=20)

    recv.proc.send_signal(signal.SIGUSR1)
    recv.wait_log(r"left every group")
    deadline = time.monotonic() + 30
    while _mdb_ports(ns, br, g) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _mdb_ports(ns, br, g) == [], ns.run(["bridge", "mdb", "show"]).stdout

    sent = run_kernel(far, "kernel-send", "--dst", f"{g}:{PORT}", "--count", n, "--rate", 2000,
                      "--mc-if", OTHER_KERNEL_IP)
    time.sleep(1.5)
    final = recv.stop()
    assert final["udp"]["rx_datagrams"] == mid["udp"]["rx_datagrams"], final["udp"]
    # Pruned at the bridge: the frames never reached the stack's port at all.
    assert final["ipv4"]["drop_not_joined"] - mid["ipv4"]["drop_not_joined"] < 5, (mid["ipv4"], final["ipv4"])
    rep = recv.report()["groups"][0]
    assert rep["received"] == n and rep["missing"] == 0, rep


def test_leave_during_join_retransmissions_is_reported(netns, backend, lab, start_mcast, tmp_path):
    """RFC 3376 §5.1: a change while the previous change's retransmissions are pending triggers
    a new State-Change Report for the new change. Joined then left within the unsolicited report
    interval (1 s): the router saw TO_EX for the group, so it must now see TO_IN({}), or it keeps
    forwarding the group to us until its membership times out (260 s)."""
    g = "239.2.8.1"
    cap = start_capture(netns, lab, tmp_path)
    if lab.is_xdp:  # AF_XDP answers with the interface's own MAC: give it the fixed one
        netns.ip("link", "set", lab.near, "address", "02:54:43:00:00:01")
    recv = start_mcast("recv", "--group", f"{g}:{PORT}", "--leave-after", "0.05",
                       "--mac", "02:54:43:00:00:01", lab=lab, duration=60)  # a fixed MAC: a fixed IGMP delay seed
    recv.wait_log(r"left every group")
    frames = cap.wait_for(lambda fr: records_of(fr, TO_EX, g) and records_of(fr, TO_IN, g), timeout=5)
    assert records_of(frames, TO_EX, g), frames   # the join was reported...
    assert records_of(frames, TO_IN, g), (        # ...so the leave must be too
        "joined, reported TO_EX, left before the second transmission: no TO_IN({}) was sent:\n" +
        "\n".join(str(f) for f in from_stack(frames)))
    recv.stop()
