#!/usr/bin/env python3
"""A minimal Pinning Service API (ipfs-pinning-service.yaml) in memory, for
tests of trove's client (tests/it_pin_remote.sh) when no trove server is
wanted: bearer token, GET /pins with cid/name/status/before/limit filters,
POST /pins, GET/POST/DELETE /pins/{id}.  A new pin is "queued" and turns
"pinned" at its first GET, so a client's wait loop is exercised.
Usage: psa_mock.py PORT TOKEN"""
import json, sys, time, itertools, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PINS, SEQ = {}, itertools.count(1)
T0 = 1700000000.0


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


class H(BaseHTTPRequestHandler):
    def send(self, code, obj=None):
        b = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def auth(self):
        if self.headers.get("Authorization") != "Bearer " + sys.argv[2]:
            self.send(401, {"error": {"reason": "UNAUTHORIZED"}})
            return False
        return True

    def log_message(self, *a):
        pass

    def do_GET(self):
        if not self.auth():
            return
        u = urllib.parse.urlparse(self.path)
        if u.path.startswith("/pins/"):
            p = PINS.get(u.path[6:])
            if not p:
                return self.send(404, {"error": {"reason": "NOT_FOUND"}})
            p["status"] = "pinned"
            return self.send(200, p)
        q = urllib.parse.parse_qs(u.query)
        st = q.get("status", ["pinned"])[0].split(",")
        cids = q.get("cid", [""])[0].split(",") if "cid" in q else None
        res = [p for p in PINS.values() if p["status"] in st
               and (cids is None or p["pin"]["cid"] in cids)
               and ("name" not in q or p["pin"].get("name") == q["name"][0])
               and ("before" not in q or p["created"] < q["before"][0])]
        res.sort(key=lambda p: p["created"], reverse=True)
        lim = int(q.get("limit", ["10"])[0])
        self.send(200, {"count": len(res), "results": res[:lim]})

    def do_POST(self):
        if not self.auth():
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        n = next(SEQ)
        rid = "r%d" % n
        PINS[rid] = {"requestid": rid, "status": "queued", "created": iso(T0 + n),
                     "pin": body, "delegates": ["/ip4/127.0.0.1/tcp/1"]}
        if self.path.startswith("/pins/"):
            PINS.pop(self.path[6:], None)
        self.send(202, PINS[rid])

    def do_DELETE(self):
        if not self.auth():
            return
        if PINS.pop(self.path[6:], None) is None:
            return self.send(404, {"error": {"reason": "NOT_FOUND"}})
        self.send(202)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
