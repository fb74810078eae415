/*
 * importer.c — import profiles, the streaming file builder (chunking, leaf
 * framing, balanced tree) and symlink nodes.  Directories are in dir.c.
 * See importer.h for the formats and the guarantees.
 *
 * Buffer layout.  The chunk buffer is
 *
 *     [HEAD bytes][cap bytes of file data][TAIL bytes]
 *
 * A chunk is hashed and stored where it lies.  A raw leaf is the chunk
 * itself.  A dag-pb leaf is PBNode { Data: UnixFS { Type File, Data chunk,
 * filesize n } }, whose bytes are a header (at most HEAD bytes), the chunk,
 * and a trailer (the filesize field, at most TAIL bytes): the header is
 * written over the bytes just before the chunk (the head room, or a chunk
 * already consumed) and the trailer over the bytes just after it (the tail
 * room, or the start of the next chunk, saved and restored around the put).
 * So the data is never copied after it has been read into the buffer.
 *
 * Tree.  Level 0 holds the leaf links of the node being filled, level i the
 * links of level-i nodes.  A full level is turned into a node only when one
 * more link arrives for it, so at the end every level is non-empty and the
 * last node of each level may be partial, exactly as js's balanced layout
 * (batches of max_links, level by level) and boxo's (depth-first fill) come
 * out.  The root is the single link left on the top level; a file of one
 * chunk keeps its leaf as the root.  With DAG_LAYOUT_TRICKLE the leaves'
 * links go to trickle.c's builder instead of level 0, dag-pb leaves are
 * UnixFS Raw nodes, and no leaf is held back for metadata (the trickle
 * root is never a leaf).
 */
#include "import_int.h"

#include "dagpb.h"
#include "multihash.h"

#include <errno.h>
#include <string.h>

#define HEAD 16
#define TAIL 16
/* The largest buffer dag_file_set_pool makes. */
#define BUF_MAX ((size_t)16 << 20)

/* -------------------------------------------------------------- profiles */

int dag_import_profile(dag_import_opts_t *o, const char *name) {
  memset(o, 0, sizeof *o);
  o->mh_code = DAG_MH_SHA2_256;
  o->hamt_threshold = 262144;
  o->hamt_fanout = 256;
  if (!name || !strcmp(name, "unixfs-v1-2025")) {
    o->cid_version = 1;
    o->raw_leaves = true;
    o->chunker = "size-1048576";
    o->max_links = 1024;
    o->hamt_estimate = DAG_HAMT_EST_BLOCK;
  } else if (!strcmp(name, "unixfs-v0-2015") ||
             !strcmp(name, "legacy-cid-v0")) {
    o->cid_version = 0;
    o->raw_leaves = false;
    o->chunker = "size-262144";
    o->max_links = 174;
    o->hamt_estimate = DAG_HAMT_EST_LINKS;
  } else
    return TR_EUSAGE;
  return 0;
}

/* Options every builder needs to be sane. */
int dag__opts_check(const dag_import_opts_t *o) {
  if (o->cid_version != 0 && o->cid_version != 1)
    return TR_EUSAGE;
  if (o->cid_version == 0 && o->mh_code != DAG_MH_SHA2_256)
    return TR_EUSAGE; /* CIDv0 is sha2-256 only */
  if (o->max_links < 2 || o->max_links > DAG_IMPORT_MAX_LINKS)
    return TR_EUSAGE;
  if (o->layout != DAG_LAYOUT_BALANCED && o->layout != DAG_LAYOUT_TRICKLE)
    return TR_EUSAGE;
  if (o->inline_below > DAG_MH_IDENTITY_MAX + 1)
    return TR_EUSAGE; /* an identity digest over verifcid's bound */
  if (o->hamt_estimate < DAG_HAMT_EST_LINKS ||
      o->hamt_estimate > DAG_HAMT_EST_DISABLED)
    return TR_EUSAGE;
  uint64_t f = o->hamt_fanout;
  if (f < 8 || f > 1024 || (f & (f - 1)))
    return TR_EUSAGE;
  return 0;
}

/* ------------------------------------------------------------ file state */

typedef struct level {
  dag_pb_link_t *links; /* max_links each; names are all "" */
  uint64_t *sizes;      /* file bytes under each link (blocksizes) */
  size_t n;
} level_t;

struct dag_file {
  dag_import_opts_t o;
  dag_cidb_t cb; /* o's */
  dag_chunker_t ch;
  size_t chmax;
  dag_put_cb put;
  void *ud;
  uint8_t *mem, *buf; /* buf = mem + HEAD */
  size_t cap, start, end;
  uint64_t bytes;     /* file bytes committed */
  uint64_t leaves;
  level_t lv[DAG_IMPORT_MAX_DEPTH];
  size_t nlv;
  uint8_t *node;      /* encode buffer for internal nodes */
  size_t node_cap;
  uint8_t *ufs;       /* encode buffer for their UnixFS data */
  size_t ufs_cap;
  int err;            /* first error, sticky until finish */
  /* The file's metadata (dag_file_set_meta), and its first dag-pb leaf,
   * held back until a second leaf shows it is not the root: [HEAD][chmax]
   * [TAIL], as the chunk buffer, so that it is framed where it lies. */
  dag_meta_t meta;
  bool has_meta, holding;
  uint8_t *held;
  size_t held_len;
  dag__trickle_t *tr; /* the trickle layout's tree, NULL for balanced */
  tr_pool_t *pool;    /* dag_file_set_pool: hashes a run's chunks at once */
  unsigned threads;   /* on this many threads at most */
  struct batch *b;    /* their state, made on first use */
};

/* Chunks cut from one run of input, hashed together on the pool. */
#define BATCH_MAX 64
typedef struct batch {
  dag_file_t *f;
  size_t n;
  uint8_t *p[BATCH_MAX];
  size_t len[BATCH_MAX];
  int rc[BATCH_MAX];
  uint64_t tsize[BATCH_MAX];
  dag_cid_t cid[BATCH_MAX];
} batch_t;

int dag_file_new(dag_file_t **fp, const dag_import_opts_t *o, dag_put_cb put,
                 void *ud) {
  int rc = dag__opts_check(o);
  if (rc)
    return rc;
  dag_file_t *f = tr_calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->o = *o;
  f->cb = dag_import_cidb(o);
  f->put = put;
  f->ud = ud;
  if ((rc = dag_chunker_init(&f->ch, o->chunker))) {
    tr_free(f);
    return rc;
  }
  f->chmax = dag_chunker_max(&f->ch);
  /* Reads of about 1 MiB or more keep syscalls cheap; content-defined
   * chunkers get room for several maximal chunks so that moving the
   * undecided tail to the front costs little. */
  if (f->ch.kind == DAG_CHUNK_SIZE) {
    size_t k = ((size_t)1 << 20) / f->chmax;
    f->cap = f->chmax * (k ? k : 1);
  } else {
    f->cap = 4 * f->chmax > ((size_t)1 << 20) ? 4 * f->chmax : (size_t)1 << 20;
  }
  f->mem = tr_malloc(HEAD + f->cap + TAIL);
  f->ufs_cap = 16 + 11 * o->max_links + DAG_META_MAX;
  f->ufs = tr_malloc(f->ufs_cap);
  if (!f->mem || !f->ufs) {
    dag_file_free(f);
    return -ENOMEM;
  }
  f->buf = f->mem + HEAD;
  if (o->layout == DAG_LAYOUT_TRICKLE &&
      (rc = dag__trickle_new(&f->tr, &f->cb, o->max_links, put, ud))) {
    dag_file_free(f);
    return rc;
  }
  *fp = f;
  return 0;
}

void dag_file_free(dag_file_t *f) {
  if (!f)
    return;
  for (size_t i = 0; i < DAG_IMPORT_MAX_DEPTH; i++) {
    tr_free(f->lv[i].links);
    tr_free(f->lv[i].sizes);
  }
  tr_free(f->mem);
  tr_free(f->node);
  tr_free(f->ufs);
  tr_free(f->held);
  tr_free(f->b);
  dag__trickle_free(f->tr);
  tr_free(f);
}

void dag_file_set_meta(dag_file_t *f, const dag_meta_t *m) {
  f->has_meta = m != NULL;
  if (m)
    f->meta = *m;
}

int dag_file_set_pool(dag_file_t *f, tr_pool_t *pool, unsigned threads) {
  unsigned t = tr_pool_threads(pool);
  if (threads && threads < t)
    t = threads;
  /* Two chunks a thread per run of the buffer, for the reads that fill
   * it (`add -n`, dag-pb leaves); runs handed to dag_file_write carry
   * their own chunks. */
  size_t want = 2 * t * f->chmax;
  if (want > BUF_MAX)
    want = BUF_MAX;
  if (f->ch.kind == DAG_CHUNK_SIZE)
    want -= want % f->chmax;
  if (t > 1 && want > f->cap && f->start == f->end) {
    uint8_t *m = tr_malloc(HEAD + want + TAIL);
    if (!m)
      return -ENOMEM;
    tr_free(f->mem);
    f->mem = m;
    f->buf = m + HEAD;
    f->cap = want;
    f->start = f->end = 0;
  }
  f->pool = t > 1 ? pool : NULL;
  f->threads = t;
  return 0;
}

uint64_t dag_file_bytes(const dag_file_t *f) { return f->bytes; }

size_t dag_file_inplace(const dag_file_t *f) {
  return f->o.raw_leaves && f->ch.kind == DAG_CHUNK_SIZE && !f->err &&
                 f->start == f->end
             ? f->ch.size
             : 0;
}

/* ---------------------------------------------------------------- tree */

static int add_link(dag_file_t *f, size_t i, const dag_cid_t *cid,
                    uint64_t tsize, uint64_t size);

/* Turn the links of level i into one internal File node and pass its link
 * up to level i + 1.  The root (only build_root knows) carries the file's
 * metadata, as boxo's Layout sets it on the root alone. */
static int flush_level(dag_file_t *f, size_t i, bool root) {
  level_t *l = &f->lv[i];
  uint64_t filesize = 0, tsize = 0;
  for (size_t k = 0; k < l->n; k++) {
    filesize += l->sizes[k];
    tsize += l->links[k].tsize;
  }
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_FILE;
  u.filesize = filesize;
  u.has_filesize = true;
  dag_unixfs_set_meta(&u, root && f->has_meta ? &f->meta : NULL);
  int ulen = dag_unixfs_encode(&u, l->sizes, l->n, f->ufs, f->ufs_cap);
  if (ulen < 0)
    return ulen;
  size_t sz = dag_pb_encoded_size(l->links, l->n, f->ufs, (size_t)ulen, true);
  if (sz > f->node_cap) {
    uint8_t *p = tr_realloc(f->node, sz);
    if (!p)
      return -ENOMEM;
    f->node = p;
    f->node_cap = sz;
  }
  int rc = dag_pb_encode(l->links, l->n, f->ufs, (size_t)ulen, true, f->node,
                         f->node_cap);
  if (rc < 0)
    return rc;
  dag_cid_t cid;
  rc = dag__emit(&f->cb, DAG_CODEC_DAG_PB, f->node, sz, f->put, f->ud, &cid);
  if (rc)
    return rc;
  l->n = 0;
  return add_link(f, i + 1, &cid, tsize + sz, filesize);
}

static int add_link(dag_file_t *f, size_t i, const dag_cid_t *cid,
                    uint64_t tsize, uint64_t size) {
  if (i >= DAG_IMPORT_MAX_DEPTH)
    return TR_ETOOBIG;
  level_t *l = &f->lv[i];
  if (!l->links) {
    l->links = tr_calloc(f->o.max_links, sizeof *l->links);
    l->sizes = tr_calloc(f->o.max_links, sizeof *l->sizes);
    if (!l->links || !l->sizes)
      return -ENOMEM;
  }
  if (i >= f->nlv)
    f->nlv = i + 1;
  if (l->n == f->o.max_links) {
    int rc = flush_level(f, i, false);
    if (rc)
      return rc;
  }
  dag_pb_link_t *lk = &l->links[l->n];
  lk->cid = *cid;
  lk->name = "";
  lk->name_len = 0;
  lk->has_name = true; /* Go and js write the empty Name */
  lk->tsize = tsize;
  lk->has_tsize = true;
  l->sizes[l->n++] = size;
  return 0;
}

/* ---------------------------------------------------------------- leaves */

/* A leaf's link goes to the first level of the balanced tree, or to the
 * trickle builder. */
static int leaf_link(dag_file_t *f, const dag_cid_t *cid, uint64_t tsize,
                     uint64_t size) {
  if (f->tr)
    return dag__trickle_leaf(f->tr, cid, tsize, size);
  return add_link(f, 0, cid, tsize, size);
}

/* The frame of a dag-pb leaf of n bytes: its header into hdr (at most
 * HEAD bytes) and its trailer into trl (at most TAIL); *trl_len gets the
 * trailer's length, the header's is returned.  UnixFS: 08 02 [12 len(n)
 * chunk] 18 varint(n); the Data field is left out for an empty chunk, as
 * Go and js do.  Trickle leaves are of type Raw (08 00), as boxo's
 * FillNodeLayer makes them. */
static size_t leaf_frame(const dag_file_t *f, size_t n, uint8_t *hdr,
                         uint8_t *trl, size_t *trl_len) {
  size_t vn = dag_varint_size(n);
  size_t inner = 2 + (n ? 1 + vn + n : 0) + 1 + vn;
  size_t o = 0;
  hdr[o++] = 0x0a;
  o += dag_varint_put(hdr + o, inner);
  hdr[o++] = 0x08;
  hdr[o++] = f->tr ? DAG_UNIXFS_RAW : DAG_UNIXFS_FILE;
  if (n) {
    hdr[o++] = 0x12;
    o += dag_varint_put(hdr + o, n);
  }
  trl[0] = 0x18;
  *trl_len = 1 + dag_varint_put(trl + 1, n);
  return o;
}

/* Put the leaf of the chunk p[0..n), which lies inside the buffer with
 * HEAD writable bytes before it and TAIL after it (see the top of the
 * file), and set *cid and *tsize (the block's bytes).  pre, when not NULL,
 * is its CID, already computed (the batch's hashing). */
static int leaf_put(dag_file_t *f, uint8_t *p, size_t n, const dag_cid_t *pre,
                    dag_cid_t *cid, uint64_t *tsize) {
  if (f->o.raw_leaves) {
    *tsize = n;
    if (!pre)
      return dag__emit(&f->cb, DAG_CODEC_RAW, p, n, f->put, f->ud, cid);
    *cid = *pre;
    return f->put(cid, p, n, f->ud);
  }
  uint8_t hb[HEAD], save[TAIL], trl[TAIL];
  size_t tl, hl = leaf_frame(f, n, hb, trl, &tl);
  uint8_t *h = p - hl;
  int rc;
  memcpy(h, hb, hl);
  memcpy(save, p + n, tl);
  memcpy(p + n, trl, tl);
  *tsize = hl + n + tl;
  if (pre) {
    *cid = *pre;
    rc = f->put(cid, h, hl + n + tl, f->ud);
  } else {
    rc = dag__emit(&f->cb, DAG_CODEC_DAG_PB, h, hl + n + tl, f->put, f->ud,
                   cid);
  }
  memcpy(p + n, save, tl);
  return rc;
}

/* Put the leaf of p[0..n) and link it. */
static int frame_leaf(dag_file_t *f, uint8_t *p, size_t n) {
  dag_cid_t cid;
  uint64_t tsize;
  int rc = leaf_put(f, p, n, NULL, &cid, &tsize);
  return rc ? rc : leaf_link(f, &cid, tsize, n);
}

/* A dag-pb leaf of a file with metadata may be the file's root, which
 * carries the metadata (a raw one cannot: boxo drops it there), and is the
 * root when no second leaf follows.  Holding the first one back until then
 * stores only the block the DAG links, as boxo does. */
static int emit_leaf(dag_file_t *f, uint8_t *p, size_t n) {
  if (f->has_meta && !f->o.raw_leaves && !f->tr) {
    if (f->leaves++ == 0) {
      if (!f->held && !(f->held = tr_malloc(HEAD + f->chmax + TAIL)))
        return -ENOMEM;
      memcpy(f->held + HEAD, p, n);
      f->held_len = n;
      f->holding = true;
      return 0;
    }
    if (f->holding) {
      f->holding = false;
      int rc = frame_leaf(f, f->held + HEAD, f->held_len);
      if (rc)
        return rc;
    }
    return frame_leaf(f, p, n);
  }
  f->leaves++;
  return frame_leaf(f, p, n);
}

/* The held leaf as the whole file: its UnixFS data with the metadata. */
static int root_leaf(dag_file_t *f, dag_import_result_t *res) {
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_FILE;
  u.data = f->held + HEAD;
  u.data_len = f->held_len;
  u.has_data = true;
  u.filesize = f->held_len;
  u.has_filesize = true;
  dag_unixfs_set_meta(&u, &f->meta);
  size_t ulen = dag_unixfs_encoded_size(&u, NULL, 0);
  size_t sz = dag_pb_encoded_size(NULL, 0, NULL, ulen, true);
  uint8_t *ufs = tr_malloc(ulen), *blk = tr_malloc(sz);
  int rc = ufs && blk ? 0 : -ENOMEM;
  if (!rc && (rc = dag_unixfs_encode(&u, NULL, 0, ufs, ulen)) >= 0)
    rc = dag_pb_encode(NULL, 0, ufs, ulen, true, blk, sz);
  if (rc >= 0)
    rc = dag__emit(&f->cb, DAG_CODEC_DAG_PB, blk, sz, f->put, f->ud,
                   &res->cid);
  tr_free(ufs);
  tr_free(blk);
  f->holding = false;
  if (rc)
    return rc;
  res->tsize = sz;
  res->size = f->held_len;
  return 0;
}

/* ------------------------------------------------------------- batches */

/* Whether this file's leaves go in batches (on the pool when there is
 * one): not while the first dag-pb leaf may be held back (emit_leaf), and
 * dag-pb leaves only with sha2-256, the one function hashed in pieces
 * (dag_sha256_parts), since the frame around a chunk is written only when
 * it is put.  Raw leaves always do: those put where they lie must all be
 * put before a node is (batch_run). */
static bool batching(const dag_file_t *f) {
  return !(f->has_meta && !f->o.raw_leaves && !f->tr) &&
         (f->o.raw_leaves || f->o.mh_code == DAG_MH_SHA2_256);
}

/* On a pool thread: the CID of the batch's leaf i. */
static void batch_hash(void *ctx, size_t i) {
  batch_t *b = ctx;
  const dag_file_t *f = b->f;
  if (f->o.raw_leaves) {
    b->rc[i] = dag_cidb_sum(&f->cb, DAG_CODEC_RAW, b->p[i], b->len[i],
                            &b->cid[i]);
    return;
  }
  uint8_t hdr[HEAD], trl[TAIL], mh[2 + 32];
  size_t tl, hl = leaf_frame(f, b->len[i], hdr, trl, &tl);
  if (hl + b->len[i] + tl < f->cb.inline_below) { /* add --inline */
    uint8_t blk[DAG_MH_IDENTITY_MAX + 1];
    memcpy(blk, hdr, hl);
    memcpy(blk + hl, b->p[i], b->len[i]);
    memcpy(blk + hl + b->len[i], trl, tl);
    b->rc[i] = dag_cidb_sum(&f->cb, DAG_CODEC_DAG_PB, blk,
                            hl + b->len[i] + tl, &b->cid[i]);
    return;
  }
  const void *parts[3] = {hdr, b->p[i], trl};
  size_t lens[3] = {hl, b->len[i], tl};
  mh[0] = DAG_MH_SHA2_256;
  mh[1] = 32;
  dag_sha256_parts(parts, lens, 3, mh + 2);
  b->rc[i] = dag_cid_make(&b->cid[i], f->o.cid_version, DAG_CODEC_DAG_PB, mh,
                          sizeof mh);
}

/* Cut the chunks of p[0..n) that can be decided (eof: the input ends
 * there), BATCH_MAX at most, hash them together on the pool, then put
 * every leaf and only then link them: a link may complete a node, whose
 * put would take the writer's queue where the next leaves lie
 * (blockstore/pipe.h's room, cli/cmd_add.c).  Returns the bytes consumed
 * (0: no chunk could be cut yet) or an error. */
static int64_t batch_run(dag_file_t *f, uint8_t *p, size_t n, bool eof) {
  if (!f->b && !(f->b = tr_malloc(sizeof *f->b)))
    return -ENOMEM;
  batch_t *b = f->b;
  b->f = f;
  b->n = 0;
  size_t off = 0;
  while (b->n < BATCH_MAX) {
    size_t avail = n - off;
    if (!eof && avail < f->chmax)
      break; /* as process(): the chunker wants a full window */
    size_t c = dag_chunker_cut(&f->ch, p + off, avail, eof);
    if (!c)
      break;
    b->p[b->n] = p + off;
    b->len[b->n++] = c;
    off += c;
  }
  if (!b->n)
    return 0;
  tr_pool_run(f->pool, f->threads, b->n, batch_hash, b);
  for (size_t i = 0; i < b->n; i++)
    if (b->rc[i] < 0)
      return b->rc[i];
  for (size_t i = 0; i < b->n; i++) {
    dag_cid_t cid;
    int rc = leaf_put(f, b->p[i], b->len[i], &b->cid[i], &cid, &b->tsize[i]);
    if (rc)
      return rc;
    f->leaves++;
  }
  for (size_t i = 0; i < b->n; i++) {
    int rc = leaf_link(f, &b->cid[i], b->tsize[i], b->len[i]);
    if (rc)
      return rc;
  }
  return (int64_t)off;
}

/* Cut and emit every chunk that can be decided. */
static int process(dag_file_t *f, bool eof) {
  while (!f->err) {
    size_t avail = f->end - f->start;
    if (batching(f)) {
      int64_t k = batch_run(f, f->buf + f->start, avail, eof);
      if (k <= 0) {
        f->err = (int)k;
        break;
      }
      f->start += (size_t)k;
      continue;
    }
    if (!eof && avail < f->chmax)
      break; /* the chunker wants a full window before it decides */
    size_t c = dag_chunker_cut(&f->ch, f->buf + f->start, avail, eof);
    if (!c)
      break;
    f->err = emit_leaf(f, f->buf + f->start, c);
    f->start += c;
  }
  if (f->start == f->end)
    f->start = f->end = 0;
  return f->err;
}

uint8_t *dag_file_space(dag_file_t *f, size_t *room) {
  if (f->end == f->cap && f->start > 0) {
    memmove(f->buf, f->buf + f->start, f->end - f->start);
    f->end -= f->start;
    f->start = 0;
  }
  *room = f->cap - f->end;
  return f->buf + f->end;
}

int dag_file_commit(dag_file_t *f, size_t n) {
  if (f->err)
    return f->err;
  if (n > f->cap - f->end)
    return TR_EUSAGE;
  f->end += n;
  f->bytes += n;
  return process(f, false);
}

int dag_file_write(dag_file_t *f, const void *p, size_t n) {
  const uint8_t *s = p;
  while (n) {
    /* Raw leaves are the input bytes themselves: while nothing is
     * buffered, whole chunks are cut, hashed and put where they lie,
     * without the copy into the buffer (an add through the daemon's API
     * hands over runs of up to 4 MiB, and that copy was a sixth of its
     * upload thread's time).  The chunker decides a chunk from its first
     * chmax bytes, so the cuts are those process() would make. */
    if (f->o.raw_leaves && f->start == f->end && n >= f->chmax && !f->err) {
      int64_t k = batch_run(f, (uint8_t *)(uintptr_t)s, n, false);
      if (k < 0)
        return f->err = (int)k;
      f->bytes += (uint64_t)k;
      s += k;
      n -= (size_t)k;
      if (k)
        continue;
    }
    size_t room;
    uint8_t *d = dag_file_space(f, &room);
    size_t k = n < room ? n : room;
    /* Raw leaves: copy no more than the chunker needs to decide, so that
     * once the buffered chunk is out the rest can go the way above. */
    size_t held = f->end - f->start;
    if (f->o.raw_leaves && held < f->chmax && k > f->chmax - held)
      k = f->chmax - held;
    memcpy(d, s, k);
    int rc = dag_file_commit(f, k);
    if (rc)
      return rc;
    s += k;
    n -= k;
  }
  return 0;
}

/* The root: flush every level but the top, which then holds one link. */
static int build_root(dag_file_t *f, dag_import_result_t *res) {
  if (f->tr) /* no empty leaf: an empty trickle file is a root alone */
    return dag__trickle_finish(f->tr, f->has_meta ? &f->meta : NULL, res);
  if (!f->leaves && (f->err = emit_leaf(f, f->buf, 0)))
    return f->err;
  if (f->holding)
    return root_leaf(f, res);
  for (size_t i = 0;; i++) {
    level_t *l = &f->lv[i];
    if (i + 1 == f->nlv && l->n == 1) {
      res->cid = l->links[0].cid;
      res->tsize = l->links[0].tsize;
      res->size = l->sizes[0];
      return 0;
    }
    bool root = true; /* no level above holds a link yet */
    for (size_t k = i + 1; k < f->nlv && root; k++)
      root = f->lv[k].n == 0;
    int rc = flush_level(f, i, root);
    if (rc)
      return rc;
  }
}

void dag_file_reset(dag_file_t *f) {
  for (size_t i = 0; i < DAG_IMPORT_MAX_DEPTH; i++)
    f->lv[i].n = 0;
  f->nlv = 0;
  f->start = f->end = 0;
  f->bytes = f->leaves = 0;
  f->err = 0;
  f->has_meta = f->holding = false;
  if (f->tr)
    dag__trickle_reset(f->tr);
}

int dag_file_finish(dag_file_t *f, dag_import_result_t *res) {
  int rc = process(f, true);
  if (!rc)
    rc = build_root(f, res);
  dag_file_reset(f);
  return rc;
}

int dag_import_bytes(const dag_import_opts_t *o, const void *data, size_t len,
                     dag_put_cb put, void *ud, dag_import_result_t *res) {
  dag_file_t *f;
  int rc = dag_file_new(&f, o, put, ud);
  if (rc)
    return rc;
  rc = dag_file_write(f, data, len);
  int rc2 = dag_file_finish(f, res);
  dag_file_free(f);
  return rc ? rc : rc2;
}

/* ------------------------------------------------------------- symlinks */

int dag_import_symlink(const dag_import_opts_t *o, const char *target,
                       size_t len, const dag_meta_t *meta, dag_put_cb put,
                       void *ud, dag_import_result_t *res) {
  int rc = dag__opts_check(o);
  if (rc)
    return rc;
  if (len == 0 || len > 4096)
    return TR_EUSAGE;
  dag_unixfs_t u = {0};
  u.type = DAG_UNIXFS_SYMLINK;
  u.data = (const uint8_t *)target;
  u.data_len = len;
  u.has_data = true;
  if (meta && meta->has_mtime) {
    dag_meta_t m = *meta;
    m.has_mode = false;
    dag_unixfs_set_meta(&u, &m);
  }
  uint8_t ufs[4096 + 16 + DAG_META_MAX], blk[4096 + 32 + DAG_META_MAX];
  int ulen = dag_unixfs_encode(&u, NULL, 0, ufs, sizeof ufs);
  if (ulen < 0)
    return ulen;
  int n = dag_pb_encode(NULL, 0, ufs, (size_t)ulen, true, blk, sizeof blk);
  if (n < 0)
    return n;
  dag_cidb_t cb = dag_import_cidb(o);
  rc = dag__emit(&cb, DAG_CODEC_DAG_PB, blk, (size_t)n, put, ud, &res->cid);
  if (rc)
    return rc;
  res->tsize = (uint64_t)n;
  res->size = 0;
  return 0;
}
