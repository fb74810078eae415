#!/bin/bash
# gateway_limits_kubo.sh — Gateway.MaxConcurrentRequests and
# Gateway.MaxRequestDuration beside Kubo v0.43.1, both nodes with the same
# config (1 request at a time, 1 s a request, a retrieval timeout of 10 s
# so that it is the request deadline that ends a wait) and no peers
# (Routing.Type none: a block neither has is waited for):
#   - a request for a block neither has: 504 from both, after the deadline
#     and well before the retrieval timeout, with the same Ipfs-Uri;
#   - while that request holds the only slot, others get 429 from both
#     (on trove, whichever of its loops they reach):
#     the same status, body, Retry-After, Cache-Control, Content-Type and
#     X-Content-Type-Options, and the CORS header;
#   - once it has ended, the slot is free on both (200);
#   - a file read by a client slower than the deadline allows is cut
#     short by both (curl's exit status: not 0; fewer bytes than the file);
#   - Gateway.MaxConcurrentRequests 0 (no limit): two at once, no 429.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=150
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

MISSING=bafkreif6lrhgz3fpiwypdk65qrqiey7svgpggruhbylrgv32l3izkqpsc4
BIG=$WORK/big.bin
head -c 40000000 /dev/urandom >"$BIG"

kubo_init
trove_p2p_init
"$TROVE" config Routing.Type none >/dev/null
"$TROVE" config --json Gateway.Threads 2 >/dev/null # two loops, one count
for c in "$IPFS" "$TROVE"; do
  "$c" config --json Gateway.MaxConcurrentRequests 1 >/dev/null
  "$c" config Gateway.MaxRequestDuration 1s >/dev/null
  "$c" config Gateway.RetrievalTimeout 10s >/dev/null
done
KB=$("$IPFS" add -Q "$BIG") || fail "Kubo's add"
TB=$("$TROVE" add -Q "$BIG") || fail "trove add"
kubo_daemon
interop_daemon

# get PORT PATH: "status seconds" of a GET (a line), its headers in $WORK/h.PORT and
# its body in $WORK/b.PORT.
get() {
  curl -s --max-time 20 -D "$WORK/h.$1" -o "$WORK/b.$1" \
    -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$1$2"
}
hdr() { grep -i "^$2:" "$WORK/h.$1" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

for P in "$KGPORT" "$GPORT"; do
  read -r st secs < <(get "$P" "/ipfs/$MISSING")
  eq "$st" 504 "a block nobody has, port $P"
  python3 -c 'import sys; t = float(sys.argv[1]); sys.exit(not (0.9 <= t < 6))' "$secs" ||
    fail "port $P answered its 504 after $secs s, not about the 1 s deadline"
  echo "$P: 504 after $secs s"
done
eq "$(hdr "$GPORT" Ipfs-Uri)" "$(hdr "$KGPORT" Ipfs-Uri)" "Ipfs-Uri of the 504"
[ -n "$(hdr "$GPORT" Ipfs-Uri)" ] || fail "no Ipfs-Uri on the 504"
echo "ok - MaxRequestDuration: 504 at the deadline from both"

for P in "$KGPORT" "$GPORT"; do
  curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$P/ipfs/$MISSING" &
  HOLD=$!
  sleep 0.4
  # Four connections (four source ports): trove's gateway runs two loops
  # here, and SO_REUSEPORT spreads connections over them, so the slot is
  # checked across loops too.
  for _ in 1 2 3 4; do
    read -r st _ < <(get "$P" /ipfs/bafkqaaa)
    eq "$st" 429 "another request while the first holds the slot, port $P"
  done
  cp "$WORK/h.$P" "$WORK/h429.$P"
  cp "$WORK/b.$P" "$WORK/b429.$P"
  wait "$HOLD"
  read -r st _ < <(get "$P" /ipfs/bafkqaaa)
  eq "$st" 200 "once the slot is free, port $P"
done
cmp "$WORK/b429.$GPORT" "$WORK/b429.$KGPORT" || fail "the 429's body differs from Kubo's"
for h in Retry-After Cache-Control Content-Type X-Content-Type-Options \
  Access-Control-Allow-Origin Ipfs-Uri; do
  eq "$(grep -i "^$h:" "$WORK/h429.$GPORT" | head -1 | cut -d' ' -f2- | tr -d '\r')" \
    "$(grep -i "^$h:" "$WORK/h429.$KGPORT" | head -1 | cut -d' ' -f2- | tr -d '\r')" \
    "$h of the 429"
done
echo "ok - MaxConcurrentRequests: the same 429 as Kubo's, the slot given back"

for P in "$KGPORT" "$GPORT"; do
  [ "$P" = "$GPORT" ] && C=$TB || C=$KB
  set +e
  curl -s --max-time 30 --limit-rate 2M -o "$WORK/slow.$P" "http://127.0.0.1:$P/ipfs/$C"
  rc=$?
  set -e
  got=$(stat -c %s "$WORK/slow.$P")
  [ "$rc" -ne 0 ] && [ "$got" -lt 40000000 ] ||
    fail "port $P: a slow reader got $got bytes, curl exit $rc: not cut at the deadline"
  echo "$P: slow reader cut after $got bytes (curl exit $rc)"
done
echo "ok - MaxRequestDuration: a body slower than the deadline is cut short by both"
interop_daemon_stop
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
unset 'PIDS[-1]'

"$TROVE" config --json Gateway.MaxConcurrentRequests 0 >/dev/null
"$TROVE" config Gateway.MaxRequestDuration 3s >/dev/null
interop_daemon
curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$GPORT/ipfs/$MISSING" &
HOLD=$!
sleep 0.4
read -r st _ < <(get "$GPORT" /ipfs/bafkqaaa)
eq "$st" 200 "no limit: a second request at once"
wait "$HOLD"
echo "ok - MaxConcurrentRequests 0: no limit"
