#!/bin/bash
# it_redirects.sh — `_redirects` files end to end, beyond what the ported
# conformance cases ask (tests/gwconf/cases_redirects.py): rules apply on
# a site's own origin only (CID.ipfs.localhost, a DNSLink site), never on
# the path gateway, where every site shares one origin; never to a path
# that exists; the request's query survives a redirect and wins over the
# rule's; HEAD of a custom 404; a rewrite to a directory serves its
# index.html; a rewrite to nothing is a 404; a malformed file, one that is
# a directory, and one too large are a 500 that says why; a placeholder
# cannot smuggle a header into the Location.
if [ -z "${IT_REDIRECTS_TIMED:-}" ]; then
  IT_REDIRECTS_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
checked_stop 5

t init >/dev/null
t config --json DNS.Resolvers '{".": "none"}' >/dev/null
S=$WORK/site
mkdir -p "$S/app" "$S/bad" "$S/dir/_redirects" "$S/big"
echo "my index" >"$S/index.html"
echo "app index" >"$S/app/index.html"
echo "my 404" >"$S/404.html"
echo "exists" >"$S/real.txt"
cat >"$S/_redirects" <<'EOF'
# a comment
/real.txt /elsewhere.txt
/go /target?keep=1&q=rule 302
/p/:id /item/:id 301
/app/* /app/ 200
/nothing /missing.html 200
/ext https://example.net/x 307
/gone/* /404.html 404
EOF
printf '/a /b 301\n/c\n' >"$S/bad/_redirects"
echo x >"$S/dir/_redirects/x"
python3 -c 'import sys; sys.stdout.write("/from /to 301\n" * 5100)' >"$S/big/_redirects"
ROOT=$(t add -r -Q --cid-version=1 "$S")
[ -n "$ROOT" ] || fail "add -r gave no CID"
cid() { t add -r -n -Q --cid-version=1 "$1"; }
BAD=$(cid "$S/bad")
DIR=$(cid "$S/dir")
BIG=$(cid "$S/big")
export IPFS_NS_MAP="site.example.org:/ipfs/$ROOT"
start_daemon
G="http://127.0.0.1:$GPORT"
sub() { echo "Host: $1.ipfs.localhost:$GPORT"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
loc() { curl -s -o /dev/null -w '%{redirect_url}' --max-time 10 "$@"; }
hdr() { curl -s -D - -o /dev/null --max-time 10 "$@" | tr -d '\r'; }

# The path gateway: no rules.
eq "$(code "$G/ipfs/$ROOT/go")" 404 "path gateway /go"
eq "$(code "$G/ipfs/$ROOT/gone/x")" 404 "path gateway /gone/x"
eq "$(code "$G/ipfs/$BAD/x")" 404 "path gateway, malformed file not read"
# On the site's origin: the rules.
eq "$(code -H "$(sub "$ROOT")" "$G/go")" 302 "subdomain /go"
eq "$(code -H 'Host: site.example.org' "$G/go")" 302 "DNSLink site /go"
ok "_redirects apply on sites' origins only, not on the path gateway"

# A path that exists is served, whatever the rules say.
eq "$(curl -s -H "$(sub "$ROOT")" "$G/real.txt")" "exists" "existing file"
# The query: kept, and the request's own wins.
eq "$(curl -s -o /dev/null -w '%{header_json}' -H "$(sub "$ROOT")" "$G/go?q=mine&z=2" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["location"][0])')" \
  "/target?keep=1&q=mine&z=2" "query merged"
eq "$(curl -s -o /dev/null -w '%{header_json}' -H "$(sub "$ROOT")" "$G/ext" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["location"][0])')" \
  "https://example.net/x" "307 to a URL"
eq "$(code -H "$(sub "$ROOT")" "$G/ext")" 307 "307 status"
# A placeholder's value is encoded: CR LF stays in the URL.
h=$(hdr -H "$(sub "$ROOT")" "$G/p/a%0d%0aX-Evil:%20yes")
grep -qi '^X-Evil' <<<"$h" && fail "a header smuggled through a placeholder"
grep -q '^Location: /item/a%0D%0AX-Evil:%20yes$' <<<"$h" || fail "placeholder Location: $h"
ok "existing paths untouched; query kept and preferred; a URL target; encoded placeholders"

# Rewrites: to a directory (its index.html), to nothing (404).
eq "$(curl -s -H "$(sub "$ROOT")" "$G/app/some/route")" "app index" "rewrite to a directory"
eq "$(code -H "$(sub "$ROOT")" "$G/nothing")" 404 "rewrite to a missing path"
# A custom 404, HEAD too: status, length, no body.
eq "$(curl -s -H "$(sub "$ROOT")" "$G/gone/x")" "my 404" "custom 404 body"
h=$(hdr -I -H "$(sub "$ROOT")" "$G/gone/x")
grep -q '^HTTP/1.1 404' <<<"$h" || fail "HEAD custom 404: $h"
grep -q '^Content-Length: 7$' <<<"$h" || fail "HEAD custom 404 length: $h"
grep -q '^Content-Type: text/html$' <<<"$h" || fail "HEAD custom 404 type: $h"
# On the DNSLink site it is not immutable.
h=$(hdr -H 'Host: site.example.org' "$G/gone/x")
grep -q '^HTTP/1.1 404' <<<"$h" || fail "DNSLink custom 404: $h"
grep -qi '^Cache-Control:.*immutable' <<<"$h" && fail "DNSLink custom 404 is immutable: $h"
ok "rewrites to a directory and to nothing; custom 404 on GET and HEAD; not immutable on DNSLink"

# Files that cannot be used: 500 with the reason.
body=$(curl -s -H "$(sub "$BAD")" "$G/x")
eq "$(code -H "$(sub "$BAD")" "$G/x")" 500 "malformed file"
grep -q "could not parse _redirects: line 2: missing 'to' path" <<<"$body" || fail "malformed: $body"
body=$(curl -s -H "$(sub "$DIR")" "$G/x")
grep -q "_redirects is not a file" <<<"$body" || fail "a directory: $body"
body=$(curl -s -H "$(sub "$BIG")" "$G/x")
grep -q "redirects file size cannot exceed 65536 bytes" <<<"$body" || fail "too large: $body"
# A site without a _redirects file: the plain 404.
eq "$(code -H "$(sub "$(cid "$S/app")")" "$G/x")" 404 "no _redirects"
ok "a malformed, a directory and a too large _redirects are 500s that say why; none is a 404"
