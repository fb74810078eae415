// status_browser.mjs — headless Chromium (Debian's /usr/bin/chromium via
// playwright-core) on trove's status page (/status on the API listener):
// it loads, draws its transfer-rate chart, shows the figures the API
// gives, asks nothing of any other origin, and is kept as a screenshot.
//
//   node status_browser.mjs API_URL ARTIFACT_DIR EXPECT_JSON
// EXPECT_JSON: {"peer_id", "recursive", "cids": [...]} from the API.
import { ok, bad, inBrowser } from './lib/browser.mjs'
import { join } from 'node:path'

const [api, artifacts, expectJson] = process.argv.slice(2)
const want = JSON.parse(expectJson)

await inBrowser({ viewport: { width: 1200, height: 900 } }, async (page) => {
  const origins = new Set()
  page.on('request', r => origins.add(new URL(r.url()).origin))
  const errors = []
  page.on('pageerror', e => errors.push(String(e)))
  // Poll every second so that the chart gains points while we wait.
  const res = await page.goto(`${api}/status?poll=1000`, { waitUntil: 'load', timeout: 30000 })
  if (res.status() !== 200) bad(`status page: ${res.status()}`)
  // The chart is drawn once status.json has come: its lines and a point count.
  await page.waitForSelector('#chart[data-points] #line-in', { state: 'attached', timeout: 20000 })
  await page.waitForFunction(() => Number(document.querySelector('#chart').dataset.points) >= 1, null, { timeout: 20000 })
  // The store's figures are a cache at most 5 s old (node/obs.h): wait
  // for the pins to show, as a user would see them appear.
  await page.waitForFunction((n) => document.querySelector('#pins-recursive').textContent === String(n),
    want.recursive, { timeout: 20000 }).catch(() => {})
  const pts = await page.$eval('#line-in', el => el.getAttribute('points').split(' ').length)
  if (pts < 1) bad(`chart has ${pts} points`)
  const txt = async (id) => (await page.textContent(`#${id}`)).trim()
  if (await txt('peer') !== want.peer_id) bad(`peer ${await txt('peer')} != ${want.peer_id}`)
  if (await txt('pins-recursive') !== String(want.recursive)) bad(`recursive pins ${await txt('pins-recursive')} != ${want.recursive}`)
  if (await txt('blocks') !== String(want.blocks)) bad(`blocks ${await txt('blocks')} != ${want.blocks}`)
  const cids = await page.$$eval('#pins td.mono', tds => tds.map(td => td.textContent))
  for (const c of want.cids) if (!cids.includes(c)) bad(`pin ${c} not listed: ${cids}`)
  if (Number(await txt('gw-requests')) < want.gw_requests) bad(`gateway requests ${await txt('gw-requests')} < ${want.gw_requests}`)
  const scrub = await txt('scrub')
  if (!scrub) bad('no scrub section')
  if (await txt('err') !== '') bad(`page error line: ${await txt('err')}`)
  if (errors.length) bad(`script errors: ${errors}`)
  const foreign = [...origins].filter(o => o !== new URL(api).origin)
  if (foreign.length) bad(`asked other origins: ${foreign}`)
  const shot = join(artifacts, 'status.png')
  await page.screenshot({ path: shot, fullPage: true })
  ok(`status page: chart of ${pts} point(s), ${cids.length} pins listed, peer ${want.peer_id}`)
  console.log(`screenshot: ${shot}`)
})
