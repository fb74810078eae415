#!/usr/bin/env python3
"""doh_server.py - a DNS-over-HTTPS server (RFC 8484) for tests/it_doh.sh.

Usage: doh_server.py PORTFILE [--cert CERT --key KEY] NAME=TTL:TEXT ...
Answers GET /dns-query?dns=<base64url> and POST application/dns-message
for TXT questions: each NAME=TTL:TEXT argument is one TXT record (TEXT
split into 255-byte strings), other names are NXDOMAIN.  Names starting
with these labels misbehave, for the failure cases:
  garbage.  200 with bytes that are no DNS message
  huge.     200 with a 100 kB body
  stall.    never answers (the connection is held for 60 s)
  status.   HTTP 500
  idmix.    a well-formed answer to another question
GET /hits?name=N prints how many queries for N came (N lower-case, no
final dot).  The chosen port is written to PORTFILE once listening.
"""
import base64
import http.server
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

records = {}
hits = {}
lock = threading.Lock()


def parse_question(msg):
    qid = struct.unpack(">H", msg[:2])[0]
    i, labels = 12, []
    while msg[i]:
        n = msg[i]
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype = struct.unpack(">H", msg[i + 1:i + 3])[0]
    return qid, ".".join(labels).lower(), msg[12:i + 5], qtype


def txt_rdata(text):
    b = text.encode()
    parts = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
    return b"".join(bytes([len(p)]) + p for p in parts)


def answer(qid, question, rcode, rrs):
    out = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, len(rrs), 0, 0)
    out += question
    for ttl, text in rrs:
        rd = txt_rdata(text)
        out += b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, ttl, len(rd)) + rd
    return out


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype="application/dns-message"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_query(self, msg):
        qid, name, question, qtype = parse_question(msg)
        with lock:
            hits[name] = hits.get(name, 0) + 1
        first = name.split(".")[1] if name.startswith("_dnslink.") else name.split(".")[0]
        if first == "garbage":
            return self.send(200, b"<html>not dns</html>" * 3)
        if first == "huge":
            return self.send(200, answer(qid, question, 0, [(60, "x" * 200)] * 400))
        if first == "stall":
            time.sleep(60)
            return
        if first == "status":
            return self.send(500, b"oops", "text/plain")
        if first == "idmix":
            other = b"\x05other\x04test\x00\x00\x10\x00\x01"
            return self.send(200, answer(qid, other, 0, [(60, "dnslink=/ipfs/x")]))
        rrs = records.get(name)
        if qtype != 16 or not rrs:
            return self.send(200, answer(qid, question, 3, []))
        self.send(200, answer(qid, question, 0, rrs))

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path == "/hits":
            n = q.get("name", [""])[0]
            with lock:
                return self.send(200, str(hits.get(n, 0)).encode(), "text/plain")
        if u.path != "/dns-query" or "dns" not in q:
            return self.send(400, b"bad", "text/plain")
        if self.headers.get("Accept") != "application/dns-message":
            return self.send(415, b"accept", "text/plain")
        b = q["dns"][0]
        self.handle_query(base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.handle_query(self.rfile.read(n))


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    args = sys.argv[1:]
    portfile = args.pop(0)
    cert = key = None
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--cert":
            cert = args.pop(0)
        elif opt == "--key":
            key = args.pop(0)
    for a in args:
        name, rest = a.split("=", 1)
        ttl, text = rest.split(":", 1)
        records.setdefault(name.lower().rstrip("."), []).append((int(ttl), text))
    srv = S(("127.0.0.1", 0), H)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
