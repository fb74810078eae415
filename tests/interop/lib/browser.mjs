// browser.mjs — what the headless-Chromium interop scripts share: Debian's
// /usr/bin/chromium driven by playwright-core in a throwaway profile, and
// the tally of their checks.
//
//   import { ok, bad, check, inBrowser } from './lib/browser.mjs'
//   await inBrowser({ args: [...], viewport: {...} }, async (page, context) => {
//     ... ok('msg') / bad('msg') / check(cond, 'msg') ...
//   })
//
// inBrowser runs the body once, counts a throw as a failure, closes the
// browser, removes the profile, prints the tally and exits: 1 when any
// check failed, else 0.  Whatever is to be printed after the checks goes
// in the body.
import '../node22.mjs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

let failures = 0
export const ok = (msg) => console.log(`ok ${msg}`)
export const bad = (msg) => { console.log(`FAIL ${msg}`); failures++ }
export const check = (cond, msg) => cond ? ok(msg) : bad(msg)

// No sandbox (the tests may run as root), no GPU, and nothing a fresh
// browser fetches by itself (sync, component updates, QUIC), so that the
// requests a test sees are its page's.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

export async function inBrowser ({ args = [], viewport } = {}, body) {
  // A fresh profile directory: playwright passes it as --user-data-dir.
  const profile = await mkdtemp(join(tmpdir(), 'trove-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...ARGS, ...args],
    ...(viewport ? { viewport } : {}),
    timeout: 60000
  })
  try {
    await body(context.pages()[0] ?? await context.newPage(), context)
  } catch (e) {
    bad(`browser test threw: ${e.stack ?? e}`)
  } finally {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  }
  console.log(failures ? `${failures} failed` : 'all passed')
  process.exit(failures ? 1 : 0)
}
