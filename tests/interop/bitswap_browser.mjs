// bitswap_browser.mjs — drives bitswap_browser_page.mjs in headless
// Chromium (lib/browser.mjs): opens PAGE_URL, runs the page's
// window.run({ma, cid, addSize}), prints its report as one JSON line
// ("report {...}"), then keeps the page (and its Helia node, connected to
// trove) alive until a line arrives on stdin, so that trove can fetch
// what the page added.
//
//   node bitswap_browser.mjs PAGE_URL MA CID ADD_SIZE
import { createInterface } from 'node:readline'
import { bad, check, inBrowser } from './lib/browser.mjs'

const [pageUrl, ma, cid, addSize] = process.argv.slice(2)
await inBrowser({}, async (page) => {
  page.on('console', m => { if (m.type() === 'error') console.log(`page console: ${m.text()}`) })
  page.on('pageerror', e => console.log(`page error: ${e.message}`))
  const res = await page.goto(pageUrl, { waitUntil: 'load', timeout: 30000 })
  check(res.status() === 200, `page loaded from trove's gateway (${res.status()})`)
  await page.waitForFunction(() => window.pageReady === true, null, { timeout: 30000 })
  let report
  try {
    report = await page.evaluate((a) => window.run(a), { ma, cid, addSize: Number(addSize) })
  } catch (e) {
    bad(`run: ${e.message}`)
    return
  }
  console.log(`report ${JSON.stringify(report)}`)
  // trove fetches from the page now; the shell says when it is done.
  const rl = createInterface({ input: process.stdin })
  await new Promise((resolve) => rl.once('line', resolve))
  rl.close()
})
