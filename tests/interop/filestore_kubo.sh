#!/bin/bash
# filestore_kubo.sh — Kubo's filestore (add --nocopy, filestore
# ls|verify|dups) beside Kubo v0.43.1, on the scenario of its sharness
# tests t0270-filestore.sh and t0271-filestore-utils.sh.  Kubo runs it
# first, offline, and its outputs are the reference; then trove offline,
# trove's CLI through trove's daemon, and Kubo's CLI against trove's API
# each run it on a repo of their own over a fresh copy of the dataset, and
# every step's stdout (and exit status where it matters) must be the
# same byte for byte:
#   the refusals while the filestore is off (add --nocopy, filestore ls)
#   and with the urlstore alone; the nocopy root; ls in key order and
#   --file-order, ls CID, ls with a bad argument; verify in both orders
#   and with arguments (not a CID, missing); --cid-base; cat of a
#   multi-block file; a file moved (cat fails, verify says no-file) and
#   back; its first KiB zeroed (cat fails, changed); verify
#   --remove-bad-blocks and verify after; dups after a normal add; a path
#   outside the root refused with Kubo's message; pin rm and repo gc
#   taking the references.  The repo does not grow by the files' size.
# Last, both daemons answer /api/v0/filestore/* with the same bytes.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
cd "$WORK"
set -f # CIDs, paths and options only: no globs anywhere

# The dataset, in the root of every repo ($WORK, the repos' parent):
# t0271's three files (deterministic bytes) and a small tree as t0270's.
gen() { # PATH SIZE SEED
  python3 -c 'import random, sys
open(sys.argv[1], "wb").write(random.Random(int(sys.argv[3])).randbytes(int(sys.argv[2])))' "$@"
}
dataset() {
  rm -rf somedir
  mkdir -p somedir/tree/a/x somedir/tree/b
  gen somedir/file1 1000 1
  gen somedir/file2 10000 2
  gen somedir/file3 1000000 3
  gen somedir/tree/a/x/f1 300000 11
  gen somedir/tree/a/f2 70000 12
  gen somedir/tree/b/f3 5 13
  gen somedir/tree/b/f4 262144 14
}
OUTSIDE=/etc/passwd # a file outside the root, only read
P=(--cid-version=1 --raw-leaves --chunker=size-262144)

# Keys of the dataset, from Kubo: file1's block; file3's root; a CID that
# is nowhere.
dataset
export IPFS_PATH=$WORK/kubo
kubo_init
FILE1=$("$IPFS" add -n -Q "${P[@]}" somedir/file1)
FILE3=$("$IPFS" add -n -Q "${P[@]}" somedir/file3)
NONE=bafkreihed5ipyj3uenaem5zroilgdrhp4lvs7c2r6ldgcd7is66xj6izmi

# rec NAME CMD...: CMD's stdout and exit status into $OUT/NAME.
rec() {
  local name=$1 rc=0; shift
  "$@" >"$OUT/$name" 2>"$OUT/$name.err" || rc=$?
  echo "rc=$rc" >>"$OUT/$name"
}
# has NAME TEXT: NAME's stderr holds TEXT (a line "has TEXT" is recorded,
# so that the comparison sees it).
has() {
  local err
  err=$(cat "$OUT/$1.err")
  if grep -qF -- "$2" <<<"$err"; then echo "has $2" >>"$OUT/$1"; fi
}
# fails NAME CMD...: rec, of a command that must fail: its exit status
# alone (Kubo's add writes an empty line before its error).
fails() {
  local name=$1 rc=0; shift
  "$@" >/dev/null 2>"$OUT/$name.err" || rc=$?
  echo "rc=$rc" >"$OUT/$name"
}
size_kb() { du -sk "$1" | cut -f1; }

# off: the refusals while the filestore is off.  C is the command array.
off() {
  fails off-add "${C[@]}" add --nocopy -r -Q somedir
  has off-add "either the filestore or the urlstore must be enabled"
  rec off-ls "${C[@]}" filestore ls
  has off-ls "filestore is not enabled"
  rec off-verify "${C[@]}" filestore verify
  has off-verify "filestore is not enabled"
  rec off-dups "${C[@]}" filestore dups
  has off-dups "filestore is not enabled"
}
# urlstore: Experimental.UrlstoreEnabled alone (set by the caller).
urlstore() {
  fails url-add "${C[@]}" add --nocopy -r -Q somedir
  has url-add "filestore is not enabled"
  rec url-ls "${C[@]}" filestore ls
}

# scenario REPO: t0271's steps (and t0270's size checks) with C.
scenario() {
  local repo=$1 before after root
  before=$(size_kb "$repo")
  rec add "${C[@]}" add --nocopy -r -Q "${P[@]}" somedir
  root=$(head -1 "$OUT/add")
  after=$(size_kb "$repo")
  # 1.6 MB of files: a copy would show.
  if [ $((after - before)) -lt 800 ]; then echo small >"$OUT/growth"; else
    echo "grew by $((after - before)) KiB" >"$OUT/growth"; fi
  rec ls "${C[@]}" filestore ls
  rec ls-fo "${C[@]}" filestore ls --file-order
  rec ls-cid "${C[@]}" filestore ls "$FILE1"
  rec ls-bad "${C[@]}" filestore ls foo "$FILE1" "$NONE"
  has ls-bad 'foo: invalid path "foo": path does not have enough components'
  has ls-bad "ipld: could not find $NONE"
  rec verify "${C[@]}" filestore verify
  rec verify-fo "${C[@]}" filestore verify --file-order
  rec verify-args "${C[@]}" filestore verify foo "$NONE" "$FILE1"
  rec ls-b58 "${C[@]}" filestore ls --file-order --cid-base=base58btc
  rec verify-b58 "${C[@]}" filestore verify --cid-base=base58btc "$FILE1" "$NONE"
  rec cat3 "${C[@]}" cat --offline "$FILE3"
  cmp -s "$OUT/cat3" <(cat somedir/file3; echo rc=0) && echo same >"$OUT/cat3"

  mv somedir/file1 somedir/file1.bk
  rec moved-cat "${C[@]}" cat --offline "$FILE1"
  sed -i 's/^rc=[1-9][0-9]*$/rc=fails/' "$OUT/moved-cat"
  rec moved-verify "${C[@]}" filestore verify
  mv somedir/file1.bk somedir/file1
  rec back-cat "${C[@]}" cat --offline "$FILE1"
  rec back-verify "${C[@]}" filestore verify --file-order

  dd if=/dev/zero of=somedir/file3 bs=1024 count=1 conv=notrunc 2>/dev/null
  rec changed-cat "${C[@]}" cat --offline "$FILE3"
  sed -i 's/^rc=[1-9][0-9]*$/rc=fails/' "$OUT/changed-cat"
  rec changed-verify "${C[@]}" filestore verify
  rec remove "${C[@]}" filestore verify --remove-bad-blocks
  rec after-remove "${C[@]}" filestore verify
  rec after-remove-fo "${C[@]}" filestore verify --file-order

  gen somedir/file3 1000000 3
  rec readd "${C[@]}" add --nocopy -r -Q "${P[@]}" somedir
  rec readd-verify "${C[@]}" filestore verify --file-order
  # t0270: a plain add with --fscache stores nothing the references cover.
  before=$(size_kb "$repo")
  rec fscache "${C[@]}" add --fscache -r -Q "${P[@]}" somedir
  after=$(size_kb "$repo")
  if [ $((after - before)) -lt 800 ]; then echo small >"$OUT/fscache-growth"
  else echo "grew by $((after - before)) KiB" >"$OUT/fscache-growth"; fi
  rec dups-none "${C[@]}" filestore dups
  rec add-copy "${C[@]}" add -Q "${P[@]}" somedir/file1
  rec dups "${C[@]}" filestore dups
  rec dups-b58 "${C[@]}" filestore dups --cid-base=base58btc

  fails outside "${C[@]}" add --nocopy -Q "${P[@]}" "$OUTSIDE"
  has outside "cannot add filestore references outside ipfs root ($WORK)"

  rec pin-rm "${C[@]}" pin rm "$root"
  "${C[@]}" repo gc >/dev/null 2>&1 || echo "repo gc failed" >>"$OUT/pin-rm"
  rec after-gc "${C[@]}" filestore ls
  rec after-gc-verify "${C[@]}" filestore verify
}

# same DIR WHAT: DIR's records as the reference's.
same() {
  local f
  for f in $(ls "$1"); do # a sanitizer build's reports go to stderr
    case $f in *.err) ! grep -qE 'Sanitizer|runtime error' "$1/$f" ||
      { cat "$1/$f"; fail "sanitizer report: $f ($2)"; } ;; esac
  done
  for f in $(ls "$REF"); do # (set -f: no globs)
    case $f in *.err) continue ;; esac
    cmp -s "$REF/$f" "$1/$f" || {
      echo "--- $f: Kubo"; cat "$REF/$f"; echo "--- $f: $2"; cat "$1/$f"
      echo "--- stderr"; cat "$1/$f.err"
      fail "$f differs ($2)"
    }
  done
}

# copy_ref PREFIX...: the reference's records of steps not run here.
copy_ref() {
  local f p
  for f in $(ls "$REF"); do
    for p in "$@"; do
      case $f in "$p"*) cp "$REF/$f" "$OUT/" ;; esac
    done
  done
}

# ---------------------------------------------------------------- Kubo
REF=$WORK/out-kubo; OUT=$REF; mkdir -p "$OUT"
C=("$IPFS")
off
"$IPFS" config --json Experimental.UrlstoreEnabled true
urlstore
"$IPFS" config --json Experimental.FilestoreEnabled true
scenario "$IPFS_PATH"
grep -q "^has " "$REF/off-add" || fail "Kubo's refusal: $(cat "$REF/off-add.err")"
[ "$(cat "$REF/growth")" = small ] || fail "Kubo's repo $(cat "$REF/growth")"
[ "$(cat "$REF/fscache-growth")" = small ] ||
  fail "Kubo's repo after --fscache $(cat "$REF/fscache-growth")"
grep -qF "has cannot add" "$REF/outside" || fail "Kubo's outside: $(cat "$REF/outside.err")"
# The reference says what the scenario is about (a vacuous one would pass).
for want in "moved-verify:no-file " "changed-verify:changed " "remove: remove" \
  "dups:$FILE1" "cat3:same" "moved-cat:rc=fails" "ls-bad:has ipld: could not find"; do
  out=$(cat "$REF/${want%%:*}")
  grep -qF -- "${want#*:}" <<<"$out" || fail "Kubo's ${want%%:*}: $out"
done
ok "Kubo's reference recorded ($(wc -l <"$REF/ls") references)"

# ------------------------------------------------------- trove offline
export TROVE_PATH=$WORK/trove
trove_p2p_init
dataset
OUT=$WORK/out-trove; mkdir -p "$OUT"
C=("$TROVE")
off
"$TROVE" config --json Experimental.UrlstoreEnabled true >/dev/null
urlstore
"$TROVE" config --json Experimental.FilestoreEnabled true >/dev/null
scenario "$TROVE_PATH"
same "$OUT" "trove offline"
ok "trove offline: every step as Kubo's"

# ----------------------------------------- trove's CLI through its daemon
export TROVE_PATH=$WORK/trove-d
trove_p2p_init
dataset
OUT=$WORK/out-trove-d; mkdir -p "$OUT"
C=("$TROVE")
interop_daemon
off
interop_daemon_stop
"$TROVE" config --json Experimental.UrlstoreEnabled true >/dev/null
"$TROVE" config --json Experimental.FilestoreEnabled true >/dev/null
interop_daemon
scenario "$TROVE_PATH"
copy_ref url- # not run through a daemon
same "$OUT" "trove's CLI through its daemon"
interop_daemon_stop
ok "trove's CLI through trove's daemon: every step as Kubo's"

# ------------------------------------------- Kubo's CLI into trove's API
export TROVE_PATH=$WORK/trove-k
trove_p2p_init
dataset
OUT=$WORK/out-kubo-cli; mkdir -p "$OUT"
"$TROVE" config --json Experimental.UrlstoreEnabled true >/dev/null
"$TROVE" config --json Experimental.FilestoreEnabled true >/dev/null
interop_daemon
C=("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT")
scenario "$TROVE_PATH"
copy_ref off- url-
same "$OUT" "Kubo's CLI against trove's API"
ok "Kubo's CLI against trove's API: every step as against Kubo"

# ------------------------------------------------- the API's bytes
# Both repos as the offline scenarios left them, the files added again.
dataset
"$TROVE" add --nocopy -r -Q "${P[@]}" somedir >/dev/null
interop_daemon_stop
export TROVE_PATH=$WORK/trove
"$IPFS" add --nocopy -r -Q "${P[@]}" somedir >/dev/null
"$TROVE" add --nocopy -r -Q "${P[@]}" somedir >/dev/null
interop_daemon
kubo_daemon
KAPI=$("$IPFS" config Addresses.API | sed 's#/ip4/\([^/]*\)/tcp/\([0-9]*\)#\1:\2#')
for q in "filestore/ls" "filestore/ls?file-order=true" \
  "filestore/ls?arg=foo&arg=$FILE1&arg=$NONE" \
  "filestore/verify?file-order=true" \
  "filestore/verify?arg=$NONE&arg=$FILE1&remove-bad-blocks=true" \
  "filestore/dups" "filestore/dups?cid-base=base58btc"; do
  k=$(curl -sS -X POST "http://$KAPI/api/v0/$q")
  t=$(curl -sS -X POST "http://127.0.0.1:$APORT/api/v0/$q")
  eq "$t" "$k" "/api/v0/$q"
done
ok "/api/v0/filestore/* answer Kubo's bytes"
