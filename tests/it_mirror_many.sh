#!/bin/bash
# it_mirror_many.sh — a follower of more pins than one page of the origin's
# listing holds, and more DAGs than the fetcher keeps sessions for, on
# 127.0.0.1: 4,200 small files pinned on an origin through POST /pins, one
# follower (`trove mirror follow URL --token T`).  Every pin must come
# (wanted 4200, pinned 4200, failed 0).  Two bugs this caught, each alone:
# the listing's walk held the pins seen so far against each page's count,
# which the service gives for the page's own query (before= included), so
# it stopped at 3,000 of 5,000 (and 6,000 of 10,000); and the fetcher
# refused a DAG past its 4,096th session while the done ones idled out
# (30 s), so the follower stopped at 4,096 pinned.
# The trap stops only the PIDs started here.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
trap nodes_cleanup EXIT
N=4200
on() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }

init() {
  local repo=$WORK/$1
  printf -v "PORT_$1" '%s' "$(port)"
  local p=PORT_$1
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/${!p}\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config Mirror.Follow.Interval 1s >/dev/null
}
start() {
  local repo=$WORK/$1 p=PORT_$1
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $1 did not start"
  printf -v "API_$1" '%s' "$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$repo.log")"
  printf -v "MA_$1" '%s' "/ip4/127.0.0.1/tcp/${!p}/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log" | tail -1)"
}
field() { # NAME: a figure of follow 1 in f's `mirror status`
  on f mirror status | awk -v k="$1: " 'index($0, k) == 1 {print substr($0, length(k) + 1); exit}'
}

init o; init f
mkdir -p "$WORK/src"
python3 - "$WORK/src" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    open("%s/s%05d" % (d, i), "wb").write(b"small file %d\n" % i)
PY
on o add -r --pin=false "$WORK/src" | awk '$3 ~ /\/s[0-9]+$/ {print $2}' >"$WORK/cids"
eq "$(sort -u "$WORK/cids" | wc -l)" "$N"
start o; start f
TOK=$(on o mirror token add many 2>/dev/null)
[[ "$TOK" == trove_* ]] || fail "no token: $TOK"
on f swarm connect "$MA_o" >/dev/null
B=http://127.0.0.1:$API_o
python3 - "$B" "$TOK" "$WORK/cids" <<'PY' || fail "POST /pins"
import http.client, json, sys, urllib.parse
base, tok, f = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
for cid in open(f).read().split():
    c.request("POST", "/pins", json.dumps({"cid": cid}), h)
    r = c.getresponse(); r.read()
    assert r.status == 202, r.status
PY
for _ in $(seq 300); do
  n=$(curl -s -H "Authorization: Bearer $TOK" "$B/pins?status=pinned&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$n" = "$N" ] && break; sleep 0.1
done
eq "$n" "$N"
ok "$N pins on the origin through POST /pins"

on f mirror follow "$B" --token "$TOK" >/dev/null
for _ in $(seq 900); do [ "$(field pinned)" = "$N" ] && break; sleep 0.1; done
[ "$(field pinned)" = "$N" ] || on f mirror status >&2
eq "$(field wanted)" "$N"
eq "$(field pinned)" "$N"
eq "$(field failed)" 0
grep -q "fetcher refused" "$WORK/f.log" && fail "the fetcher refused a fetch"
on f pin ls --type=recursive -q | sort >"$WORK/pinned"
eq "$(comm -13 "$WORK/pinned" <(sort -u "$WORK/cids") | wc -l)" 0
ok "the follower pinned all $N: every page of the listing, past 4096 fetch sessions"
