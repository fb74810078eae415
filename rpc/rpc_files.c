/*
 * rpc_files.c — reading UnixFS and the DAG through /api/v0, with Kubo's
 * parameters and answers:
 *
 *   cat        arg=<path>... offset= length=   the bytes (X-Stream-Output,
 *                                              X-Content-Length)
 *   ls         arg=<path>... resolve-type= size=
 *              {"Objects":[{"Hash","Links":[{"Name","Hash","Size","Type",
 *                                             "Target","Mode","ModTime"}]}]}
 *   refs       arg=<path>... recursive= unique= edges= format= max-depth=
 *              NDJSON {"Ref","Err"}
 *   refs/local NDJSON {"Ref","Err"}, every stored block, then every
 *              filestore reference (both when a block is both, as Kubo)
 *
 * cat, refs and refs/local stream: a pool job first resolves and checks
 * the arguments (so a bad path still gets an error status), then the body
 * is produced piece by piece on the pool (gateway/stream.h), each piece in
 * its own read transaction, from resumable state (a file offset, a
 * blockstore walker, the last key listed).  ls builds its answer whole, as
 * Kubo does without --stream.
 *
 * What the repo lacks is fetched (rpc_job.c): cat waits for each missing
 * block in its stream; ls runs again after each one arrives; refs makes
 * its DAG local before streaming (refs_prepare).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dag/reader.h"
#include "dagcmd.h"
#include "mfs.h"
#include "rpc_int.h"

/* ----------------------------------------------------------------- cat */

typedef struct cat_file {
  dag_cid_t cid;
  uint64_t size;
  bool symlink; /* its bytes are its target (boxo's files.Symlink) */
} cat_file_t;

typedef struct cat {
  rpc_miss_t miss; /* first: the stream's wait hook reads it */
  char **args;
  size_t n;
  int64_t offset, length;
  cat_file_t *files;
  size_t nf;      /* files read: the paths up to the one length fills */
  size_t cur;     /* file being read */
  uint64_t pos;   /* offset inside it */
  uint64_t left;  /* bytes still to send */
  uint64_t total;
  bool mfs;       /* files/read: args[0] is an MFS path */
} cat_t;

static void cat_free(void *p) {
  cat_t *c = p;
  rpc_strv_free(c->args, c->n);
  tr_free(c->files);
  tr_free(c);
}

/* files/read's file: an MFS path, with Kubo's messages. */
static int mfs_file(rpc_job_t *j, bs_txn_t *txn, cat_t *c) {
  mfs_t m = {.txn = txn, .get = rpc_job_get, .ud = j};
  char clean[MFS_PATH_MAX + 2], s[DAG_CID_STR_MAX];
  dag_node_info_t info;
  j->txn = txn;
  int rc = mfs_check_path(&m, c->args[0], clean, sizeof clean);
  if (!rc)
    rc = mfs_lookup(&m, clean, &c->files[0].cid);
  if (!rc)
    rc = dag_stat(&c->files[0].cid, rpc_job_get, j, &info);
  if (rc == TR_ENOTFOUND && j->has_missing)
    rpc_job_fail(j, 500, "block was not found locally (offline): ipld: "
                 "could not find %s", dag_cid_str(&j->missing, s));
  else if (rc && m.err[0] && m.err[0] != 'p')
    rpc_job_fail(j, 500, "%s: %s", clean, m.err);
  else if (rc)
    rpc_job_fail(j, 500, "%s", m.err[0] ? m.err : tr_strerror(rc));
  else if (info.kind == DAG_NODE_SYMLINK)
    rpc_job_fail(j, 500, "symlinks not yet supported");
  else if (info.kind != DAG_NODE_FILE)
    rpc_job_fail(j, 500, "%s was not a file", clean);
  else if (c->offset < 0) /* Kubo looks the path up first */
    rpc_job_fail(j, 500, "cannot specify negative offset");
  else if ((uint64_t)c->offset > info.size)
    rpc_job_fail(j, 500, "offset was past end of file (%lld > %llu)",
                 (long long)c->offset, (unsigned long long)info.size);
  else
    c->files[0].size = info.size;
  return rc ? rc : j->status >= 400;
}

static void cat_prepare(rpc_job_t *j) {
  cat_t *c = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  /* Run again after a fetch: from the start. */
  tr_free(c->files);
  c->cur = 0;
  if (!(c->files = tr_calloc(c->n, sizeof *c->files))) {
    bs_txn_abort(txn);
    rpc_job_fail(j, 500, "out of memory");
    return;
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < c->n && c->mfs; i++) {
    if (mfs_file(j, txn, c))
      break;
    sum = c->files[0].size;
  }
  /* Kubo's cat(): length 0 reads nothing (and resolves nothing); paths
   * past the one that fills length are not looked at either. */
  size_t n = c->mfs || c->length ? c->n : 0;
  c->nf = n;
  uint64_t skip = c->mfs ? 0 : (uint64_t)c->offset;
  for (size_t i = 0; i < n && !c->mfs; i++) {
    dag_node_info_t info;
    char msg[700];
    if (rpc_job_resolve(j, txn, c->args[i], &c->files[i].cid))
      break;
    if ((rc = dag_stat(&c->files[i].cid, rpc_job_get, j, &info))) {
      rpc_job_fail(j, 500, "%s", rpc_errmsg(rc, c->args[i], msg, sizeof msg));
      break;
    }
    if (info.kind == DAG_NODE_DIR) {
      rpc_job_fail(j, 500, "this dag node is a directory");
      break;
    }
    c->files[i].symlink = info.kind == DAG_NODE_SYMLINK;
    c->files[i].size = c->files[i].symlink ? info.target_len : info.size;
    sum += c->files[i].size;
    if (skip >= c->files[i].size) {
      skip -= c->files[i].size;
      continue;
    }
    if (c->length >= 0 && sum - (uint64_t)c->offset >= (uint64_t)c->length) {
      c->nf = i + 1; /* the rest are not read */
      break;
    }
    skip = 0;
  }
  bs_txn_abort(txn);
  /* Kubo: the offset skips into the concatenation, length caps the rest. */
  uint64_t off = (uint64_t)c->offset;
  while (c->cur < c->nf && off >= c->files[c->cur].size) {
    off -= c->files[c->cur].size;
    c->cur++;
  }
  c->pos = off;
  uint64_t avail = sum > (uint64_t)c->offset ? sum - (uint64_t)c->offset : 0;
  c->left = c->length >= 0 && (uint64_t)c->length < avail ? (uint64_t)c->length
                                                           : avail;
  c->total = c->left;
}

typedef struct cat_get {
  bs_txn_t *txn;
  dag_cid_t *missing;
} cat_get_t;

static int cat_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                   void *ud) {
  cat_get_t *g = ud;
  int rc = bs_get(g->txn, cid, data, len);
  if (rc == TR_ENOTFOUND)
    *g->missing = *cid;
  return rc;
}

static int64_t cat_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  cat_t *c = state;
  if (!c->left)
    return 0;
  while (c->cur < c->nf && c->pos >= c->files[c->cur].size) {
    c->cur++;
    c->pos = 0;
  }
  if (c->cur == c->nf)
    return 0;
  cat_file_t *f = &c->files[c->cur];
  uint64_t want = f->size - c->pos;
  if (want > c->left)
    want = c->left;
  if (want > cap)
    want = cap;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  http_copy_t s = {buf, 0, (size_t)want};
  dag_cid_t missing = {0};
  cat_get_t g = {txn, &missing};
  dag_node_info_t info;
  if (!f->symlink)
    rc = dag_cat(&f->cid, c->pos, want, cat_get, &g, http_copy_cb, &s);
  else if (!(rc = dag_stat(&f->cid, cat_get, &g, &info)))
    rc = info.target_len < c->pos + want
             ? TR_EUNIXFS
             : http_copy_cb(info.target + c->pos, (size_t)want, &s);
  bs_txn_abort(txn);
  if (rc == TR_ENOTFOUND) {
    /* Wait for it (rpc_miss_t); the bytes before it go out now, and the
     * next fill starts at it. */
    c->miss.cid = missing;
    c->miss.root = f->cid;
    c->miss.has = true;
    if (!s.n)
      return rc;
    want = s.n;
  } else if (rc)
    return rc;
  if (s.n != want)
    return TR_EUNIXFS;
  c->pos += s.n;
  c->left -= s.n;
  return (int64_t)s.n;
}

static void cat_start(rpc_job_t *j) {
  cat_t *c = j->state;
  rpc_start(j->req, RPC_STREAM, "text/plain", (int64_t)c->total,
            (int64_t)c->total);
  dag_cid_t root = c->nf ? c->files[0].cid : (dag_cid_t){0};
  rpc_job_stream_fetch(j, cat_fill, &c->miss, &root);
}

void rpc_cmd_cat(http_req_t *req, rpc_ctx_t *ctx) {
  cat_t *c = tr_calloc(1, sizeof *c);
  if (!c) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  int rc = rpc_args(req, "arg", &c->args, &c->n);
  if (!rc)
    rc = rpc_opt_i64(req, "offset", 0, &c->offset);
  if (!rc)
    rc = rpc_opt_i64(req, "length", -1, &c->length);
  if (rc) {
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
  } else if (!c->n) {
    rpc_error(req, 400, "argument \"ipfs-path\" is required");
  } else if (c->offset < 0) {
    rpc_error(req, 500, "cannot specify negative offset");
  } else if (c->length < -1 || (c->length < 0 && strstr(http_req_query(req), "length=-"))) {
    rpc_error(req, 500, "cannot specify negative length");
  } else {
    (void)rpc_job_run_fetch(req, ctx, cat_prepare, cat_start, c, cat_free);
    return;
  }
  cat_free(c);
}

void rpc_cmd_files_read(http_req_t *req, rpc_ctx_t *ctx) {
  cat_t *c = tr_calloc(1, sizeof *c);
  if (!c) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  c->mfs = true;
  int rc = rpc_args(req, "arg", &c->args, &c->n);
  if (!rc)
    rc = rpc_opt_i64(req, "offset", 0, &c->offset);
  if (!rc)
    rc = rpc_opt_i64(req, "count", -1, &c->length);
  if (rc) {
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
  } else if (c->n != 1) {
    rpc_error(req, 400, c->n ? "expected 1 argument" : "argument \"path\" "
              "is required");
  } else if (c->length < -1 ||
             (c->length < 0 && strstr(http_req_query(req), "count=-"))) {
    rpc_error(req, 500, "cannot specify negative 'count'");
  } else {
    (void)rpc_job_run_fetch(req, ctx, cat_prepare, cat_start, c, cat_free);
    return;
  }
  cat_free(c);
}

/* ------------------------------------------------------------------ ls */

typedef struct ls {
  char **args;
  size_t n;
  bool resolve_type, size;
  bool stream, sort_size; /* an NDJSON value a link, in traversal order;
                             largest first */
  rpc_job_t *j; /* reads go through rpc_job_get (j->txn) */
  json_t *links;
  int rc;
} ls_t;

static void ls_free(void *p) {
  ls_t *l = p;
  rpc_strv_free(l->args, l->n);
  tr_free(l);
}

static json_t *mtime_json(const dag_node_info_t *info) {
  char buf[48];
  rpc_fmeta_time_json(info && info->has_mtime, info ? info->mtime_sec : 0,
                      info ? info->mtime_nsec : 0, buf);
  return json_string(buf);
}

/* One LsLink, resolving the child as Kubo's processLink does. */
static int ls_link(ls_t *l, const char *name, size_t nlen,
                   const dag_cid_t *cid, uint64_t tsize) {
  char s[DAG_CID_STR_MAX];
  int type = 0;
  uint64_t size = 0;
  const char *target = "";
  size_t tlen = 0;
  dag_node_info_t info, *ip = NULL;
  if (cid->codec == DAG_CODEC_RAW) {
    type = DAG_UNIXFS_FILE;
    size = tsize;
  } else if (cid->codec == DAG_CODEC_DAG_PB && (l->resolve_type || l->size)) {
    int rc = dag_stat(cid, rpc_job_get, l->j, &info);
    if (rc)
      return rc;
    ip = &info;
    if (info.kind == DAG_NODE_FILE) {
      type = DAG_UNIXFS_FILE;
      size = info.size;
    } else if (info.kind == DAG_NODE_DIR) {
      type = DAG_UNIXFS_DIRECTORY;
    } else {
      type = DAG_UNIXFS_SYMLINK;
      target = (const char *)info.target; /* a view, valid in txn */
      tlen = info.target_len;
      size = tlen; /* boxo's FSNode.FileSize of a symlink */
    }
  }
  json_t *o = json_pack("{s:o,s:s,s:I,s:i,s:o,s:I,s:o}", "Name",
                        rpc_json_strn(name, nlen), "Hash", dag_cid_str(cid, s),
                        "Size", (json_int_t)size, "Type", type, "Target",
                        rpc_json_strn(target, tlen), "Mode",
                        ip && ip->has_mode
                            ? (json_int_t)rpc_fmeta_gomode(ip->unixfs_type,
                                                           ip->mode)
                            : 0,
                        "ModTime",
                        mtime_json(ip));
  return o && !json_array_append_new(l->links, o) ? 0 : -ENOMEM;
}

static int ls_entry(const dag_dirent_t *e, void *ud) {
  return ls_link(ud, e->name, e->name_len, &e->cid, e->tsize);
}

static int ls_file_link(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  return ls_link(ud, lk->name ? lk->name : "", lk->name ? lk->name_len : 0,
                 &lk->cid, lk->tsize);
}

static int cmp_name(const void *a, const void *b) {
  const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Name"));
  const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Name"));
  return strcmp(x, y);
}

/* Kubo's lsLinkBySize: largest first (a directory's Size is 0), then by
 * name. */
static int cmp_size(const void *a, const void *b) {
  const json_t *l = *(json_t *const *)a, *r = *(json_t *const *)b;
  json_int_t x = json_integer_value(json_object_get(l, "Size"));
  json_int_t y = json_integer_value(json_object_get(r, "Size"));
  return x != y ? (x < y ? 1 : -1) : cmp_name(a, b);
}

/* Rerun from the start after each fetch (rpc_job_run_fetch): a child
 * missing for resolve-type or size is one fetch and one more run. */
static void ls_work(rpc_job_t *j) {
  ls_t *l = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  l->j = j;
  j->txn = txn;
  json_t *objs = json_array();
  for (size_t i = 0; i < l->n && objs && !rc; i++) {
    dag_cid_t cid;
    dag_node_info_t info;
    char msg[700];
    if ((rc = rpc_job_resolve(j, txn, l->args[i], &cid)))
      break;
    if (!(l->links = json_array())) {
      rc = -ENOMEM;
      break;
    }
    rc = dag_stat(&cid, rpc_job_get, j, &info);
    if (!rc && info.kind == DAG_NODE_DIR) {
      rc = dag_ls(&cid, rpc_job_get, j, ls_entry, l);
    } else if (!rc && cid.codec == DAG_CODEC_DAG_PB) {
      /* A file or symlink: its own links (a chunked file's blocks). */
      const uint8_t *data;
      size_t len;
      dag_pb_node_t node;
      if (!(rc = rpc_job_get(&cid, &data, &len, j)))
        rc = dag_pb_decode(data, len, ls_file_link, l, &node);
    }
    if (rc) {
      json_decref(l->links);
      rpc_job_fail(j, 500, "%s", rpc_errmsg(rc, l->args[i], msg, sizeof msg));
      break;
    }
    /* Kubo sorts a non-streamed listing by name (HAMTs come unsorted), or
     * with sort-size by size; a streamed one comes as traversed. */
    size_t nl = json_array_size(l->links);
    json_t **v = nl ? tr_malloc(nl * sizeof *v) : NULL;
    if (nl && !v) {
      json_decref(l->links);
      rc = -ENOMEM;
      break;
    }
    for (size_t k = 0; k < nl; k++)
      v[k] = json_incref(json_array_get(l->links, k));
    if (info.kind == DAG_NODE_DIR && nl > 1 && !l->stream)
      qsort(v, nl, sizeof *v, l->sort_size ? cmp_size : cmp_name);
    json_array_clear(l->links);
    for (size_t k = 0; k < nl; k++)
      json_array_append_new(l->links, v[k]);
    tr_free(v);
    if (json_array_append_new(objs, json_pack("{s:o,s:o}", "Hash",
                                              rpc_json_str(l->args[i]),
                                              "Links", l->links)))
      rc = -ENOMEM;
  }
  bs_txn_abort(txn);
  j->txn = NULL;
  if (rc == -ENOMEM || !objs)
    rpc_job_fail(j, 500, "out of memory");
  if (j->status < 400 && l->stream) {
    /* Kubo emits each link as its own {"Objects":[{Hash, [link]}]}. */
    j->kind = RPC_CHUNKED;
    for (size_t i = 0; i < json_array_size(objs) && !rc; i++) {
      json_t *o = json_array_get(objs, i), *links = json_object_get(o, "Links");
      for (size_t k = 0; k < json_array_size(links) && !rc; k++)
        rc = rpc_job_line(j, json_pack("{s:[{s:O,s:[O]}]}", "Objects", "Hash",
                                       json_object_get(o, "Hash"), "Links",
                                       json_array_get(links, k)));
    }
    if (rc)
      rpc_job_fail(j, 500, "out of memory");
    json_decref(objs);
  } else if (j->status < 400)
    j->json = json_pack("{s:o}", "Objects", objs);
  else
    json_decref(objs);
}

void rpc_cmd_ls(http_req_t *req, rpc_ctx_t *ctx) {
  ls_t *l = tr_calloc(1, sizeof *l);
  if (!l) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_args(req, "arg", &l->args, &l->n) ||
      rpc_opt_bool(req, "resolve-type", true, &l->resolve_type) ||
      rpc_opt_bool(req, "size", true, &l->size) ||
      rpc_opt_bool(req, "stream", false, &l->stream) ||
      rpc_opt_bool(req, "sort-size", false, &l->sort_size)) {
    rpc_error(req, 400, "invalid argument");
  } else if (l->sort_size && l->stream) {
    rpc_error(req, 400, "cannot use --sort-size with --stream");
  } else if (l->sort_size && !l->size) {
    rpc_error(req, 400, "cannot use --sort-size with --size=false");
  } else if (!l->n) {
    rpc_error(req, 400, "argument \"ipfs-path\" is required");
  } else {
    (void)rpc_job_run_fetch(req, ctx, ls_work, NULL, l, ls_free);
    return;
  }
  ls_free(l);
}

/* ---------------------------------------------------------------- refs */

#define LINE_MAX_BYTES (2 * DAG_CID_STR_MAX + 600)

typedef struct refs {
  char **args;
  size_t n, cur;
  bool unique, edges, local;
  int64_t max_depth;
  char *format;
  bs_walk_t *walk; /* one for all arguments: --unique spans them */
  bool walking;     /* walk is on args[cur] */
  /* refs/local: the last multihash listed. */
  uint8_t last[DAG_MH_MAX];
  size_t last_len;
  bool local_done;
  bool local_refs; /* the stored blocks are listed: the references now */
} refs_t;

static void refs_free(void *p) {
  refs_t *r = p;
  rpc_strv_free(r->args, r->n);
  tr_free(r->format);
  bs_walk_free(r->walk);
  tr_free(r);
}

/* Append {"Ref","Err"} and a newline to buf; the caller keeps room. */
static size_t put_line(uint8_t *buf, const char *ref, const char *err) {
  json_t *o = json_pack("{s:o,s:o}", "Ref", rpc_json_str(ref), "Err",
                        rpc_json_str(err));
  char *s = o ? rpc_json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s)
    return 0;
  size_t n = strlen(s);
  if (n > LINE_MAX_BYTES - 1)
    n = 0; /* cannot happen: CIDs and messages are bounded */
  memcpy(buf, s, n);
  buf[n++] = '\n';
  free(s);
  return n;
}

static int64_t refs_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  refs_t *r = state;
  size_t n = 0;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  while (r->cur < r->n && cap - n > LINE_MAX_BYTES) {
    char line[LINE_MAX_BYTES], msg[700];
    if (!r->walking) {
      dag_cid_t root;
      if ((rc = rpc_resolve(txn, r->args[r->cur], &root)) == 0) {
        if (r->walk)
          bs_walk_restart(r->walk, &root);
        else
          rc = bs_walk_new(&root, r->unique ? BS_WALK_UNIQUE : 0,
                           (int)r->max_depth, &r->walk);
      }
      if (rc == TR_EPATH)
        rpc_resolve_miss(r->args[r->cur], bs_get_cb, txn, msg, sizeof msg);
      if (rc) {
        n += put_line(buf + n, "", rc == TR_EPATH
                                       ? msg
                                       : rpc_errmsg(rc, r->args[r->cur], msg,
                                                    sizeof msg));
        r->cur++;
        continue;
      }
      r->walking = true;
    }
    dag_cid_t cid, parent;
    int depth;
    rc = bs_walk_next(r->walk, txn, &cid, &parent, &depth);
    if (rc == 1 && depth == 0)
      continue; /* the root itself is not a ref */
    if (rc == 1) {
      char name[256] = "";
      if (r->format && strstr(r->format, "<linkname>"))
        rpc_ref_linkname(bs_get_cb, txn, &parent, &cid, name, sizeof name);
      rpc_ref_format(r->format, r->edges, &parent, &cid, name, line,
                     sizeof line);
      n += put_line(buf + n, line, "");
      continue;
    }
    if (rc < 0) {
      char s[DAG_CID_STR_MAX];
      n += put_line(buf + n, "",
                    rpc_errmsg(rc, dag_cid_str(&cid, s), msg, sizeof msg));
    }
    r->walking = false;
    r->cur++;
  }
  bs_txn_abort(txn);
  return (int64_t)n;
}

typedef struct local_fill {
  refs_t *r;
  uint8_t *buf;
  size_t n, cap;
} local_fill_t;

static int local_one(const dag_cid_t *cid, const uint8_t *d, size_t l,
                     void *ud) {
  (void)d;
  (void)l;
  local_fill_t *f = ud;
  if (f->cap - f->n <= LINE_MAX_BYTES)
    return 1;
  char s[DAG_CID_STR_MAX];
  f->n += put_line(f->buf + f->n, dag_cid_str(cid, s), "");
  size_t mlen;
  const uint8_t *mh = dag_cid_mh(cid, &mlen);
  memcpy(f->r->last, mh, mlen);
  f->r->last_len = mlen;
  return 0;
}

static int local_ref(const dag_cid_t *cid, const bs_fsref_t *ref, void *ud) {
  (void)ref;
  return local_one(cid, NULL, 0, ud);
}

static int64_t local_fill(void *state, void *arg, uint8_t *buf,
                          size_t cap) {
  bs_env_t *env = arg;
  refs_t *r = state;
  if (r->local_done)
    return 0;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  local_fill_t f = {r, buf, 0, cap};
  rc = r->local_refs
           ? bs_fs_range(txn, r->last, r->last_len, local_ref, &f)
           : bs_foreach_from(txn, r->last, r->last_len, local_one, &f);
  bs_txn_abort(txn);
  if (rc < 0)
    return rc;
  if (rc == 0 && r->local_refs) {
    r->local_done = true;
  } else if (rc == 0) {
    r->local_refs = true;
    r->last_len = 0;
  }
  /* A fill that ends the blocks with no line must not read as the end. */
  return f.n || r->local_done ? (int64_t)f.n : local_fill(state, arg, buf, cap);
}

static void refs_start(http_req_t *req, rpc_ctx_t *ctx, refs_t *r) {
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  http_stream_start(req, ctx->env, r->local ? local_fill : refs_fill, refs_free, r);
}

/* With fetching, before the stream: each argument's path and its DAG down
 * to max-depth are made local (rpc_job_run_fetch), the whole DAG in one
 * BS_FETCH_DAG for -r, block by block for a bounded depth (the default,
 * depth 1, needs only the root and its children); then the stream walks a
 * complete DAG.  A path that cannot resolve for another reason is left to
 * the stream, which reports it in an Err line as without fetching. */
static void refs_prepare(rpc_job_t *j) {
  refs_t *r = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  j->txn = txn;
  for (size_t i = 0; i < r->n; i++) {
    dag_cid_t root;
    char msg[700];
    rc = rpc_resolve_cb(r->args[i], rpc_job_get, j, &root, &j->hint);
    if (rc == TR_ENOTFOUND) {
      rpc_job_fail(j, 500, "%s", rpc_errmsg(rc, r->args[i], msg, sizeof msg));
      break;
    }
    if (!rc && rpc_job_dag_check(j, txn, &root, (int)r->max_depth,
                                 r->unique ? BS_WALK_UNIQUE : 0) ==
                   TR_ENOTFOUND)
      break;
  }
  bs_txn_abort(txn);
  j->txn = NULL;
}

static void refs_prepared(rpc_job_t *j) {
  rpc_start(j->req, RPC_CHUNKED, NULL, -1, -1);
  rpc_job_stream(j, refs_fill);
}

void rpc_cmd_refs(http_req_t *req, rpc_ctx_t *ctx) {
  refs_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  bool recursive;
  int rc = rpc_args(req, "arg", &r->args, &r->n);
  if (!rc)
    rc = rpc_opt_bool(req, "unique", false, &r->unique);
  if (!rc)
    rc = rpc_opt_bool(req, "edges", false, &r->edges);
  if (!rc)
    rc = rpc_opt_bool(req, "recursive", false, &recursive);
  if (!rc)
    rc = rpc_opt_i64(req, "max-depth", recursive ? -1 : 1, &r->max_depth);
  if (!rc)
    rc = rpc_opt_str(req, "format", &r->format);
  if (rc) {
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
    refs_free(r);
    return;
  }
  if (!r->n) {
    rpc_error(req, 400, "argument \"ipfs-path\" is required");
    refs_free(r);
    return;
  }
  if (r->edges && r->format && strcmp(r->format, "<dst>")) {
    rpc_error(req, 500, "using format argument with edges is not allowed");
    refs_free(r);
    return;
  }
  if (r->edges) { /* "<src> -> <dst>", whatever format said */
    tr_free(r->format);
    r->format = NULL;
  }
  if (!recursive) /* Kubo: only the direct links, whatever max-depth says */
    r->max_depth = 1;
  if (r->max_depth < -1 || r->max_depth > 1 << 20)
    r->max_depth = -1;
  /* Arguments are checked here so that a malformed one gets a 400; paths
   * are resolved while streaming (a missing block there is an Err line,
   * as Kubo reports it). */
  for (size_t i = 0; i < r->n; i++) {
    dag_cid_t c;
    const char *path;
    char msg[700];
    if ((rc = rpc_parse_path(r->args[i], &c, &path))) {
      rpc_error(req, 500, "%s", rpc_errmsg(rc, r->args[i], msg, sizeof msg));
      refs_free(r);
      return;
    }
  }
  bool on;
  uint32_t ms;
  if (rpc_fetch_policy(req, ctx, &on, &ms)) {
    rpc_error(req, 400, "invalid timeout or offline option");
    refs_free(r);
  } else if (on) {
    (void)rpc_job_run_fetch(req, ctx, refs_prepare, refs_prepared, r,
                            refs_free);
  } else {
    refs_start(req, ctx, r);
  }
}

void rpc_cmd_refs_local(http_req_t *req, rpc_ctx_t *ctx) {
  refs_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  r->local = true;
  refs_start(req, ctx, r);
}
