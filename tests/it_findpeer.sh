#!/bin/bash
# it_findpeer.sh — a peer reached by its ID alone, its address from the DHT
# (go-libp2p's routed host: FindPeer when the peerstore knows nothing, or
# when what it knows fails).  Three daemons on 127.0.0.1 with the LAN DHT
# (tests/dht_net_lib.sh):
#
#   X  a DHT server, the only Bootstrap peer of the others;
#   A  a DHT client (Routing.Type dhtclient: no server puts it in its
#      table, so nobody's lookup ever dials it), started before B: it has
#      never heard of B;
#   B  a DHT server that joins through X.
#
# Then A, not connected to B and with nothing of it in its peerstore:
#   `ping ID_B`, `swarm connect /p2p/ID_B` and `id ID_B` all reach B (X's
#   table gives B's address); an ID nobody has fails, saying so.  Before
#   the lookup existed each of them failed ("peer lookup failed", "no
#   address").
if [ -z "${IT_FINDPEER_TIMED:-}" ]; then
  IT_FINDPEER_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/dht_net_lib.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $* (${SECONDS}s)"; }
dn_init
trap 'rc=$?; dn_stop_all || rc=1; exit $rc' EXIT
connected() { grep -q "${DN_ID[$2]}" <<<"$(dn_tr "$1" swarm peers)"; }

dn_new 0 && dn_start 0 || fail "X"
dn_new 1 0 && dn_tr 1 config Routing.Type dhtclient >/dev/null &&
  dn_start 1 || fail "A"
for _ in $(seq 100); do connected 1 0 && break; sleep 0.1; done
connected 1 0 || fail "A did not join through X"
dn_new 2 0 && dn_start 2 || fail "B"
for _ in $(seq 100); do
  grep -q "${DN_ID[2]}" <<<"$(dn_tr 0 stats dht)" && break
  sleep 0.1
done
grep -q "${DN_ID[2]}" <<<"$(dn_tr 0 stats dht)" || fail "X's table lacks B"
connected 1 2 && fail "A is connected to B before the test"
grep -q "${DN_ID[2]}" <<<"$(dn_tr 1 swarm addrs)" && fail "A knows B's address already"

out=$(dn_tr 1 ping -n 1 "${DN_ID[2]}" 2>&1) || fail "ping B: $out"
grep -q "Pong received" <<<"$out" || fail "ping B said: $out"
ok "A pings B by its ID: the DHT gave its address"
dn_tr 1 swarm disconnect "/p2p/${DN_ID[2]}" >/dev/null || fail "disconnect"
out=$(dn_tr 1 swarm connect "/p2p/${DN_ID[2]}" 2>&1) || fail "connect: $out"
[ "$out" = "connect ${DN_ID[2]} success" ] || fail "connect said: $out"
out=$(dn_tr 1 id "${DN_ID[2]}" 2>&1) || fail "id: $out"
grep -q "\"ID\": *\"${DN_ID[2]}\"" <<<"$out" || fail "id said: $out"
ok "swarm connect /p2p/ID and id ID reach B"

nobody=$(dn_tr 1 key gen --ipns-base=b58mh nobody) || fail "key gen"
out=$(dn_tr 1 ping -n 1 "$nobody" 2>&1) && fail "ping of nobody: $out"
grep -q "peer lookup failed" <<<"$out" || fail "ping of nobody said: $out"
out=$(dn_tr 1 swarm connect "/p2p/$nobody" 2>&1) && fail "connect nobody: $out"
grep -q "no address to dial" <<<"$out" || fail "connect nobody said: $out"
ok "an ID nobody has fails, saying so"
