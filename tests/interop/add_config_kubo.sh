#!/bin/bash
# add_config_kubo.sh — the config's Import section as `add`'s defaults,
# beside Kubo v0.43.1, whose add reads Import.* for every setting it is
# not given: the same config (a profile applied on both, then keys set one
# by one on both) gives the same root CIDs for a file, a tree and a large
# directory, with trove's add offline, through trove's daemon (its CLI),
# and with Kubo's CLI against trove's API; options still override the
# config; `--profile` sets every value whatever the config says; a bad
# Import value is refused with its key named.  Skipped without Kubo.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
trove_p2p_init

D=$WORK/data
mkdir -p "$D/tree/sub" "$D/big"
head -c 3000000 /dev/urandom >"$D/file"
head -c 70000 /dev/urandom >"$D/tree/a"
echo hello >"$D/tree/sub/b"
for i in $(seq 300); do echo "$i" >"$D/big/entry-with-a-long-name-$i"; done

both() { # KEY JSON: set Import.KEY on both repos
  "$IPFS" config --json "Import.$1" "$2"
  "$TROVE" config --json "Import.$1" "$2" >/dev/null
}
# same LABEL [ADD OPTIONS...]: the three inputs add to the same roots.
same() {
  local label=$1 x k t
  shift
  for x in file tree big; do
    k=$("$IPFS" add -Q -r "$@" "$D/$x" 2>&1) || fail "$label: Kubo: $k"
    t=$("$TROVE" add -Q -r "$@" "$D/$x" 2>&1) || fail "$label: trove: $t"
    eq "$t" "$k" "$label: $x"
  done
}

"$IPFS" config profile apply unixfs-v0-2015 >/dev/null
"$TROVE" config profile apply unixfs-v0-2015 >/dev/null
same "unixfs-v0-2015"
V0=$("$TROVE" add -Q "$D/file")
[ "${V0#Qm}" != "$V0" ] || fail "the v0 profile's add gave $V0"
same "v0, --cid-version 1" --cid-version 1
same "v0, --raw-leaves" --raw-leaves
# CIDv1 turns raw leaves on when nothing chose them, even with
# Import.CidVersion=0: by the option, and by a hash other than sha2-256.
both UnixFSRawLeaves null
both CidVersion 0
same "CidVersion 0 in the config, --cid-version 1" --cid-version 1
both CidVersion null
same "no CidVersion, --hash blake3" --hash blake3
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null
"$TROVE" config profile apply unixfs-v1-2025 >/dev/null
same "unixfs-v1-2025"
both UnixFSChunker '"size-4096"'
both UnixFSFileMaxLinks 7
same "4 KiB chunks, 7 links"
both UnixFSDAGLayout '"trickle"'
same "trickle"
same "trickle, --trickle=false" --trickle=false
both UnixFSDAGLayout '"balanced"'
both HashFunction '"blake3"'
same "blake3"
both HashFunction '"sha2-256"'
both UnixFSHAMTDirectoryMaxFanout 16
both UnixFSHAMTDirectorySizeThreshold '"1KiB"'
same "HAMT fanout 16 over 1 KiB"
both UnixFSHAMTDirectorySizeEstimation '"links"'
same "HAMT by the links estimate"
both UnixFSDirectoryMaxLinks 5
same "directories of over 5 entries as HAMTs"
both UnixFSDirectoryMaxLinks null
both UnixFSHAMTDirectoryMaxFanout null
# (Kubo's add -n ignores these two; its stored add, compared here, does not)
same "--max-directory-links 5 --max-hamt-fanout 32" --max-directory-links 5 \
  --max-hamt-fanout 32
both UnixFSHAMTDirectoryMaxFanout 16
both UnixFSRawLeaves false
same "dag-pb leaves with CIDv1"
same "--chunker over the config" --chunker=size-1000
echo "ok - Import.* as add's defaults: Kubo's roots for 14 settings"

# --profile is every setting, the config's aside.
P=$("$TROVE" add -Q --profile unixfs-v1-2025 "$D/file")
TROVE_PATH=$WORK/clean "$TROVE" init >/dev/null
eq "$P" "$(TROVE_PATH=$WORK/clean "$TROVE" add -Q -n "$D/file")" "--profile over the config"

# --stdin-name: the name stdin's content is added under (alone and in -w).
KS=$(printf 'stdin bytes' | "$IPFS" add --stdin-name named.txt)
KW=$(printf 'stdin bytes' | "$IPFS" add -w --stdin-name named.txt)
eq "$(printf 'stdin bytes' | "$TROVE" add --stdin-name named.txt)" "$KS" \
  "add --stdin-name"
eq "$(printf 'stdin bytes' | "$TROVE" add -w --stdin-name named.txt)" "$KW" \
  "add -w --stdin-name"

# Through the daemon: its CLI and Kubo's CLI against its API.
K=$("$IPFS" add -Q -r "$D/tree")
interop_daemon
eq "$("$TROVE" add -Q -r "$D/tree")" "$K" "trove add through the daemon"
eq "$("$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" add -Q -r "$D/tree")" "$K" \
  "Kubo's CLI against trove's API"
eq "$(printf 'stdin bytes' | "$TROVE" add -w --stdin-name named.txt)" "$KW" \
  "add -w --stdin-name through the daemon"
eq "$(printf 'stdin bytes' | "$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" add \
  --stdin-name named.txt)" "$KS" "Kubo's add --stdin-name against trove's API"
out=$("$TROVE" add -Q --max-hamt-fanout 100 "$D/file" 2>&1) && fail "fanout 100 taken"
grep -q "HAMT fanout must be a power of 2, between 8 and 1024 (got 100)" \
  <<<"$out" || fail "fanout 100 said: $out"
"$TROVE" config --json Import.CidVersion 7 >/dev/null
out=$("$TROVE" add -Q "$D/file" 2>&1) && fail "Import.CidVersion 7 taken: $out"
case $out in *Import.CidVersion*) ;; *) fail "the refusal names no key: $out" ;; esac
out=$(curl -s -X POST -F "file=@$D/tree/a" "http://127.0.0.1:$APORT/api/v0/add")
case $out in *Import.CidVersion*) ;; *) fail "the API's refusal: $out" ;; esac
echo "ok - the daemon's add reads Import.* too, and names a bad key"
