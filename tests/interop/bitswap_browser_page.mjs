// bitswap_browser_page.mjs — the page side of bitswap_browser.sh, bundled
// for the browser by esbuild at test time: a Helia node (helia's
// createHeliaLight, @helia/libp2p, @helia/bitswap; @libp2p/websockets is
// its only transport, with noise, yamux and identify) in a web page.
// window.run({ma, cid, addSize}) dials ma (trove's /ws address), cats cid
// over bitswap, then adds addSize bytes of its own for trove to fetch
// back over the same connection; it returns {remote, size, sha256, added,
// addedSha256, id}.  No router and no gateway: every block comes over
// bitswap on that WebSocket.
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { unixfs } from '@helia/unixfs'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'

const hex = (buf) => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('')

window.run = async ({ ma, cid, addSize }) => {
  const helia = withBitswap(withLibp2pLight(createHeliaLight(), {
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() },
    // Browsers refuse private and loopback addresses by default; trove is
    // on 127.0.0.1 here.
    connectionGater: { denyDialMultiaddr: () => false }
  }))
  await helia.start()
  window.helia = helia // kept for trove's fetch after run() returns
  const fs = unixfs(helia)
  const conn = await helia.libp2p.dial(multiaddr(ma), { signal: AbortSignal.timeout(30000) })
  const parts = []
  let size = 0
  for await (const b of fs.cat(CID.parse(cid), { signal: AbortSignal.timeout(60000) })) {
    parts.push(b)
    size += b.length
  }
  const all = new Uint8Array(size)
  let off = 0
  for (const p of parts) { all.set(p, off); off += p.length }
  const mine = new Uint8Array(addSize)
  for (let i = 0; i < addSize; i++) mine[i] = (i * 7 + (i >> 9)) & 255
  const added = await fs.addBytes(mine)
  return {
    remote: conn.remoteAddr.toString(),
    size,
    sha256: hex(await crypto.subtle.digest('SHA-256', all)),
    added: added.toString(),
    addedSha256: hex(await crypto.subtle.digest('SHA-256', mine)),
    id: helia.libp2p.peerId.toString()
  }
}
window.pageReady = true
