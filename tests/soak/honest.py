"""honest.py -- the honest clients of the soak test (tests/soak.sh).

Each client is a thread that loops over a few requests until its phase
ends, pausing briefly between them, and records for every request its start
time, latency, and success or the reason it failed.  A request succeeds only
with the right status and the right bytes (files are checked by SHA-256
against the manifest), within TIMEOUT seconds per socket operation:

  h1   HTTP/1.1 keep-alive to the gateway: the 1 KiB and 1 MiB files, the
       directory listing, a 100-byte range of the 20 MB file, and every third
       round the whole 20 MB file
  h2   curl --http2-prior-knowledge to the gateway: 1 KiB, 1 MiB, and every
       fifth round 20 MB
  api  the RPC API: add a small new file, cat it back, unpin it; pin and
       unpin a directory that the repo's pinned DAG already holds

What this does not judge: latency.  Slow is reported, not failed.
"""
import hashlib
import http.client
import os
import subprocess
import tempfile
import threading
import time

TIMEOUT = 30.0
HOST = "127.0.0.1"


class Recorder:
    """Thread-safe list of request records."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []

    def add(self, client, op, start, ok, err=""):
        rec = {"client": client, "op": op, "start": start,
               "ms": (time.monotonic() - start) * 1000.0, "ok": ok, "err": err}
        with self.lock:
            self.records.append(rec)


def describe(exc):
    if isinstance(exc, TimeoutError):
        return "timeout (no progress for %.0f s)" % TIMEOUT
    return "%s: %s" % (type(exc).__name__, exc)


class H1:
    """One keep-alive HTTP/1.1 connection, reopened after any error."""

    def __init__(self, port):
        self.port, self.conn = port, None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
            return resp.status, data
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def check(status, data, want_status, want=None):
    """'' if the answer is right, else why not."""
    if status != want_status:
        return "HTTP %d (want %d): %r" % (status, want_status, data[:120])
    if want is not None and hashlib.sha256(data).hexdigest() != want["sha256"]:
        return "wrong body: %d bytes (want %d) or bad hash" % (len(data), want["size"])
    return ""


def run_op(rec, client, op, fn):
    start = time.monotonic()
    try:
        err = fn()
    except Exception as e:  # every failure is a finding, never a crash
        err = describe(e)
    rec.add(client, op, start, not err, err)


def h1_client(m, rec, stop, name):
    c = H1(m["gw"])
    f = m["files"]
    rnd = 0

    def get(path, want_status=200, want=None, headers=None):
        status, data = c.request("GET", path, headers=headers)
        return check(status, data, want_status, want)

    def listing():
        status, data = c.request("GET", "/ipfs/%s/" % m["root"])
        err = check(status, data, 200)
        return err or ("" if b"1m.bin" in data else "listing lacks 1m.bin")

    def range100():
        status, data = c.request("GET", "/ipfs/" + f["20m"]["cid"],
                                 headers={"Range": "bytes=1000-1099"})
        err = check(status, data, 206)
        return err or ("" if data == m["slice"] else "wrong range bytes")

    while not stop.is_set():
        run_op(rec, name, "h1-1k", lambda: get("/ipfs/" + f["1k"]["cid"], want=f["1k"]))
        run_op(rec, name, "h1-1m", lambda: get("/ipfs/" + f["1m"]["cid"], want=f["1m"]))
        run_op(rec, name, "h1-dir", listing)
        run_op(rec, name, "h1-range", range100)
        if rnd % 3 == 0:
            run_op(rec, name, "h1-20m", lambda: get("/ipfs/" + f["20m"]["cid"], want=f["20m"]))
        rnd += 1
        stop.wait(0.1)
    c.close()


def curl_h2(m, key):
    want = m["files"][key]
    with tempfile.NamedTemporaryFile(dir=m["tmp"]) as out:
        p = subprocess.run(
            ["curl", "-s", "--http2-prior-knowledge", "--max-time", str(int(TIMEOUT)),
             "-o", out.name, "-w", "%{http_code} %{http_version} %{size_download}",
             "http://%s:%d/ipfs/%s" % (HOST, m["gw"], want["cid"])],
            capture_output=True, text=True, timeout=TIMEOUT + 10)
        code, version, got = (p.stdout.split() + ["", "", ""])[:3]
        if p.returncode:
            return "curl exit %d%s: HTTP %s, %s of %d bytes" % (
                p.returncode, " (timeout)" if p.returncode == 28 else "", code, got, want["size"])
        if version != "2":
            return "answered over HTTP/%s, not 2" % version
        with open(out.name, "rb") as fh:
            return check(int(code), fh.read(), 200, want)


def h2_client(m, rec, stop, name):
    rnd = 0
    while not stop.is_set():
        run_op(rec, name, "h2-1k", lambda: curl_h2(m, "1k"))
        run_op(rec, name, "h2-1m", lambda: curl_h2(m, "1m"))
        if rnd % 5 == 0:
            run_op(rec, name, "h2-20m", lambda: curl_h2(m, "20m"))
        rnd += 1
        stop.wait(0.1)


def multipart(data, boundary="soakboundary7f3a"):
    head = ('--%s\r\nContent-Disposition: form-data; name="file"; filename="h.bin"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n' % boundary).encode()
    return head + data + ("\r\n--%s--\r\n" % boundary).encode(), \
        "multipart/form-data; boundary=" + boundary


def api_client(m, rec, stop, name):
    c = H1(m["api"])
    state = {}

    def api(path, want=200, body=b"", ctype=None):
        headers = {"Content-Type": ctype} if ctype else {}
        status, data = c.request("POST", "/api/v0/" + path, body=body, headers=headers)
        if status != want:
            raise RuntimeError("HTTP %d: %r" % (status, data[:160]))
        return data

    def add():
        state["data"] = os.urandom(2048)
        body, ctype = multipart(state["data"])
        lines = api("add?pin=true", body=body, ctype=ctype).decode().strip().splitlines()
        cid = lines[-1].split('"Hash":"')[1].split('"')[0] if lines else ""
        state["cid"] = cid
        return "" if cid else "no Hash in %r" % lines

    def call(path):
        api(path)
        return ""

    def cat():
        got = api("cat?arg=" + state["cid"])
        return "" if got == state["data"] else "cat gave %d other bytes" % len(got)

    while not stop.is_set():
        state.clear()
        run_op(rec, name, "api-add", add)
        if state.get("cid"):
            run_op(rec, name, "api-cat", cat)
            run_op(rec, name, "api-unpin", lambda: call("pin/rm?arg=" + state["cid"]))
        run_op(rec, name, "api-pin-dir", lambda: call("pin/add?arg=" + m["sub"]))
        run_op(rec, name, "api-unpin-dir", lambda: call("pin/rm?arg=" + m["sub"]))
        stop.wait(0.2)
    c.close()


CLIENTS = [("h1-a", h1_client), ("h1-b", h1_client), ("h2", h2_client), ("api", api_client)]


def start(m, rec, stop):
    """Start every honest client; return the threads."""
    threads = [threading.Thread(target=fn, args=(m, rec, stop, name), daemon=True)
               for name, fn in CLIENTS]
    for t in threads:
        t.start()
    return threads
