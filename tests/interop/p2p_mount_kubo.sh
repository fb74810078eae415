#!/bin/bash
# p2p_mount_kubo.sh — libp2p stream mounting (`p2p`, Kubo's
# Experimental.Libp2pStreamMounting) between trove and Kubo v0.43.1 on
# 127.0.0.1, both with the feature on and connected:
#   - Kubo forwards a local port to trove, which listens and bridges to a
#     TCP echo server: 4 MiB echoed byte for byte, and the mirror image
#     (trove forwards, Kubo listens); a half-close carried through to a
#     sink server, which records what it got (8 MiB, SHA-256), both ways;
#   - `p2p ls [-v]`, `p2p stream ls [-v]`, `p2p close`: trove's CLI
#     against trove and Kubo's CLI against Kubo for the same setup,
#     byte-compared with the peer IDs and ports substituted, and Kubo's
#     CLI against trove's API;
#   - --foreground (-f): the lines as Kubo's, ended by `p2p close`, and
#     the listener removed when the client goes away;
#   - errors (disabled, offline, no /x/, duplicates, bad addresses,
#     close's options, stream close's ID): trove's API bodies against
#     Kubo's;
#   - a hostile side: a stream to a listener whose target port is closed
#     is reset and leaves nothing; past TROVE_P2P_STREAMS_MAX bridges the
#     newcomers are reset and the others keep working.
# Skipped (passes) without Kubo; bounded by INTEROP_TIMEOUT; stops its own
# PIDs only.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
set -E
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
TOOL="python3 $INTEROP_DIR/lib/p2pm_tool.py"
FEAT=Experimental.Libp2pStreamMounting

trove_p2p_init
# Offline, as Kubo's CLI without a daemon.
err=$("$TROVE" p2p ls 2>&1) && fail "p2p ls offline succeeded"
grep -q "libp2p stream mounting not enabled" <<<"$err" || fail "offline, disabled: $err"
"$TROVE" config --json $FEAT true >/dev/null
err=$("$TROVE" p2p ls 2>&1) && fail "p2p ls offline succeeded"
grep -q "must be run in online mode" <<<"$err" || fail "offline, enabled: $err"
"$TROVE" config --json $FEAT false >/dev/null
ok "offline answers"

TROVE_P2P_STREAMS_MAX=6 interop_daemon
kubo_init
KAPI=$("$IPFS" config Addresses.API)
KAPORT=${KAPI##*/}
kubo_daemon
TAPI=/ip4/127.0.0.1/tcp/$APORT
KIPFS() { timeout 30 "$IPFS" "$@"; }
TT() { timeout 30 "$TROVE" "$@"; }

# Disabled on a running trove: the API answers Kubo's error (Kubo's CLI on
# trove's API prints it as on Kubo's own).
out=$(curl -s -m 10 -X POST "http://127.0.0.1:$APORT/api/v0/p2p/ls")
eq "$out" '{"Message":"libp2p stream mounting not enabled","Code":0,"Type":"error"}'
err=$(KIPFS --api "$TAPI" p2p ls 2>&1) && fail "Kubo's CLI: p2p ls on a disabled trove succeeded"
eq "$err" "Error: libp2p stream mounting not enabled"
err=$(TT p2p ls 2>&1) && fail "trove p2p ls while disabled succeeded"
grep -q "libp2p stream mounting not enabled" <<<"$err" || fail "disabled: $err"
ok "disabled"
# Read each time, as Kubo: enabling needs no restart.
TT config --json $FEAT true >/dev/null
KIPFS config --json $FEAT true >/dev/null
"$IPFS" shutdown
wait "${PIDS[-1]}" 2>/dev/null || true
kubo_daemon
KID=$KUBO_ID
out=$(KIPFS swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID")
eq "$out" "connect $TID success"

# ---- the TCP ends
ECHO=$(port) ECHO_K=$(port) SINK=$(port) SINK_K=$(port) DEAD=$(port)
mkdir -p "$WORK/sink" "$WORK/sink_k"
$TOOL serve echo "$ECHO" >"$WORK/echo.log" 2>&1 & PIDS+=($!)
$TOOL serve echo "$ECHO_K" >"$WORK/echo_k.log" 2>&1 & PIDS+=($!)
$TOOL serve sink "$SINK" "$WORK/sink" >"$WORK/sink.log" 2>&1 & PIDS+=($!)
$TOOL serve sink "$SINK_K" "$WORK/sink_k" >"$WORK/sink_k.log" 2>&1 & PIDS+=($!)
FWD=$(port) FWD_K=$(port) FWS=$(port) FWS_K=$(port) FWD_DEAD=$(port)

# ---- Kubo -> trove: trove listens, Kubo forwards
out=$(TT p2p listen /x/echo "/ip4/127.0.0.1/tcp/$ECHO") || fail "p2p listen: $out"
eq "$out" ""
TT p2p listen /x/sink "/ip4/127.0.0.1/tcp/$SINK" >/dev/null
KIPFS p2p forward /x/echo "/ip4/127.0.0.1/tcp/$FWD_K" "/p2p/$TID"
KIPFS p2p forward /x/sink "/ip4/127.0.0.1/tcp/$FWS_K" "/p2p/$TID"
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$FWD_K) 2>/dev/null && break; sleep 0.1; done
out=$($TOOL echo "$FWD_K" $((4 << 20)))
[[ $out = ok* ]] || fail "Kubo -> trove echo: $out"
[[ $out != *"no EOF"* ]] || fail "Kubo -> trove: no EOF after the half-close: $out"
out=$($TOOL sink "$FWS_K" $((8 << 20)))
want=${out#sent }
for _ in $(seq 100); do [ -s "$WORK/sink/1.sha" ] && break; sleep 0.1; done
eq "$(cat "$WORK/sink/1.sha" 2>/dev/null)" "$want" "(Kubo -> trove sink)"
ok "Kubo forwards, trove listens: 4 MiB echoed, 8 MiB and its end carried"

# ---- trove -> Kubo: Kubo listens, trove forwards
KIPFS p2p listen /x/echo "/ip4/127.0.0.1/tcp/$ECHO_K"
KIPFS p2p listen /x/sink "/ip4/127.0.0.1/tcp/$SINK_K"
TT p2p forward /x/echo "/ip4/127.0.0.1/tcp/$FWD" "/p2p/$KID" >/dev/null
TT p2p forward /x/sink "/ip4/127.0.0.1/tcp/$FWS" "/ip4/127.0.0.1/tcp/$KPORT/p2p/$KID" >/dev/null
out=$($TOOL echo "$FWD" $((4 << 20)))
[[ $out = ok* ]] || fail "trove -> Kubo echo: $out"
[[ $out != *"no EOF"* ]] || fail "trove -> Kubo: no EOF after the half-close: $out"
out=$($TOOL sink "$FWS" $((8 << 20)))
want=${out#sent }
for _ in $(seq 100); do [ -s "$WORK/sink_k/1.sha" ] && break; sleep 0.1; done
eq "$(cat "$WORK/sink_k/1.sha" 2>/dev/null)" "$want" "(trove -> Kubo sink)"
ok "trove forwards, Kubo listens: 4 MiB echoed, 8 MiB and its end carried"

# ---- listings: the same setup on both sides, byte-compared
norm() { # SELF OTHER: peer IDs and every port made neutral
  sed -e "s#$1#SELF#g" -e "s#$2#OTHER#g" \
    -e "s#tcp/$ECHO\\b#tcp/ECHO#g" -e "s#tcp/$ECHO_K\\b#tcp/ECHO#g" \
    -e "s#tcp/$SINK\\b#tcp/SINK#g" -e "s#tcp/$SINK_K\\b#tcp/SINK#g" \
    -e "s#tcp/$FWD\\b#tcp/FWD#g" -e "s#tcp/$FWD_K\\b#tcp/FWD#g" \
    -e "s#tcp/$FWS\\b#tcp/FWS#g" -e "s#tcp/$FWS_K\\b#tcp/FWS#g"
}
# Kubo lists a map: one listener of each kind at a time keeps its order.
TT p2p close -p /x/sink >/dev/null
KIPFS p2p close -p /x/sink >/dev/null
# trove's CLI has no --enc: its JSON is its API's body.
tcli() { # CMD... [ARGS]: trove's CLI, or its API's answer for --enc=json
  local a=("$@")
  if [ "${a[-1]}" = "--enc=json" ]; then
    unset 'a[-1]'
    local IFS=/
    curl -s -m 10 -X POST "http://127.0.0.1:$APORT/api/v0/${a[*]}"
  else
    TT "$@"
  fi
}
for args in "" "-v" "--headers" "--enc=json"; do
  t=$(tcli p2p ls $args | norm "$TID" "$KID")
  k=$(KIPFS p2p ls $args | norm "$KID" "$TID")
  [ "$t" = "$k" ] || fail "p2p ls $args: trove
$t
Kubo
$k"
  x=$(KIPFS --api "$TAPI" p2p ls $args | norm "$TID" "$KID")
  [ "$x" = "$k" ] || fail "Kubo's CLI on trove's API: p2p ls $args: $x"
done
echo "$t"
ok "p2p ls: trove's CLI = Kubo's CLI, and Kubo's CLI on trove's API"

# One stream each way held open: each side lists its listener's stream.
$TOOL hold "$FWD_K" 1 6 >"$WORK/hold1" & H1=$!; PIDS+=($H1)
for _ in $(seq 50); do [ -s "$WORK/hold1" ] && break; sleep 0.1; done
eq "$(cat "$WORK/hold1")" 1 "(held stream into trove)"
$TOOL hold "$FWD" 1 6 >"$WORK/hold2" & H2=$!; PIDS+=($H2)
for _ in $(seq 50); do [ -s "$WORK/hold2" ] && break; sleep 0.1; done
eq "$(cat "$WORK/hold2")" 1 "(held stream into Kubo)"
idn() { sed -E -e 's/"HandlerID":"[0-9]+"/"HandlerID":"N"/g' -e 's#/tcp/[0-9]+",#/tcp/P",#g' \
  -e 's#^[0-9]+( +)#N\1#' -e 's#/ip4/127.0.0.1/tcp/[0-9]+ #/ip4/127.0.0.1/tcp/P #'; }
for args in "" "-v" "--enc=json"; do
  t=$(tcli p2p stream ls $args | norm "$TID" "$KID")
  k=$(KIPFS p2p stream ls $args | norm "$KID" "$TID")
  # trove's one stream in, from Kubo's forward, and its one out; Kubo's
  # the same.  Kubo lists a map (any order): rows compared sorted.
  if [ "$args" = "--enc=json" ]; then
    srt='import json,sys; d=json.loads(sys.argv[1]); print(json.dumps(sorted(d["Streams"], key=lambda s: s["OriginAddress"]), separators=(",",":")))'
    ti=$(python3 -c "$srt" "$t" | idn); ki=$(python3 -c "$srt" "$k" | idn)
  else
    ti=$(idn <<<"$t" | sort); ki=$(idn <<<"$k" | sort)
  fi
  [ -n "$ti" ] || fail "p2p stream ls $args: no inbound stream: $t"
  [ "$ti" = "$ki" ] || fail "p2p stream ls $args: trove
$ti
Kubo
$ki"
done
out=$(KIPFS --api "$TAPI" p2p stream ls -v)
grep -q "^ID  *Protocol  *Origin  *Target$" <<<"$out" || fail "Kubo's CLI on trove's stream ls: $out"
grep -q " /p2p/$KID  */ip4/127.0.0.1/tcp/$ECHO$" <<<"$out" || fail "Kubo's CLI on trove's stream ls: $out"
ok "p2p stream ls: the same rows"
# stream close of every stream: the held connections end.
TT p2p stream close -a
out=$(TT p2p stream ls)
eq "$out" ""
wait $H1 $H2 2>/dev/null || true

# ---- close: counts and text as Kubo's
t=$(TT p2p close -p /x/echo)
k=$(KIPFS p2p close -p /x/echo)
eq "$t" "$k"
eq "$t" "Closed 2 stream(s)"
eq "$(TT p2p ls)" ""
eq "$(curl -s -m 10 -X POST "http://127.0.0.1:$APORT/api/v0/p2p/ls")" '{"Listeners":null}'
eq "$(curl -s -m 10 -X POST "http://127.0.0.1:$APORT/api/v0/p2p/stream/ls")" '{"Streams":null}'
ok "p2p close"

# ---- errors: trove's API body against Kubo's, request by request
both() { # PATH?QUERY: the same answer (status and body) from both APIs
  local t k
  t=$(curl -s -m 10 -w ' %{http_code}' -X POST "http://127.0.0.1:$APORT/api/v0/$1" | norm "$TID" "$KID")
  k=$(curl -s -m 10 -w ' %{http_code}' -X POST "http://127.0.0.1:$KAPORT/api/v0/$1" | norm "$KID" "$TID")
  [ "$t" = "$k" ] || fail "$1: trove: $t
Kubo: $k"
}
TT p2p listen /x/dup "/ip4/127.0.0.1/tcp/$ECHO" >/dev/null
KIPFS p2p listen /x/dup "/ip4/127.0.0.1/tcp/$ECHO_K" >/dev/null
both "p2p/listen?arg=/x/dup&arg=/ip4/127.0.0.1/tcp/$ECHO"
both "p2p/listen?arg=echo&arg=/ip4/127.0.0.1/tcp/1"
both "p2p/listen?arg=/x/a&arg=/ip4/127.0.0.1/tcp/0"
both "p2p/listen?arg=/x/a&arg=/ip4/127.0.0.1"
both "p2p/listen?arg=/x/a&arg=bad"
# A missing argument: 400 from both (Kubo's body is text/plain, trove's
# the JSON error every trove command answers it with).
st() { curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "$1"; }
for q in "p2p/listen?arg=/x/a" "p2p/listen" "p2p/forward?arg=/x/a&arg=/ip4/127.0.0.1/tcp/1"; do
  eq "$(st "http://127.0.0.1:$APORT/api/v0/$q")" 400 "($q on trove)"
  eq "$(st "http://127.0.0.1:$KAPORT/api/v0/$q")" 400 "($q on Kubo)"
done
both "p2p/forward?arg=echo&arg=/ip4/127.0.0.1/tcp/$(port)&arg=/p2p/$KID"
both "p2p/forward?arg=/x/a&arg=/ip4/127.0.0.1/tcp/$ECHO&arg=/p2p/$KID"
both "p2p/close"
both "p2p/close?all=true&protocol=/x/a"
both "p2p/close?listen-address=bad"
both "p2p/close?protocol=/x/none"
both "p2p/stream/close"
both "p2p/stream/close?arg=x"
both "p2p/stream/close?arg=99"
both "p2p/close?all=true"
ok "errors as Kubo's"

# ---- Kubo's CLI driving trove's API: listen, forward, close
KT() { KIPFS --api "$TAPI" "$@"; }
out=$(KT p2p listen /x/kt "/ip4/127.0.0.1/tcp/$ECHO") || fail "Kubo's CLI: listen on trove: $out"
eq "$out" ""
out=$(KT p2p forward /x/kt "/ip4/127.0.0.1/tcp/$(port)" "/p2p/$KID") || fail "Kubo's CLI: forward on trove: $out"
eq "$out" ""
eq "$(KT p2p ls | grep -c /x/kt)" 2
err=$(KT p2p listen kt "/ip4/127.0.0.1/tcp/$ECHO" 2>&1) && fail "Kubo's CLI: a listen outside /x/ on trove"
eq "$err" "Error: protocol name must be within '/x/' namespace"
eq "$(KT p2p close -a)" "Closed 2 stream(s)"
out=$(KT p2p stream close -a) || fail "Kubo's CLI: stream close -a on trove: $out"
err=$(KT p2p stream close 2>&1) && fail "Kubo's CLI: stream close without an ID on trove"
eq "$err" "Error: no id specified"
eq "$(KT p2p ls)" ""
ok "Kubo's CLI on trove's API: listen, forward, close, stream close"

# ---- --foreground: the lines and the end as Kubo's, from trove's CLI
# and from Kubo's CLI on trove's API.
printf '#!/bin/sh\nexec %s --api %s "$@"\n' "$IPFS" "$TAPI" >"$WORK/kt"
chmod +x "$WORK/kt"
fg() { # CLI OUT ARGS...: a foreground listen/forward, closed by `p2p close`
  local cli=$1 out=$2; shift 2
  : >"$out" # now: the child's own truncation may come after the first poll
  timeout 30 "$cli" "$@" >"$out" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
  timeout 30 "$cli" p2p close -p "$4" >/dev/null
  wait $pid || fail "$cli $*: exit status $?"
}
FGP=$(port)
fg "$IPFS" "$WORK/fg_k" p2p listen -f /x/fg "/ip4/127.0.0.1/tcp/$ECHO"
for cli in "$TROVE" "$WORK/kt"; do
  fg "$cli" "$WORK/fg_t" p2p listen -f /x/fg "/ip4/127.0.0.1/tcp/$ECHO"
  eq "$(cat "$WORK/fg_t")" "$(cat "$WORK/fg_k")" "(listen -f, $cli)"
done
cat "$WORK/fg_t"
fg "$IPFS" "$WORK/fg_k" p2p forward -f /x/fg "/ip4/127.0.0.1/tcp/$FGP" "/p2p/$TID"
for cli in "$TROVE" "$WORK/kt"; do
  fg "$cli" "$WORK/fg_t" p2p forward -f /x/fg "/ip4/127.0.0.1/tcp/$FGP" "/p2p/$KID"
  eq "$(cat "$WORK/fg_t")" "$(cat "$WORK/fg_k")" "(forward -f, $cli)"
done
cat "$WORK/fg_t"
# The client goes away: the listener goes with it.
for cli in "$TROVE" "$WORK/kt"; do
  timeout 30 "$cli" p2p listen -f /x/fg "/ip4/127.0.0.1/tcp/$ECHO" >/dev/null & fp=$!
  for _ in $(seq 50); do [ -n "$(TT p2p ls)" ] && break; sleep 0.1; done
  [ -n "$(TT p2p ls)" ] || fail "no foreground listener ($cli)"
  kill $fp; wait $fp 2>/dev/null || true
  for _ in $(seq 50); do [ -z "$(TT p2p ls)" ] && break; sleep 0.1; done
  eq "$(TT p2p ls)" "" "(after the foreground client left, $cli)"
done
ok "--foreground: Kubo's lines (trove's CLI, Kubo's CLI on trove's API); the listener ends with the request"

# ---- hostile: a target port that is closed
TT p2p listen /x/dead "/ip4/127.0.0.1/tcp/$DEAD" >/dev/null
KIPFS p2p forward /x/dead "/ip4/127.0.0.1/tcp/$FWD_DEAD" "/p2p/$TID"
for i in 1 2 3; do
  out=$($TOOL probe "$FWD_DEAD")
  eq "$out" eof "(a stream to a closed port)"
done
sleep 0.5
eq "$(TT p2p stream ls)" "" "(after streams to a closed port)"
ok "streams to a closed target port are reset, none left"

# ---- hostile: more streams than the bound (6) are reset, the rest work
TT p2p listen /x/echo "/ip4/127.0.0.1/tcp/$ECHO" >/dev/null
KIPFS p2p forward /x/echo "/ip4/127.0.0.1/tcp/$FWD_K" "/p2p/$TID" 2>/dev/null || true
$TOOL hold "$FWD_K" 9 4 >"$WORK/hold9" & H9=$!; PIDS+=($H9)
for _ in $(seq 100); do [ -s "$WORK/hold9" ] && break; sleep 0.1; done
eq "$(cat "$WORK/hold9")" 6 "(echoed within the bound of 6)"
n=$(TT p2p stream ls | wc -l)
eq "$n" 6 "(streams listed at the bound)"
wait $H9 2>/dev/null || true
for _ in $(seq 50); do [ -z "$(TT p2p stream ls)" ] && break; sleep 0.1; done
eq "$(TT p2p stream ls)" "" "(after the held connections closed)"
out=$($TOOL echo "$FWD_K" 65536)
[[ $out = ok* ]] || fail "echo after the bound: $out"
ok "past the bound: reset; below it: served"

# ---- the daemon stops cleanly with listeners and a stream open
$TOOL hold "$FWD_K" 1 30 >"$WORK/hold_last" & PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/hold_last" ] && break; sleep 0.1; done
kill "$DPID"
wait "$DPID" || fail "the daemon exited with status $?"
DPID=
grep -q "streams left at exit" "$WORK/daemon.log" && fail "streams left at exit"
ok "daemon stopped with a stream open"
