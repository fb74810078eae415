#!/bin/bash
# car_js.sh — CAR interop with @ipld/car: a CAR trove exports is read by
# the JS reader with the right root and every block verified, once each;
# a CAR the JS writer produces imports into trove and cats back
# byte-identical, with the same root CID.
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need node
interop_need_modules @ipld/car
W=$WORK
"$TROVE" init >/dev/null
mkdir -p "$W/tree/d"
head -c 3300000 /dev/urandom > "$W/tree/big"
printf 'x%.0s' $(seq 1 3000) > "$W/tree/d/x.txt"
ln -s d/x.txt "$W/tree/link"
: > "$W/tree/empty"
root=$("$TROVE" add -r -Q "$W/tree")
"$TROVE" dag export "$root" > "$W/t.car"
n=$(node car_js.mjs read "$W/t.car" "$root")
want=$("$TROVE" refs -r -u "$root" | wc -l)
[ "$n" = $((want + 1)) ] || { echo "JS read $n blocks, trove has $((want + 1))"; exit 1; }
echo "trove -> @ipld/car: $n blocks verified"

head -c 1500000 /dev/urandom > "$W/file"
jsroot=$(node car_js.mjs write "$W/js.car" "$W/file")
export TROVE_PATH=$W/repo2
"$TROVE" init >/dev/null
"$TROVE" dag import "$W/js.car" | grep "$jsroot" >/dev/null || { echo "root not pinned"; exit 1; }
"$TROVE" cat "$jsroot" | cmp - "$W/file"
tr_root=$("$TROVE" add -Q --cid-version=1 --raw-leaves --chunker=size-262144 "$W/file")
[ "$tr_root" = "$jsroot" ] || { echo "root $tr_root != js $jsroot"; exit 1; }
echo "@ipld/car -> trove: $jsroot cat back identical"
