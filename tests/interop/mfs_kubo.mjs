// mfs_kubo.mjs KUBO-API TROVE-API FILE-CID TREE-CID — kubo-rpc-client's
// files API (mkdir, cp, ls, stat, read, mv, chmod, touch, flush, rm),
// unchanged, run by mfs_kubo.sh: the same calls against Kubo's daemon and
// trove's, each result (or the error's message) compared.  Prints
// "CHECKS DIFFS" on stdout, each difference (both sides) on stderr.

// Node 20: the JS IPFS stack expects Node 22's Promise.withResolvers.
if (!Promise.withResolvers) {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new Promise((a, b) => { resolve = a; reject = b })
    return { promise, resolve, reject }
  }
}
const { create } = await import('kubo-rpc-client')

const [kapi, tapi, file, tree] = process.argv.slice(2)
const kubo = create({ url: kapi })
const trove = create({ url: tapi })

// A result as plain JSON: CIDs as strings, bytes as arrays, dates as ISO.
function plain (x) {
  return JSON.stringify(x, (k, v) => {
    if (v && typeof v === 'object' && v['/'] !== undefined && typeof v.toString === 'function' && v.version !== undefined) return `CID(${v.toString()})`
    if (v instanceof Uint8Array) return Array.from(v)
    if (typeof v === 'bigint') return `${v}n`
    return v
  })
}
async function collect (it) {
  const out = []
  for await (const x of it) out.push(x)
  return out
}
async function bytes (it) {
  const parts = await collect(it)
  return Buffer.concat(parts.map(p => Buffer.from(p))).toString('latin1')
}
async function run (fn) {
  try {
    const r = await fn()
    return plain(r === undefined ? null : r)
  } catch (e) {
    return plain({ error: `${e.message}` })
  }
}

let checks = 0
let diffs = 0
// both WHAT FN: FN(client) against each, the results the same.
async function both (what, fn) {
  const k = await run(() => fn(kubo))
  const t = await run(() => fn(trove))
  checks++
  if (k !== t) {
    diffs++
    console.error(`DIFF: kubo-rpc-client ${what}\n  kubo:  ${k.slice(0, 1500)}\n  trove: ${t.slice(0, 1500)}`)
  }
}

await both('files.mkdir /js', c => c.files.mkdir('/js'))
await both('files.mkdir /js again', c => c.files.mkdir('/js'))
await both('files.mkdir -p /js/a/b', c => c.files.mkdir('/js/a/b', { parents: true }))
await both('files.mkdir /js/v1 cidVersion 1', c => c.files.mkdir('/js/v1', { cidVersion: 1 }))
await both('files.mkdir /js/no/such', c => c.files.mkdir('/js/no/such'))
await both('files.cp file', c => c.files.cp(`/ipfs/${file}`, '/js/f'))
await both('files.cp tree', c => c.files.cp(`/ipfs/${tree}`, '/js/tree'))
await both('files.cp onto a name', c => c.files.cp(`/ipfs/${file}`, '/js/tree'))
await both('files.cp into a dir', c => c.files.cp('/js/f', '/js/a/'))
await both('files.cp -p', c => c.files.cp('/js/f', '/js/p/q/f', { parents: true }))
await both('files.ls /js', c => collect(c.files.ls('/js')))
await both('files.ls /js/tree', c => collect(c.files.ls('/js/tree')))
await both('files.ls a file', c => collect(c.files.ls('/js/f')))
await both('files.ls empty', c => collect(c.files.ls('/js/tree/empty')))
await both('files.ls nothing', c => collect(c.files.ls('/js/nope')))
await both('files.stat /js', c => c.files.stat('/js'))
await both('files.stat /js/f', c => c.files.stat('/js/f'))
await both('files.stat /js/v1', c => c.files.stat('/js/v1'))
await both('files.stat withLocal', c => c.files.stat('/js/tree', { withLocal: true }))
await both('files.stat /ipfs/', c => c.files.stat(`/ipfs/${tree}/sub`))
await both('files.stat nothing', c => c.files.stat('/js/nope'))
await both('files.read', c => bytes(c.files.read('/js/tree/sub/b.txt')))
await both('files.read offset length', c => bytes(c.files.read('/js/tree/sub/b.txt', { offset: 2, length: 4 })))
await both('files.read a directory', c => bytes(c.files.read('/js/tree')))
await both('files.mv', c => c.files.mv('/js/f', '/js/g'))
await both('files.mv into a dir', c => c.files.mv('/js/g', '/js/a'))
await both('files.mv nothing', c => c.files.mv('/js/nope', '/js/a'))
await both('files.chmod', c => c.files.chmod('/js/a/g', 0o600))
await both('files.touch', c => c.files.touch('/js/a/g', { mtime: { secs: 1700000000, nsecs: 42 } }))
await both('files.stat after chmod and touch', c => c.files.stat('/js/a/g'))
await both('files.ls -l after', c => collect(c.files.ls('/js/a')))
await both('files.flush', c => c.files.flush('/js'))
await both('files.rm a dir without recursive', c => c.files.rm('/js/tree'))
await both('files.rm recursive', c => c.files.rm('/js/tree', { recursive: true }))
await both('files.rm several, some missing', c => c.files.rm(['/js/nope', '/js/a/f', '/js/nope2']))
await both('files.rm force', c => c.files.rm('/js/nope', { force: true }))
await both('files.stat / at the end', c => c.files.stat('/'))

console.log(`${checks} ${diffs}`)
