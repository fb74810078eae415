// bitswap_helia.mjs — one Helia node (helia's createHeliaLight with
// @helia/libp2p and @helia/bitswap: TCP + noise + yamux + identify on
// 127.0.0.1, no bootstrap, no DHT, no HTTP gateways, in-memory stores),
// driven by commands on stdin, one per line, each answered by one JSON
// line on stdout.  Used by bitswap_helia.sh, the bitswap interop test
// with trove.  Blocks it lacks come only from peers connected over
// bitswap (its one block broker).
//
//   start                   the node: {id, addrs}
//   dial MA SECS            connect, then wait until identify says the
//                           peer speaks bitswap (Helia's topology sends
//                           wants only to such peers): {peer, protocols:
//                           [the peer's protocols, as identify gave them]}
//   cat CID OUT SECS        @helia/unixfs cat into the file OUT:
//                           {size, sha256}
//   ls CID SECS             @helia/unixfs ls: {type (of the root, from
//                           stat), entries: {name: {cid}}}
//   readdir CID PAR SECS    cat every entry of the directory (all files),
//                           PAR at once: {name: sha256}
//   addfile PATH            addBytes of the file's bytes (Helia's default
//                           importer settings): {cid}
//   adddir PATH             addAll(globSource(PATH, '**/*')) wrapped in a
//                           directory (so the root holds PATH's entries,
//                           as `trove add -r PATH` does): {cid}
//   streams PEER            the streams open on our connections to PEER:
//                           [{direction, protocol}]
//   quit
//
// cat, ls and readdir answer ms too (how long they took: for the log,
// never asserted).  An error answers {error}.  Every command is bounded (SECS, else 60 s).
import './node22.mjs'
import { serve } from './lib/serve.mjs'
import { createHash } from 'node:crypto'
import { createWriteStream, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { unixfs, globSource } from '@helia/unixfs'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'

const DEFAULT_SECS = 60
const BITSWAP = '/ipfs/bitswap/1.2.0'

let helia = null
let fs = null
const signalOf = (secs) => AbortSignal.timeout(1000 * Number(secs ?? DEFAULT_SECS))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function need () {
  if (helia == null) throw new Error('not started')
  return helia
}

async function catTo (cid, sink, signal) {
  const h = createHash('sha256')
  let size = 0
  for await (const buf of fs.cat(cid, { signal })) {
    h.update(buf)
    size += buf.length
    if (sink != null && !sink.write(buf)) await once(sink, 'drain')
  }
  return { size, sha256: h.digest('hex') }
}

const commands = {
  start: async () => {
    if (helia != null) throw new Error('started already')
    helia = withBitswap(withLibp2pLight(createHeliaLight(), {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() }
    }))
    await helia.start()
    fs = unixfs(helia)
    return { id: helia.libp2p.peerId.toString(), addrs: helia.libp2p.getMultiaddrs().map(String) }
  },
  dial: async (ma, secs) => {
    const signal = signalOf(secs)
    const conn = await need().libp2p.dial(multiaddr(ma), { signal })
    const peer = conn.remotePeer
    for (;;) {
      const p = await helia.libp2p.peerStore.get(peer).catch(() => null)
      if (p?.protocols.includes(BITSWAP)) return { peer: peer.toString(), protocols: p.protocols }
      if (signal.aborted) throw new Error(`identify never listed ${BITSWAP}: ${p?.protocols}`)
      await sleep(50)
    }
  },
  cat: async (cid, out, secs) => {
    need()
    const sink = createWriteStream(out)
    try {
      return await catTo(CID.parse(cid), sink, signalOf(secs))
    } finally {
      sink.end()
      await once(sink, 'close')
    }
  },
  ls: async (cid, secs) => {
    need()
    const signal = signalOf(secs)
    const root = CID.parse(cid)
    const st = await fs.stat(root, { signal })
    const entries = {}
    for await (const e of fs.ls(root, { signal })) {
      entries[e.name] = { cid: e.cid.toString() }
    }
    return { type: st.type, entries }
  },
  readdir: async (cid, par, secs) => {
    need()
    const signal = signalOf(secs)
    const files = [] // every entry: the exporter's listing does not say which are files
    for await (const e of fs.ls(CID.parse(cid), { signal })) files.push(e)
    const out = {}
    let next = 0
    const worker = async () => {
      while (next < files.length) {
        const e = files[next++]
        out[e.name] = (await catTo(e.cid, null, signal)).sha256
      }
    }
    await Promise.all(Array.from({ length: Number(par) }, worker))
    return out
  },
  addfile: async (path) => {
    need()
    return { cid: (await fs.addBytes(readFileSync(path))).toString() }
  },
  adddir: async (path) => {
    need()
    let last = null
    for await (const r of fs.addAll(globSource(path, '**/*'), { wrapWithDirectory: true })) last = r
    if (last == null || last.path !== '') throw new Error(`no wrapping directory: ${JSON.stringify(last)}`)
    return { cid: last.cid.toString() }
  },
  streams: async (peer) => {
    const conns = need().libp2p.getConnections(peerIdFromString(peer))
    return conns.flatMap((c) => c.streams.map((s) => ({ direction: s.direction, protocol: s.protocol })))
  },
  quit: async () => {
    if (helia != null) await helia.stop()
    process.exit(0)
  }
}

await serve(commands, { timed: ['cat', 'ls', 'readdir'] })
if (helia != null) await helia.stop()
