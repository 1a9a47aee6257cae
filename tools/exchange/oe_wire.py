"""SoupBinTCP 3.00 and OUCH 4.2 on the wire, for the exchange's order side (Python standard
library only). Written from NASDAQ's specifications ("SoupBinTCP Version 3.00", "O*U*C*H
Version 4.2") and checked against the Open Markets Initiative's field tables, independently
of tachyon's C++ codecs (apps/oe), so each can catch the other's mistakes.

SoupBinTCP packet: Packet Length (2 bytes, big-endian, counts the type byte and the payload),
Packet Type (1 byte), payload. Alpha fields are left-justified and space-padded; Numeric fields
(the sequence numbers, 20 bytes) are ASCII digits right-justified and space-padded.
OUCH 4.2 integers are big-endian binary; Price has 4 implied decimals.
"""

import struct

# SoupBinTCP packet types (the specification's packet tables).
DEBUG = b"+"
LOGIN_ACCEPTED = b"A"
LOGIN_REJECTED = b"J"
SEQUENCED = b"S"
SERVER_HEARTBEAT = b"H"
END_OF_SESSION = b"Z"
LOGIN_REQUEST = b"L"
UNSEQUENCED = b"U"
CLIENT_HEARTBEAT = b"R"
LOGOUT_REQUEST = b"O"

# Login Rejected reason codes.
REJECT_NOT_AUTHORIZED = b"A"
REJECT_SESSION_NOT_AVAILABLE = b"S"

LOGIN_REQUEST_LEN = 6 + 10 + 10 + 20  # Username, Password, Requested Session, Requested Sequence Number


class FramingError(Exception):
    """A Packet Length that cannot frame the stream (0): the connection must go."""


def packet(ptype, payload=b""):
    """One whole SoupBinTCP packet."""
    return struct.pack(">H", 1 + len(payload)) + ptype + payload


def alpha(text, width):
    """An Alpha field: left-justified, space-padded (cut at its width)."""
    raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    return raw[:width].ljust(width, b" ")


def numeric(value, width=20):
    """A Numeric field: ASCII digits right-justified, space-padded."""
    return str(value).encode("ascii").rjust(width, b" ")


def parse_numeric(raw):
    """The value of a Numeric field, or None when it is not spaces then digits."""
    text = raw.lstrip(b" ")
    if not text or not text.isdigit():
        return None
    return int(text)


def login_accepted(session, sequence):
    """Login Accepted: Session (10 Alpha), Sequence Number (20 Numeric) of the next message."""
    return packet(LOGIN_ACCEPTED, alpha(session, 10) + numeric(sequence))


def login_rejected(reason):
    """Login Rejected with its reason code."""
    return packet(LOGIN_REJECTED, reason)


def parse_login_request(payload):
    """(username, password, session, sequence) with the padding stripped, or None."""
    if len(payload) != LOGIN_REQUEST_LEN:
        return None
    seq = parse_numeric(payload[26:46])
    if seq is None:
        return None
    return (payload[0:6].rstrip(b" ").decode("ascii", "replace"),
            payload[6:16].rstrip(b" ").decode("ascii", "replace"),
            payload[16:26].rstrip(b" ").decode("ascii", "replace"), seq)


class Framer:
    """Splits a TCP byte stream into (type, payload) packets, whatever the segment boundaries."""

    def __init__(self, max_length=0xFFFF):
        self.buf = bytearray()
        self.max_length = max_length

    def feed(self, data):
        """The packets completed by `data`; raises FramingError on a length of 0 or over the limit."""
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            (length,) = struct.unpack_from(">H", self.buf, 0)
            if length == 0 or length > self.max_length:
                raise FramingError(f"Packet Length {length}")
            if len(self.buf) < 2 + length:
                break
            out.append((bytes(self.buf[2:3]), bytes(self.buf[3:2 + length])))
            del self.buf[:2 + length]
        return out


# OUCH 4.2 messages: struct layouts after the type byte, in the specification's field order.
ENTER_ORDER = struct.Struct(">14scI8sII4scccIcc")   # 'O', 49 bytes with the type
REPLACE_ORDER = struct.Struct(">14s14sIIIccI")      # 'U' inbound, 47
CANCEL_ORDER = struct.Struct(">14sI")               # 'X', 19
SYSTEM_EVENT = struct.Struct(">Qc")                 # 'S', 10
ACCEPTED = struct.Struct(">Q14scI8sII4scQccIccc")   # 'A', 66
REPLACED = struct.Struct(">Q14scI8sII4scQccIcc14sc")  # 'U' outbound, 80
CANCELED = struct.Struct(">Q14sIc")                 # 'C', 28
EXECUTED = struct.Struct(">Q14sIIcQ")               # 'E', 40
REJECTED = struct.Struct(">Q14sc")                  # 'J', 24

# Inbound message lengths OUCH 4.2 fixes (type byte included); the others are not OUCH 4.2.
INBOUND_LENGTHS = {b"O": 49, b"U": 47, b"X": 19, b"M": 20, b"N": 15}

ENTER_FIELDS = ("token", "side", "shares", "stock", "price", "time_in_force", "firm", "display",
                "capacity", "iso", "min_quantity", "cross_type", "customer_type")


def parse_enter_order(msg):
    """An Enter Order as a dict of its fields (bytes for the Alpha ones)."""
    return dict(zip(ENTER_FIELDS, ENTER_ORDER.unpack(msg[1:])))


def parse_cancel_order(msg):
    """(token, shares left wanted) of a Cancel Order."""
    return CANCEL_ORDER.unpack(msg[1:])


def parse_replace_order(msg):
    """A Replace Order as a dict."""
    names = ("existing", "replacement", "shares", "price", "time_in_force", "display", "iso", "min_quantity")
    return dict(zip(names, REPLACE_ORDER.unpack(msg[1:])))


def system_event(ts, code):
    """System Event message ('S' start of day, 'E' end of day)."""
    return b"S" + SYSTEM_EVENT.pack(ts, code)


def accepted(ts, o, order_ref, state=b"L"):
    """Accepted message for order dict `o` (as parse_enter_order gives it)."""
    return b"A" + ACCEPTED.pack(ts, o["token"], o["side"], o["shares"], o["stock"], o["price"],
                                o["time_in_force"], o["firm"], o["display"], order_ref, o["capacity"],
                                o["iso"], o["min_quantity"], o["cross_type"], state, b" ")


def replaced(ts, o, order_ref, previous_token, state=b"L"):
    """Replaced message: `o` is the replacement's terms, `previous_token` the order it replaces."""
    return b"U" + REPLACED.pack(ts, o["token"], o["side"], o["shares"], o["stock"], o["price"],
                                o["time_in_force"], o["firm"], o["display"], order_ref, o["capacity"],
                                o["iso"], o["min_quantity"], o["cross_type"], state, previous_token, b" ")


def canceled(ts, token, decrement, reason):
    """Canceled message (Decrement Shares: the shares just taken off)."""
    return b"C" + CANCELED.pack(ts, token, decrement, reason)


def executed(ts, token, shares, price, liquidity, match):
    """Executed message."""
    return b"E" + EXECUTED.pack(ts, token, shares, price, liquidity, match)


def rejected(ts, token, reason):
    """Rejected message."""
    return b"J" + REJECTED.pack(ts, token, reason)


def parse_outbound(msg):
    """(type, fields) of an outbound message this module writes (for tests), or (type, None)."""
    layouts = {b"S": SYSTEM_EVENT, b"A": ACCEPTED, b"U": REPLACED, b"C": CANCELED, b"E": EXECUTED,
               b"J": REJECTED}
    t = msg[:1]
    layout = layouts.get(t)
    if layout is None or len(msg) != 1 + layout.size:
        return t, None
    return t, layout.unpack(msg[1:])
