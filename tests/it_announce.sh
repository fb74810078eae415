#!/bin/bash
# it_announce.sh — Kubo's Addresses.Announce, AppendAnnounce, NoAnnounce
# and Swarm.AddrFilters on trove daemons on 127.0.0.1:
#   announce   the daemon prints "Swarm announcing" for what it announces;
#              `id` (its API) lists Announce + AppendAnnounce in place of
#              the listen addresses, NoAnnounce's exact address and range
#              taken out; a peer that connects learns the same through
#              identify (`id PEER` there: those and the address it dialled)
#   filters    a daemon whose Swarm.AddrFilters hold 127.0.0.0/8 neither
#              dials a loopback peer (the error names the filter) nor
#              keeps a connection from one; after the filter goes the
#              same dial works
#   provide    Provide.Enabled false (the announce-off profile) announces
#              nothing and refuses routing provide and provide once in
#              Kubo's words; the profile's "0s" interval stops the sweep
#   config     a filter that is not a range, an Announce entry that is
#              not a multiaddr: the daemon does not start, and says which
#              key
# With Kubo (when installed): `ipfs id` of trove from a connected Kubo
# lists trove's announced addresses.
source "$(dirname "$0")/lib.sh"
trap nodes_cleanup EXIT

# start NAME [CONFIG-JSON-PAIRS...]: a daemon on a free swarm port with
# each KEY=JSON set first; sets API_, PORT_, ID_, PID_ of NAME.
start() {
  local n=$1 repo=$WORK/$1 p kv
  shift
  p=$(port)
  [ -e "$repo/config" ] || TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  for kv in "$@"; do
    TROVE_PATH=$repo t config --json "${kv%%=*}" "${kv#*=}" >/dev/null
  done
  : >"$repo.log"
  TROVE_PATH=$repo timeout --foreground 120 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >>"$repo.log" 2>&1 &
  printf -v "PID_$n" '%s' "$!"
  PIDS+=($!)
  for _ in $(seq 200); do
    grep -q "Daemon is ready" "$repo.log" && break
    kill -0 "$!" 2>/dev/null || return 1
    sleep 0.05
  done
  grep -q "Daemon is ready" "$repo.log" || return 1
  printf -v "API_$n" '%s' "http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
  printf -v "PORT_$n" '%s' "$p"
  printf -v "ID_$n" '%s' "$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
at() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }
addrs_of() { # JSON of an id answer -> its Addresses, one a line, sorted
  python3 -c 'import json,sys; [print(a) for a in sorted(json.load(sys.stdin)["Addresses"])]'
}

start a 'Addresses.Announce=["/ip4/1.2.3.4/tcp/4001","/ip4/10.1.1.1/tcp/4001","/ip4/9.9.9.9/tcp/9"]' \
  'Addresses.AppendAnnounce=["/dns4/archive.example.org/tcp/4001","/ip4/1.2.3.4/tcp/4001"]' \
  'Addresses.NoAnnounce=["/ip4/10.0.0.0/ipcidr/8","/ip4/9.9.9.9/tcp/9"]' ||
  fail "daemon a: $(cat "$WORK/a.log")"
want="/dns4/archive.example.org/tcp/4001/p2p/$ID_a
/ip4/1.2.3.4/tcp/4001/p2p/$ID_a"
eq "$(curl -sf -X POST "$API_a/id" | addrs_of)" "$want" "a's id"
grep -q "Swarm listening on /ip4/127.0.0.1/tcp/$PORT_a" "$WORK/a.log" || fail "no listen line"
eq "$(grep -c "Swarm announcing" "$WORK/a.log")" 2 "announcing lines"
grep -q "Swarm announcing /ip4/1.2.3.4/tcp/4001" "$WORK/a.log" || fail "no announcing line"
start b || fail "daemon b: $(cat "$WORK/b.log")"
at b swarm connect "/ip4/127.0.0.1/tcp/$PORT_a/p2p/$ID_a" >/dev/null
# b's peerstore holds what identify said and the address b dialled.
got=$(curl -sf -X POST "$API_b/id?arg=$ID_a" | addrs_of | grep -v "/tcp/$PORT_a/")
eq "$got" "$want" "a as b's identify learned it"
ok "Announce, AppendAnnounce and NoAnnounce (an address and a range), in id and identify"

# NoAnnounce over the listen addresses themselves.
start c 'Addresses.NoAnnounce=["/ip4/127.0.0.0/ipcidr/8"]' \
  'Addresses.AppendAnnounce=["/ip4/5.6.7.8/tcp/1"]' || fail "daemon c: $(cat "$WORK/c.log")"
eq "$(curl -sf -X POST "$API_c/id" | addrs_of)" "/ip4/5.6.7.8/tcp/1/p2p/$ID_c" "c's id"
ok "NoAnnounce takes out the listen addresses in its range"

# Swarm.AddrFilters: no dial out, no connection in.
start f 'Swarm.AddrFilters=["/ip4/127.0.0.0/ipcidr/8"]' || fail "daemon f: $(cat "$WORK/f.log")"
out=$(at f swarm connect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b" 2>&1) && fail "f dialled b: $out"
case $out in *AddrFilters*) ;; *) fail "f's dial failed otherwise: $out" ;; esac
at b swarm connect "/ip4/127.0.0.1/tcp/$PORT_f/p2p/$ID_f" >/dev/null 2>&1 && fail "b connected to f"
sleep 0.3
eq "$(at f swarm peers)" "" "f's peers"
node_stop f
start f 'Swarm.AddrFilters=[]' || fail "daemon f again: $(cat "$WORK/f.log")"
at f swarm connect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b" >/dev/null || fail "f without its filter"
ok "Swarm.AddrFilters: neither dialled nor accepted"

# swarm filters at runtime: listed masked, dials cut at once, the config
# changed as Kubo's; rm all clears both.
eq "$(at f swarm filters)" "" "f's filters"
at f swarm disconnect "/p2p/$ID_b" >/dev/null 2>&1 || true
eq "$(at f swarm filters add /ip4/127.0.0.9/ipcidr/8 /ip4/10.0.0.0/ipcidr/8)" \
  "/ip4/127.0.0.9/ipcidr/8
/ip4/10.0.0.0/ipcidr/8" "filters add's answer"
eq "$(at f swarm filters)" "/ip4/127.0.0.0/ipcidr/8
/ip4/10.0.0.0/ipcidr/8" "the running filters, masked"
out=$(at f swarm connect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b" 2>&1) && fail "a filter added at run time did not hold: $out"
eq "$(at f config Swarm.AddrFilters | tr -d ' \n')" '["/ip4/127.0.0.9/ipcidr/8","/ip4/10.0.0.0/ipcidr/8"]' "the config after add"
out=$(at f swarm filters add /ip4/1.2.3.4/tcp/1 2>&1) && fail "a bad filter was taken: $out"
eq "$(at f swarm filters rm /ip4/127.0.0.9/ipcidr/8)" "/ip4/127.0.0.9/ipcidr/8" "filters rm's answer"
at f swarm connect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b" >/dev/null || fail "the filter's removal did not hold"
eq "$(at f swarm filters rm all)" "/ip4/10.0.0.0/ipcidr/8" "rm all's answer"
eq "$(at f swarm filters)" "" "no filter left"
eq "$(at f config Swarm.AddrFilters)" "null" "the config after rm all"
ok "swarm filters add/rm at run time and in the config"

# A bad entry stops the start and names its key.
node_stop c
TROVE_PATH=$WORK/c t config --json Swarm.AddrFilters '["/ip4/1.2.3.4/tcp/1"]' >/dev/null
start c && fail "c started with a bad filter"
grep -q "Swarm.AddrFilters" "$WORK/c.log" || fail "c's refusal: $(cat "$WORK/c.log")"
TROVE_PATH=$WORK/c t config --json Swarm.AddrFilters '[]' >/dev/null
TROVE_PATH=$WORK/c t config --json Addresses.Announce '["not an address"]' >/dev/null
start c && fail "c started with a bad Announce"
grep -q "Addresses.Announce" "$WORK/c.log" || fail "c's refusal: $(cat "$WORK/c.log")"
ok "a bad filter or announce address: no start, the key named"

# Provide.Enabled false (the announce-off profile): an add announces
# nothing, no sweep runs, and routing provide and provide once refuse in
# Kubo's words; the profile's "0s" interval alone also stops the sweep.
TROVE_PATH=$WORK/p t init >/dev/null
TROVE_PATH=$WORK/p t config profile apply announce-off >/dev/null
start p || fail "daemon p: $(cat "$WORK/p.log")"
at p swarm connect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b" >/dev/null
CID=$(echo private | at p add -Q)
st=$(curl -sf -X POST "$API_p/provide/stat")
eq "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["queue"]["Pushed"], d["lan"], d["wan"])' "$st")" \
  "0 None None" "provide stat with Provide.Enabled false"
out=$(curl -s -X POST "$API_p/routing/provide?arg=$CID")
case $out in *"Provide.Enabled is set to 'false'"*) ;; *) fail "routing provide: $out" ;; esac
out=$(curl -s -X POST "$API_p/provide/once?arg=$CID")
case $out in *"Provide.Enabled is false"*) ;; *) fail "provide once: $out" ;; esac
node_stop p
TROVE_PATH=$WORK/p t config --json Provide.Enabled true >/dev/null
start p || fail "daemon p again: $(cat "$WORK/p.log")"
st=$(curl -sf -X POST "$API_p/provide/stat")
eq "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["lan"], d["wan"])' "$st")" \
  "None None" "no sweep with Provide.DHT.Interval 0s"
echo more | at p add -Q >/dev/null
st=$(curl -sf -X POST "$API_p/provide/stat")
eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["queue"]["Pushed"])' "$st")" 1 "an add announced again"
ok "Provide.Enabled false: nothing announced, Kubo's refusals; a 0s interval: no sweep"

IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
if [ -x "$IPFS" ]; then
  export IPFS_PATH=$WORK/kubo
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]"
  "$IPFS" config Addresses.API "/ip4/127.0.0.1/tcp/$(port)"
  "$IPFS" config --json Bootstrap '[]'
  "$IPFS" daemon >"$WORK/kubo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do grep -q "Daemon is ready" "$WORK/kubo.log" && break; sleep 0.1; done
  "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$PORT_a/p2p/$ID_a" >/dev/null
  got=$("$IPFS" id "$ID_a" | addrs_of | grep -v "/tcp/$PORT_a/")
  eq "$got" "$want" "a as Kubo learned it"
  ok "Kubo's identify learns the announced addresses"
fi
