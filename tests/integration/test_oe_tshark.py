"""tshark as the independent decoder of the order-entry codecs (apps/oe): tachyon-oe-sample
prints a scripted SoupBinTCP 3.00 / OUCH 4.2 exchange, every byte written by our emit (every
SoupBinTCP packet type; every OUCH message type we decode; a packet split across two segments,
two packets in one); this test wraps the segments in TCP frames (scapy), writes a pcap and reads
it back with tshark's soupbintcp and ouch dissectors: no malformed frame, no warning, the
packet and message types of each frame equal the script's, and field values land where
tshark's dissectors look for them.

Nothing touches the network: the frames only go to a file (addresses from 198.18.0.0/15)."""

import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PORT = 15000
CLIENT_IP, SERVER_IP = "198.18.0.2", "198.18.0.1"
SEVERITY_WARN = 0x00600000  # epan's PI_WARN: chat (0x002...) and note (0x004...) are fine


@pytest.fixture(scope="module")
def sample(pytestconfig):
    d = pytestconfig.getoption("--bin-dir")
    exe = (Path(d) if d else HERE.parents[1] / "build" / "release" / "apps") / "tachyon-oe-sample"
    if not exe.is_file():
        pytest.fail(f"{exe} is missing: build first (cmake --build build/release --target tachyon-oe-sample)")
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30, check=True).stdout
    segments = []
    for line in out.splitlines():
        conn, direction, hexbytes, labels = line.split()
        segments.append((int(conn), direction, bytes.fromhex(hexbytes), [] if labels == "-" else labels.split(",")))
    return segments


def write_pcap(segments, path):
    """Each connection: a three-way handshake, then one frame per segment with consecutive
    sequence numbers. Returns, per segment, its frame number (1-based)."""
    from scapy.all import Ether, IP, TCP, Raw, wrpcap
    frames, numbers, conns = [], [], {}
    for conn, direction, data, _ in segments:
        if conn not in conns:
            c = {"port": 40000 + conn, "cseq": 1000, "sseq": 5000,
                 "c": Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=CLIENT_IP, dst=SERVER_IP),
                 "s": Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src=SERVER_IP, dst=CLIENT_IP)}
            conns[conn] = c
            frames += [c["c"] / TCP(sport=c["port"], dport=PORT, flags="S", seq=c["cseq"] - 1),
                       c["s"] / TCP(sport=PORT, dport=c["port"], flags="SA", seq=c["sseq"] - 1, ack=c["cseq"]),
                       c["c"] / TCP(sport=c["port"], dport=PORT, flags="A", seq=c["cseq"], ack=c["sseq"])]
        c = conns[conn]
        if direction == "c":
            tcp = TCP(sport=c["port"], dport=PORT, flags="PA", seq=c["cseq"], ack=c["sseq"])
            frames.append(c["c"] / tcp / Raw(data))
            c["cseq"] += len(data)
        else:
            tcp = TCP(sport=PORT, dport=c["port"], flags="PA", seq=c["sseq"], ack=c["cseq"])
            frames.append(c["s"] / tcp / Raw(data))
            c["sseq"] += len(data)
        numbers.append(len(frames))
    wrpcap(str(path), frames)
    return numbers


FIELDS = ["frame.number", "soupbintcp.packet_type", "ouch.packet_type", "_ws.malformed", "_ws.expert.severity",
          "soupbintcp.username", "soupbintcp.session", "soupbintcp.reject_code", "soupbintcp.text",
          "ouch.order_token", "ouch.existing_order_token", "ouch.replacement_order_token",
          "ouch.previous_order_token", "ouch.shares", "ouch.price", "ouch.order_reference_number",
          "ouch.executed_shares", "ouch.match_number", "ouch.decrement_shares", "ouch.reject_reason",
          "ouch.event_code", "ouch.timestamp"]


def tshark_frames(pcap):
    """{frame number: {field: [values]}} as tshark's dissectors read the capture."""
    cmd = ["tshark", "-r", str(pcap), "-d", f"tcp.port=={PORT},soupbintcp", "-T", "fields",
           "-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    frames = {}
    for line in r.stdout.splitlines():
        cols = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        values = {f: ([v.strip("'") for v in c.split("|")] if c else []) for f, c in zip(FIELDS, cols)}
        frames[int(cols[0])] = values
    return frames


def labels_of(frame):
    """The script's labels for what tshark read in a frame: each SoupBinTCP packet type, with
    the next OUCH message type after a data packet."""
    ouch = iter(frame["ouch.packet_type"])
    return [t + (":" + next(ouch, "?") if t in ("S", "U") else "") for t in frame["soupbintcp.packet_type"]]


@pytest.fixture(scope="module")
def decoded(sample, tmp_path_factory):
    """The sample as a pcap and tshark's reading of it: (frame number per segment, frames)."""
    pcap = tmp_path_factory.mktemp("oe") / "oe.pcap"
    numbers = write_pcap(sample, pcap)
    return numbers, tshark_frames(pcap)


def test_tshark_reads_every_packet_and_message_as_written(sample, decoded):
    numbers, frames = decoded
    assert len(frames) == max(numbers), "tshark read every frame"
    for number, frame in frames.items():
        assert not frame["_ws.malformed"], f"frame {number} is malformed for tshark"
        assert all(int(s) < SEVERITY_WARN for s in frame["_ws.expert.severity"]), f"frame {number}: {frame}"
    for (conn, direction, data, labels), number in zip(sample, numbers):
        assert labels_of(frames[number]) == labels, f"frame {number} ({conn} {direction} {data.hex()})"
    # Every SoupBinTCP packet type and every OUCH type decoded by apps/oe is in the script.
    seen = {label for _, _, _, labels in sample for label in labels}
    assert seen >= {"+", "A", "J", "H", "Z", "L", "R", "O", "S:S", "S:A", "S:U", "S:C", "S:E", "S:J",
                    "U:O", "U:U", "U:X"}


def test_tshark_finds_the_field_values_where_the_specifications_put_them(decoded):
    _, frames = decoded

    def values(field):
        return [v for n in sorted(frames) for v in frames[n][field]]

    assert values("soupbintcp.username") == ["TRADER", "TRADER"]
    assert [v.strip() for v in values("soupbintcp.session")] == ["", "SESSION001", "SESSION001"]
    assert values("soupbintcp.reject_code") == ["A"]
    assert values("soupbintcp.text") == ["end of the test day"]
    assert values("ouch.order_reference_number") == ["7001", "7002", "7003"]
    assert values("ouch.match_number") == ["99"]
    assert values("ouch.executed_shares") == ["50"]
    assert values("ouch.decrement_shares") == ["200"]
    assert values("ouch.reject_reason") == ["S"]
    assert values("ouch.event_code") == ["S"]
    assert values("ouch.existing_order_token") == ["ORD00000000001"]
    assert values("ouch.replacement_order_token") == ["ORD00000000002", "ORD00000000002"]
    assert values("ouch.previous_order_token") == ["ORD00000000001"]
    assert values("ouch.timestamp")[0] == "9:30:00.000000000"
    assert values("ouch.timestamp")[-1] == "9:30:00.000006000"
    assert "1502600" in values("ouch.price")
