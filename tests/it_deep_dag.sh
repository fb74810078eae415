#!/bin/bash
# it_deep_dag.sh — regression: DAGs deeper than 4,096 levels failed pin,
# export and refs with "input too large", and files nested deeper than 64
# levels could not be read, while Kubo handles both.  A UnixFS file 5,000
# levels deep (it_deep_dag.py) is imported, pinned, listed by refs, exported
# and read back, kept by GC, and served by the gateway.
source "$(dirname "$0")/lib.sh"
D=5000
root=$(python3 "$(dirname "$0")/it_deep_dag.py" $D "$WORK/deep.car")
t init >/dev/null
t dag import "$WORK/deep.car" >/dev/null || fail "dag import"
t pin add "$root" >/dev/null || fail "pin add of a $D-deep DAG"
n=$(t refs -r "$root" | wc -l)
eq "$n" "$D" "refs -r"
n=$(t refs -r -u "$root" | wc -l)
eq "$n" "$D" "refs -r -u"
eq "$(t cat "$root")" "x" "cat"
t dag export "$root" > "$WORK/out.car" || fail "dag export"
cmp -s "$WORK/deep.car" "$WORK/out.car" || fail "export differs from the import"
t repo gc >/dev/null || fail "gc"
t pin verify >/dev/null || fail "pin verify after gc"
eq "$(t cat "$root")" "x" "cat after gc"
# Through the daemon: the gateway reads it, the API lists it.
start_daemon
rc=1
trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null || true; rm -rf "$WORK"; exit $rc' EXIT
eq "$(curl -s --max-time 30 "http://127.0.0.1:$GPORT/ipfs/$root")" "x" "gateway"
n=$(curl -s --max-time 30 -X POST "http://127.0.0.1:$APORT/api/v0/refs?arg=$root&recursive=true" | grep -c Ref)
eq "$n" "$D" "API refs"
echo ok
rc=0
