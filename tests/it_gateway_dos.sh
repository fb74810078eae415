#!/bin/bash
# it_gateway_dos.sh — the gateway under hostile content and clients (issue
# 8, "Stalls and exhaustion"), on 127.0.0.1 with curl and it_gateway_dos.py:
#
#   - a 83 KB HAMT whose shards all point at one child (256^7 * 4 entries
#     if walked as a tree): its listing answers 502 at once, and four
#     ?format=car&dag-scope=entity requests each send every shard once and
#     end, after which downloads, API calls and SIGTERM still work;
#   - a directory (a HAMT) of 100050 entries: the listing stops at
#     GW_DIR_MAX_ENTRIES (100000) rows, sorted by name, and says there are
#     more; rows carry the entry's kind (file, directory) for its icon;
#   - N lookups through 24 nested ~2 MiB directories in flight: a small
#     file and /api/v0/version are answered before most of them end (path
#     resolution off the loop thread), and every lookup succeeds;
#   - a file nested 100 directories deep (over the old 64-segment bound);
#   - a 2-byte file made of 16^40 zero-size references, and a 30000-byte
#     file whose every byte comes from its own 1.9 MiB node: each answer
#     ends promptly (the second cut short: its reads are over budget);
#   - ranges: sixteen overlapping "0-" send the file once, overlapping and
#     adjacent ranges are merged, "bytes=--5" is 400 and "bytes=+1-+2"
#     206 (as Kubo), one past the end 416,
#     too many ranges send the whole file, a multipart boundary is random.
#
# No assertion on durations: order of completion, statuses and bodies.
# Bounded: the script runs under `timeout`, every curl has --max-time.
if [ -z "${IT_GATEWAY_DOS_TIMED:-}" ]; then
  IT_GATEWAY_DOS_TIMED=1 exec timeout -k 5 400 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
PY="python3 $(cd "$(dirname "$0")" && pwd)/it_gateway_dos.py"
checked_stop 10
for tool in curl python3; do
  command -v $tool >/dev/null || fail "$tool is missing (make deps)"
done

# ------------------------------------------------------------- the content
t init >/dev/null
# 100050 small files: made in memory where there is a tmpfs (seconds, not
# the half-minute a loaded disk takes), removed once added.
WORK_SHM=$(mktemp -d /dev/shm/trove-dos.XXXXXX 2>/dev/null || true)
D=${WORK_SHM:-$WORK}/data
mkdir -p "$D/big"
python3 - "$D" <<'PYEOF'
import os, random, sys
d = sys.argv[1]
with open(os.path.join(d, "file.bin"), "wb") as f:
    f.write(random.Random(8).randbytes(3 * 1048576 + 11))
for i in range(100050):
    with open(os.path.join(d, "big", "e%06d" % i), "wb") as f:
        f.write(b"%d" % i)
p = os.path.join(d, "deep", *(["d"] * 100))
os.makedirs(p)
with open(os.path.join(p, "f.txt"), "wb") as f:
    f.write(b"deep down\n")
PYEOF
ROOT=$(t add -r -Q "$D")
FSIZE=$(stat -c %s "$D/file.bin")
mv "$D/file.bin" "$WORK/file.bin"
rm -rf "$D"
imp() { $PY "$1" "$WORK/$1.car" "${@:2}" >"$WORK/$1.cid" && t dag import "$WORK/$1.car" >/dev/null && cat "$WORK/$1.cid"; }
BOMB=$(imp bomb)
NESTED=$(imp nested 24)
ZERO=$(imp zerobomb)
AMP=$(imp amplify)
rm -f "$WORK"/*.car

start_daemon
PORT=$GPORT
G=http://127.0.0.1:$PORT
A=http://127.0.0.1:$APORT
C="curl -s --max-time 60"
fetch() { : >"$WORK/body"; $C -D "$WORK/hdrs" -o "$WORK/body" -w '%{http_code}' "$@"; }
hdr() { grep -i "^$1:" "$WORK/hdrs" | tail -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }
alive() { # the daemon still answers a download and an API call
  eq "$(fetch "$G/ipfs/$ROOT/file.bin")" 200 "download ($1)"
  cmp -s "$WORK/body" "$WORK/file.bin" || fail "download differs ($1)"
  eq "$($C -o /dev/null -w '%{http_code}' -X POST "$A/api/v0/version")" 200 "API ($1)"
}

# ------------------------------------------------------------ HAMT bomb
eq "$(fetch "$G/ipfs/$BOMB/")" 502 "listing of the HAMT bomb"
grep -q "reached twice" "$WORK/body" || fail "502 without the reason: $(cat "$WORK/body")"
pids=()
for i in 1 2 3 4; do
  $C -o "$WORK/bomb$i.car" -w '%{http_code}' \
    "$G/ipfs/$BOMB?format=car&dag-scope=entity" >"$WORK/bomb$i.code" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "CAR of the HAMT bomb did not end"; done
for i in 1 2 3 4; do
  eq "$(cat "$WORK/bomb$i.code")" 200 "CAR of the HAMT bomb"
  # the 8 shards, each once (dups=n): no leaf, the entity is the directory
  eq "$($PY carcheck "$WORK/bomb$i.car")" "8 8" "blocks in the bomb's CAR"
done
alive "after the HAMT bomb"
echo "ok HAMT bomb: listing 502, entity CARs of 8 blocks, node still serving"

# ------------------------------------------------------- capped listing
eq "$(fetch "$G/ipfs/$ROOT/big/")" 200 "listing of 100050 entries"
eq "$(grep -c "<tr class=\"f\"><td class=\"n\"><a href=\"/ipfs/$ROOT/big/e" "$WORK/body")" 100000 "rows listed"
grep -q "The first 100000 entries are shown" "$WORK/body" || fail "no note of the cap"
grep -o "<a href=\"/ipfs/$ROOT/big/e[0-9]*\">" "$WORK/body" | LC_ALL=C sort -c \
  || fail "a HAMT's listing is not sorted by name"
[ -z "$(hdr Content-Length)" ] || fail "a listing is streamed, not sized"
eq "$(fetch "$G/ipfs/$ROOT/")" 200 "listing of the root"
grep -q "<tr class=\"d\"><td class=\"n\"><a href=\"/ipfs/$ROOT/big\">" "$WORK/body" || fail "big is not a directory row"
grep -q "<tr class=\"f\"><td class=\"n\"><a href=\"/ipfs/$ROOT/file.bin\">" "$WORK/body" || fail "file.bin is not a file row"
grep -q 'href="?format=tar">TAR</a>' "$WORK/body" || fail "no TAR download link"
echo "ok listing: capped at 100000 rows, sorted, streamed, kinds marked"

# ------------------------------------------- lookups off the loop thread
DEEPN=$(printf 'd/%.0s' $(seq 24))
eq "$(fetch "$G/ipfs/$NESTED/${DEEPN}f.txt")" 200 "through 24 big directories"
eq "$(cat "$WORK/body")" "bottom"
read -r before statuses < <($PY race 40 "$G/ipfs/$NESTED/${DEEPN}f.txt" \
  "GET:$G/ipfs/$ROOT/big/e000001" \
  "POST:$A/api/v0/version")
eq "$statuses" 200 "statuses of the race"
[ "$before" -lt 20 ] || fail "honest requests waited for $before of 40 slow lookups"
echo "ok lookups: honest requests answered after $before of 40 slow lookups"

# ----------------------------------------------------------- deep paths
eq "$(fetch "$G/ipfs/$ROOT/deep/$(printf 'd/%.0s' $(seq 100))f.txt")" 200 "100 levels deep"
eq "$(cat "$WORK/body")" "deep down"
eq "$(fetch "$G/ipfs/$ROOT/deep/$(printf 'd/%.0s' $(seq 100))f.txt?format=car")" 200 "CAR 100 levels deep"
eq "$($PY carcheck "$WORK/body")" "103 103" "path blocks of the deep CAR"
echo "ok deep: a file 100 directories down, as a file and as a CAR"

# ---------------------------------------------------------- file bombs
eq "$(fetch "$G/ipfs/$ZERO")" 200 "zero-size bomb"
eq "$(cat "$WORK/body")" "ab"
code=$(fetch "$G/ipfs/$AMP") && rc=0 || rc=$?
# Either refused before the headers or cut short after them.
if [ "$code" = 200 ]; then
  [ "$rc" != 0 ] || [ "$(stat -c %s "$WORK/body")" != 30000 ] ||
    fail "the amplifying file was served whole"
else
  [ "$code" = 504 ] || fail "amplifying file: status $code"
fi
alive "after the file bombs"
echo "ok file bombs: zero-size references, amplification cut short"

# --------------------------------------------------------------- ranges
eq "$(fetch -H "Range: bytes=$(printf '0-,%.0s' $(seq 15))0-" "$G/ipfs/$ROOT/file.bin")" 206 "16 x 0-"
eq "$(stat -c %s "$WORK/body")" "$FSIZE" "16 x 0- is sent once"
cmp -s "$WORK/body" "$WORK/file.bin" || fail "16 x 0- body"
eq "$(hdr Content-Range)" "bytes 0-$((FSIZE - 1))/$FSIZE"
eq "$(fetch -H "Range: bytes=0-99,50-149" "$G/ipfs/$ROOT/file.bin")" 206
eq "$(hdr Content-Range)" "bytes 0-149/$FSIZE" "overlap merged"
eq "$(fetch -H "Range: bytes=10-19, 0-9" "$G/ipfs/$ROOT/file.bin")" 206
eq "$(hdr Content-Range)" "bytes 0-19/$FSIZE" "adjacent merged"
cmp -s "$WORK/body" <(head -c 20 "$WORK/file.bin") || fail "merged body"
for bad in "bytes=--5" "bytes=5-3" "bytes=1-2x" "bytes=-" "bytes=0-1,x"; do
  eq "$(fetch -H "Range: $bad" "$G/ipfs/$ROOT/file.bin")" 400 "$bad"
  eq "$(hdr Content-Range)" "" "$bad"
done
for none in "bytes=$FSIZE-" "bytes=-0"; do
  eq "$(fetch -H "Range: $none" "$G/ipfs/$ROOT/file.bin")" 416 "$none"
  eq "$(hdr Content-Range)" "bytes */$FSIZE" "$none"
  grep -q "invalid range: failed to overlap" "$WORK/body" || fail "$none: body"
done
eq "$(fetch -H "Range: bytes=+1-+2" "$G/ipfs/$ROOT/file.bin")" 206 "bytes=+1-+2"
eq "$(hdr Content-Range)" "bytes 1-2/$FSIZE" "bytes=+1-+2"
eq "$(fetch -H "Range: bytes=" "$G/ipfs/$ROOT/file.bin")" 200 "bytes= (no range)"
eq "$(fetch -H "Range: items=0-5" "$G/ipfs/$ROOT/file.bin")" 200 "another unit"
many=$(for i in $(seq 0 16); do printf '%d-%d,' $((i * 10)) $((i * 10 + 1)); done)
eq "$(fetch -H "Range: bytes=${many}200-201" "$G/ipfs/$ROOT/file.bin")" 200 "18 ranges"
cmp -s "$WORK/body" "$WORK/file.bin" || fail "too many ranges: whole file"
b1=$(fetch -H "Range: bytes=0-9,100-109" "$G/ipfs/$ROOT/file.bin" >/dev/null; hdr Content-Type)
b2=$(fetch -H "Range: bytes=0-9,100-109" "$G/ipfs/$ROOT/file.bin" >/dev/null; hdr Content-Type)
[[ "$b1" =~ ^multipart/byteranges\;\ boundary=trove[0-9a-f]{32}$ ]] || fail "boundary: $b1"
[ "$b1" != "$b2" ] || fail "the same boundary twice: $b1"
echo "ok ranges: merged, malformed 416, too many 200, random boundary"

alive "at the end"
echo "ok gateway under attack"
