"""MoldUDP64 1.00 framing, from the specification ("MoldUDP64 Protocol Specification"),
independently of tachyon's C++ codec.

Downstream packet: Session (10 bytes, alphanumeric), Sequence Number (8, big-endian, the
first message's), Message Count (2; 0 heartbeat, 0xFFFF end of session), then message blocks:
Message Length (2) + data. Request packet: Session (10), Sequence Number (8), Requested
Message Count (2).
"""

import struct

HEADER = struct.Struct(">10sQH")
HEARTBEAT = 0
END_OF_SESSION = 0xFFFF


def session_bytes(name):
    b = name.encode()
    if len(b) > 10:
        raise ValueError("a MoldUDP64 session name has at most 10 characters")
    return b.ljust(10)


def downstream(session, seq, messages):
    """A downstream packet carrying `messages` (a list of bytes) from sequence number `seq`."""
    parts = [HEADER.pack(session, seq, len(messages))]
    for m in messages:
        parts.append(struct.pack(">H", len(m)))
        parts.append(m)
    return b"".join(parts)


def control(session, next_seq, count):
    """A heartbeat (count 0) or end of session (count 0xFFFF) announcing `next_seq`."""
    return HEADER.pack(session, next_seq, count)


def parse_request(data):
    """(session, seq, count) of a 20-byte request packet, or None."""
    if len(data) != HEADER.size:
        return None
    return HEADER.unpack(data)


def packetize(messages, first_seq, max_payload, max_messages, breaks=()):
    """Splits `messages` (numbered from `first_seq`) into packets: yields (seq, [messages]).
    A packet never holds more than `max_messages` or `max_payload` bytes, and a sequence
    number in `breaks` always starts a new packet."""
    breaks = set(breaks)
    seq, batch, size = first_seq, [], HEADER.size
    start = seq
    for m in messages:
        if batch and (len(batch) == max_messages or size + 2 + len(m) > max_payload or seq in breaks):
            yield start, batch
            batch, size, start = [], HEADER.size, seq
        batch.append(m)
        size += 2 + len(m)
        seq += 1
    if batch:
        yield start, batch
