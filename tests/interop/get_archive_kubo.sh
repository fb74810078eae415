#!/bin/bash
# get_archive_kubo.sh — `get --archive/-a`, `--compress/-C`,
# `--compression-level/-l` beside Kubo v0.43.1's, on the same tree (files,
# a subdirectory, an empty one, a multi-block file):
#   - trove's CLI and Kubo's, each on its own repo: the same file names
#     ("X.tar", "X.tar.gz", "X.gz", -o's name kept when it ends so), the
#     same entries in the tars (name, type, mode, size), the same bytes
#     once unpacked; a directory with -C but no -a, and -l 10, are refused
#     by both;
#   - Kubo's CLI against trove's API (`ipfs --api`): the gzipped tar and
#     the gzipped file trove's daemon sends, unpacked, equal the source.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
export TROVE_PATH=$WORK/trove
trove_p2p_init
S=$WORK/src
mkdir -p "$S/sub" "$S/empty"
echo hello >"$S/a.txt"
head -c 700000 /dev/urandom >"$S/sub/big.bin"
A=(add -Q -r --cid-version 1 --raw-leaves --chunker=size-262144)
D=$("$TROVE" "${A[@]}" "$S")
eq "$("$IPFS" "${A[@]}" "$S")" "$D" "the tree's CID"
F=$("$TROVE" "${A[@]}" "$S/sub/big.bin")
eq "$("$IPFS" "${A[@]}" "$S/sub/big.bin")" "$F" "the file's CID"

mkdir -p "$WORK/t" "$WORK/k"
# run TOOL DIR ARGS...: the tool's stdout and exit status, in DIR
run() { local tool=$1 dir=$2; shift 2; (cd "$dir" && "$tool" "$@" 2>/dev/null; echo "exit $?"); }
both() {
  eq "$(run "$TROVE" "$WORK/t" "$@")" "$(run "$IPFS" "$WORK/k" "$@")" "get $*"
}
both get -a "$D"
both get -a -C "$D" -o tree
both get -C "$F"
both get -C -l 9 "$F" -o file.gz
both get -a "$D/sub" -o sub.tar
both get -C "$D"
both get -C -l 10 "$F"
eq "$(ls "$WORK/t")" "$(ls "$WORK/k")" "the files written"
# entries: name, type and mode, size (mtimes are each tool's clock)
list() { tar -tvzf "$1" 2>/dev/null || tar -tvf "$1"; }
entries() { list "$1" | awk '{print $1, $3, $6}'; }
for f in "$D.tar" tree.tar.gz sub.tar; do
  eq "$(entries "$WORK/t/$f")" "$(entries "$WORK/k/$f")" "$f's entries"
done
mkdir "$WORK/x"
tar -xzf "$WORK/t/tree.tar.gz" -C "$WORK/x"
diff -r "$S" "$WORK/x/$D" || fail "the unpacked tree differs from the source"
cmp <(zcat "$WORK/t/file.gz") "$S/sub/big.bin" || fail "the gzipped file"
cmp <(zcat "$WORK/t/$F.gz") <(zcat "$WORK/k/$F.gz") || fail "gzipped by both"
ok "get -a / -C / -l as Kubo's"

interop_daemon
K=("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT")
mkdir "$WORK/api"
(cd "$WORK/api" && "${K[@]}" get -a -C "$D" -o t.tar.gz >/dev/null && "${K[@]}" get -C "$F" -o f.gz >/dev/null) ||
  fail "Kubo's CLI against trove's get"
mkdir "$WORK/y"
tar -xzf "$WORK/api/t.tar.gz" -C "$WORK/y"
diff -r "$S" "$WORK/y/$D" || fail "the tree through trove's API"
cmp <(zcat "$WORK/api/f.gz") "$S/sub/big.bin" || fail "the file through trove's API"
code=$(curl -s -o "$WORK/err" -w '%{http_code}' -X POST "http://127.0.0.1:$APORT/api/v0/get?arg=$D&compress=true")
eq "$code" 500 "compress of a directory without archive"
grep -q "file is not regular" "$WORK/err" || fail "the refusal: $(cat "$WORK/err")"
ok "Kubo's CLI gets gzipped tars and files from trove's API"
