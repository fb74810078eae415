// api_csrf_browser.mjs — a hostile page in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core) against trove's RPC API:
// the page, served by trove's own gateway, fires the requests a web page
// can send anywhere - fetch(..., {method: 'POST', mode: 'no-cors'}) to
// pin/rm and to config (moving Addresses.API to 0.0.0.0), and a form
// POST - then reports what the browser saw.  api_csrf_browser.sh checks
// afterwards, over curl, that the pin and the config are untouched.
//
//   node api_csrf_browser.mjs PAGE_URL
// PAGE_URL carries the API's base URL and the pinned CID in its fragment.
import { bad, inBrowser } from './lib/browser.mjs'

const [pageUrl] = process.argv.slice(2)
await inBrowser({}, async (page) => {
  // What reached the API, as the browser sent it and as it was answered.
  const seen = []
  page.on('response', async r => {
    if (r.url().includes('/api/v0/')) {
      seen.push(`${r.request().method()} ${new URL(r.url()).pathname} -> ${r.status()} ` +
        `(Origin: ${r.request().headers().origin ?? '-'})`)
    }
  })
  const res = await page.goto(pageUrl, { waitUntil: 'load', timeout: 30000 })
  if (res.status() !== 200) bad(`page: status ${res.status()}`)
  await page.waitForFunction(() => window.attackDone === true, null, { timeout: 30000 })
  // The form POST navigates a frame: wait (bounded) for its answer too.
  for (let i = 0; i < 150 && seen.length < 3; i++) await page.waitForTimeout(100)
  const report = await page.evaluate(() => window.attackReport)
  console.log(`page: ${JSON.stringify(report)}`)
  for (const s of seen) console.log(`browser sent: ${s}`)
  if (seen.length < 3) bad(`only ${seen.length} API requests left the browser`)
})
