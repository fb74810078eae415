"""Ported from ipfs/gateway-conformance v0.13.2 tests/path_gateway_tar_test.go
(TestTar): ?format=tar and Accept: application/x-tar of a file and of a
directory, ?filename=, and a DAG whose names would escape the archive."""
import io
import tarfile

from dsl import Case, Req, Expect, H
from common import fx


def is_tar(files=None, names=()):
    """The body is a tar; files {name: content} and names are in it (the
    suite's IsTarFile().HasFileWithContent / HasFile)."""
    def fn(resp):
        try:
            tf = tarfile.open(fileobj=io.BytesIO(resp.body), mode="r:")
            members = {m.name: m for m in tf.getmembers()}
        except (tarfile.TarError, OSError) as e:
            return "body is not a tar: %s (%r)" % (e, resp.body[:60])
        for n in names:
            if n not in members:
                return "tar lacks %r (has %s)" % (n, sorted(members)[:10])
        for n, want in (files or {}).items():
            m = members.get(n)
            if m is None or not m.isfile():
                return "tar lacks file %r (has %s)" % (n, sorted(members)[:10])
            got = tf.extractfile(m).read().decode("utf-8", "replace")
            if got != want:
                return "tar file %r holds %r, want %r" % (n, got, want)
        return None
    return fn


def cases():
    out_ = fx("path_gateway_tar/outside-root.car").cid()
    in_ = fx("path_gateway_tar/inside-root.car").cid()
    f = fx("path_gateway_tar/fixtures.car")
    d, fc = f.cid(), f.cid("ą", "ę", "file-źł.txt")
    txt = "I am a txt file on path with utf8\n"
    G = "TestTar/"
    return [
        Case(G + "GET TAR with format=tar and extract",
             Req("/ipfs/" + fc, [("format", "tar")]),
             Expect(200, [H("Content-Disposition").contains("attachment;"),
                          H("Etag").contains('W/"%s.x-tar' % fc),
                          H("Content-Type").contains("application/x-tar")], is_tar({fc: txt}))),
        Case(G + "GET TAR with 'Accept: application/x-tar' and extract",
             Req("/ipfs/" + fc, headers=[("Accept", "application/x-tar")]),
             Expect(200, [H("Content-Disposition").contains("attachment;"),
                          H("Etag").contains('W/"%s.x-tar' % fc),
                          H("Content-Type").contains("application/x-tar")], is_tar())),
        Case(G + "GET TAR has expected root directory",
             Req("/ipfs/" + d, [("format", "tar")]),
             Expect(200, body=is_tar({"%s/ą/ę/file-źł.txt" % d: txt}))),
        Case(G + "GET TAR with explicit ?filename= succeeds with modified Content-Disposition header",
             Req("/ipfs/" + d, [("filename", "testтест.tar"), ("format", "tar")]),
             Expect(200, [H("Content-Disposition").contains(
                 "attachment; filename=\"test____.tar\"; filename*=UTF-8''test%D1%82%D0%B5%D1%81%D1%82.tar")])),
        Case(G + "GET TAR with relative paths outside root fails",
             Req("/ipfs/" + out_, [("format", "tar")]), Expect(status_between=(400, 599))),
        Case(G + "GET TAR with relative paths inside root works",
             Req("/ipfs/" + in_, [("format", "tar")]),
             Expect(200, body=is_tar(names=["%s/foobar/file" % in_]))),
    ]
