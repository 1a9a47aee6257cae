"""10,000 malformed frames from the kernel's side: every one is counted under its drop reason,
the stack keeps answering pings, and it exits cleanly."""

import json

from conftest import HELPERS, PYTHON, drops, ping

COUNT = 10_000


def test_malformed_frames_are_counted_and_survived(netns, echo):
    # A ping first: the stack is up, and the kernel knows its MAC.
    assert ping(netns, 3).returncode == 0
    stack_mac = echo.mac or netns.ip_json("neigh", "show", "198.18.0.2", "dev", echo.tap)[0]["lladdr"]
    kernel_mac = netns.link_mac(echo.tap)

    # Baseline from the periodically written stats (after the pings above were counted).
    before = echo.wait_stats(lambda s: s["icmp"]["rx_echo_requests"] >= 3)
    tap_before = netns.ip_json("-s", "link", "show", "dev", echo.tap)[0]["stats64"]

    r = netns.run([PYTHON, HELPERS / "send_malformed.py", "--iface", echo.tap,
                   "--dst-mac", stack_mac, "--src-mac", kernel_mac, "--count", COUNT,
                   "--max-seconds", 60], timeout=180)
    report = json.loads(r.stdout)
    assert report["sent"] == COUNT, report
    expected = report["counters"]

    # Wait until the stack has read every frame we sent (the kernel adds a few of its own, ARP).
    rx0 = before["ethernet"]["rx_frames"]
    echo.wait_stats(lambda s: s["ethernet"]["rx_frames"] >= rx0 + COUNT, timeout=30)
    tap_after = netns.ip_json("-s", "link", "show", "dev", echo.tap)[0]["stats64"]
    assert tap_after["tx"]["dropped"] == tap_before["tx"]["dropped"], \
        f"the TAP queue overflowed: {tap_before['tx']} -> {tap_after['tx']}"

    # Still answering.
    r = ping(netns, 20, interval=0.01)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout

    after = echo.stop()
    d0, d1 = drops(before), drops(after)
    missing = sorted(set(expected) - set(d1))
    assert not missing, f"counters missing from the stats JSON: {missing}"
    delta = {k: d1[k] - d0.get(k, 0) for k in d1}
    wrong = {k: (delta[k], expected.get(k, 0)) for k in delta if delta[k] != expected.get(k, 0)}
    assert not wrong, ("drop counters (grew by, expected):\n" +
                       "\n".join(f"  {k}: {v}" for k, v in sorted(wrong.items())) +
                       f"\nsent by kind: {report['by_kind']}")
    assert sum(delta.values()) == COUNT
