"""Ported from ipfs/gateway-conformance v0.13.2: tests/path_gateway_raw_test.go,
tests/trustless_gateway_raw_test.go, tests/trustless_gateway_car_test.go,
tests/trustless_gateway_ipns_test.go (names, requests and expectations
as there; the helpers' transforms -- range tests, the CAR headers, the
format=car / Accept pairs -- expanded as the suite's helpers expand them)."""
from dsl import (Case, Req, Expect, AnyOf, AllOf, H, IsCar, body_eq, body_contains,
                 body_all)
from ipld import Fixture, pb_fields, cbor_decode
from common import fx, fixture_path, ipfs_uri


def immutable_cache_control():
    def ok(v):
        d = {}
        for part in v.replace(" ", "").split(","):
            k, _, val = part.partition("=")
            d[k] = val
        if "public" not in d or "immutable" not in d or "max-age" not in d:
            return False
        try:
            return int(d["max-age"]) >= 29030400
        except ValueError:
            return False
    return H("Cache-Control").checks("public, immutable, max-age>=29030400", ok)


# ---------------------------------------------------------------- ranges

def _parse_range(r):
    a, b = r[len("bytes="):].split("-")
    return int(a), int(b)


def single_range(name, req, base, rng, full):
    s, e = _parse_range(rng)
    return Case(name, req.with_header("Range", rng), AllOf(base, AnyOf(
        Expect(206, [H("Content-Range", "bytes %d-%d/%d" % (s, e, len(full)))], full[s:e + 1]),
        Expect(200, body=full))))


def multi_range(name, req, base, ranges, full, ctype):
    rs = [_parse_range(r) for r in ranges]
    hdr = "bytes=" + ",".join("%d-%d" % r for r in rs)
    s0, e0 = rs[0]
    parts = [body_contains("Content-Type: %s" % ctype)]
    for s, e in rs:
        # as the suite: every part's check names the first range's Content-Range
        parts += [body_contains("Content-Range: bytes %d-%d/%d" % (s0, e0, len(full))),
                  body_contains(full[s:e + 1])]
    return Case(name, req.with_header("Range", hdr), AllOf(base, AnyOf(
        Expect(200, [H("Content-Type", ctype)], full),
        Expect(206, [H("Content-Range", "bytes %d-%d/%d" % (s0, e0, len(full))),
                     H("Content-Type", ctype)], full[s0:e0 + 1]),
        Expect(206, [H("Content-Type").contains("multipart/byteranges")], body_all(*parts)))))


def only_random_range_tests(name, req, base, full, ctype):
    ranges = ["bytes=7-9", "bytes=1-3"]
    return [single_range(name + " - single range", req, base, ranges[0], full),
            multi_range(name + " - multi range", req, base, ranges, full, ctype)]


def include_random_range_tests(name, req, base, full, ctype):
    return [Case(name + " - full request", req, AllOf(base, Expect(200, body=full)))] + \
        only_random_range_tests(name, req, base, full, ctype)


# ---------------------------------------------------------------- CAR transforms

def car_headers():
    return [H("X-Content-Type-Options", "nosniff"),
            H("Accept-Ranges", "none"),
            H("Content-Type").contains("application/vnd.ipld.car"),
            H("Content-Disposition").matches(r'attachment; filename=".*\.car"'),
            H("Etag").not_().empty()]


def standard_car(cases):
    """StandardCARTestTransforms: CAR headers on every 200 answer, and each
    case twice: with ?format=car and with the Accept header instead."""
    out = []
    for c in cases:
        e = c.expect
        if isinstance(e, AnyOf):
            e = AnyOf(*[x.with_headers(*car_headers()) if x.status == 200 else x for x in e.expects])
        else:
            e = e.with_headers(*car_headers())
        out.append(Case(c.name + " (format=car)", c.req, e))
        q = [(k, v) for k, v in c.req.query if k != "format"]
        out.append(Case(c.name + " (Accept Header)",
                        c.req.clone(query=q).with_header("Accept", "application/vnd.ipld.car"), e))
    return out


def car(*blocks):
    return IsCar().has_blocks(*blocks).exact().ordered()


def cases():
    out = []
    f = fx("gateway-raw-block.car")
    G = "TestGatewayBlock/"
    root = f.cid()
    out += [
        Case(G + "GET with format=raw param returns a raw block",
             Req("/ipfs/%s/dir" % root, [("format", "raw")]), Expect(200, body=f.raw("dir"))),
        Case(G + "GET with application/vnd.ipld.raw header returns a raw block",
             Req("/ipfs/%s/dir" % root, headers=[("Accept", "application/vnd.ipld.raw")]),
             Expect(200, body=f.raw("dir"))),
        Case(G + "GET with application/vnd.ipld.raw with single range request includes correct bytes",
             Req("/ipfs/%s/dir" % root, headers=[("Accept", "application/vnd.ipld.raw"), ("Range", "bytes=6-16")]),
             Expect(206, [H("Content-Type", "application/vnd.ipld.raw"),
                          H("Content-Range", "bytes 6-16/57")], f.raw("dir")[6:17])),
        Case(G + "GET with application/vnd.ipld.raw header returns expected response headers",
             Req("/ipfs/%s/dir/ascii.txt" % root, headers=[("Accept", "application/vnd.ipld.raw")]),
             Expect(200, [H("Content-Type", "application/vnd.ipld.raw"),
                          H("Content-Length", str(len(f.raw("dir", "ascii.txt")))),
                          H("Content-Disposition").contains("attachment;"),
                          H("X-Content-Type-Options", "nosniff")], f.raw("dir", "ascii.txt"))),
        Case(G + "GET with application/vnd.ipld.raw header and filename param returns expected Content-Disposition header with custom filename",
             Req("/ipfs/%s/dir/ascii.txt?filename=foobar.bin" % root, headers=[("Accept", "application/vnd.ipld.raw")]),
             Expect(200, [H("Content-Disposition").contains("attachment;"),
                          H("Content-Disposition").contains('filename="foobar.bin')])),
        Case(G + "GET with application/vnd.ipld.raw header returns expected caching headers",
             Req("/ipfs/%s/dir/ascii.txt" % root, headers=[("Accept", "application/vnd.ipld.raw")]),
             Expect(200, [H("ETag").exists(),
                          H("Ipfs-Uri", ipfs_uri("/ipfs/%s/dir/ascii.txt" % root)),
                          H("X-IPFS-Roots").contains(root),
                          immutable_cache_control()])),
    ]

    G = "TestTrustlessRaw/"
    d, a = f.cid("dir"), f.cid("dir", "ascii.txt")
    raw_acc = [("Accept", "application/vnd.ipld.raw")]
    out += [
        Case(G + "GET with format=raw param returns a raw block",
             Req("/ipfs/" + d, [("format", "raw")]), Expect(200, body=f.raw("dir"))),
        Case(G + "GET with application/vnd.ipld.raw header returns a raw block",
             Req("/ipfs/" + d, headers=raw_acc), Expect(200, body=f.raw("dir"))),
        Case(G + "GET with application/vnd.ipld.raw header returns expected response headers",
             Req("/ipfs/" + a, headers=raw_acc),
             Expect(200, [H("Content-Type", "application/vnd.ipld.raw"),
                          H("Content-Length", str(len(f.raw("dir", "ascii.txt")))),
                          H("Content-Disposition").contains("attachment;"),
                          H("X-Content-Type-Options", "nosniff")], f.raw("dir", "ascii.txt"))),
        Case(G + "GET with application/vnd.ipld.raw header and filename param returns expected Content-Disposition header with custom filename",
             Req("/ipfs/%s?filename=foobar.bin" % a, headers=raw_acc),
             Expect(200, [H("Content-Disposition").contains("attachment;"),
                          H("Content-Disposition").contains('filename="foobar.bin')])),
        Case(G + "GET with application/vnd.ipld.raw header returns expected caching headers",
             Req("/ipfs/" + a, headers=raw_acc),
             Expect(200, [H("Etag").exists(), H("Ipfs-Uri", ipfs_uri("/ipfs/" + a)),
                          H("X-IPFS-Roots").contains(a), immutable_cache_control()])),
    ]
    out += only_random_range_tests(
        "TestTrustlessRawRanges/GET with application/vnd.ipld.raw with range request includes correct bytes",
        Req("/ipfs/" + a, headers=raw_acc), Expect(), f.raw("dir", "ascii.txt"), "application/vnd.ipld.raw")

    # ------------------------------------------------------------ CAR
    sub = fx("trustless_gateway_car/subdir-with-two-single-block-files.car")
    hamt = fx("trustless_gateway_car/single-layer-hamt-with-multi-block-files.car")
    cbor = fx("trustless_gateway_car/dir-with-dag-cbor-with-links.car")
    mixed = fx("trustless_gateway_car/subdir-with-mixed-block-files.car")
    missing = fx("trustless_gateway_car/file-3k-and-3-blocks-missing-block.car")
    dups = fx("trustless_gateway_car/dir-with-duplicate-files.car")
    PB, CB = 0x70, 0x71
    fc = [("format", "car")]
    G = "TestTrustlessCarPathing/"
    out += standard_car([
        Case(G + "GET default CAR response with pathing through UnixFS Directory",
             Req("/ipfs/%s/subdir/ascii.txt" % sub.cid(codec=PB), fc),
             Expect(200, body=car(sub.cid(), sub.cid("subdir"), sub.cid("subdir", "ascii.txt")))),
        Case(G + "GET default CAR response of UnixFS file on a path with HAMT-sharded directory",
             Req("/ipfs/%s/685.txt" % hamt.cid(codec=PB), fc),
             Expect(200, body=car(hamt.cid(), hamt.hamt_traversal([], "685.txt"), hamt.cid("685.txt"),
                                  hamt.descendants("685.txt")))),
        Case(G + "GET default CAR response of UnixFS file on a path with DAG-CBOR as root CID",
             Req("/ipfs/%s/files/single" % cbor.cid("document", codec=CB), fc),
             Expect(200, body=car(cbor.cid("document"), cbor.cid("document", "files", "single")))),
        Case(G + "GET default CAR response for non-existing file",
             Req("/ipfs/%s/subdir/i-do-not-exist" % sub.cid(codec=PB), fc),
             AnyOf(Expect(200, body=car(sub.cid(), sub.cid("subdir"))),
                   Expect(404),
                   Expect(200, [H("X-Stream-Error").not_().empty()]))),
    ])
    G = "TestTrustlessCarDagScopeBlock/"
    blk = fc + [("dag-scope", "block")]
    out += standard_car([
        Case(G + "GET CAR with dag-scope=block of UnixFS directory on a path",
             Req("/ipfs/%s/subdir" % sub.cid(codec=PB), blk),
             Expect(200, body=car(sub.cid(), sub.cid("subdir")))),
        Case(G + "GET CAR with dag-scope=block of UnixFS file on a path",
             Req("/ipfs/%s/subdir/ascii.txt" % sub.cid(codec=PB), blk),
             Expect(200, body=car(sub.cid(), sub.cid("subdir"), sub.cid("subdir", "ascii.txt")))),
        Case(G + "GET CAR with dag-scope=block of UnixFS file on a path with sharded directory",
             Req("/ipfs/%s/1.txt" % hamt.cid(codec=PB), blk),
             Expect(200, body=car(hamt.cid(), hamt.hamt_traversal([], "1.txt"), hamt.cid("1.txt")))),
    ])
    G = "TestTrustlessCarDagScopeEntity/"
    ent = fc + [("dag-scope", "entity")]
    out += standard_car([
        Case(G + "GET CAR with dag-scope=entity of a UnixFS directory",
             Req("/ipfs/" + sub.cid(codec=PB), ent), Expect(200, body=car(sub.cid()))),
        Case(G + "GET CAR with dag-scope=entity of a UnixFS sharded directory",
             Req("/ipfs/" + hamt.cid(codec=PB), ent), Expect(200, body=car(hamt.cid(), hamt.hamt_shards()))),
        Case(G + "GET CAR with dag-scope=entity of a UnixFS file",
             Req("/ipfs/%s/subdir/ascii.txt" % mixed.cid(codec=PB), ent),
             Expect(200, body=car(mixed.cid(), mixed.cid("subdir"), mixed.cid("subdir", "ascii.txt")))),
        Case(G + "GET CAR with dag-scope=entity of a chunked UnixFS file",
             Req("/ipfs/%s/subdir/multiblock.txt" % mixed.cid(codec=PB), ent),
             Expect(200, body=car(mixed.cid(), mixed.cid("subdir"), mixed.cid("subdir", "multiblock.txt"),
                                  mixed.descendants("subdir", "multiblock.txt")))),
        Case(G + "GET CAR with dag-scope=entity of DAG-CBOR with Links",
             Req("/ipfs/%s/document" % cbor.cid(codec=PB), ent),
             Expect(200, body=car(cbor.cid(), cbor.cid("document")))),
    ])
    G = "TestTrustlessCarDagScopeAll/"
    al = fc + [("dag-scope", "all")]
    out += standard_car([
        Case(G + "GET CAR with dag-scope=all of UnixFS directory with multiple files",
             Req("/ipfs/%s/subdir" % mixed.cid(codec=PB), al),
             Expect(200, body=car(mixed.cid(), mixed.cid("subdir"), mixed.descendants("subdir")))),
        Case(G + "GET CAR with dag-scope=all of a chunked UnixFS file",
             Req("/ipfs/%s/subdir/multiblock.txt" % mixed.cid(codec=PB), al),
             Expect(200, body=car(mixed.cid(), mixed.cid("subdir"), mixed.cid("subdir", "multiblock.txt"),
                                  mixed.descendants("subdir", "multiblock.txt")))),
    ])
    G = "TestTrustlessCarEntityBytes/"
    mb = mixed.cid("subdir", "multiblock.txt", codec=PB)
    mbd = mixed.descendants("subdir", "multiblock.txt")
    eb = lambda r: ent + [("entity-bytes", r)]
    chunks = ["bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm",
              "bafkreih4ephajybraj6wnxsbwjwa77fukurtpl7oj7t7pfq545duhot7cq",
              "bafkreigu7buvm3cfunb35766dn7tmqyh2um62zcio63en2btvxuybgcpue",
              "bafkreicll3huefkc3qnrzeony7zcfo7cr3nbx64hnxrqzsixpceg332fhe",
              "bafkreifst3pqztuvj57lycamoi7z34b4emf7gawxs74nwrc2c7jncmpaqm"]
    out += standard_car([
        Case(G + "GET CAR with entity-bytes succeeds even if the gateway is missing a block after the requested range",
             Req("/ipfs/" + missing.cid(codec=PB), eb("0:1000")),
             Expect(200, body=IsCar().has_blocks(missing.cid(), "QmPKt7ptM2ZYSGPUc8PmPT2VBkLDK3iqpG9TBJY7PCE9rF").exact())),
        Case(G + "GET CAR with entity-bytes succeeds even if the gateway is missing a block before the requested range",
             Req("/ipfs/" + missing.cid(codec=PB), eb("2200:*")),
             Expect(200, body=IsCar().has_blocks(missing.cid(), "QmWXY482zQdwecnfBsj78poUUuPXvyw2JAFAEMw4tzTavV").exact())),
        Case(G + "GET CAR with entity-bytes of a full UnixFS file",
             Req("/ipfs/%s/subdir/multiblock.txt" % mixed.cid(codec=PB), eb("0:*")),
             Expect(200, body=car(mixed.cid(), mixed.cid("subdir"), mb, mbd))),
        Case(G + "GET CAR with entity-bytes of a UnixFS directory",
             Req("/ipfs/" + hamt.cid(codec=PB), eb("0:*")), Expect(200, body=car(hamt.cid(), hamt.hamt_shards()))),
        Case(G + "GET CAR with entity-bytes equivalent to a HTTP Range Request from the middle of a file to the end",
             Req("/ipfs/" + mb, eb("512:*")), Expect(200, body=car(mb, mbd[2:]))),
        Case(G + "GET CAR with entity-bytes equivalent to a HTTP Range Request for the middle of a file",
             Req("/ipfs/" + mb, eb("512:1023")), Expect(200, body=car(mb, mbd[2:4]))),
        Case(G + "GET CAR with entity-bytes equivalent to a HTTP Range Request for the middle of a file (negative ending)",
             Req("/ipfs/" + mb, eb("512:-256")), Expect(200, body=car(mb, mbd[2:4]))),
        Case(G + "GET CAR with entity-bytes equivalent to HTTP Suffix Range Request for part of a file",
             Req("/ipfs/" + mb, eb("-5:*")), Expect(200, body=car(mb, mbd[3:]))),
        Case(G + "GET CAR with entity-bytes requesting a negative range bigger than the length of a file",
             Req("/ipfs/" + mb, eb("-9999:*")), Expect(200, body=car(mb, chunks))),
        Case(G + "GET CAR with entity-bytes requesting a range from the end of a file that is bigger than a file itself",
             Req("/ipfs/" + mb, eb("-9999:-3")), Expect(200, body=car(mb, chunks[:4]))),
        Case(G + "GET CAR with entity-bytes requesting only the blocks for the first byte of a file",
             Req("/ipfs/" + mb, eb("0:0")), Expect(200, body=car(mb, mbd[0]))),
    ])
    G = "TestTrustlessCarOrderAndDuplicates/"
    droot = dups.cid()
    ct = lambda *parts: [H("Content-Type").contains(p) for p in parts]
    all_dups = [droot, dups.cid("ascii.txt"), dups.cid("ascii-copy.txt"), dups.cid("hello.txt"),
                dups.cid("multiblock.txt")] + chunks
    out += [
        Case(G + "GET CAR with order=dfs and dups=y of UnixFS Directory With Duplicate Files",
             Req("/ipfs/" + droot, headers=[("Accept", "application/vnd.ipld.car; version=1; order=dfs; dups=y")]),
             Expect(200, ct("application/vnd.ipld.car", "order=dfs", "dups=y"), car(all_dups))),
        Case(G + "GET CAR with order=dfs and dups=n of UnixFS Directory With Duplicate Files",
             Req("/ipfs/" + droot, headers=[("Accept", "application/vnd.ipld.car; version=1; order=dfs; dups=n")]),
             Expect(200, ct("application/vnd.ipld.car", "order=dfs", "dups=n"),
                    car(droot, dups.cid("ascii.txt"), dups.cid("hello.txt"), dups.cid("multiblock.txt"), chunks))),
        Case(G + "GET CAR smoke-test with order=unk of UnixFS Directory",
             Req("/ipfs/" + droot, headers=[("Accept", "application/vnd.ipld.car; version=1; order=unk")]),
             Expect(200, ct("application/vnd.ipld.car", "order="), IsCar().has_blocks(all_dups))),
        Case(G + "GET CAR with order=dfs and dups=y of identity CID",
             Req("/ipfs/bafkqaf3imvwgy3zaneqgc3janfxgy2lomvscay3jmqfa",
                 headers=[("Accept", "application/vnd.ipld.car; dups=y")]),
             Expect(200, ct("application/vnd.ipld.car", "dups=y"), car())),
        Case(G + "GET CAR with ?format=car respects Accept header order and dups params",
             Req("/ipfs/%s?format=car" % droot,
                 headers=[("Accept", "application/vnd.ipld.car; version=1; order=dfs; dups=y")]),
             Expect(200, ct("application/vnd.ipld.car", "order=dfs", "dups=y"), car(all_dups))),
        Case(G + "GET CAR with ?car-order=dfs takes precedence over order=unk in Accept",
             Req("/ipfs/%s?format=car&car-order=dfs" % droot, headers=[("Accept", "application/vnd.ipld.car; order=unk")]),
             Expect(200, ct("application/vnd.ipld.car", "order=dfs"))),
        Case(G + "GET CAR with ?car-dups=y takes precedence over dups=n in Accept",
             Req("/ipfs/%s?format=car&car-dups=y" % droot, headers=[("Accept", "application/vnd.ipld.car; dups=n")]),
             Expect(200, ct("application/vnd.ipld.car", "dups=y"))),
    ]
    G = "TestTrustlessCarFormatPrecedence/"
    out += [
        Case(G + "GET with format=car query parameter takes precedence over Accept header",
             Req("/ipfs/%s?format=car" % d, headers=raw_acc),
             Expect(200, [H("Content-Type").contains("application/vnd.ipld.car")])),
        Case(G + "GET with format=raw query parameter takes precedence over Accept header",
             Req("/ipfs/%s?format=raw" % d, headers=[("Accept", "application/vnd.ipld.car")]),
             Expect(200, [H("Content-Type", "application/vnd.ipld.raw")])),
    ]

    # ------------------------------------------------------------ IPNS records
    G = "TestGatewayIPNSRecord/"
    v1v2 = ipns_fixture("ipns_records/k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2.ipns-record")
    v2 = ipns_fixture("ipns_records/k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2.ipns-record")
    rec_hdrs = [H("Content-Disposition").contains("attachment;"),
                H("Content-Type").contains("application/vnd.ipfs.ipns-record"),
                H("Cache-Control").contains("public, max-age=1800")]
    for label, r in (("V1+V2", v1v2), ("V2", v2)):
        out.append(Case(G + "GET IPNS Record (%s) with format=ipns-record has expected HTTP headers and valid key" % label,
                        Req("/ipns/" + r.key, [("format", "ipns-record")]),
                        Expect(None, rec_hdrs, r.is_record())))
    for label, r in (("V1+V2", v1v2), ("V2", v2)):
        out.append(Case(G + "GET IPNS Record (%s) with 'Accept: application/vnd.ipfs.ipns-record' has expected HTTP headers and valid key" % label,
                        Req("/ipns/" + r.key, headers=[("Accept", "application/vnd.ipfs.ipns-record")]),
                        Expect(None, rec_hdrs, r.is_record())))
    out.append(Case(G + "GET IPNS Record with explicit ?filename= succeeds with modified Content-Disposition header",
                    Req("/ipns/" + v1v2.key, [("format", "ipns-record"), ("filename", "testтест.ipns-record")]),
                    Expect(None, [H("Content-Disposition").contains(
                        "attachment; filename=\"test____.ipns-record\"; filename*=UTF-8''test%D1%82%D0%B5%D1%81%D1%82.ipns-record")])))
    return out


class IpnsFixture:
    """An IPNS record fixture: its name (from the file name, as the suite
    takes it) and the value it points to (V2 data's Value, else V1's)."""

    def __init__(self, rel):
        import os
        self.path = fixture_path(rel)
        self.key = os.path.basename(rel).split("_")[0].split(".")[0]
        with open(self.path, "rb") as fh:
            self.data = fh.read()
        v1 = data = None
        for num, _, v in pb_fields(self.data):
            if num == 1:
                v1 = v
            elif num == 9:
                data = v
        val = v1
        if data is not None:
            val = cbor_decode(data).get("Value", v1)
        self.value = val.decode()

    def is_record(self):
        """IsIPNSRecord(key).IsValid().PointsTo(value): the body is a record
        for this name pointing at the value.  Without an Ed25519 verifier in
        the stdlib, validity is checked as identity with the fixture (a
        valid, signed record): a gateway serves the stored record's bytes."""
        want = self.data

        def fn(resp):
            if resp.body == want:
                return None
            return "body is not the IPNS record of %s (%d bytes, want %d)" % (self.key, len(resp.body), len(want))
        return fn


def ipns_fixture(rel):
    return IpnsFixture(rel)
