"""tachyon-echo's command line: --help, and clear refusals of bad or missing addresses."""

import pytest

from conftest import unique

FLAGS = ["--backend", "--tap", "--ip", "--gateway", "--arp", "--pcap", "--stats", "--log-level"]


def run_echo(netns, echo_bin, *args, timeout=10):
    return netns.run([echo_bin, *args], timeout=timeout, check=False)


def test_help_lists_the_flags(netns, echo_bin):
    r = run_echo(netns, echo_bin, "--help")
    assert r.returncode == 0, r.stderr
    text = r.stdout + r.stderr
    missing = [f for f in FLAGS if f not in text]
    assert not missing, f"--help does not mention {missing}:\n{text}"


def test_missing_ip_refused(netns, echo_bin):
    r = run_echo(netns, echo_bin, "--backend", "tap", "--tap", unique("tt"), "--duration", "5")
    assert r.returncode != 0, r.stdout + r.stderr
    assert "--ip" in r.stderr, r.stderr


@pytest.mark.parametrize("bad", ["198.18.0.300/24", "198.18.0.2/33", "198.18.0/24", "foo",
                                 "198.18.0.2/x", ""])
def test_malformed_ip_refused(netns, echo_bin, bad):
    r = run_echo(netns, echo_bin, "--backend", "tap", "--tap", unique("tt"), "--ip", bad,
                 "--duration", "5")
    assert r.returncode != 0, r.stdout + r.stderr
    assert "--ip" in r.stderr or "ip" in r.stderr.lower(), r.stderr
    # Nothing was left behind: the refused run created no TAP.
    assert netns.ip_json("link", "show", "type", "tun") == [], "a refused run left a TAP"


def test_unknown_flag_refused(netns, echo_bin):
    r = run_echo(netns, echo_bin, "--ip", "198.18.0.2/24", "--no-such-flag")
    assert r.returncode != 0
    assert "--no-such-flag" in r.stderr, r.stderr
