#!/bin/sh
# Install what trove needs that is missing: Debian packages with apt-get (as
# root; otherwise print the exact command and fail), then the npm packages of
# the interop tests.  Quiet and quick when everything is already there.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev liblmdb-dev lmdb-utils
 libsodium-dev libssl-dev libnghttp2-dev nghttp2-client libprotobuf-c-dev zlib1g-dev
 protobuf-c-compiler libcmocka-dev libuv1-dev libjansson-dev libhttp-parser-dev
 curl wrk nginx-light ipfs-cid chromium ffmpeg prometheus strace"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# The machine image ships Node.js with npm (nodesource); Debian's npm package
# would conflict with it, so only a machine without node gets Debian's.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "trove: missing packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
  fi
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# npm packages for the interop tests (pinned by package-lock.json).
if [ -f tests/interop/package.json ]; then
  if [ ! -d tests/interop/node_modules ] || [ tests/interop/package.json -nt tests/interop/node_modules ]; then
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error) && touch tests/interop/node_modules
  fi
fi
# The reference Kubo for the libp2p interop tests and IPFS Cluster, built
# from the Go module proxy; only where Go is installed (the tests skip
# without them).
if command -v go >/dev/null 2>&1; then
  scripts/kubo.sh
  # IPFS Cluster for tests/interop/cluster_trove.sh (skips without it).
  scripts/cluster.sh
fi
