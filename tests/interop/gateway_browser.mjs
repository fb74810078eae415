// gateway_browser.mjs — headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) against trove's gateway: load a directory
// listing, screenshot it, follow a link in it, and play an MP4 from the
// gateway with a seek, checking that the browser's media requests were
// answered with 206 Partial Content.
//
//   node gateway_browser.mjs GATEWAY_URL ROOT_CID ARTIFACT_DIR
// ROOT_CID is a directory holding movie.mp4, notes.txt and sub/.
import { ok, bad, inBrowser } from './lib/browser.mjs'
import { join } from 'node:path'

const [gw, root, artifacts] = process.argv.slice(2)

await inBrowser({ viewport: { width: 1100, height: 700 } }, async (page) => {
  // Everything the page asks for must come from the gateway.
  const origins = new Set()
  page.on('request', r => origins.add(new URL(r.url()).origin))
  const media = []
  page.on('response', r => {
    if (r.url().includes('movie.mp4')) media.push({ status: r.status(), range: r.request().headers().range ?? '' })
  })

  // 1. The listing.
  const listing = `${gw}/ipfs/${root}/`
  const res = await page.goto(listing, { waitUntil: 'load', timeout: 30000 })
  if (res.status() !== 200) bad(`listing: status ${res.status()}`)
  const names = await page.$$eval('td.n a', as => as.map(a => a.textContent))
  for (const n of ['movie.mp4', 'notes.txt', 'sub']) {
    if (!names.includes(n)) bad(`listing lacks ${n}: ${names}`)
  }
  const title = await page.title()
  if (!title.includes(root)) bad(`listing title ${title}`)
  await page.screenshot({ path: join(artifacts, 'gateway_listing.png'), fullPage: true })
  ok(`listing of ${root}: ${names.length} entries, screenshot in ${artifacts}/gateway_listing.png`)

  // 2. Follow links: into sub/, then to a file there, then back up.
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), page.click('td.n a[href$="/sub"]')])
  // sub has no trailing slash in the href (an absolute path, as Kubo's): the gateway redirects to sub/.
  if (!page.url().endsWith(`/ipfs/${root}/sub/`)) bad(`after following "sub": at ${page.url()}`)
  const inner = await page.$$eval('td.n a', as => as.map(a => a.textContent))
  if (!inner.includes('inner.txt')) bad(`sub listing: ${inner}`)
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), page.click('td.n a[href$="/inner.txt"]')])
  const body = await page.textContent('body')
  if (body.trim() !== 'inside sub') bad(`inner.txt shows ${JSON.stringify(body)}`)
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), page.goBack()])
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), page.click('td.n a[href$="/.."]')])
  if (!page.url().endsWith(`/ipfs/${root}/`)) bad(`".." led to ${page.url()}`)
  ok('followed links: sub/ (via the trailing-slash redirect), inner.txt, back, ..')

  // 3. The video: play, reach readyState >= 2, seek near the end.
  await page.setContent(`<video id="v" muted preload="auto" src="${gw}/ipfs/${root}/movie.mp4"></video>`)
  const v = await page.evaluate(async () => {
    const v = document.getElementById('v')
    const until = (ev, ms) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${ev} in ${ms} ms (readyState ${v.readyState}, error ${v.error?.code} ${v.error?.message})`)), ms)
      v.addEventListener(ev, () => { clearTimeout(t); resolve() }, { once: true })
    })
    if (v.readyState < 2) await until('loadeddata', 20000)
    const duration = v.duration
    await v.play()
    await new Promise(resolve => setTimeout(resolve, 500))
    const playedTo = v.currentTime
    v.pause()
    const target = duration - 1.5
    const seeked = until('seeked', 20000)
    v.currentTime = target
    await seeked
    if (v.readyState < 2) await until('canplay', 20000)
    return { duration, playedTo, currentTime: v.currentTime, readyState: v.readyState, w: v.videoWidth, h: v.videoHeight }
  })
  if (!(v.readyState >= 2)) bad(`video readyState ${v.readyState}`)
  if (!(v.duration > 5)) bad(`video duration ${v.duration}`)
  if (!(v.playedTo > 0)) bad(`video did not play (currentTime ${v.playedTo})`)
  if (!(Math.abs(v.currentTime - (v.duration - 1.5)) < 0.6)) bad(`seek landed at ${v.currentTime} of ${v.duration}`)
  ok(`video ${v.w}x${v.h}, ${v.duration.toFixed(2)} s: played to ${v.playedTo.toFixed(2)} s, seeked to ${v.currentTime.toFixed(2)} s, readyState ${v.readyState}`)
  const partial = media.filter(m => m.status === 206)
  // The index is at the end of the file: playing it takes a range that
  // does not start at 0.
  if (!partial.length) bad(`no 206 among the media responses: ${JSON.stringify(media)}`)
  else if (!partial.some(m => /^bytes=[1-9]/.test(m.range))) bad(`no 206 for a range past byte 0: ${JSON.stringify(media)}`)
  else ok(`media requests: ${media.map(m => `${m.status} ${m.range}`).join(', ')}`)
  const others = [...origins].filter(o => o !== new URL(gw).origin && o !== 'null')
  if (others.length) bad(`the page reached other origins: ${others}`)
})
