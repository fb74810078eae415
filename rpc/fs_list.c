/*
 * fs_list.c — Kubo's `filestore ls|verify|dups` as a listing of boxo
 * ListRes values (fs_list.h says what and why): collecting the references
 * in short read transactions, sorting them in Kubo's orders, verifying
 * their files with no transaction open, and the CLI's and the API's forms
 * of a value.
 *
 * No build option affects it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "fs_list.h"
#include "rpc_int.h"

/* One collected reference.  Its multihash and path (NUL-ended) lie in the
 * listing's arena at `at`: offsets, not pointers, since the arena moves as
 * it grows. */
typedef struct ent {
  size_t at;
  uint64_t offset, size;
  uint16_t mhlen;
  bool bad; /* the record did not parse: boxo's StatusOtherError */
} ent_t;

struct rpc_fsl {
  bs_env_t *env;
  rpc_fsl_opts_t o;
  bool collected;
  ent_t *v;
  size_t n, cap, next;
  tr_bytes_t arena;
  uint8_t last[DAG_MH_MAX]; /* the last multihash collected */
  size_t last_len, batch;
  size_t arg; /* the next argument */
  uint8_t *buf; /* a file's bytes, reused from one reference to the next */
  size_t bufcap;
};

/* ----------------------------------------------------------- key order */

/* The i-th 5-bit group of p[0..len) (RFC 4648 base32, zero bits past the
 * end), and its rank in the ASCII order of the alphabet A-Z2-7. */
static int b32_rank(const uint8_t *p, size_t len, size_t i) {
  size_t bit = i * 5, byte = bit / 8;
  unsigned w = (unsigned)p[byte] << 8 | (byte + 1 < len ? p[byte + 1] : 0u);
  int v = (int)((w >> (11 - bit % 8)) & 31);
  return v >= 26 ? v - 26 : v + 6;
}

int rpc_fsl_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl) {
  size_t na = (al * 8 + 4) / 5, nb = (bl * 8 + 4) / 5;
  for (size_t i = 0; i < na && i < nb; i++) {
    int ra = b32_rank(a, al, i), rb = b32_rank(b, bl, i);
    if (ra != rb)
      return ra < rb ? -1 : 1;
  }
  return na < nb ? -1 : na > nb;
}

int rpc_fsl_filecmp(const char *pa, uint64_t oa, const uint8_t *ka,
                    size_t kal, const char *pb, uint64_t ob,
                    const uint8_t *kb, size_t kbl) {
  int c = strcmp(pa, pb);
  if (c)
    return c < 0 ? -1 : 1;
  if (oa != ob)
    return oa < ob ? -1 : 1;
  return rpc_fsl_keycmp(ka, kal, kb, kbl);
}

static int cmp_key(const void *x, const void *y, void *arg) {
  const uint8_t *base = arg;
  const ent_t *a = x, *b = y;
  return rpc_fsl_keycmp(base + a->at, a->mhlen, base + b->at, b->mhlen);
}

static int cmp_file(const void *x, const void *y, void *arg) {
  const uint8_t *base = arg;
  const ent_t *a = x, *b = y;
  return rpc_fsl_filecmp((const char *)base + a->at + a->mhlen, a->offset,
                         base + a->at, a->mhlen,
                         (const char *)base + b->at + b->mhlen, b->offset,
                         base + b->at, b->mhlen);
}

/* ------------------------------------------------------------- collect */

static int collect_one(const dag_cid_t *cid, const bs_fsref_t *ref,
                       void *ud) {
  rpc_fsl_t *l = ud;
  size_t mhlen;
  const uint8_t *mh = dag_cid_mh(cid, &mhlen);
  const char *path = ref ? ref->path : "";
  size_t plen = strnlen(path, BS_FS_PATH_MAX - 1);
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    ent_t *v = tr_realloc(l->v, cap * sizeof *v);
    if (!v)
      return -ENOMEM;
    l->v = v, l->cap = cap;
  }
  ent_t *e = &l->v[l->n];
  *e = (ent_t){.at = l->arena.len, .mhlen = (uint16_t)mhlen, .bad = !ref};
  if (ref)
    e->offset = ref->offset, e->size = ref->size;
  if (tr_bytes_append(&l->arena, mh, mhlen) ||
      tr_bytes_append(&l->arena, path, plen) ||
      tr_bytes_append(&l->arena, "", 1))
    return -ENOMEM;
  l->n++;
  memcpy(l->last, mh, mhlen);
  l->last_len = mhlen;
  return ++l->batch == RPC_FSL_BATCH ? 1 : 0;
}

/* Every reference, RPC_FSL_BATCH to a read transaction, then sorted. */
static int collect(rpc_fsl_t *l) {
  int rc;
  do {
    bs_txn_t *txn;
    if ((rc = bs_txn_begin(l->env, BS_RDONLY, &txn)))
      return rc;
    l->batch = 0;
    rc = bs_fs_range(txn, l->last, l->last_len, collect_one, l);
    bs_txn_abort(txn);
  } while (rc == 1);
  if (rc < 0)
    return rc;
  if (l->n > 1)
    qsort_r(l->v, l->n, sizeof *l->v, l->o.file_order ? cmp_file : cmp_key,
            l->arena.data);
  l->collected = true;
  return 0;
}

/* ----------------------------------------------------------- one value */

/* boxo's readDataObj of r's reference: r->status and r->err. */
static void verify(rpc_fsl_t *l, rpc_fsl_res_t *r) {
  if (!r->has_ref)
    return;
  if (!l->o.allow_files) {
    r->status = BS_FS_OTHER;
    snprintf(r->err, sizeof r->err, "%s", RPC_FSL_OFF_MSG);
    return;
  }
  if (r->ref.size > BS_MAX_BLOCK) { /* bs_fs_put never wrote one */
    r->status = BS_FS_OTHER;
    snprintf(r->err, sizeof r->err, "%s", tr_strerror(TR_ETOOBIG));
    return;
  }
  size_t need = r->ref.size ? (size_t)r->ref.size : 1;
  if (need > l->bufcap) {
    uint8_t *b = tr_realloc(l->buf, need);
    if (!b) {
      r->status = BS_FS_OTHER;
      snprintf(r->err, sizeof r->err, "%s", tr_strerror(-ENOMEM));
      return;
    }
    l->buf = b, l->bufcap = need;
  }
  r->err[0] = 0;
  int st = bs_fs_read(l->env, &r->key, &r->ref, l->buf, r->err,
                      sizeof r->err);
  if (st < 0) {
    r->status = BS_FS_OTHER;
    snprintf(r->err, sizeof r->err, "%s", tr_strerror(st));
  } else {
    r->status = st;
    if (st == BS_FS_OK)
      r->err[0] = 0;
  }
}

/* --remove-bad-blocks: Kubo removes the reference of a value whose status
 * is neither ok nor ERROR (FileManager.DeleteBlock: absent is no error). */
static int remove_bad(rpc_fsl_t *l, const rpc_fsl_res_t *r) {
  if (!l->o.remove_bad || !r->has_key || r->status == BS_FS_OK ||
      r->status == BS_FS_OTHER)
    return 0;
  bs_txn_t *txn;
  int rc = bs_txn_begin(l->env, 0, &txn);
  if (rc)
    return rc;
  rc = bs_fs_del(txn, &r->key);
  if (rc && rc != TR_ENOTFOUND) {
    bs_txn_abort(txn);
    return rc;
  }
  return bs_txn_commit(txn);
}

/* An argument: boxo's listByArgs, which verifies for ls as for verify. */
static int next_arg(rpc_fsl_t *l, rpc_fsl_res_t *r) {
  const char *arg = l->o.args[l->arg++];
  char msg[RPC_FSL_ERR_MAX - 256];
  dag_cid_t c;
  if (rpc_fsl_cid_arg(arg, &c, msg, sizeof msg)) {
    r->status = BS_FS_OTHER;
    snprintf(r->err, sizeof r->err, "%.200s: %s", arg, msg);
    return 1;
  }
  size_t mhlen;
  const uint8_t *mh = dag_cid_mh(&c, &mhlen);
  int rc = dag_cid_make(&r->key, 1, DAG_CODEC_RAW, mh, mhlen);
  if (rc)
    return rc;
  r->has_key = true;
  bs_txn_t *txn;
  if ((rc = bs_txn_begin(l->env, BS_RDONLY, &txn)))
    return rc;
  rc = bs_fs_get(txn, &r->key, &r->ref);
  bs_txn_abort(txn);
  char s[DAG_CID_STR_MAX];
  if (rc == TR_ENOTFOUND) {
    r->status = BS_FS_MISSING;
    snprintf(r->err, sizeof r->err, "ipld: could not find %s",
             dag_cid_str(&r->key, s));
  } else if (rc) {
    r->status = BS_FS_OTHER;
    snprintf(r->err, sizeof r->err, "%s", tr_strerror(rc));
  } else {
    r->has_ref = true;
    verify(l, r);
  }
  rc = remove_bad(l, r);
  return rc ? rc : 1;
}

/* Whether mh is a stored block (not merely referenced). */
static int stored(bs_txn_t *txn, const uint8_t *mh, size_t len) {
  dag_cid_t cid;
  int rc = dag_cid_make(&cid, 1, DAG_CODEC_RAW, mh, len);
  return rc < 0 ? rc : bs_stored(txn, &cid);
}

/* dups: the next collected reference whose block is stored too, up to
 * RPC_FSL_BATCH looked at in a read transaction. */
static int next_dup(rpc_fsl_t *l, rpc_fsl_res_t *r) {
  while (l->next < l->n) {
    bs_txn_t *txn;
    int rc = bs_txn_begin(l->env, BS_RDONLY, &txn), found = 0;
    if (rc)
      return rc;
    for (size_t k = 0; k < RPC_FSL_BATCH && l->next < l->n && !found; k++) {
      const ent_t *e = &l->v[l->next++];
      found = stored(txn, l->arena.data + e->at, e->mhlen);
      if (found > 0 && (rc = dag_cid_make(&r->key, 1, DAG_CODEC_RAW,
                                          l->arena.data + e->at, e->mhlen)))
        found = rc;
    }
    bs_txn_abort(txn);
    if (found < 0)
      return found;
    if (found) {
      r->has_key = true;
      return 1;
    }
  }
  return 0;
}

int rpc_fsl_next(rpc_fsl_t *l, rpc_fsl_res_t *r) {
  r->status = BS_FS_OK;
  r->has_key = r->has_ref = false;
  r->err[0] = 0;
  r->ref.path[0] = 0;
  r->ref.offset = r->ref.size = 0;
  if (l->o.nargs && l->o.mode != RPC_FSL_DUPS)
    return l->arg < l->o.nargs ? next_arg(l, r) : 0;
  int rc;
  if (!l->collected && (rc = collect(l)))
    return rc;
  if (l->o.mode == RPC_FSL_DUPS)
    return next_dup(l, r);
  if (l->next >= l->n)
    return 0;
  const ent_t *e = &l->v[l->next++];
  const uint8_t *mh = l->arena.data + e->at;
  if ((rc = dag_cid_make(&r->key, 1, DAG_CODEC_RAW, mh, e->mhlen)))
    return rc;
  r->has_key = true;
  if (e->bad) {
    r->status = BS_FS_OTHER;
    snprintf(r->err, sizeof r->err, "%s", tr_strerror(TR_ECORRUPT));
  } else {
    r->has_ref = true;
    snprintf(r->ref.path, sizeof r->ref.path, "%s",
             (const char *)mh + e->mhlen);
    r->ref.offset = e->offset;
    r->ref.size = e->size;
    if (l->o.mode == RPC_FSL_VERIFY)
      verify(l, r);
  }
  return (rc = remove_bad(l, r)) ? rc : 1;
}

int rpc_fsl_new(bs_env_t *env, const rpc_fsl_opts_t *o, rpc_fsl_t **out) {
  rpc_fsl_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->env = env;
  l->o = *o;
  *out = l;
  return 0;
}

void rpc_fsl_free(rpc_fsl_t *l) {
  if (!l)
    return;
  tr_free(l->v);
  tr_free(l->buf);
  tr_bytes_free(&l->arena);
  tr_free(l);
}

bool rpc_fsl_enabled(const char *repo, bool *allow_files) {
  json_t *cfg = NULL;
  *allow_files = false;
  if (!repo || config_load(repo, &cfg))
    return false;
  *allow_files = json_is_true(config_get(cfg, "Experimental.FilestoreEnabled"));
  bool on = *allow_files ||
            json_is_true(config_get(cfg, "Experimental.UrlstoreEnabled"));
  json_decref(cfg);
  return on;
}

/* ------------------------------------------------------------ argument */

int rpc_fsl_cid_arg(const char *arg, dag_cid_t *cid, char *msg, size_t n) {
  if (!dag_cid_parse(cid, arg, strlen(arg)))
    return 0;
  int ns;
  const char *rest = dag_path_rest(arg, &ns);
  if (ns == DAG_NS_IPNS) { /* boxo's NewImmutablePath refuses it */
    snprintf(msg, n, "path was expected to be immutable: \"%s\"", arg);
    return TR_ECID;
  }
  if (ns == DAG_NS_NONE && arg[0] == '/') {
    /* Neither a URI nor "/ipfs/...": boxo's NewPath says which part. */
    const char *s = arg + 1;
    size_t k = strcspn(s, "/");
    if (!s[k] || !s[k + 1])
      snprintf(msg, n, "invalid path \"%s\": path does not have enough "
               "components", arg);
    else
      snprintf(msg, n, "invalid path \"%s\": unknown namespace: \"%.*s\"",
               arg, (int)k, s);
    return TR_ECID;
  }
  /* "/ipfs/CID...", a URI, or (Kubo's fallback) "/ipfs/" + arg. */
  size_t k = strcspn(rest, "/");
  int rc = dag_cid_parse(cid, rest, k);
  if (rc) {
    if (ns == DAG_NS_NONE)
      snprintf(msg, n, "invalid path \"%s\": path does not have enough "
               "components", arg);
    else
      snprintf(msg, n, "invalid path \"%s\": invalid cid: %s", arg,
               tr_strerror(rc));
    return rc;
  }
  if (rest[k] && rest[k + 1]) {
    snprintf(msg, n, "\"%s\" points below a root CID, expected a single CID",
             arg);
    return TR_ECID;
  }
  return 0;
}

/* ------------------------------------------------------------- formats */

void rpc_fsl_format_long(const rpc_fsl_res_t *r, char base, char *out,
                         size_t n) {
  char s[DAG_CID_STR_MAX];
  if (!r->has_key) {
    snprintf(out, n, "<corrupt key>");
  } else if (!r->has_ref || !r->ref.path[0]) {
    snprintf(out, n, "%s", dag_cid_str(&r->key, s));
  } else {
    if (dag_cid_format(&r->key, base, s, sizeof s) < 0)
      dag_cid_str(&r->key, s);
    snprintf(out, n, "%-50s %6" PRIu64 " %s %" PRIu64, s, r->ref.size,
             r->ref.path, r->ref.offset);
  }
}

void rpc_fsl_line(const rpc_fsl_res_t *r, int mode, bool remove_bad,
                  char base, char *out, size_t n) {
  char fl[RPC_FSL_ERR_MAX];
  rpc_fsl_format_long(r, base, fl, sizeof fl);
  if (mode != RPC_FSL_VERIFY) {
    snprintf(out, n, "%s\n", fl);
    return;
  }
  const char *action = "";
  if (remove_bad)
    action = r->status != BS_FS_OK && r->status != BS_FS_OTHER ? " remove"
                                                               : " keep";
  snprintf(out, n, "%-7s %s%s\n", bs_fs_status_str(r->status), fl, action);
}

json_t *rpc_fsl_json(const rpc_fsl_res_t *r) {
  char s[DAG_CID_STR_MAX];
  json_t *key = r->has_key ? json_pack("{s:s}", "/", dag_cid_str(&r->key, s))
                           : json_null();
  const char *path = r->has_ref ? r->ref.path : "";
  return json_pack("{s:i,s:o,s:o,s:o,s:I,s:I}", "Status", r->status,
                   "ErrorMsg", rpc_json_str(r->err), "Key", key, "FilePath",
                   rpc_json_str(path), "Offset",
                   (json_int_t)(r->has_ref ? r->ref.offset : 0), "Size",
                   (json_int_t)(r->has_ref ? r->ref.size : 0));
}

int rpc_fsl_from_json(const json_t *o, rpc_fsl_res_t *r) {
  json_t *st = json_object_get(o, "Status"), *key = json_object_get(o, "Key");
  const char *em = json_string_value(json_object_get(o, "ErrorMsg"));
  const char *path = json_string_value(json_object_get(o, "FilePath"));
  json_t *off = json_object_get(o, "Offset"), *size = json_object_get(o, "Size");
  if (!json_is_integer(st) || !em || !path || !json_is_integer(off) ||
      !json_is_integer(size))
    return TR_EJSON;
  memset(&r->ref, 0, sizeof r->ref);
  r->status = (int)json_integer_value(st);
  snprintf(r->err, sizeof r->err, "%s", em);
  r->has_key = key && !json_is_null(key);
  if (r->has_key) {
    const char *ks = json_string_value(json_object_get(key, "/"));
    if (!ks || dag_cid_parse(&r->key, ks, strlen(ks)))
      return TR_EJSON;
  }
  if (strlen(path) >= sizeof r->ref.path)
    return TR_EJSON;
  r->has_ref = path[0] != 0;
  snprintf(r->ref.path, sizeof r->ref.path, "%s", path);
  r->ref.offset = (uint64_t)json_integer_value(off);
  r->ref.size = (uint64_t)json_integer_value(size);
  return 0;
}
