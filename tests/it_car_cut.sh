#!/bin/bash
# it_car_cut.sh — a CAR the gateway cannot finish says so (Kubo 0.43 /
# boxo's carTruncationMessage): a 3 MiB file whose second 1 MiB leaf is
# gone from the repo (and Gateway.NoFetch, so it is not fetched) is asked
# for as a CAR.  The answer starts (200, the header and the blocks before
# the hole), then ends with boxo's marker and a connection closed short of
# the chunked body's end (curl fails: no terminating chunk), so neither a
# CAR reader nor an HTTP client takes it for the whole DAG.  The whole CAR
# of a complete DAG has no marker.  The same daemon runs with Kubo's
# Gateway.MaxRangeRequestFileSize (1 MiB): a Range of the 3 MiB file is a
# 501 with boxo's message, one of a small file a 206.
if [ -z "${IT_CAR_CUT_TIMED:-}" ]; then
  IT_CAR_CUT_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
checked_stop 5

t init >/dev/null
t config --json Gateway.NoFetch true >/dev/null
t config Gateway.MaxRangeRequestFileSize 1MiB >/dev/null
head -c $((3 << 20)) /dev/urandom >"$WORK/f"
ROOT=$(t add -Q --chunker=size-1048576 --raw-leaves "$WORK/f")
printf 'whole\n' >"$WORK/g"
WHOLE=$(t add -Q "$WORK/g")
LEAVES=$(t refs "$ROOT")
eq "$(echo "$LEAVES" | wc -l)" 3 "three leaves"
GONE=$(echo "$LEAVES" | sed -n 2p)
t pin rm "$ROOT" >/dev/null
t block rm "$GONE" >/dev/null || fail "block rm the second leaf"
start_daemon
G="http://127.0.0.1:$GPORT"
MARK='[Gateway Error: CAR stream truncated, response is incomplete]'

rc=0
curl -s -o "$WORK/cut.car" -D "$WORK/cut.h" "$G/ipfs/$ROOT?format=car" || rc=$?
head -1 "$WORK/cut.h" | grep -q ' 200' || fail "not a 200: $(head -1 "$WORK/cut.h")"
[ "$rc" != 0 ] || fail "curl took the cut CAR for a whole body"
[ "$(stat -c %s "$WORK/cut.car")" -gt $((1 << 20)) ] || fail "the blocks before the hole were not sent"
tail -c "$((${#MARK} + 2))" "$WORK/cut.car" | cmp -s - <(printf '\n\n%s' "$MARK") ||
  fail "the cut CAR does not end with the marker: $(tail -c 80 "$WORK/cut.car" | od -c | tail -3)"
grep -q "response cut short" "$WORK/daemon.log" || fail "the cut is not logged"
echo "ok a CAR cut short ends with boxo's marker and an incomplete body"

curl -sf -o "$WORK/whole.car" "$G/ipfs/$WHOLE?format=car" || fail "a whole CAR"
grep -q "Gateway Error" "$WORK/whole.car" && fail "the marker in a whole CAR"
t dag import --pin-roots=false "$WORK/whole.car" >/dev/null || fail "the whole CAR does not import"
echo "ok a whole CAR has no marker"

eq "$(curl -s -o "$WORK/r" -w '%{http_code}' -H 'Range: bytes=0-9' "$G/ipfs/$ROOT")" 501 \
  "a Range of a file over Gateway.MaxRangeRequestFileSize"
grep -q "range requests not supported for files larger than 1048576 bytes" "$WORK/r" ||
  fail "no reason given: $(cat "$WORK/r")"
eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-2' "$G/ipfs/$WHOLE")" 206 \
  "a Range of a small file"
echo "ok Gateway.MaxRangeRequestFileSize"
