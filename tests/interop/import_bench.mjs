// import_bench.mjs FILE — the JS reference for bench/import.sh: import FILE
// with ipfs-unixfs-importer using the unixfs-v1-2025 settings (CIDv1, raw
// leaves, 1 MiB chunks, balanced, 1024 links) into a black-hole blockstore
// (hash only, nothing kept) and print the root CID.  Read in 4 MiB pieces.
import { createReadStream } from 'node:fs'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

const file = process.argv[2]
let root
for await (const e of importer([{ content: createReadStream(file, { highWaterMark: 4 << 20 }) }],
  new BlackHoleBlockstore(), {
    cidVersion: 1,
    rawLeaves: true,
    chunker: fixedSize({ chunkSize: 1048576 }),
    layout: balanced({ maxChildrenPerNode: 1024 }),
    reduceSingleLeafToSelf: true
  })) root = e.cid
console.log(root.toString())
