#!/usr/bin/env python3
"""it_deep_dag.py DEPTH OUT.car — a CARv1 whose root is a UnixFS file
DEPTH levels deep: each level a dag-pb File node with one link and one
blocksize of 1, the bottom a raw block "x".  The CID of the root is printed.
Such a file reads as "x"; it exists to prove that walks have no small depth
cap (Kubo reads and pins it)."""
import hashlib
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def cid(codec, data):
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()


def field(num, payload):
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def file_node(child):
    # UnixFS Data { Type = File (2); filesize = 1; blocksizes = [1] }
    unixfs = bytes([0x08, 0x02, 0x18, 0x01, 0x20, 0x01])
    link = field(1, child) + field(2, b"") + bytes([0x18, 0x01])
    return field(2, link) + field(1, unixfs)


def main():
    depth, out = int(sys.argv[1]), sys.argv[2]
    blocks = []
    leaf = b"x"
    c = cid(0x55, leaf)
    blocks.append((c, leaf))
    for _ in range(depth):
        node = file_node(c)
        c = cid(0x70, node)
        blocks.append((c, node))
    root = c
    # header: dag-cbor {"roots": [CID], "version": 1}
    tagged = bytes([0xD8, 0x2A]) + bytes([0x58, len(root) + 1, 0x00]) + root
    hdr = (bytes([0xA2, 0x65]) + b"roots" + bytes([0x81]) + tagged +
           bytes([0x67]) + b"version" + bytes([0x01]))
    with open(out, "wb") as f:
        f.write(varint(len(hdr)) + hdr)
        for c, data in reversed(blocks):
            f.write(varint(len(c) + len(data)) + c + data)
    alpha = "abcdefghijklmnopqrstuvwxyz234567"
    bits, val, s = 0, 0, ""
    for byte in root:
        val = val << 8 | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            s += alpha[(val >> bits) & 31]
    if bits:
        s += alpha[(val << (5 - bits)) & 31]
    print("b" + s)


if __name__ == "__main__":
    main()
