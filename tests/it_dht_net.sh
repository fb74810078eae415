#!/bin/bash
# it_dht_net.sh — a network of trove daemons (DHT_NET_N, default 30) on
# 127.0.0.1 whose only routing is the LAN DHT (tests/dht_net_lib.sh):
#
#   1. Node 0 starts alone; node i > 0 lists 1-3 earlier nodes in its
#      Bootstrap (a fixed pseudo-random choice).  Every node's LAN table
#      must then hold at least DHT_NET_MIN_RT peers (default 8, more than
#      any node bootstrapped from: the lookups filled the tables).
#   2. Every node puts a distinct block (`block put`: no announce) and
#      `trove routing provide`s it.  Then a burst: one node provides
#      DHT_NET_BURST (100) more CIDs in as many concurrent calls, and
#      another looks them all up at once: every call must succeed (the
#      DHT's requests out beyond its slots wait for one; they used to
#      fail, and with them the lookups).
#   2c. One call provides DHT_NET_BATCH (60) CIDs: a one-shot sweep, not
#      a lookup per CID.  Another node finds each; the provider sent under
#      1.5 messages per CID and peer (a lookup per CID costs ~2: its
#      FIND_NODEs, then the ADD_PROVIDERs).
#   2d. One `pin add` of DHT_NET_BATCH blocks: the provide queue announces
#      each root, the keys that wait in batches (`provide stat`); another
#      node finds each.
#   2e. `routing provide -r` announces every block of a DAG (another node
#      finds its leaves); as Kubo, a CID the repo lacks is refused ("block
#      CID not found locally, cannot provide"), and so is -r over a DAG
#      with a block missing.
#   2f. `provide once -r ROOT LEAF ROOT` (Kubo 0.43): "queued N CID(s) for
#      immediate provide", N the DAG's blocks, each once; another node
#      finds its leaves.
#   3. Every node runs `trove routing findprovs` for every node's CID (all
#      N x N pairs, its own included): each must list exactly the node that
#      provided it, and nothing else.
#   4. A third of the nodes are SIGKILLed, providers all (each node
#      provides): their records outlive them on the nodes that store them.
#      From every live node, findprovs for every CID (the dead providers'
#      too) must still list exactly the provider.  Each lookup may be
#      retried (bounded): the first lookups after the kill meet dead peers.
#   5. A node restarts on a new port; another pings it by its ID alone:
#      the address it knew fails, a DHT lookup gives the new one (and an
#      ID nobody has fails).
#   6. A node that knows nobody: `routing provide` fails with Kubo's
#      "failed to find any peer in table", for one CID and for eight.
#   7. The provider gets SIGTERM while a provide of many CIDs waits on
#      peers that do not answer (SIGSTOPped): it exits 0, cleanly.  Before
#      that, `provide once` twice: a new root added meanwhile does not
#      wait behind the first batch (a slot takes it), the second batch
#      does, and `provide clear` removes its keys.
#
# Every daemon runs under `timeout`; the trap stops only the daemons started
# here, with SIGTERM, and fails the test when one does not exit 0 or a log
# holds a sanitizer report (run it with TROVE_BIN=build-san/bin/trove and
# DHT_NET_N=10).  Phase timings and the daemons' RSS are printed.
# Env: DHT_NET_N (30), DHT_NET_PAR (lookups at once, 6), DHT_NET_BURST,
# DHT_NET_BATCH,
# DHT_NET_MIN_RT,
# DN_KEEP=1 (keep the repos and logs).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/dht_net_lib.sh
N=${DHT_NET_N:-30}
PAR=${DHT_NET_PAR:-6}
BURST=${DHT_NET_BURST:-100}
BATCH=${DHT_NET_BATCH:-60}
MIN_RT=${DHT_NET_MIN_RT:-$(( N - 1 < 8 ? N - 1 : 8 ))}
[ "$N" -ge 4 ] || { echo "DHT_NET_N must be >= 4"; exit 1; }
declare -a CID=()
cleanup() {
  local rc=$?
  dn_stop_all || rc=1
  exit $rc
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
T0=$(now)

# --- 1. the network, one node at a time (a bootstrap peer must be up
# before the dial to it)
dn_init "$N" || fail "no work dir"
dn_chain "$N" || fail "a node did not start"
echo "ok 1a: $N daemons up in $(since "$T0")s"

T1=$(now)
for i in $(seq 0 $((N - 1))); do
  ok=
  for _ in $(seq 100); do
    [ "$(dn_lan_size $i)" -ge "$MIN_RT" ] && { ok=1; break; }
    sleep 0.2
  done
  [ -n "$ok" ] || fail "node $i: LAN table below $MIN_RT: $(dn_tr $i stats dht)"
done
sizes=$(for i in $(seq 0 $((N - 1))); do dn_lan_size $i; done | sort -n | uniq -c |
        awk '{printf "%s%dx%d", (NR > 1 ? ", " : ""), $1, $2}')
echo "ok 1b: every LAN table holds >= $MIN_RT peers after $(since "$T1")s" \
     "(nodes x size: $sizes)"
dn_rss

# --- 2. every node provides its own block
T2=$(now)
for i in $(seq 0 $((N - 1))); do
  echo "node $i's block $RANDOM $(date +%s%N)" >"$DN_WORK/b$i.txt"
  CID[$i]=$(dn_tr $i block put "$DN_WORK/b$i.txt") || fail "node $i: block put"
done
pids=()
for i in $(seq 0 $((N - 1))); do
  dn_tr $i routing provide "${CID[$i]}" >"$DN_WORK/prov$i.out" 2>&1 &
  pids+=($!)
done
for i in $(seq 0 $((N - 1))); do
  wait "${pids[$i]}" || fail "node $i: routing provide: $(cat "$DN_WORK/prov$i.out")"
done
echo "ok 2a: $N blocks put and provided in $(since "$T2")s"

T2=$(now)
P=$((N - 1)) Q=$((N / 2)) # the provider and the seeker of the burst
mkdir "$DN_WORK/burst"
for k in $(seq "$BURST"); do echo "burst $k $RANDOM $(date +%s%N)" >"$DN_WORK/burst/$k"; done
mapfile -t bcid < <(dn_tr $P block put "$DN_WORK"/burst/*) || fail "burst: block put"
[ ${#bcid[@]} = "$BURST" ] || fail "burst: ${#bcid[@]} CIDs"
pids=()
for k in "${!bcid[@]}"; do
  dn_tr $P routing provide "${bcid[$k]}" >"$DN_WORK/bp$k.out" 2>&1 &
  pids[$k]=$!
done
bad=0
for k in "${!bcid[@]}"; do
  wait "${pids[$k]}" || { bad=$((bad + 1)); cat "$DN_WORK/bp$k.out" >&2; }
done
[ $bad = 0 ] || fail "burst: $bad of $BURST concurrent provides failed"
for k in "${!bcid[@]}"; do
  dn_tr $Q routing findprovs "${bcid[$k]}" >"$DN_WORK/bf$k.out" 2>&1 &
  pids[$k]=$!
done
missed=()
for k in "${!bcid[@]}"; do
  wait "${pids[$k]}" || true
  [ "$(cat "$DN_WORK/bf$k.out")" = "${DN_ID[$P]}" ] || missed+=("$k")
done
# A lookup whose requests all timed out on a starved machine (30 ASan
# daemons and 100 clients on two cores in make check) ends empty; asked
# again alone it must find the provider.  What the burst guards against
# (sends refused past the in-flight cap) failed about half of them; a
# quarter is allowed (14 of 100 missed once in make check on a loaded
# 2-core machine; 5 were allowed then).
[ ${#missed[@]} -le $((BURST / 4)) ] ||
  fail "burst: ${#missed[@]} of $BURST concurrent lookups missed the provider"
for k in "${missed[@]}"; do
  out=$(dn_tr $Q routing findprovs "${bcid[$k]}" 2>&1 || true)
  [ "$out" = "${DN_ID[$P]}" ] || fail "burst: ${bcid[$k]} missed again: $out"
done
echo "ok 2b: $BURST concurrent provides on node $P, then $BURST concurrent" \
     "lookups on node $Q (${#missed[@]} asked again), in $(since "$T2")s"

# --- 2c. many CIDs in one call
T2=$(now)
mkdir "$DN_WORK/batch"
for k in $(seq "$BATCH"); do echo "batch $k $RANDOM $(date +%s%N)" >"$DN_WORK/batch/$k"; done
mapfile -t pcid < <(dn_tr $P block put "$DN_WORK"/batch/*) || fail "batch: block put"
[ ${#pcid[@]} = "$BATCH" ] || fail "batch: ${#pcid[@]} CIDs"
out0=$(dn_requests_out $P)
dn_tr $P routing provide "${pcid[@]}" >"$DN_WORK/batch.out" 2>&1 ||
  fail "batch: routing provide: $(cat "$DN_WORK/batch.out")"
sent=$(( $(dn_requests_out $P) - out0 ))
peers=$(( N - 1 < 20 ? N - 1 : 20 ))
[ "$sent" -lt $(( BATCH * peers * 3 / 2 )) ] ||
  fail "batch: $sent messages for $BATCH CIDs to $peers peers each"
missed=0
for k in "${!pcid[@]}"; do
  out=$(dn_tr $Q routing findprovs "${pcid[$k]}" 2>&1 || true)
  [ "$out" = "${DN_ID[$P]}" ] || { missed=$((missed + 1)); echo "batch: ${pcid[$k]}: $out" >&2; }
done
[ $missed = 0 ] || fail "batch: $missed of $BATCH CIDs not found"
echo "ok 2c: $BATCH CIDs in one call on node $P ($sent messages), each found" \
     "from node $Q, in $(since "$T2")s"

# found_soon I CID J: node I's findprovs of CID gives exactly node J,
# within 10 s (announcing through the provide queue is asynchronous); out
# holds the last answer.
found_soon() {
  for _ in $(seq 100); do
    out=$(dn_tr "$1" routing findprovs "$2" 2>&1 || true)
    [ "$out" = "${DN_ID[$3]}" ] && return 0
    sleep 0.1
  done
  return 1
}

# --- 2d. new content: 60 blocks pinned in one `pin add`, which announces
# each root at its end; the provide queue takes the waiting keys in batches
mkdir "$DN_WORK/added"
for k in $(seq "$BATCH"); do echo "added $k $RANDOM $(date +%s%N)" >"$DN_WORK/added/$k"; done
mapfile -t acid < <(dn_tr $P block put "$DN_WORK"/added/*) || fail "2d: block put"
[ ${#acid[@]} = "$BATCH" ] || fail "2d: block put gave ${#acid[@]} CIDs"
T2=$(now)
out0=$(dn_requests_out $P)
dn_tr $P pin add "${acid[@]}" >/dev/null || fail "2d: pin add"
for k in "${!acid[@]}"; do
  found_soon $Q "${acid[$k]}" $P || fail "2d: ${acid[$k]} (pinned) not found: $out"
done
sent=$(( $(dn_requests_out $P) - out0 ))
q=$(dn_tr $P provide stat | sed -n '/^New content/,$p')
batches=$(awk '$1 == "Batches" {print $2}' <<<"$q")
[ "${batches:-0}" -ge 1 ] || fail "2d: no batch: $q"
echo "ok 2d: $BATCH roots of one pin add announced by the queue ($batches batch(es)," \
     "$sent messages), each found from node $Q, in $(since "$T2")s"

# --- 2e. routing provide -r: every block of a DAG; and, as Kubo, nothing
# the repo lacks
head -c 40960 /dev/urandom >"$DN_WORK/dag.bin"
root=$(dn_tr $P add -Q --pin=false --chunker=size-1024 "$DN_WORK/dag.bin") || fail "2e: add"
mapfile -t leaves < <(dn_tr $P refs -r "$root") || fail "2e: refs"
[ ${#leaves[@]} -ge 40 ] || fail "2e: ${#leaves[@]} blocks under $root"
dn_tr $P routing provide -r "$root" >"$DN_WORK/rec.out" 2>&1 ||
  fail "2e: routing provide -r: $(cat "$DN_WORK/rec.out")"
for k in 0 $(( ${#leaves[@]} / 2 )) $(( ${#leaves[@]} - 1 )); do
  out=$(dn_tr $Q routing findprovs "${leaves[$k]}" 2>&1 || true)
  [ "$out" = "${DN_ID[$P]}" ] || fail "2e: leaf ${leaves[$k]} of $root not found: $out"
done
out=$(dn_tr $P routing provide "${CID[0]}" 2>&1) && fail "2e: provided a block it lacks: $out"
grep -q "block ${CID[0]} not found locally, cannot provide" <<<"$out" ||
  fail "2e: provide of a block it lacks said: $out"
dn_tr $P block rm "${leaves[3]}" >/dev/null || fail "2e: block rm"
out=$(dn_tr $P routing provide -r "$root" 2>&1) && fail "2e: -r over a missing block: $out"
grep -q "block ${leaves[3]} not found locally" <<<"$out" ||
  fail "2e: -r over a missing block said: $out"
echo "ok 2e: provide -r announced all $(( ${#leaves[@]} + 1 )) blocks of a DAG;" \
     "blocks the repo lacks are refused"

# --- 2f. provide once -r (Kubo 0.43's command): queued, then announced
head -c 20480 /dev/urandom >"$DN_WORK/dag2.bin"
root2=$(dn_tr $P add -Q --pin=false --chunker=size-1024 "$DN_WORK/dag2.bin") || fail "2f: add"
mapfile -t leaves2 < <(dn_tr $P refs -r "$root2") || fail "2f: refs"
# The root twice and one of its leaves: each block once, as Kubo's.
out=$(dn_tr $P provide once -r "$root2" "${leaves2[3]}" "$root2") || fail "2f: provide once -r: $out"
[ "$out" = "queued $(( ${#leaves2[@]} + 1 )) CID(s) for immediate provide" ] ||
  fail "2f: provide once -r said: $out"
for k in 0 $(( ${#leaves2[@]} - 1 )); do
  found_soon $Q "${leaves2[$k]}" $P || fail "2f: leaf ${leaves2[$k]} not found: $out"
done
echo "ok 2f: provide once -r queued $(( ${#leaves2[@]} + 1 )) CIDs; another node finds the leaves"

# --- 3/4. lookups
# check TRIES LABEL: each line "I J" of $DN_WORK/pairs is one lookup from
# node I for node J's CID, tried up to TRIES times, PAR lookups at once;
# fails unless every one gave exactly DN_ID[J].
check() {
  local tries=$1 label=$2 t n bad retried
  t=$(now)
  DN_TROVE=$DN_TROVE DN_WORK=$DN_WORK TRIES=$tries \
  IDS=$(IFS=,; echo "${DN_ID[*]}") CIDS=$(IFS=,; echo "${CID[*]}") \
  xargs -P "$PAR" -L 1 bash -c '
    IFS=, read -ra id <<<"$IDS"; IFS=, read -ra cid <<<"$CIDS"
    i=$1 j=$2
    for a in $(seq "$TRIES"); do
      out=$(TROVE_PATH=$DN_WORK/n$i timeout 60 "$DN_TROVE" routing findprovs \
            "${cid[$j]}" 2>&1) || true
      [ "$out" = "${id[$j]}" ] && { echo "ok $i $j $a"; exit 0; }
      sleep 0.5
    done
    echo "bad $i $j $(echo $out | head -c 300)"' _ \
    <"$DN_WORK/pairs" >"$DN_WORK/results"
  n=$(wc -l <"$DN_WORK/results")
  bad=$(grep -c '^bad' "$DN_WORK/results" || true)
  retried=$(awk '$1=="ok" && $4>1' "$DN_WORK/results" | wc -l)
  [ "$n" = "$(wc -l <"$DN_WORK/pairs")" ] ||
    fail "$label: $n results for $(wc -l <"$DN_WORK/pairs") lookups"
  if [ "$bad" != 0 ]; then
    grep '^bad' "$DN_WORK/results" | head -5 >&2
    fail "$label: $bad of $n lookups did not find exactly the provider"
  fi
  echo "ok $label: $n lookups found their provider in $(since "$t")s" \
       "($retried needed a retry)"
}
pairs() { # the pairs (live node, any CID)
  local i j
  for i in $(seq 0 $((N - 1))); do
    [ -n "${DN_ALIVE[$i]}" ] || continue
    for j in $(seq 0 $((N - 1))); do echo "$i $j"; done
  done >"$DN_WORK/pairs"
}
pairs
check 3 "3 (all pairs)"

# A third of the nodes die: every third from node 1 (node 0 lives), whose
# IDs are spread over the keyspace.
dead=()
for i in $(seq 1 3 $((N - 1))); do
  dn_kill $i
  dead+=($i)
done
echo "killed ${#dead[@]} nodes: ${dead[*]}"
pairs
check 5 "4 (after the kill, the dead providers' CIDs included)"
for i in $(seq 0 $((N - 1))); do
  [ -z "${DN_ALIVE[$i]}" ] || kill -0 "${DN_DPID[$i]}" 2>/dev/null ||
    fail "node $i died"
done
# Not asserted (a live node may never have asked a dead one anything): how
# many of the dead are still in the live nodes' tables.
stale=0 entries=0
for i in $(seq 0 $((N - 1))); do
  [ -n "${DN_ALIVE[$i]}" ] || continue
  tab=$(dn_tr $i stats dht | sed -n '/^DHT lan/,$p')
  entries=$((entries + $(grep -c '^    ' <<<"$tab" || true)))
  for d in "${dead[@]}"; do grep -q "${DN_ID[$d]}" <<<"$tab" && stale=$((stale + 1)); done
done
echo "live LAN tables: $entries entries, $stale of them dead nodes"
dn_rss

# --- 5. a peer by its ID alone, after it moved: the peerstore's address
# fails, the DHT knows the new one (go's routed host)
a= b=
for i in $(seq 0 $((N - 1))); do
  [ -n "${DN_ALIVE[$i]}" ] && { a=${a:-$i}; b=$i; }
done
dn_kill $b
dn_start $b || fail "5: node $b did not restart"  # on a new port
for _ in $(seq 50); do # its bootstrap and lookups put it back in tables
  out=$(dn_tr $a ping -n 1 "${DN_ID[$b]}" 2>&1) && break
  sleep 0.2
done
grep -q "Pong received" <<<"$out" ||
  fail "5: node $a ping ${DN_ID[$b]} (moved): $out"
nobody=$(dn_tr $a key gen --ipns-base=b58mh nobody 2>/dev/null || true)
if [ -n "$nobody" ]; then
  out=$(dn_tr $a ping -n 1 "$nobody" 2>&1) && fail "5: ping of nobody: $out"
fi
echo "ok 5: node $a reached node $b by its ID at its new address"

# --- 6. a node that knows nobody: provide fails, one CID or many
L=$N
dn_new $L
dn_start $L || fail "6: the lone node did not start"
mapfile -t lcid < <(dn_tr $L block put "$DN_WORK"/batch/{1,2,3,4,5,6,7,8}) || fail "6: block put"
for args in "${lcid[0]}" "${lcid[*]}"; do
  # shellcheck disable=SC2086
  out=$(dn_tr $L routing provide $args 2>&1) && fail "6: provide with an empty table: $out"
  grep -q "failed to find any peer in table" <<<"$out" || fail "6: provide said: $out"
done
echo "ok 6: a node with an empty table fails to provide (1 CID and ${#lcid[@]})"

# --- 7. the provider stops while a provide of many CIDs waits on peers
# that do not answer (SIGSTOPped): it exits 0 at once, its sweep let go
# with the DHT (the sanitizer check of the logs is dn_stop_all's).
stopped=()
for i in $(seq 0 $((N - 1))); do
  [ "$i" != "$P" ] && [ -n "${DN_ALIVE[$i]:-}" ] && stopped+=("${DN_DPID[$i]}")
done
kill -STOP "${stopped[@]}"
dn_tr $P routing provide "${pcid[@]}" >/dev/null 2>&1 &
ppid=$!
# The provide queue's batch waits on them too; what is queued after it
# waits, and provide clear drops it.
out=$(dn_tr $P provide once "${pcid[@]}") || fail "7: provide once: $out"
# A new root meanwhile is not kept behind that batch: a slot takes it.
echo "new root $RANDOM $(date +%s%N)" >"$DN_WORK/newroot"
dn_tr $P add -Q --pin=false "$DN_WORK/newroot" >/dev/null || fail "7: add"
for _ in $(seq 50); do
  waiting=$(dn_tr $P provide stat | awk '/^New content/ {q = 1} q && $1 == "Waiting" {print $2}')
  [ "$waiting" = 0 ] && break
  sleep 0.1
done
[ "$waiting" = 0 ] || fail "7: a new root waits behind a running batch: $(dn_tr $P provide stat)"
out=$(dn_tr $P provide once "${acid[@]}") || fail "7: provide once: $out"
out=$(dn_tr $P provide clear) || fail "7: provide clear: $out"
[ "$out" = "removed ${#acid[@]} items from provide queue" ] || fail "7: provide clear said: $out"
sleep 0.5
kill -0 $ppid 2>/dev/null || { kill -CONT "${stopped[@]}"; fail "7: the provide ended with every peer stopped"; }
T7=$(now)
kill -TERM "${DN_DPID[$P]}"
rc=0
wait "${DN_TPID[$P]}" || rc=$?
DN_ALIVE[$P]=
wait $ppid 2>/dev/null || true
kill -CONT "${stopped[@]}"
[ $rc = 0 ] || fail "7: node $P exited $rc on SIGTERM mid-provide"
echo "ok 7: provide clear removed ${#acid[@]} waiting keys; node $P stopped mid-provide in $(since "$T7")s, exit 0"
echo "it_dht_net: all ok ($N nodes, $(since "$T0")s)"
