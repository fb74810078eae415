#!/usr/bin/env python3
"""it_deep_dag.py DEPTH OUT.car — a CARv1 whose root is a UnixFS file
DEPTH levels deep: each level a dag-pb File node with one link and one
blocksize of 1, the bottom a raw block "x".  Prints the root CID.  Such a
file reads as "x"; it exists to prove that walks have no small depth cap
(Kubo reads and pins it)."""
import sys

from dagbuild import Car, unixfs


def main():
    depth, out = int(sys.argv[1]), sys.argv[2]
    car = Car()
    c = car.add(0x55, b"x")
    for _ in range(depth):
        c = car.pb([(c, "", 1)], unixfs(2, filesize=1, blocksizes=(1,)))
    car.blocks.reverse()  # root first, as `dag export` writes them
    car.write(out, c)


if __name__ == "__main__":
    main()
