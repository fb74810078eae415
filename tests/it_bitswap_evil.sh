#!/bin/bash
# it_bitswap_evil.sh — lying bitswap peers (tests/evil_peer.c's bsw-*
# scenarios, tests/evil_bsw.h) against a fetching trove daemon D on
# 127.0.0.1.  For each, a fresh 8 MiB file that only the honest provider P
# has; the liar connects to D first (so that D's session asks it too),
# then D connects to P and serves the file through its gateway:
#   - bsw-corrupt (HAVE, then blocks whose data is not the CID's),
#     bsw-unasked (blocks nobody asked for), bsw-big (a message over
#     BSW_MSG_MAX): the file completes byte-identical from P, D logs
#     "bitswap: cutting off <liar>", the liar's connection is cut (the
#     evil peer's verdict) and it is not among D's `swarm peers`;
#   - bsw-stall (HAVE to everything, never a block): the file completes
#     from P all the same, and the merely slow peer is not cut;
#   - bsw-halves (six streams, each half of a 4 MiB message): the file
#     completes from P, and D resets all but two of the liar's streams
#     at most (8 MiB held per peer; the evil peer's verdict), without
#     cutting it;
# and at the end, D stopped, nothing corrupted is in its store: `repo
# verify` rehashes every block, and every file's `refs -r` walks (offline)
# with each block stat'ed.  Bounded in time; kills only what it started.
if [ -z "${IT_BSW_EVIL_TIMED:-}" ]; then
  IT_BSW_EVIL_TIMED=1 exec timeout -k 10 300 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
EVIL=${EVIL_PEER:-${TEST_DIR:-build/tests}/evil_peer}
[ -x "$EVIL" ] || fail "no $EVIL (make tests)"
PIDS=()
cleanup() {
  local rc=$? bad=0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for l in "$WORK"/*.log; do
    if grep -q -E 'Sanitizer|runtime error' "$l" 2>/dev/null; then
      echo "sanitizer report in $l:"; cat "$l"; bad=1
    fi
  done
  [ $rc = 0 ] || { for l in "$WORK"/*.log "$WORK"/evil.*; do echo "--- $l"; tail -n 20 "$l"; done 2>/dev/null; }
  rm -rf "$WORK"
  [ $bad = 0 ] || exit 1
  exit $rc
}
trap cleanup EXIT

# start NAME: a daemon on free ports; sets API_, GW_, MA_, PORT_, PID_NAME.
start() {
  local name=$1 repo=$WORK/$1 p
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  printf -v "PORT_$name" '%s' "$p"
  printf -v "GW_$name" '%s' "$(sed -n 's|.*Gateway server listening on .* (\(http://[^)]*\)/ipfs/)|\1|p' "$repo.log")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
start p
start d
tp() { TROVE_PATH=$WORK/p t "$@"; }
td() { TROVE_PATH=$WORK/d t "$@"; }

CIDS=()
n=0
for s in bsw-corrupt bsw-unasked bsw-big bsw-stall bsw-halves; do
  n=$((n + 1))
  head -c $((8 << 20)) /dev/urandom >"$WORK/f$n"
  CID=$(tp add -Q "$WORK/f$n")
  CIDS+=("$CID")
  # The liar first, from an address of its own.
  "$EVIL" "$s" 127.0.0.1 "$PORT_d" -s "127.0.0.$((20 + n))" -t 60 >"$WORK/evil.$n" 2>&1 &
  EPID=$!
  PIDS+=($EPID)
  for _ in $(seq 100); do grep -q "^ready" "$WORK/evil.$n" && break; sleep 0.05; done
  EID=$(sed -n 's/^ready //p' "$WORK/evil.$n")
  [ -n "$EID" ] || fail "$s: the evil peer did not start: $(cat "$WORK/evil.$n")"
  td swarm disconnect "$MA_p" >/dev/null 2>&1 || true
  td swarm connect "$MA_p" >/dev/null || fail "d cannot connect to p"
  curl -sf -m 60 "$GW_d/ipfs/$CID" -o "$WORK/got$n" || fail "$s: the fetch failed"
  cmp -s "$WORK/f$n" "$WORK/got$n" || fail "$s: the file differs"
  if [ $s = bsw-stall ]; then
    td swarm peers | grep "$EID" >/dev/null || fail "$s: a slow peer was cut: $(cat "$WORK/evil.$n")"
    kill $EPID 2>/dev/null || true
    cat "$WORK/evil.$n"
    echo "ok - $s: the file completed from the honest peer; the slow one stays"
    continue
  fi
  wait $EPID || fail "$s: $(cat "$WORK/evil.$n")"
  cat "$WORK/evil.$n"
  if [ $s = bsw-halves ]; then
    echo "ok - $s: the file completed from the honest peer; the half messages were not held"
    continue
  fi
  grep -q "bitswap: cutting off $EID" "$WORK/d.log" || fail "$s: no 'cutting off' line for $EID"
  ! td swarm peers | grep "$EID" >/dev/null || fail "$s: still among d's peers"
  echo "ok - $s: the file completed byte-identical, the liar was cut off ($(grep "cutting off $EID" "$WORK/d.log" | sed 's/.*: //'))"
done

# Nothing corrupted was stored.
kill "$PID_d"
for _ in $(seq 100); do kill -0 "$PID_d" 2>/dev/null || break; sleep 0.1; done
out=$(td repo verify 2>&1) || fail "repo verify: $out"
for c in "${CIDS[@]}"; do
  refs=$(td refs -r "$c") || fail "refs -r $c"
  [ "$(wc -l <<<"$refs")" -ge 8 ] || fail "refs -r $c: $(wc -l <<<"$refs") blocks"
  for r in $refs; do td block stat "$r" >/dev/null || fail "block stat $r"; done
done
echo "ok - repo verify: $out; every block of the five files is there"
echo "ok it_bitswap_evil"
