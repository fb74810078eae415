/*
 * mfs_json.c — the answers of `files stat` and `files ls`, with Kubo's
 * fields.
 */
#include "mfs_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/dagpb.h"
#include "opts.h"
#include "rpc_int.h"


typedef struct node {
  bool raw;
  size_t len;          /* the block */
  uint64_t links;      /* sum of the links' Tsizes */
  size_t nlinks;
  dag_unixfs_t u;
} node_t;

static int sum_link(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  *(uint64_t *)ud += l->tsize;
  return 0;
}

static int read_node(mfs_t *m, const dag_cid_t *cid, node_t *nd) {
  const uint8_t *p;
  size_t n;
  memset(nd, 0, sizeof *nd);
  int rc = mfs__get(m, cid, &p, &n);
  if (rc)
    return rc;
  nd->len = n;
  if (cid->codec == DAG_CODEC_RAW) {
    nd->raw = true;
    return 0;
  }
  dag_pb_node_t pb;
  if (cid->codec != DAG_CODEC_DAG_PB)
    return mfs__fail(m, TR_ECODEC, "not unixfs node (proto or raw)");
  if ((rc = dag_pb_decode(p, n, sum_link, &nd->links, &pb)))
    return rc;
  nd->nlinks = pb.nlinks;
  if (!pb.has_data || dag_unixfs_decode(pb.data, pb.data_len, &nd->u))
    return mfs__fail(m, TR_EUNIXFS, "unexpected EOF");
  return 0;
}

/* Kubo's walkBlock: whether every block below is here, and their bytes
 * (a block reached twice counted twice, as Kubo counts it). */
static int walk_local(mfs_t *m, const dag_cid_t *cid, int depth, bool *local,
                      uint64_t *size);

typedef struct wl {
  mfs_t *m;
  int depth;
  bool *local;
  uint64_t *size;
} wl_t;

static int wl_link(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  wl_t *w = ud;
  return walk_local(w->m, &l->cid, w->depth + 1, w->local, w->size);
}

static int walk_local(mfs_t *m, const dag_cid_t *cid, int depth, bool *local,
                      uint64_t *size) {
  if (depth > 1024) /* a chain of blocks this deep is hostile */
    return TR_ETOOBIG;
  const uint8_t *p;
  size_t n;
  int rc = bs_get(m->txn, cid, &p, &n);
  if (rc == TR_ENOTFOUND) {
    *local = false;
    return 0;
  }
  if (rc)
    return rc;
  *size += n;
  if (cid->codec != DAG_CODEC_DAG_PB)
    return 0;
  dag_pb_node_t pb;
  wl_t w = {m, depth, local, size};
  return dag_pb_decode(p, n, wl_link, &w, &pb);
}

json_t *mfs_stat_json(mfs_t *m, const dag_cid_t *cid, bool with_local) {
  node_t nd;
  if ((m->rc = read_node(m, cid, &nd)))
    return NULL;
  m->rc = -ENOMEM;
  char s[DAG_CID_STR_MAX];
  uint64_t cum = nd.len + nd.links;
  const char *type = "file";
  /* boxo's FileSize: a symlink's is its target's length. */
  uint64_t size = nd.raw ? nd.len
                  : nd.u.type == DAG_UNIXFS_SYMLINK ? nd.u.data_len
                                                    : nd.u.filesize;
  if (!nd.raw && (nd.u.type == DAG_UNIXFS_DIRECTORY ||
                  nd.u.type == DAG_UNIXFS_HAMT))
    type = "directory";
  json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:s}", "Hash", dag_cid_str(cid, s),
                        "Size", (json_int_t)size, "CumulativeSize",
                        (json_int_t)cum, "Blocks", (json_int_t)nd.nlinks,
                        "Type", type);
  if (!o)
    return NULL;
  if (with_local) {
    bool local = true;
    uint64_t sl = 0;
    if (walk_local(m, cid, 0, &local, &sl)) {
      json_decref(o);
      m->rc = mfs__fail(m, TR_ESTORE, "cannot walk the DAG");
      return NULL;
    }
    json_object_set_new(o, "WithLocality", json_true());
    if (local)
      json_object_set_new(o, "Local", json_true());
    if (sl)
      json_object_set_new(o, "SizeLocal", json_integer((json_int_t)sl));
  }
  if (nd.raw)
    return o;
  /* Go's field order: Mode (a shadowing string field) comes last. */
  if (nd.u.has_mtime && nd.u.mtime_sec)
    json_object_set_new(o, "Mtime", json_integer(nd.u.mtime_sec));
  if (nd.u.has_mtime && nd.u.mtime_nsec)
    json_object_set_new(o, "MtimeNsecs", json_integer(nd.u.mtime_nsec));
  uint32_t perms = nd.u.has_mode ? nd.u.mode & 0xfff : 0;
  uint32_t gm = rpc_fmeta_gomode(nd.u.type, perms);
  if (!perms && nd.u.type == DAG_UNIXFS_SYMLINK)
    gm = rpc_fmeta_gomode(nd.u.type, 0777);
  if (gm) {
    char ms[24];
    snprintf(ms, sizeof ms, "%04o", gm);
    json_object_set_new(o, "Mode", json_string(ms));
  }
  return o;
}

/* ------------------------------------------------------------------ ls */

typedef struct lsx {
  mfs_t *m;
  json_t *a;
  bool long_;
  int err;
} lsx_t;

static json_t *entry(mfs_t *m, const char *name, size_t len,
                     const dag_cid_t *cid, bool long_, int *err) {
  if (!long_)
    return json_pack("{s:o,s:i,s:i,s:s}", "Name", rpc_json_strn(name, len),
                     "Type", 0, "Size", 0, "Hash", "");
  node_t nd;
  if ((*err = read_node(m, cid, &nd)))
    return NULL;
  bool dir = !nd.raw && (nd.u.type == DAG_UNIXFS_DIRECTORY ||
                         nd.u.type == DAG_UNIXFS_HAMT);
  uint64_t size = dir                                 ? 0
                  : nd.raw                            ? nd.len
                  : nd.u.type == DAG_UNIXFS_SYMLINK ? nd.u.data_len
                                                      : nd.u.filesize;
  char s[DAG_CID_STR_MAX];
  return json_pack("{s:o,s:i,s:I,s:s}", "Name", rpc_json_strn(name, len),
                   "Type", dir ? 1 : 0, "Size", (json_int_t)size, "Hash",
                   dag_cid_str(cid, s));
}

static int ls_ent(const dag_dirent_t *e, void *ud) {
  lsx_t *x = ud;
  int err = 0;
  json_t *o = entry(x->m, e->name, e->name_len, &e->cid, x->long_, &err);
  if (!o)
    return err ? err : -ENOMEM;
  if (!x->a && !(x->a = json_array())) {
    json_decref(o);
    return -ENOMEM;
  }
  return json_array_append_new(x->a, o) ? -ENOMEM : 0;
}

json_t *mfs_ls_json(mfs_t *m, const char *path, bool long_) {
  dag_cid_t cid;
  int kind = 0;
  if ((m->rc = mfs_lookup(m, path, &cid)) ||
      (m->rc = mfs__kind(m, &cid, &kind)))
    return NULL;
  lsx_t x = {m, NULL, long_, 0};
  int rc;
  if (kind == DAG_NODE_DIR) {
    rc = dag_ls(&cid, mfs__get_cb, m, ls_ent, &x);
  } else {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    dag_dirent_t e = {name, strlen(name), cid, 0};
    rc = ls_ent(&e, &x);
  }
  json_t *o = rc ? NULL
                 : json_pack("{s:o}", "Entries", x.a ? x.a : json_null());
  m->rc = rc ? rc : o ? 0 : -ENOMEM;
  if (rc) {
    json_decref(x.a);
    if (rc != TR_ENOTFOUND)
      mfs__fail(m, rc, "%s", tr_strerror(rc));
  }
  return o;
}
