#!/bin/bash
# it_gwconf.sh — the gateway conformance cases (tests/gwconf/, ported by
# hand from ipfs/gateway-conformance v0.13.2: the Go module proxy does not
# serve the suite here; Ipfs-Uri read where it read X-Ipfs-Path, as
# v0.14.0 does: gwconf/gwconf.py) against a trove daemon on 127.0.0.1.
#
# The fixtures are loaded as Kubo's CI loads them: every fixture CAR with
# `dag import` (roots not pinned: some CARs are partial DAGs on purpose),
# every IPNS record with `routing put --allow-offline` (a record trove
# refuses is left out: the cases that need it fail and are listed).
# The fixtures' DNSLink names (every dnslink.yml) go in through the offline
# name map, Kubo's IPFS_NS_MAP; DNS itself is off (DNS.Resolvers "." none).
#
# Fails on any case that fails and is not in tests/gwconf/expected_failures.txt,
# and on a listed case that now passes.  The report is kept in
# build/artifacts/gwconf.txt (GWCONF_OUT overrides).
if [ -z "${IT_GWCONF_TIMED:-}" ]; then
  IT_GWCONF_TIMED=1 exec timeout -k 5 300 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/gwconf/fixtures
OUT=${GWCONF_OUT:-$HERE/../build/artifacts/gwconf.txt}
checked_stop 5
command -v python3 >/dev/null || fail "python3 is missing"

t init >/dev/null
t config Gateway.RetrievalTimeout 2s >/dev/null
# The CARs: each on its own (a CAR with a block trove refuses must not
# keep the others out); the import log lists any refusal.
find "$FIX" -name '*.car' | sort | while read -r car; do
  t dag import --pin-roots=false "$car" >>"$WORK/import.log" 2>&1 ||
    echo "dag import refused ${car#$FIX/}" >>"$WORK/import.log"
done
t config --json DNS.Resolvers '{".": "none"}' >/dev/null
# The suite's subdomain gateway (its default --subdomain-url), as Kubo's CI.
t config --json Gateway.PublicGateways \
  '{"example.com": {"UseSubdomains": true, "InlineDNSLink": true, "Paths": ["/ipfs", "/ipns"]}}' >/dev/null
IPFS_NS_MAP=$(python3 "$HERE/gwconf/cases_dnslink.py") || fail "the DNSLink map"
export IPFS_NS_MAP
start_daemon
find "$FIX" -name '*.ipns-record' | sort | while read -r rec; do
  name=$(basename "$rec" .ipns-record); name=${name%%_*}
  t routing put --allow-offline "/ipns/$name" "$rec" >>"$WORK/import.log" 2>&1 ||
    echo "routing put refused ${rec#$FIX/}" >>"$WORK/import.log"
done
grep refused "$WORK/import.log" || true

python3 "$HERE/gwconf/gwconf.py" --gateway "http://127.0.0.1:$GPORT" \
  --expected "$HERE/gwconf/expected_failures.txt" --out "$OUT" "$@" | tail -1
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ]; then
  grep -A12 '^FAIL \|^XPASS\|^STALE' "$OUT" | head -150 >&2
  fail "gateway conformance: unexpected results (report: $OUT)"
fi
echo "ok gateway conformance (report: $OUT)"
