#!/bin/bash
# import_cids.sh — the proof that `trove add` gives Kubo's CIDs: a seeded
# corpus (corpus.mjs: a 1 GiB + 1 MiB pseudo-random pool whose prefixes are
# the file cases, and directory trees) is imported by js
# ipfs-unixfs-importer with each profile's settings (cids.mjs) and by trove
# with the same profile and flags; every root CID must agree.
#
# Cases, for unixfs-v1-2025 and unixfs-v0-2015: sizes around every chunk
# and link boundary (0, 1, chunk-1, chunk, chunk+1, 174 x 256 KiB +-1,
# 1024 x 1 MiB +-1), the same tree logic at small scale (256-byte chunks, 4
# links, up to 4 levels), Kubo's flag overrides (--cid-version, --raw-leaves
# over a profile), nested trees with unicode names, symlinks, dot files
# with and without --hidden and empty directories, directories exactly at
# and one entry over the HAMT threshold of each profile, a HAMT holding
# subdirectories, one file alone and wrapped with -w.
#
# Needs node and tests/interop/node_modules (make deps).  The corpus lives
# in $TROVE_INTEROP_DIR (default /tmp/trove-interop-corpus) and is reused
# between runs: about 1.1 GiB of disk.
set -u
cd "$(dirname "$0")"
TROVE=${TROVE_BIN:-../../bin/trove}
DIR=${TROVE_INTEROP_DIR:-/tmp/trove-interop-corpus}
if [ ! -d node_modules/ipfs-unixfs-importer ]; then
  echo "node_modules missing: run 'make deps'" >&2
  exit 1
fi
node corpus.mjs "$DIR" || { echo "corpus generation failed" >&2; exit 1; }
js=$(mktemp /tmp/trove-interop-js.XXXXXX)
trap 'rm -f "$js"' EXIT
start=$(date +%s)
node cids.mjs "$DIR" >"$js" || { echo "js importer failed" >&2; exit 1; }
echo "js importer: $(wc -l <"$js") cases in $(( $(date +%s) - start ))s"

start=$(date +%s)
pass=0; fail=0
while IFS=$'\t' read -r id want kind arg args; do
  # shellcheck disable=SC2086 # args is a list of flags
  case $kind in
    stream) got=$(head -c "$arg" "$DIR/pool" | "$TROVE" add -n -Q $args) ;;
    tree)   got=$("$TROVE" add -n -Q -r $args "$arg") ;;
    file)   got=$("$TROVE" add -n -Q $args "$arg") ;;
  esac
  if [ "$got" = "$want" ]; then
    pass=$((pass+1))
  else
    fail=$((fail+1))
    echo "MISMATCH $id: trove ${got:-<error>} js $want"
  fi
done <"$js"
echo "trove: $pass agree, $fail differ ($(( $(date +%s) - start ))s)"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
