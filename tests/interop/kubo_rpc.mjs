// kubo_rpc.mjs API API2 DATA EXPECTED.json — kubo-rpc-client, unchanged,
// against trove's RPC API (run by kubo_rpc.sh).  Every call a JS app makes
// for add, cat, get, ls, refs, pin, block, dag put/get/resolve/export/import,
// id, version,
// config (replace too), repo gc/stat/version, commands, diag cmds/sys and
// log ls/tail, with the answers checked: CIDs against what
// `trove add` gave for the same bytes (EXPECTED.json, written by the shell
// side) and against js ipfs-unixfs-importer with trove's default profile
// (unixfs-v1-2025); bytes, names, types and sizes against the files in DATA.
// Exits non-zero on the first failure.

// Node 20: the JS IPFS stack expects Node 22's Promise.withResolvers
// (/work/shared/DESIGN.md, Tests); provide it before anything loads.
if (!Promise.withResolvers) {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new Promise((a, b) => { resolve = a; reject = b })
    return { promise, resolve, reject }
  }
}

const { readFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { create, globSource } = await import('kubo-rpc-client')
const { importer } = await import('ipfs-unixfs-importer')
const { MemoryBlockstore } = await import('blockstore-core/memory')
const { CarReader } = await import('@ipld/car')
const { CID } = await import('multiformats/cid')
const { sha256 } = await import('multiformats/hashes/sha2')
const raw = await import('multiformats/codecs/raw')

const [api, api2, data, expectedPath] = process.argv.slice(2)
const want = JSON.parse(readFileSync(expectedPath, 'utf8'))
const ipfs = create({ url: api })
const ipfs2 = create({ url: api2 })
let checks = 0

function eq (got, exp, what) {
  if (`${got}` !== `${exp}`) throw new Error(`${what}: expected ${exp}, got ${got}`)
  checks++
}
function ok (cond, what) {
  if (!cond) throw new Error(what)
  checks++
}
async function collect (it) {
  const out = []
  for await (const x of it) out.push(x)
  return out
}
async function bytes (it) {
  const parts = await collect(it)
  const n = parts.reduce((a, p) => a + p.length, 0)
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
function same (a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
// The root js ipfs-unixfs-importer gives with trove's default profile.
async function jsRoot (candidates, opts = {}) {
  let last
  for await (const e of importer(candidates, new MemoryBlockstore(), { profile: 'unixfs-v1-2025', ...opts })) last = e
  return last.cid.toString()
}
// Entry names and types of a tar stream (ustar, with PAX path records).
function tarEntries (buf) {
  const out = []
  let off = 0
  let paxPath = null
  const str = (a, b) => new TextDecoder().decode(buf.subarray(a, b)).replace(/\0.*$/s, '')
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512)
    if (h.every(x => x === 0)) break
    const size = parseInt(str(off + 124, off + 136), 8) || 0
    const type = String.fromCharCode(h[156])
    let name = str(off, off + 100)
    const prefix = str(off + 345, off + 500)
    if (prefix) name = `${prefix}/${name}`
    const body = buf.subarray(off + 512, off + 512 + size)
    if (type === 'x') {
      const m = new TextDecoder().decode(body).match(/\d+ path=([^\n]*)\n/)
      paxPath = m ? m[1] : null
    } else {
      out.push({ name: paxPath ?? name, type, size, body, link: str(off + 157, off + 257) })
      paxPath = null
    }
    off += 512 + Math.ceil(size / 512) * 512
  }
  return out
}

const file = (p) => new Uint8Array(readFileSync(join(data, p)))
const hello = new TextEncoder().encode('hello\n')
const big = file('tree/big.bin')

// ------------------------------------------------------------- node
const v = await ipfs.version()
ok(typeof v.version === 'string' && v.version.length > 0, 'version')
const id = await ipfs.id()
eq(id.id.toString(), want.peerid, 'id')
ok(id.agentVersion.startsWith('trove/'), 'agentVersion')

// -------------------------------------------------------------- add
let r = await ipfs.add(hello)
eq(r.cid, want.hello, 'add bytes = trove add')
eq(r.cid, await jsRoot([{ content: hello }]), 'add bytes = js importer')
eq(r.size, 6, 'add size')
let progress = 0
r = await ipfs.add({ path: 'big.bin', content: big }, { progress: (b) => { progress = b } })
eq(r.cid, want.big, 'add 3.5 MB = trove add')
eq(r.cid, await jsRoot([{ content: big }]), 'add 3.5 MB = js importer')
eq(r.path, 'big.bin', 'add path')
eq(progress, big.length, 'progress reached the file size')
r = await ipfs.add(big, { cidVersion: 0, rawLeaves: false, chunker: 'size-262144' })
eq(r.cid, want.bigV0, 'add with cidVersion 0 = trove add --cid-version=0 --raw-leaves=false')
eq(r.cid, await jsRoot([{ content: big }], { profile: 'unixfs-v0-2015' }), 'add v0 = js importer')

// UnixFS 1.5 metadata: the client puts each entry's mode and mtime in its
// part's form name; with preserveMode/preserveMtime they are stored (the
// same root as `trove add --preserve-mode --preserve-mtime` of a file
// with that mode and mtime) and echoed back.
r = await ipfs.add({ path: 'meta.txt', content: hello, mode: 0o640, mtime: { secs: 1700000000, nsecs: 5 } },
  { preserveMode: true, preserveMtime: true })
eq(r.cid, want.meta, 'add with mode and mtime = trove add --preserve-mode --preserve-mtime')
eq(r.mode, 0o640, 'add echoes the mode')
eq(r.mtime?.secs, 1700000000, 'add echoes the mtime')
eq(r.mtime?.nsecs, 5, 'add echoes the nanoseconds')
r = await ipfs.add({ path: 'meta.txt', content: hello, mode: 0o640, mtime: { secs: 1700000000, nsecs: 5 } })
eq(r.cid, want.hello, 'without preserveMode/preserveMtime nothing is stored')

// A tree with wrapWithDirectory: files, a subdirectory, an empty one.
const tree = [
  { path: 'tree/a.txt', content: file('tree/a.txt') },
  { path: 'tree/big.bin', content: big },
  { path: 'tree/empty' },
  { path: 'tree/sub/b.txt', content: file('tree/sub/b.txt') }
]
const added = await collect(ipfs.addAll(tree, { wrapWithDirectory: true }))
const wrap = added[added.length - 1]
eq(wrap.path, '', 'wrapper is named ""')
eq(wrap.cid, want.treeWrapped, 'addAll -w = trove add -r -w')
eq(wrap.cid, await jsRoot(tree.map(e => ({ ...e })), { wrapWithDirectory: true }), 'addAll -w = js importer')
const treeCid = added.find(e => e.path === 'tree').cid.toString()
eq(treeCid, want.tree, 'the tree = trove add -r')
eq(added.map(e => e.path).join(','), 'tree/a.txt,tree/big.bin,tree/sub/b.txt,tree/empty,tree/sub,tree,', 'addAll order')
// The same directory from disk with globSource, as apps add folders.
const globbed = await collect(ipfs.addAll(globSource(data, 'tree/**/*'), { wrapWithDirectory: true }))
eq(globbed.find(e => e.path === 'tree').cid, want.tree, 'globSource tree = trove add -r')

// ------------------------------------------------------ cat / ls / get
ok(same(await bytes(ipfs.cat(`/ipfs/${treeCid}/big.bin`)), big), 'cat big.bin')
ok(same(await bytes(ipfs.cat(want.big, { offset: 1000000, length: 70000 })), big.subarray(1000000, 1070000)), 'cat offset/length')
eq(new TextDecoder().decode(await bytes(ipfs.cat(`${treeCid}/sub/b.txt`))), 'b\n', 'cat path')
const ls = await collect(ipfs.ls(treeCid))
eq(ls.map(e => `${e.name}:${e.type}:${e.size}`).join(' '), `a.txt:file:1 big.bin:file:${big.length} empty:dir:0 sub:dir:0`, 'ls')
eq(ls[0].path, `${treeCid}/a.txt`, 'ls path')
eq(ls[0].cid, await jsRoot([{ content: file('tree/a.txt') }]), 'ls cid')
const entries = tarEntries(await bytes(ipfs.get(treeCid)))
eq(entries.map(e => `${e.name}:${e.type}`).join(' '),
  `${treeCid}:5 ${treeCid}/a.txt:0 ${treeCid}/big.bin:0 ${treeCid}/empty:5 ${treeCid}/sub:5 ${treeCid}/sub/b.txt:0`, 'get: tar entries')
ok(same(entries[2].body, big), 'get: file bytes')

// -------------------------------------------------------------- refs
const refs = await collect(ipfs.refs(treeCid, { recursive: true }))
eq(refs.length, 9, 'refs -r: a, big + 4 leaves, empty, sub, b')
ok(refs.every(x => !x.err), 'refs without errors')
const local = (await collect(ipfs.refs.local())).map(x => x.ref)
ok(local.includes(CID.createV1(raw.code, await sha256.digest(hello)).toString()), 'refs local')

// ------------------------------------------------------------- block
const blk = new TextEncoder().encode('a block from kubo-rpc-client')
const bcid = await ipfs.block.put(blk)
eq(bcid, CID.createV1(raw.code, await sha256.digest(blk)), 'block put')
ok(same(await ipfs.block.get(bcid), blk), 'block get')
eq((await ipfs.block.stat(bcid)).size, blk.length, 'block stat')

// --------------------------------------------------------------- pin
eq(await ipfs.pin.add(bcid), bcid.toString(), 'pin add')
let pins = await collect(ipfs.pin.ls({ type: 'recursive' }))
ok(pins.some(p => p.cid.equals(bcid) && p.type === 'recursive'), 'pin ls recursive')
pins = await collect(ipfs.pin.ls({ paths: [`${treeCid}/sub`] }))
ok([`indirect through ${treeCid}`, `indirect through ${wrap.cid}`].includes(pins[0].type), `pin ls of an indirect pin: ${pins[0].type}`)
const removed = await collect(ipfs.block.rm(bcid))
ok(removed[0].error && /pinned/.test(removed[0].error.message), 'block rm refuses a pinned block')
eq(await ipfs.pin.rm(bcid), bcid.toString(), 'pin rm')
const rm2 = await collect(ipfs.block.rm(bcid))
ok(rm2[0].cid.equals(bcid) && !rm2[0].error, 'block rm')

// -------------------------------------------------- dag export / import
const car = await bytes(ipfs.dag.export(CID.parse(treeCid)))
const reader = await CarReader.fromBytes(car)
eq((await reader.getRoots())[0], treeCid, 'dag export root')
let nblocks = 0
for await (const b of reader.blocks()) {
  const d = await sha256.digest(b.bytes)
  ok(same(d.digest, b.cid.multihash.digest), `exported block ${b.cid} hashes to its CID`)
  nblocks++
}
eq(nblocks, 10, 'dag export: each block once')
const imported = await collect(ipfs2.dag.import((async function * () { yield car })()))
eq(imported[0].root.cid, treeCid, 'dag import root')
eq(imported[0].root.pinErrorMsg, '', 'dag import pinned the root')
ok(same(await bytes(ipfs2.cat(`${treeCid}/big.bin`)), big), 'cat on the second node')
eq((await collect(ipfs2.pin.ls({ type: 'recursive' }))).map(p => p.cid.toString()).join(), treeCid, 'imported root pinned')

// ------------------------------------------------ dag put / get / resolve
// As apps use them: the client encodes with js's codecs and sends the
// bytes (input-codec), the node stores them; get reads the block back
// through block/get and js decodes it; resolve asks the node.
const dagCbor = await import('@ipld/dag-cbor')
const dagJson = await import('@ipld/dag-json')
const node = { a: 1, s: 'é\u2028"', list: [1, 2.5, null, true], link: CID.parse(treeCid), b: new Uint8Array([1, 2, 3]) }
const cborCid = await ipfs.dag.put(node)
eq(cborCid, CID.create(1, dagCbor.code, await sha256.digest(dagCbor.encode(node))), 'dag put: js dag-cbor CID')
// dag-json: the node re-encodes what it gets as Kubo does (go-ipld-prime
// sorts keys bytewise and escapes U+2028; js sorts them length first), so
// the block is checked by what js reads back from it, not by js's CID.
const jsonCid = await ipfs.dag.put(node, { storeCodec: 'dag-json' })
eq(jsonCid.code, dagJson.code, 'dag put: a dag-json CID')
const back = dagJson.decode(await ipfs.block.get(jsonCid))
eq(back.s, node.s, 'dag put dag-json: a string read back by js')
eq(back.link, treeCid, 'dag put dag-json: a link read back by js')
ok(same(back.b, node.b), 'dag put dag-json: bytes read back by js')
const fromJson = await ipfs.dag.put(dagJson.encode(node), { inputCodec: 'dag-json', storeCodec: 'dag-cbor' })
eq(fromJson, cborCid, 'dag put: dag-json bytes stored as dag-cbor')
const gotNode = (await ipfs.dag.get(cborCid)).value
eq(gotNode.s, node.s, 'dag get: a string')
eq(gotNode.list[1], 2.5, 'dag get: a float')
eq(gotNode.link, treeCid, 'dag get: a link')
ok(same(gotNode.b, node.b), 'dag get: bytes')
const dr = await ipfs.dag.resolve(cborCid, { path: "list/1" })
eq(dr.cid, cborCid, "dag resolve: the block")
eq(dr.remainderPath, "/list/1", "dag resolve: the path left in it")
const bigEntry = (await collect(ipfs.ls(treeCid))).find(e => e.name === 'big.bin')
eq((await ipfs.dag.resolve(`${cborCid}/link/big.bin`)).cid, bigEntry.cid, 'dag resolve: across a link and a UnixFS name')

// ------------------------------------------------------- repo, config
await ipfs.pin.rm(want.hello)
const gced = await collect(ipfs.repo.gc())
ok(gced.some(g => g.cid && g.cid.toString() === want.hello), 'repo gc removed the unpinned block')
const st = await ipfs.repo.stat()
ok(typeof st.numObjects === 'bigint' && st.numObjects > 0n, 'repo stat')
eq(await ipfs.config.get('Addresses.Gateway'), '/ip4/127.0.0.1/tcp/8080', 'config get')
await ipfs.config.set('Trove.Test', 'yes')
eq(await ipfs.config.get('Trove.Test'), 'yes', 'config set')
await ipfs.config.set('Trove.Flag', true)
eq(await ipfs.config.get('Trove.Flag'), true, 'config set bool')
const all = await ipfs.config.getAll()
ok(all.Identity && !all.Identity.PrivKey, 'config show without the private key')

// -------------------------------------------------------- pin remote
// The second node as a Pinning Service for the first, through the
// client's pin.remote (the daemon's /api/v0/pin/remote/*): it holds
// treeCid already, so its engine pins it from its own store.
const psaEndpoint = new URL(api2.replace(/\/api\/v0$/, ''))
await ipfs.pin.remote.service.add('js', { endpoint: psaEndpoint, key: process.env.PSA_TOKEN })
const svcs = await ipfs.pin.remote.service.ls()
ok(svcs.some(s => s.service === 'js' && s.endpoint.toString().startsWith(psaEndpoint.toString())), 'pin remote service ls')
const rp = await ipfs.pin.remote.add(CID.parse(treeCid), { service: 'js', name: 'js-tree' })
eq(rp.status, 'pinned', 'pin remote add status')
eq(rp.cid.toString(), treeCid, 'pin remote add cid')
const rls = await collect(ipfs.pin.remote.ls({ service: 'js', status: ['pinned'] }))
eq(rls.map(p => `${p.cid}:${p.name}`).join(), `${treeCid}:js-tree`, 'pin remote ls')
await ipfs.pin.remote.rm({ service: 'js', cid: [CID.parse(treeCid)] })
eq((await collect(ipfs.pin.remote.ls({ service: 'js', status: ['queued', 'pinning', 'pinned', 'failed'] }))).length, 0, 'pin remote rm')
await ipfs.pin.remote.service.rm('js')
ok(!(await ipfs.pin.remote.service.ls()).some(s => s.service === 'js'), 'pin remote service rm')

// ----------------------------- diag, log, commands, versions, replace
const cmdTree = await ipfs.commands()
ok(cmdTree.Name === 'trove' && cmdTree.Subcommands.some(c => c.Name === 'add' &&
  c.Options.some(o => o.Names.includes('cid-version'))), 'commands')
const sys = await ipfs.diag.sys()
ok(sys.net.online === true && sys.runtime.os === 'linux' && sys.diskinfo.total_space > 0, 'diag sys')
await ipfs.version()
const log = await ipfs.diag.cmds()
ok(log.some(e => e.Command === 'version' && e.Active === false) &&
  log.some(e => e.Command === 'diag/cmds' && e.Active === true), 'diag cmds')
eq((await ipfs.log.ls()).join(), 'trove', 'log ls')
const tailAbort = new AbortController()
const tail = ipfs.log.tail({ signal: tailAbort.signal })
const first = tail.next()
// the tail is running once diag cmds lists it; then a line is logged
for (let i = 0; i < 50; i++) {
  if ((await ipfs.diag.cmds()).some(e => e.Command === 'log/tail' && e.Active)) break
  await new Promise(resolve => setTimeout(resolve, 100))
}
await ipfs.log.level('all', 'info')
const line = (await first).value
eq(`${line.logger} ${line.level} ${line.msg}`, "trove info Changed log level of '*' to 'info'", 'log tail')
tailAbort.abort()
eq(await ipfs.repo.version(), (await ipfs.version()).repo, 'repo version')
const cfg = await ipfs.config.getAll()
cfg.Gateway = { ...(cfg.Gateway || {}), RootRedirect: '/ipfs/replaced' }
await ipfs.config.replace(cfg)
eq(await ipfs.config.get('Gateway.RootRedirect'), '/ipfs/replaced', 'config replace')
ok((await ipfs.config.get('Identity.PeerID')) === cfg.Identity.PeerID, 'config replace keeps the identity')
try {
  await ipfs.config.replace({ ...cfg, Identity: { PeerID: cfg.Identity.PeerID, PrivKey: 'x' } })
  throw new Error('config replace took a private key')
} catch (e) {
  ok(/setting private key with API is not supported/.test(e.message), `config replace refusal: ${e.message}`)
}

// ------------------------------------------------------------ errors
try {
  // offline: a daemon that fetches would look for it on the network
  await bytes(ipfs.cat(want.missing, { offline: true }))
  throw new Error('cat of a missing block succeeded')
} catch (e) {
  ok(/not found|could not find/.test(e.message), `cat error message: ${e.message}`)
}
console.log(`kubo-rpc-client against trove: ${checks} checks passed`)
