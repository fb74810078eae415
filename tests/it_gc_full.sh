#!/bin/bash
# it_gc_full.sh — GC on a nearly full disk.  GC holds a read snapshot
# through its deletes (blockstore/gc.c, hold_begin), which keeps the pages
# its earlier chunks freed from reuse: on a disk with less room than GC
# writes, a chunk fails for want of space, and GC must then end the hold
# and do the chunk again, taking the freed pages - GC is what a full disk
# needs.  A 200 MiB tmpfs holds a repo of ~49,000 unpinned 1 KiB blocks (~170 MB of
# data.mdb: leaves a third full, and the copies its commits freed) and
# a pinned file, and is then filled to 512 KiB of free space: GC must
# remove every unpinned block, keep the pinned file, and leave room for an
# add, which then takes the freed pages too.  (Without the fallback GC failed here with "No space left on
# device"; trove before the hold succeeded.)  Needs root for the tmpfs;
# skipped otherwise.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/tiny"
if ! mount -t tmpfs -o size=200m tmpfs "$WORK/tiny" 2>/dev/null; then
  echo "skip: cannot mount a tmpfs"; exit 0
fi
trap 'umount "$WORK/tiny" 2>/dev/null; rm -rf "$WORK"' EXIT
export TROVE_PATH=$WORK/tiny/r
t init >/dev/null || fail "init"
head -c $((1 << 20)) /dev/urandom >"$WORK/keep"
keep=$(t add -q "$WORK/keep") || fail "add keep"
head -c $((48 << 20)) /dev/urandom >"$WORK/junk"
t add -q --pin=false --chunker=size-1024 --raw-leaves "$WORK/junk" >/dev/null ||
  fail "add junk"
avail=$(df -k --output=avail "$WORK/tiny" | tail -1)
[ "$avail" -gt 512 ] || fail "the junk filled the disk already ($avail KiB free)"
head -c $(((avail - 512) << 10)) /dev/zero >"$WORK/tiny/filler" 2>/dev/null
out=$(t repo gc 2>&1) || fail "gc on a nearly full disk: $(echo "$out" | tail -3)"
summary=$(grep -v '^removed' <<<"$out")
[[ "$summary" == *"1 blocks kept, 49201 removed"* ]] || fail "gc: $summary"
t cat "$keep" | cmp -s - "$WORK/keep" || fail "the pinned file changed"
t repo verify >/dev/null 2>&1 || fail "repo verify after gc"
# An import on the still nearly full disk: its batch must take the pages
# GC freed, not grow the file.
head -c $((8 << 20)) /dev/urandom >"$WORK/small"
t add -q --chunker=size-1024 --raw-leaves "$WORK/small" >/dev/null ||
  fail "add of small blocks into the freed pages of a full disk"
rm -f "$WORK/tiny/filler"
head -c $((4 << 20)) /dev/urandom >"$WORK/more"
t add -q "$WORK/more" >/dev/null || fail "add after gc"
echo "ok: gc on a nearly full disk"
