#!/bin/bash
# pubsub_kubo.sh — `pubsub` between `trove daemon` and Kubo (v0.43.1) on
# 127.0.0.1, gossipsub both ways: trove answers Kubo's "not enabled" when
# pubsub is off; with --enable-pubsub-experiment (and later with
# Pubsub.Enabled in the config) trove's subscribers get what Kubo
# publishes (data byte for byte, from = Kubo's peer ID, an 8-byte seqno,
# the topic) and Kubo's get what trove publishes; in a line Kubo A —
# trove — Kubo B (A and B not connected) trove forwards both ways;
# `pubsub ls` and `pubsub peers` agree on both sides; Kubo's CLI against
# trove's API (`ipfs --api ...`) prints what trove's CLI prints; a
# subscriber's stream ends when the daemon stops; --enable-pubsub-experiment
# =false wins over the config; with Pubsub.Router floodsub trove and
# Kubo's gossipsub exchange messages.  The background `sub`
# clients are this script's and are killed by their PIDs.  Skipped (passes)
# when Kubo is not installed.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

b64u() { printf 'u%s' "$(printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '=')"; }
# wait_for SECONDS DESC CMD...: until CMD succeeds.
wait_for() {
  local n=$(($1 * 10)) what=$2
  shift 2
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  fail "timed out: $what"
}
has_line() { # FILE N: at least N lines
  local c
  c=$(wc -l <"$1" 2>/dev/null || echo 0)
  [ "$c" -ge "$2" ]
}
has_bytes() { # FILE N
  local c
  c=$(wc -c <"$1" 2>/dev/null || echo 0)
  [ "$c" -ge "$2" ]
}
peers_of() { # CMD... -> 0 when the output names PEER ($PEER)
  local out
  out=$("$@" 2>/dev/null) || return 1
  grep -qx "$PEER" <<<"$out"
}
SUBS=() # background subscribers
bg() { # OUT CMD...: a background subscriber writing to OUT
  local out=$1
  shift
  "$@" >"$out" 2>"$out.err" &
  SUBS+=($!)
  PIDS+=($!)
}

trove_p2p_init
TA=$(b64u topicA)

# ---- off: Kubo's error, word for word
interop_daemon
msg=$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/pubsub/ls")
eq "$msg" '{"Message":"experimental pubsub feature not enabled, run daemon with --enable-pubsub-experiment to use","Code":0,"Type":"error"}' "pubsub off"
out=$("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT" pubsub ls 2>&1) && fail "Kubo's CLI: pubsub ls succeeded with pubsub off"
eq "$out" "Error: experimental pubsub feature not enabled, run daemon with --enable-pubsub-experiment to use" "Kubo's CLI on trove, pubsub off"
interop_daemon_stop
echo "ok - pubsub off: Kubo's error"

interop_daemon --enable-pubsub-experiment
kubo_init
"$IPFS" config --json Pubsub.Enabled true
kubo_daemon
[ -n "$TID" ] && [ -n "$KUBO_ID" ] || fail "daemons did not start"
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID" >/dev/null ||
  fail "Kubo cannot connect to trove"
TAPI=/ip4/127.0.0.1/tcp/$APORT

# ---- Kubo publishes, trove subscribes (the API's JSON and trove's CLI)
bg "$WORK/t_json" curl -sN -X POST "http://127.0.0.1:$APORT/api/v0/pubsub/sub?arg=$TA"
bg "$WORK/t_cli" "$TROVE" pubsub sub topicA
PEER=$TID wait_for 30 "Kubo sees trove in topicA" peers_of "$IPFS" pubsub peers topicA
PEER=$KUBO_ID wait_for 30 "trove sees Kubo" peers_of "$TROVE" pubsub peers
printf 'hello from kubo' | "$IPFS" pubsub pub topicA || fail "Kubo pubsub pub"
wait_for 20 "trove's subscriber got Kubo's message" has_line "$WORK/t_json" 1
line=$(head -1 "$WORK/t_json")
check "$line" 'd["from"] == a[0] and d["data"] == a[1] and d["topicIDs"] == [a[2]] and len(d["seqno"]) == 12 and d["seqno"][0] == "u" and list(d) == ["from", "data", "seqno", "topicIDs"]' \
  "$KUBO_ID" "$(b64u 'hello from kubo')" "$TA"
head -c 3000 /dev/urandom >"$WORK/bin"
"$IPFS" pubsub pub topicA "$WORK/bin" || fail "Kubo pubsub pub FILE"
wait_for 20 "trove's CLI wrote both messages" has_bytes "$WORK/t_cli" 3015
{ printf 'hello from kubo'; cat "$WORK/bin"; } >"$WORK/expect"
cmp -s "$WORK/t_cli" "$WORK/expect" || fail "trove's CLI wrote other bytes"
echo "ok - trove received Kubo's messages (JSON as Kubo's, bytes exact)"

# ---- trove publishes, Kubo subscribes
bg "$WORK/k_json" "$IPFS" pubsub sub --enc=json topicB
PEER=$KUBO_ID wait_for 30 "trove sees Kubo in topicB" peers_of "$TROVE" pubsub peers topicB
printf 'hello from trove' | "$TROVE" pubsub pub topicB || fail "trove pubsub pub"
wait_for 20 "Kubo's subscriber got trove's message" has_line "$WORK/k_json" 1
check "$(head -1 "$WORK/k_json")" 'd["from"] == a[0] and d["data"] == a[1] and d["topicIDs"] == [a[2]]' \
  "$TID" "$(b64u 'hello from trove')" "$(b64u topicB)"
"$TROVE" pubsub pub topicB "$WORK/bin" || fail "trove pubsub pub FILE"
wait_for 20 "Kubo got trove's second message" has_line "$WORK/k_json" 2
check "$(sed -n 2p "$WORK/k_json")" 'd["data"] == a[0]' \
  "u$(base64 -w0 <"$WORK/bin" | tr '+/' '-_' | tr -d '=')"
echo "ok - Kubo received trove's messages, signed by trove"

# ---- ls and peers, and Kubo's CLI against trove's API
eq "$("$TROVE" pubsub ls)" "topicA" "trove pubsub ls"
eq "$("$IPFS" --api "$TAPI" pubsub ls)" "topicA" "Kubo's CLI: trove's pubsub ls"
eq "$("$IPFS" pubsub ls)" "topicB" "Kubo's pubsub ls"
eq "$("$TROVE" pubsub peers topicB)" "$KUBO_ID" "trove: peers of topicB"
eq "$("$IPFS" --api "$TAPI" pubsub peers)" "$("$TROVE" pubsub peers)" "Kubo's CLI: trove's peers"
eq "$("$IPFS" --api "$TAPI" pubsub peers topicB)" "$KUBO_ID" "Kubo's CLI: trove's peers of topicB"
eq "$("$IPFS" pubsub peers topicA)" "$TID" "Kubo: peers of topicA"
bg "$WORK/kt_cli" "$IPFS" --api "$TAPI" pubsub sub topicC
wait_for 20 "trove has two subscriptions" eval '[ "$("$TROVE" pubsub ls | wc -l)" = 2 ]'
eq "$("$IPFS" --api "$TAPI" pubsub ls | sort)" "$(printf 'topicA\ntopicC')" "Kubo's CLI: ls of two"
printf 'via kubo cli' | "$IPFS" --api "$TAPI" pubsub pub topicC || fail "Kubo's CLI: pub"
wait_for 20 "Kubo's CLI on trove got the message" has_bytes "$WORK/kt_cli" 12
eq "$(cat "$WORK/kt_cli")" "via kubo cli" "Kubo's CLI sub on trove"
printf 'again' | "$IPFS" --api "$TAPI" pubsub pub topicA || fail "Kubo's CLI: pub topicA"
wait_for 20 "trove's JSON subscriber got its own node's message" has_line "$WORK/t_json" 3
check "$(sed -n 3p "$WORK/t_json")" 'd["from"] == a[0] and d["data"] == a[1]' "$TID" "$(b64u again)"
eq "$("$IPFS" --api "$TAPI" pubsub reset --peer "$KUBO_ID")" "Reset validator state for peer $KUBO_ID" "Kubo's CLI: reset --peer"
eq "$("$IPFS" --api "$TAPI" pubsub reset)" "Reset validator state for 0 peer(s)" "Kubo's CLI: reset"
echo "ok - ls, peers and reset agree; Kubo's CLI on trove's API works as on Kubo"

# ---- a line: Kubo A — trove — Kubo B; trove must forward
export IPFS_PATH=$WORK/kubo2
KPORT2=$(port)
"$IPFS" init --profile=test >/dev/null 2>&1
"$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$KPORT2\"]"
"$IPFS" config Addresses.API "/ip4/127.0.0.1/tcp/$(port)"
"$IPFS" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$(port)"
"$IPFS" config Routing.Type none
"$IPFS" config --json Bootstrap '[]'
"$IPFS" config --json Pubsub.Enabled true
"$IPFS" daemon >"$WORK/kubo2.log" 2>&1 &
PIDS+=($!)
wait_for 30 "Kubo B ready" grep -q "Daemon is ready" "$WORK/kubo2.log"
KUBO2_ID=$("$IPFS" id -f '<id>')
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID" >/dev/null ||
  fail "Kubo B cannot connect to trove"
IPFS_B=$IPFS_PATH
export IPFS_PATH=$WORK/kubo
bg "$WORK/t_line" "$TROVE" pubsub sub line
bg "$WORK/b_line" env IPFS_PATH="$IPFS_B" "$IPFS" pubsub sub line
bg "$WORK/a_line" "$IPFS" pubsub sub line
PEER=$KUBO2_ID wait_for 30 "trove sees B in line" peers_of "$TROVE" pubsub peers line
PEER=$KUBO_ID wait_for 30 "trove sees A in line" peers_of "$TROVE" pubsub peers line
PEER=$TID wait_for 30 "A sees trove in line" peers_of "$IPFS" pubsub peers line
PEER=$TID wait_for 30 "B sees trove in line" peers_of env IPFS_PATH=$IPFS_B "$IPFS" pubsub peers line
sleep 2 # a heartbeat or two: the meshes form
printf 'A>' | "$IPFS" pubsub pub line || fail "A pub"
wait_for 20 "B got A's message through trove" has_bytes "$WORK/b_line" 2
printf 'B>' | IPFS_PATH=$IPFS_B "$IPFS" pubsub pub line || fail "B pub"
wait_for 20 "A got B's message through trove" has_bytes "$WORK/a_line" 4
wait_for 20 "trove got both" has_bytes "$WORK/t_line" 4
eq "$(cat "$WORK/b_line")" "A>B>" "B's messages"
eq "$(cat "$WORK/t_line")" "A>B>" "trove's messages"
eq "$(cat "$WORK/a_line")" "A>B>" "A's messages"
sw=$("$IPFS" swarm peers)
[[ "$sw" != *"$KUBO2_ID"* ]] || fail "A and B are connected: the line is not a line"
echo "ok - trove forwarded between two Kubo nodes that are not connected"

# ---- the subscribers' streams end when the daemon stops
interop_daemon_stop
wait_for 20 "trove's JSON subscriber ended" eval '! kill -0 "${SUBS[0]}" 2>/dev/null'
wait_for 20 "trove's CLI subscriber ended" eval '! kill -0 "${SUBS[1]}" 2>/dev/null'
wait "${SUBS[1]}" || fail "trove pubsub sub did not exit 0 when the daemon stopped"
echo "ok - subscribers' streams end when the daemon stops"

# ---- Pubsub.Enabled in the config turns it on too
"$TROVE" config --json Pubsub.Enabled true >/dev/null
interop_daemon
eq "$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/pubsub/ls")" '{"Strings":null}' "ls with Pubsub.Enabled"
interop_daemon_stop
# --enable-pubsub-experiment=false wins over the config (Kubo's t0320)
interop_daemon --enable-pubsub-experiment=false
out=$("$TROVE" pubsub ls 2>&1) && fail "pubsub ls with the flag false"
[[ "$out" == *"experimental pubsub feature not enabled"* ]] || fail "flag false: $out"
out=$("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT" pubsub ls 2>&1) && fail "Kubo's CLI: ls with the flag false"
eq "$out" "Error: experimental pubsub feature not enabled, run daemon with --enable-pubsub-experiment to use" "flag false"
interop_daemon_stop
echo "ok - Pubsub.Enabled in the config; --enable-pubsub-experiment=false wins"

# ---- Pubsub.Router floodsub: trove floods, Kubo's gossipsub takes it
"$TROVE" config Pubsub.Router floodsub >/dev/null
interop_daemon
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID" >/dev/null ||
  fail "Kubo cannot connect to trove (floodsub)"
bg "$WORK/t_flood" "$TROVE" pubsub sub fl
bg "$WORK/k_flood" "$IPFS" pubsub sub fl
PEER=$TID wait_for 30 "Kubo sees trove in fl" peers_of "$IPFS" pubsub peers fl
PEER=$KUBO_ID wait_for 30 "trove sees Kubo in fl" peers_of "$TROVE" pubsub peers fl
printf 'F1' | "$IPFS" pubsub pub fl || fail "Kubo pub fl"
wait_for 20 "floodsub trove got Kubo's message" has_bytes "$WORK/t_flood" 2
printf 'F2' | "$TROVE" pubsub pub fl || fail "trove pub fl"
wait_for 20 "Kubo got floodsub trove's message" has_bytes "$WORK/k_flood" 4
eq "$(cat "$WORK/k_flood")" "F1F2" "Kubo's messages on fl"
eq "$(cat "$WORK/t_flood")" "F1F2" "trove's messages on fl"
interop_daemon_stop
for p in "${SUBS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
echo "ok - Pubsub.Router floodsub talks to Kubo's gossipsub"
