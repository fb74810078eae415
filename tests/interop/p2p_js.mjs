// p2p_js.mjs — a js-libp2p node (TCP and WebSockets, Noise, yamux,
// identify, ping: the stack js-libp2p ships) on 127.0.0.1, driven by
// commands on stdin, one per line, each answered by one JSON line on
// stdout.  It listens on P2P_JS_LISTEN (default a TCP port; ws_js.sh gives
// it a /ws one).  Used by p2p_js.sh and ws_js.sh (the interop tests with
// trove) and bench/p2p.sh (the js-to-js reference transfer).  It serves /trove/test/echo/1.0.0 (every byte back, FIN after
// the peer's) and /trove/test/sink/1.0.0 (bytes counted, nothing back),
// with the per-connection stream limits raised to STREAMS_MAX.
//
//   addr                         {id, addrs}
//   dial MA                      connect; {peer, remoteAddr}: the remote
//                                PeerID is the one MA names (js checks it)
//   identify PEER                wait for identify's answer from PEER:
//                                {agent, protocolVersion, protocols,
//                                listenAddrs}
//   ping PEER N                  N pings over one connection: {rtts}
//   peers                        open connections: [{peer, addr, direction}]
//   echo MA STREAMS BYTES        STREAMS streams at once on echo, BYTES
//                                each, every byte that comes back checked:
//                                {ok, failed, verified, secs, MBps}
//   sink MA STREAMS BYTES        the same on sink: {ok, failed, secs, MBps}
//   stats                        {echoed, sunk}
//   quit
//
// An error answers {error}.  The pattern matches tests/p2p_peer.c: byte o
// of stream k is (o + 3*(o>>8) + 5*(o>>16) + 29*k) mod 256.
import './node22.mjs'
import { serve } from './lib/serve.mjs'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

const ECHO = '/trove/test/echo/1.0.0'
const SINK = '/trove/test/sink/1.0.0'
const STREAMS_MAX = 1024
const CHUNK = 64 * 1024

const pat = (k, o) => (o + 3 * Math.floor(o / 256) + 5 * Math.floor(o / 65536) + 29 * k) & 255

const node = await createLibp2p({
  addresses: { listen: [process.env.P2P_JS_LISTEN ?? '/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp(), webSockets()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux({ maxInboundStreams: STREAMS_MAX, maxOutboundStreams: STREAMS_MAX })],
  services: { identify: identify(), ping: ping() },
  connectionManager: { maxConnections: 4096, inboundConnectionThreshold: 4096 }
})

const identified = new Map() // peer id string -> IdentifyResult
const waiting = new Map() // peer id string -> [resolve]
node.addEventListener('peer:identify', (ev) => {
  const id = ev.detail.peerId.toString()
  identified.set(id, ev.detail)
  for (const r of waiting.get(id) ?? []) r(ev.detail)
  waiting.delete(id)
})

let echoed = 0
let sunk = 0
const limits = { maxInboundStreams: STREAMS_MAX, maxOutboundStreams: STREAMS_MAX }

// Write buf on stream, waiting for the drain event when the stream asks.
async function send (stream, buf) {
  if (!stream.send(buf)) await stream.onDrain()
}

await node.handle(ECHO, async (stream) => {
  try {
    for await (const chunk of stream) {
      const b = chunk.subarray()
      echoed += b.length
      await send(stream, b)
    }
    await stream.close()
  } catch (e) {
    stream.abort(e)
  }
}, limits)

await node.handle(SINK, async (stream) => {
  try {
    for await (const chunk of stream) sunk += chunk.byteLength
    await stream.close()
  } catch (e) {
    stream.abort(e)
  }
}, limits)

await node.start()

function identifyOf (id) {
  if (identified.has(id)) return identified.get(id)
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no identify from ${id}`)), 10000)
    const list = waiting.get(id) ?? []
    list.push((r) => { clearTimeout(t); resolve(r) })
    waiting.set(id, list)
  })
}

// One stream of a transfer: write bytes (pattern k on echo), read what
// comes back and check it; resolves to the bytes verified.
async function transfer (conn, proto, k, bytes) {
  const stream = await conn.newStream(proto, { maxOutboundStreams: STREAMS_MAX })
  const echo = proto === ECHO
  const writer = (async () => {
    const buf = new Uint8Array(CHUNK)
    for (let off = 0; off < bytes; off += CHUNK) {
      const n = Math.min(CHUNK, bytes - off)
      if (echo) {
        const b = new Uint8Array(n) // send() may keep it: a fresh one each time
        for (let i = 0; i < n; i++) b[i] = pat(k, off + i)
        await send(stream, b)
      } else {
        await send(stream, buf.subarray(0, n))
      }
    }
    await stream.close()
  })()
  let got = 0
  for await (const chunk of stream) {
    const b = chunk.subarray()
    if (!echo) throw new Error('sink answered')
    for (let i = 0; i < b.length; i++) {
      if (got + i >= bytes || b[i] !== pat(k, got + i)) {
        throw new Error(`stream ${k}: wrong byte at ${got + i}`)
      }
    }
    got += b.length
  }
  await writer
  if (echo && got !== bytes) throw new Error(`stream ${k}: ${got} of ${bytes} bytes came back`)
  return got
}

async function run (proto, ma, streams, bytes) {
  const conn = await node.dial(multiaddr(ma))
  const t0 = process.hrtime.bigint()
  const res = await Promise.allSettled(
    Array.from({ length: streams }, (_, k) => transfer(conn, proto, k, bytes)))
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  const ok = res.filter((r) => r.status === 'fulfilled').length
  const errors = res.filter((r) => r.status === 'rejected').map((r) => String(r.reason)).slice(0, 4)
  const verified = res.reduce((a, r) => a + (r.status === 'fulfilled' ? r.value : 0), 0)
  return { ok, failed: streams - ok, errors, verified, secs, MBps: ok * bytes / secs / 1e6 }
}

const commands = {
  addr: async () => ({ id: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) }),
  dial: async (ma) => {
    const conn = await node.dial(multiaddr(ma))
    return { peer: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString() }
  },
  identify: async (id) => {
    const r = await identifyOf(id)
    return {
      agent: r.agentVersion,
      protocolVersion: r.protocolVersion,
      protocols: r.protocols,
      listenAddrs: r.listenAddrs.map(String)
    }
  },
  ping: async (id, n) => {
    const rtts = []
    for (let i = 0; i < Number(n); i++) rtts.push(await node.services.ping.ping(peerIdFromString(id)))
    return { rtts }
  },
  peers: async () => node.getConnections().map((c) => ({
    peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direction: c.direction
  })),
  echo: async (ma, s, b) => run(ECHO, ma, Number(s), Number(b)),
  sink: async (ma, s, b) => run(SINK, ma, Number(s), Number(b)),
  stats: async () => ({ echoed, sunk }),
  quit: async () => { await node.stop(); process.exit(0) }
}

await serve(commands)
await node.stop()
