/*
 * blocks.c — block get/put/delete, the links index, iteration and verify.
 *
 * bs_put() writes the value with MDB_RESERVE so the bytes are copied once,
 * straight into the (write-mapped) page.  The links entry of a dag-pb or
 * dag-cbor block is the concatenation of its children's binary CIDs; it is
 * written even when the block itself was already stored under another codec
 * (the same bytes put as raw first), so that GC never misses children.
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../dag/cbor.h"
#include "../dag/dagpb.h"
#include "../dag/varint.h"

/* ---------------------------------------------------------- blocks */

int bs_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t **data,
           size_t *len) {
  if (cid->mh_code == DAG_MH_IDENTITY)
    return bs__id_get(txn, cid, data, len);
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->blocks, &k, &v);
  if (rc == MDB_NOTFOUND)
    return bs__fs_get(txn, cid, data, len);
  if (rc)
    return bs__err(rc);
  *data = v.mv_data;
  *len = v.mv_size;
  return 0;
}

int bs_get_cb(const dag_cid_t *cid, const uint8_t **data, size_t *len,
              void *txn) {
  return bs_get(txn, cid, data, len);
}

int bs_stored(bs_txn_t *txn, const dag_cid_t *cid) {
  if (cid->mh_code == DAG_MH_IDENTITY)
    return 1;
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->blocks, &k, &v);
  return rc == MDB_NOTFOUND ? 0 : rc ? bs__err(rc) : 1;
}

int bs_has(bs_txn_t *txn, const dag_cid_t *cid) {
  int rc = bs_stored(txn, cid);
  MDB_val k = bs__key(cid);
  return rc ? rc : bs__fs_has(txn, &k);
}

/* ---------------------------------------------------------- links index */

static int collect(const dag_cid_t *cid, void *ud) {
  return tr_bytes_append(ud, cid->bytes, cid->len);
}

/* Parse the block's links into out (binary CIDs back to back).  DAG-JSON's,
 * dag-jose's and git-raw's links were not followed before schema 4 and 5,
 * so such blocks were stored whatever they held, and Kubo's decoders may
 * take what trove's refuse: one that does not parse has no links (it is
 * stored, a leaf). */
static int block_links(const dag_cid_t *cid, const uint8_t *data, size_t len,
                       tr_bytes_t *out) {
  int rc = ipld_links(cid->codec, data, len, collect, out);
  bool lenient = cid->codec == DAG_CODEC_DAG_JSON ||
                 cid->codec == DAG_CODEC_DAG_JOSE ||
                 cid->codec == DAG_CODEC_GIT_RAW;
  if (lenient &&
      (rc == TR_EJSON || rc == TR_ECBOR || rc == TR_EGIT || rc == TR_ECID)) {
    out->len = 0;
    rc = 0;
  }
  return rc;
}

int bs__id_links(const dag_cid_t *cid, uint8_t *buf, MDB_val *v) {
  const uint8_t *data;
  size_t len;
  if (cid->mh_code != DAG_MH_IDENTITY || !bs__codec_has_links(cid->codec))
    return 0;
  int rc = bs__id_digest(cid, &data, &len);
  if (rc)
    return rc;
  tr_bytes_t out;
  tr_bytes_borrow(&out, buf, BS__ID_LINKS_MAX);
  rc = block_links(cid, data, len, &out);
  if (!rc && out.data != buf)
    rc = TR_ECORRUPT; /* cannot happen: the links outgrew the block */
  if (rc) {
    tr_bytes_free(&out);
    /* One that does not parse links to nothing trove could know of: a
     * leaf, as a DAG-JSON block that does not parse is (put_links). */
    return rc == -ENOMEM ? rc : 0;
  }
  v->mv_data = buf;
  v->mv_size = out.len;
  return out.len > 0;
}

int bs__id_children(const dag_cid_t *cid,
                    int (*fn)(const dag_cid_t *child, void *ud), void *ud) {
  uint8_t buf[BS__ID_LINKS_MAX];
  MDB_val v;
  int rc = bs__id_links(cid, buf, &v);
  if (rc <= 0)
    return rc;
  const uint8_t *p = v.mv_data;
  size_t left = v.mv_size;
  rc = 0;
  while (left && !rc) {
    dag_cid_t child;
    int n = dag_cid_decode(&child, p, left);
    if (n < 0)
      return TR_ECORRUPT;
    p += n;
    left -= (size_t)n;
    rc = child.mh_code == DAG_MH_IDENTITY ? bs__id_children(&child, fn, ud)
                                          : fn(&child, ud);
  }
  return rc;
}

static int put_links(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
                     size_t len, bool check_existing) {
  MDB_val k = bs__key(cid), v;
  if (check_existing && mdb_get(txn->mdb, txn->env->links, &k, &v) == 0)
    return 0;
  /* Most nodes have few links; the stack buffer avoids malloc on the import
   * hot path for them. */
  uint8_t stackbuf[4096];
  tr_bytes_t out;
  tr_bytes_borrow(&out, stackbuf, sizeof stackbuf);
  int rc = block_links(cid, data, len, &out);
  if (rc == 0 && out.len) {
    v.mv_size = out.len;
    v.mv_data = out.data;
    rc = bs__err(mdb_put(txn->mdb, txn->env->links, &k, &v, 0));
  }
  tr_bytes_free(&out);
  return rc;
}

/* Whether a dag-pb block is one Data field and nothing else: a leaf, the
 * common case of a block with no links entry (every UnixFS v0 leaf).  Told
 * from its first bytes, read with pread() when they are in the map: a
 * touch of the map would map the page's whole folio (large folios: up to
 * the whole value), and a pin's walk over a 1 GiB file of v0 leaves held
 * 1 GiB of RSS for a test that needs 16 bytes a leaf. */
static bool pb_data_only(bs_txn_t *txn, const MDB_val *v) {
  uint8_t head[16];
  size_t n = v->mv_size < sizeof head ? v->mv_size : sizeof head;
  uintptr_t p = (uintptr_t)v->mv_data;
  bs_env_t *env = txn->env;
  int fd;
  if (p >= env->map_lo && p + n <= env->map_hi) {
    if (mdb_env_get_fd(env->mdb, &fd) ||
        pread(fd, head, n, (off_t)(p - env->map_lo)) != (ssize_t)n)
      return false;
  } else {
    memcpy(head, v->mv_data, n); /* this transaction's own page */
  }
  uint64_t dlen;
  int k = n ? dag_varint_get(head + 1, n - 1, &dlen) : -1;
  return k > 0 && head[0] == 0x0a && dlen == v->mv_size - 1 - (size_t)k;
}

int bs__links_unindexed(bs_txn_t *txn, const dag_cid_t *cid) {
  if (!bs__codec_has_links(cid->codec))
    return 0;
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->links, &k, &v);
  if (rc != MDB_NOTFOUND)
    return rc ? bs__err(rc) : 0;
  if ((rc = mdb_get(txn->mdb, txn->env->blocks, &k, &v)))
    return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
  if (cid->codec == DAG_CODEC_DAG_PB && pb_data_only(txn, &v))
    return 0;
  uint8_t stackbuf[4096];
  tr_bytes_t out;
  tr_bytes_borrow(&out, stackbuf, sizeof stackbuf);
  rc = block_links(cid, v.mv_data, v.mv_size, &out);
  if (!rc)
    rc = out.len > 0;
  tr_bytes_free(&out);
  return rc;
}

int bs__links_index(bs_txn_t *txn, const dag_cid_t *cid) {
  if (txn->rdonly)
    return -EACCES;
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->blocks, &k, &v);
  if (rc)
    return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
  /* put_links parses v into its own buffer before it writes. */
  return put_links(txn, cid, v.mv_data, v.mv_size, true);
}

int bs_put(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
           size_t len) {
  int rc = bs__put(txn, cid, data, len);
  return rc < 0 ? rc : 0;
}

int bs__put(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
            size_t len) {
  if (txn->rdonly)
    return -EACCES;
  if (len > BS_MAX_BLOCK)
    return TR_ETOOBIG;
  if (cid->mh_code == DAG_MH_IDENTITY)
    return 0;
  bool links = bs__codec_has_links(cid->codec);
  MDB_val k = bs__key(cid), v = {len, NULL};
  int rc = mdb_put(txn->mdb, txn->env->blocks, &k, &v,
                   MDB_NOOVERWRITE | MDB_RESERVE);
  if (rc == MDB_KEYEXIST)
    return links ? put_links(txn, cid, data, len, true) : 0;
  if (rc)
    return bs__err(rc);
  if (len)
    memcpy(v.mv_data, data, len);
  if (links && (rc = put_links(txn, cid, data, len, false))) {
    /* An unparsable node is not stored: take the reserved value back. */
    mdb_del(txn->mdb, txn->env->blocks, &k, NULL);
    return rc;
  }
  /* A block referenced in the filestore has its keyspace entry. */
  if ((rc = bs__fs_has(txn, &k)))
    return rc < 0 ? rc : 1;
  rc = bs__kspace_put(txn, k.mv_data, k.mv_size);
  return rc ? rc : 1;
}

int bs_put_verified(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t *data,
                    size_t len) {
  int rc = dag_cid_verify(cid, data, len);
  return rc ? rc : bs_put(txn, cid, data, len);
}

int bs_del(bs_txn_t *txn, const dag_cid_t *cid) {
  if (txn->rdonly)
    return -EACCES;
  MDB_val k = bs__key(cid);
  int rc = mdb_del(txn->mdb, txn->env->blocks, &k, NULL);
  /* A filestore reference goes too, as boxo's Filestore.DeleteBlock
   * deletes from both. */
  int frc = txn->env->has_fs ? mdb_del(txn->mdb, txn->env->fs, &k, NULL)
                             : MDB_NOTFOUND;
  if (rc == MDB_NOTFOUND && frc == 0)
    rc = 0;
  if (!rc && frc && frc != MDB_NOTFOUND)
    rc = frc;
  if (rc)
    return bs__err(rc);
  if ((rc = bs__gen_bump(txn, BS_DEL_GEN)))
    return rc;
  rc = mdb_del(txn->mdb, txn->env->links, &k, NULL);
  if (rc && rc != MDB_NOTFOUND)
    return bs__err(rc);
  return bs__kspace_del(txn, k.mv_data, k.mv_size);
}

int bs_links(bs_txn_t *txn, const dag_cid_t *cid, bs_link_cb cb, void *data) {
  MDB_val k = bs__key(cid), v;
  uint8_t idbuf[BS__ID_LINKS_MAX];
  int rc;
  if (cid->mh_code == DAG_MH_IDENTITY) {
    if ((rc = bs__id_links(cid, idbuf, &v)) <= 0)
      return rc;
  } else if ((rc = mdb_get(txn->mdb, txn->env->links, &k, &v))) {
    return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
  }
  const uint8_t *p = v.mv_data;
  size_t left = v.mv_size;
  while (left) {
    dag_cid_t child;
    int n = dag_cid_decode(&child, p, left);
    if (n < 0)
      return TR_ECORRUPT;
    if ((rc = cb(&child, data)))
      return rc;
    p += n;
    left -= (size_t)n;
  }
  return 0;
}

/* ---------------------------------------------------------- iteration */

/* The raw CIDv1 for a stored multihash key. */
static int key_cid(const MDB_val *k, dag_cid_t *cid) {
  return dag_cid_make(cid, 1, DAG_CODEC_RAW, k->mv_data, k->mv_size);
}

int bs_foreach(bs_txn_t *txn, bs_block_cb cb, void *ud) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->blocks, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k, v;
  int op = MDB_FIRST, stop = 0;
  /* LMDB's codes and the callback's are kept apart: a callback may stop
   * with any value, positive ones included, and gets it back unchanged. */
  while (!stop && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
    op = MDB_NEXT;
    dag_cid_t cid;
    if (key_cid(&k, &cid) < 0)
      continue; /* not a multihash: cannot come from bs_put */
    stop = cb(&cid, v.mv_data, v.mv_size, ud);
  }
  mdb_cursor_close(cur);
  if (stop)
    return stop;
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

/* Here beside bs_foreach, not in export.c with the other resumable
 * reads: the resumable verify below uses it, and export.c calls into
 * this file (bs_has), never the other way. */

int bs_foreach_from(bs_txn_t *txn, const uint8_t *after, size_t after_len,
                    bs_block_cb cb, void *ud) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->blocks, &cur);
  if (rc)
    return bs__err(rc);
  MDB_val k, v;
  MDB_cursor_op op = MDB_FIRST;
  if (after_len) {
    k.mv_data = (void *)after;
    k.mv_size = after_len;
    op = MDB_SET_RANGE; /* the first key >= after */
  }
  int out = 0;
  while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
    op = MDB_NEXT;
    if (after_len && k.mv_size == after_len &&
        !memcmp(k.mv_data, after, after_len))
      continue; /* the block the caller has already seen */
    dag_cid_t cid;
    if (dag_cid_make(&cid, 1, DAG_CODEC_RAW, k.mv_data, k.mv_size) < 0)
      continue; /* not a multihash: cannot come from bs_put */
    if ((out = cb(&cid, v.mv_data, v.mv_size, ud)))
      break;
  }
  mdb_cursor_close(cur);
  if (out)
    return out;
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

/* ---------------------------------------------------------------- verify */

/* Whether a stored block hashes to its key: 0 (it does, or its hash
 * function is one we cannot compute: nothing to say about it), 1 (it does
 * not: corrupt), or an error.  The one rehash that bs_verify, the
 * resumable bs_verify_from and bs_drop_corrupt share. */
static int rehash(const dag_cid_t *cid, const uint8_t *data, size_t len) {
  int rc = dag_cid_verify(cid, data, len);
  if (rc == TR_EMISMATCH)
    return 1;
  return rc == TR_EHASH ? 0 : rc;
}

typedef struct verify_ctx {
  bs_corrupt_cb cb;
  void *ud;
  uint64_t checked, corrupt, bytes;
  uint64_t max_blocks, max_bytes; /* bs_verify_from's budget; 0: none */
  tr_bytes_t bad; /* multihash keys of corrupt blocks: len byte + bytes */
  bool drop;
  bs_verify_pos_t *pos; /* bs_verify_from's, or NULL */
} verify_ctx_t;

/* The stop value of a budget used up (any value a callback cannot give:
 * callbacks return their own, passed back unchanged). */
#define VERIFY_BUDGET 0x7ffffff1

static int verify_one(const dag_cid_t *cid, const uint8_t *data, size_t len,
                      void *ud) {
  verify_ctx_t *c = ud;
  if (c->pos && c->checked &&
      ((c->max_blocks && c->checked >= c->max_blocks) ||
       (c->max_bytes && c->bytes >= c->max_bytes)))
    return VERIFY_BUDGET; /* this block is the next call's first */
  c->checked++;
  c->bytes += len;
  if (c->pos) {
    size_t n;
    const uint8_t *mh = dag_cid_mh(cid, &n);
    memcpy(c->pos->key, mh, n);
    c->pos->key_len = n;
  }
  int rc = rehash(cid, data, len);
  if (rc <= 0)
    return rc;
  c->corrupt++;
  if (c->drop) {
    size_t n;
    const uint8_t *mh = dag_cid_mh(cid, &n);
    uint8_t l = (uint8_t)n;
    if ((rc = tr_bytes_append(&c->bad, &l, 1)) ||
        (rc = tr_bytes_append(&c->bad, mh, n)))
      return rc;
  }
  return c->cb ? c->cb(cid, c->ud) : 0;
}

int bs_drop_corrupt(bs_txn_t *txn, const dag_cid_t *cid) {
  const uint8_t *data;
  size_t len;
  int rc = bs_get(txn, cid, &data, &len);
  if (rc == TR_ENOTFOUND)
    return 0;
  if (rc || (rc = rehash(cid, data, len)) <= 0)
    return rc;
  rc = bs_del(txn, cid);
  return rc ? rc : 1;
}

int bs_verify(bs_env_t *env, bool drop, bs_corrupt_cb cb, void *ud,
              uint64_t *checked, uint64_t *corrupt) {
  verify_ctx_t c = {.cb = cb, .ud = ud, .drop = drop};
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  rc = bs_foreach(txn, verify_one, &c);
  bs_txn_abort(txn);
  if (rc == 0 && drop && c.bad.len) {
    /* Re-check each block inside the write transaction: it may have been
     * replaced by a good copy since the read snapshot. */
    if ((rc = bs_txn_begin(env, 0, &txn)) == 0) {
      for (size_t off = 0; off < c.bad.len && rc == 0;) {
        size_t n = c.bad.data[off];
        dag_cid_t cid;
        rc = dag_cid_make(&cid, 1, DAG_CODEC_RAW, c.bad.data + off + 1, n);
        off += 1 + n;
        if (rc == 0 && (rc = bs_drop_corrupt(txn, &cid)) > 0)
          rc = 0;
      }
      rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
    }
  }
  tr_bytes_free(&c.bad);
  if (checked)
    *checked = c.checked;
  if (corrupt)
    *corrupt = c.corrupt;
  return rc;
}

int bs_verify_from(bs_txn_t *txn, const uint8_t *after, size_t after_len,
                   uint64_t max_blocks, uint64_t max_bytes, bs_corrupt_cb cb,
                   void *ud, bs_verify_pos_t *pos) {
  if (after_len > sizeof pos->key)
    return TR_EUSAGE;
  memset(pos, 0, sizeof *pos);
  if (after_len) { /* where we start, should no block follow */
    memcpy(pos->key, after, after_len);
    pos->key_len = after_len;
  }
  verify_ctx_t c = {.cb = cb, .ud = ud, .max_blocks = max_blocks,
                    .max_bytes = max_bytes, .pos = pos};
  int rc = bs_foreach_from(txn, after, after_len, verify_one, &c);
  pos->blocks = c.checked;
  pos->bytes = c.bytes;
  pos->corrupt = c.corrupt;
  pos->end = rc == 0;
  return rc == VERIFY_BUDGET ? 0 : rc;
}

/* Here, not in batch.c with the rest of the batch: batch.c sits below
 * the block functions and never calls them. */
int bs_batch_put(bs_batch_t *b, const dag_cid_t *cid, const uint8_t *data,
                 size_t len) {
  int rc = bs_batch_reserve(b, len);
  return rc ? rc : bs_put(bs_batch_txn(b), cid, data, len);
}
