#!/bin/bash
# it_pubsub.sh — pubsub between trove daemons on 127.0.0.1, without Kubo:
# three nodes in a line a — b — c (a and c not connected), pubsub on by
# Pubsub.Enabled; what a publishes reaches c through b and back, each
# message once, from its author; `pubsub ls` and `pubsub peers` (the CLI's
# text and the API's JSON); a topic with a tab and a backslash printed as
# Kubo's EscNonPrint prints it; Kubo's URL-argument errors (t0322); a
# subscriber that goes away leaves the topic; a subscriber's stream ends
# cleanly when its daemon stops.  Daemons in temporary repos on free
# ports, stopped by the trap (only the PIDs started here).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PIDS=()
trap nodes_cleanup EXIT

start() { # NAME: a daemon with pubsub; sets API_, MA_, ID_NAME, PID_NAME
  local name=$1 repo=$WORK/$1 p
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config --json Discovery.MDNS.Enabled false >/dev/null
  TROVE_PATH=$repo t config --json Pubsub.Enabled true >/dev/null
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  printf -v "API_$name" '%s' "http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
  printf -v "ID_$name" '%s' "$(sed -n 's/.*peer identity: //p' "$repo.log")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
on() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }
wait_for() { # SECONDS DESC CMD...
  local n=$(($1 * 10)) what=$2
  shift 2
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  fail "timed out: $what"
}
bytes_at_least() { local c; c=$(wc -c <"$1" 2>/dev/null || echo 0); [ "$c" -ge "$2" ]; }
lines_at_least() { local c; c=$(wc -l <"$1" 2>/dev/null || echo 0); [ "$c" -ge "$2" ]; }
peers_has() { # NODE TOPIC ID
  local out
  out=$(on "$1" pubsub peers "$2" 2>/dev/null) || return 1
  grep -qx "$3" <<<"$out"
}
b64u() { printf 'u%s' "$(printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '=')"; }

start a
start b
start c
on a swarm connect "$MA_b" >/dev/null || fail "a cannot connect to b"
on c swarm connect "$MA_b" >/dev/null || fail "c cannot connect to b"

on a pubsub sub news >"$WORK/a.out" 2>"$WORK/a.err" &
SUB_A=$!; PIDS+=($SUB_A)
on b pubsub sub news >"$WORK/b.out" 2>"$WORK/b.err" &
SUB_B=$!; PIDS+=($SUB_B)
curl -sN -X POST "$API_c/pubsub/sub?arg=$(b64u news)" >"$WORK/c.json" &
SUB_C=$!; PIDS+=($SUB_C)
wait_for 20 "b sees a and c in news" eval 'peers_has b news "$ID_a" && peers_has b news "$ID_c"'
wait_for 20 "a sees b in news" peers_has a news "$ID_b"
wait_for 20 "c sees b in news" peers_has c news "$ID_b"
sleep 1.5 # a heartbeat: the meshes form
printf 'from-a;' | on a pubsub pub news || fail "a pub"
wait_for 20 "c got a's message through b" lines_at_least "$WORK/c.json" 1
python3 -c 'import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["from"] == sys.argv[2] and d["data"] == sys.argv[3], d
assert d["topicIDs"] == [sys.argv[4]] and d["seqno"][0] == "u" and len(d["seqno"]) == 12, d
assert list(d) == ["from", "data", "seqno", "topicIDs"], d' \
  "$WORK/c.json" "$ID_a" "$(b64u 'from-a;')" "$(b64u news)" || fail "c's JSON line"
curl -sf -X POST -F "data=@-" "$API_c/pubsub/pub?arg=$(b64u news)" <<<"from-c" >/dev/null ||
  fail "c pub through the API"
wait_for 20 "a got c's message through b" bytes_at_least "$WORK/a.out" 14
eq "$(cat "$WORK/a.out")" "$(printf 'from-a;from-c\n')" "a's subscriber"
wait_for 20 "b got both" bytes_at_least "$WORK/b.out" 14
eq "$(cat "$WORK/b.out")" "$(printf 'from-a;from-c\n')" "b's subscriber"
sleep 1
eq "$(wc -l <"$WORK/c.json")" 2 "c's messages (its own too), once each"
ok "a line of three: messages reach every subscriber once, through the middle"

# ---- ls and peers
eq "$(on b pubsub ls)" "news" "b ls"
eq "$(curl -s -X POST "$API_b/pubsub/ls")" "{\"Strings\":[\"$(b64u news)\"]}" "b ls JSON"
eq "$(on b pubsub peers)" "$(printf '%s\n%s' "$ID_a" "$ID_c" | sort)" "b peers (sorted)"
eq "$(on a pubsub peers news)" "$ID_b" "a peers of news"
eq "$(on a pubsub peers nothing)" "" "a peers of a topic nobody has"
eq "$(curl -s -X POST "$API_a/pubsub/peers?arg=$(b64u nothing)")" '{"Strings":[]}' "peers JSON, none"
ok "ls and peers"

# ---- a topic that needs escaping, and a subscriber that goes away
curl -sN -X POST "$API_a/pubsub/sub?arg=$(b64u "$(printf 'tab\there\\')")" >/dev/null &
SUB_X=$!; PIDS+=($SUB_X)
wait_for 20 "a lists two topics" eval '[ "$(on a pubsub ls | wc -l)" = 2 ]'
eq "$(on a pubsub ls | sort)" "$(printf '%s\n%s' 'news' 'tab\there\\')" "escaped topic"
kill $SUB_X
wait_for 20 "the topic goes with its subscriber" eval '[ "$(on a pubsub ls)" = news ]'
ok "a topic escaped as Kubo prints it; a subscriber's topic goes with it"

# ---- pubsub reset: the seqno validator forgets a's and c's last seqnos
eq "$(on b pubsub reset --peer "$ID_a")" "Reset validator state for peer $ID_a" "reset --peer"
eq "$(on b pubsub reset --peer "$ID_a")" "No validator state found for peer $ID_a" "reset --peer again"
eq "$(on b pubsub reset)" "Reset validator state for 1 peer(s)" "reset"
eq "$(curl -s -X POST "$API_b/pubsub/reset")" '{"deleted":0}' "reset JSON"
ok "pubsub reset"

# ---- Kubo's URL-argument errors (t0322)
echo test >"$WORK/data.txt"
r=$(curl -s -X POST -F "data=@$WORK/data.txt" "$API_a/pubsub/pub?arg=foobar")
[[ $r == *'URL arg must be multibase encoded'* ]] || fail "foobar: $r"
r=$(curl -s -X POST -F "data=@$WORK/data.txt" "$API_a/pubsub/pub?arg=mZm9vYmFyCg")
[[ $r == *'URL arg must be base64url encoded'* ]] || fail "base64 (not url): $r"
r=$(curl -s -X POST "$API_a/pubsub/sub")
[[ $r == *'argument \"topic\" is required'* ]] || fail "sub without a topic: $r"
ok "Kubo's URL-argument errors"

# ---- a subscriber's stream ends cleanly when its daemon stops
node_stop a
wait "$SUB_A" || fail "trove pubsub sub did not exit 0 when its daemon stopped"
ok "a subscriber's stream ends when its daemon stops"
wait_for 20 "b forgets a once it is gone" eval '! peers_has b news "$ID_a"'
eq "$(on b pubsub peers)" "$ID_c" "b's peers after a stopped"
ok "a peer that went away leaves the topic's peers"
