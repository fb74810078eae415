#!/bin/bash
# it_gw_frozen.sh — when the gateway makes frozen copies of large blocks
# (blockstore/bs.h: sealed memfds it sends with sendfile): on a block's
# second request, never for a file served once.  A block of 1 MiB is read
# again for each 256 KiB piece of one response, and each read counted as a
# request: every large block of a file downloaded once was copied (a
# memcpy and 1 MiB of shmem each, for copies never used, pushing the hot
# ones out of the cache's 64 MiB).
#   1. An 8 MiB file (1 MiB leaves) served once, whole: no copy open.
#   2. Served again: copies open, and both bodies are the file's bytes.
source "$(dirname "$0")/lib.sh"

t init >/dev/null
head -c $((8 << 20)) /dev/urandom >"$WORK/f"
cid=$(t add -Q --chunker=size-1048576 "$WORK/f")
start_daemon
checked_stop 10

# The daemon's open frozen copies (readlink each: an fd closed meanwhile is
# skipped).
copies() {
  for f in /proc/$DPID/fd/*; do readlink "$f" 2>/dev/null || true; done |
    grep -c trove-frozen || true
}

curl -sf -o "$WORK/got" "http://127.0.0.1:$GPORT/ipfs/$cid" || fail "first GET"
cmp -s "$WORK/got" "$WORK/f" || fail "first body differs"
n=$(copies)
eq "$n" 0 "(frozen copies after one download)"
ok "a file served once: no frozen copy"

curl -sf -o "$WORK/got" "http://127.0.0.1:$GPORT/ipfs/$cid" || fail "second GET"
cmp -s "$WORK/got" "$WORK/f" || fail "second body differs"
n=$(copies)
[ "$n" -ge 1 ] || fail "no frozen copy after the second download"
ok "served again: $n frozen copies"
