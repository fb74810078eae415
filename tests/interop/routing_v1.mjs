// routing_v1.mjs — Helia's Delegated Routing V1 client
// (@helia/delegated-routing-v1-http-api-client) against trove's gateway
// (/routing/v1/), driven by routing_v1.sh.
//
//   node routing_v1.mjs URL CID PROVIDER_ID PROVIDER_PORT NAME VALUE OUTDIR
//
// URL: trove's gateway; CID: content PROVIDER_ID (a Kubo node, listening on
// 127.0.0.1:PROVIDER_PORT) provides; NAME: an IPNS name (the Kubo node's)
// whose record points at VALUE.  Checks, each failing with exit status 1:
//   1. getProviders(CID) (NDJSON, as the client asks) lists PROVIDER_ID with
//      its 127.0.0.1:PROVIDER_PORT address;
//   2. getPeers(PROVIDER_ID) gives that address;
//   3. getIPNS(NAME) returns a record that @helia/ipns's validator accepts
//      for NAME (signature, validity) and whose value is VALUE;
//   4. putIPNS of a record this script makes for a fresh key is taken (200),
//      and getIPNS gives it back byte for byte; the record and its name go
//      to OUTDIR/put.rec and OUTDIR/put.name (the shell checks that Kubo
//      got it through the DHT);
//   5. putIPNS of that record with its signature broken is refused.
import './node22.mjs'
import { writeFileSync } from 'node:fs'
import { delegatedRoutingV1HttpApiClient } from '@helia/delegated-routing-v1-http-api-client'
import { createIPNSRecord, ipnsValidator, IPNSEntry, multihashToIPNSRoutingKey } from '@helia/ipns'
import { generateKeyPair, publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString, peerIdFromCID } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'

const [url, cidStr, provId, provPort, nameStr, value, outdir] = process.argv.slice(2)
const fail = (msg) => { console.error('FAIL:', msg); process.exit(1) }
const quiet = () => {}
quiet.error = quiet.trace = quiet
quiet.enabled = false
const logger = { forComponent: () => quiet }
const client = delegatedRoutingV1HttpApiClient({ url, cacheTTL: 0, timeout: 60000 })({ logger })
await client.start()
const keychain = { loadPublicKeyFromProtobuf: async (buf) => publicKeyFromProtobuf(buf) }
const want = `/ip4/127.0.0.1/tcp/${provPort}`

// 1. providers
const provs = []
for await (const p of client.getProviders(CID.parse(cidStr))) provs.push(p)
const prov = provs.find(p => peerIdFromCID(p.ID).toString() === provId)
if (prov == null) fail(`getProviders: ${provId} not among ${JSON.stringify(provs.map(p => p.ID.toString()))}`)
if (!prov.Addrs.some(a => a.toString().startsWith(want))) fail(`getProviders: no ${want} in ${prov.Addrs}`)
console.log(`ok: getProviders lists ${provId} at ${want}`)

// 2. peers
const peerCid = peerIdFromString(provId).toCID()
const peers = []
for await (const p of client.getPeers(peerCid)) peers.push(p)
if (peers.length !== 1 || peerIdFromCID(peers[0].ID).toString() !== provId) fail(`getPeers: ${JSON.stringify(peers)}`)
if (!peers[0].Addrs.some(a => a.toString().startsWith(want))) fail(`getPeers: no ${want} in ${peers[0].Addrs}`)
console.log(`ok: getPeers gives ${want}`)

// 3. a Kubo node's IPNS record
const name = CID.parse(nameStr)
const rec = await client.getIPNS(name)
const key = multihashToIPNSRoutingKey(name.multihash)
const entry = await ipnsValidator(key, rec, keychain).catch(e => fail(`getIPNS: the record does not validate: ${e}`))
const v = new TextDecoder().decode(entry.value)
if (v !== value) fail(`getIPNS: value ${v}, want ${value}`)
console.log(`ok: getIPNS returns a valid record (${rec.length} bytes) for ${value}`)

// 4. put a record of our own
const sk = await generateKeyPair('Ed25519')
const mine = peerIdFromPrivateKey(sk)
const made = await createIPNSRecord(sk, value, 1n, 24 * 3600 * 1000)
const bytes = IPNSEntry.encode(made)
await client.putIPNS(mine.toCID(), bytes).catch(e => fail(`putIPNS: ${e}`))
const back = await client.getIPNS(mine.toCID())
if (Buffer.compare(Buffer.from(back), Buffer.from(bytes)) !== 0) fail('putIPNS: getIPNS gives another record')
writeFileSync(`${outdir}/put.rec`, bytes)
writeFileSync(`${outdir}/put.name`, mine.toString())
console.log(`ok: putIPNS ${mine} taken, and read back`)

// 5. a broken signature is refused
const bad = IPNSEntry.encode({ ...made, signatureV2: made.signatureV2.map((b, i) => i === 0 ? b ^ 1 : b) })
let refused = false
await client.putIPNS(mine.toCID(), bad).catch(() => { refused = true })
if (!refused) fail('putIPNS took a record with a broken signature')
console.log('ok: putIPNS refuses a broken signature')
await client.stop()
