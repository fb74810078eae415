#!/bin/bash
# it_body_args.sh — arguments in the request body (rpc/body_args.c), as
# go-ipfs-cmds' ParseBodyArgs reads them: Kubo's CLI sends a command's
# first stdin line in the URL and the rest as a multipart "stdin" part;
# trove's CLI sends what would not fit a URL (8 KiB) the same way.  One
# daemon on 127.0.0.1, 2,000 blocks put unpinned:
#
#   1. `trove pin add` with the 2,000 CIDs as arguments (~120 KB: most go
#      in the body): all 2,000 pinned (a daemon that reads the URL alone
#      pins 126 and says nothing of the rest).
#   2. `trove pin rm` with them on stdin: 2,000 "unpinned" lines, none left.
#   3. Kubo's own CLI (when installed): `ipfs --api=<trove> pin add` with
#      them on stdin: all 2,000 pinned (a daemon reading the URL alone
#      pinned the first line only); `ipfs cat` of three on stdin: the three.
#   3b. The same from an allowed origin (the CORS header is set before the
#      body is read, and must survive it).
#   4. `trove routing provide` on stdin, a CID the repo lacks last: the
#      error names that CID (the last line was read and checked).
#   5. A body over 16 MiB: 400, the limit named; a line with a NUL: 400;
#      the daemon lives on.
#   6. trove's CLI reads stdin arguments for cat, ls, refs, pin add (the
#      daemon's list): cat of three through the daemon; with it stopped,
#      pin add of 2,000, cat of three (CRLF, a blank line, no last
#      newline), refs and ls; a NUL on stdin refused, and 65 MiB;
#      nothing: usage.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
source tests/interop/lib/dht_kubo_lib.sh
t init >/dev/null
t config --json Bootstrap '[]' >/dev/null
t config --json Addresses.Swarm '["/ip4/127.0.0.1/tcp/0"]' >/dev/null
start_daemon
checked_stop 20
N=2000

mkdir "$WORK/b"
python3 - "$WORK/b" "$N" <<'P'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, "%05d" % i), "w") as f:
        f.write("body args block %d %s\n" % (i, os.urandom(8).hex()))
P
t block put "$WORK"/b/* >"$WORK/cids"
eq "$(wc -l <"$WORK/cids")" "$N" "CIDs put"
pinned() { t pin ls --type=recursive -q | wc -l; }

# --- 1. many arguments: the overflow in the body
mapfile -t C <"$WORK/cids"
out=$(t pin add "${C[@]}" | grep -c "^pinned ") || fail "pin add: $out"
eq "$out" "$N" "pin add lines"
eq "$(pinned)" "$N" "pins after pin add of $N arguments"
ok "pin add of $N CIDs as arguments pinned $N"

# --- 2. stdin
out=$(t pin rm <"$WORK/cids" | grep -c "^unpinned ") || fail "pin rm: $out"
eq "$out" "$N" "pin rm lines"
eq "$(pinned)" 0 "pins after pin rm from stdin"
ok "pin rm of $N CIDs on stdin unpinned $N"

# --- 3. Kubo's CLI
if kubo_available; then
  export IPFS_PATH=$WORK/kubo
  "$KUBO_BIN" init --profile=test >/dev/null 2>&1
  k() { timeout 60 "$KUBO_BIN" --api="/ip4/127.0.0.1/tcp/$APORT" "$@"; }
  out=$(k pin add <"$WORK/cids" | grep -c "^pinned ") || fail "ipfs pin add: $out"
  eq "$out" "$N" "ipfs pin add lines"
  eq "$(pinned)" "$N" "pins after ipfs pin add from stdin"
  printf '%s\n' "${C[0]}" "${C[1]}" "${C[2]}" | k cat >"$WORK/cat3"
  cat "$WORK/b/00000" "$WORK/b/00001" "$WORK/b/00002" >"$WORK/want3"
  cmp -s "$WORK/cat3" "$WORK/want3" || fail "ipfs cat of three on stdin: $(head -c 300 "$WORK/cat3")"
  ok "Kubo's CLI: pin add of $N CIDs and cat of 3 on stdin"
  unset IPFS_PATH
else
  echo "skip 3: no Kubo at $KUBO_BIN"
fi

# --- 3b. from an allowed origin (a web app the config lets in): its CORS
# header is set before the body is read, and must survive the arguments
# (100 arguments: a query that outgrows what the request held in itself)
t pin rm "${C[@]:0:100}" >/dev/null 2>&1 || true
{ printf -- '--xyzboundary\r\nContent-Disposition: form-data; name="file"; filename="stdin"\r\n\r\n'
  printf '%s\n' "${C[@]:1:99}"
  printf -- '\r\n--xyzboundary--\r\n'; } >"$WORK/cors"
curl -s -D "$WORK/cors.h" -o "$WORK/cors.out" -X POST \
  -H "Origin: http://127.0.0.1:$APORT" \
  -H 'Content-Type: multipart/form-data; boundary=xyzboundary' \
  --data-binary @"$WORK/cors" "http://127.0.0.1:$APORT/api/v0/pin/add?arg=${C[0]}"
grep -qi "^Access-Control-Allow-Origin: http://127.0.0.1:$APORT" "$WORK/cors.h" ||
  fail "the allowed origin's answer lost its CORS header: $(cat "$WORK/cors.h")"
for c in "${C[0]}" "${C[50]}" "${C[99]}"; do
  grep -q "$c" "$WORK/cors.out" || fail "pin add from an allowed origin: $(head -c 300 "$WORK/cors.out")"
done
ok "body arguments from an allowed origin: 100 pinned, the CORS header intact"

# --- 4. the last line counts
missing=bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
{ cat "$WORK/cids"; echo "$missing"; } >"$WORK/cids+1"
out=$(t routing provide <"$WORK/cids+1" 2>&1) && fail "provide of a block the repo lacks: $out"
grep -q "block $missing not found locally, cannot provide" <<<"$out" ||
  fail "routing provide on stdin said: $out"
ok "routing provide on stdin: the last of $((N + 1)) lines checked"

# --- 5. too much
python3 - "$WORK/big" <<'P'
import sys
b = "xyzboundary"
with open(sys.argv[1], "wb") as f:
    f.write(b"--" + b.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"stdin\"\r\n\r\n")
    f.write((b"a" * 63 + b"\n") * (17 << 14))
    f.write(b"\r\n--" + b.encode() + b"--\r\n")
P
code=$(curl -s -o "$WORK/big.out" -w '%{http_code}' -X POST \
  -H 'Content-Type: multipart/form-data; boundary=xyzboundary' \
  --data-binary @"$WORK/big" "http://127.0.0.1:$APORT/api/v0/pin/add?arg=${C[0]}")
eq "$code" 400 "a body over the limit"
grep -q "over 16777216 bytes" "$WORK/big.out" || fail "over the limit said: $(cat "$WORK/big.out")"
t id >/dev/null || fail "the daemon after an oversized body"
printf -- '--xyzboundary\r\nContent-Disposition: form-data; name="file"; filename="stdin"\r\n\r\n%s\nbafy\000x\n\r\n--xyzboundary--\r\n' \
  "${C[1]}" >"$WORK/nul"
code=$(curl -s -o "$WORK/nul.out" -w '%{http_code}' -X POST \
  -H 'Content-Type: multipart/form-data; boundary=xyzboundary' \
  --data-binary @"$WORK/nul" "http://127.0.0.1:$APORT/api/v0/pin/add?arg=${C[0]}")
eq "$code" 400 "an argument with a NUL"
grep -q "bad arguments" "$WORK/nul.out" || fail "a NUL in the body said: $(cat "$WORK/nul.out")"
ok "a 17 MiB body of arguments, and one with a NUL in a line: 400; the daemon lives on"

# --- 6. trove's CLI takes stdin arguments for each command that the
# daemon takes body arguments for, through the daemon and without it.
cat "$WORK/b/00000" "$WORK/b/00001" "$WORK/b/00002" >"$WORK/want3"
t cat <<<"$(printf '%s\n' "${C[0]}" "${C[1]}" "${C[2]}")" >"$WORK/tcat3"
cmp -s "$WORK/tcat3" "$WORK/want3" || fail "trove cat of three on stdin, daemon up"
kill "$DPID"
wait "$DPID" || fail "the daemon's exit"
DPID=
t pin rm "${C[@]}" >/dev/null 2>&1 || true
out=$(t pin add <"$WORK/cids" | grep -c "^pinned ") || fail "offline pin add: $out"
eq "$out" "$N" "offline pin add lines"
eq "$(pinned)" "$N" "pins after an offline pin add from stdin"
printf '%s\r\n\n%s\n%s' "${C[0]}" "${C[1]}" "${C[2]}" | t cat >"$WORK/tcat3"
cmp -s "$WORK/tcat3" "$WORK/want3" || fail "offline cat of three on stdin (a CRLF, a blank line, no last newline)"
eq "$(printf '%s\n' "${C[5]}" | t refs -r | wc -l)" 0 "refs of a leaf on stdin"
out=$(printf '%s\n' "${C[0]}" | t ls 2>&1) || fail "ls of a raw block on stdin: $out"
out=$(printf 'bafy\000x\n' | t cat 2>&1) && fail "a NUL on stdin was taken"
grep -q "a line holds a NUL byte" <<<"$out" || fail "a NUL on stdin said: $out"
out=$(head -c $((65 << 20)) /dev/zero | tr '\0' 'a' | t cat 2>&1) && fail "65 MiB on stdin was taken"
grep -q "more than 64 MiB" <<<"$out" || fail "65 MiB on stdin said: $out"
out=$(t cat </dev/null 2>&1) && fail "cat with nothing on stdin"
grep -q "usage" <<<"$out" || fail "cat with nothing said: $out"
ok "trove's CLI: cat, pin add, refs, ls with arguments on stdin, daemon up and down; a NUL and 65 MiB refused"
