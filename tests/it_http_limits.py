#!/usr/bin/env python3
# it_http_limits.py — hostile HTTP clients for the daemon tests (standard
# library only; HTTP/2 frames by hand, HPACK literals without Huffman):
#
#   it_http_limits.py stall GPORT APORT PATH
#       open stalled clients of every kind and keep them open until killed:
#       a slowloris header, an HTTP/1.1 download never read, HTTP/2 streams
#       whose window is never opened, an upload that stopped sending;
#       prints "stalled" once they are all in place.
#   it_http_limits.py zerowindow PORT PATH NCONN PID MAXMB TIMEOUT_S
#       NCONN HTTP/2 connections, 100 streams each on PATH, window 0, never
#       read: the daemon (PID)'s RSS must grow by less than MAXMB, and every
#       connection must see its streams reset (or be closed) within
#       TIMEOUT_S seconds.
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def hpack_int(v, prefix_bits, first=0):
    mx = (1 << prefix_bits) - 1
    if v < mx:
        return bytes([first | v])
    out = [first | mx]
    v -= mx
    while v >= 128:
        out.append((v & 127) | 128)
        v >>= 7
    out.append(v)
    return bytes(out)


def hpack(headers):
    out = b""
    for k, v in headers:
        k, v = k.encode(), v.encode()
        # literal header field without indexing, new name, no Huffman
        out += b"\x00" + hpack_int(len(k), 7) + k + hpack_int(len(v), 7) + v
    return out


def h2_connect(port, window):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    # SETTINGS_INITIAL_WINDOW_SIZE (4) = window
    s.sendall(PREFACE + frame(4, 0, 0, struct.pack(">HI", 4, window)))
    return s


def h2_get(s, sid, path, end_stream=True):
    hdrs = hpack([(":method", "GET" if end_stream else "POST"),
                  (":scheme", "http"), (":path", path),
                  (":authority", "127.0.0.1")])
    s.sendall(frame(1, 0x4 | (0x1 if end_stream else 0), sid, hdrs))


def read_frames(s, until):
    """Read frames until until(ftype, flags, sid, payload) is true or the
    connection closes (returns 'closed')."""
    buf = b""
    while True:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags = buf[3], buf[4]
            sid = int.from_bytes(buf[5:9], "big") & 0x7fffffff
            payload = buf[9:9 + n]
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:  # ack the server's SETTINGS
                s.sendall(frame(4, 1, 0))
            if until(ftype, flags, sid, payload):
                return "done"
        try:
            d = s.recv(1 << 16)
        except ConnectionResetError:
            return "closed"
        if not d:
            return "closed"
        buf += d


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    fail("no VmRSS for %d" % pid)


def cmd_stall(gport, aport, path):
    keep = []
    # Slowloris: half a request line.
    s = socket.create_connection(("127.0.0.1", gport), timeout=10)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-A: b")
    keep.append(s)
    # A download never read: the server's socket buffer fills.
    s = socket.create_connection(("127.0.0.1", gport), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    keep.append(s)
    # HTTP/2 streams with a closed window.
    s = h2_connect(gport, 0)
    for i in range(20):
        h2_get(s, 1 + 2 * i, path)
    keep.append(s)
    # An upload that stops half way (the API's add).
    s = socket.create_connection(("127.0.0.1", aport), timeout=10)
    body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n" \
           b"Content-Type: application/octet-stream\r\n\r\n" + b"x" * 1000
    s.sendall(b"POST /api/v0/add HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: multipart/form-data; boundary=b\r\n"
              b"Content-Length: 100000000\r\n\r\n" + body)
    keep.append(s)
    time.sleep(0.5)
    print("stalled", flush=True)
    time.sleep(600)


def cmd_zerowindow(port, path, nconn, pid, max_mb, timeout_s):
    before = rss_kb(pid)
    conns = []
    for _ in range(nconn):
        s = h2_connect(port, 0)
        for i in range(100):
            h2_get(s, 1 + 2 * i, path)
        conns.append(s)
    # Let the handlers produce what they will.
    peak = before
    for _ in range(20):
        time.sleep(0.1)
        peak = max(peak, rss_kb(pid))
    grew = (peak - before) / 1024.0
    print("zero window: %d connections x 100 streams: RSS %.0f MB -> %.0f MB "
          "(+%.1f MB)" % (nconn, before / 1024.0, peak / 1024.0, grew))
    if grew > max_mb:
        fail("RSS grew by %.1f MB (limit %d MB)" % (grew, max_mb))
    # Each connection sees a stream reset (send timeout) or a close.
    t0 = time.time()
    for s in conns:
        s.settimeout(max(1.0, timeout_s - (time.time() - t0)))
        try:
            how = read_frames(s, lambda t, f, sid, p: t == 3 or t == 7)
        except socket.timeout:
            fail("a zero-window connection was neither reset nor closed "
                 "within %d s" % timeout_s)
        s.close()
    print("zero window: every connection reset or closed within %.1f s" %
          (time.time() - t0))


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "stall":
        cmd_stall(int(a[0]), int(a[1]), a[2])
    elif cmd == "zerowindow":
        cmd_zerowindow(int(a[0]), a[1], int(a[2]), int(a[3]), int(a[4]),
                       int(a[5]))
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
