#!/usr/bin/env python3
"""gwconf.py -- run the ported gateway-conformance cases against a gateway.

usage: gwconf.py --gateway URL [--expected FILE] [--out FILE] [--only REGEX]
                 [--list]

Every case in the case files (cases_*.py, ported from
ipfs/gateway-conformance v0.13.2) is sent to the gateway and its answer
checked.  One change since: where v0.13.2 reads X-Ipfs-Path, the cases
read Ipfs-Uri (IPIP-0548, which v0.14.0 tests: Kubo 0.43 and boxo 0.43
send Ipfs-Uri and no X-Ipfs-Path by default), its values as boxo v0.43.0
builds them (common.ipfs_uri); v0.14.0's own source was not reachable
here.  A case named in the expected-failures file (one name a line,
then " # reason"; blank lines and lines starting with # ignored) must
fail; any other must pass.  Exit status 0 when every case matched what
was expected, else 1 -- so an unexpected failure AND a listed case that
now passes both fail the run, and the list shrinks as fixes land.  The
report (every case's PASS/FAIL/XFAIL/XPASS, each failure's reasons, the
summary) goes to --out as well as stdout.
"""
import argparse
import http.client
import os
import re
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dsl import Resp  # noqa: E402

CASE_MODULES = ["cases_trustless", "cases_unixfs", "cases_dag", "cases_ipns", "cases_dnslink", "cases_subdomain", "cases_cors", "cases_tar", "cases_redirects", "cases_proxy"]
TIMEOUT = 20          # seconds per request
USER_AGENT = "ipfs/gateway-conformance/v0.13.2 (trove port)"


def load_cases():
    import importlib
    cases, seen = [], set()
    for m in CASE_MODULES:
        try:
            mod = importlib.import_module(m)
        except ModuleNotFoundError as e:
            if e.name == m:
                continue
            raise
        for c in mod.cases():
            if c.name in seen:
                raise SystemExit("duplicate case name: " + c.name)
            seen.add(c.name)
            cases.append(c)
    return cases


def load_expected(path):
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            name, _, why = line.partition(" # ")
            out[name.strip()] = why.strip()
    return out


def build_target(req):
    # Non-ASCII and spaces in the path are percent-encoded, as Go's
    # net/url does for the suite; what is already escaped stays.
    path = urllib.parse.quote(req.path, safe="/?&=%:@!$'()*+,;~-._")
    if req.query:
        q = urllib.parse.urlencode(sorted(req.query, key=lambda kv: kv[0]))
        path += ("&" if "?" in path else "?") + q
    return path


def proxy_dial(conn, u, req):
    """The suite's proxy clients (tooling/test/proxy.go) on conn: the
    request target in absolute form, as Go's transport sends it to a
    proxy; for a tunnel, first a CONNECT to the gateway's own host:port on
    the connection (as the suite's dialer does), which must answer 200."""
    if req.via == "proxy":
        return build_target(req)  # the case's path is the full URL
    sock = socket.create_connection((u.hostname, u.port), timeout=TIMEOUT)
    sock.sendall(("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\nUser-Agent: Go-http-client/1.1\r\n\r\n"
                  .format(u.netloc)).encode())
    head = b""
    while b"\r\n\r\n" not in head:  # byte by byte: what follows is the tunnel's
        b = sock.recv(1)
        if not b:
            raise OSError("proxy closed the connection after CONNECT")
        head += b
    status = head.split(b"\r\n")[0].decode("latin-1")
    if status.split(" ")[1:2] != ["200"]:
        raise OSError("proxy error: " + status)
    conn.sock = sock
    host = next((v for k, v in req.headers if k.lower() == "host"), u.netloc)
    return "http://" + host + build_target(req)


def send(base, req):
    u = urllib.parse.urlsplit(base)
    target = build_target(req)
    for _ in range(5):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
        try:
            if req.via:
                target = proxy_dial(conn, u, req)
            conn.putrequest(req.method, target, skip_host=True, skip_accept_encoding=True)
            names = {k.lower() for k, _ in req.headers}
            if "host" not in names:
                conn.putheader("Host", urllib.parse.urlsplit(target).netloc if req.via else u.netloc)
            if "user-agent" not in names:
                conn.putheader("User-Agent", USER_AGENT)
            for k, v in req.headers:
                if callable(v):  # a value learnt from an earlier answer
                    v = v()
                conn.putheader(k, v.encode("utf-8"))
            body = req.body or b""
            if body:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            r = conn.getresponse()
            data = r.read()
            headers = {}
            for k, v in r.getheaders():
                headers.setdefault(k.lower(), []).append(v)
            resp = Resp(r.status, headers, data)
        finally:
            conn.close()
        if req.follow and resp.status in (301, 302, 303, 307, 308) and resp.header("Location"):
            loc = urllib.parse.urljoin(base + target, resp.header("Location"))
            lu = urllib.parse.urlsplit(loc)
            base = "%s://%s" % (lu.scheme, lu.netloc)
            req = req.clone(path=lu.path + ("?" + lu.query if lu.query else ""), query=[])
            target = build_target(req)
            continue
        return resp, target
    return resp, target


def run_case(base, case):
    reqs = case.reqs or [case.req]
    errs, bodies, targets = [], [], []
    for i, r in enumerate(reqs):
        try:
            resp, target = send(base, r)
        except (OSError, http.client.HTTPException) as e:
            return ["request %s failed: %s" % (r.path, e)], [r.path]
        targets.append("%s %s" % (r.method, target))
        exp = case.expect[i] if isinstance(case.expect, list) else case.expect
        if exp is not None:
            errs += ["%s: %s" % (target, e) for e in exp.check(resp)] if len(reqs) > 1 else exp.check(resp)
        bodies.append(resp.body)
    if case.same_payload and len(set(bodies)) > 1:
        errs.append("the answers' bodies differ")
    return errs, targets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=False)
    ap.add_argument("--expected")
    ap.add_argument("--out")
    ap.add_argument("--only")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    cases = load_cases()
    if a.only:
        cases = [c for c in cases if re.search(a.only, c.name)]
    if a.list:
        for c in cases:
            print(c.name)
        return 0
    expected = load_expected(a.expected)
    names = {c.name for c in cases}
    stale = [n for n in expected if n not in names]
    lines, counts = [], {"PASS": 0, "FAIL": 0, "XFAIL": 0, "XPASS": 0}
    t0 = time.time()
    for c in cases:
        errs, targets = run_case(a.gateway, c)
        listed = c.name in expected
        if errs:
            verdict = "XFAIL" if listed else "FAIL"
        else:
            verdict = "XPASS" if listed else "PASS"
        counts[verdict] += 1
        lines.append("%-5s %s" % (verdict, c.name))
        if verdict in ("FAIL", "XFAIL"):
            for t in targets:
                lines.append("        request: " + t)
            for e in errs:
                lines.append("        " + e[:600])
            if listed:
                lines.append("        expected failure: " + expected[c.name])
        elif verdict == "XPASS":
            lines.append("        listed as an expected failure but passes: remove it from the list")
    for n in stale if not a.only else []:
        lines.append("STALE %s  (in the expected-failures list, no such case)" % n)
    passed = counts["PASS"] + counts["XPASS"]
    summary = ("gateway conformance (ported from ipfs/gateway-conformance v0.13.2): "
               "%d cases, %d pass, %d fail (%d expected failures listed, %d unexpected failures, "
               "%d listed cases now passing) in %.1fs"
               % (len(cases), passed, counts["FAIL"] + counts["XFAIL"], counts["XFAIL"],
                  counts["FAIL"], counts["XPASS"], time.time() - t0))
    lines.append(summary)
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    ok = counts["FAIL"] == 0 and counts["XPASS"] == 0 and (a.only or not stale)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
