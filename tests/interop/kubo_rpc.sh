#!/bin/bash
# kubo_rpc.sh — kubo-rpc-client (npm, unchanged) against `trove daemon`:
# two daemons on free ports in temporary repos (stopped by the trap, always),
# the reference CIDs from `trove add -n` on the same files, then
# kubo_rpc.mjs drives the client and checks every answer (see its header).
# Needs node and tests/interop/node_modules (make deps).
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need node
interop_need_modules kubo-rpc-client ipfs-unixfs-importer

# start REPO: init and run a daemon on free ports; prints the API URL.
start() {
  TROVE_PATH=$1 t init >/dev/null
  TROVE_PATH=$1 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$1/api" ] && break; sleep 0.05; done
  [ -s "$1/api" ] || { echo "daemon did not start: $(cat "$1.log")" >&2; exit 1; }
}
start "$WORK/a"; start "$WORK/b"
api() { echo "http://127.0.0.1:$(sed 's|.*/tcp/||' "$1/api")/api/v0"; }

D=$WORK/data
mkdir -p "$D/tree/sub" "$D/tree/empty"
printf 'a' >"$D/tree/a.txt"
printf 'b\n' >"$D/tree/sub/b.txt"
head -c 3500000 /dev/urandom >"$D/tree/big.bin"
printf 'hello\n' >"$D/meta.txt"
chmod 0640 "$D/meta.txt"
touch -d @1700000000.000000005 "$D/meta.txt"

export TROVE_PATH=$WORK/a
q() { t add -n -Q "$@"; }
cat >"$WORK/expected.json" <<JSON
{
  "peerid": "$(t id | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')",
  "hello": "$(printf 'hello\n' | q)",
  "big": "$(q "$D/tree/big.bin")",
  "bigV0": "$(q --cid-version=0 --raw-leaves=false --chunker=size-262144 "$D/tree/big.bin")",
  "tree": "$(q -r "$D/tree")",
  "treeWrapped": "$(q -r -w "$D/tree")",
  "missing": "$(printf 'never added' | q)",
  "meta": "$(q --preserve-mode --preserve-mtime "$D/meta.txt")"
}
JSON
# b's Pinning Service API, for the client's pin.remote (a token of b's).
PSA_TOKEN=$(TROVE_PATH=$WORK/b t mirror token add js | tail -1)
export PSA_TOKEN
node kubo_rpc.mjs "$(api "$WORK/a")" "$(api "$WORK/b")" "$D" "$WORK/expected.json"
