#!/bin/bash
# it_pin_remote.sh — `trove pin remote service add|ls|rm` and `trove pin
# remote add|ls|rm` against a real trove daemon's Pinning Service API on
# loopback (token from `trove mirror token add`): Kubo's config shape for
# the service (checked against what Kubo's own `ipfs pin remote service
# add` writes, when Kubo is installed), Kubo's endpoint errors, service ls
# --stat, an add that waits for "pinned" and one in the background, ls
# filters, rm refusing several matches without --force, and a wrong key
# (401).  The client runs first on its own (no daemon), then through its
# own daemon's /api/v0/pin/remote/..., which answers the same.
source "$(dirname "$0")/lib.sh"
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if grep -q -E 'Sanitizer|runtime error' "$WORK"/*.log 2>/dev/null; then
    cat "$WORK"/*.log; rc=1
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
# daemon_on REPO LOG: a daemon without peers on free ports; its API port.
daemon_on() {
  TROVE_PATH=$1 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$2" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q "Daemon is ready" "$2" && break; sleep 0.1; done
  grep -q "Daemon is ready" "$2" || fail "daemon did not start: $(cat "$2")"
}

# The service: a trove daemon whose pins of CIDs nobody has stay pinning.
export TROVE_PATH=$WORK/srv
t init >/dev/null
TOK=$(t mirror token add client 2>/dev/null)
t config --json Bootstrap '[]' >/dev/null
t config Mirror.FetchTimeout 10m >/dev/null
daemon_on "$WORK/srv" "$WORK/srv.log"
EP="http://127.0.0.1:$(sed 's|.*/tcp/||' "$WORK/srv/api")"

export TROVE_PATH=$WORK/cli
t init >/dev/null
t config --json Bootstrap '[]' >/dev/null

# Services in the config, as Kubo writes them (no daemon: run here).
t pin remote service add mock "$EP//" "$TOK"
t pin remote service add bad "$EP" wrong
expect_fail t pin remote service add mock "$EP" "$TOK"
eq "$(t pin remote service add x "$EP/pins" k 2>&1)" \
  "trove: service endpoint should be provided without the /pins suffix"
expect_fail t pin remote service add x "ftp://h" k
eq "$(t config Pinning.RemoteServices.mock.API.Endpoint)" "$EP"
eq "$(t config Pinning.RemoteServices.mock.API.Key)" "$TOK"
if [ -x /root/go/bin/ipfs ]; then
  export IPFS_PATH=$WORK/kubo
  /root/go/bin/ipfs init --profile=test >/dev/null 2>&1
  /root/go/bin/ipfs pin remote service add mock "$EP" "$TOK"
  # (Kubo's `config` refuses to show credentials: read its file.)
  eq "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["Pinning"]["RemoteServices"]["mock"], sort_keys=True))' "$IPFS_PATH/config")" \
     "$(t config Pinning.RemoteServices.mock | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
     "(Kubo's service entry)"
fi
eq "$(t pin remote service ls)" "bad  $EP
mock $EP"
eq "$(t pin remote service ls --stat)" "bad  $EP invalid
mock $EP 0/0/0/0"

# add: waits for pinned; --background returns queued.
CID1=bafkqaaa
CID2=QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N
out=$(t pin remote add --service=mock --name=one $CID1)
eq "$out" "CID:    $CID1
Name:   one
Status: pinned"
eq "$(t pin remote ls --service=mock)" "$CID1	pinned	one"
eq "$(TROVE_LOG=debug t pin remote ls --service=mock 2>&1 >/dev/null | grep -c "through the daemon's API")" 0 \
  "(no daemon: run here)"

# From here through the client's daemon.
daemon_on "$WORK/cli" "$WORK/cli.log"
out=$(t pin remote add --service=mock --name=two --background $CID2)
eq "$(echo "$out" | tail -1)" "Status: queued"
eq "$(TROVE_LOG=debug t pin remote ls --service=mock 2>&1 >/dev/null | grep -c "through the daemon's API")" 1 \
  "(pin remote ls went through the daemon)"
t pin remote add --service=mock --name=three $CID1 >/dev/null
# two stays pinning (nobody has it), one and three are pinned.
for _ in $(seq 50); do
  st=$(t pin remote service ls --stat | grep '^mock')
  [ "$st" = "mock $EP 0/1/2/0" ] && break; sleep 0.1
done
eq "$(t pin remote service ls --stat)" "bad  $EP invalid
mock $EP 0/1/2/0"
curl -sf -X POST "http://127.0.0.1:$(sed 's|.*/tcp/||' "$WORK/cli/api")/api/v0/pin/remote/service/ls?stat=true" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin)["RemoteServices"]; assert [s["Service"] for s in d]==["bad","mock"]; assert d[0]["Stat"]=={"Status":"invalid"}; assert d[1]["Stat"]["PinCount"]=={"Queued":0,"Pinning":1,"Pinned":2,"Failed":0}, d' \
  || fail "service ls JSON"

# ls: pinned by default, filters by status, cid, name.
eq "$(t pin remote ls --service=mock --name=one)" "$CID1	pinned	one"
eq "$(t pin remote ls --service=mock | wc -l)" 2
eq "$(t pin remote ls --service=mock --status=pinning,pinned | wc -l)" 3
eq "$(t pin remote ls --service=mock --status=pinning --cid=$CID2)" "$CID2	pinning	two"
eq "$(t pin remote ls --service=mock --status=pinned --name=three)" "$CID1	pinned	three"
expect_fail t pin remote ls --service=mock --status=bogus
expect_fail t pin remote ls --service=nosuch
err=$(t pin remote ls --service=bad 2>&1) && fail "a wrong key listed"
case $err in *UNAUTHORIZED*) ;; *) fail "no UNAUTHORIZED in: $err" ;; esac

# rm: several matches need --force.
expect_fail t pin remote rm --service=mock --cid=$CID1
eq "$(t pin remote ls --service=mock | wc -l)" 2 "(nothing removed)"
t pin remote rm --service=mock --name=three
t pin remote rm --service=mock --status=queued,pinning --force
eq "$(t pin remote ls --service=mock --status=queued,pinning,pinned,failed)" "$CID1	pinned	one"
t pin remote rm --service=mock --cid=$CID1
eq "$(t pin remote ls --service=mock --status=queued,pinning,pinned,failed)" ""

t pin remote service rm bad
eq "$(t pin remote service ls)" "mock $EP"
eq "$(t config Pinning.RemoteServices.bad 2>/dev/null)" ""
echo "ok it_pin_remote"
