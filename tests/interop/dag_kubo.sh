#!/bin/bash
# dag_kubo.sh — `dag put`, `dag get`, `dag resolve` and `dag stat` beside
# Kubo v0.43.1, on the same inputs:
#   - a corpus of DAG-JSON documents (nested maps and lists, keys whose
#     length and byte orders differ, integers at the int64 edges, floats
#     of every notation, strings with escapes, control bytes, non-ASCII
#     and U+2028, bytes, links, "/" maps that are neither) put with
#     --store-codec dag-cbor (the default), dag-json, and from json to
#     json: trove's CID is Kubo's every time, and so is its refusal of a
#     document Kubo refuses;
#   - each stored node read back with `dag get` as dag-json and as
#     dag-cbor: the same bytes;
#   - paths into and across blocks (a map key, a list index, a link
#     followed, a UnixFS name in a dag-pb directory): `dag get` gives the
#     same bytes and `dag resolve` the same block and remaining path, and
#     a path to nothing fails on both;
#   - a dag-pb file and directory (the same CIDs from both `add`s): their
#     data-model form as dag-json;
#   - `dag stat` of two roots that share blocks: the same summary;
#   - `refs [-r] [-u] [--format] [-e]` of roots that share blocks: Kubo's
#     lines, dag-pb links' names in --format's <linkname> (--unique
#     spans the arguments);
#   - through trove's daemon: the API's dag/put, dag/get, dag/resolve,
#     dag/stat and refs answer as Kubo's daemon does (the same JSON lines).
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

kubo_init
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null # trove's default
trove_p2p_init
"$TROVE" config Routing.Type none >/dev/null

# The corpus: one document a line.
cat >"$WORK/corpus" <<'EOF'
{}
[]
null
true
0
-1
9223372036854775807
-9223372036854775808
1.5
-0.0
100.0
1e21
1e-7
0.000001
123456789.125
3.141592653589793
2.5e-300
{"b":1,"a":2,"aa":3,"ab":[],"B":{},"":null}
{"z":{"y":{"x":{"w":[1,[2,[3,[4,{"v":"deep"}]]]]}}}}
{"s":"plain","e":"quote\" back\\ slash/ tab\t nl\n cr\r bell\u0007 del\u007f"}
{"u":"é中文 \ud83d\ude00 \u2028 \u2029 <>&"}
{"bytes":{"/":{"bytes":"AQIDBA"}},"empty":{"/":{"bytes":""}}}
{"link":{"/":"bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"}}
{"v0":{"/":"QmcUvUmZfZbeqkYLyKstDvkbVFCQ6t79p6gqJjKkA2DQoY"}}
{"notalink":{"/":"x","y":1},"slash":{"/":{"bytes":"AQ","more":1}}}
{"list":[null,true,false,0,1.25,"s",{"/":{"bytes":"AA"}},[]]}
  { "spaced" : [ 1 , 2 ] }
EOF
# Documents both must refuse (checked one by one: a refusal, not a CID).
cat >"$WORK/bad" <<'EOF'
{"a":1,"a":2}
{"a":
[1,2
{"a":1}x
{"/":"notacid"}
9223372036854775808
NaN
EOF

# put CMD ARGS...: the CIDs (or "ERR") of each corpus line, one a line.
put_all() {
  local f=$1
  shift
  while IFS= read -r line; do
    printf '%s' "$line" >"$WORK/doc"
    "$@" "$WORK/doc" 2>/dev/null || echo ERR
  done <"$f"
}
for args in "" "--store-codec=dag-json" "--store-codec=dag-cbor --hash=sha2-512"; do
  # shellcheck disable=SC2086
  put_all "$WORK/corpus" "$IPFS" dag put $args >"$WORK/k.put"
  # shellcheck disable=SC2086
  put_all "$WORK/corpus" "$TROVE" dag put $args >"$WORK/t.put"
  diff "$WORK/k.put" "$WORK/t.put" || fail "dag put $args: CIDs differ from Kubo's"
  grep -q ERR "$WORK/k.put" && fail "Kubo refused a corpus document ($args)"
  # shellcheck disable=SC2086
  put_all "$WORK/bad" "$IPFS" dag put $args >"$WORK/k.bad"
  # shellcheck disable=SC2086
  put_all "$WORK/bad" "$TROVE" dag put $args >"$WORK/t.bad"
  diff "$WORK/k.bad" "$WORK/t.bad" || fail "dag put $args: refusals differ from Kubo's"
  echo "ok - dag put $args: $(wc -l <"$WORK/k.put") CIDs as Kubo's, $(grep -c ERR "$WORK/k.bad") refusals as Kubo's"
  while read -r c; do
    for oc in dag-json dag-cbor; do
      "$IPFS" dag get --output-codec=$oc "$c" >"$WORK/k.get" || fail "Kubo: dag get $c"
      "$TROVE" dag get --output-codec=$oc "$c" >"$WORK/t.get" || fail "trove: dag get $c"
      cmp -s "$WORK/k.get" "$WORK/t.get" || {
        echo "Kubo:  $(head -c 300 "$WORK/k.get" | od -c | head -5)"
        echo "trove: $(head -c 300 "$WORK/t.get" | od -c | head -5)"
        fail "dag get --output-codec=$oc $c differs from Kubo's"
      }
    done
  done <"$WORK/k.put"
  echo "ok - dag get of each as dag-json and dag-cbor: Kubo's bytes"
done
put_all "$WORK/corpus" "$IPFS" dag put --input-codec=json --store-codec=json >"$WORK/k.put"
put_all "$WORK/corpus" "$TROVE" dag put --input-codec=json --store-codec=json >"$WORK/t.put"
diff "$WORK/k.put" "$WORK/t.put" || fail "dag put json -> json: CIDs differ from Kubo's"
echo "ok - dag put --input-codec=json --store-codec=json: Kubo's CIDs"

# Paths, across blocks.
D=$WORK/tree
mkdir -p "$D/sub"
echo hello >"$D/sub/a.txt"
head -c 300000 /dev/urandom >"$D/big.bin"
KD=$("$IPFS" add -Q -r "$D") || fail "Kubo's add"
TD=$("$TROVE" add -Q -r "$D") || fail "trove add"
eq "$TD" "$KD" "the directory's CID"
put_pair() { # the same document into both; its CID
  printf '%s' "$1" >"$WORK/doc"
  local k t
  k=$("$IPFS" dag put "$WORK/doc") && t=$("$TROVE" dag put "$WORK/doc") || fail "put $1"
  eq "$t" "$k" "CID of $1"
  echo "$k"
}
L=$(put_pair '{"k":"v","n":[10,20,{"deep":true}]}')
R=$(put_pair '{"a":1,"l":{"/":"'"$L"'"},"x":{"y":[5,{"z":"q"}]},"dir":{"/":"'"$KD"'"}}')
for p in "" / a x x/y x/y/1 x/y/01 x/y/1/z l l/k l/n/2/deep dir dir/sub dir/sub/a.txt \
  nokey x/y/9 a/b l/nokey dir/nope; do
  for cmd in get resolve; do
    k=$("$IPFS" dag $cmd "$R/$p" 2>/dev/null | od -An -c) || k=ERR
    t=$("$TROVE" dag $cmd "$R/$p" 2>/dev/null | od -An -c) || t=ERR
    # Kubo's resolve writes no newline; trove's does.
    [ $cmd = resolve ] && [ "$t" != ERR ] && t=$("$TROVE" dag resolve "$R/$p" | tr -d '\n' | od -An -c)
    eq "$t" "$k" "dag $cmd $R/$p"
  done
done
echo "ok - dag get and dag resolve along 21 paths (5 to nothing): as Kubo's"
for c in "$KD" "$KD/big.bin" "$KD/sub"; do
  k=$("$IPFS" dag get "$c" | sha256sum) && t=$("$TROVE" dag get "$c" | sha256sum) || fail "dag get $c"
  eq "$t" "$k" "dag get $c (dag-pb)"
done
echo "ok - dag-pb nodes (a file's root, directories) as dag-json: Kubo's bytes"
k=$("$IPFS" dag stat --progress=false "$KD" "$KD/sub" "$R") || fail "Kubo: dag stat"
t=$("$TROVE" dag stat "$KD" "$KD/sub" "$R") || fail "trove: dag stat"
eq "$t" "$k" "dag stat of three roots"
echo "ok - dag stat: Kubo's table and summary"
# refs over roots that share blocks: --unique spans the arguments, and a
# root is listed where a later root links to it.
for args in "$KD $KD/sub" "$KD/sub $KD" "$KD $KD"; do
  for f in "-r -u" "-r" "-u"; do
    k=$("$IPFS" refs $f $args) && t=$("$TROVE" refs $f $args) || fail "refs $f $args"
    eq "$t" "$k" "refs $f $args"
  done
done
# --format (a dag-pb link's name; none for others) and --edges.
for f in "-r --format <src>-<linkname>-<dst>" "-r -e" "-r -u --format [<linkname>]"; do
  # shellcheck disable=SC2086
  k=$("$IPFS" refs $f "$KD" "$R") && t=$("$TROVE" refs $f "$KD" "$R") || fail "refs $f"
  eq "$t" "$k" "refs $f"
done
"$TROVE" refs -e --format x "$KD" >/dev/null 2>&1 && fail "refs -e --format taken"
echo "ok - refs [-r] [-u] [--format] [-e] of roots that share blocks: Kubo's lines"

# Through the daemons: the API's answers.
kubo_daemon
interop_daemon
KA=http://127.0.0.1:$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/kubo.log")/api/v0
TA=http://127.0.0.1:$APORT/api/v0
printf '{"x":[1,2.5,"é"],"l":{"/":"%s"}}' "$L" >"$WORK/p1"
printf '{"b":{"/":{"bytes":"AQID"}}}' >"$WORK/p2"
api() { curl -s --max-time 20 -X POST "$@"; }
for q in "dag/put" "dag/put?store-codec=dag-json&pin=true" "dag/put?input-codec=json&store-codec=json"; do
  k=$(api -F f=@"$WORK/p1" -F g=@"$WORK/p2" "$KA/$q")
  t=$(api -F f=@"$WORK/p1" -F g=@"$WORK/p2" "$TA/$q")
  eq "$t" "$k" "API $q"
done
for q in "dag/get?arg=$R/x" "dag/get?arg=$R/l&output-codec=dag-cbor" \
  "dag/resolve?arg=$R/l/n/2" "dag/resolve?arg=$R/dir/sub" \
  "dag/stat?arg=$KD&progress=false" "dag/stat?arg=$R&arg=$L&progress=false" \
  "refs?arg=$KD&arg=$KD/sub&recursive=true&unique=true" \
  "refs?arg=$KD/sub&arg=$KD&recursive=true&unique=true" \
  "refs?arg=$KD&arg=$KD&recursive=true&unique=true" \
  "refs?arg=$KD&arg=$KD/sub&recursive=true" \
  "refs?arg=$KD&arg=$R&recursive=true&format=%3Clinkname%3E%20%3Cdst%3E" \
  "refs?arg=$KD&recursive=true&edges=true"; do
  api "$KA/$q" >"$WORK/k.api"
  api "$TA/$q" >"$WORK/t.api"
  cmp -s "$WORK/k.api" "$WORK/t.api" ||
    fail "API $q: trove $(cat -v "$WORK/t.api" | head -c 600), Kubo $(cat -v "$WORK/k.api" | head -c 600)"
done
echo "ok - the API's dag/put, dag/get, dag/resolve, dag/stat, refs: Kubo's answers"
# The CLI through trove's daemon: the same as without it.
eq "$("$TROVE" dag put "$WORK/p1")" "$("$IPFS" dag put "$WORK/p1")" "dag put through the daemon"
eq "$("$TROVE" dag get "$R/x/y" | od -An -c)" "$("$IPFS" dag get "$R/x/y" | od -An -c)" "dag get through the daemon"
echo "ok - the CLI through trove's daemon"
