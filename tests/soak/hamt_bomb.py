#!/usr/bin/env python3
"""hamt_bomb.py OUT.car -- write a hostile CARv1 and print its root CID.

The CAR holds a UnixFS HAMT directory (dag-pb, Data type HAMTShard=5,
fanout 256, hashType murmur3 0x22) of LEVELS shard blocks: every one of the
256 links of shard d points to the same shard d+1, and the last shard holds
256 entries that all name one 1-byte raw block.  The CAR is ~95 KB and every
block is valid and distinct, but a listing that follows the links instead of
remembering the blocks it has seen walks 256^LEVELS entries.  LEVELS is 8,
the deepest a 64-bit murmur3 hash allows with 8 bits per level, so a reader
that checks the depth still accepts it.

Everything is encoded by hand (stdlib only): protobuf varints for dag-pb and
UnixFS, CIDv1 with sha2-256, the CARv1 header as DAG-CBOR.  Only the soak
test uses it (tests/soak.sh); it proves nothing about trove by itself.
"""
import hashlib
import sys

LEVELS = 8
FANOUT = 256
CODEC_RAW, CODEC_DAG_PB = 0x55, 0x70
UNIXFS_HAMT, MURMUR3 = 5, 0x22


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):  # protobuf wire type 2 (length-delimited)
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_int(num, value):  # protobuf wire type 0 (varint)
    return varint(num << 3) + varint(value)


def cid_v1(codec, block):
    return b"\x01" + varint(codec) + b"\x12\x20" + hashlib.sha256(block).digest()


def base32_cid(cid):
    """Multibase 'b' (RFC 4648 base32, lower case, no padding)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    bits = int.from_bytes(cid, "big")
    nbits = len(cid) * 8
    pad = (5 - nbits % 5) % 5
    bits <<= pad
    nbits += pad
    return "b" + "".join(alphabet[(bits >> (nbits - 5 * (i + 1))) & 31]
                         for i in range(nbits // 5))


def shard(links):
    """A dag-pb HAMT shard: links (name, cid, tsize), then the UnixFS Data."""
    ufs = (field_int(1, UNIXFS_HAMT) + field_bytes(2, b"\xff" * (FANOUT // 8))
           + field_int(5, MURMUR3) + field_int(6, FANOUT))
    body = b""
    for name, cid, tsize in links:
        link = field_bytes(1, cid) + field_bytes(2, name.encode()) + field_int(3, tsize)
        body += field_bytes(2, link)
    return body + field_bytes(1, ufs)


def car_header(root):
    # DAG-CBOR {"roots": [CID], "version": 1}; keys in length-first order.
    cid = b"\x00" + root  # tag 42 payload: identity multibase prefix
    cbor = (b"\xa2" + b"\x65roots" + b"\x81\xd8\x2a" + b"\x58" + bytes([len(cid)]) + cid
            + b"\x67version" + b"\x01")
    return varint(len(cbor)) + cbor


def build():
    """Return (root cid, [(cid, block)]) with the root's block first."""
    leaf = b"x"
    leaf_cid = cid_v1(CODEC_RAW, leaf)
    blocks = [(leaf_cid, leaf)]
    links = [("%02Xf%03d" % (i, i), leaf_cid, len(leaf)) for i in range(FANOUT)]
    for _ in range(LEVELS):
        blk = shard(links)
        cid = cid_v1(CODEC_DAG_PB, blk)
        blocks.append((cid, blk))
        links = [("%02X" % i, cid, len(blk)) for i in range(FANOUT)]
    blocks.reverse()
    return blocks[0][0], blocks


def main():
    root, blocks = build()
    with open(sys.argv[1], "wb") as f:
        f.write(car_header(root))
        for cid, blk in blocks:
            f.write(varint(len(cid) + len(blk)) + cid + blk)
    print(base32_cid(root))


if __name__ == "__main__":
    main()
