/*
 * modify.c — the DagModifier of modify.h: the write buffer and its Sync (boxo's modifyDag, then appendData in
 * mod_append.c), Seek with its sparse zeros, Truncate (boxo's dagTruncate)
 * and the collapse at finish.  Each piece follows boxo v0.43.0's
 * ipld/unixfs/mod/dagmodifier.go; the comments name the Go they stand for
 * where the behaviour is surprising.  Nodes are held by mod_node.c.  No
 * I/O: get and put callbacks.
 */
#include "mod_int.h"

#include <errno.h>
#include <string.h>

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
  } else if (!(rc = dag__mnode_load_root(m, root, &m->cur, true))) {
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
