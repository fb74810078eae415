#!/bin/bash
# bitswap_stream.sh — streaming over bitswap: a provider P of a ~100 MiB
# video (H.264 MP4, its index at the end, made here with ffmpeg) in a
# network namespace whose link is throttled (tc tbf, BSW_STREAM_RATE,
# default 200mbit: the whole file takes seconds), and nodes in the root
# namespace that hold none of it:
#   - node A's gateway answers a Range request for 1 MiB in the middle of
#     the file while a GET of the whole file runs beside it: the time to
#     first byte of the Range and the time of the whole file are printed,
#     and the Range's first byte must come before the whole file is in
#     (fetch-ahead from the reader's position, not from the start);
#     both byte-identical;
#   - node B's gateway serves a page (index.html beside the video, in one
#     directory) that headless Chromium loads and plays to currentTime >
#     1 s (bitswap_stream.mjs), the media requests answered 206.
# Needs root (ip netns, tc): prints "skip" and passes otherwise; needs
# ffmpeg, node, tests/interop/node_modules and /usr/bin/chromium (make
# deps).  Bounded in time; kills only what it started.
if [ -z "${BSW_STREAM_TIMED:-}" ]; then
  BSW_STREAM_TIMED=1 exec timeout -k 10 300 bash "$0" "$@"
fi
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/bsw_net_lib.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
bn_need_netns || exit 0
for x in /usr/bin/chromium ffmpeg node curl; do
  command -v $x >/dev/null || fail "$x missing: run 'make deps'"
done
[ -d tests/interop/node_modules/playwright-core ] || fail "node_modules missing: run 'make deps'"
RATE=${BSW_STREAM_RATE:-200mbit}
SECS=${BSW_STREAM_SECS:-28}
bn_init

D=$BN_WORK/site
mkdir -p "$D"
# ~30 Mbit/s of noise that does not compress: SECS=28 makes ~100 MiB.
ffmpeg -v error -y -f lavfi -i "testsrc2=duration=$SECS:size=640x360:rate=25" \
  -vf noise=alls=60:allf=t -c:v libx264 -preset ultrafast -b:v 30M -maxrate 30M -bufsize 8M -g 25 \
  -pix_fmt yuv420p "$D/movie.mp4"
cat >"$D/index.html" <<'H'
<!doctype html><title>stream</title><video id="v" muted playsinline preload="auto" src="movie.mp4"></video>
H
SIZE=$(stat -c %s "$D/movie.mp4")
bn_provider 1 "$RATE"
DIR=$(bn_tr 1 add -r -Q "$D")
MOV=$DIR/movie.mp4
bn_local a
bn_local b
for n in a b; do bn_tr $n swarm connect "${BN_ADDR[1]}" >/dev/null || fail "$n cannot connect"; done
echo "movie $((SIZE >> 20)) MiB, link $RATE; $DIR"

# A: the whole file and a Range in its middle, side by side.
MID=$((SIZE / 2))
curl -sf -m 240 -o "$BN_WORK/whole" -w '%{time_starttransfer} %{time_total}\n' \
  "${BN_GW[a]}/ipfs/$MOV" >"$BN_WORK/whole.t" &
W=$!
read -r ttfb rtotal < <(curl -sf -m 240 -r "$MID-$((MID + (1 << 20) - 1))" -o "$BN_WORK/range" \
  -w '%{time_starttransfer} %{time_total}\n' "${BN_GW[a]}/ipfs/$MOV") || fail "range request failed"
wait $W || fail "whole-file request failed"
read -r wttfb wtotal <"$BN_WORK/whole.t"
echo "Range of 1 MiB at $((MID >> 20)) MiB: first byte after ${ttfb} s, all of it after ${rtotal} s; the whole file: first byte ${wttfb} s, all ${wtotal} s"
cmp -s "$BN_WORK/whole" "$D/movie.mp4" || fail "the whole file differs"
cmp -s "$BN_WORK/range" <(tail -c +$((MID + 1)) "$D/movie.mp4" | head -c $((1 << 20))) || fail "the range differs"
awk -v a="$ttfb" -v b="$wtotal" 'BEGIN{exit !(a < b)}' || fail "the Range's first byte (${ttfb} s) came after the whole file (${wtotal} s)"
echo "ok - a Range in the middle was answered before the whole file was in"

# B: Chromium plays it.
(cd tests/interop && node bitswap_stream.mjs "${BN_GW[b]}" "$DIR")
echo "ok bitswap_stream"
