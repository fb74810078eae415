"""h2.py -- just enough HTTP/2 (RFC 9113) over a raw socket for attackers.

Frames are built by hand; header blocks use only HPACK "literal without
indexing, new name" (RFC 7541 6.2.2), which every decoder must accept and
which needs no dynamic table.  Reading is a frame splitter with no state:
the attackers decide what to answer (SETTINGS ACK, PING ACK) and what to
ignore (every DATA frame, never a WINDOW_UPDATE).  Not a client for honest
traffic: the soak test uses curl for that.
"""
import socket
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
FLAG_END_STREAM, FLAG_ACK, FLAG_END_HEADERS = 0x1, 0x1, 0x4
SETTINGS_MAX_CONCURRENT_STREAMS, SETTINGS_INITIAL_WINDOW_SIZE = 0x3, 0x4
CANCEL = 0x8


def frame(ftype, flags, stream, payload=b""):
    return (struct.pack(">I", len(payload))[1:] + bytes([ftype, flags])
            + struct.pack(">I", stream & 0x7FFFFFFF) + payload)


def settings(pairs=(), ack=False):
    body = b"".join(struct.pack(">HI", k, v) for k, v in pairs)
    return frame(SETTINGS, FLAG_ACK if ack else 0, 0, body)


def hpack_int(value, prefix_bits):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    out = bytearray([limit])
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    n, v = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(n), 7) + n + hpack_int(len(v), 7) + v


def get(stream, path, authority="127.0.0.1", extra=()):
    """A HEADERS frame for GET path that also ends the stream."""
    hdrs = [(":method", "GET"), (":scheme", "http"), (":path", path),
            (":authority", authority)] + list(extra)
    block = b"".join(hpack_literal(k, v) for k, v in hdrs)
    return frame(HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, stream, block)


def rst(stream, code=CANCEL):
    return frame(RST_STREAM, 0, stream, struct.pack(">I", code))


def connect(host, port, pairs=(), timeout=5.0):
    """Open a connection: preface and our SETTINGS sent, socket returned."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(PREFACE + settings(pairs))
    return s


class Reader:
    """Split the bytes read from a connection into frames."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        """Append data; return the complete frames as (type, flags, stream,
        payload) tuples."""
        self.buf += data
        out = []
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + length:
                break
            ftype, flags = self.buf[3], self.buf[4]
            stream = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            out.append((ftype, flags, stream, self.buf[9:9 + length]))
            self.buf = self.buf[9 + length:]
        return out


def answer(frames):
    """The ACKs a live peer owes for these frames (SETTINGS and PING)."""
    out = b""
    for ftype, flags, _, payload in frames:
        if ftype == SETTINGS and not flags & FLAG_ACK:
            out += settings(ack=True)
        elif ftype == PING and not flags & FLAG_ACK:
            out += frame(PING, FLAG_ACK, 0, payload)
    return out


def max_streams(frames, default=100):
    """The peer's SETTINGS_MAX_CONCURRENT_STREAMS, if these frames carry it."""
    for ftype, flags, _, payload in frames:
        if ftype == SETTINGS and not flags & FLAG_ACK:
            for i in range(0, len(payload) - 5, 6):
                k, v = struct.unpack(">HI", payload[i:i + 6])
                if k == SETTINGS_MAX_CONCURRENT_STREAMS:
                    return v
    return default
