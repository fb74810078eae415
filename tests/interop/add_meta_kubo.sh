#!/bin/bash
# add_meta_kubo.sh — UnixFS 1.5 metadata beside Kubo v0.43.1, on the same
# tree (modes 0600, 0755, setuid, a sticky directory, a file of mode 0,
# nanosecond and negative mtimes, a symlink's own mtime, an empty file, a
# three-leaf file, a directory over the HAMT threshold, a site):
#   - `add -r` with each of Kubo's metadata flag sets gives Kubo's root,
#     from trove's CLI without a daemon and through trove's daemon (its
#     client names each part with the entry's mode and mtime, as Kubo's);
#   - the same multipart body, its form names hand-written to cover boxo's
#     reader (a bad mtime, nanoseconds below 0, a ';', an empty query, a
#     symlink), posted to both APIs gets the same lines: CIDs, sizes and
#     the echoed Mode, Mtime and MtimeNsecs;
#   - both APIs' ls of the root are the same JSON (Go FileModes,
#     nanosecond ModTimes, symlink sizes);
#   - both gateways answer the same status and Last-Modified to a file, a
#     listing, a directory's index.html (dated by the directory) and a
#     block, plain and with If-Modified-Since,
#     If-Unmodified-Since and a dated If-Range.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

T=$WORK/tree
meta_tree "$T"
mkdir -p "$T/wide"
ln -s /nowhere "$T/sub/dangling"
(cd "$T/wide" && for i in $(seq 7000); do printf '%s' "$i" >"f$i"; done)
chmod 0711 "$T/wide"
mkdir "$T/site"
echo '<p>hi</p>' >"$T/site/index.html"
touch -d @1700000000 "$T/site/index.html"
touch -d @1500000000 "$T/wide" "$T/sub" "$T/site"
touch -d @1400000000 "$T"

kubo_init
kubo_daemon
KAPI=$(cat "$IPFS_PATH/api")
KAPI="http://127.0.0.1:${KAPI##*/}/api/v0"
trove_p2p_init
"$TROVE" config Routing.Type none >/dev/null

FLAGSETS=("--preserve-mode --preserve-mtime" "--preserve-mtime" "--preserve-mode"
  "--mode=0700" "--mtime=-5 --mtime-nsecs=7" "--preserve-mtime --mode=01777"
  "--preserve-mode -w" "--mode=0755 -w --preserve-mtime"
  "--preserve-mode --preserve-mtime --cid-version=1" "--pin=true")
declare -A KUBO
for f in "${FLAGSETS[@]}"; do
  # shellcheck disable=SC2086 # f is a list of flags
  KUBO[$f]=$("$IPFS" add -Q -r $f "$T") || fail "Kubo's add $f"
  # shellcheck disable=SC2086
  got=$("$TROVE" add -Q -r --profile=unixfs-v0-2015 $f "$T") || fail "trove add $f"
  eq "$got" "${KUBO[$f]}" "the root of add $f (no daemon)"
done
echo "ok ${#FLAGSETS[@]} flag sets: Kubo's roots without a daemon"

interop_daemon
for f in "${FLAGSETS[@]}"; do
  # shellcheck disable=SC2086
  got=$("$TROVE" add -Q -r --profile=unixfs-v0-2015 $f "$T") || fail "trove add $f (daemon)"
  eq "$got" "${KUBO[$f]}" "the root of add $f through the daemon"
done
echo "ok the same roots through trove's daemon"
TAPI="http://127.0.0.1:$APORT/api/v0"

# Hand-written parts: what boxo's reader makes of each form name.
part() { # FORM FILENAME CTYPE BODY
  printf -- '--XX\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n%s\r\n' "$@"
}
{
  part 'file?mode=020000000755&mtime=1600000000' d application/x-directory ''
  part 'file?mode=0644&mtime=1700000000&mtime-nsecs=999' 'd%2Fa.txt' application/octet-stream 'hello'
  part 'file?mtime=1500000000' 'd%2Fl' application/symlink 'a.txt'
  part 'file?mode=04000000644' top.txt application/octet-stream 'top'
  part 'file?mtime=abc&mode=0600' t2 application/octet-stream 't2'
  part 'file?mtime=5&mtime-nsecs=-3' t3 application/octet-stream 't3'
  part 'file?mode=0644;x=1' t4 application/octet-stream 't4'
  part 'file?' t5 application/octet-stream 't5'
  part 'file' l2 application/symlink 'x'
  printf -- '--XX--\r\n'
} >"$WORK/body"
Q="cid-version=0&raw-leaves=false&chunker=size-262144"
for q in "" "&preserve-mode=true&preserve-mtime=true" "&mode=0700" \
  "&mtime=-5&mtime-nsecs=7" "&preserve-mtime=true&mode=01777" \
  "&preserve-mode=true&wrap-with-directory=true" \
  "&mode=0x1ff&mtime=0b101&wrap-with-directory=true"; do
  k=$(curl -s -X POST -H 'Content-Type: multipart/form-data; boundary=XX' \
    --data-binary "@$WORK/body" "$KAPI/add?$Q$q")
  t=$(curl -s -X POST -H 'Content-Type: multipart/form-data; boundary=XX' \
    --data-binary "@$WORK/body" "$TAPI/add?$Q$q")
  [ -n "$k" ] && [ "$t" = "$k" ] || fail "API add ?$Q$q: Kubo
$k
trove
$t"
done
echo "ok the API's lines for hand-written form names"

# Numbers that do not convert: go-ipfs-cmds' 400 and its words (Kubo's
# body is text/plain, trove's the API's JSON error: the Message compared).
for q in "mode=xyz" "mode=" "mode=-1" "mode=0x1ffffffffff" "mtime=1.5" \
  "mtime=" "mtime-nsecs=x"; do
  k=$(curl -s -o "$WORK/kb" -w '%{http_code}' -X POST -F "file=@$WORK/body" "$KAPI/add?$q")
  t=$(curl -s -o "$WORK/tb" -w '%{http_code}' -X POST -F "file=@$WORK/body" "$TAPI/add?$q")
  eq "$t" "$k" "status of add?$q"
  eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Message"])' "$WORK/tb")" \
    "$(cat "$WORK/kb")" "message of add?$q"
done
echo "ok the API's errors for numbers that do not convert"

ROOT=${KUBO[--preserve-mode --preserve-mtime]}
for q in "" "&size=false" "&resolve-type=false"; do
  for p in "$ROOT" "$ROOT/sub" "$ROOT/wide"; do
    k=$(curl -s -X POST "$KAPI/ls?arg=$p$q")
    t=$(curl -s -X POST "$TAPI/ls?arg=$p$q")
    [ -n "$k" ] && [ "$t" = "$k" ] || fail "ls $p$q: Kubo
${k:0:600}
trove
${t:0:600}"
  done
done
echo "ok the API's ls"

KG="http://127.0.0.1:$KGPORT"
TG="http://127.0.0.1:$GPORT"
ask() { # GATEWAY PATH [CURL ARGS]
  local g=$1 p=$2; shift 2
  curl -s -o /dev/null -D - "$@" "$g$p" | tr -d '\r' |
    grep -i '^HTTP/\|^Last-Modified:' | tr '\n' ' '
}
n=0
for p in "/ipfs/$ROOT/a.txt" "/ipfs/$ROOT/empty" "/ipfs/$ROOT/sub/three-leaves.bin" \
  "/ipfs/$ROOT/sub/" "/ipfs/$ROOT/site/" "/ipfs/$ROOT/a.txt?format=raw" "/ipfs/${KUBO[--pin=true]}/a.txt"; do
  for h in "X-None: 1" "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT" \
    "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT" \
    "If-Modified-Since: Thu, 01 Jan 2099 00:00:00 GMT" \
    "If-Unmodified-Since: Mon, 13 Nov 2023 00:00:00 GMT" \
    "If-Modified-Since: not a date" 'If-Match: "nope"' "If-Match: *"; do
    k=$(ask "$KG" "$p" -H "$h")
    t=$(ask "$TG" "$p" -H "$h")
    eq "$t" "$k" "$p with $h"
    n=$((n + 1))
  done
  for r in "Tue, 14 Nov 2023 22:13:20 GMT" "Tue, 14 Nov 2023 22:13:21 GMT"; do
    eq "$(ask "$TG" "$p" -r 0-1 -H "If-Range: $r")" "$(ask "$KG" "$p" -r 0-1 -H "If-Range: $r")" \
      "$p with If-Range $r"
    n=$((n + 1))
  done
done
# If-Match against a block's own ETag (its format's suffix).
A=${KUBO[--preserve-mode --preserve-mtime]}
for im in "\"$A.raw\"" "\"$A\""; do
  eq "$(ask "$TG" "/ipfs/$A?format=raw" -H "If-Match: $im")" \
    "$(ask "$KG" "/ipfs/$A?format=raw" -H "If-Match: $im")" "raw with If-Match $im"
  n=$((n + 1))
done
# ...and none for listings, CARs and TARs (Kubo checks it in ServeContent).
for q in "/sub/" "?format=car" "?format=tar"; do
  eq "$(ask "$TG" "/ipfs/$A$q" -H 'If-Match: "nope"' | cut -d' ' -f1-2)" \
    "$(ask "$KG" "/ipfs/$A$q" -H 'If-Match: "nope"' | cut -d' ' -f1-2)" "$q with If-Match"
  n=$((n + 1))
done
echo "ok the gateways: $n answers alike"

# Ranges the answer cannot honour (and two odd ones Kubo honours): the
# status, the headers named here and the body's words (trove's 400 page
# says "Bad Request: " first).
refused() { # GATEWAY PATH RANGE
  curl -s -o "$WORK/rb" -D - -H "Range: $3" "$1$2" | tr -d '\r' |
    grep -i '^HTTP/\|^Last-Modified:\|^Content-Range:\|^Content-Type:\|^Etag:' |
    sed 's/^HTTP\/1.1 \([0-9]*\).*/\1/' | sort | tr '\n' ' '
  tr -d '\n' <"$WORK/rb" | sed 's/^Bad Request: //'
}
n=0
for p in "/ipfs/$ROOT/a.txt" "/ipfs/$ROOT/sub/three-leaves.bin" "/ipfs/$ROOT/a.txt?format=raw"; do
  for r in "bytes=100000000-" "bytes=5-2" "bytes=--5" "bytes=1-x" "bytes=0-1,x" \
    "bytes=-" "bytes=+1-+2" "bytes="; do
    eq "$(refused "$TG" "$p" "$r")" "$(refused "$KG" "$p" "$r")" "$p with Range $r"
    n=$((n + 1))
  done
done
echo "ok the gateways' refused ranges: $n answers alike"
