#!/usr/bin/env python3
# it_gateway.py — the raw-socket half of tests/it_gateway.sh: what curl
# cannot send or check (malformed requests, pipelining, keep-alive on one
# socket, a request flood for 429, multipart/byteranges bodies, CAR files
# verified block by block).  Standard library only; every socket has a
# timeout so a hung server fails the test instead of hanging it.
#
#   it_gateway.py malformed PORT            each bad request gets its 4xx
#   it_gateway.py pipeline PORT PATH FILE   pipelined GET/HEAD/Range on one socket
#   it_gateway.py keepalive PORT PATH FILE  sequential requests on one socket, HTTP/1.0
#   it_gateway.py flood PORT N              N pipelined requests: some get 429
#   it_gateway.py multipart FILE HDRS BODY  check a multipart/byteranges body
#   it_gateway.py car CARFILE ROOT [N]      every block hashes to its CID,
#                                           the header's root is ROOT, N blocks
import base64
import hashlib
import re
import socket
import sys
import threading

TIMEOUT = 20


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


class Reader:
    """Reads HTTP/1.1 responses off a socket, one at a time."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            return False
        self.buf += d
        return True

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            if not self.fill():
                return None
        i = self.buf.index(b"\r\n\r\n")
        lines = self.buf[:i].decode("latin-1").split("\r\n")
        self.buf = self.buf[i + 4:]
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        body = b""
        if head_only or status in (204, 304) or status < 200:
            pass
        elif "content-length" in hdrs:
            n = int(hdrs["content-length"])
            while len(self.buf) < n:
                if not self.fill():
                    fail("short body")
            body, self.buf = self.buf[:n], self.buf[n:]
        elif hdrs.get("transfer-encoding") == "chunked":
            while True:
                while b"\r\n" not in self.buf:
                    if not self.fill():
                        fail("short chunk header")
                j = self.buf.index(b"\r\n")
                size = int(self.buf[:j], 16)
                while len(self.buf) < j + 2 + size + 2:
                    if not self.fill():
                        fail("short chunk")
                body += self.buf[j + 2:j + 2 + size]
                if self.buf[j + 2 + size:j + 4 + size] != b"\r\n":
                    fail("chunk not followed by CRLF")
                self.buf = self.buf[j + 4 + size:]
                if size == 0:
                    break
        else:
            while self.fill():
                pass
            body, self.buf = self.buf, b""
        return status, hdrs, body

    def closed(self):
        """True when the server closes the socket without more bytes."""
        try:
            return not self.fill() and not self.buf
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def one(port, raw, check_close=True):
    """Send raw bytes, return (status, headers, body, closed_after)."""
    s = connect(port)
    s.sendall(raw)
    r = Reader(s)
    try:
        res = r.response()
    except ConnectionResetError:
        fail("connection reset before the whole answer was read")
    if res is None:
        s.close()
        return None
    closed = r.closed() if check_close else None
    s.close()
    return res + (closed,)


def cmd_malformed(port):
    host = b"Host: 127.0.0.1\r\n"
    cases = [
        ("garbage request line", b"GARBAGE\r\n\r\n", 400),
        ("bad method chars", b"G(T /ipfs/bafkqaaa HTTP/1.1\r\n" + host + b"\r\n", 400),
        ("bad version", b"GET /ipfs/bafkqaaa HTTP/7.x\r\n" + host + b"\r\n", 400),
        ("header without colon", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"NoColonHere\r\n\r\n", 400),
        ("bad content-length", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"Content-Length: abc\r\n\r\n", 400),
        ("two content-lengths", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        ("NUL in target", b"GET /ipfs/\x00bafkqaaa HTTP/1.1\r\n" + host + b"\r\n", 400),
        ("space in header name", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"Bad Name: v\r\n\r\n", 400),
        ("space before colon", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"Content-Length : 5\r\n\r\nhello", 400),
        # The handler answers at the end of the headers (405 for POST); the
        # broken body that follows must then cut the connection.
        ("bad chunk size", b"POST /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 405),
        ("control char in value", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"X-A: a\x01b\r\n\r\n", 400),
        ("header too large", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"X-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
        ("many headers", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"".join(b"X-H%d: v\r\n" % i for i in range(3000)) + b"\r\n", 431),
        ("URI too long", b"GET /ipfs/" + b"a" * 20000 + b" HTTP/1.1\r\n" + host +
         b"\r\n", 414),
        ("percent-encoded NUL", b"GET /ipfs/bafkqaaa/%00 HTTP/1.1\r\n" + host +
         b"\r\n", 400),
        ("bad percent escape", b"GET /ipfs/bafkqaaa/%zz HTTP/1.1\r\n" + host +
         b"\r\n", 400),
        ("raw dot-dot segment", b"GET /ipfs/bafkqaaa/../../etc/passwd HTTP/1.1\r\n" +
         host + b"\r\n", 400),
        ("encoded dot-dot", b"GET /ipfs/bafkqaaa/%2e%2e/etc HTTP/1.1\r\n" + host +
         b"\r\n", 400),
        # HTTP2-Settings nghttp2 refuses (not a multiple of 6 bytes): no
        # 101, the answer comes over HTTP/1.1 (regression: the request
        # leaked and a 101 went out with nothing after it).
        ("h2c bad settings", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
         b"HTTP2-Settings: AAMAAABkAA\r\n\r\n", 200),
        ("encoded slash in segment", b"GET /ipfs/bafkqaaa/a%2fb HTTP/1.1\r\n" +
         host + b"\r\n", 400),
        # RFC 9112 framing that http-parser (as Debian builds it) took.
        ("bare LF line ends", b"GET /ipfs/bafkqaaa HTTP/1.1\nHost: x\n\n", 400),
        ("bare LF after a header", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"X-A: b\n\r\n", 400),
        ("obs-fold header", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"X-A: b\r\n c\r\n\r\n", 400),
        ("bare CR in a header", b"GET /ipfs/bafkqaaa HTTP/1.1\r\n" + host +
         b"X-A: b\rc\r\n\r\n", 400),
    ]
    for name, raw, want in cases:
        # A framing error must close the connection (the byte stream is out
        # of sync); a request-level 400 (bad CID or path) may keep it.
        framing = not name.startswith(("percent", "bad percent", "raw dot",
                                        "encoded", "h2c"))
        res = one(port, raw, framing)
        if res is None:
            fail("%s: connection closed without an answer" % name)
        status = res[0]
        if status != want:
            fail("%s: got %d, want %d" % (name, status, want))
        if framing and not res[3]:
            fail("%s: connection left open after %d" % (name, want))
        print("ok malformed: %-28s -> %d" % (name, status))
    # Half a request, then the client goes away: nothing to answer, and the
    # server must shrug it off.
    for raw in (b"GET /ipfs/bafkqaaa HT", b"GET /ipfs/bafkqaaa HTTP/1.1\r\nHost: a\r\nX-"):
        s = connect(port)
        s.sendall(raw)
        s.close()
    # A body that is promised and never fully sent, then the client leaves.
    s = connect(port)
    s.sendall(b"POST /ipfs/bafkqaaa HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nabc")
    s.close()


def cmd_pipeline(port, path, fname):
    data = open(fname, "rb").read()
    reqs = [
        ("GET", path, {}, 200, data),
        ("HEAD", path, {}, 200, b""),
        ("GET", path, {"Range": "bytes=5-14"}, 206, data[5:15]),
        ("GET", "/ipfs/not-a-cid", {}, 400, None),
        ("GET", path, {"Range": "bytes=-7"}, 206, data[-7:]),
        ("GET", path, {}, 200, data),
    ]
    raw = b""
    for m, p, h, _, _ in reqs:
        raw += ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (m, p)).encode()
        for k, v in h.items():
            raw += ("%s: %s\r\n" % (k, v)).encode()
        raw += b"\r\n"
    s = connect(port)
    s.sendall(raw)  # all at once: the server must answer in order
    r = Reader(s)
    for i, (m, p, h, want, body) in enumerate(reqs):
        res = r.response(head_only=(m == "HEAD"))
        if res is None:
            fail("pipeline: connection closed before response %d" % i)
        status, hdrs, got = res
        if status != want:
            fail("pipeline %d (%s %s %s): got %d want %d" % (i, m, p, h, status, want))
        if body is not None and got != body:
            fail("pipeline %d: body differs (%d bytes, want %d)" % (i, len(got), len(body)))
        if m == "HEAD" and int(hdrs.get("content-length", -1)) != len(data):
            fail("pipeline HEAD: content-length %s" % hdrs.get("content-length"))
    # The same socket still works after the pipeline.
    s.sendall(("GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" % path).encode())
    status, _, got = r.response()
    if status != 200 or got != data:
        fail("pipeline: request after the pipeline failed (%d)" % status)
    if not r.closed():
        fail("pipeline: Connection: close not honoured")
    print("ok pipeline: %d requests in one write, answered in order" % len(reqs))


def cmd_keepalive(port, path, fname):
    data = open(fname, "rb").read()
    s = connect(port)
    r = Reader(s)
    for i in range(5):
        s.sendall(("GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path).encode())
        res = r.response()
        if res is None or res[0] != 200 or res[2] != data:
            fail("keep-alive request %d failed: %r" % (i, res and res[0]))
        if res[1].get("connection", "").lower() == "close":
            fail("keep-alive: server said Connection: close")
    s.close()
    # HTTP/1.0 without keep-alive: answer, then close.
    s = connect(port)
    s.sendall(("GET %s HTTP/1.0\r\n\r\n" % path).encode())
    r = Reader(s)
    res = r.response()
    if res is None or res[0] != 200 or res[2] != data:
        fail("HTTP/1.0 request failed")
    if not r.closed():
        fail("HTTP/1.0: connection not closed after the response")
    # HTTP/1.0 with keep-alive: two answers on one socket.
    s = connect(port)
    r = Reader(s)
    for i in range(2):
        s.sendall(("GET %s HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % path).encode())
        res = r.response()
        if res is None or res[0] != 200 or res[2] != data:
            fail("HTTP/1.0 keep-alive request %d failed" % i)
    s.close()
    print("ok keep-alive: 5 requests on one socket; HTTP/1.0 close and keep-alive")


def cmd_flood(port, n):
    s = connect(port)
    req = b"GET /ipfs/not-a-cid HTTP/1.1\r\nHost: a\r\n\r\n"
    t = threading.Thread(target=lambda: s.sendall(req * n))
    t.start()
    r = Reader(s)
    codes = {}
    retry_after = None
    for _ in range(n):
        res = r.response()
        if res is None:
            break
        codes[res[0]] = codes.get(res[0], 0) + 1
        if res[0] == 429:
            retry_after = res[1].get("retry-after")
    t.join()
    s.close()
    print("flood of %d requests: %s" % (n, codes))
    if sum(codes.values()) != n:
        fail("flood: only %d answers" % sum(codes.values()))
    if not codes.get(429) or not codes.get(400):
        fail("flood: expected both 400 and 429 answers")
    if retry_after is None:
        fail("flood: 429 without Retry-After")


def cmd_multipart(fname, hdrfile, bodyfile):
    data = open(fname, "rb").read()
    hdrs = open(hdrfile, "rb").read().decode("latin-1")
    body = open(bodyfile, "rb").read()
    m = re.search(r"(?im)^content-type:\s*multipart/byteranges;\s*boundary=(\S+)", hdrs)
    if not m:
        fail("multipart: no multipart/byteranges Content-Type")
    b = m.group(1).strip('"').encode()
    parts = body.split(b"--" + b)
    if parts[-1].strip() != b"--":
        fail("multipart: no closing boundary")
    n = 0
    for p in parts[1:-1]:
        if not p.startswith(b"\r\n") or not p.endswith(b"\r\n"):
            fail("multipart: part not framed by CRLF")
        head, _, content = p[2:-2].partition(b"\r\n\r\n")
        cr = re.search(rb"(?i)content-range:\s*bytes (\d+)-(\d+)/(\d+)", head)
        if not cr:
            fail("multipart: part without Content-Range")
        a, z, size = (int(x) for x in cr.groups())
        if size != len(data):
            fail("multipart: total %d, file is %d" % (size, len(data)))
        if content != data[a:z + 1]:
            fail("multipart: part %d-%d differs from the file" % (a, z))
        n += 1
    print(n)


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def read_cid(b, i):
    """Returns (cid bytes, multihash code, digest, end)."""
    start = i
    if b[i] == 0x12 and b[i + 1] == 0x20:  # CIDv0: a bare sha2-256 multihash
        return b[i:i + 34], 0x12, b[i + 2:i + 34], i + 34
    ver, i = varint(b, i)
    if ver != 1:
        fail("car: CID version %d" % ver)
    _, i = varint(b, i)
    code, i = varint(b, i)
    ln, i = varint(b, i)
    return b[start:i + ln], code, b[i:i + ln], i + ln


def cid_bytes(s):
    if s.startswith("Qm"):
        alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        n = 0
        for ch in s:
            n = n * 58 + alpha.index(ch)
        return n.to_bytes(34, "big")
    if not s.startswith("b"):
        fail("car: only base32 CIDv1 or CIDv0 roots here")
    t = s[1:].upper()
    return base64.b32decode(t + "=" * (-len(t) % 8))


def cmd_car(fname, root, want_n=None):
    b = open(fname, "rb").read()
    hl, i = varint(b, 0)
    header = b[i:i + hl]
    i += hl
    rb = cid_bytes(root)
    # dag-cbor {"roots": [CID], "version": 1}; a CID is tag 42 over bytes
    # whose first byte is the 0x00 multibase prefix.
    if b"\xd8\x2a" not in header or (b"\x00" + rb) not in header:
        fail("car: header root is not %s" % root)
    if b"version\x01" not in header:
        fail("car: header is not version 1")
    n = 0
    while i < len(b):
        sl, i = varint(b, i)
        end = i + sl
        cid, code, digest, j = read_cid(b, i)
        block = b[j:end]
        if code == 0x12:
            ok = hashlib.sha256(block).digest() == digest
        elif code == 0x00:
            ok = block == digest
        else:
            fail("car: multihash 0x%x not checked here" % code)
        if not ok:
            fail("car: block %d does not hash to its CID" % n)
        if n == 0 and cid[-32:] != rb[-32:]:
            fail("car: the first block is not the root")
        i = end
        n += 1
    if i != len(b):
        fail("car: trailing bytes")
    if want_n is not None and n != int(want_n):
        fail("car: %d blocks, want %s" % (n, want_n))
    print(n)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "malformed":
        cmd_malformed(int(args[0]))
    elif cmd == "pipeline":
        cmd_pipeline(int(args[0]), args[1], args[2])
    elif cmd == "keepalive":
        cmd_keepalive(int(args[0]), args[1], args[2])
    elif cmd == "flood":
        cmd_flood(int(args[0]), int(args[1]))
    elif cmd == "multipart":
        cmd_multipart(*args)
    elif cmd == "car":
        cmd_car(*args)
    else:
        fail("unknown command " + cmd)


main()
