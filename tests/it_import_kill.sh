#!/bin/bash
# Durability of imports killed mid-way (issue 15): `trove add`, `trove dag
# import` and a daemon serving /api/v0/add are SIGKILLed between a batch's
# intermediate commits, just before the Nth (TROVE_DEBUG_KILL_COMMIT=N,
# blockstore/bs.h; TROVE_BATCH_MB=1 makes a commit every MiB), when the
# most is put and not committed, and `add` also at random moments.
# Afterwards the repo must open cleanly and verify intact, and every file
# reported as added before the kill must be whole: `refs -r` walks it and
# `cat` gives its bytes.  A line printed before its blocks were committed
# (what `add` did before it held its lines until the next commit) fails
# here.
source "$(dirname "$0")/lib.sh"
DPID=
cleanup() {
  local rc=$?
  [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

# 300 files of 40 KiB (12 MB, ~12 commits at 1 MiB a batch); their "added"
# lines fill more than stdio's buffer, so lines printed too early would
# reach the output file before the kill.
SRC=$WORK/src
mkdir -p "$SRC"
python3 - "$SRC" <<'EOF'
import os, sys
for i in range(300):
    with open(os.path.join(sys.argv[1], "f%03d" % i), "wb") as f:
        f.write(os.urandom(40 << 10))
EOF

# check OUT: the repo opens and verifies; the "added CID NAME" lines of OUT
# name complete DAGs with NAME's bytes (the last line, the one most at risk,
# and every 5th before it: a process per check).  Echoes the number of lines.
check() {
  local out=$1 n=0 cid name last
  t repo verify >"$WORK/verify" 2>&1 || { cat "$WORK/verify"; fail "repo verify after kill"; }
  grep -q "all intact" "$WORK/verify" || fail "verify: $(cat "$WORK/verify")"
  last=$(grep -c '^added ' "$out" || true)
  while read -r _ cid name; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    [ $((n % 5)) = 0 ] || [ $n = "$last" ] || continue
    t refs -r "$cid" >/dev/null || fail "refs -r $cid ($name) after kill"
    if [ -f "$WORK/$name" ]; then
      t cat "$cid" | cmp -s - "$WORK/$name" || fail "cat $cid ($name) differs after kill"
    fi
  done < <(grep '^added ' "$out" || true)
  echo "$n"
}

# --- trove add, killed before its Nth commit ------------------------------
t init >/dev/null
total=0
for n in 2 5 9; do
  rc=0
  TROVE_BATCH_MB=1 TROVE_DEBUG_KILL_COMMIT=$n t add -r "$SRC" >"$WORK/add$n.out" 2>/dev/null || rc=$?
  [ $rc = 137 ] || fail "add with a kill before commit $n exited $rc, not by SIGKILL"
  c=$(check "$WORK/add$n.out")
  echo "add killed before commit $n: $c files reported, all whole"
  total=$((total + c))
done
[ "$total" -gt 0 ] || fail "no add reported a file before its kill: the test tests nothing"
# The repo takes the same add to the end after all that.
root=$(t add -r -Q "$SRC")
t refs -r "$root" >/dev/null || fail "add after the kills: refs -r"
t cat "$root/f123" | cmp -s - "$SRC/f123" || fail "add after the kills: cat"

# --- trove add killed at a random moment ----------------------------------
rm -rf "$TROVE_PATH"; t init >/dev/null
for d in 0.005 0.015 0.03; do
  TROVE_BATCH_MB=1 t add -r "$SRC" >"$WORK/addr.out" 2>/dev/null &
  p=$!
  sleep "$d"; kill -9 $p 2>/dev/null || true; wait $p 2>/dev/null || true
  c=$(check "$WORK/addr.out")
  echo "add killed after ${d}s: $c files reported, all whole"
done

# --- trove dag import, killed between its batch's commits -----------------
rm -rf "$TROVE_PATH"; t init >/dev/null
root=$(t add -r -Q "$SRC")
t dag export "$root" >"$WORK/src.car"
rm -rf "$TROVE_PATH"; t init >/dev/null
rc=0
TROVE_BATCH_MB=1 TROVE_DEBUG_KILL_COMMIT=4 t dag import "$WORK/src.car" >"$WORK/imp.out" 2>/dev/null || rc=$?
[ $rc = 137 ] || fail "dag import with a kill before commit 4 exited $rc, not by SIGKILL"
[ ! -s "$WORK/imp.out" ] || fail "dag import reported before it was done: $(cat "$WORK/imp.out")"
check "$WORK/imp.out" >/dev/null
# Some blocks are in (3 commits), the root's pin is not; importing again
# completes the DAG and pins it.
[ "$(t pin ls --type=recursive 2>/dev/null | wc -l)" = 0 ] || fail "a root pinned by a killed import"
out=$(TROVE_BATCH_MB=1 t dag import "$WORK/src.car")
grep -q "Pinned root.*$root.*success" <<<"$out" || fail "re-import: $out"
t refs -r "$root" >/dev/null || fail "re-import: refs -r"
t cat "$root/f042" | cmp -s - "$SRC/f042" || fail "re-import: cat"
echo "dag import killed before commit 4: repo intact, re-import complete"

# --- the daemon, killed during an API add ---------------------------------
rm -rf "$TROVE_PATH"; t init >/dev/null
TROVE_BATCH_MB=1 TROVE_DEBUG_KILL_COMMIT=6 start_daemon
# --progress: the daemon answers from the start (rpc_up_early), so the
# "added" lines reach the client while the upload goes on.
rc=0
t add --progress -r "$SRC" >"$WORK/api.out" 2>/dev/null || rc=$?
for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$DPID" 2>/dev/null && fail "the daemon outlived its kill point"
wait "$DPID" 2>/dev/null || true
DPID=
[ $rc != 0 ] || fail "add through a daemon killed mid-way succeeded"
rm -f "$TROVE_PATH/api"
c=$(check "$WORK/api.out")
[ "$c" -gt 0 ] || fail "the API add reported no file before the kill"
echo "daemon killed before commit 6 of an API add: $c files reported, all whole"
# A new daemon on the same repo takes the same add to the end.
start_daemon
root=$(t add -r -Q "$SRC")
t cat "$root/f299" | cmp -s - "$SRC/f299" || fail "API add after the kill: cat"
kill "$DPID"; wait "$DPID" || fail "daemon did not stop cleanly"
DPID=
echo ok
