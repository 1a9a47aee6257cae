"""--pcap writes pcapng that tshark reads: the direction of every frame, nanosecond times from
the stack's clock, --pcap-snaplen, --pcap-rotate into files that each open, --pcap-format pcap,
and clear refusals of bad values."""

import subprocess
import time

import pytest

from conftest import KERNEL_IP, STACK_IP, ping

INBOUND, OUTBOUND = 1, 2


def tshark(*args, timeout=60):
    return subprocess.run(["tshark", "-n", *args], capture_output=True, text=True, timeout=timeout)


def assert_reads_cleanly(path):
    """tshark reads the whole file, and no frame in it is malformed."""
    r = tshark("-r", path)
    assert r.returncode == 0, r.stderr
    assert "cut short" not in r.stderr and "isn't a capture file" not in r.stderr, r.stderr
    r = tshark("-r", path, "-Y", "_ws.malformed || _ws.expert.severity >= error")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"malformed frames in {path}:\n{r.stdout}"


def frames(path, *fields):
    """One tuple of `fields` per frame."""
    args = []
    for f in fields:
        args += ["-e", f]
    r = tshark("-r", path, "-T", "fields", "-E", "separator=;", *args)
    assert r.returncode == 0, r.stderr
    return [tuple(line.split(";")) for line in r.stdout.splitlines()]


def capinfos(path):
    """capinfos' report: file type, the interface's capture length and time precision."""
    r = subprocess.run(["capinfos", "-M", path], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def ping_through(netns, start_echo, pcap, *args, count=20, size=56, interval=0.01):
    e = start_echo("--pcap", pcap, *args)
    netns.configure_kernel_side(e.tap)
    r = ping(netns, count, interval=interval, size=size)
    assert r.returncode == 0 and f"{count} received" in r.stdout, r.stdout + r.stderr
    return e.stop()


def test_every_frame_has_its_direction_and_the_stacks_time(netns, start_echo, tmp_path):
    pcap = tmp_path / "echo.pcapng"
    started = time.time()
    ping_through(netns, start_echo, pcap)
    info = capinfos(pcap)
    assert "File type:           pcapng" in info, info
    assert "Time precision = nanoseconds (9)" in info, info
    assert "Capture application: tachyon" in info, info
    assert "Capture length = 0" in info, "the whole frame by default (0: no limit)\n" + info
    assert_reads_cleanly(pcap)

    rows = frames(pcap, "frame.packet_flags_direction", "frame.time_epoch", "icmp.type", "arp.opcode")
    assert len(rows) >= 42, rows  # 20 requests, 20 replies, ARP both ways
    dirs = [int(d, 0) if d else None for d, *_ in rows]
    assert None not in dirs, f"a frame without a direction: {rows}"
    assert set(dirs) == {INBOUND, OUTBOUND}, dirs
    for d, _, icmp, arp in rows:
        if icmp == "8":
            assert int(d, 0) == INBOUND, rows   # the kernel's echo request, received
        if icmp == "0":
            assert int(d, 0) == OUTBOUND, rows  # our reply
    assert sum(1 for r in rows if r[2] == "8") == 20 and sum(1 for r in rows if r[2] == "0") == 20, rows
    assert any(r[3] == "1" for r in rows) and any(r[3] == "2" for r in rows), "ARP both ways"

    # Nanosecond times on the wall clock, in the order the stack saw the frames (receive
    # times and hand-over times come from the same monotonic clock).
    times = [r[1] for r in rows]
    assert all(len(t.split(".")[1]) == 9 for t in times), times[:3]
    stamps = [int(t.replace(".", "")) for t in times]
    assert stamps == sorted(stamps), "times go backwards"
    assert abs(stamps[0] / 1e9 - started) < 60, (times[0], started)


def test_snaplen_cuts_frames_and_is_declared(netns, start_echo, tmp_path):
    pcap = tmp_path / "snap.pcapng"
    ping_through(netns, start_echo, pcap, "--pcap-snaplen", "64", count=5, size=1000)
    assert_reads_cleanly(pcap)
    rows = frames(pcap, "frame.cap_len", "frame.len", "frame.packet_flags_direction")
    big = [r for r in rows if int(r[1]) == 1042]  # 14 + 20 + 8 + 1000
    assert len(big) == 10, rows
    assert all(r[0] == "64" for r in big), rows
    assert all(int(r[0]) == int(r[1]) for r in rows if int(r[1]) <= 64), rows
    assert "Capture length = 64" in capinfos(pcap), capinfos(pcap)


def test_rotation_makes_files_that_each_open(netns, start_echo, tmp_path):
    pcap = tmp_path / "rot.pcapng"
    limit = 50_000
    stats = ping_through(netns, start_echo, pcap, "--pcap-rotate", "0.05", count=60, size=1400, interval=0.005)
    files = [pcap] + sorted(tmp_path.glob("rot.pcapng.*"), key=lambda p: int(p.suffix[1:]))
    assert len(files) >= 3, files
    assert [p.name for p in files[1:]] == [f"rot.pcapng.{i}" for i in range(1, len(files))], files
    assert stats["pcap"]["files"] == len(files), stats["pcap"]
    assert stats["pcap"]["write_failed"] == 0, stats["pcap"]
    requests = recorded = 0
    for p in files:
        assert p.stat().st_size <= limit, (p, p.stat().st_size)
        assert "File type:           pcapng" in capinfos(p), capinfos(p)
        assert_reads_cleanly(p)
        rows = frames(p, "frame.packet_flags_direction", "icmp.type")
        assert rows and all(d for d, _ in rows), (p, rows)
        requests += sum(1 for d, t in rows if t == "8" and int(d, 0) == INBOUND)
        recorded += len(rows)
    assert requests == 60, "every request is in exactly one file"
    assert recorded == stats["pcap"]["frames"], (recorded, stats["pcap"])


def test_classic_pcap_stays_available(netns, start_echo, tmp_path):
    pcap = tmp_path / "classic.pcap"
    ping_through(netns, start_echo, pcap, "--pcap-format", "pcap", count=5)
    assert pcap.read_bytes()[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"), "nanosecond pcap magic"
    assert_reads_cleanly(pcap)
    rows = frames(pcap, "icmp.type", "ip.src")
    assert sum(1 for t, src in rows if t == "8" and src == KERNEL_IP) == 5, rows
    assert sum(1 for t, src in rows if t == "0" and src == STACK_IP) == 5, rows


@pytest.mark.parametrize("flag,value", [("--pcap-format", "pcapx"), ("--pcap-snaplen", "300000"),
                                        ("--pcap-snaplen", "-1"), ("--pcap-rotate", "0"),
                                        ("--pcap-rotate", "ten")])
def test_bad_values_are_refused_by_name(netns, echo_bin, tmp_path, flag, value):
    r = netns.run([echo_bin, "--ip", f"{STACK_IP}/24", "--tap", "tpbad0", "--pcap", tmp_path / "x.pcapng",
                   flag, value, "--duration", "1"], timeout=10, check=False)
    assert r.returncode != 0, r.stdout + r.stderr
    assert f"{flag} {value}:" in r.stderr, r.stderr


def test_capture_flags_need_a_file(netns, echo_bin):
    r = netns.run([echo_bin, "--ip", f"{STACK_IP}/24", "--tap", "tpbad0", "--pcap-rotate", "5",
                   "--duration", "1"], timeout=10, check=False)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "--pcap-rotate needs --pcap FILE" in r.stderr, r.stderr
