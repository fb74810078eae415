// bitswap_stream.mjs — headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) plays a video from the gateway of a trove
// node that does not hold it: the gateway fetches it over bitswap while
// the player reads.  Opens GATEWAY/ipfs/DIR/ (index.html, a <video> of
// movie.mp4 beside it), waits for `playing` and currentTime > 1 s, and
// prints how long that took and the media requests (206s).
//
//   node bitswap_stream.mjs GATEWAY_URL DIR_CID
import { ok, bad, inBrowser } from './lib/browser.mjs'

const [gw, dir] = process.argv.slice(2)

await inBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] }, async (page) => {
  const media = []
  page.on('response', r => {
    if (r.url().includes('movie.mp4')) media.push(`${r.status()} ${r.request().headers().range ?? ''}`)
  })
  const t0 = Date.now()
  const res = await page.goto(`${gw}/ipfs/${dir}/`, { waitUntil: 'load', timeout: 60000 })
  if (res.status() !== 200) bad(`index.html: status ${res.status()}`)
  const v = await page.evaluate(async () => {
    const v = document.getElementById('v')
    if (!v) return { error: 'no <video id="v"> in the page' }
    const t = Date.now()
    const playing = new Promise((resolve, reject) => {
      const to = setTimeout(() => reject(new Error(`no playing in 90 s (readyState ${v.readyState}, error ${v.error?.code} ${v.error?.message})`)), 90000)
      const check = () => { if (v.currentTime > 1) { clearTimeout(to); resolve() } }
      v.addEventListener('timeupdate', check)
      check()
    })
    v.muted = true
    await v.play()
    const playingAt = Date.now() - t
    await playing
    return { playingAt, pastOne: Date.now() - t, currentTime: v.currentTime, duration: v.duration, w: v.videoWidth, h: v.videoHeight }
  })
  if (v.error) throw new Error(v.error)
  ok(`Chromium played ${v.w}x${v.h}, ${v.duration.toFixed(1)} s: 'playing' after ${v.playingAt} ms, currentTime ${v.currentTime.toFixed(2)} s after ${v.pastOne} ms (page load ${Date.now() - t0} ms in all)`)
  if (!media.some(m => m.startsWith('206'))) bad(`no 206 among the media responses: ${media}`)
  else ok(`media requests: ${media.join(', ')}`)
})
