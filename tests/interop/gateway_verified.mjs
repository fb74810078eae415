// gateway_verified.mjs — trove's trustless gateway as the ONLY source of a
// verifying client.  @helia/verified-fetch runs on a Helia node with one
// block broker (trustless gateway, HTTP allowed, loopback allowed) and one
// router (a fallback router naming trove's gateway): no libp2p, no
// bootstrap, no delegated routing, no DNS - nothing but 127.0.0.1.  Every
// block it gets from trove is hashed and checked against its CID before use,
// so a fetch that returns the right bytes proves trove served valid blocks.
//
// Then @ipld/car's CarReader reads ?format=car responses: the header's root
// must be the requested CID, and every block must hash to its CID.
//
//   node gateway_verified.mjs GATEWAY_URL DATA_DIR ROOT_CID HAMT_CID
// DATA_DIR holds the files that were imported to make ROOT_CID.
import './node22.mjs'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createHeliaLight } from 'helia'
import { trustlessGatewayBlockBroker } from '@helia/trustless-gateway-client'
import { fallbackRouter } from '@helia/fallback-router'
import { createVerifiedFetchWithHelia } from '@helia/verified-fetch'
import { CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'
import * as raw from 'multiformats/codecs/raw'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { exporter } from 'ipfs-unixfs-exporter'
import { MemoryBlockstore } from 'blockstore-core/memory'

const [gw, dataDir, root, hamtRoot] = process.argv.slice(2)
let failures = 0
const ok = (msg) => console.log(`ok ${msg}`)
const bad = (msg) => { console.log(`FAIL ${msg}`); failures++ }
const eqBytes = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

// Watch what leaves the process: only the gateway may be contacted.
const realFetch = globalThis.fetch
const seen = new Set()
globalThis.fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input.url ?? String(input))
  seen.add(url.origin)
  if (url.origin !== new URL(gw).origin) throw new Error(`unexpected fetch of ${url}`)
  return realFetch(input, init)
}

// The fallback router says "ask this gateway" for every CID.  It is wrapped
// without its 'fallback' capability: Helia's routing runs the non-fallback
// routers first and, when there are none, its provider search never ends
// (helia 6 routing.js: findProviders over an empty list), so the fallback
// is never reached and the fetch hangs until the event loop empties.
const fr = fallbackRouter({ gateways: [gw] })
const troveRouter = { name: 'trove-gateway', findProviders: fr.findProviders.bind(fr) }
const helia = await createHeliaLight({
  blockBrokers: [trustlessGatewayBlockBroker({ allowInsecure: true, allowLocal: true })],
  routers: [troveRouter]
}).start()
const vfetch = await createVerifiedFetchWithHelia(helia)

async function checkFile (path, file) {
  const want = await readFile(join(dataDir, file))
  const res = await vfetch(`ipfs://${path}`, { signal: AbortSignal.timeout(60000) })
  if (res.status !== 200) return bad(`verified-fetch ${path}: status ${res.status}`)
  const got = new Uint8Array(await res.arrayBuffer())
  if (!eqBytes(got, want)) return bad(`verified-fetch ${path}: ${got.length} bytes differ from ${file} (${want.length})`)
  ok(`verified-fetch ${path}: ${got.length} bytes verified and equal to ${file}`)
}

try {
  await checkFile(`${root}/a.txt`, 'a.txt')
  await checkFile(`${root}/big.bin`, 'big.bin')      // several blocks, a dag-pb root
  await checkFile(`${root}/sub/deep.txt`, 'sub/deep.txt')
  await checkFile(`${hamtRoot}/f04321.txt`, 'hamt/f04321.txt') // through HAMT shards
  await checkFile(`${root}/hamt/f00007.txt`, 'hamt/f00007.txt')

  // A directory: its block, verified by verified-fetch and decoded here,
  // names exactly the entries on disk.  (verified-fetch answers 406 to a
  // dag-json Accept for dag-pb, and renders no listing of its own.)
  for (const [path, dir] of [[root, '.'], [`${root}/sub`, 'sub'], [`${root}/dups`, 'dups']]) {
    const res = await vfetch(`ipfs://${path}`, { headers: { accept: 'application/vnd.ipld.raw' }, signal: AbortSignal.timeout(60000) })
    if (res.status !== 200) { bad(`verified-fetch directory ${path}: status ${res.status}`); continue }
    const node = dagPb.decode(new Uint8Array(await res.arrayBuffer()))
    const fsType = UnixFS.unmarshal(node.Data).type
    const names = node.Links.map(l => l.Name).sort().join(' ')
    const want = (await readdir(join(dataDir, dir))).sort().join(' ')
    if (fsType !== 'directory' || names !== want) bad(`verified-fetch directory ${path}: ${fsType} [${names}] want [${want}]`)
    else ok(`verified-fetch directory ${path}: ${node.Links.length} entries as on disk`)
  }
  // A directory fetched as a whole CAR through verified-fetch (it verifies
  // each block as it walks the DAG).
  {
    const res = await vfetch(`ipfs://${root}/sub`, { headers: { accept: 'application/vnd.ipld.car' }, signal: AbortSignal.timeout(60000) })
    const bytes = new Uint8Array(await res.arrayBuffer())
    if (res.status !== 200 || bytes.length < 50) bad(`verified-fetch CAR of ${root}/sub: status ${res.status}, ${bytes.length} bytes`)
    else ok(`verified-fetch CAR of ${root}/sub: ${bytes.length} bytes`)
  }
  // index.html of a directory.
  {
    const res = await vfetch(`ipfs://${root}/site/`, { signal: AbortSignal.timeout(60000) })
    const text = await res.text()
    const want = await readFile(join(dataDir, 'site/index.html'), 'utf8')
    if (res.status !== 200 || text !== want) bad(`verified-fetch ${root}/site/: status ${res.status}, index.html not served`)
    else ok(`verified-fetch ${root}/site/: index.html`)
  }
} catch (e) {
  bad(`verified-fetch threw: ${e.stack ?? e}`)
}

// --------------------------------------------------------------- CARs
async function hashOf (cid, bytes) {
  if (cid.multihash.code === sha256.code) return sha256.digest(bytes)
  if (cid.multihash.code === identity.code) return identity.digest(bytes)
  throw new Error(`hash 0x${cid.multihash.code.toString(16)}`)
}

async function checkCar (query, rootCid, expect = {}) {
  const url = `${gw}/ipfs/${query}`
  const res = await realFetch(url, { headers: expect.accept ? { accept: expect.accept } : {} })
  if (res.status !== 200) return bad(`CAR ${query}: status ${res.status}`)
  const ctype = res.headers.get('content-type')
  if (!ctype?.startsWith('application/vnd.ipld.car')) bad(`CAR ${query}: content-type ${ctype}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  let reader
  try { reader = await CarReader.fromBytes(bytes) } catch (e) { return bad(`CAR ${query}: unreadable: ${e.message}`) }
  const roots = await reader.getRoots()
  if (roots.length !== 1 || !roots[0].equals(CID.parse(rootCid))) bad(`CAR ${query}: roots ${roots} not [${rootCid}]`)
  let n = 0; let first = null; const cids = new Set(); let dups = 0
  const store = new MemoryBlockstore()
  for await (const { cid, bytes: b } of reader.blocks()) {
    await store.put(cid, b)
    first ??= cid
    const d = await hashOf(cid, b)
    if (!eqBytes(d.bytes, cid.multihash.bytes)) bad(`CAR ${query}: block ${cid} does not hash to its CID`)
    // Blocks must decode under their codec.
    try {
      if (cid.code === dagPb.code) { const node = dagPb.decode(b); if (node.Data) UnixFS.unmarshal(node.Data) }
      else if (cid.code !== raw.code) bad(`CAR ${query}: unexpected codec 0x${cid.code.toString(16)}`)
    } catch (e) { bad(`CAR ${query}: block ${cid} does not decode: ${e.message}`) }
    if (cids.has(cid.toString())) dups++
    cids.add(cid.toString()); n++
  }
  if (!first || !first.equals(CID.parse(rootCid))) bad(`CAR ${query}: first block ${first} is not the root`)
  if (expect.blocks !== undefined && n !== expect.blocks) bad(`CAR ${query}: ${n} blocks, want ${expect.blocks}`)
  if (expect.dups === false && dups) bad(`CAR ${query}: ${dups} duplicate blocks with dups=n`)
  // The CAR alone must let a client walk the content path (the spec: the
  // blocks needed to verify the path, HAMT shards included) and, when it
  // holds the whole entity, read it.
  const path = query.split('?')[0]
  if (path.includes('/')) {
    try {
      const entry = await exporter(path, store, { signal: AbortSignal.timeout(5000) })
      if (expect.file) {
        const chunks = []
        for await (const c of entry.content()) chunks.push(c)
        if (!eqBytes(Buffer.concat(chunks), await readFile(join(dataDir, expect.file)))) bad(`CAR ${query}: ${expect.file} read from the CAR differs`)
      }
    } catch (e) {
      return bad(`CAR ${query}: the content path cannot be resolved from the CAR's blocks alone: ${e.message}`)
    }
  }
  ok(`CAR ${query}: root ok, ${n} blocks each hashing to its CID (${dups} duplicates)${path.includes('/') ? ', path resolvable from the CAR' : ''}`)
  return n
}

try {
  await checkCar(`${root}?format=car`, root, { dups: false })
  await checkCar(`${root}/big.bin?format=car`, root, { blocks: 6, dups: false, file: 'big.bin' })
  await checkCar(`${root}/big.bin`, root, { accept: 'application/vnd.ipld.car; version=1; order=dfs; dups=y', blocks: 6 })
  await checkCar(`${root}/sub?format=car&dag-scope=entity`, root)
  await checkCar(`${root}/big.bin?format=car&dag-scope=block`, root, { blocks: 2 })
  await checkCar(`${root}/big.bin?format=car&dag-scope=entity&entity-bytes=1048570:1048580`, root, { blocks: 4 })
  await checkCar(`${hamtRoot}/f04321.txt?format=car&dag-scope=entity`, hamtRoot, { file: 'hamt/f04321.txt' })
  await checkCar(`${root}/hamt/f00007.txt?format=car`, root, { file: 'hamt/f00007.txt' })
  await checkCar(`${root}/dups?format=car&dups=y`, root)
  const n = await checkCar(`${root}/dups?format=car`, root, { dups: false })
  if (n !== undefined) {
    // dups/ holds two identical files: with dups=n their one leaf once.
    const m = await checkCar(`${root}/dups?format=car&dups=y`, root)
    if (!(m > n)) bad(`CAR dups=y gave ${m} blocks, dups=n ${n}: duplicates not repeated`)
  }
} catch (e) {
  bad(`CAR checks threw: ${e.stack ?? e}`)
}

await helia.stop()
const others = [...seen].filter(o => o !== new URL(gw).origin)
if (others.length) bad(`contacted other origins: ${others.join(' ')}`)
else ok(`only ${new URL(gw).origin} was contacted`)
console.log(failures ? `${failures} failed` : 'all passed')
process.exit(failures ? 1 : 0)
