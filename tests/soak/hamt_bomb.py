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

The blocks are encoded by hand with tests/dagbuild.py.  Only the soak test
uses it (tests/soak.sh); it proves nothing about trove by itself.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dagbuild import Car, unixfs  # noqa: E402

LEVELS = 8
FANOUT = 256


def main():
    car = Car()
    leaf = car.add(0x55, b"x")
    links = [(leaf, "%02Xf%03d" % (i, i), 1) for i in range(FANOUT)]
    hamt = unixfs(5, b"\xff" * (FANOUT // 8), fanout=FANOUT)
    for _ in range(LEVELS):
        shard = car.pb(links, hamt)
        links = [(shard, "%02X" % i, 1) for i in range(FANOUT)]
    car.write(sys.argv[1], shard)


if __name__ == "__main__":
    main()
