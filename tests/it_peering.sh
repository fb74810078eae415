#!/bin/bash
# it_peering.sh — Peering.Peers and `swarm peering` (net/peering.h), the
# cases of Kubo's test/cli/peering_test.go on three trove daemons (0 and 1
# peer with each other, 1 with 2; Routing.Type none, no Bootstrap, so only
# peering connects them), with a short back-off
# (TROVE_PEERING_INITIAL_MS=300: delays of 0.45-0.75 s growing to 36 s):
#
#   1. 0 and 1 peer with each other (simultaneous connect); 1's address
#      for 2 is /dns4/localhost/... (resolved on the way); 2 is down.
#   2. 1 peers with 2 once 2 comes up (on the port its config names).
#   3. 0 disconnects from 1: they are connected again.
#   4. 2 is killed (SIGKILL) and comes back: 1 connects to it again.
#   5. `swarm peering ls` lists 1's peers with their addresses; `rm` of 2
#      and a disconnect: 1 and 2 stay apart; `add` of 2 at run time: they
#      are connected again, at an address without /p2p in ls.
#   6. Errors: add without /p2p, add of the node itself, rm of a bad ID,
#      a config whose Peering.Peers names a bad ID or address (the daemon
#      does not start, and says why).
#
# Every daemon is stopped by dn_stop_all (SIGTERM, exit 0, no sanitizer
# report).
if [ -z "${IT_PEERING_TIMED:-}" ]; then
  IT_PEERING_TIMED=1 exec timeout -k 5 170 bash "$0" "$@"
fi
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/dht_net_lib.sh
export TROVE_PEERING_INITIAL_MS=300
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $* (${SECONDS}s)"; }
dn_init
trap 'rc=$?; dn_stop_all || rc=1; exit $rc' EXIT

# peers_of N: node N's connected peer IDs, one a line.
peers_of() { dn_tr "$1" swarm peers | sed 's|.*/p2p/||'; }
# wait_peered A B SECS: A connected to B within SECS, else fail.
wait_peered() {
  local i
  for i in $(seq $(($3 * 10))); do
    grep -qx "${DN_ID[$2]}" <<<"$(peers_of "$1")" && return 0
    sleep 0.1
  done
  fail "node $1 not peered with node $2 after $3 s (log: $(tail -n 5 "$DN_WORK/n$1.log"))"
}
# stays_apart A B SECS: A not connected to B for SECS.
stays_apart() {
  local i
  for i in $(seq $(($3 * 10))); do
    grep -qx "${DN_ID[$2]}" <<<"$(peers_of "$1")" &&
      fail "node $1 connected to node $2 again"
    sleep 0.1
  done
  return 0
}
mk() { # mk N: a repo with no routing and no bootstrap
  dn_new "$1" && dn_tr "$1" config Routing.Type none >/dev/null ||
    fail "init node $1"
}
peering() { # peering N JSON
  dn_tr "$1" config --json Peering.Peers "$2" >/dev/null || fail "config $1"
}

mk 0; mk 1; mk 2
# Node 2 once, for a port of its own that its config then names.
dn_start 2 || fail "node 2 did not start"
P2=${DN_PORT[2]}
kill "${DN_TPID[2]}"; wait "${DN_TPID[2]}"; DN_ALIVE[2]=
dn_tr 2 config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$P2\"]" >/dev/null
dn_start 0 || fail "node 0 did not start"
P0=${DN_PORT[0]}
peering 1 "[{\"ID\":\"${DN_ID[0]}\",\"Addrs\":[\"/ip4/127.0.0.1/tcp/$P0\"]},
            {\"ID\":\"${DN_ID[2]}\",\"Addrs\":[\"/dns4/localhost/tcp/$P2\"]}]"
dn_start 1 || fail "node 1 did not start"
P1=${DN_PORT[1]}
# 0 learns 1's address only now: through the API, as an operator would.
out=$(dn_tr 0 swarm peering add "/ip4/127.0.0.1/tcp/$P1/p2p/${DN_ID[1]}") ||
  fail "peering add: $out"
[ "$out" = "add ${DN_ID[1]} success" ] || fail "peering add said: $out"
wait_peered 0 1 10
wait_peered 1 0 10
ok "0 and 1 peer with each other"

sleep 1 # 1 tries 2, which is down, at least once
dn_start 2 || fail "node 2 did not come up"
wait_peered 1 2 20
ok "1 peers with 2 once it comes up (at a /dns4 address)"

dn_tr 0 swarm disconnect "/p2p/${DN_ID[1]}" >/dev/null || fail "disconnect"
wait_peered 0 1 10
wait_peered 1 0 10
ok "0 and 1 connected again after a disconnect"

dn_kill 2
for _ in $(seq 50); do
  grep -qx "${DN_ID[2]}" <<<"$(peers_of 1)" || break
  sleep 0.1
done
grep -qx "${DN_ID[2]}" <<<"$(peers_of 1)" && fail "1 still connected to a killed 2"
dn_start 2 || fail "node 2 did not restart"
wait_peered 1 2 20
ok "1 re-peers with 2 after 2 was killed and came back"

ls=$(dn_tr 1 swarm peering ls) || fail "peering ls"
grep -qx "${DN_ID[0]}" <<<"$ls" && grep -qx "${DN_ID[2]}" <<<"$ls" &&
  grep -qx $'\t'"/ip4/127.0.0.1/tcp/$P0" <<<"$ls" &&
  grep -qx $'\t'"/dns4/localhost/tcp/$P2" <<<"$ls" || fail "peering ls: $ls"
out=$(dn_tr 1 swarm peering rm "${DN_ID[2]}") || fail "peering rm: $out"
[ "$out" = "remove ${DN_ID[2]} success" ] || fail "peering rm said: $out"
grep -q "${DN_ID[2]}" <<<"$(dn_tr 1 swarm peering ls)" && fail "2 still listed"
dn_tr 1 swarm disconnect "/p2p/${DN_ID[2]}" >/dev/null || fail "disconnect 2"
stays_apart 1 2 3
ok "after peering rm, a disconnect keeps 1 and 2 apart"

out=$(dn_tr 1 swarm peering add "/ip4/127.0.0.1/tcp/$P2/p2p/${DN_ID[2]}") ||
  fail "peering add 2: $out"
wait_peered 1 2 10
grep -qx $'\t'"/ip4/127.0.0.1/tcp/$P2" <<<"$(dn_tr 1 swarm peering ls)" ||
  fail "ls after add: $(dn_tr 1 swarm peering ls)"
ok "peering add at run time connects, its address kept without /p2p"

err=$(dn_tr 1 swarm peering add /ip4/127.0.0.1/tcp/1 2>&1) && fail "add without /p2p"
grep -q "invalid p2p multiaddr" <<<"$err" || fail "add without /p2p said: $err"
err=$(dn_tr 1 swarm peering add "/p2p/${DN_ID[1]}" 2>&1) && fail "add of itself"
grep -q "itself" <<<"$err" || fail "add of itself said: $err"
err=$(dn_tr 1 swarm peering rm notapeer 2>&1) && fail "rm of a bad ID"
grep -q "failed to parse peer ID" <<<"$err" || fail "rm of a bad ID said: $err"
out=$(dn_tr 1 swarm peering rm "${DN_ID[0]}" "${DN_ID[0]}") || fail "rm twice"
[ "$(grep -c "remove ${DN_ID[0]} success" <<<"$out")" = 2 ] || fail "rm twice said: $out"
ok "add and rm refuse what Kubo refuses"

mk 3
peering 3 '[{"ID":"notapeer","Addrs":[]}]'
err=$(TROVE_PATH=$DN_WORK/n3 timeout --foreground 30 "$DN_TROVE" daemon \
  --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 2>&1) &&
  fail "a bad Peering.Peers ID started"
grep -q "Peering.Peers\[0\]: bad ID" <<<"$err" || fail "bad ID said: $err"
peering 3 "[{\"ID\":\"${DN_ID[0]}\",\"Addrs\":[\"not an address\"]}]"
err=$(TROVE_PATH=$DN_WORK/n3 timeout --foreground 30 "$DN_TROVE" daemon \
  --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 2>&1) &&
  fail "a bad Peering.Peers address started"
grep -q "Addrs\[0\]: not a multiaddr" <<<"$err" || fail "bad address said: $err"
ok "a bad Peering.Peers stops the daemon's start, saying why"
