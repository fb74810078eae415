"""Fixture lookup and the Ipfs-Uri value, shared by the case files."""
import os

from ipld import Cid, Fixture

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
_cache = {}


def fixture_path(rel):
    return os.path.join(FIXTURES, rel)


def fx(rel):
    """The fixture CAR at fixtures/rel (parsed once)."""
    if rel not in _cache:
        _cache[rel] = Fixture(fixture_path(rel))
    return _cache[rel]


_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def ipfs_uri(path):
    """The Ipfs-Uri header a gateway sends for the content path path
    (IPIP-0548, as boxo v0.43.0 builds it): an /ipfs/ root as a base32
    CIDv1; an /ipns/ key given as a base36 CIDv1 (as the fixtures give
    them) or a DNSLink name in lower case, unchanged; every later segment
    percent-encoded but for RFC 3986's unreserved bytes; a trailing slash
    kept."""
    ns, root, *rest = path.lstrip("/").split("/")
    if ns == "ipfs":
        c = Cid.parse(root)
        root = str(Cid(1, c.codec, c.mh))
    else:
        root = root.lower()
    segs = ["".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in s.encode())
            for s in rest]
    return "%s://%s%s" % (ns, root, "".join("/" + s for s in segs))
