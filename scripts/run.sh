#!/bin/sh
# `make run`: init a repo if there is none, then start the node's main job.
# The repo is $TROVE_PATH or ~/.trove.
set -e
BIN=${1:-bin/trove}
REPO=${TROVE_PATH:-$HOME/.trove}
if [ ! -f "$REPO/config" ]; then
  "$BIN" --repo "$REPO" init
fi
if "$BIN" daemon --help >/dev/null 2>&1; then
  exec "$BIN" --repo "$REPO" daemon
fi
# No daemon in this build yet: show the repo.
"$BIN" --repo "$REPO" repo stat
