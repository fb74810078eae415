#!/bin/bash
# gateway_verified.sh — trove's trustless gateway for verifying clients:
# @helia/verified-fetch, with trove's gateway as its only source and no
# other network, fetches files (one block, many blocks, in a subdirectory,
# inside a HAMT-sharded directory), directories and CARs from a daemon on a
# free loopback port and checks they verify and match the imported bytes;
# @ipld/car's CarReader checks ?format=car answers (root, every block
# hashing to its CID, scopes, dups).  See gateway_verified.mjs.
#
# Needs node and tests/interop/node_modules (make deps).  Bounded in time;
# the daemon is killed on exit.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need node
interop_need_modules @helia/verified-fetch

D=$WORK/data
mkdir -p "$D/sub" "$D/site" "$D/hamt" "$D/dups"
echo hello >"$D/a.txt"
head -c $((3 * 1048576 + 7)) /dev/urandom >"$D/big.bin"
echo 'deep file' >"$D/sub/deep.txt"
echo '<!doctype html><title>site</title><p>index page</p>' >"$D/site/index.html"
head -c 2000 /dev/urandom >"$D/dups/one"
cp "$D/dups/one" "$D/dups/two"
for i in $(seq 0 5999); do printf '%d\n' $i >"$D/hamt/$(printf 'f%05d.txt' $i)"; done
"$TROVE" init >/dev/null
ROOT=$("$TROVE" add -r -Q "$D")
HAMT=$("$TROVE" add -n -r -Q "$D/hamt")

interop_daemon
echo "gateway http://127.0.0.1:$GPORT, root $ROOT, HAMT $HAMT"
node gateway_verified.mjs "http://127.0.0.1:$GPORT" "$D" "$ROOT" "$HAMT"
