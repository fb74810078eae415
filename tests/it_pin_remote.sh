#!/bin/bash
# it_pin_remote.sh — `trove pin remote service add|ls|rm` and `trove pin
# remote add|ls|rm` against a Pinning Service API on loopback
# (tests/lib/psa_mock.py, in memory): Kubo's config shape for the service
# (checked against what Kubo's own `ipfs pin remote service add` writes,
# when Kubo is installed), Kubo's endpoint errors, service ls --stat, an
# add that waits for "pinned" and one in the background, ls filters, rm
# refusing several matches without --force, and a wrong key (401).
source "$(dirname "$0")/lib.sh"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$(dirname "$0")/lib/psa_mock.py" "$PORT" sekrit &
MOCK=$!
trap 'rc=$?; kill $MOCK 2>/dev/null; rm -rf "$WORK"; exit $rc' EXIT
for _ in $(seq 50); do curl -s "http://127.0.0.1:$PORT/pins" >/dev/null && break; sleep 0.1; done
t init >/dev/null
EP="http://127.0.0.1:$PORT"

# Services in the config, as Kubo writes them.
t pin remote service add mock "$EP//" sekrit
t pin remote service add bad "$EP" wrong
expect_fail t pin remote service add mock "$EP" sekrit
eq "$(t pin remote service add x "$EP/pins" k 2>&1)" \
  "trove: service endpoint should be provided without the /pins suffix"
expect_fail t pin remote service add x "ftp://h" k
eq "$(t config Pinning.RemoteServices.mock.API.Endpoint)" "$EP"
eq "$(t config Pinning.RemoteServices.mock.API.Key)" "sekrit"
if [ -x /root/go/bin/ipfs ]; then
  export IPFS_PATH=$WORK/kubo
  /root/go/bin/ipfs init --profile=test >/dev/null 2>&1
  /root/go/bin/ipfs pin remote service add mock "$EP" sekrit
  # (Kubo's `config` refuses to show credentials: read its file.)
  eq "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["Pinning"]["RemoteServices"]["mock"], sort_keys=True))' "$IPFS_PATH/config")" \
     "$(t config Pinning.RemoteServices.mock | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
     "(Kubo's service entry)"
fi
eq "$(t pin remote service ls)" "bad  $EP
mock $EP"

# add: waits for pinned; --background returns queued.
CID1=bafkqaaa
CID2=QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N
out=$(t pin remote add --service=mock --name=one $CID1)
eq "$out" "CID:    $CID1
Name:   one
Status: pinned"
out=$(t pin remote add --service=mock --name=two --background $CID2)
eq "$(echo "$out" | tail -1)" "Status: queued"
t pin remote add --service=mock --name=three --background $CID1 >/dev/null
eq "$(t pin remote service ls --stat)" "bad  $EP invalid
mock $EP 2/0/1/0"

# ls: pinned by default, filters by status, cid, name.
eq "$(t pin remote ls --service=mock)" "$CID1	pinned	one"
eq "$(t pin remote ls --service=mock --status=queued,pinned | wc -l)" 3
eq "$(t pin remote ls --service=mock --status=queued --cid=$CID2)" "$CID2	queued	two"
eq "$(t pin remote ls --service=mock --status=queued --name=three)" "$CID1	queued	three"
expect_fail t pin remote ls --service=mock --status=bogus
expect_fail t pin remote ls --service=nosuch
err=$(t pin remote ls --service=bad 2>&1) && fail "a wrong key listed"
case $err in *UNAUTHORIZED*) ;; *) fail "no UNAUTHORIZED in: $err" ;; esac

# rm: several matches need --force.
expect_fail t pin remote rm --service=mock --status=queued
t pin remote rm --service=mock --status=queued --force
eq "$(t pin remote ls --service=mock --status=queued,pinning,pinned,failed)" "$CID1	pinned	one"
t pin remote rm --service=mock --cid=$CID1
eq "$(t pin remote ls --service=mock --status=queued,pinning,pinned,failed)" ""

t pin remote service rm bad
eq "$(t pin remote service ls)" "mock $EP"
echo "ok it_pin_remote"
