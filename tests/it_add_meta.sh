#!/bin/bash
# it_add_meta.sh — UnixFS 1.5 metadata end to end: `add --preserve-mode
# --preserve-mtime` of a tree (modes 0600, 0755, setuid, a sticky
# directory, a file of mode 0, nanosecond and negative mtimes, a symlink's
# own mtime, an empty file, a three-leaf file) gives the same root with and
# without a daemon (the client names each part with its mode and mtime,
# as Kubo's does); `get` restores the modes (not setuid) and the mtimes to
# the nanosecond, directories' after their children; `ls --long` and the
# API's ls show them; the gateway sends a file's mtime as Last-Modified and
# answers If-Modified-Since (304), If-Unmodified-Since (412) and a dated
# If-Range as Go's ServeContent does, with no Last-Modified on a listing;
# /ipns/ answers carry one; the refusals Kubo makes are made.  Parity with
# Kubo itself is tests/interop/add_meta_kubo.sh.
if [ -z "${IT_ADD_META_TIMED:-}" ]; then
  IT_ADD_META_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
checked_stop 5

T=$WORK/tree
meta_tree "$T"

t init >/dev/null
FLAGS=(--preserve-mode --preserve-mtime --chunker=size-262144)
LOCAL=$(t add -Q -r "${FLAGS[@]}" "$T") || fail "add"
PLAIN=$(t add -Q -r --chunker=size-262144 "$T")
[ "$LOCAL" != "$PLAIN" ] || fail "the metadata changed nothing"
echo "ok add --preserve-mode --preserve-mtime"

# Refusals, as Kubo's.
err=$(t add -Q --preserve-mtime --raw-leaves "$T/a.txt" 2>&1) && fail "raw leaves with metadata accepted"
[[ $err == *"raw-leaves can't be used with UnixFS metadata"* ]] || fail "message: $err"
err=$(t add -Q --mtime-nsecs=5 "$T/a.txt" 2>&1) && fail "mtime-nsecs alone accepted"
[[ $err == *'requires "mtime"'* ]] || fail "message: $err"
echo "ok the refusals"

# get: the tree back as it was (setuid, and a file's mode 0 that UnixFS
# cannot store, aside).
t get -o "$WORK/out" "$LOCAL" >/dev/null
snap() { (cd "$1" && find . -exec stat -c '%n %a %.9Y' {} + | sort); }
snap "$T" | sed -e 's#^./suid 4755#./suid 755#' -e 's#^./sub/deep/zero 0 #./sub/deep/zero 644 #' >"$WORK/want"
snap "$WORK/out" >"$WORK/got"
diff "$WORK/want" "$WORK/got" >&2 || fail "get did not restore the modes and mtimes"
echo "ok get restores modes and mtimes"

out=$(TZ=UTC t ls -l -v "$LOCAL")
grep -q '^Mode  *Hash  *Size  *ModTime  *Name$' <<<"$out" || fail "ls -l header: $out"
grep -q '^-rw------- .* 6 .*Nov 14  2023 a.txt$' <<<"$out" || fail "ls -l a.txt: $out"
grep -q '^-rwsr-xr-x .* suid$' <<<"$out" || fail "ls -l setuid: $out"
grep -q '^drwxrwxrwt .* - .*Jul 14  2017 sticky/$' <<<"$out" || fail "ls -l sticky: $out"
grep -q '^-  *[^ ]* 5 .*Feb 13  2009 link$' <<<"$out" || fail "ls -l symlink: $out"
echo "ok ls --long"

start_daemon
REMOTE=$(t add -Q -r "${FLAGS[@]}" "$T") || fail "add through the daemon"
eq "$REMOTE" "$LOCAL" "the root through the daemon's API"
A="http://127.0.0.1:$APORT/api/v0"
ls=$(curl -sf -X POST "$A/ls?arg=$LOCAL")
python3 - "$ls" <<'P' || fail "ls JSON: $ls"
import json, sys
links = {l["Name"]: l for l in json.loads(sys.argv[1])["Objects"][0]["Links"]}
assert links["a.txt"]["Mode"] == 0o600, links["a.txt"]
assert links["a.txt"]["ModTime"] == "2023-11-14T22:13:20.123456789Z", links["a.txt"]
assert links["sticky"]["Mode"] == (1 << 31) | (1 << 20) | 0o777, links["sticky"]
assert links["suid"]["Mode"] == (1 << 23) | 0o755, links["suid"]
assert links["link"]["Size"] == 5 and links["link"]["ModTime"] == "2009-02-13T23:31:30.25Z", links["link"]
assert links["empty"]["ModTime"] == "1969-12-31T23:58:20Z", links["empty"]
P
# The API's lines carry the top-level entry's metadata, as Kubo's do.
line=$(curl -sf -X POST -F 'file=@/dev/null;filename=x' "$A/add?preserve-mtime=true" | head -1)
[[ $line != *Mtime* ]] || fail "a part without metadata echoed some: $line"
line=$(printf 'hi' | curl -sf -X POST -H 'Content-Type: multipart/form-data; boundary=B' \
  --data-binary @<(printf -- '--B\r\nContent-Disposition: form-data; name="file?mode=0640&mtime=1700000000&mtime-nsecs=9"; filename="f"\r\nContent-Type: application/octet-stream\r\n\r\nhi\r\n--B--\r\n') \
  "$A/add?preserve-mode=true&preserve-mtime=true&cid-version=0")
check() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert $1, d" "$2" || fail "$3: $2"; }
check 'd["Mode"] == "0640" and d["Mtime"] == 1700000000 and d["MtimeNsecs"] == 9' "$line" "the echo"
echo "ok the API's ls and add lines"

G="http://127.0.0.1:$GPORT/ipfs/$LOCAL"
hdr() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }
h=$(hdr "$G/a.txt")
grep -q '^Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT$' <<<"$h" || fail "Last-Modified: $h"
h=$(hdr -H 'If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT' "$G/a.txt")
grep -q '^HTTP/1.1 304' <<<"$h" || fail "If-Modified-Since, equal: $h"
grep -qi '^Last-Modified' <<<"$h" && fail "a 304 with Last-Modified: $h"
grep -qi '^Etag: ' <<<"$h" || fail "a 304 without its ETag: $h"
h=$(hdr -H 'If-Modified-Since: Tuesday, 14-Nov-23 22:13:19 GMT' "$G/a.txt")
grep -q '^HTTP/1.1 200' <<<"$h" || fail "If-Modified-Since, a second before (RFC 850): $h"
h=$(hdr -H 'If-Modified-Since: Wed Nov 15 00:00:00 2023' "$G/a.txt")
grep -q '^HTTP/1.1 304' <<<"$h" || fail "If-Modified-Since, later (asctime): $h"
h=$(hdr -H 'If-None-Match: "other"' -H 'If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT' "$G/a.txt")
grep -q '^HTTP/1.1 200' <<<"$h" || fail "If-None-Match must take precedence: $h"
h=$(hdr -H 'If-Unmodified-Since: Mon, 13 Nov 2023 00:00:00 GMT' "$G/a.txt")
grep -q '^HTTP/1.1 412' <<<"$h" || fail "If-Unmodified-Since, earlier: $h"
h=$(hdr -r 0-1 -H 'If-Range: Tue, 14 Nov 2023 22:13:20 GMT' "$G/a.txt")
grep -q '^HTTP/1.1 206' <<<"$h" || fail "If-Range, the same date: $h"
h=$(hdr -r 0-1 -H 'If-Range: Tue, 14 Nov 2023 22:13:21 GMT' "$G/a.txt")
grep -q '^HTTP/1.1 200' <<<"$h" || fail "If-Range, another date: $h"
h=$(hdr "$G/sub/")
grep -qi '^Last-Modified' <<<"$h" && fail "a listing with Last-Modified: $h"
# A directory's index.html is dated by the directory, as boxo does.
mkdir "$WORK/site"
echo '<p>hi</p>' >"$WORK/site/index.html"
touch -d @1700000000 "$WORK/site/index.html"
touch -d @1600000000 "$WORK/site"
SITE=$(t add -Q -r --preserve-mtime "$WORK/site")
h=$(hdr "http://127.0.0.1:$GPORT/ipfs/$SITE/")
grep -q '^Last-Modified: Sun, 13 Sep 2020 12:26:40 GMT$' <<<"$h" || fail "index.html's Last-Modified: $h"
h=$(hdr "$G/empty")
grep -q '^Last-Modified: Wed, 31 Dec 1969 23:58:20 GMT$' <<<"$h" || fail "a negative mtime: $h"
h=$(hdr "http://127.0.0.1:$GPORT/ipfs/$PLAIN/a.txt")
grep -qi '^Last-Modified' <<<"$h" && fail "Last-Modified without an mtime: $h"
echo "ok the gateway's Last-Modified and conditional requests"

NAME=$(t name publish -Q --allow-offline "/ipfs/$PLAIN/a.txt") || fail "name publish"
h=$(hdr "http://127.0.0.1:$GPORT/ipns/$NAME")
grep -q '^HTTP/1.1 200' <<<"$h" || fail "/ipns/: $h"
grep -q '^Last-Modified: ' <<<"$h" || fail "an /ipns/ answer without Last-Modified: $h"
h=$(hdr "http://127.0.0.1:$GPORT/ipns/$NAME?format=raw")
grep -q '^Last-Modified: ' <<<"$h" || fail "an /ipns/ block without Last-Modified: $h"
echo "ok /ipns/ answers carry Last-Modified"
