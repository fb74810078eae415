#!/bin/sh
# Install the reference node for the interop tests: Kubo v0.43.1 as
# $(go env GOPATH)/bin/ipfs, built from the Go module proxy.
#
# `go install github.com/ipfs/kubo/cmd/ipfs@v0.43.1` refuses: Kubo's go.mod
# replaces go-libp2p with a fork (github.com/lidel/go-libp2p) that the proxy
# does not serve.  So the module is downloaded, its go.mod freed of that
# replace and held to the quic-go/webtransport-go versions the released
# go-libp2p v0.49.0 builds with, and built.  The fork only carries the
# quic-go >= 0.62 bump (Kubo's go.mod says so), which TCP interop does not
# touch.  Quick when the right version is already there.
set -e
V=v0.43.1
BIN=$(go env GOPATH)/bin/ipfs
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "${V#v}"; then
  exit 0
fi
command -v go >/dev/null || { echo "kubo: go is missing" >&2; exit 1; }
echo "building Kubo $V (a few minutes)"
dir=$(GOFLAGS=-mod=mod go mod download -json github.com/ipfs/kubo@$V | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
src=$(mktemp -d /tmp/kubo-src.XXXXXX)
trap 'rm -rf "$src"' EXIT
cp -r "$dir"/. "$src"
chmod -R u+w "$src"
cd "$src"
sed -i '/^replace github.com\/libp2p\/go-libp2p =>/d' go.mod
go mod edit -require=github.com/quic-go/quic-go@v0.60.0 \
  -require=github.com/quic-go/webtransport-go@v0.11.1
mkdir -p "$(dirname "$BIN")"
go build -mod=mod -trimpath -o "$BIN" ./cmd/ipfs
"$BIN" version
