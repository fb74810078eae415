#!/bin/bash
# gateway_browser.sh — headless Chromium against trove's gateway: a
# directory listing (screenshot kept in tests/artifacts/), links followed,
# an MP4 played and seeked through Range requests.  See
# gateway_browser.mjs.  The MP4 (H.264, 8 s, a keyframe a second, a few
# tens of MB, so that no first response can hold it all) is made at test
# time with ffmpeg, its index (moov) at the end as ffmpeg writes it by default, so
# the browser must ask for a range in the middle of the file to play it.
#
# Needs node, tests/interop/node_modules, /usr/bin/chromium and ffmpeg
# (make deps).  Bounded in time; the daemon is killed on exit.
if [ -z "${GW_BROWSER_TIMED:-}" ]; then
  GW_BROWSER_TIMED=1 exec timeout -k 5 240 bash "$0" "$@"
fi
set -euo pipefail
cd "$(dirname "$0")"
TROVE=${TROVE_BIN:-$PWD/../../bin/trove}
ART=$(cd ../.. && pwd)/tests/artifacts
for x in /usr/bin/chromium ffmpeg node; do
  command -v $x >/dev/null || { echo "$x missing: run 'make deps'" >&2; exit 1; }
done
[ -d node_modules/playwright-core ] || { echo "node_modules missing: run 'make deps'" >&2; exit 1; }
WORK=$(mktemp -d /tmp/trove-gwb.XXXXXX)
export TROVE_PATH=$WORK/repo
DPID=""
cleanup() {
  local rc=$?
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

D=$WORK/data
mkdir -p "$D/sub" "$ART"
ffmpeg -v error -y -f lavfi -i testsrc2=duration=8:size=640x360:rate=25 \
  -vf noise=alls=60:allf=t -c:v libx264 -preset ultrafast -b:v 30M -maxrate 30M -bufsize 8M -g 25 \
  -pix_fmt yuv420p "$D/movie.mp4"
echo "some notes" >"$D/notes.txt"
echo "inside sub" >"$D/sub/inner.txt"
"$TROVE" init >/dev/null
ROOT=$("$TROVE" add -r -Q "$D")
"$TROVE" daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
  grep -q "Daemon is ready" "$WORK/daemon.log" && break
  kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; exit 1; }
  sleep 0.1
done
PORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
[ -n "$PORT" ] || { cat "$WORK/daemon.log"; exit 1; }
echo "gateway http://127.0.0.1:$PORT, root $ROOT, movie $(stat -c %s "$D/movie.mp4") bytes"
node gateway_browser.mjs "http://127.0.0.1:$PORT" "$ROOT" "$ART"
