#!/bin/bash
# ls_kubo.sh — `ls`, `refs`, `cat` and `pin ls` beside Kubo v0.43.1
# (core/commands/ls.go, refs.go, cat.go, pin/pin.go).  ls: the same
# text for every combination of up to two of -v, --resolve-type=false,
# --size=false, -s/--stream, -l/--long, -H/--human and -S/--sort-size
# (and five of three),
# over a tree (a file, a symlink, an empty directory, a subdirectory, a
# chunked file), a HAMT directory (Kubo sorts it by name unless it
# streams; streamed, its order is Kubo's traversal, which varies from run
# to run, so the lines are compared as a set), a file's own links, and
# several paths at once with an empty directory among them (a streamed
# listing gives an empty one no heading).  Offline, then through trove's
# daemon with trove's CLI and with Kubo's CLI on trove's API (which
# formats the API's JSON: stream=true's value a link, sort-size).  The
# refusals of --sort-size with --stream or --size=false are Kubo's words.
# refs: combinations of -r, -u, -e, --format and --max-depth (see below),
# offline and by Kubo's CLI on trove's API.  cat: offsets and lengths
# over several paths (below), the bytes and the exit status, offline,
# through the daemon and by Kubo's CLI on trove's API.  pin ls: types,
# -q, --names, --stream and --name over paths (below), offline and by
# Kubo's CLI on trove's API (not two paths whose answers Kubo pairs with
# the wrong CIDs, a Kubo bug: `pin ls A/d/b B`).  Skipped without Kubo.
INTEROP_TIMEOUT=400
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
trove_p2p_init

D=$WORK/data
mkdir -p "$D/t/d1/d2" "$D/t/empty" "$D/h"
head -c 20000 /dev/urandom >"$D/t/d1/f"
head -c 700000 /dev/urandom >"$D/t/d1/d2/g"
printf 'yy' >"$D/t/top"
ln -s d1/f "$D/t/link"
for i in $(seq 300); do printf '%s' "$i" >"$D/h/entry-with-a-long-name-$i"; done
for r in "$IPFS" "$TROVE"; do
  "$r" config profile apply unixfs-v1-2025 >/dev/null
  "$r" config --json Import.UnixFSHAMTDirectorySizeThreshold '"1KiB"' >/dev/null
done
R=$("$IPFS" add -Q -r "$D/t")
H=$("$IPFS" add -Q -r "$D/h")
E=$("$IPFS" add -Q -r "$D/t/empty")
eq "$("$TROVE" add -Q -r "$D/t")" "$R" "the tree's root"
eq "$("$TROVE" add -Q -r "$D/h")" "$H" "the HAMT's root"
eq "$("$TROVE" add -Q -r "$D/t/empty")" "$E" "the empty directory"

# The option sets: every combination of up to two flags, and some of
# three.
mapfile -t SETS < <(python3 -c '
import itertools
f = ["-v", "--resolve-type=false", "--size=false", "-s", "-l", "-H", "-S"]
for r in range(3):
    for c in itertools.combinations(f, r):
        print(" ".join(c))
print("-v -l -H\n-v -s -l\n-l -H -S\n-v --size=false -l\n-s -H -l")')
declare -A KUBO=() # Kubo's text for a set and a path, made once
PATHS=("$R" "$R/d1" "$R/d1/d2/g" "$H" "$R $R/d1" "$R $E $R/d1" "$E")

# compare LABEL CMD...: each set over each path gives Kubo's offline text.
compare() {
  local label=$1 n=0 a x k t
  shift
  for a in "${SETS[@]}"; do
    for x in "${PATHS[@]}"; do
      # shellcheck disable=SC2086 # the sets and path lists are words
      if [ -z "${KUBO["$a|$x"]+set}" ]; then
        KUBO["$a|$x"]=$("$IPFS" ls $a $x 2>&1 | sed 's/^Error: //') || true
      fi
      k=${KUBO["$a|$x"]}
      # shellcheck disable=SC2086
      # (Kubo's CLI adds its usage hint to a daemon's 400, as it would to
      # Kubo's own daemon's)
      t=$("$@" ls $a $x 2>&1 | sed 's/^trove: ls: //; s/^Error: //' |
        grep -v "^Use 'ipfs ls --help'") || true
      if [ "$x" = "$H" ] && [[ " $a " == *" -s "* ]]; then
        k=$(sort <<<"$k") t=$(sort <<<"$t")
      fi
      [ "$t" = "$k" ] || fail "$label: ls $a $x:
$(diff <(echo "$k") <(echo "$t") | head -8)"
      n=$((n + 1))
    done
  done
  echo "ok - $label: $n listings as Kubo's"
}

# refs: -r, -u, -e, --format and --max-depth (ignored without -r; with
# -u a block met again higher up is walked again, not listed again), over
# one path and two that share blocks, in both orders.
mapfile -t RSETS < <(python3 -c '
import itertools
f = ["-r", "-u", "-e", "--format=<src>:<dst>:<linkname>", "--max-depth=0",
     "--max-depth=1", "--max-depth=2", "-e --format=<dst>"]
for r in range(4):
    for c in itertools.combinations(f, r):
        if (sum("--format" in x for x in c) > 1 or sum("depth" in x for x in c) > 1
                or sum(x.startswith("-e") for x in c) > 1):
            continue
        print(" ".join(c))')
RPATHS=("$R" "$R $R/d1" "$R/d1 $R" "$H")
compare_refs() {
  local label=$1 n=0 a x k t
  shift
  for a in "${RSETS[@]}"; do
    for x in "${RPATHS[@]}"; do
      if [ -z "${KUBO["refs $a|$x"]+set}" ]; then
        # shellcheck disable=SC2086
        KUBO["refs $a|$x"]=$("$IPFS" refs $a $x 2>&1 | sed 's/^Error: //') || true
      fi
      k=${KUBO["refs $a|$x"]}
      # shellcheck disable=SC2086
      t=$("$@" refs $a $x 2>&1 | sed 's/^trove: refs: //; s/^Error: //') || true
      [ "$t" = "$k" ] || fail "$label: refs $a $x:
$(diff <(echo "$k") <(echo "$t") | head -8)"
      n=$((n + 1))
    done
  done
  echo "ok - $label: $n refs listings as Kubo's"
}

# cat: the offset skips into the concatenation of the paths, the length
# caps all of it, a symlink's bytes are its target, a directory among the
# paths fails before any byte, length 0 reads (and looks up) nothing.
compare_cat() {
  local label=$1 n=0 o l x k t
  shift
  for o in "" -o=1 -o=3 -o=700001; do
    for l in "" -l=0 -l=2 -l=262145; do
      for x in "$R/d1/d2/g" "$R/top $R/top $R/top" "$R/link $R/top" \
        "$R/top $R/d1/d2/g" "$R/top $R/d1" "$R/top bafkqaaa $R/link"; do
        if [ -z "${KUBO["cat $o $l|$x"]+set}" ]; then
          # shellcheck disable=SC2086
          KUBO["cat $o $l|$x"]=$("$IPFS" cat $o $l $x 2>/dev/null | md5sum
            echo "${PIPESTATUS[0]}")
        fi
        k=${KUBO["cat $o $l|$x"]}
        # shellcheck disable=SC2086
        t=$("$@" cat $o $l $x 2>/dev/null | md5sum; echo "${PIPESTATUS[0]}")
        eq "$t" "$k" "$label: cat $o $l $x"
        n=$((n + 1))
      done
    done
  done
  echo "ok - $label: $n cats as Kubo's (bytes and exit status)"
}

# pin ls: every pin, or the given paths (each resolved to the CID at its
# end, all found pinned before a line is printed, except with --stream;
# --name filters only a listing of every pin).  (Kubo's init pins the
# empty directory; trove's does not.)
"$IPFS" pin rm QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn >/dev/null
head -c 3000000 /dev/urandom >"$D/big"
for r in "$IPFS" "$TROVE"; do
  B=$("$r" add -Q --pin=false "$D/big")
  "$r" pin add --name=bigpin "$B" >/dev/null
  "$r" pin add -r=false "$R/top" >/dev/null
done
mapfile -t PSETS < <(python3 -c '
import itertools
f = ["--type=all", "--type=direct", "--type=indirect", "--type=recursive",
     "-q", "--names", "-s", "--name=bigpin"]
for r in range(3):
    for c in itertools.combinations(f, r):
        if sum(x.startswith("--type") for x in c) <= 1:
            print(" ".join(c))')
PPATHS=("" "$R" "$B" "$R/top" "$R/d1" "$R $R/top" "/ipfs/$R/d1/f" "$B $R/d1")
compare_pins() {
  local label=$1 n=0 a x k t
  shift
  for a in "${PSETS[@]}"; do
    for x in "${PPATHS[@]}"; do
      # shellcheck disable=SC2086
      k=$("$IPFS" pin ls $a $x 2>&1 | sed 's/^Error: //' | sort) || true
      # shellcheck disable=SC2086
      t=$("$@" pin ls $a $x 2>&1 | sed 's/^trove: pin ls: //; s/^Error: //' |
        sort) || true
      [ "$t" = "$k" ] || fail "$label: pin ls $a $x:
$(diff <(echo "$k") <(echo "$t") | head -8)"
      n=$((n + 1))
    done
  done
  echo "ok - $label: $n pin listings as Kubo's"
}

compare "trove ls offline" "$TROVE"
compare_cat "trove cat offline" "$TROVE"
compare_pins "trove pin ls offline" "$TROVE"
compare_refs "trove refs offline" "$TROVE"
interop_daemon
compare "trove ls through its daemon" "$TROVE"
compare "Kubo's CLI on trove's API" "$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT"
compare_refs "Kubo's CLI on trove's API" "$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT"
compare_cat "trove cat through its daemon" "$TROVE"
compare_cat "Kubo's CLI on trove's API" "$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT"
compare_pins "Kubo's CLI on trove's API" "$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT"
# A path that names nothing: Kubo's words, the segment and the node it was
# looked for in, from every command that resolves one.
for c in cat ls refs "refs -r" "pin ls" "dag export" "block stat" "block rm" \
  "pin add" "pin rm" "get -o $WORK/got"; do
  # shellcheck disable=SC2086
  k=$("$IPFS" $c "$R/d1/nope" 2>&1 | head -n 1) || true
  # shellcheck disable=SC2086
  t=$("$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" $c "$R/d1/nope" 2>&1 |
    head -n 1) || true
  eq "$t" "$k" "$c of a path naming nothing"
done
echo "ok - a path naming nothing: Kubo's message from 11 commands"
out=$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/ls?arg=$R&stream=true")
eq "$(wc -l <<<"$out")" 4 "stream=true: a value a link"
code=$(curl -s -o "$WORK/err" -w '%{http_code}' -X POST \
  "http://127.0.0.1:$APORT/api/v0/ls?arg=$R&stream=true&sort-size=true")
eq "$code" 400 "stream with sort-size"
grep -q "cannot use --sort-size with --stream" "$WORK/err" ||
  fail "the API said: $(cat "$WORK/err")"
