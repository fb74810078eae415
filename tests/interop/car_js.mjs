// car_js.mjs MODE ARGS — the JS side of car_js.sh, using @ipld/car (the
// reference CAR implementation) and multiformats:
//
//   read FILE.car ROOT   read a CAR trove exported: the root must be ROOT,
//                        every block must hash to its CID, no block twice;
//                        prints the block count
//   write OUT.car FILE   import FILE with ipfs-unixfs-importer (raw leaves,
//                        CIDv1, 256 KiB chunks, so several blocks) into
//                        memory and write every block to a CARv1 with
//                        @ipld/car's writer; prints the root CID
import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { CarReader, CarWriter } from '@ipld/car'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { sha256 } from 'multiformats/hashes/sha2'
import { identity } from 'multiformats/hashes/identity'

const [mode, a, b] = process.argv.slice(2)

if (mode === 'read') {
  const reader = await CarReader.fromIterable(createReadStream(a))
  const roots = await reader.getRoots()
  if (roots.length !== 1 || roots[0].toString() !== b) {
    throw new Error(`roots ${roots} != ${b}`)
  }
  const seen = new Set()
  let n = 0
  for await (const { cid, bytes } of reader.blocks()) {
    const hasher = cid.multihash.code === identity.code ? identity : sha256
    const digest = await hasher.digest(bytes)
    if (!equal(digest.bytes, cid.multihash.bytes)) throw new Error(`block ${cid} does not hash to its CID`)
    const key = cid.multihash.bytes.toString()
    if (seen.has(key)) throw new Error(`block ${cid} twice`)
    seen.add(key)
    n++
  }
  console.log(n)
} else if (mode === 'write') {
  // A store that keeps each block under its real CID (blockstore-core's
  // memory store keys by multihash and hands blocks back as streams).
  const blocks = new Map()
  const bs = {
    async put (cid, bytes) {
      if (!(bytes instanceof Uint8Array)) {
        const parts = []
        for await (const p of bytes) parts.push(p)
        bytes = Buffer.concat(parts)
      }
      blocks.set(cid.toString(), { cid, bytes })
      return cid
    },
    async has (cid) { return blocks.has(cid.toString()) },
    async * get (cid) { yield blocks.get(cid.toString()).bytes }
  }
  let root
  for await (const entry of importer([{ path: 'f', content: readFileSync(b) }], bs, {
    cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 262144 }), wrapWithDirectory: false
  })) root = entry.cid
  const { writer, out } = CarWriter.create([root])
  const sink = Readable.from(out).pipe(createWriteStream(a))
  for (const { cid, bytes } of blocks.values()) await writer.put({ cid, bytes })
  await writer.close()
  await new Promise((resolve, reject) => sink.on('finish', resolve).on('error', reject))
  console.log(root.toString())
} else {
  throw new Error('usage: car_js.mjs read|write ...')
}

function equal (x, y) {
  if (x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}
