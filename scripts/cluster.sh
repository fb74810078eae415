#!/bin/sh
# Install IPFS Cluster for tests/interop/cluster_trove.sh: ipfs-cluster-service
# and ipfs-cluster-ctl v1.1.0 as $(go env GOPATH)/bin/ipfs-cluster-*, built
# from the Go module proxy.
#
# `go install github.com/ipfs-cluster/ipfs-cluster/cmd/ipfs-cluster-service@v1.1.0`
# refuses: go install reads the module's version list (for a deprecation
# notice) and the proxy answers that list, and @latest, with 403; only
# some exact versions are served (v1.1.0 and v1.0.8; not v1.1.1-v1.1.4).
# So the module is downloaded at its exact version and both commands are
# built inside it, with its own go.mod and go.sum.  A few minutes on 2
# cores; quick when the right version is already there.
set -e
V=v1.1.0
BIN=$(go env GOPATH)/bin
if [ -x "$BIN/ipfs-cluster-service" ] && [ -x "$BIN/ipfs-cluster-ctl" ] &&
   "$BIN/ipfs-cluster-service" --version 2>/dev/null | grep -q "${V#v}"; then
  exit 0
fi
command -v go >/dev/null || { echo "cluster: go is missing" >&2; exit 1; }
echo "building IPFS Cluster $V (a few minutes)"
dir=$(GOFLAGS=-mod=mod go mod download -json github.com/ipfs-cluster/ipfs-cluster@$V | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
src=$(mktemp -d /tmp/cluster-src.XXXXXX)
trap 'rm -rf "$src"' EXIT
cp -r "$dir"/. "$src"
chmod -R u+w "$src"
cd "$src"
mkdir -p "$BIN"
go build -mod=mod -trimpath -o "$BIN/" ./cmd/ipfs-cluster-service ./cmd/ipfs-cluster-ctl
"$BIN/ipfs-cluster-service" --version
