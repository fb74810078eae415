#!/bin/bash
# add_ignore_kubo.sh — add's --ignore (repeated), --ignore-rules-path and
# --empty-dirs/-E beside Kubo v0.43.1's add, on one tree (logs at two
# levels, a directory of logs only, an empty directory, one holding only
# an empty one, a hidden file): for each set of options the same root as
# `ipfs add`, computed by trove offline, through trove's daemon, and by
# Kubo's CLI against trove's API (Kubo filters on its side and sends
# empty-dirs, trove's daemon leaves the empty directories out).  The rules
# cover globs, negation, anchored and "**" rules, a rule for directories,
# "?" (a literal in go-gitignore) and a class.  A rules file that does not
# exist is refused.  Skipped (passes) without Kubo.
INTEROP_TIMEOUT=150
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
export TROVE_PATH=$WORK/trove
trove_p2p_init
T=$WORK/t
mkdir -p "$T/sub" "$T/emptyd" "$T/onlylogs" "$T/nested/inner"
echo a >"$T/a.txt"; echo b >"$T/b.log"; echo c >"$T/sub/c.log"
echo d >"$T/sub/d.txt"; echo e >"$T/onlylogs/x.log"; echo h >"$T/.hidden"
echo k >"$T/a?txt"
printf '# comment\n*.log\n\n!b.log\n' >"$WORK/rules"
cd "$WORK"
set -f # the rules are words of the command, never globs of $WORK
P=(-r -Q --cid-version=1 --raw-leaves --chunker=size-262144)
cases=(
  ""
  "--ignore=*.log"
  "--ignore *.log --ignore !b.log"
  "--ignore-rules-path=$WORK/rules"
  "--ignore-rules-path=$WORK/rules --ignore=*.txt"
  "-E=false"
  "--empty-dirs=false --ignore=*.log"
  "-E=false --hidden --ignore=sub"
  "--ignore=/sub --ignore=**/c.log"
  "--ignore=*.txt/ --ignore=a?txt --ignore=[ab].*"
  "-w -E=false --ignore=*.log"
)
want=()
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086 # c is a word list
  k=$("$IPFS" add -n "${P[@]}" $c t) || fail "Kubo: add $c"
  # shellcheck disable=SC2086
  eq "$("$TROVE" add -n "${P[@]}" $c t)" "$k" "add -n $c"
  want+=("$k")
done
if "$TROVE" add -n -r --ignore-rules-path="$WORK/nope" t 2>"$WORK/err"; then
  fail "a missing rules file was taken"
fi
grep -q "nope" "$WORK/err" || fail "the missing file's error: $(cat "$WORK/err")"
ok "offline: the roots of Kubo's add for ${#cases[@]} sets of options"

interop_daemon
K=("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT")
for i in "${!cases[@]}"; do
  c=${cases[$i]}
  # shellcheck disable=SC2086
  eq "$("$TROVE" add "${P[@]}" $c t)" "${want[$i]}" "add $c through trove's daemon"
  # shellcheck disable=SC2086
  eq "$("${K[@]}" add "${P[@]}" $c t)" "${want[$i]}" "Kubo's add $c into trove's API"
done
ok "through the daemon, from trove's CLI and Kubo's"
