// corpus.mjs DIR — writes the seeded corpus of the import interop test:
//   DIR/pool        pseudo-random bytes (AES-256-CTR keystream of a fixed
//                   key), 1 GiB + 1 MiB; file cases are its prefixes
//   DIR/tree/...    directory trees: nesting, empty directories, unicode and
//                   tricky names, symlinks, dot files, and directories just
//                   at and just over the HAMT threshold of each profile
// Deterministic: the same bytes and names on every run and machine.
import { createCipheriv, createHash } from 'node:crypto'
import { mkdirSync, writeFileSync, symlinkSync, openSync, writeSync, closeSync, existsSync, statSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2]
if (!dir) throw new Error('usage: node corpus.mjs DIR')
export const POOL_SIZE = 1024 * 1048576 + 1048576

const key = createHash('sha256').update('trove-interop-1').digest()

// Written under a temporary name and renamed, so that runs sharing DIR
// (two test runners at once) never see a half-written corpus.
function writePool (path) {
  if (existsSync(path) && statSync(path).size === POOL_SIZE) return
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  const tmp = `${path}.${process.pid}`
  const fd = openSync(tmp, 'w')
  const zero = Buffer.alloc(4 << 20)
  for (let left = POOL_SIZE; left > 0;) {
    const n = Math.min(left, zero.length)
    writeSync(fd, c.update(zero.subarray(0, n)))
    left -= n
  }
  closeSync(fd)
  renameSync(tmp, path)
}

// Small seeded content for tree files (xorshift32).
function bytes (seed, n) {
  const b = Buffer.alloc(n)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    b[i] = x & 255
  }
  return b
}

function file (p, seed, n) { writeFileSync(p, bytes(seed, n)) }

mkdirSync(dir, { recursive: true })
writePool(join(dir, 'pool'))
const final = join(dir, 'tree')
if (existsSync(join(final, '.done'))) process.exit(0)
const tree = `${final}.${process.pid}`
rmSync(tree, { recursive: true, force: true })
mkdirSync(tree, { recursive: true })

// nested: depth, sizes around both chunk sizes, names, symlinks, dot files
const n = join(tree, 'nested')
mkdirSync(join(n, 'a/b/c/d'), { recursive: true })
mkdirSync(join(n, 'empty'), { recursive: true })
mkdirSync(join(n, 'a/emptier'), { recursive: true })
mkdirSync(join(n, '日本語'), { recursive: true })
mkdirSync(join(n, '.dotdir/inner'), { recursive: true })
file(join(n, 'a/b/c/d/deep.bin'), 1, 300000) // two v0 chunks
file(join(n, 'a/b/one-and-a-half-mib'), 2, 1572864) // two v1 chunks
file(join(n, 'a/zero'), 3, 0)
file(join(n, 'a/one'), 4, 1)
file(join(n, 'é.txt'), 5, 100)
file(join(n, '日本語/ファイル'), 6, 5000)
file(join(n, 'emoji-😀'), 7, 10)
file(join(n, 'with space'), 8, 11)
for (const [i, name] of ['B', 'a.b', 'a-b', 'ab', 'Z', 'a0', 'b', '~'].entries()) {
  file(join(n, name), 20 + i, 7 + i)
}
file(join(n, '.hidden'), 9, 12)
file(join(n, '.dotdir/inner/x'), 10, 13)
file(join(n, 'a/.also-hidden'), 11, 14)
symlinkSync('a/one', join(n, 'to-one'))
symlinkSync('a', join(n, 'to-dir'))
symlinkSync('/etc/passwd', join(n, 'absolute'))
symlinkSync('does/not/exist', join(n, 'dangling'))
symlinkSync('../../日本語', join(n, 'a/b/up-unicode'))

// Directories at the HAMT thresholds.  v1 (block estimate): a CIDv1 raw link
// to a 1-byte file with a 16-byte name is 60 bytes; 4 + 4369 * 60 = 262144
// exactly stays flat (the test is strictly greater), 4370 entries shard.
// v0 (links estimate): a 30-byte name + a 34-byte CIDv0 is 64; 4096 * 64 =
// 262144 stays flat, 4097 shards.
function flatDir (name, count, nameLen, seed) {
  const d = join(tree, name)
  mkdirSync(d, { recursive: true })
  for (let i = 0; i < count; i++) {
    const fn = String(i).padStart(nameLen, '0')
    writeFileSync(join(d, fn), Buffer.from([(i * 31 + seed) & 255]))
  }
  return d
}
flatDir('v1-at-threshold', 4369, 16, 1)
flatDir('v1-over-threshold', 4370, 16, 1)
flatDir('v0-at-threshold', 4096, 30, 2)
flatDir('v0-over-threshold', 4097, 30, 2)
// A HAMT holding subdirectories too (far over the threshold in both
// profiles, so the js importer's estimate, which counts a non-empty
// subdirectory as 0 bytes, agrees on sharding).
const h = flatDir('hamt-with-dirs', 6000, 40, 3)
for (const s of ['sub1', 'sub2', 'zz']) {
  mkdirSync(join(h, s, 'deeper'), { recursive: true })
  file(join(h, s, 'f'), 30, 2000)
  file(join(h, s, 'deeper', 'g'), 31, 3)
}
mkdirSync(join(h, 'empty-sub'))
symlinkSync('sub1/f', join(h, 'link'))

// A single file to add on its own and wrapped with -w.
mkdirSync(join(tree, 'single'))
file(join(tree, 'single', 'report.pdf'), 40, 2500000)

writeFileSync(join(tree, '.done'), '')
// The final tree only ever appears whole, by rename; one without .done was
// left by an older version of this script.
if (existsSync(final) && !existsSync(join(final, '.done'))) rmSync(final, { recursive: true, force: true })
try {
  renameSync(tree, final)
} catch {
  rmSync(tree, { recursive: true, force: true }) // another run won the race
}
