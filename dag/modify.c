/*
 * modify.c — the DagModifier of modify.h: nodes held while they change,
 * the write buffer and its Sync (boxo's modifyDag, then appendData in
 * mod_append.c), Seek with its sparse zeros, Truncate (boxo's dagTruncate)
 * and the collapse at finish.  Each piece follows boxo v0.43.0's
 * ipld/unixfs/mod/dagmodifier.go; the comments name the Go they stand for
 * where the behaviour is surprising.  No I/O: get and put callbacks.
 */
#include "mod_int.h"

#include <errno.h>
#include <string.h>

/* ---------------------------------------------------------------- nodes */

void dag__mnode_free(mnode_t *n) {
  tr_free(n->blk);
  tr_free(n->links);
  tr_free(n->bs);
  memset(n, 0, sizeof *n);
}

void dag__mnode_file(dag_mod_t *m, mnode_t *n) {
  memset(n, 0, sizeof *n);
  n->version = m->version;
  n->mh = m->mh;
  n->u.type = DAG_UNIXFS_FILE;
  n->u.has_filesize = true; /* NewFSNode sets Filesize to 0 */
}

static int grow(mnode_t *n, size_t want) {
  if (want <= n->cap)
    return 0;
  if (want > 2 * (size_t)DAG_IMPORT_MAX_LINKS)
    return TR_ETOOBIG;
  size_t cap = n->cap ? 2 * n->cap : 16;
  while (cap < want)
    cap *= 2;
  dag_pb_link_t *l = tr_realloc(n->links, cap * sizeof *l);
  if (!l)
    return -ENOMEM;
  n->links = l;
  uint64_t *b = tr_realloc(n->bs, cap * sizeof *b);
  if (!b)
    return -ENOMEM;
  n->bs = b;
  n->cap = cap;
  return 0;
}

int dag__mnode_add(mnode_t *n, const dag_cid_t *cid, uint64_t tsize,
                   uint64_t size) {
  int rc = grow(n, n->n + 1);
  if (rc)
    return rc;
  dag_pb_link_t *l = &n->links[n->n];
  memset(l, 0, sizeof *l);
  l->cid = *cid;
  l->name = "";
  l->has_name = true;
  l->tsize = tsize;
  l->has_tsize = true;
  n->bs[n->n++] = size;
  n->u.filesize += size; /* AddBlockSize: UpdateFilesize(+size) */
  n->u.has_filesize = true;
  return 0;
}

typedef struct lctx {
  mnode_t *n;
} lctx_t;

static int take_link(const dag_pb_link_t *l, size_t i, void *ud) {
  mnode_t *n = ((lctx_t *)ud)->n;
  n->links[i] = *l;
  /* Go writes every link with its Name and Tsize (0 when absent). */
  if (!l->has_name) {
    n->links[i].name = "";
    n->links[i].name_len = 0;
  }
  n->links[i].has_name = n->links[i].has_tsize = true;
  return 0;
}

/* Load cid into n.  root: a type other than File or Raw is TR_ENOTFILE
 * (the file, as MFS checks it) rather than TR_EUNIXFS (a bad child). */
static int load(dag_mod_t *m, const dag_cid_t *cid, mnode_t *n, bool root) {
  memset(n, 0, sizeof *n);
  if (cid->codec != DAG_CODEC_RAW && cid->codec != DAG_CODEC_DAG_PB)
    return TR_ECODEC;
  const uint8_t *data;
  size_t len;
  int rc = m->get(cid, &data, &len, m->ud);
  if (rc)
    return rc;
  /* A copy: the view may not outlive our next put, and leaves are
   * overwritten where they lie. */
  if (!(n->blk = tr_malloc(len ? len : 1)))
    return -ENOMEM;
  memcpy(n->blk, data, len);
  n->len = len;
  n->version = cid->version;
  n->mh = cid->mh_code;
  if (cid->codec == DAG_CODEC_RAW) {
    n->raw = true;
    return 0;
  }
  dag_pb_node_t pb;
  if ((rc = dag_pb_decode(n->blk, len, NULL, NULL, &pb)))
    goto fail;
  if (pb.nlinks > DAG_IMPORT_MAX_LINKS) {
    rc = TR_ETOOBIG;
    goto fail;
  }
  if ((rc = grow(n, pb.nlinks)))
    goto fail;
  lctx_t lc = {n};
  if ((rc = dag_pb_decode(n->blk, len, take_link, &lc, &pb)))
    goto fail;
  n->n = pb.nlinks;
  rc = TR_EUNIXFS;
  if (!pb.has_data || dag_unixfs_decode(pb.data, pb.data_len, &n->u))
    goto fail;
  if (n->u.type != DAG_UNIXFS_FILE && n->u.type != DAG_UNIXFS_RAW) {
    rc = root ? TR_ENOTFILE : TR_EUNIXFS;
    goto fail;
  }
  if (n->u.n_blocksizes != n->n)
    goto fail;
  dag_unixfs_iter_t it;
  dag_unixfs_iter_init(&n->u, &it);
  for (size_t i = 0; i < n->n; i++)
    dag_unixfs_iter_next(&it, &n->bs[i]);
  return 0;
fail:
  dag__mnode_free(n);
  return rc;
}

int dag__mnode_load(dag_mod_t *m, const dag_cid_t *cid, mnode_t *n) {
  return load(m, cid, n, false);
}

int dag__mnode_commit(dag_mod_t *m, mnode_t *n, dag_cid_t *cid,
                      uint64_t *tsize) {
  uint64_t mh = n->mh;
  if (n->raw) {
    if (mh == DAG_MH_IDENTITY && n->len > DAG_MH_IDENTITY_MAX)
      mh = DAG_MH_SHA2_256; /* boxo's safePrefixForSize */
    *tsize = n->len;
    return dag__emit(1, DAG_CODEC_RAW, mh, n->blk, n->len, m->put, m->ud, cid);
  }
  if (mh == DAG_MH_IDENTITY) {
    size_t ulen = dag_unixfs_encoded_size(&n->u, n->bs, n->n) +
                  (n->u.has_data && !n->u.data_len ? 2 : 0);
    if (dag_pb_encoded_size(n->links, n->n, NULL, ulen, true) >
        DAG_MH_IDENTITY_MAX)
      mh = DAG_MH_SHA2_256; /* boxo's ensureSafeProtoNodeHash */
  }
  return dag__node_emit(&m->nb, n->version, mh, &n->u, n->links, n->bs, n->n,
                        m->put, m->ud, cid, tsize);
}

/* boxo's fileSize(): a raw block's length, a File or Raw node's filesize
 * field (not the sum of its blocksizes). */
static int file_size(const mnode_t *n, uint64_t *size) {
  if (n->raw)
    *size = n->len;
  else if (n->u.type == DAG_UNIXFS_FILE || n->u.type == DAG_UNIXFS_RAW)
    *size = n->u.filesize;
  else
    return TR_EUNIXFS;
  return 0;
}

/* Go's time.Time{} is 0001-01-01 UTC. */
#define GO_ZERO_TIME (-62135596800LL)

bool dag__mtime_set(const dag_unixfs_t *u) {
  if (!u->has_mtime)
    return false;
  if (u->has_mtime_nsec && (u->mtime_nsec < 1 || u->mtime_nsec > 999999999))
    return false; /* FSNode.ModTime() reads these as no time */
  return !(u->mtime_sec == GO_ZERO_TIME &&
           (!u->has_mtime_nsec || u->mtime_nsec == 0));
}

void dag__mtime_now(dag_mod_t *m, dag_unixfs_t *u) {
  if (!m->o.has_now)
    return;
  u->has_mtime = true;
  u->mtime_sec = m->o.now_sec;
  u->mtime_nsec = m->o.now_nsec;
  u->has_mtime_nsec = m->o.now_nsec > 0;
}

/* ------------------------------------------------------------ the root */

/* Commit the root and remember what it is now. */
static int commit_root(dag_mod_t *m) {
  int rc = dag__mnode_commit(m, &m->cur, &m->cur_cid, &m->cur_tsize);
  if (!rc)
    m->cur_dirty = false;
  return rc;
}

/* boxo's expandSparse: size zeros appended in 4096-byte chunks. */
static int expand_sparse(dag_mod_t *m, uint64_t size) {
  msrc_t s = {0};
  s.left = size;
  s.chunk = 4096;
  s.raw_leaves = m->raw_leaves;
  int rc = dag__mod_append(m, &m->cur, &s);
  return rc ? rc : commit_root(m);
}

/* ------------------------------------------------------------ overwrite */

/* boxo's modifyDag: copy buffered bytes over the file's bytes from offset
 * (relative to n), as far as they go or the data under n ends.  Parents
 * take their children's new CIDs and keep the old Tsize values. */
static int modify(dag_mod_t *m, mnode_t *n, uint64_t offset, int lvl) {
  if (lvl > DAG_MOD_MAX_DEPTH)
    return TR_ETOOBIG;
  size_t avail = m->wb_len - m->wb_pos;
  if (n->raw || n->n == 0) {
    uint8_t *d = n->raw ? n->blk : (uint8_t *)(uintptr_t)n->u.data;
    size_t dlen = n->raw ? n->len : (n->u.has_data ? n->u.data_len : 0);
    if (offset > dlen)
      return TR_EUNIXFS; /* sizes above said the data went further */
    size_t k = dlen - (size_t)offset < avail ? dlen - (size_t)offset : avail;
    if (k)
      memcpy(d + offset, m->wb + m->wb_pos, k);
    m->wb_pos += k;
    if (!n->raw && dag__mtime_set(&n->u))
      dag__mtime_now(m, &n->u);
    return 0;
  }
  uint64_t cur = 0;
  for (size_t i = 0; i < n->n; i++) {
    uint64_t bs = n->bs[i];
    if (cur + bs < cur)
      return TR_EUNIXFS;
    if (cur + bs > offset) {
      mnode_t c;
      dag_cid_t cid;
      uint64_t tsize;
      int rc = dag__mnode_load(m, &n->links[i].cid, &c);
      if (rc)
        return rc;
      rc = modify(m, &c, offset - cur, lvl + 1);
      if (!rc)
        rc = dag__mnode_commit(m, &c, &cid, &tsize);
      dag__mnode_free(&c);
      if (rc)
        return rc;
      n->links[i].cid = cid; /* the Tsize stays: boxo sets Cid alone */
      if (m->wb_pos == m->wb_len)
        break;
      offset = cur + bs;
    }
    cur += bs;
  }
  return 0;
}

/* boxo's Sync: overwrite, then append what is left of the buffer. */
static int sync_buf(dag_mod_t *m) {
  if (!m->wb_on)
    return 0;
  size_t buflen = m->wb_len;
  uint64_t fs;
  int rc = file_size(&m->cur, &fs);
  if (!rc && fs < m->wstart)
    rc = expand_sparse(m, m->wstart - fs);
  if (!rc)
    rc = modify(m, &m->cur, m->wstart, 0);
  if (!rc)
    rc = commit_root(m);
  if (!rc && m->wb_pos < m->wb_len) {
    msrc_t s = {0};
    s.p = m->wb + m->wb_pos;
    s.left = m->wb_len - m->wb_pos;
    s.chunk = m->o.chunk_size;
    s.raw_leaves = m->raw_leaves;
    rc = dag__mod_append(m, &m->cur, &s);
    if (!rc)
      rc = commit_root(m);
  }
  m->wstart += buflen;
  m->wb_len = m->wb_pos = 0;
  m->wb_on = false;
  return rc;
}

/* ------------------------------------------------------------- truncate */

/* boxo's dagTruncate, on n in place. */
static int cut(dag_mod_t *m, mnode_t *n, uint64_t size, int lvl) {
  if (lvl > DAG_MOD_MAX_DEPTH)
    return TR_ETOOBIG;
  if (n->raw) {
    if (size > n->len)
      return TR_EUNIXFS;
    n->len = (size_t)size;
    return 0;
  }
  if (n->n == 0) {
    size_t dlen = n->u.has_data ? n->u.data_len : 0;
    if (size > dlen)
      return TR_EUNIXFS;
    n->u.data_len = (size_t)size;
    n->u.filesize -= dlen - (size_t)size; /* SetData: UpdateFilesize */
    n->u.has_filesize = true;
    if (dag__mtime_set(&n->u))
      dag__mtime_now(m, &n->u);
    /* mdag.NodeWithData: no CID builder, so CIDv0 whatever n was. */
    n->version = 0;
    n->mh = DAG_MH_SHA2_256;
    return 0;
  }
  /* RemoveAllBlockSizes, then each child's size is read from the child. */
  n->u.filesize = n->u.has_data ? n->u.data_len : 0;
  n->u.has_filesize = true;
  uint64_t cur = 0;
  for (size_t i = 0; i < n->n; i++) {
    mnode_t c;
    uint64_t cs;
    int rc = dag__mnode_load(m, &n->links[i].cid, &c);
    if (rc)
      return rc;
    if ((rc = file_size(&c, &cs)) || cur + cs < cur) {
      dag__mnode_free(&c);
      return rc ? rc : TR_EUNIXFS;
    }
    if (size < cur + cs) {
      dag_cid_t cid;
      uint64_t tsize;
      rc = cut(m, &c, size - cur, lvl + 1);
      if (!rc)
        rc = dag__mnode_commit(m, &c, &cid, &tsize);
      dag__mnode_free(&c);
      if (rc)
        return rc;
      n->n = i; /* links[:end], then AddNodeLink("", modified) */
      return dag__mnode_add(n, &cid, tsize, size - cur);
    }
    dag__mnode_free(&c);
    n->bs[i] = cs;
    n->u.filesize += cs;
    cur += cs;
  }
  return TR_EUNIXFS; /* the children hold less than the size asked for */
}

/* ------------------------------------------------------------------ API */

static int check_opts(dag_mod_opts_t *o) {
  if (!o->mh_code)
    o->mh_code = DAG_MH_SHA2_256;
  if (!o->max_links)
    o->max_links = 174;
  if (!o->chunk_size)
    o->chunk_size = 262144;
  if (!o->copy_size)
    o->copy_size = 32768;
  if (!o->wbuf_max)
    o->wbuf_max = (size_t)1 << 21;
  if (o->raw_leaves < -1 || o->raw_leaves > 1 ||
      (o->cid_version != 0 && o->cid_version != 1) ||
      (o->cid_version == 0 && o->mh_code != DAG_MH_SHA2_256) ||
      o->max_links < 2 || o->max_links > DAG_IMPORT_MAX_LINKS ||
      o->chunk_size > ((size_t)2 << 20) || o->wbuf_max > ((size_t)1 << 30) ||
      o->copy_size > ((size_t)1 << 30) || o->now_nsec > 999999999)
    return TR_EUSAGE;
  return 0;
}

int dag_mod_new(dag_mod_t **mp, const dag_cid_t *root, const dag_mod_opts_t *o,
                dag_get_cb get, dag_put_cb put, void *ud) {
  dag_mod_opts_t oo = {0};
  if (o)
    oo = *o;
  else
    oo.raw_leaves = DAG_MOD_RAW_DEFAULT;
  int rc = check_opts(&oo);
  if (rc)
    return rc;
  dag_mod_t *m = tr_calloc(1, sizeof *m);
  if (!m)
    return -ENOMEM;
  m->o = oo;
  m->get = get;
  m->put = put;
  m->ud = ud;
  if (!root) {
    m->version = oo.cid_version;
    m->mh = oo.mh_code;
    dag__mnode_file(m, &m->cur);
    rc = commit_root(m);
  } else if (!(rc = load(m, root, &m->cur, true))) {
    m->cur_cid = *root;
    m->version = root->version;
    m->mh = root->mh_code;
    m->cur_tsize = m->cur.len;
    for (size_t i = 0; !m->cur.raw && i < m->cur.n; i++)
      m->cur_tsize += m->cur.links[i].tsize;
    /* boxo works on curNode.Copy(), which is encoded anew at the flush. */
    m->cur_dirty = !m->cur.raw;
  }
  if (rc) {
    dag_mod_free(m);
    return rc;
  }
  m->raw_leaves =
      oo.raw_leaves == DAG_MOD_RAW_DEFAULT ? m->version > 0 : oo.raw_leaves;
  *mp = m;
  return 0;
}

void dag_mod_free(dag_mod_t *m) {
  if (!m)
    return;
  dag__mnode_free(&m->cur);
  tr_free(m->wb);
  dag__nbuf_free(&m->nb);
  tr_free(m);
}

uint64_t dag_mod_size(const dag_mod_t *m) {
  uint64_t fs = 0;
  if (file_size(&m->cur, &fs))
    fs = 0;
  if (m->wb_on && m->wstart + m->wb_len > fs)
    fs = m->wstart + m->wb_len;
  return fs;
}

int dag_mod_truncate(dag_mod_t *m, uint64_t size) {
  if (m->err)
    return m->err;
  if (size > DAG_MOD_MAX_SIZE)
    return TR_ETOOBIG;
  uint64_t real;
  int rc = sync_buf(m);
  if (!rc)
    rc = file_size(&m->cur, &real);
  if (!rc && size > real)
    rc = expand_sparse(m, size - real);
  else if (!rc && size < real && !(rc = cut(m, &m->cur, size, 0)))
    rc = commit_root(m);
  return m->err = rc;
}

int dag_mod_seek(dag_mod_t *m, uint64_t offset) {
  if (m->err)
    return m->err;
  if (offset > DAG_MOD_MAX_SIZE)
    return TR_ETOOBIG;
  uint64_t fs;
  int rc = sync_buf(m);
  if (!rc)
    rc = file_size(&m->cur, &fs);
  if (!rc && offset > fs)
    rc = expand_sparse(m, offset - fs);
  m->wstart = offset;
  m->piece = 0;
  return m->err = rc;
}

int dag_mod_write(dag_mod_t *m, const void *p, size_t n) {
  if (m->err)
    return m->err;
  if (n > DAG_MOD_MAX_SIZE || m->wstart + m->wb_len > DAG_MOD_MAX_SIZE - n)
    return TR_ETOOBIG;
  const uint8_t *s = p;
  while (n) {
    size_t k = m->o.copy_size - m->piece;
    if (k > n)
      k = n;
    if (m->wb_len + k > m->wb_cap) {
      /* Doubling, but never past what a Sync lets the buffer reach. */
      size_t cap = m->wb_cap ? m->wb_cap : 65536;
      size_t most = m->o.wbuf_max + m->o.copy_size;
      while (cap < m->wb_len + k)
        cap *= 2;
      if (cap > most && m->wb_len + k <= most)
        cap = most;
      uint8_t *b = tr_realloc(m->wb, cap);
      if (!b)
        return m->err = -ENOMEM;
      m->wb = b;
      m->wb_cap = cap;
    }
    memcpy(m->wb + m->wb_len, s, k);
    m->wb_len += k;
    m->wb_on = true;
    m->piece += k;
    s += k;
    n -= k;
    /* One io.Copy write ends: boxo's Write syncs past writebufferSize. */
    if (m->piece == m->o.copy_size) {
      m->piece = 0;
      if (m->wb_len > m->o.wbuf_max && (m->err = sync_buf(m)))
        return m->err;
    }
  }
  return 0;
}

/* boxo's maybeCollapseToRawLeaf: with raw leaves, a File root with one
 * link to a raw block, and no mtime or permission bits, is that block. */
static bool collapse(dag_mod_t *m, dag_import_result_t *res) {
  const mnode_t *n = &m->cur;
  if (!m->raw_leaves || n->raw || n->n != 1 || dag__mtime_set(&n->u) ||
      (n->u.has_mode && (n->u.mode & 07777)) ||
      n->links[0].cid.codec != DAG_CODEC_RAW)
    return false;
  const uint8_t *data;
  size_t len;
  if (m->get(&n->links[0].cid, &data, &len, m->ud))
    return false; /* boxo keeps the root when it cannot fetch the child */
  res->cid = n->links[0].cid;
  res->tsize = len;
  res->size = len;
  return true;
}

int dag_mod_finish(dag_mod_t *m, dag_import_result_t *res) {
  if (m->err)
    return m->err;
  int rc = sync_buf(m);
  if (!rc && collapse(m, res))
    return 0;
  if (!rc && m->cur_dirty)
    rc = commit_root(m);
  if (!rc && !(rc = file_size(&m->cur, &res->size))) {
    res->cid = m->cur_cid;
    res->tsize = m->cur_tsize;
  }
  return m->err = rc;
}
