#!/bin/bash
# it_map_trim.sh — the daemon's RSS does not keep the map's pages it has
# read (node/daemon.c, bs_trim_map): every block served is read through
# LMDB's map, and without the trim serving 160 files of 1 MiB left the
# daemon at ~170 MiB of RSS, all of it file-mapped, for good.  With it, the
# file-backed RSS must fall back under the daemon's bound (64 MiB) plus
# slack within a few seconds of the last request, and every file must have
# come back whole.
source "$(dirname "$0")/lib.sh"

N=160
t init >/dev/null
mkdir -p "$WORK/files"
for i in $(seq $N); do head -c 1048576 /dev/urandom >"$WORK/files/f$i"; done
root=$(t add -Q -r "$WORK/files")
start_daemon
checked_stop 10

rss_file() { awk '/^RssFile/ {print int($2 / 1024)}' "/proc/$DPID/status"; }
before=$(rss_file)
for i in $(seq $N); do
  curl -sf -o "$WORK/got" "http://127.0.0.1:$GPORT/ipfs/$root/f$i" ||
    fail "f$i not served"
  cmp -s "$WORK/got" "$WORK/files/f$i" || fail "f$i served wrong bytes"
done
ok "served $N files of 1 MiB (file-backed RSS before: $before MiB)"

# The trim runs every 0.1 s; 5 s of grace for a loaded machine.
for _ in $(seq 50); do
  now=$(rss_file)
  [ "$now" -le 80 ] && break
  sleep 0.1
done
[ "$now" -le 80 ] || fail "file-backed RSS $now MiB after serving $N MiB (bound 64 MiB + slack)"
ok "file-backed RSS $now MiB after serving $N MiB"
