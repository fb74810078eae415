#!/bin/bash
# it_gateway.sh — the HTTP gateway end to end with real clients on
# 127.0.0.1: curl over HTTP/1.1, HTTP/2 with prior knowledge and the h2c
# upgrade, nghttp (nghttp2-client), and raw sockets (it_gateway.py) for what
# curl cannot send.  A temp repo gets a tree of files (sizes around the
# 1 MiB chunk, hostile names, index.html, a HAMT-sharded directory), the
# daemon serves it on a free port, and every answer is checked: status
# codes (200 206 301 304 400 404 405 406 412 414 416 429 431 501 504),
# headers (Cache-Control, ETag, X-Ipfs-Path, X-Ipfs-Roots, Content-Type,
# Content-Range), bodies byte for byte against the files, listings and
# their escaping, path traversal, malformed requests, pipelining,
# keep-alive.  It ends by checking the daemon still serves.
#
# Needs curl, nghttp and python3; no npm.  Bounded: the whole script runs
# under `timeout`, every curl has --max-time.
if [ -z "${IT_GATEWAY_TIMED:-}" ]; then
  IT_GATEWAY_TIMED=1 exec timeout -k 5 300 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
PY="python3 $(cd "$(dirname "$0")" && pwd)/it_gateway.py"
checked_stop 5
for tool in curl nghttp python3; do
  command -v $tool >/dev/null || fail "$tool is missing (make deps)"
done

# ------------------------------------------------------------- the content
D=$WORK/data
mkdir -p "$D/sub" "$D/site" "$D/hostile" "$D/hamt" "$D/empty"
echo hello >"$D/a.txt"
python3 - "$D" <<'EOF'
import os, random, sys
d = sys.argv[1]
r = random.Random(5)
def put(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
# 3 MiB + 7: three full 1 MiB chunks and a short one
put("big.bin", r.randbytes(3 * 1048576 + 7))
put("one.bin", r.randbytes(1048576))          # exactly one chunk
put("noext_png", b"\x89PNG\r\n\x1a\n" + r.randbytes(200))
put("noext_html", b"  <!DOCTYPE html><p>sniffed</p>")
put("noext_bin", bytes(range(256)))
put("noext_text", b"just words\n")
put("movie.mp4", b"\x00\x00\x00\x18ftypisom" + r.randbytes(100))
put("style.css", b"body{}")
put("sub/deep.txt", b"deep file\n")
put("site/index.html", b"<!doctype html><title>site</title><p>index page</p>\n")
put("site/other.txt", b"other\n")
for n in ('<script>alert(1)<\\script>.txt', 'quo"te.txt', "apos'trophe&amp.txt",
          "sp ace#hash?q=1%25.txt", "uni\u00e9\u4e2d.txt"):
    put("hostile/" + n, ("content of " + n + "\n").encode())
for i in range(6000):  # over 256 KiB of links: a HAMT with the v1 profile
    put("hamt/f%05d.txt" % i, b"%d\n" % i)
EOF
t init >/dev/null
ROOT=$(t add -r -Q "$D")
[ -n "$ROOT" ] || fail "add -r gave no CID"
cid_of() { t add -n -Q "$@"; }
A_CID=$(cid_of "$D/a.txt")
BIG_CID=$(cid_of "$D/big.bin")
SUB_CID=$(cid_of -r "$D/sub")
DEEP_CID=$(cid_of "$D/sub/deep.txt")
HAMT_CID=$(cid_of -r "$D/hamt")
EMPTY_CID=$(cid_of -r "$D/empty")
BIGSIZE=$(stat -c %s "$D/big.bin")
# A well-formed CID of a block that is not in the repo.
MISSING=$(echo "not stored anywhere $$" | cid_of)

# ------------------------------------------------------------- the daemon
# A block it lacks is fetched from the network (it has no peers here): 504
# after Gateway.RetrievalTimeout, short so that the test does not wait.
t config Gateway.RetrievalTimeout 2s >/dev/null
t config --json DNS.Resolvers '{".": "none"}' >/dev/null # DNSLink from the map only (it_dnslink.sh)
# Not through t(): $! must be the daemon itself, not a subshell.
start_daemon
PORT=$GPORT
G=http://127.0.0.1:$PORT
echo "gateway on $G, root $ROOT"

C="curl -s --max-time 20"
code() { $C -o /dev/null -w '%{http_code}' "$@"; }
# fetch URL [curl args]: body to $WORK/body, headers to $WORK/hdrs
fetch() { : >"$WORK/body"; $C -D "$WORK/hdrs" -o "$WORK/body" -w '%{http_code}' "$@"; }
hdr() { # value of header $1 in $WORK/hdrs (last response), CR stripped
  grep -i "^$1:" "$WORK/hdrs" | tail -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'
}
same() { cmp -s "$1" "$2" || fail "${3:-body} differs from $2"; }
expect_code() { # want url [curl args]
  local want=$1 got; shift
  got=$(code "$@")
  [ "$got" = "$want" ] || fail "expected $want, got $got for: $*"
}

# ------------------------------------------------- files, headers, bodies
eq "$(fetch "$G/ipfs/$ROOT/a.txt")" 200
same "$WORK/body" "$D/a.txt"
eq "$(hdr Cache-Control)" "public, max-age=29030400, immutable"
eq "$(hdr Etag)" "\"$A_CID\""
eq "$(hdr Ipfs-Uri)" "ipfs://$ROOT/a.txt"
eq "$(hdr X-Ipfs-Path)" "" "no X-Ipfs-Path by default (boxo 0.43, IPIP-0548)"
eq "$(hdr X-Ipfs-Roots)" "$ROOT,$A_CID"
eq "$(hdr Content-Type)" "text/plain; charset=utf-8"
eq "$(hdr Content-Length)" 6
eq "$(hdr Accept-Ranges)" bytes

for f in big.bin one.bin; do
  eq "$(fetch "$G/ipfs/$ROOT/$f")" 200
  same "$WORK/body" "$D/$f" "$f"
done
eq "$(hdr Content-Length)" 1048576
eq "$(fetch "$G/ipfs/$ROOT/sub/deep.txt")" 200
same "$WORK/body" "$D/sub/deep.txt"
eq "$(hdr X-Ipfs-Roots)" "$ROOT,$SUB_CID,$DEEP_CID"
eq "$(hdr Ipfs-Uri)" "ipfs://$ROOT/sub/deep.txt"
# By the file's own CID, and by its CIDv0-less raw CID: same bytes.
eq "$(fetch "$G/ipfs/$BIG_CID")" 200
same "$WORK/body" "$D/big.bin"
# A path with "//" and a percent-encoded plain character resolves too.
eq "$(fetch "$G/ipfs/$ROOT//sub/%64eep.txt")" 200
same "$WORK/body" "$D/sub/deep.txt"

# Content-Type: by extension, by sniffing, by ?filename=.
ctype() { $C -o /dev/null -w '%{content_type}' "$@"; }
eq "$(ctype "$G/ipfs/$ROOT/style.css")" "text/css; charset=utf-8"
eq "$(ctype "$G/ipfs/$ROOT/movie.mp4")" "video/mp4"
eq "$(ctype "$G/ipfs/$ROOT/noext_png")" "image/png"
eq "$(ctype "$G/ipfs/$ROOT/noext_html")" "text/html; charset=utf-8"
eq "$(ctype "$G/ipfs/$ROOT/noext_bin")" "application/octet-stream"
eq "$(ctype "$G/ipfs/$ROOT/noext_text")" "text/plain; charset=utf-8"
eq "$(ctype "$G/ipfs/$ROOT/noext_bin?filename=x.mp4")" "video/mp4"
eq "$(fetch "$G/ipfs/$A_CID?filename=hello.txt&download=true")" 200
eq "$(hdr Content-Disposition)" 'attachment; filename="hello.txt"'
echo "ok files: bodies, headers, content types"

# HEAD: the GET's headers, no body.
eq "$($C -I -D "$WORK/hdrs" -o /dev/null -w '%{http_code} %{size_download}' "$G/ipfs/$ROOT/big.bin")" "200 0"
eq "$(hdr Content-Length)" "$BIGSIZE"
eq "$(hdr Etag)" "\"$BIG_CID\""

# ------------------------------------------------------------------ Range
slice() { dd if="$D/big.bin" of="$WORK/want" bs=64k iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none; }
eq "$(fetch -r 0-99 "$G/ipfs/$ROOT/big.bin")" 206
slice 0 100; same "$WORK/body" "$WORK/want" "range 0-99"
eq "$(hdr Content-Range)" "bytes 0-99/$BIGSIZE"
eq "$(hdr Content-Length)" 100
# Across the first chunk boundary (1 MiB).
eq "$(fetch -r 1048570-1048585 "$G/ipfs/$ROOT/big.bin")" 206
slice 1048570 16; same "$WORK/body" "$WORK/want" "range across a chunk"
eq "$(hdr Content-Range)" "bytes 1048570-1048585/$BIGSIZE"
# Open-ended and suffix ranges.
eq "$(fetch -r 3145720- "$G/ipfs/$ROOT/big.bin")" 206
slice 3145720 $((BIGSIZE - 3145720)); same "$WORK/body" "$WORK/want" "open range"
eq "$(hdr Content-Range)" "bytes 3145720-$((BIGSIZE - 1))/$BIGSIZE"
eq "$(fetch -r -10 "$G/ipfs/$ROOT/big.bin")" 206
slice $((BIGSIZE - 10)) 10; same "$WORK/body" "$WORK/want" "suffix range"
# An end past the file is clamped.
eq "$(fetch -r 3145725-99999999 "$G/ipfs/$ROOT/big.bin")" 206
eq "$(hdr Content-Range)" "bytes 3145725-$((BIGSIZE - 1))/$BIGSIZE"
# Unsatisfiable: 416 with the size.
eq "$(fetch -r 99999999-100000000 "$G/ipfs/$ROOT/big.bin")" 416
eq "$(hdr Content-Range)" "bytes */$BIGSIZE"
# Multi-range: multipart/byteranges, every part byte-exact.
eq "$(fetch -r 0-9,1048575-1048580,3145727- "$G/ipfs/$ROOT/big.bin")" 206
eq "$($PY multipart "$D/big.bin" "$WORK/hdrs" "$WORK/body")" 3
eq "$(fetch --http2-prior-knowledge -r 5-6,100-200 "$G/ipfs/$ROOT/big.bin")" 206
eq "$($PY multipart "$D/big.bin" "$WORK/hdrs" "$WORK/body")" 2
# If-Range with the ETag: ranged; with another validator: the whole file.
eq "$(code -r 0-1 -H "If-Range: \"$BIG_CID\"" "$G/ipfs/$ROOT/big.bin")" 206
eq "$(fetch -r 0-1 -H 'If-Range: "other"' "$G/ipfs/$ROOT/big.bin")" 200
same "$WORK/body" "$D/big.bin"
echo "ok ranges: single, across chunks, open, suffix, clamped, 416, multipart, If-Range"

# -------------------------------------------------- conditional requests
expect_code 304 -H "If-None-Match: \"$A_CID\"" "$G/ipfs/$ROOT/a.txt"
expect_code 304 -H "If-None-Match: \"x\", W/\"$A_CID\"" "$G/ipfs/$ROOT/a.txt"
expect_code 304 -H 'If-None-Match: *' "$G/ipfs/$ROOT/a.txt"
expect_code 200 -H 'If-None-Match: "bafkreiother"' "$G/ipfs/$ROOT/a.txt"
eq "$(fetch -H "If-None-Match: \"$A_CID\"" "$G/ipfs/$ROOT/a.txt")" 304
eq "$(stat -c %s "$WORK/body")" 0
eq "$(hdr Etag)" "\"$A_CID\""
expect_code 200 -H "If-Match: \"$A_CID\"" "$G/ipfs/$ROOT/a.txt"
expect_code 412 -H 'If-Match: "bafkreiother"' "$G/ipfs/$ROOT/a.txt"
echo "ok conditional: 304, 412"

# ------------------------------------------------------------- directories
# No trailing slash: 301 to the slash, query kept.
eq "$(fetch "$G/ipfs/$ROOT/sub?x=1")" 301
eq "$(hdr Location)" "/ipfs/$ROOT/sub/?x=1"
eq "$(fetch -L "$G/ipfs/$ROOT/sub")" 200
grep -q 'deep.txt' "$WORK/body" || fail "listing after redirect"
# index.html is served for its directory, with the file's ETag.
eq "$(fetch "$G/ipfs/$ROOT/site/")" 200
same "$WORK/body" "$D/site/index.html"
eq "$(hdr Content-Type)" "text/html; charset=utf-8"
# The listing: every entry, sizes, CIDs, a parent link, its own ETag.
eq "$(fetch "$G/ipfs/$ROOT/")" 200
eq "$(hdr Content-Type)" "text/html; charset=utf-8"
eq "$(hdr Etag)" "\"DirIndex-trove3_CID-$ROOT\""
for n in a.txt big.bin sub site hostile hamt empty movie.mp4; do
  grep -q "<a href=\"/ipfs/$ROOT/$n\">$n</a>" "$WORK/body" || fail "listing lacks $n"
done
grep -q "$A_CID" "$WORK/body" || fail "listing lacks a.txt's CID"
grep -q '3.0 MiB' "$WORK/body" || fail "listing lacks big.bin's size"
expect_code 304 -H "If-None-Match: \"DirIndex-trove3_CID-$ROOT\"" "$G/ipfs/$ROOT/"
eq "$(fetch "$G/ipfs/$ROOT/sub/")" 200
grep -q "href=\"/ipfs/$ROOT/sub/\.\.\"" "$WORK/body" || fail "subdirectory listing has no parent link"
eq "$(fetch "$G/ipfs/$EMPTY_CID/")" 200
grep -q '0 entries' "$WORK/body" || fail "empty directory listing"

# Hostile names: escaped in text, percent-encoded in links, and each link
# leads to its file.
eq "$(fetch "$G/ipfs/$ROOT/hostile/")" 200
cp "$WORK/body" "$WORK/hostile.html"
if grep -q '<script' "$WORK/hostile.html"; then fail "raw <script> in a listing"; fi
if grep -q 'quo"te' "$WORK/hostile.html"; then fail 'raw " in a listing'; fi
grep -q '&lt;script&gt;alert(1)&lt;\\script&gt;.txt' "$WORK/hostile.html" || fail "escaped <script> name missing"
grep -q 'quo&quot;te.txt' "$WORK/hostile.html" || fail 'escaped " name missing'
grep -q 'apos&#39;trophe&amp;amp.txt' "$WORK/hostile.html" || fail "escaped ' & name missing"
grep -q "href=\"/ipfs/$ROOT/hostile/%3Cscript%3Ealert(1)%3C%5Cscript%3E.txt\"" "$WORK/hostile.html" || fail "<script> href"
grep -q "href=\"/ipfs/$ROOT/hostile/sp%20ace%23hash%3Fq=1%2525.txt\"" "$WORK/hostile.html" || fail "# ? % href"
n=0
for href in $(grep -o '<td class="n"><a href="[^"]*"' "$WORK/hostile.html" | sed 's/.*href="//; s/"$//' | grep -v '/\.\.$'); do
  eq "$(fetch "$G$href")" 200 "($href)"
  grep -q '^content of ' "$WORK/body" || fail "link $href: wrong body"
  n=$((n + 1))
done
eq "$n" 5
echo "ok directories: redirect, index.html, listing, hostile names escaped and linked"

# HAMT-sharded directory: a listing of all entries, and lookups inside.
eq "$(fetch "$G/ipfs/$HAMT_CID/")" 200
eq "$(grep -c "<td class=\"n\"><a href=\"/ipfs/$HAMT_CID/f[0-9]*.txt\">" "$WORK/body")" 6000
grep -q '6000 entries' "$WORK/body" || fail "HAMT listing footer"
for i in 00000 01234 05999; do
  eq "$(fetch "$G/ipfs/$ROOT/hamt/f$i.txt")" 200
  eq "$(cat "$WORK/body")" "$((10#$i))"
done
expect_code 404 "$G/ipfs/$ROOT/hamt/f06000.txt"
# It really is sharded: the directory's entity CAR holds its root and the
# shards below it (a flat directory would be one block over 256 KiB).
eq "$(fetch "$G/ipfs/$HAMT_CID?format=car&dag-scope=entity")" 200
shards=$($PY car "$WORK/body" "$HAMT_CID")
[ "$shards" -gt 2 ] || fail "HAMT entity CAR has $shards blocks"
echo "ok HAMT directory: 6000 entries listed, lookups"

# ------------------------------------------------------ trustless gateway
eq "$(fetch "$G/ipfs/$A_CID?format=raw")" 200
same "$WORK/body" "$D/a.txt"
eq "$(hdr Content-Type)" application/vnd.ipld.raw
eq "$(hdr Etag)" "\"$A_CID.raw\""
eq "$(fetch -H 'Accept: application/vnd.ipld.raw' "$G/ipfs/$ROOT/a.txt")" 200
same "$WORK/body" "$D/a.txt"
eq "$(hdr Vary)" Accept
eq "$(fetch "$G/ipfs/$ROOT?format=car")" 200
case "$(hdr Content-Type)" in application/vnd.ipld.car*) ;; *) fail "CAR content type: $(hdr Content-Type)";; esac
# Every block of the tree, each once (dups=n); identity CIDs are not sent.
nblocks=$(( $(t refs -r -u "$ROOT" | wc -l) + 1 ))
eq "$($PY car "$WORK/body" "$ROOT" "$nblocks")" "$nblocks"
# A path: the blocks on the way, then the file's.
eq "$(fetch -H 'Accept: application/vnd.ipld.car' "$G/ipfs/$ROOT/big.bin")" 200
eq "$($PY car "$WORK/body" "$ROOT" 6)" 6
eq "$(fetch "$G/ipfs/$ROOT/big.bin?format=car&dag-scope=block")" 200
eq "$($PY car "$WORK/body" "$ROOT" 2)" 2
eq "$(fetch "$G/ipfs/$BIG_CID?format=car&dag-scope=entity&entity-bytes=0:10")" 200
eq "$($PY car "$WORK/body" "$BIG_CID" 2)" 2
eq "$(fetch "$G/ipfs/$ROOT/hamt/f01234.txt?format=car&dag-scope=block")" 200
$PY car "$WORK/body" "$ROOT" >/dev/null
expect_code 400 "$G/ipfs/$ROOT?format=car&dag-scope=nope"
expect_code 400 "$G/ipfs/$BIG_CID?format=car&entity-bytes=x:y"
expect_code 400 "$G/ipfs/$ROOT?format=tar-or-something"
expect_code 406 -H 'Accept: application/vnd.ipld.dag-json' "$G/ipfs/$ROOT/a.txt"
expect_code 406 -H 'Accept: application/vnd.ipld.car; version=2' "$G/ipfs/$ROOT/a.txt"
expect_code 200 -H 'Accept: text/html,*/*;q=0.8' "$G/ipfs/$ROOT/a.txt"
echo "ok trustless: raw, CAR (blocks verified), scopes, 400/406"

# ------------------------------------------------------ errors, bad input
expect_code 400 "$G/ipfs/not-a-cid"
expect_code 400 "$G/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzd"
expect_code 400 "$G/ipfs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbd"
expect_code 400 "$G/ipfs/"
expect_code 404 "$G/ipfs/$ROOT/no-such-file"
expect_code 404 "$G/ipfs/$ROOT/a.txt/below-a-file"
expect_code 404 "$G/"
expect_code 404 "$G/etc/passwd"
expect_code 504 "$G/ipfs/$MISSING"
expect_code 504 "$G/ipfs/$MISSING?format=raw"
expect_code 500 "$G/ipns/example.com" # a DNSLink name nobody names (boxo: 500)
expect_code 400 "$G/ipns/not_a_name"
expect_code 405 -X POST "$G/ipfs/$ROOT/a.txt"
expect_code 405 -X PUT -d x "$G/ipfs/$ROOT/a.txt"
expect_code 405 -X DELETE "$G/ipfs/$ROOT/a.txt"
eq "$(fetch -X POST "$G/ipfs/$ROOT/a.txt")" 405
eq "$(hdr Allow)" "GET, HEAD, OPTIONS"
expect_code 200 -X OPTIONS "$G/ipfs/$ROOT/a.txt"
# Path traversal, as sent (--path-as-is) and percent-encoded.
expect_code 400 --path-as-is "$G/ipfs/$ROOT/../../etc/passwd"
expect_code 400 --path-as-is "$G/ipfs/$ROOT/sub/../a.txt"
expect_code 400 --path-as-is "$G/ipfs/$ROOT/./a.txt"
expect_code 400 --path-as-is "$G/ipfs/$ROOT/%2e%2e/%2e%2e/etc/passwd"
expect_code 400 --path-as-is "$G/ipfs/$ROOT/sub%2f..%2fa.txt"
expect_code 400 --path-as-is "$G/ipfs/$ROOT/%00"
expect_code 404 --path-as-is "$G/../../../etc/passwd"
# Protocol handler: /ipfs/?uri=ipfs://... redirects.
eq "$(fetch "$G/ipfs/?uri=ipfs%3A%2F%2F$A_CID")" 301
eq "$(hdr Location)" "/ipfs/$A_CID"
expect_code 400 "$G/ipfs/?uri=https%3A%2F%2Fexample.com"
# Huge headers and URLs.
big=$(head -c 20000 /dev/zero | tr '\0' a)
expect_code 431 -H "X-Big: $big" "$G/ipfs/$ROOT/a.txt"
expect_code 414 "$G/ipfs/$ROOT/$big"
$PY malformed "$PORT"
echo "ok errors: 400 404 405 414 431 501 504, traversal, malformed requests"

# ------------------------------------- a client that takes it for a proxy
# Absolute form: the URL's host is the request's (RFC 9112 3.2.2), not
# the Host header curl would send for another.
eq "$(fetch -x "$G" "http://files.example/ipfs/$ROOT/a.txt")" 200
same "$WORK/body" "$D/a.txt" "proxied body"
# CONNECT to the gateway itself (curl --proxytunnel): 200, and the
# tunnelled request is served by the gateway.
eq "$(fetch --proxytunnel -x "$G" "$G/ipfs/$ROOT/a.txt")" 200
same "$WORK/body" "$D/a.txt" "tunnelled body"
grep -q '^HTTP/1.1 200 OK' "$WORK/hdrs" || fail "no 200 to the CONNECT"
# CONNECT to any other host:port is refused: the gateway is no proxy.
for other in "http://127.0.0.1:1/" "http://example.org:25/" "http://10.1.2.3:$PORT/"; do
  got=$($C --proxytunnel -x "$G" -o /dev/null -w '%{http_connect}' "$other") || true
  eq "$got" 403
done
echo "ok proxy clients: absolute form, CONNECT to itself only"

# -------------------------------------------------------- HTTP/2 and h2c
for mode in --http2-prior-knowledge --http2; do
  eq "$($C $mode -o "$WORK/body" -w '%{http_version} %{http_code}' "$G/ipfs/$ROOT/big.bin")" "2 200"
  same "$WORK/body" "$D/big.bin" "h2 ($mode) body"
  eq "$($C $mode -o "$WORK/body" -w '%{http_version} %{http_code}' -r 1048570-1048585 "$G/ipfs/$ROOT/big.bin")" "2 206"
  slice 1048570 16; same "$WORK/body" "$WORK/want" "h2 ranged body"
  eq "$($C $mode -o /dev/null -w '%{http_version} %{http_code}' "$G/ipfs/not-a-cid")" "2 400"
  eq "$($C $mode -o /dev/null -w '%{http_version} %{http_code}' -H "If-None-Match: \"$A_CID\"" "$G/ipfs/$ROOT/a.txt")" "2 304"
done
# Many streams on one HTTP/2 connection at once (nghttp multiplexes the
# URIs it is given; curl 7.88's -Z over h2c fails against any server): the
# DATA bytes of each stream add up to its file's size.
nghttp -nv "$G/ipfs/$ROOT/big.bin" "$G/ipfs/$ROOT/one.bin" "$G/ipfs/$ROOT/a.txt" \
  "$G/ipfs/$ROOT/sub/deep.txt" "$G/ipfs/$BIG_CID" >"$WORK/nv" 2>&1 || fail "nghttp (5 streams)"
sizes=$(sed -n 's/.*recv DATA frame <length=\([0-9]*\), flags=0x0[01], stream_id=\([0-9]*\)>.*/\2 \1/p' "$WORK/nv" |
  awk '{s[$1] += $2} END {for (k in s) print s[k]}' | sort -n | tr '\n' ' ')
eq "$sizes" "$(stat -c %s "$D/a.txt") $(stat -c %s "$D/sub/deep.txt") 1048576 $BIGSIZE $BIGSIZE "
eq "$(grep -c 'recv (stream_id=[0-9]*) :status: 200' "$WORK/nv")" 5
# nghttp: prior knowledge, then the h2c upgrade, several URIs on one
# connection.
nghttp "$G/ipfs/$ROOT/big.bin" >"$WORK/body" || fail "nghttp failed"
same "$WORK/body" "$D/big.bin" "nghttp body"
nghttp -u "$G/ipfs/$ROOT/one.bin" >"$WORK/body" || fail "nghttp -u failed"
same "$WORK/body" "$D/one.bin" "nghttp -u body"
nghttp -uv "$G/ipfs/$ROOT/a.txt" >"$WORK/nv" 2>&1 || fail "nghttp -uv failed"
grep -q 'HTTP Upgrade success' "$WORK/nv" || fail "nghttp: no h2c upgrade"
grep -q 'recv (stream_id=1) :status: 200' "$WORK/nv" || fail "nghttp -u: stream 1 not 200"
grep -q 'recv (stream_id=1) x-ipfs-roots: '"$ROOT,$A_CID" "$WORK/nv" || fail "nghttp -u: X-Ipfs-Roots"
nghttp -nv "$G/ipfs/$ROOT/a.txt" "$G/ipfs/not-a-cid" "$G/ipfs/$MISSING" \
  "$G/ipfs/$ROOT/sub" -H 'range: bytes=0-1' >"$WORK/nv" 2>&1 || true
for s in 206 400 504 301; do
  grep -q ":status: $s" "$WORK/nv" || fail "nghttp: no $s among the streams"
done
nghttp -v -H "x-big: $(head -c 20000 /dev/zero | tr '\0' b)" "$G/ipfs/$ROOT/a.txt" >"$WORK/nv" 2>&1 || true
grep -q 'RST_STREAM\|GOAWAY\|:status: 431' "$WORK/nv" || fail "nghttp: a 20 KB header was accepted"
echo "ok HTTP/2: prior knowledge, h2c upgrade, parallel streams, nghttp"

# ----------------------------------- pipelining, keep-alive, rate limits
$PY pipeline "$PORT" "/ipfs/$ROOT/a.txt" "$D/a.txt"
$PY pipeline "$PORT" "/ipfs/$ROOT/big.bin" "$D/big.bin"
$PY keepalive "$PORT" "/ipfs/$ROOT/a.txt" "$D/a.txt"
# curl reuses one connection for several URLs.
$C -v -o /dev/null "$G/ipfs/$ROOT/a.txt" -o /dev/null "$G/ipfs/$ROOT/one.bin" 2>"$WORK/v"
grep -q 'Re-using existing connection' "$WORK/v" || fail "curl did not reuse the connection"
# A flood from one address runs past the token bucket: 429 with
# Retry-After; the others keep being answered.
$PY flood "$PORT" 9000
echo "ok pipelining, keep-alive, 429"

# ------------------------------------------------------------ still alive
sleep 2.5 # the bucket refills (2000 per second)
kill -0 $DPID || fail "daemon died"
eq "$(fetch "$G/ipfs/$ROOT/big.bin")" 200
same "$WORK/body" "$D/big.bin" "final body"
echo "ok daemon still serving"
