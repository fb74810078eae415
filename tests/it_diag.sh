#!/bin/bash
# it_diag.sh — Kubo's `diag` and `log` commands on a running daemon:
#   healthy    "ok" and exit 0 with a daemon; exit 1 without one
#   cmds       the request log: a command with its args and options, a
#              running one Active with the zero EndTime, -v's columns;
#              clear drops ended ones, set-time keeps them, a bad duration
#              is refused
#   sys        Kubo's keys, the repo's disk and the node online
#   log ls     the one subsystem; log tail streams go-log JSON lines of
#              what is logged after it starts, to several tails at once,
#              and a tail that goes away leaves the daemon well
source "$(dirname "$0")/lib.sh"

t init >/dev/null
t config --json Addresses.Swarm '[]' >/dev/null
t config --json Bootstrap '[]' >/dev/null
expect_fail t diag healthy
start_daemon
checked_stop 10
A=http://127.0.0.1:$APORT/api/v0

eq "$(t diag healthy)" '"ok"' "diag healthy"
eq "$(curl -s -X POST "$A/diag/healthy")" '"ok"' "diag/healthy over the API"

# cmds: what ran, with its arguments and options
curl -s -X POST "$A/version?arg=one&arg=two%20three&foo=true&n=5" >/dev/null
j=$(curl -s -X POST "$A/diag/cmds")
echo "$j" | python3 -c '
import json, sys
log = json.load(sys.stdin)
v = [e for e in log if e["Command"] == "version" and e["Args"]]
assert v, log
e = v[-1]
assert e["Args"] == ["one", "two three"], e
assert e["Options"] == {"foo": True, "n": "5"}, e
assert e["Active"] is False and e["EndTime"] > e["StartTime"], e
me = log[-1]
assert me["Command"] == "diag/cmds" and me["Active"] is True, me
assert me["EndTime"] == "0001-01-01T00:00:00Z", me
ids = [e["ID"] for e in log]
assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
assert list(me) == ["StartTime", "EndTime", "Active", "Command", "Options",
                    "Args", "ID"], list(me)
' || fail "diag/cmds: $j"
out=$(t diag cmds)
eq "$(echo "$out" | head -1)" "Command       Active  StartTime        RunTime" "diag cmds' header"
grep -qE '^version +false +[A-Z][a-z]{2} [ 1-3][0-9] [0-9:]{8} +[0-9.]+(ns|µs|ms|s)$' <<<"$out" ||
  fail "diag cmds' version line: $out"
grep -qE '^diag/cmds +true ' <<<"$(tail -1 <<<"$out")" || fail "diag cmds' own line: $out"
out=$(t diag cmds -v)
grep -qE '^[0-9]+ +version +\[one two three\] +\[foo=true,n=5,\] +false ' <<<"$out" ||
  fail "diag cmds -v: $out"
# clear drops the ended ones; with a keep time they stay across cleanups
t diag cmds clear
eq "$(curl -s -X POST "$A/diag/cmds" | python3 -c 'import json,sys; print(" ".join(e["Command"] for e in json.load(sys.stdin)))')" \
  "diag/cmds/clear diag/cmds" "after clear only clear (running while it cleared) and diag/cmds"
t diag cmds set-time 1h
for _ in $(seq 12); do t version >/dev/null; curl -s -X POST "$A/version" >/dev/null; done
n=$(curl -s -X POST "$A/diag/cmds" | python3 -c 'import json,sys; print(sum(e["Command"]=="version" for e in json.load(sys.stdin)))')
eq "$n" 12 "set-time 1h keeps every ended command"
t diag cmds set-time 0s
for _ in $(seq 10); do curl -s -X POST "$A/version" >/dev/null; done
n=$(curl -s -X POST "$A/diag/cmds" | python3 -c 'import json,sys; print(sum(e["Command"]=="version" for e in json.load(sys.stdin)))')
[ "$n" -lt 12 ] || fail "with a keep time of 0 ended commands go at a cleanup (still $n)"
expect_fail t diag cmds set-time soon
ok "diag cmds"

# sys: Kubo's keys
t diag sys | python3 -c '
import json, sys
s = json.load(sys.stdin)
for k in ["diskinfo", "environment", "ipfs_commit", "ipfs_version", "memory",
          "net", "runtime"]:
    assert k in s, k
assert s["diskinfo"]["total_space"] >= s["diskinfo"]["free_space"] > 0, s
assert s["diskinfo"]["fstype"].isdigit(), s
assert s["net"]["online"] is True and "/ip4/127.0.0.1" in s["net"]["interface_addresses"], s
assert s["runtime"]["os"] == "linux" and s["runtime"]["numcpu"] >= 1, s
assert s["memory"]["virt"] > 0, s
' || fail "diag sys: $(t diag sys)"
ok "diag sys"

# log ls, log tail
eq "$(t log ls)" "trove" "log ls"
t log tail >"$WORK/tail1" 2>&1 &
T1=$!
curl -s -N -X POST "$A/log/tail" >"$WORK/tail2" &
T2=$!
for _ in $(seq 50); do
  [ "$(curl -s -X POST "$A/diag/cmds" | grep -o '"log/tail","Options":{},"Args":\[\],"ID":[0-9]*' | wc -l)" -ge 2 ] && break
  sleep 0.1
done
t log level all warn >/dev/null
t log level all info >/dev/null
for _ in $(seq 50); do
  [ "$(grep -c "Changed log level of '\*' to 'info'" "$WORK/tail1" "$WORK/tail2" | grep -c ':1')" = 2 ] && break
  sleep 0.1
done
for f in tail1 tail2; do
  grep "to 'info'" "$WORK/$f" | python3 -c '
import json, sys
o = json.loads(sys.stdin.readline())
assert list(o) == ["level", "ts", "logger", "msg"], o
assert o["level"] == "info" and o["logger"] == "trove", o
assert o["msg"] == "Changed log level of '"'*'"' to '"'info'"'", o
' || fail "log tail ($f): $(cat "$WORK/$f")"
  # at warn the info line of the change to warn was not logged
  ! grep -q "to 'warn'" "$WORK/$f" || fail "log tail ($f) has a line above the level"
done
kill $T1 $T2
wait $T1 $T2 2>/dev/null || true
# the tails are gone: the daemon logs on and answers
t log level all debug >/dev/null
t log level all info >/dev/null
eq "$(t diag healthy)" '"ok"' "healthy after the tails left"
ok "log ls, log tail"
