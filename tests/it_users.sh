#!/bin/bash
# it_users.sh — what a person meets at the command line, each a regression
# of a reported problem (issue 9, "Users"):
#   help_every_command      every command and family answers --help (exit 0)
#                           with the options of its table; `trove pin --help`
#                           said "unknown command 'pin'"; Kubo's removed
#                           commands (object, dht findprovs, ...) say what
#                           replaces them
#   config_typed            `config Gateway.RateLimit 0` stored the string "0"
#                           (which the daemon ignored); a wrong type is an
#                           error naming the key and the type, CLI and API
#   progress_tty            a bar (done / total) on a terminal for a local and
#                           a daemon add, dag import/export and get; none when
#                           piped or with -q
#   shutdown                `trove shutdown` stops the daemon
#   pin_ls_name             `pin ls --name` filters by name, locally and remote
#   missing_block_named     a read that meets a missing block names it
#   repo_compact            data.mdb shrinks after add + unpin + gc; refused
#                           while the daemon runs
#   repo_stat_sizes         DataSize beside FileSize (CLI and API)
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PID=
cleanup() {
  local rc=$?
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
daemon_up() {
  rm -f "$TROVE_PATH/api"
  "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 \
    >>"$WORK/daemon.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do [ -s "$TROVE_PATH/api" ] && break; sleep 0.05; done
  [ -s "$TROVE_PATH/api" ] || fail "daemon did not start: $(cat "$WORK/daemon.log")"
  API="http://127.0.0.1:$(sed 's|.*/tcp/||' "$TROVE_PATH/api")/api/v0"
}
t init >/dev/null

# ------------------------------------------------------ help_every_command
n=0
while IFS=$'\t' read -r cmd opts; do
  # shellcheck disable=SC2086
  out=$(t $cmd --help) || fail "help: 'trove $cmd --help' failed"
  [[ "$out" == "usage: trove $cmd"* ]] || fail "help: $cmd: $out"
  for o in $opts; do
    grep -q -- "$o" <<<"$out" || fail "help: $cmd does not list $o"
  done
  # shellcheck disable=SC2086
  eq "$(t help $cmd)" "$out" "help $cmd"
  n=$((n+1))
done < <(t help --commands)
[ "$n" -ge 25 ] || fail "help: only $n commands"
for fam in pin block dag repo; do
  out=$(t $fam --help) || fail "help: trove $fam --help"
  [[ "$out" == *"trove $fam COMMAND"* ]] || fail "help $fam: $out"
done
t refs --help | grep "refs local" >/dev/null || fail "help: refs does not list refs local"
t help | grep TROVE_OFFLINE >/dev/null || fail "help: environment not documented"
t help | grep TROVE_LOG >/dev/null || fail "help: TROVE_LOG not documented"
t add --help | grep -- '--pin-name' >/dev/null || fail "help: --pin-name"
t add --help | grep -- '--progress' >/dev/null || fail "help: --progress"
expect_fail t nosuchcommand
expect_fail t pin            # a family alone: its commands, on stderr
# Kubo's removed commands say what replaces them (exit 2), and the dht
# family keeps its query.
out=$(t object stat QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn 2>&1) &&
  fail "object stat ran"
eq "$out" "trove: object stat: removed, use 'trove dag' or 'trove files' instead"
out=$(t dht findprovs x 2>&1) && fail "dht findprovs ran"
eq "$out" "trove: dht findprovs: removed, use 'trove routing' instead"
t dht query --help >/dev/null || fail "dht query --help"
echo "ok help_every_command ($n commands; removed ones named)"

# ------------------------------------------------------------ config_typed
t config Gateway.RateLimit 0
python3 -c "import json,sys; v=json.load(open('$TROVE_PATH/config'))['Gateway']['RateLimit']; sys.exit(0 if v == 0 and type(v) is int else 1)" \
  || fail "Gateway.RateLimit 0 not stored as the integer 0"
t config Swarm.ConnMgr.HighWater 96
eq "$(t config Swarm.ConnMgr.HighWater)" 96
t config Gateway.NoFetch true
python3 -c "import json,sys; sys.exit(0 if json.load(open('$TROVE_PATH/config'))['Gateway']['NoFetch'] is True else 1)" \
  || fail "Gateway.NoFetch true not a boolean"
err=$(t config Gateway.RateLimit fast 2>&1) && fail "RateLimit fast accepted"
[[ "$err" == *"Gateway.RateLimit"*"an integer"* ]] || fail "config error: $err"
expect_fail t config Gateway.RateLimit fast
expect_fail t config Gateway.RateLimit 1.5
expect_fail t config --json Gateway.RateLimit '"0"'
expect_fail t config Gateway.NoFetch yes
expect_fail t config Addresses.Swarm /ip4/0.0.0.0/tcp/4001      # a list
expect_fail t config Gateway.RateLimit.Sub 1
t config --json Addresses.Swarm '["/ip4/0.0.0.0/tcp/4002"]'
t config Addresses.API /ip4/127.0.0.1/tcp/5002              # one string
eq "$(t config Addresses.API)" /ip4/127.0.0.1/tcp/5002
t config Some.Untyped 0                                      # unknown: a string
python3 -c "import json,sys; sys.exit(0 if json.load(open('$TROVE_PATH/config'))['Some']['Untyped'] == '0' else 1)" \
  || fail "untyped key not kept as a string"
echo "ok config_typed (CLI)"

# --------------------------------------------------- progress_tty (local)
D=$WORK/data; mkdir -p "$D/tree"
head -c 6000000 /dev/urandom >"$D/big.bin"
printf 'x' >"$D/tree/x"; head -c 300000 /dev/urandom >"$D/tree/y"
# script(1) gives the command a terminal; its output (stdout and stderr
# together) is the typescript.
tty_run() { script -q -e -c "$1" /dev/null 2>&1 | tr '\r' '\n' | sed 's/\x1b\[K//g'; }
bar_re='[0-9.]+ [KMG]?i?B / [0-9.]+ [KMG]?i?B \[[=>-]+\] +[0-9.]+% '
out=$(tty_run "'$TROVE_BIN' add --pin=false '$D/big.bin'")
grep -Eq "$bar_re" <<<"$out" || fail "progress: no bar for a local add: $out"
grep -q '5.72 MiB / 5.72 MiB' <<<"$out" || fail "progress: local add total: $out"
grep -q '^added ' <<<"$out" || fail "progress: no added line: $out"
err=$("$TROVE_BIN" add --pin=false "$D/big.bin" 2>&1 >/dev/null)
[ -z "$err" ] || fail "progress: something on a piped stderr: $err"
out=$(tty_run "'$TROVE_BIN' add -q --pin=false '$D/big.bin'")
grep -q ' / ' <<<"$out" && fail "progress: a bar with -q: $out"
# --progress forces it where stderr is no terminal.
"$TROVE_BIN" add --progress --pin=false "$D/big.bin" 2>&1 >/dev/null | grep '100.00%' >/dev/null \
  || fail "progress: --progress"
root=$(t add -Q -r "$D/tree")
out=$(tty_run "'$TROVE_BIN' dag export $root > '$WORK/t.car'")
grep -Eq '[0-9.]+ [KMG]?i?B' <<<"$out" || fail "progress: dag export: $out"
out=$(tty_run "'$TROVE_BIN' dag import '$WORK/t.car'")
grep -Eq "$bar_re" <<<"$out" || fail "progress: dag import: $out"
out=$(tty_run "cd '$WORK' && '$TROVE_BIN' get $root -o got")
grep -Eq "$bar_re" <<<"$out" || fail "progress: get: $out"
cmp "$WORK/got/y" "$D/tree/y" || fail "get wrote something else"
[ -z "$("$TROVE_BIN" dag export "$root" 2>&1 >/dev/null)" ] || fail "progress: dag export piped"
echo "ok progress_tty (local)"

# ------------------------------------------------------ missing_block_named
big=$(t add -Q --chunker=size-1000000 --raw-leaves "$D/big.bin")
leaf=$(t refs "$big" | sed -n 2p)
t pin rm "$big" >/dev/null
t block rm -q "$leaf"
err=$(t cat "$big" 2>&1 >/dev/null) && fail "cat of an incomplete DAG succeeded"
[[ "$err" == *"$leaf"* ]] || fail "missing block not named: $err"
err=$(cd "$WORK" && t get "$big" -o part 2>&1 >/dev/null) && fail "get of an incomplete DAG"
[[ "$err" == *"$leaf"* ]] || fail "get: missing block not named: $err"
err=$(t block get "$leaf" 2>&1) && fail "block get of a removed block"
[[ "$err" == *"$leaf"* ]] || fail "block get: CID not named: $err"
echo "ok missing_block_named"

# ------------------------------------------------------------- repo_compact
t repo gc -q
t add -Q --pin=false "$D/big.bin" >/dev/null
head -c 20000000 /dev/urandom >"$D/huge.bin"
h=$(t add -Q "$D/huge.bin")
st=$(t repo stat)
grep -q '^DataSize: ' <<<"$st" || fail "repo stat: no DataSize: $st"
grep -q '^FileSize: ' <<<"$st" || fail "repo stat: no FileSize: $st"
t pin rm "$h" >/dev/null
t repo gc -q
size() { stat -c %s "$TROVE_PATH/data.mdb"; }
before=$(size)
data=$(t repo stat | awk '/^DataSize/{print $2}')
[ "$data" -lt "$before" ] || fail "DataSize $data not under the file's $before after gc"
out=$(t repo compact) || fail "repo compact: $out"
after=$(size)
[ "$after" -lt $((before - 10000000)) ] || fail "repo compact: data.mdb $before -> $after"
t pin verify >/dev/null || fail "pins broken by compact"
t repo verify >/dev/null || fail "blocks broken by compact"
echo "ok repo_compact ($before -> $after bytes)"

# ------------------------------------------------------ daemon: everything
p1=$(t add -Q --pin-name=alpha-one "$D/tree/x")
daemon_up
err=$(t repo compact 2>&1) && fail "repo compact ran beside the daemon"
[[ "$err" == *"stop the daemon first"* ]] || fail "repo compact: $err"
expect_fail t repo compact
# config through the API, typed the same way
c=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/config?arg=Gateway.RateLimit&arg=7")
eq "$c" 200 "api config RateLimit 7"
eq "$(t config Gateway.RateLimit)" 7
python3 -c "import json,sys; sys.exit(0 if json.load(open('$TROVE_PATH/config'))['Gateway']['RateLimit'] == 7 else 1)" \
  || fail "api: RateLimit not an integer"
body=$(curl -s -X POST "$API/config?arg=Gateway.RateLimit&arg=fast")
[[ "$body" == *"Gateway.RateLimit"*"an integer"* ]] || fail "api config error: $body"
echo "ok config_typed (API)"
# repo stat: Kubo's fields and ours
st=$(curl -s -X POST "$API/repo/stat")
python3 -c "import json,sys; d=json.loads(sys.argv[1]); [d[k] for k in ('RepoSize','StorageMax','NumObjects','RepoPath','Version','DataSize','FileSize')]" "$st" \
  || fail "api repo/stat: $st"
echo "ok repo_stat_sizes"
# pin ls --name, through the daemon and locally
eq "$(t pin ls --name alpha)" "$p1 recursive alpha-one"
eq "$(TROVE_OFFLINE=1 t pin ls --name alpha)" "$p1 recursive alpha-one"
eq "$(t pin ls --name nomatch)" ""
echo "ok pin_ls_name"
# progress through the daemon
out=$(tty_run "'$TROVE_BIN' add --pin=false '$D/big.bin'")
grep -Eq "$bar_re" <<<"$out" || fail "progress: no bar for a daemon add: $out"
grep -q '5.72 MiB / 5.72 MiB' <<<"$out" || fail "progress: daemon add total: $out"
grep -q '^added ' <<<"$out" || fail "progress: daemon add: $out"
err=$("$TROVE_BIN" add --pin=false "$D/big.bin" 2>&1 >/dev/null)
[ -z "$err" ] || fail "progress: daemon add, piped stderr: $err"
out=$(tty_run "'$TROVE_BIN' add -Q --pin=false '$D/big.bin'")
grep -q ' / ' <<<"$out" && fail "progress: daemon add -Q drew a bar: $out"
echo "ok progress_tty (daemon)"
# shutdown
t shutdown || fail "shutdown"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$PID" 2>/dev/null && fail "the daemon is still running after shutdown"
wait "$PID" || true
PID=
[ -e "$TROVE_PATH/api" ] && fail "api file left behind"
expect_fail t shutdown          # nothing to stop now
echo "ok shutdown"
echo done
