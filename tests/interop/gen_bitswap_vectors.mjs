// gen_bitswap_vectors.mjs — writes tests/vectors/bitswap_msgs.txt, the
// known-answer bitswap messages that tests/test_bsw_msg.c decodes (and, for
// the canonical ones, re-encodes to the same bytes).
//
//   node tests/interop/gen_bitswap_vectors.mjs > tests/vectors/bitswap_msgs.txt
//
// Three sources, each named in the file:
//  - helia: the bytes @helia/bitswap puts on the wire, made by its own
//    code (QueuedBitswapMessage filled the way want-list.ts and
//    ledger.ts fill it, then split-message.ts's splitMessage, which is
//    what network.ts sends).  Helia writes its `optional` fields even when
//    they hold the default (cancel: false is 18 00).
//  - protons: @helia/bitswap's generated codec (dist/src/pb/message.js)
//    with the defaults left unset, which gives proto3's canonical layout:
//    the layout boxo writes and trove's encoder must reproduce.
//  - go: boxo's ToProtoV0/ToProtoV1 layout, which no JS codec can write
//    (helia has no 1.0.0 `blocks` field and no always-present wantlist):
//    assembled here field by field from message.proto's numbers: fields
//    in ascending order, defaults omitted, the wantlist always present
//    (gogo's non-nullable Wantlist), entries as Entry.ToPB() makes them.
//
// The expected values (CID strings, fields) are computed here with
// multiformats, independently of trove.
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'

const H = new URL('./node_modules/@helia/bitswap/dist/src/', import.meta.url)
const { BitswapMessage, WantType, BlockPresenceType } = await import(new URL('pb/message.js', H))
const { QueuedBitswapMessage } = await import(new URL('utils/bitswap-message.js', H))
const { splitMessage } = await import(new URL('utils/split-message.js', H))
const { cidToPrefix } = await import(new URL('utils/cid-prefix.js', H))

const RAW = 0x55
const DAG_PB = 0x70
const DAG_CBOR = 0x71
const enc = new TextEncoder()
const hex = (b) => Buffer.from(b).toString('hex')

async function block (version, codec, data, hasher = sha256) {
  const bytes = typeof data === 'string' ? enc.encode(data) : data
  const cid = CID.create(version, codec, await hasher.digest(bytes))
  return { cid, data: bytes }
}

// An empty dag-pb node (0 bytes) and a one-link-free node with Data.
const pbEmpty = await block(0, DAG_PB, new Uint8Array(0))
const pbData = await block(0, DAG_PB, Uint8Array.from([0x0a, 0x03, 0x08, 0x02, 0x18])) // PBNode{Data}
const rawHello = await block(1, RAW, 'hello')
const rawWorld = await block(1, RAW, 'world')
const cbor = await block(1, DAG_CBOR, Uint8Array.from([0xa1, 0x61, 0x61, 0x01])) // {"a":1}
const ident = await block(1, RAW, 'tiny', identity)
const wanted1 = await block(1, RAW, 'wanted one')
const wanted2 = await block(0, DAG_PB, Uint8Array.from([0x0a, 0x00]))

const out = []
const line = (...a) => out.push(a.join(' '))

// One vector: the bytes and what they hold.
function vector (name, bytes, { wants = [], full = false, blocks = [], presences = [], pending = 0, reenc }) {
  line('msg', name, hex(bytes))
  for (const w of wants) {
    line('want', w.cid.toString(), w.priority ?? 0, w.wantType === 'have' ? 'have' : 'block',
      w.cancel ? 1 : 0, w.sendDontHave ? 1 : 0)
  }
  line('full', full ? 1 : 0)
  for (const b of blocks) {
    line('block', b.bare ? '-' : hex(cidToPrefix(b.cid)), b.data.length ? hex(b.data) : '-', b.cid.toString())
  }
  for (const p of presences) line('presence', p.type, p.cid.toString())
  line('pending', pending)
  if (reenc) line('reenc', reenc)
  line('end')
  out.push('')
}

const wt = (t) => t === 'have' ? WantType.WantHave : WantType.WantBlock
const pt = (t) => t === 'have' ? BlockPresenceType.HaveBlock : BlockPresenceType.DoNotHaveBlock

// helia: the wire bytes of a QueuedBitswapMessage (one message: all fit).
function helia (spec) {
  const q = new QueuedBitswapMessage(spec.full ?? false)
  for (const w of spec.wants ?? []) {
    q.addWantlistEntry(w.cid, {
      cid: w.cid.bytes, priority: w.priority, wantType: wt(w.wantType), cancel: w.cancel, sendDontHave: w.sendDontHave
    })
  }
  for (const b of spec.blocks ?? []) q.addBlock(b.cid, { data: b.data, prefix: cidToPrefix(b.cid) })
  for (const p of spec.presences ?? []) q.addBlockPresence(p.cid, { cid: p.cid.bytes, type: pt(p.type) })
  const msgs = [...splitMessage(q, 4 * 1024 * 1024)]
  if (msgs.length !== 1) throw new Error('split into ' + msgs.length)
  return msgs[0]
}

// protons: the canonical layout (defaults unset).
function protons (spec) {
  const m = {
    wantlist: spec.wantlist === false
      ? undefined
      : {
          entries: (spec.wants ?? []).map(w => ({
            cid: w.cid.bytes,
            priority: w.cancel ? undefined : (w.priority || undefined),
            cancel: w.cancel || undefined,
            wantType: !w.cancel && w.wantType === 'have' ? WantType.WantHave : undefined,
            sendDontHave: (!w.cancel && w.sendDontHave) || undefined
          })),
          full: spec.full || undefined
        },
    blocks: (spec.blocks ?? []).map(b => ({ prefix: cidToPrefix(b.cid), data: b.data })),
    blockPresences: (spec.presences ?? []).map(p => ({ cid: p.cid.bytes, type: pt(p.type) })),
    pendingBytes: spec.pending ?? 0
  }
  return BitswapMessage.encode(m)
}

// go: protobuf written field by field.
function varint (v) {
  let x = BigInt.asUintN(64, BigInt(v))
  const o = []
  do {
    let b = Number(x & 0x7fn)
    x >>= 7n
    if (x) b |= 0x80
    o.push(b)
  } while (x)
  return o
}
const fbytes = (n, b) => [(n << 3) | 2, ...varint(b.length), ...b]
const fuint = (n, v) => [(n << 3), ...varint(v)]

function goMsg (spec, v1) {
  const entries = (spec.wants ?? []).map(w => {
    const e = [...fbytes(1, w.cid.bytes)]
    if (w.priority) e.push(...fuint(2, w.priority))
    if (w.cancel) e.push(...fuint(3, 1))
    if (w.wantType === 'have') e.push(...fuint(4, 1))
    if (w.sendDontHave) e.push(...fuint(5, 1))
    return fbytes(1, e)
  }).flat()
  const wl = [...entries, ...(spec.full ? fuint(2, 1) : [])]
  const m = [...fbytes(1, wl)]
  for (const b of spec.blocks ?? []) {
    if (!v1) m.push(...fbytes(2, b.data))
    else {
      const blk = [...fbytes(1, cidToPrefix(b.cid)), ...(b.data.length ? fbytes(2, b.data) : [])]
      m.push(...fbytes(3, blk))
    }
  }
  for (const p of spec.presences ?? []) {
    m.push(...fbytes(4, [...fbytes(1, p.cid.bytes), ...(p.type === 'donthave' ? fuint(2, 1) : [])]))
  }
  if (spec.pending) m.push(...fuint(5, spec.pending))
  return Uint8Array.from(m)
}

line('# Bitswap messages, known answers for tests/test_bsw_msg.c.')
line('# Generated by tests/interop/gen_bitswap_vectors.mjs (@helia/bitswap',
  JSON.parse((await import('node:fs')).readFileSync(new URL('package.json', new URL('../../', H)))).version + ',')
line('# multiformats); see that script for the three sources (helia, protons, go).')
line('#')
line('#   msg <name> <hex>          a message body, without its length prefix')
line('#   want <cid> <priority> <block|have> <cancel> <sendDontHave>')
line('#   full <0|1>')
line('#   block <prefix hex | - for 1.0.0> <data hex | - when empty> <the CID the block is>')
line('#   presence <have|donthave> <cid>')
line('#   pending <n>')
line('#   reenc <version> <sections>   bsw_enc_* of the decoded parts, in the order')
line('#                                W wantlist, B blocks, P presences, N pending,')
line('#                                gives exactly these bytes')
line('#   end                          no more entries, blocks or presences than listed')
line('')

// ---- helia
{
  const wants = [
    { cid: rawHello.cid, priority: 1, wantType: 'block', cancel: false, sendDontHave: true },
    { cid: pbData.cid, priority: 1, wantType: 'have', cancel: false, sendDontHave: true },
    { cid: wanted1.cid, priority: 1, wantType: 'block', cancel: true, sendDontHave: true }
  ]
  vector('helia-wantlist', helia({ wants }), { wants })
  const wants2 = [{ cid: wanted2.cid, priority: 1, wantType: 'have', cancel: false, sendDontHave: true }]
  vector('helia-full-wantlist', helia({ wants: wants2, full: true }), { wants: wants2, full: true })
  const blocks = [rawHello, pbData, cbor]
  const presences = [{ type: 'have', cid: wanted1.cid }, { type: 'donthave', cid: wanted2.cid }]
  vector('helia-blocks-presences', helia({ blocks, presences }), { blocks, presences })
  vector('helia-empty', helia({}), {})
}

// ---- protons (canonical)
{
  const wants = [
    { cid: rawWorld.cid, priority: 7, wantType: 'have', cancel: false, sendDontHave: true },
    { cid: pbEmpty.cid, priority: 2147483647, wantType: 'block', cancel: false, sendDontHave: false },
    { cid: wanted2.cid, priority: -5, wantType: 'block', cancel: false, sendDontHave: true },
    { cid: wanted1.cid, priority: 0, wantType: 'block', cancel: true, sendDontHave: false }
  ]
  const blocks = [cbor, ident, pbEmpty]
  const presences = [{ type: 'donthave', cid: rawWorld.cid }, { type: 'have', cid: pbData.cid }]
  vector('protons-all-sections', protons({ wants, full: true, blocks, presences, pending: 1234 }),
    { wants, full: true, blocks, presences, pending: 1234, reenc: '120 WBPN' })
  vector('protons-pending-negative', protons({ wantlist: false, pending: -1 }), { pending: -1, reenc: '120 N' })
  vector('protons-presences-only', protons({ wantlist: false, presences }), { presences, reenc: '120 P' })
}

// ---- go layout
{
  const wants = [
    { cid: pbData.cid, priority: 1, wantType: 'block', cancel: false, sendDontHave: false },
    { cid: wanted2.cid, priority: 3, wantType: 'block', cancel: false, sendDontHave: false }
  ]
  const bare = [pbData, pbEmpty].map(b => ({ ...b, bare: true }))
  vector('go-v100-wants-blocks', goMsg({ wants, blocks: bare }, false), { wants, blocks: bare, reenc: '100 WB' })
  vector('go-v110-blocks', goMsg({ blocks: [rawHello, pbData] }, true), { blocks: [rawHello, pbData], reenc: '110 WB' })
  const wants3 = [
    { cid: rawWorld.cid, priority: 2147483647, wantType: 'have', cancel: false, sendDontHave: true },
    { cid: wanted1.cid, priority: 0, wantType: 'block', cancel: true, sendDontHave: false }
  ]
  const presences = [{ type: 'have', cid: cbor.cid }]
  vector('go-v120-full', goMsg({ wants: wants3, full: true, blocks: [ident], presences, pending: 65536 }, true),
    { wants: wants3, full: true, blocks: [ident], presences, pending: 65536, reenc: '120 WBPN' })
}

process.stdout.write(out.join('\n'))
