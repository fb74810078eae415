// cids.mjs DIR — the reference side of the import interop test.  For every
// case it imports the corpus written by corpus.mjs with js
// ipfs-unixfs-importer, configured as Kubo is by the profile (plus the
// case's own flags), and prints one line for import_cids.sh:
//
//   <case id> TAB <js root CID> TAB <kind> TAB <size or path> TAB <trove args>
//
// import_cids.sh runs trove with those args on the same input and compares.
// Input is walked as Kubo's `add -r` does: symlinks stored as UnixFS
// Symlink nodes { Type 4, Data target } (no filesize, as boxo writes them;
// js's UnixFS class would add one, so they are encoded here by hand), dot
// files left out unless --hidden, empty directories kept.
import { createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { UnixFS } from 'ipfs-unixfs'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

const dir = process.argv[2]
const pool = join(dir, 'pool')
const tree = join(dir, 'tree')
const MiB = 1048576
const KiB256 = 262144

function varint (n) {
  const out = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

// A symlink node exactly as boxo's unixfs.SymlinkData + dag.NodeWithData.
async function symlinkNode (target, cidVersion, path) {
  const t = new TextEncoder().encode(target)
  const data = Uint8Array.from([0x08, 0x04, 0x12, ...varint(t.length), ...t])
  const block = dagPb.encode({ Data: data, Links: [] })
  const cid = CID.create(cidVersion, dagPb.code, await sha256.digest(block))
  return { cid, path, unixfs: UnixFS.unmarshal(data), size: BigInt(block.length) }
}

// Candidates for a tree rooted at root (named by its base name).
function walk (root, hidden, symlinks) {
  const top = basename(root)
  const out = []
  const rec = (abs, rel) => {
    const names = readdirSync(abs).filter(n => hidden || !n.startsWith('.'))
    if (names.length === 0) out.push({ path: rel })
    for (const name of names) {
      const a = join(abs, name)
      const r = `${rel}/${name}`
      const st = lstatSync(a)
      if (st.isSymbolicLink()) {
        symlinks.set(r, readlinkSync(a))
        out.push({ path: r })
      } else if (st.isDirectory()) {
        rec(a, r)
      } else {
        out.push({ path: r, content: createReadStream(a) })
      }
    }
  }
  rec(root, top)
  return { top, candidates: out }
}

async function run (candidates, opts, want) {
  const symlinks = opts.symlinks ?? new Map()
  const options = {
    ...opts.js,
    dirBuilder: async (d, bs, o) => {
      if (symlinks.has(d.path)) return symlinkNode(symlinks.get(d.path), o.cidVersion, d.path)
      const u = new UnixFS({ type: 'directory' })
      const block = dagPb.encode(dagPb.prepare({ Data: u.marshal() }))
      const cid = CID.create(o.cidVersion, dagPb.code, await sha256.digest(block))
      return { cid, path: d.path, unixfs: u, size: BigInt(block.length) }
    }
  }
  let found
  for await (const e of importer(candidates, new BlackHoleBlockstore(), options)) {
    if (want === undefined || e.path === want) found = e.cid
  }
  if (found === undefined) throw new Error(`no result for ${want}`)
  return found.toString()
}

function stream (size) {
  if (size === 0) return (async function * () {})()
  return createReadStream(pool, { start: 0, end: size - 1, highWaterMark: 4 * MiB })
}

const common = [0, 1, 255, 256, 257, 1000]
const v0sizes = [KiB256 - 1, KiB256, KiB256 + 1, 3 * KiB256 + 7,
  174 * KiB256 - 1, 174 * KiB256, 174 * KiB256 + 1]
const v1small = [MiB - 1, MiB, MiB + 1, 5 * MiB + 3]
const v1big = [1024 * MiB - 1, 1024 * MiB, 1024 * MiB + 1]
const small = [0, 1, 255, 256, 257, 1023, 1024, 1025, 4096, 4097, 16384,
  16385, 65535, 65536, 65537, 100000]

const cases = []
for (const P of ['unixfs-v1-2025', 'unixfs-v0-2015']) {
  const v1 = P === 'unixfs-v1-2025'
  const sizes = [...common, ...v0sizes, ...v1small, ...(v1 ? v1big : [])]
  for (const s of sizes) {
    cases.push({ id: `${P} stream ${s}`, kind: 'stream', arg: s, trove: ['--profile', P], js: { profile: P } })
  }
  // The tree shape at every level, cheaply: 256-byte chunks, 4 links.
  for (const s of small) {
    cases.push({
      id: `${P} chunk256x4 ${s}`, kind: 'stream', arg: s,
      trove: ['--profile', P, '--chunker', 'size-256', '--max-file-links', '4'],
      js: { profile: P, chunker: fixedSize({ chunkSize: 256 }), layout: balanced({ maxChildrenPerNode: 4 }) }
    })
  }
  // Flags over the profile, resolved as Kubo resolves them.
  const flagged = v1
    ? [['--raw-leaves=false', { rawLeaves: false }], ['--cid-version=0', { cidVersion: 0 }]]
    : [['--raw-leaves', { rawLeaves: true }], ['--cid-version=1', { cidVersion: 1 }]]
  for (const [flag, js] of flagged) {
    for (const s of [0, 1000, MiB + 1, 3 * KiB256 + 7]) {
      cases.push({ id: `${P} ${flag} stream ${s}`, kind: 'stream', arg: s, trove: ['--profile', P, flag], js: { profile: P, ...js } })
    }
    cases.push({ id: `${P} ${flag} tree nested`, kind: 'tree', arg: join(tree, 'nested'), trove: ['--profile', P, flag], js: { profile: P, ...js } })
  }
  for (const t of ['nested', 'v1-at-threshold', 'v1-over-threshold', 'v0-at-threshold', 'v0-over-threshold', 'hamt-with-dirs']) {
    cases.push({ id: `${P} tree ${t}`, kind: 'tree', arg: join(tree, t), trove: ['--profile', P], js: { profile: P } })
  }
  cases.push({ id: `${P} tree nested --hidden`, kind: 'tree', arg: join(tree, 'nested'), hidden: true, trove: ['--profile', P, '--hidden'], js: { profile: P } })
  cases.push({ id: `${P} file report.pdf`, kind: 'file', arg: join(tree, 'single', 'report.pdf'), trove: ['--profile', P], js: { profile: P } })
  cases.push({ id: `${P} file -w report.pdf`, kind: 'file', arg: join(tree, 'single', 'report.pdf'), trove: ['--profile', P, '-w'], js: { profile: P, wrapWithDirectory: true }, wrap: true })
}

for (const c of cases) {
  let cid
  if (c.kind === 'stream') {
    cid = await run([{ path: 'f', content: stream(c.arg) }], { js: c.js }, 'f')
  } else if (c.kind === 'file') {
    const name = basename(c.arg)
    cid = await run([{ path: name, content: createReadStream(c.arg) }], { js: c.js }, c.wrap ? undefined : name)
  } else {
    const symlinks = new Map()
    const { top, candidates } = walk(c.arg, c.hidden === true, symlinks)
    cid = await run(candidates, { js: c.js, symlinks }, top)
  }
  process.stdout.write(`${c.id}\t${cid}\t${c.kind}\t${c.arg}\t${c.trove.join(' ')}\n`)
}
