/*
 * fuzz_mfs.c — libFuzzer target for the MFS (rpc/mfs.h) over hostile
 * blocks: what `files cp /ipfs/<CID>` links into the tree when a peer
 * controls the DAG, then edited by path.
 *
 * One LMDB store in a temporary directory is opened once; each input runs
 * in a write transaction that is aborted at its end, so the store stays
 * empty between inputs.  The input is read as:
 *
 *   1. a few blocks (raw; dag-pb Directory, HAMTShard, File and Symlink
 *      nodes; a dag-pb node with garbage UnixFS data; dag-cbor; a CID of
 *      an unknown codec), each built from fuzz bytes: HAMT fanout, hashType
 *      and bitfield chosen, link names from a small pool with their bucket
 *      prefix right, wrong, lower-case or absent, links to earlier blocks
 *      or to blocks that are not there, CIDv0, v1 or identity (the block
 *      inside its CID);
 *   2. one or two of them linked into MFS with mfs_put (/h, /g/<name>);
 *   3. a list of operations through mfs_run (ls, stat, flush, mkdir, cp of
 *      MFS and /ipfs/ paths, mv, rm, chmod, touch, chcid), mfs_write_fd
 *      (small data through a pipe) and mfs_to_files, on paths made of a
 *      small alphabet: '/', '.', '..', empty segments, a long name, names
 *      the hostile directories hold.
 *
 * Checked (abort() on a violation): every call returns 0 or a negative
 * code trove names (rm also 1: some paths failed); after a successful
 * mkdir the path is a directory; after a successful rm (without --force)
 * each path gives TR_EPATH; after a successful write of N bytes at offset
 * 0 with truncate, the file reads back as those bytes.  ASan and libFuzzer
 * catch crashes, leaks and hangs.  FUZZ_MFS_TRACE=1 prints each block,
 * call and result (how a crash file becomes a reproducer).
 *
 * The rm check is left out where the directory lists the name twice
 * before the rm, a known finding (rm takes one of the two links away,
 * reports success, and the name is still there: see test_mfs_hostile.c's
 * test_dup_names and test_hamt_misplaced); FUZZ_MFS_STRICT=1 in the
 * environment checks those too.
 *
 * Build: make build-fuzz/fuzz_mfs; seeds in tests/fuzz/corpus/fuzz_mfs.
 */
#include "../../rpc/mfs_int.h"
#include "../../dag/dagpb.h"
#include "../../dag/hamt.h"
#include "../../dag/multihash.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------- the input */

typedef struct fz {
  const uint8_t *p;
  size_t n;
} fz_t;

static uint8_t u8(fz_t *f) {
  if (!f->n)
    return 0;
  f->n--;
  return *f->p++;
}

static uint16_t u16(fz_t *f) {
  uint16_t v = u8(f);
  return (uint16_t)(v | (uint16_t)(u8(f) << 8));
}

/* Up to want bytes of the input (fewer at its end). */
static const uint8_t *take(fz_t *f, size_t want, size_t *got) {
  if (want > f->n)
    want = f->n;
  const uint8_t *p = f->p;
  f->p += want, f->n -= want;
  *got = want;
  return p;
}

/* ------------------------------------------------------------ the pool */

#define LONG_LEN 300
static char long_name[LONG_LEN];

typedef struct name {
  const char *s;
  size_t len;
} name_t;

static const name_t pool[] = {
    {"a", 1},     {"b", 1},       {"c", 1},       {"ab", 2},
    {"..", 2},    {".", 1},       {"", 0},        {"x/y", 3},
    {"n\0l", 3},  {"\xc3\x28", 2}, {long_name, LONG_LEN}, {"h", 1},
    {"0A", 2},    {"FF", 2},      {"d", 1},       {"a b", 3},
};
#define POOL_N (sizeof pool / sizeof pool[0])

/* A link name: from the pool, or up to 6 fuzz bytes. */
static name_t pick_name(fz_t *f, char *scratch) {
  uint8_t b = u8(f);
  if (b < 0xe0)
    return pool[b % POOL_N];
  size_t n;
  const uint8_t *p = take(f, b & 7, &n);
  memcpy(scratch, p, n);
  return (name_t){scratch, n};
}

/* --------------------------------------------------------------- blocks */

/* FUZZ_MFS_TRACE=1: each block, call and result on stderr (reproducers). */
static int tracing = -1;

#define MAX_BLOCKS 8
#define MAX_LINKS 8
#define BLK_MAX 4096

typedef struct st {
  mfs_t m;
  dag_cid_t cid[MAX_BLOCKS];
  size_t n;
} st_t;

/* A CID that no block has (the peer never sends it). */
static dag_cid_t missing_cid(uint8_t seed, bool dir) {
  dag_cid_t c;
  uint8_t b[2] = {0xfe, seed};
  if (dag_cid_sum(&c, dir ? 0 : 1, dir ? DAG_CODEC_DAG_PB : DAG_CODEC_RAW,
                  DAG_MH_SHA2_256, b, sizeof b))
    abort();
  return c;
}

/* The CID a link points at: an earlier block or a missing one. */
static dag_cid_t link_target(st_t *s, fz_t *f) {
  uint8_t b = u8(f);
  if (s->n && b < 0xc0)
    return s->cid[b % s->n];
  return missing_cid(b, b & 1);
}

/* Store a block under a CID of the version, hash and codec fuzz picks. */
static void store(st_t *s, fz_t *f, uint64_t codec, const uint8_t *d,
                  size_t n) {
  uint8_t how = u8(f);
  dag_cid_t c;
  int rc;
  if ((how & 3) == 3 && n <= 96) /* identity: the block inside its CID */
    rc = dag_cid_sum(&c, 1, codec, DAG_MH_IDENTITY, d, n);
  else if ((how & 3) == 0 && codec == DAG_CODEC_DAG_PB)
    rc = dag_cid_sum(&c, 0, codec, DAG_MH_SHA2_256, d, n);
  else
    rc = dag_cid_sum(&c, 1, codec, DAG_MH_SHA2_256, d, n);
  if (rc)
    abort();
  if (c.mh_code != DAG_MH_IDENTITY && bs_put(s->m.txn, &c, d, n))
    return; /* a block the store refuses (dag-pb that does not parse) */
  if (tracing) {
    char cs[DAG_CID_STR_MAX];
    fprintf(stderr, "block %zu %s (%zu bytes):", s->n, dag_cid_str(&c, cs),
            n);
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, " %02x", d[i]);
    fprintf(stderr, "\n");
  }
  s->cid[s->n++] = c;
}

static void put_hex(char *out, unsigned idx, unsigned padlen, bool lower) {
  const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
  for (unsigned i = padlen; i > 0; i--, idx >>= 4)
    out[i - 1] = hex[idx & 15];
}

static const uint64_t fanouts[] = {256, 8, 16, 1024, 4, 7, 100, 2048};

/* A dag-pb node with UnixFS data u and up to MAX_LINKS links. */
static void pb_block(st_t *s, fz_t *f, dag_unixfs_t *u, bool hamt,
                     unsigned padlen, uint64_t fanout) {
  dag_pb_link_t l[MAX_LINKS];
  char names[MAX_LINKS][LONG_LEN + 8], scratch[8];
  size_t nl = u8(f) % (MAX_LINKS + 1);
  int bits = hamt ? dag_hamt_bits(fanout) : -1;
  for (size_t i = 0; i < nl; i++) {
    memset(&l[i], 0, sizeof l[i]);
    uint8_t how = u8(f);
    name_t nm = pick_name(f, scratch);
    size_t o = 0;
    if (hamt) {
      /* the bucket prefix: right (at depth 0-2), fuzz-chosen, lower-case,
       * absent; a child shard's link has the prefix alone */
      unsigned pl = padlen ? padlen : 2, idx;
      unsigned depth = (how >> 4) % 3;
      if ((how & 3) == 0 && bits > 0 && (depth + 1) * (unsigned)bits <= 64)
        idx = dag_hamt_index(dag_hamt_hash(nm.s, nm.len), depth,
                             (unsigned)bits);
      else
        idx = u8(f);
      if ((how & 3) != 3) {
        put_hex(names[i], idx, pl, (how & 3) == 2);
        o = pl;
      }
      if (how & 4)
        nm.len = 0; /* a child shard */
    }
    memcpy(names[i] + o, nm.s, nm.len);
    l[i].name = names[i];
    l[i].name_len = o + nm.len;
    l[i].has_name = !(how & 8) || l[i].name_len;
    l[i].cid = link_target(s, f);
    l[i].has_tsize = true;
    l[i].tsize = (how & 0x80) ? UINT64_MAX - u8(f) : u16(f);
  }
  /* HAMT links in bucket order unless the input says otherwise. */
  if (hamt && !(u8(f) & 1))
    for (size_t i = 1; i < nl; i++)
      for (size_t j = i; j > 0 && memcmp(l[j - 1].name, l[j].name,
                                         padlen) > 0; j--) {
        dag_pb_link_t t = l[j];
        l[j] = l[j - 1];
        l[j - 1] = t;
      }
  uint8_t ubuf[BLK_MAX], blk[BLK_MAX];
  int ul = dag_unixfs_encode(u, NULL, 0, ubuf, sizeof ubuf);
  if (ul < 0)
    return;
  int bl = dag_pb_encode(l, nl, ubuf, (size_t)ul, true, blk, sizeof blk);
  if (bl < 0)
    return;
  store(s, f, DAG_CODEC_DAG_PB, blk, (size_t)bl);
}

static void meta_fields(fz_t *f, dag_unixfs_t *u) {
  uint8_t b = u8(f);
  if (b & 1)
    u->has_mode = true, u->mode = u16(f);
  if (b & 2)
    u->has_mtime = true, u->mtime_sec = (int8_t)u8(f),
    u->mtime_nsec = (b & 4) ? 999999999u : 0;
}

static void make_block(st_t *s, fz_t *f) {
  uint8_t kind = u8(f);
  dag_unixfs_t u = {0};
  size_t n;
  const uint8_t *p;
  switch (kind % 10) {
  case 0: /* raw */
    p = take(f, u8(f) % 24, &n);
    store(s, f, DAG_CODEC_RAW, p, n);
    return;
  case 1:
  case 2: /* a flat directory */
    u.type = DAG_UNIXFS_DIRECTORY;
    meta_fields(f, &u);
    pb_block(s, f, &u, false, 0, 0);
    return;
  case 3:
  case 4:
  case 5: { /* a HAMT shard */
    uint8_t b = u8(f);
    uint64_t fanout = fanouts[b & 7];
    uint8_t bf[128] = {0};
    u.type = DAG_UNIXFS_HAMT;
    u.has_fanout = !(b & 0x08);
    u.fanout = fanout;
    u.has_hash_type = !(b & 0x10);
    u.hash_type = (b & 0x20) ? 0x23 : DAG_HAMT_MURMUR3;
    if (b & 0x40) { /* a bitfield from the input */
      p = take(f, u8(f) % 8, &n);
      u.data = p, u.data_len = n;
    } else { /* all set: some bits agree with the links */
      memset(bf, 0xff, sizeof bf);
      u.data = bf;
      u.data_len = fanout / 8 <= sizeof bf ? (size_t)(fanout / 8) : 1;
    }
    u.has_data = true;
    if (b & 0x80)
      meta_fields(f, &u);
    pb_block(s, f, &u, true, dag_hamt_padlen(fanout), fanout);
    return;
  }
  case 6: /* a file, maybe over other blocks */
    u.type = DAG_UNIXFS_FILE;
    p = take(f, u8(f) % 16, &n);
    u.data = p, u.data_len = n, u.has_data = n > 0;
    u.filesize = n, u.has_filesize = true;
    pb_block(s, f, &u, false, 0, 0);
    return;
  case 7: /* a symlink, or garbage UnixFS */
    if (kind & 0x10) {
      u.type = DAG_UNIXFS_SYMLINK;
      u.data = (const uint8_t *)"../a", u.data_len = 4, u.has_data = true;
      pb_block(s, f, &u, false, 0, 0);
    } else {
      uint8_t blk[64];
      p = take(f, u8(f) % 16, &n);
      int bl = dag_pb_encode(NULL, 0, p, n, true, blk, sizeof blk);
      if (bl >= 0)
        store(s, f, DAG_CODEC_DAG_PB, blk, (size_t)bl);
    }
    return;
  case 8: { /* dag-cbor: an empty map, or a map with a link */
    uint8_t blk[64] = {0xa0};
    n = 1;
    if ((kind & 0x10) && s->n) {
      dag_cid_t c = s->cid[u8(f) % s->n];
      if (c.len <= 40) {
        blk[0] = 0xa1, blk[1] = 0x61, blk[2] = 'a';
        blk[3] = 0xd8, blk[4] = 0x2a, blk[5] = 0x58;
        blk[6] = (uint8_t)(c.len + 1), blk[7] = 0;
        memcpy(blk + 8, c.bytes, c.len);
        n = 8 + c.len;
      }
    }
    store(s, f, DAG_CODEC_DAG_CBOR, blk, n);
    return;
  }
  default: /* a codec trove does not know */
    p = take(f, u8(f) % 8, &n);
    store(s, f, 0x300000 + (kind & 0xf), p, n);
    return;
  }
}

/* ---------------------------------------------------------------- paths */

#define PATH_CAP 5000

static void path_of(fz_t *f, char *out) {
  uint8_t b = u8(f);
  size_t o = 0;
  if (b == 0xff) { /* longer than MFS_PATH_MAX */
    while (o + 2 < MFS_PATH_MAX + 10)
      out[o++] = '/', out[o++] = 'a';
    out[o] = 0;
    return;
  }
  if (!((b & 0x60) == 0x60))
    out[o++] = '/';
  if (b & 1) {
    out[o++] = 'h';
  }
  for (unsigned i = 0, n = (b >> 1) % 4; i < n; i++) {
    uint8_t sb = u8(f);
    if (o && out[o - 1] != '/')
      out[o++] = '/';
    if (sb & 0x80)
      out[o++] = '/'; /* an empty segment */
    name_t nm = pool[sb % POOL_N];
    if (memchr(nm.s, 0, nm.len))
      nm.len = 1; /* C strings: the part before the NUL */
    memcpy(out + o, nm.s, nm.len);
    o += nm.len;
  }
  if ((b & 0x80) && o)
    out[o++] = '/';
  out[o] = 0;
}

/* ---------------------------------------------------------------- checks */


static void esc(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    fprintf(stderr, s[i] >= 0x20 && s[i] < 0x7f ? "%c" : "\\x%02x",
            (uint8_t)s[i]);
}

static void trace(const char *what, const char *a, const char *b, int rc,
                  const mfs_t *m) {
  if (!tracing)
    return;
  fprintf(stderr, "%s \"", what);
  esc(a, strlen(a) > 80 ? 80 : strlen(a));
  fprintf(stderr, "\" \"");
  esc(b ? b : "", b ? (strlen(b) > 80 ? 80 : strlen(b)) : 0);
  fprintf(stderr, "\" -> %d %s [%s]\n", rc, rc ? tr_errname(rc) : "",
          m->err);
}

static void check_rc(int rc, bool rm) {
  if (rc > 0 && !(rm && rc == 1))
    abort();
  if (rc < 0 && !strcmp(tr_errname(rc), "UNKNOWN"))
    abort();
}

static void check_dir(mfs_t *m, const char *path) {
  dag_cid_t c;
  int kind = 0;
  if (mfs_lookup(m, path, &c) || mfs__kind(m, &c, &kind) ||
      kind != DAG_NODE_DIR)
    abort();
}

typedef struct cmp {
  const uint8_t *d;
  size_t n, off;
} cmp_t;

static int cmp_cb(const uint8_t *p, size_t n, void *ud) {
  cmp_t *c = ud;
  if (c->off + n > c->n || memcmp(p, c->d + c->off, n))
    abort();
  c->off += n;
  return 0;
}

static int write_pipe(mfs_t *m, const mfs_write_t *w, const uint8_t *d,
                      size_t n) {
  int fd[2];
  if (pipe(fd))
    abort();
  if (n && write(fd[1], d, n) != (ssize_t)n)
    abort();
  close(fd[1]);
  int rc = mfs_write_fd(m, w, fd[0]);
  close(fd[0]);
  return rc;
}

/* ------------------------------------------------------------ operations */

typedef struct count {
  const char *name;
  size_t len, n;
} count_t;

static int count_cb(const dag_dirent_t *e, void *ud) {
  count_t *c = ud;
  c->n += e->name_len == c->len && !memcmp(e->name, c->name, c->len);
  return 0;
}

/* Whether the directory above path lists its last name more than once
 * (or cannot be listed): a name a flat directory holds twice, or a HAMT
 * holds in a bucket that is not its own besides its own. */
static bool listed_twice(mfs_t *m, const char *path) {
  char clean[MFS_PATH_MAX + 2];
  if (mfs_check_path(m, path, clean, sizeof clean))
    return false;
  size_t l = strlen(clean);
  while (l > 1 && clean[l - 1] == '/')
    clean[--l] = 0;
  char *slash = strrchr(clean, '/');
  if (!slash || !slash[1])
    return false;
  count_t c = {slash + 1, strlen(slash + 1), 0};
  slash[slash == clean ? 1 : 0] = 0;
  dag_cid_t dir;
  int rc = mfs_lookup(m, clean, &dir);
  if (!rc)
    rc = dag_ls(&dir, mfs__get_cb, m, count_cb, &c);
  m->err[0] = 0;
  return rc || c.n > 1;
}

static void run_cmd(st_t *s, mfs_cmd_t *c) {
  bool twice[3] = {false, false, false};
  if (c->op == MFS_RM)
    for (size_t i = 0; i < c->n; i++)
      twice[i] = listed_twice(&s->m, c->args[i]);
  s->m.err[0] = 0;
  json_t *answer = NULL;
  tr_bytes_t lines = {0};
  int rc = mfs_run(&s->m, c, &answer, &lines);
  static const char *const opn[] = {"ls", "stat", "flush", "mkdir", "cp",
                                    "mv", "rm", "chcid", "chmod", "touch"};
  trace(opn[c->op], c->args[c->op == MFS_CHMOD ? 1 : 0],
        c->n > 1 && c->op != MFS_CHMOD ? c->args[1] : NULL, rc, &s->m);
  if (tracing && c->flag)
    fprintf(stderr, "  (flag%s)\n", c->force ? ", force" : "");
  check_rc(rc, c->op == MFS_RM);
  if (!rc && c->op <= MFS_FLUSH && !answer)
    abort();
  if (answer) { /* what the API would send */
    char *d = json_dumps(answer, JSON_COMPACT);
    free(d);
  }
  json_decref(answer);
  tr_bytes_free(&lines);
  if (!rc && c->op == MFS_MKDIR)
    check_dir(&s->m, c->args[0]);
  if (!rc && c->op == MFS_RM && !c->force)
    for (size_t i = 0; i < c->n; i++) {
      dag_cid_t x;
      if (twice[i] && !getenv("FUZZ_MFS_STRICT"))
        continue;
      if (mfs_lookup(&s->m, c->args[i], &x) != TR_EPATH)
        abort();
    }
}

static void one_op(st_t *s, fz_t *f) {
  static char a0[PATH_CAP], a1[PATH_CAP], a2[PATH_CAP];
  char *args[3] = {a0, a1, a2};
  mfs_cmd_t c = {.args = args};
  uint8_t op = u8(f), fl = u8(f);
  c.flag = fl & 1;
  c.force = fl & 2;
  s->m.err[0] = 0;
  switch (op % 14) {
  case 0:
    c.op = MFS_LS;
    path_of(f, a0);
    c.n = fl & 4 ? 0 : 1;
    break;
  case 1:
    c.op = MFS_STAT;
    path_of(f, a0);
    c.n = 1;
    break;
  case 2:
    c.op = MFS_FLUSH;
    path_of(f, a0);
    c.n = 1;
    break;
  case 3:
  case 4:
    c.op = MFS_MKDIR;
    path_of(f, a0);
    c.n = 1;
    if (fl & 4)
      c.has_pfx = true, c.pfx = (mfs_prefix_t){(fl >> 3) & 1,
                                              (fl & 16) ? DAG_MH_SHA2_512
                                                        : DAG_MH_SHA2_256};
    break;
  case 5:
    c.op = MFS_CP;
    if ((fl & 4) && s->n) { /* a content path */
      char cs[DAG_CID_STR_MAX];
      dag_cid_str(&s->cid[u8(f) % s->n], cs);
      char sub[PATH_CAP];
      path_of(f, sub);
      snprintf(a0, PATH_CAP, "/ipfs/%s%s", cs, (fl & 8) ? sub : "");
    } else {
      path_of(f, a0);
    }
    path_of(f, a1);
    c.n = 2;
    break;
  case 6:
    c.op = MFS_MV;
    path_of(f, a0);
    path_of(f, a1);
    c.n = 2;
    break;
  case 7:
  case 8:
    c.op = MFS_RM;
    path_of(f, a0);
    c.n = 1;
    if (fl & 4)
      path_of(f, a1), c.n = 2;
    break;
  case 9:
    c.op = MFS_CHMOD;
    snprintf(a0, PATH_CAP, "%o", u16(f));
    path_of(f, a1);
    c.mode = (uint32_t)strtoul(a0, NULL, 8) | ((fl & 4) ? 04000u : 0);
    c.n = 2;
    break;
  case 10:
    c.op = MFS_TOUCH;
    path_of(f, a0);
    c.sec = (int8_t)u8(f);
    c.nsec = (fl & 4) ? 999999999u : 0;
    c.n = 1;
    break;
  case 11:
    c.op = MFS_CHCID;
    path_of(f, a0);
    c.n = 1;
    c.has_pfx = !(fl & 4);
    c.pfx = (mfs_prefix_t){(fl >> 3) & 1, DAG_MH_SHA2_256};
    break;
  case 12: { /* files write */
    path_of(f, a0);
    size_t n;
    const uint8_t *d = take(f, u8(f) % 40, &n);
    mfs_write_t w = {.path = a0, .offset = (fl & 4) ? 0 : u8(f) % 20,
                     .count = (fl & 8) ? (int64_t)(n / 2) : -1,
                     .create = fl & 16, .parents = fl & 32,
                     .truncate = fl & 64,
                     .raw_leaves = (int)(fl >> 7) - (int)(op >> 7)};
    int rc = write_pipe(&s->m, &w, d, n);
    trace("write", a0, NULL, rc, &s->m);
    check_rc(rc, false);
    if (!rc && w.offset == 0 && w.truncate && w.count < 0) {
      dag_cid_t cid;
      cmp_t cm = {d, n, 0};
      if (mfs_lookup(&s->m, a0, &cid) ||
          dag_cat(&cid, 0, UINT64_MAX, mfs__get_cb, &s->m, cmp_cb, &cm) ||
          cm.off != n)
        abort();
    }
    return;
  }
  default: { /* add --to-files */
    path_of(f, a0);
    char scratch[8];
    name_t nm = pick_name(f, scratch);
    snprintf(a1, PATH_CAP, "%.*s", (int)nm.len, nm.s);
    bool linked = fl & 4;
    if (!s->n)
      return;
    int rc = mfs_to_files(&s->m, a0, a1, &s->cid[u8(f) % s->n], &linked);
    trace("to-files", a0, a1, rc, &s->m);
    check_rc(rc, false);
    return;
  }
  }
  run_cmd(s, &c);
}

/* ------------------------------------------------------------ the store */

static bs_env_t *env;
static char dir[] = "/tmp/fuzz_mfs.XXXXXX";

/* The store goes with the process (when it exits, not when it crashes). */
static void teardown(void) {
  static const char *const files[] = {"data.mdb", "lock.mdb", "repo.lock"};
  char p[sizeof dir + 16];
  bs_close(env);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, files[i]);
    unlink(p);
  }
  rmdir(dir);
}

static void setup(void) {
  if (!mkdtemp(dir) || bs_open(&env, dir, BS_CREATE))
    abort();
  atexit(teardown);
  memset(long_name, 'L', sizeof long_name);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len) {
  if (!env)
    setup();
  if (tracing < 0)
    tracing = getenv("FUZZ_MFS_TRACE") != NULL;
  if (len > 4096)
    return 0;
  fz_t f = {in, len};
  st_t s;
  memset(&s, 0, sizeof s);
  bs_txn_t *txn;
  if (bs_txn_begin(env, 0, &txn))
    abort();
  s.m.txn = txn;
  s.m.dflt = (mfs_prefix_t){0, DAG_MH_SHA2_256};
  size_t nb = 1 + u8(&f) % MAX_BLOCKS;
  for (size_t i = 0; i < nb && s.n < MAX_BLOCKS; i++)
    make_block(&s, &f);
  /* Link the last block (the one that can reach the others) at /h, and
   * maybe another one deeper. */
  uint8_t how = u8(&f);
  for (int k = 0; k < 1 + (how & 1) && s.n; k++) {
    const dag_cid_t *c = &s.cid[k ? u8(&f) % s.n : s.n - 1];
    uint64_t ts = 0;
    if (mfs_cumulative(&s.m, c, &ts))
      ts = 7;
    s.m.err[0] = 0;
    int rc = mfs_put(&s.m, k ? "/g/h" : "/h", c, ts, k, false);
    char cs[DAG_CID_STR_MAX];
    trace("put", k ? "/g/h" : "/h", dag_cid_str(c, cs), rc, &s.m);
    check_rc(rc, false);
  }
  for (unsigned i = 0, n = u8(&f) % 24; i < n && f.n; i++)
    one_op(&s, &f);
  bs_txn_abort(txn);
  return 0;
}
