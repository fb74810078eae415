#!/bin/bash
# file_arg_kubo.sh — the file a command reads whole (cli_read_file), beside
# Kubo v0.43.1's `ipfs`: key sign and verify, multibase encode, decode and
# transcode, config replace and name inspect on a missing file and on a
# directory print Kubo's error after their "trove: CMD: " prefix (Kubo's
# command line lstats a file argument and refuses a directory by the
# argument's name), as add's --ignore-rules-path does (Kubo's os.Open and
# read); "-" reads stdin as Kubo's does.  No daemon is needed.  Skipped
# (passes) without Kubo.
INTEROP_TIMEOUT=60
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
export TROVE_PATH=$WORK/trove
"$TROVE" init >/dev/null
cd "$WORK"
mkdir adir
printf 'hello\n' >hello

# err PREFIX ARGS...: both programs fail on ARGS; trove's one line is
# "trove: PREFIX" and Kubo's first line, "Error: " dropped.
err() {
  local pre=$1 k t
  shift
  if k=$("$IPFS" "$@" </dev/null 2>&1 >/dev/null); then fail "Kubo: $* worked"; fi
  if t=$("$TROVE" "$@" </dev/null 2>&1 >/dev/null); then fail "trove: $* worked"; fi
  k=$(head -1 <<<"$k")
  eq "$t" "trove: $pre${k#Error: }" "$*"
}
for f in nosuchfile adir; do
  err "key sign: " key sign "$f"
  err "key verify: " key verify -s x "$f"
  err "" multibase encode "$f"
  err "" multibase decode "$f"
  err "" multibase transcode "$f"
  err "config replace: " config replace "$f"
  err "name inspect: " name inspect "$f"
done
err "add: " add -n --ignore-rules-path nosuchfile hello
err "add: " add -n -r --ignore-rules-path adir adir
ok "a missing file and a directory: Kubo's errors"

eq "$("$TROVE" multibase encode - <hello)" "$("$IPFS" multibase encode - <hello)" "multibase encode -"
eq "$("$TROVE" multibase encode <hello)" "$("$IPFS" multibase encode <hello)" "multibase encode (stdin)"
"$TROVE" key sign - <hello >sig.json || fail "key sign -"
s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Signature"])' sig.json)
out=$("$TROVE" key verify -s "$s" - <hello)
grep -q '"SignatureValid":true' <<<"$out" || fail "key verify -: $out"
ok "- reads stdin"
