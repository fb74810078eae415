#!/bin/bash
# it_mirror_follow.sh — mirrors that follow, on 127.0.0.1: an origin trove
# serves the Pinning Service API (a token from `trove mirror token add`);
# two followers (`trove mirror follow URL --token T`) connected to it.  5
# archives (1-2 MiB files and a directory of 300 files) pinned on the
# origin through POST /pins appear pinned on both followers (`mirror
# status`, `pin ls`); follower 2 is restarted mid-way and resumes; a pin
# deleted on the origin is unpinned on the followers after the grace period
# (Mirror.Follow.Grace 2s); `mirror follow --list FILE` keeps a CID of the
# file; `mirror unfollow` drops the list's pin; `mirror follow /ipns/NAME`
# moves to the new version after `name publish` on the origin (the LAN DHT
# on loopback: Routing.LoopbackAddressesOnLanDHT); the origin is killed and
# every archive is still served by each follower's gateway, byte for byte.
# The trap stops only the PIDs started here.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
trap nodes_cleanup EXIT
on() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }

init() {
  local name=$1 repo=$WORK/$1
  shift
  printf -v "PORT_$name" '%s' "$(port)"
  printf -v "GW_$name" '%s' "$(port)"
  local p=PORT_$name
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/${!p}\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
  TROVE_PATH=$repo t config Mirror.Follow.Interval 1s >/dev/null
  TROVE_PATH=$repo t config Mirror.Follow.Grace 2s >/dev/null
}
start() {
  local name=$1 repo=$WORK/$1 g=GW_$1 p=PORT_$1
  : >"$repo.log.cur"
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/${!g} >"$repo.log.cur" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log.cur" && break; sleep 0.05; done
  cat "$repo.log.cur" >>"$repo.log"
  grep -q "Daemon is ready" "$repo.log.cur" || fail "daemon $name did not start"
  printf -v "API_$name" '%s' "$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$repo.log.cur")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/${!p}/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log.cur" | tail -1)"
}
# field NODE ID NAME: a figure of `mirror status` for follow ID.
field() {
  on "$1" mirror status | awk -v id="follow $2" -v k="$3: " '
    $0 == id {f = 1; next} /^follow / {f = 0}
    f && index($0, k) == 1 {print substr($0, length(k) + 1)}'
}
# wait_field NODE ID NAME VALUE: until it shows (30 s at most).
wait_field() {
  for _ in $(seq 300); do [ "$(field "$1" "$2" "$3")" = "$4" ] && return 0; sleep 0.1; done
  on "$1" mirror status >&2
  fail "$1: follow $2 $3 is not $4"
}

init o; init f1; init f2
start o; start f1; start f2
TOK=$(on o mirror token add mirrors 2>/dev/null)
[[ "$TOK" == trove_* ]] || fail "no token: $TOK"
for f in f1 f2; do on $f swarm connect "$MA_o" >/dev/null; done
ok "origin and 2 followers up, connected"

# 5 archives on the origin, pinned through its Pinning Service API.
mkdir -p "$WORK/src/dir"
for i in 1 2 3 4; do head -c $((1048576 + i * 300000)) /dev/urandom >"$WORK/src/a$i"; done
for i in $(seq 300); do echo "file $i $RANDOM" >"$WORK/src/dir/f$i.txt"; done
CIDS=()
for i in 1 2 3 4; do CIDS+=("$(on o add -Q --pin=false "$WORK/src/a$i")"); done
CIDS+=("$(on o add -Q -r --pin=false "$WORK/src/dir")")
B=http://127.0.0.1:$API_o
declare -A REQ
for i in 0 1 2 3 4; do
  r=$(curl -s -X POST -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
    -d "{\"cid\":\"${CIDS[$i]}\",\"name\":\"archive-$i\"}" "$B/pins")
  REQ[$i]=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requestid"])' "$r")
done
for _ in $(seq 100); do
  n=$(curl -s -H "Authorization: Bearer $TOK" "$B/pins?status=pinned" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$n" = 5 ] && break; sleep 0.1
done
[ "$n" = 5 ] || fail "origin: $n of 5 pinned"
ok "5 archives pinned on the origin through POST /pins"

# A follow with no token is refused; with it, taken.
expect_fail on f1 mirror follow "$B"
out=$(on f1 mirror follow "$B" --token "$TOK")
[[ "$out" == "following $B as 1 (psa)" ]] || fail "follow: $out"
on f2 mirror follow "$B" --token "$TOK" >/dev/null
# Follower 2 restarted right away: its follow resumes from the repo.
node_stop f2; start f2
on f2 swarm connect "$MA_o" >/dev/null
for f in f1 f2; do
  wait_field $f 1 pinned 5
  eq "$(field $f 1 kind)" psa
  eq "$(field $f 1 source)" "$B"
  eq "$(field $f 1 failed)" 0
  eq "$(field $f 1 'last error')" none
  [ "$(field $f 1 'last sync')" != never ] || fail "$f: never synced"
  pins=$(on $f pin ls --type=recursive -q)
  for c in "${CIDS[@]}"; do grep -q "^$c\$" <<<"$pins" || fail "$f: $c not pinned"; done
done
ok "both followers pinned the 5 archives (follower 2 restarted and resumed)"

# The status page's data: the follow, and each archive held by 1 mirror.
curl -sf -m 10 "http://127.0.0.1:$API_f1/status.json" | python3 -c '
import json, sys
o = json.load(sys.stdin); cids = sys.argv[1:]
f = o["follows"]["Follows"]
assert len(f) == 1 and f[0]["Pinned"] == 5 and f[0]["Kind"] == "psa", f
assert all(o["mirrors"].get(c) == 1 for c in cids), (o["mirrors"], cids)
' "${CIDS[@]}" || fail "status.json: follows and mirrors"
ok "status.json shows the follow and each archive's replication"

# A pin deleted on the origin goes from the followers after the grace.
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $TOK" "$B/pins/${REQ[0]}")
eq "$code" 202 "DELETE /pins"
for f in f1 f2; do wait_field $f 1 missing 1; done
for f in f1 f2; do wait_field $f 1 pinned 4; wait_field $f 1 missing 0; done
for f in f1 f2; do
  on $f pin ls --type=recursive -q | grep "^${CIDS[0]}\$" >/dev/null && fail "$f: ${CIDS[0]} still pinned"
done
ok "a pin deleted on the origin was marked missing, then unpinned on both"

# follow --list: a CID the origin holds but never listed in its API.
head -c 700000 /dev/urandom >"$WORK/src/extra"
EXTRA=$(on o add -Q "$WORK/src/extra")
printf '# kept by list\n\n/ipfs/%s extra-file\n' "$EXTRA" >"$WORK/list.txt"
(cd "$WORK" && on f1 mirror follow --list list.txt) | grep "as 2 (list)" >/dev/null || fail "follow --list"
wait_field f1 2 pinned 1
eq "$(field f1 2 source)" "$WORK/list.txt"
on f1 pin ls --type=recursive -q | grep "^$EXTRA\$" >/dev/null || fail "list CID not pinned"
echo "not-a-cid" >>"$WORK/list.txt"
on f1 mirror sync 2
for _ in $(seq 50); do [[ "$(field f1 2 'last error')" == *"not a CID"* ]] && break; sleep 0.1; done
[[ "$(field f1 2 'last error')" == *"line 4: not a CID"* ]] || fail "bad list line not reported"
eq "$(field f1 2 pinned)" 1 "a bad list must change nothing"
ok "follow --list pinned the file's CID; a bad line is reported and changes nothing"
on f1 mirror unfollow 2 | grep "1 pins removed" >/dev/null || fail "unfollow"
on f1 pin ls --type=recursive -q | grep "^$EXTRA\$" >/dev/null && fail "list CID still pinned after unfollow"
on f1 mirror status | grep '^follow 2$' >/dev/null && fail "follow 2 still listed"
ok "unfollow removed the follow and its pin"

# follow /ipns/NAME: the origin's name, published, then moved.
ID_o=${MA_o##*/}
on o name publish -Q "/ipfs/${CIDS[1]}" >/dev/null || fail "name publish"
on f1 mirror follow "/ipns/$ID_o" --keep 1 | grep "as 3 (ipns)" >/dev/null || fail "follow /ipns/"
wait_field f1 3 "version 0" "${CIDS[1]}"
on o name publish -Q "/ipfs/${CIDS[2]}" >/dev/null || fail "name publish 2"
on f1 mirror sync 3
wait_field f1 3 "version 0" "${CIDS[2]}"
ok "follow /ipns/NAME moved to the new version after name publish"

# The origin goes; both followers serve every archive kept.
node_stop o
for f in f1 f2; do
  g=GW_$f
  for i in 1 2 3; do
    curl -sf "http://127.0.0.1:${!g}/ipfs/${CIDS[$i]}" -o "$WORK/got" || fail "$f: ${CIDS[$i]} not served"
    cmp -s "$WORK/got" "$WORK/src/a$((i + 1))" || fail "$f: archive $i differs"
  done
  for k in 1 150 300; do
    curl -sf "http://127.0.0.1:${!g}/ipfs/${CIDS[4]}/f$k.txt" -o "$WORK/got" || fail "$f: dir file $k not served"
    cmp -s "$WORK/got" "$WORK/src/dir/f$k.txt" || fail "$f: dir file $k differs"
  done
  on $f pin verify >/dev/null || fail "$f: pin verify"
done
ok "with the origin gone, each follower serves every archive"
