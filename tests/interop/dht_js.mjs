// dht_js.mjs — js-libp2p nodes with @libp2p/kad-dht on the LAN DHT
// (/ipfs/lan/kad/1.0.0, server mode, loopback addresses kept by
// passthroughMapper), all in this one process, driven by commands on
// stdin, one per line, each answered by one JSON line on stdout.  Used by
// dht_js.sh, the DHT interop test with trove.  NAME picks the node; every
// node has an Ed25519 key, /ipns/ and /pk/ validators (the /ipns/ one and
// its selector are @helia/ipns's, the record code the JS stack uses).
//
//   start NAME                   a new node on 127.0.0.1: {id, addrs}
//   dial NAME MA                 connect: {peer}
//   rt NAME                      its LAN routing table: [peer ids]
//   waitrt NAME PEER SECS        until PEER is in the table: {ok: true}
//   provide NAME CID             dht.provide: {to: [peers that got
//                                ADD_PROVIDER], errors}
//   findprovs NAME CID SECS      dht.findProviders until the lookup ends:
//                                {providers: {id: [addrs]}, from: {id: [who
//                                said so: the first peer to name it, js
//                                drops later answers naming it again; the
//                                node itself when its own store has it]}};
//                                then contentRouting.findProviders:
//                                {routing: [ids]}
//   findpeer NAME PEER SECS      peerRouting.findPeer: {id, addrs}
//   ask NAME PEER TYPE KEY       one GET_PROVIDERS (KEY a CID) or GET_VALUE
//                                (KEY /ipns/ID) request to PEER alone: its
//                                answer {providers: {id: [addrs]}, closer:
//                                [ids], record_b64 (or null)}
//   putipns NAME VALUE SEQ       an IPNS record for NAME's key pointing at
//                                VALUE (sequence SEQ), dht.put under
//                                /ipns/<NAME's id>: {key_b64, record_b64,
//                                acked: [peers that echoed it], errors}
//   get NAME KEY SECS            dht.get of KEY (/ipns/ID or /pk/ID):
//                                {best_b64, from: {id: b64 of what that
//                                peer answered}, value (the IPNS value,
//                                when KEY is /ipns/)}
//   quit
//
// An error answers {error}.  Every command is bounded (SECS, else 30 s).
import './node22.mjs'
import { serve } from './lib/serve.mjs'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { generateKeyPair, publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import {
  createIPNSRecord, IPNSEntry, ipnsSelector, ipnsValidator,
  multihashToIPNSRoutingKey
} from '@helia/ipns'

const LAN = '/ipfs/lan/kad/1.0.0'
const DEFAULT_SECS = 30
const IPNS_LIFETIME_MS = 24 * 3600 * 1000

// @helia/ipns's validator reads the key through a keychain; the plain
// protobuf decoder is all it needs here.
const keychain = { loadPublicKeyFromProtobuf: async (b) => publicKeyFromProtobuf(b) }
const validators = {
  ipns: async (key, value, options) => { await ipnsValidator(key, value, keychain, options) }
}
const selectors = {
  ipns: (key, records) => ipnsSelector(key, records.map((r) => IPNSEntry.decode(r)))
}

const nodes = new Map() // name -> { node, key }
const b64 = (u) => Buffer.from(u).toString('base64')
const signalOf = (secs) => AbortSignal.timeout(1000 * Number(secs ?? DEFAULT_SECS))

function nodeOf (name) {
  const n = nodes.get(name)
  if (!n) throw new Error(`no node ${name}`)
  return n
}

// KEY as trove's CLI takes it: /ipns/<peer id> or /pk/<peer id>, the id
// replaced by its multihash bytes.
function routingKey (key) {
  const m = /^\/(ipns|pk)\/(.+)$/.exec(key)
  if (!m) throw new Error(`bad key ${key}`)
  const mh = peerIdFromString(m[2]).toMultihash().bytes
  const prefix = new TextEncoder().encode(`/${m[1]}/`)
  const k = new Uint8Array(prefix.length + mh.length)
  k.set(prefix)
  k.set(mh, prefix.length)
  return k
}

function tablePeers (node) {
  const kb = node.services.dht.routingTable?.kb
  if (!kb) throw new Error('no routing table')
  const self = node.peerId.toString()
  return [...kb.toIterable()].map((p) => p.peerId.toString()).filter((id) => id !== self)
}

const commands = {
  start: async (name) => {
    if (nodes.has(name)) throw new Error(`node ${name} exists`)
    const key = await generateKeyPair('Ed25519')
    const node = await createLibp2p({
      privateKey: key,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({
          protocol: LAN,
          clientMode: false,
          peerInfoMapper: passthroughMapper,
          logPrefix: `libp2p:dht-lan:${name}`,
          validators,
          selectors
        })
      }
    })
    await node.start()
    // Server mode from the start: on loopback there is no AutoNAT to say so.
    await node.services.dht.setMode('server')
    nodes.set(name, { node, key })
    return { id: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) }
  },
  dial: async (name, ma) => {
    const conn = await nodeOf(name).node.dial(multiaddr(ma), { signal: signalOf(10) })
    return { peer: conn.remotePeer.toString() }
  },
  rt: async (name) => tablePeers(nodeOf(name).node),
  waitrt: async (name, peer, secs) => {
    const { node } = nodeOf(name)
    const end = Date.now() + 1000 * Number(secs ?? DEFAULT_SECS)
    while (!tablePeers(node).includes(peer)) {
      if (Date.now() > end) throw new Error(`${peer} never entered ${name}'s table: ${tablePeers(node)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return { ok: true }
  },
  provide: async (name, cid) => {
    const to = new Set()
    const errors = []
    for await (const ev of nodeOf(name).node.services.dht.provide(CID.parse(cid), { signal: signalOf() })) {
      if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'ADD_PROVIDER') to.add(ev.from.toString())
      if (ev.name === 'QUERY_ERROR') errors.push(`${ev.from}: ${ev.error?.message}`)
    }
    // ADD_PROVIDER has no answer: js reports a PEER_RESPONSE once it is
    // sent.  Its addresses are the address manager's, /p2p/<id> on each.
    return { to: [...to], errors }
  },
  findprovs: async (name, cid, secs) => {
    const { node } = nodeOf(name)
    const providers = {}
    const from = {}
    for await (const ev of node.services.dht.findProviders(CID.parse(cid), { signal: signalOf(secs) })) {
      if (ev.name !== 'PROVIDER') continue
      for (const p of ev.providers) {
        const id = p.id.toString()
        providers[id] = [...new Set([...(providers[id] ?? []), ...p.multiaddrs.map(String)])]
        from[id] = [...new Set([...(from[id] ?? []), ev.from.toString()])]
      }
    }
    const routing = []
    for await (const p of node.contentRouting.findProviders(CID.parse(cid), { signal: signalOf(secs) })) {
      routing.push(p.id.toString())
    }
    return { providers, from, routing: [...new Set(routing)] }
  },
  findpeer: async (name, peer, secs) => {
    const p = await nodeOf(name).node.peerRouting.findPeer(peerIdFromString(peer), { signal: signalOf(secs) })
    return { id: p.id.toString(), addrs: p.multiaddrs.map(String) }
  },
  ask: async (name, peer, type, key) => {
    // One request to one peer, its answer as sent (no mapper, no lookup):
    // what that peer itself serves.  Uses the DHT's network, an internal
    // of @libp2p/kad-dht 16 (no public API sends a single request).
    const dht = nodeOf(name).node.services.dht
    if (!dht.network?.sendRequest) throw new Error('no dht.network.sendRequest')
    const k = type === 'GET_PROVIDERS' ? CID.parse(key).multihash.bytes : routingKey(key)
    const path = { index: -1, queued: 0, running: 0, total: 0 }
    for await (const ev of dht.network.sendRequest(peerIdFromString(peer), { type, key: k },
      { signal: signalOf(), path })) {
      if (ev.name === 'QUERY_ERROR') throw ev.error
      if (ev.name !== 'PEER_RESPONSE') continue
      const providers = {}
      for (const p of ev.providers) providers[p.id.toString()] = p.multiaddrs.map(String)
      return {
        providers,
        closer: ev.closer.map((p) => p.id.toString()),
        record_b64: ev.record ? b64(ev.record.value) : null
      }
    }
    throw new Error(`no answer from ${peer}`)
  },
  putipns: async (name, value, seq) => {
    const { node, key } = nodeOf(name)
    const rec = await createIPNSRecord(key, value, BigInt(seq), IPNS_LIFETIME_MS)
    const bytes = IPNSEntry.encode(rec)
    const k = multihashToIPNSRoutingKey(node.peerId.toMultihash())
    const acked = new Set()
    const errors = []
    for await (const ev of node.services.dht.put(k, bytes, { signal: signalOf() })) {
      if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') acked.add(ev.from.toString())
      if (ev.name === 'QUERY_ERROR') errors.push(`${ev.from}: ${ev.error?.message}`)
    }
    // A peer whose echo differed also raised "Value not put correctly".
    return { key_b64: b64(k), record_b64: b64(bytes), acked: [...acked], errors }
  },
  get: async (name, key, secs) => {
    const { node } = nodeOf(name)
    const k = routingKey(key)
    const from = {}
    let best
    for await (const ev of node.services.dht.get(k, { signal: signalOf(secs) })) {
      // Each peer's answer comes as a PEER_RESPONSE with its record; the
      // one VALUE event comes last, the value the selector chose.
      if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'GET_VALUE' && ev.record) {
        from[ev.from.toString()] = b64(ev.record.value)
      }
      if (ev.name === 'VALUE') best = ev.value
    }
    if (!best) throw new Error(`no value for ${key}`)
    const out = { best_b64: b64(best), from }
    if (key.startsWith('/ipns/')) {
      out.value = new TextDecoder().decode(IPNSEntry.decode(best).value)
    }
    return out
  },
  quit: async () => {
    for (const { node } of nodes.values()) await node.stop()
    process.exit(0)
  }
}

await serve(commands)
for (const { node } of nodes.values()) await node.stop()
