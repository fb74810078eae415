"""dsl.py -- the case table's vocabulary.

A case is Case(name, Req(...), expectation).  An expectation is Expect
(status, header checks, a body check), or AnyOf/AllOf of them.  Every
check returns None when it holds, else a one-line reason; the runner
prints the reasons of a failing case.  Names follow the conformance
suite's: "<Go test function>/<case name>".
"""
import json
import re

from ipld import Cid, read_car


class Req:
    """via: None (a plain request to the gateway), "proxy" (the gateway
    taken for an HTTP proxy: path is a full URL, sent in absolute form) or
    "tunnel" (a CONNECT to the gateway first, then the request in absolute
    form on that connection) -- the suite's Proxy() and WithProxyTunnel()."""

    def __init__(self, path, query=None, headers=None, method="GET",
                 follow=False, body=None, via=None):
        self.path, self.method, self.follow, self.body = path, method, follow, body
        self.query = list(query or [])          # [(k, v)] appended as ?k=v
        self.headers = list(headers or [])      # [(k, v)]
        self.via = via

    def clone(self, **kw):
        r = Req(self.path, self.query, self.headers, self.method, self.follow, self.body,
                self.via)
        for k, v in kw.items():
            setattr(r, k, v)
        return r

    def with_header(self, k, v):
        return self.clone(headers=self.headers + [(k, v)])


class Resp:
    """What came back: status, headers (lower-case names -> [values]), body."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None


# ------------------------------------------------------------ header checks

class H:
    """A header check.  H(name) alone checks nothing until given a test;
    H(name, value) is Equals(value), as the suite's Header(k, v)."""

    def __init__(self, name, value=None):
        self.name = name
        self.neg = False
        self.test = None
        if value is not None:
            self.eq(value)

    def _set(self, desc, fn):
        self.desc, self.test = desc, fn
        return self

    def eq(self, v):
        return self._set("equals %r" % v, lambda got: got == v)

    def contains(self, v):
        return self._set("contains %r" % v, lambda got: got is not None and v in got)

    def matches(self, rx):
        return self._set("matches /%s/" % rx, lambda got: got is not None and re.search(rx, got) is not None)

    def exists(self):
        return self._set("exists", lambda got: got is not None)

    def empty(self):
        return self._set("is empty", lambda got: not got)

    def not_empty(self):
        return self._set("is not empty", lambda got: bool(got))

    def checks(self, desc, fn):
        return self._set(desc, lambda got: got is not None and fn(got))

    def has(self, *vals):
        """Every value among the header's (comma-split, all lines)."""
        self.all_values = True
        want = set(vals)

        def fn(got_all):
            got = set()
            for line in got_all:
                got.update(x.strip() for x in line.split(","))
            return want <= got
        return self._set("has %s" % sorted(want), fn)

    def not_(self):
        self.neg = not self.neg
        return self

    def check(self, resp):
        if getattr(self, "all_values", False):
            got = resp.headers.get(self.name.lower(), [])
        else:
            got = resp.header(self.name)
        ok = bool(self.test(got))
        if ok != self.neg:
            return None
        return "header %s %s%s, got %r" % (self.name, "not " if self.neg else "", self.desc, got)


# ------------------------------------------------------------ body checks

def body_eq(want):
    if isinstance(want, str):
        want = want.encode()

    def fn(resp):
        if resp.body == want:
            return None
        return "body differs: want %d bytes %r, got %d bytes %r" % (
            len(want), want[:60], len(resp.body), resp.body[:60])
    return fn


def body_contains(*parts):
    def fn(resp):
        for p in parts:
            pb = p.encode() if isinstance(p, str) else p
            if pb not in resp.body:
                return "body lacks %r (got %r)" % (p, resp.body[:120])
        return None
    return fn


def body_not_contains(part):
    def fn(resp):
        return "body has %r" % part if part.encode() in resp.body else None
    return fn


def body_matches(rx):
    def fn(resp):
        return None if re.search(rx, resp.body.decode("utf-8", "replace")) else "body does not match /%s/" % rx
    return fn


def body_empty(resp):
    return None if not resp.body else "body not empty (%d bytes)" % len(resp.body)


def body_json_eq(want):
    def fn(resp):
        try:
            got = json.loads(resp.body)
        except ValueError:
            return "body is not JSON: %r" % resp.body[:80]
        return None if got == want else "JSON differs: want %r, got %r" % (want, got)
    return fn


def body_all(*checks):
    def fn(resp):
        for c in checks:
            r = c(resp)
            if r:
                return r
        return None
    return fn


class IsCar:
    """The body is a CARv1: its blocks (and roots) checked as the suite's
    IsCar() builder does."""

    def __init__(self):
        self.want_blocks, self.want_roots = [], None
        self.exactly = self.in_order = False

    def has_blocks(self, *cids):
        for c in cids:
            if isinstance(c, (list, tuple)):
                self.want_blocks.extend(c)
            else:
                self.want_blocks.append(c)
        return self

    def has_root(self, c):
        self.want_roots = (self.want_roots or []) + [c]
        return self

    def exact(self):
        self.exactly = True
        return self

    def ordered(self):
        self.in_order = True
        return self

    def __call__(self, resp):
        try:
            roots, blocks = read_car(resp.body)
        except Exception as e:  # noqa: BLE001 -- any parse error is the finding
            return "body is not a CAR: %s (%r)" % (e, resp.body[:60])
        got = [str(c) for c, _ in blocks]
        for c, data in blocks:  # every block must hash to its CID
            from ipld import sha256_cid
            if c.mh[:2] == b"\x12\x20" and sha256_cid(c.codec, data).mh != c.mh:
                return "block %s does not match its hash" % c
        # The suite compares CIDs by multihash (a CIDv0 and its CIDv1 are one block).
        norm = lambda s: Cid.parse(s).mh
        gotn = [norm(c) for c in got]
        wantn = [norm(c) for c in self.want_blocks]
        if self.want_roots is not None:
            rn = [c.mh for c in roots]
            if rn != [norm(r) for r in self.want_roots]:
                return "CAR roots %s, want %s" % ([str(r) for r in roots], self.want_roots)
        for w, ws in zip(wantn, self.want_blocks):
            if w not in gotn:
                return "CAR lacks block %s (has %s)" % (ws, got)
        if self.exactly and sorted(gotn) != sorted(wantn):
            return "CAR blocks %s, want exactly %s" % (got, self.want_blocks)
        if self.in_order and gotn != wantn:
            return "CAR blocks in order %s, want %s" % (got, self.want_blocks)
        return None


# ------------------------------------------------------------ expectations

class Expect:
    def __init__(self, status=None, headers=(), body=None, status_between=None):
        self.status, self.headers, self.body = status, list(headers), body
        self.status_between = status_between

    def with_headers(self, *hs):
        return Expect(self.status, self.headers + list(hs), self.body, self.status_between)

    def check(self, resp):
        errs = []
        if self.status is not None and resp.status != self.status:
            errs.append("status %d, want %d" % (resp.status, self.status))
        if self.status_between and not (self.status_between[0] <= resp.status <= self.status_between[1]):
            errs.append("status %d, want %d..%d" % ((resp.status,) + tuple(self.status_between)))
        for h in self.headers:
            r = h.check(resp)
            if r:
                errs.append(r)
        if self.body is not None and not errs:
            b = self.body if callable(self.body) else body_eq(self.body)
            r = b(resp)
            if r:
                errs.append(r)
        return errs


class AnyOf:
    def __init__(self, *expects):
        self.expects = list(expects)

    def check(self, resp):
        errs = []
        for i, e in enumerate(self.expects):
            r = e.check(resp)
            if not r:
                return []
            errs.append("[alt %d] %s" % (i + 1, "; ".join(r)))
        return ["none of the alternatives holds: " + " | ".join(errs)]


class AllOf:
    def __init__(self, *expects):
        self.expects = list(expects)

    def check(self, resp):
        errs = []
        for e in self.expects:
            errs.extend(e.check(resp))
        return errs


class Case:
    """One conformance case: a request (or several, checked in turn) and
    what each answer must be.  `same_payload` checks that every answer's
    body is the same (the suite's Responses().HaveTheSamePayload())."""

    def __init__(self, name, req, expect, reqs=None, same_payload=False, host=None):
        self.name, self.req, self.expect = name, req, expect
        self.reqs = reqs
        self.same_payload = same_payload
