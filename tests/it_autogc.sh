#!/bin/bash
# it_autogc.sh — `trove daemon --enable-gc`, Kubo's periodic GC: every
# Datastore.GCPeriod the daemon collects when the repo holds more than
# Datastore.StorageGCWatermark percent of Datastore.StorageMax.
#   over       StorageMax 1MB, watermark 50, GCPeriod 1s: 3 MB added
#              unpinned are gone within seconds, a pinned file stays whole
#              (pin verify), the log says "Watermark exceeded"
#   under      the default 10GB: an unpinned block stays across periods
#   off        without --enable-gc, or with GCPeriod "0": nothing collected
#   config     a bad GCPeriod or watermark: the daemon does not start
source "$(dirname "$0")/lib.sh"
trap nodes_cleanup EXIT

# up NAME [FLAGS...]: a daemon on NAME's repo (made and set up before).
up() {
  local n=$1 repo=$WORK/$1
  shift
  : >"$repo.log"
  TROVE_PATH=$repo timeout --foreground 120 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 "$@" >>"$repo.log" 2>&1 &
  printf -v "PID_$n" '%s' "$!"
  PIDS+=($!)
  for _ in $(seq 200); do
    grep -q "Daemon is ready" "$repo.log" && return 0
    kill -0 "$!" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
mk() { # NAME KEY=JSON...: a repo, no swarm
  local n=$1 kv
  shift
  TROVE_PATH=$WORK/$n t init >/dev/null
  TROVE_PATH=$WORK/$n t config --json Addresses.Swarm '[]' >/dev/null
  TROVE_PATH=$WORK/$n t config --json Bootstrap '[]' >/dev/null
  for kv in "$@"; do TROVE_PATH=$WORK/$n t config --json "${kv%%=*}" "${kv#*=}" >/dev/null; done
}
at() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }
objects() { at "$1" repo stat | awk '/NumObjects/ {print $2}'; }

head -c 3000000 /dev/urandom >"$WORK/junk"
head -c 500000 /dev/urandom >"$WORK/keep"

mk over 'Datastore.StorageMax="1MB"' 'Datastore.StorageGCWatermark=50' 'Datastore.GCPeriod="1s"'
up over --enable-gc || fail "daemon over: $(cat "$WORK/over.log")"
KEEP=$(at over add -Q "$WORK/keep")
at over add -Q --pin=false "$WORK/junk" >/dev/null
before=$(objects over)
[ "$before" -gt 3 ] || fail "the add stored $before blocks"
for _ in $(seq 100); do [ "$(objects over)" -le 1 ] && break; sleep 0.1; done
eq "$(objects over)" 1 "blocks left after the periodic GC (the pinned file's one)"
at over pin verify >/dev/null || fail "the pin lost blocks"
eq "$(at over cat "$KEEP" | cmp - "$WORK/keep" && echo same)" same "the pinned file"
grep -q "Watermark exceeded" "$WORK/over.log" || fail "no watermark line: $(cat "$WORK/over.log")"
grep -q "Repo GC done" "$WORK/over.log" || fail "no done line"
ok "over the watermark: unpinned blocks collected within seconds, pins whole"

mk under 'Datastore.GCPeriod="1s"'
up under --enable-gc || fail "daemon under: $(cat "$WORK/under.log")"
at under add -Q --pin=false "$WORK/junk" >/dev/null
n=$(objects under)
sleep 2.5
eq "$(objects under)" "$n" "blocks under the default 10GB"
grep -q "Watermark exceeded" "$WORK/under.log" && fail "under collected"
ok "under the watermark: nothing collected"

mk off 'Datastore.StorageMax="1MB"' 'Datastore.GCPeriod="1s"'
up off || fail "daemon off: $(cat "$WORK/off.log")"
at off add -Q --pin=false "$WORK/junk" >/dev/null
n=$(objects off)
sleep 2.5
eq "$(objects off)" "$n" "blocks without --enable-gc"
node_stop off
at off config Datastore.GCPeriod 0 >/dev/null
up off --enable-gc || fail "daemon off again: $(cat "$WORK/off.log")"
sleep 1.5
eq "$(objects off)" "$n" "blocks with GCPeriod 0"
ok "without --enable-gc, or with GCPeriod 0: nothing collected"

node_stop off
at off config Datastore.GCPeriod soon >/dev/null
up off --enable-gc && fail "started with GCPeriod soon"
grep -q "Datastore.GCPeriod" "$WORK/off.log" || fail "the refusal: $(cat "$WORK/off.log")"
at off config Datastore.GCPeriod 1h >/dev/null
at off config --json Datastore.StorageGCWatermark 101 >/dev/null
up off --enable-gc && fail "started with watermark 101"
grep -q "StorageGCWatermark" "$WORK/off.log" || fail "the refusal: $(cat "$WORK/off.log")"
ok "a bad GCPeriod or watermark stops the start"
