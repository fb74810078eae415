#!/bin/bash
# it_api_auth.sh — Kubo's API.Authorizations on trove's RPC API: with
# scopes set, a request over TCP passes only with an Authorization header
# a scope names (bearer:, basic:USER:PASS, basic:BASE64, a bare token) to
# /api/v0/version or a path under the scope's AllowedPaths; anything else
# is 403 with Kubo's message, before the origin checks (a preflight too).
# trove's own CLI on the repo's Unix socket needs no token, and over TCP
# sends one from the config.  Kubo's CLI
# with --api-auth gets in, without it is refused.  Without Authorizations
# nothing changes.
source "$(dirname "$0")/lib.sh"

t init >/dev/null
t config --json Addresses.Swarm '[]' >/dev/null
t config --json API.Authorizations '{
  "alice": {"AuthSecret": "bearer:s3cret", "AllowedPaths": ["/api/v0/id", "/api/v0/pin"]},
  "bob": {"AuthSecret": "basic:bob:pw", "AllowedPaths": ["/api/v0"]},
  "carol": {"AuthSecret": "basic:Y2Fyb2w6eA==", "AllowedPaths": ["/api/v0/version"]},
  "dave": {"AuthSecret": "t0k3n", "AllowedPaths": ["/api/v0/repo/stat"]},
  "eve": {"AuthSecret": "rot13:x", "AllowedPaths": ["/api/v0"]}
}' >/dev/null
start_daemon
checked_stop 10
A=http://127.0.0.1:$APORT/api/v0
code() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST "$@"; }
eq "$(code "$A/id")" 403 "no token"
eq "$(cat "$WORK/body")" "Kubo RPC Access Denied: Please provide a valid authorization token as defined in the API.Authorizations configuration." "the message"
eq "$(code "$A/version")" 403 "version without a token"
eq "$(code -H 'Authorization: Bearer s3cret' "$A/id")" 200 "alice: id"
eq "$(code -H 'Authorization: Bearer s3cret' "$A/version")" 200 "alice: version"
eq "$(code -H 'Authorization: Bearer s3cret' "$A/pin/ls")" 200 "alice: pin/ls"
eq "$(code -H 'Authorization: Bearer s3cret' "$A/repo/stat")" 403 "alice: repo/stat"
eq "$(code -H 'Authorization: Bearer wrong' "$A/id")" 403 "a wrong token"
eq "$(code -H 'Authorization: bearer s3cret' "$A/id")" 403 "the scheme's case (Kubo compares the header whole)"
eq "$(code -u bob:pw "$A/repo/stat")" 200 "bob (basic user:password)"
eq "$(code -u bob:pw -F "file=@$0" "$A/add")" 200 "bob: add"
eq "$(code -u carol:x "$A/version")" 200 "carol (basic base64)"
eq "$(code -u carol:x "$A/id")" 403 "carol: id"
eq "$(code -H 'Authorization: Bearer t0k3n' "$A/repo/stat")" 200 "dave (a bare token)"
eq "$(code -H 'Authorization: rot13:x' "$A/id")" 403 "eve (a type Kubo does not know)"
eq "$(code -X OPTIONS -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST' "$A/id")" 403 "a preflight without a token"
ok "API.Authorizations: tokens, scopes and paths as Kubo's"

t id >/dev/null || fail "trove's CLI through the Unix socket"
echo hi | t add -Q >/dev/null || fail "trove add through the Unix socket"
ok "trove's CLI on the repo's socket needs no token"

# Without the socket the CLI goes over TCP and sends the token of the
# first scope that allows the path, from the repo's config.
rm -f "$TROVE_PATH/api.sock"
t id >/dev/null || fail "trove id over TCP (alice's scope)"
t repo stat >/dev/null || fail "trove repo stat over TCP (bob's scope)"
ok "trove's CLI over TCP sends a token the config allows for the path"

IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
if [ -x "$IPFS" ]; then
  export IPFS_PATH=$WORK/kubo
  "$IPFS" init --profile=test >/dev/null 2>&1
  KA=/ip4/127.0.0.1/tcp/$APORT
  "$IPFS" --api="$KA" --api-auth=bearer:s3cret id >/dev/null || fail "Kubo's CLI with --api-auth"
  "$IPFS" --api="$KA" id >/dev/null 2>&1 && fail "Kubo's CLI without a token"
  "$IPFS" --api="$KA" --api-auth=basic:bob:pw repo stat >/dev/null || fail "Kubo's CLI as bob"
  ok "Kubo's CLI: in with --api-auth, refused without"
fi
