/*
 * dagcmd.c — `dag get/resolve/put/stat` (dagcmd.h): the path walk across
 * blocks, the codecs through dag/ipld.h, the stat's sums.
 */
#include "dagcmd.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/multihash.h"
#include "rpc_int.h"

/* go-ipld-prime's names of kinds, for its "wrong kind" message. */
static const char *kind_name(ipld_kind_t k) {
  static const char *names[] = {"null",  "bool",  "int",  "float", "string",
                                "bytes", "link",  "list", "map"};
  return (unsigned)k < TR_ARRAY_LEN(names) ? names[k] : "invalid";
}

/* One segment inside a block (ipld_step), or NULL with Kubo's message in
 * err. */
static const ipld_node_t *step(const ipld_node_t *n, const char *seg,
                               size_t len, char *err) {
  if (n->kind != IPLD_MAP && n->kind != IPLD_LIST) {
    snprintf(err, RPC_DAG_ERR_MAX,
             "func called on wrong kind: \"LookupBySegment\" called on a %s "
             "node (kind: %s), but only makes sense on map or list",
             kind_name(n->kind), kind_name(n->kind));
    return NULL;
  }
  const ipld_node_t *c = ipld_step(n, seg, len);
  if (!c)
    snprintf(err, RPC_DAG_ERR_MAX, "key not found: \"%.*s\"", (int)len, seg);
  return c;
}

/* The walk's state: the block being walked, decoded when it is not dag-pb
 * (a dag-pb block is walked by UnixFS names, as Kubo's resolver does). */
typedef struct walk {
  dag_get_cb get;
  void *ud;
  dag_cid_t cid;
  const uint8_t *data;
  size_t len;
  ipld_arena_t *arena;
  const ipld_node_t *at; /* where the path has reached inside cid's block
                            (NULL for dag-pb, walked by names) */
  const char *rem;         /* the path from `at` on, in the block */
} walk_t;

static int load(walk_t *w, char *err) {
  int rc = w->get(&w->cid, &w->data, &w->len, w->ud);
  if (rc)
    return rc;
  w->at = NULL;
  if (w->cid.codec == DAG_CODEC_DAG_PB)
    return 0;
  ipld_node_t *n;
  char s[DAG_CID_STR_MAX];
  rc = ipld_decode(w->cid.codec, w->data, w->len, w->arena, &n);
  if (rc == TR_ECODEC && !ipld_codec_known(w->cid.codec))
    snprintf(err, RPC_DAG_ERR_MAX, "no decoder registered for multicodec "
             "code %llu (0x%llx): %s", (unsigned long long)w->cid.codec,
             (unsigned long long)w->cid.codec, dag_cid_str(&w->cid, s));
  else if (rc)
    snprintf(err, RPC_DAG_ERR_MAX, "decoding %s: %s",
             ipld_codec_name(w->cid.codec), tr_strerror(rc));
  else
    w->at = n;
  return rc;
}

/* Walk path (after the CID: "" or "/a/b") from w->cid. */
static int walk_path(walk_t *w, const char *path, char *err) {
  int rc = load(w, err);
  const char *p = path, *block_start = path;
  while (!rc) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    size_t len = strcspn(p, "/");
    if (!w->at) { /* dag-pb: a UnixFS name, to the next block */
      dag_cid_t next;
      rc = dag_resolve(&w->cid, p, len, w->get, w->ud, &next);
      if (rc == TR_EPATH || rc == TR_ENOTDIR || rc == TR_EUNIXFS ||
          rc == TR_ENOTFILE) {
        char s[DAG_CID_STR_MAX];
        snprintf(err, RPC_DAG_ERR_MAX, "no link named \"%.*s\" under %s",
                 (int)len, p, dag_cid_str(&w->cid, s));
        return TR_EPATH;
      }
      if (rc)
        return rc;
      w->cid = next;
      p += len;
      block_start = p;
      rc = load(w, err);
      continue;
    }
    const ipld_node_t *n = step(w->at, p, len, err);
    if (!n)
      return TR_EPATH;
    p += len;
    if (n->kind == IPLD_LINK) { /* on to the block it names */
      w->cid = n->u.link;
      block_start = p;
      rc = load(w, err);
      continue;
    }
    w->at = n;
  }
  w->rem = block_start;
  return rc;
}

static int walk(walk_t *w, const char *arg, char *err) {
  const char *path;
  int rc = rpc_parse_path(arg, &w->cid, &path);
  if (rc) {
    snprintf(err, RPC_DAG_ERR_MAX, "invalid path %.*s: %s", 200, arg,
             tr_strerror(rc));
    return rc;
  }
  if (!(w->arena = ipld_arena_new()))
    return -ENOMEM;
  return walk_path(w, path, err);
}

int rpc_dag_walk(const char *arg, dag_get_cb get, void *ud, dag_cid_t *cid,
                 char *rem, size_t cap, char err[RPC_DAG_ERR_MAX]) {
  walk_t w = {.get = get, .ud = ud};
  err[0] = 0;
  int rc = walk(&w, arg, err);
  *cid = w.cid;
  if (!rc) {
    /* Kubo's RemPath: the segments left, each after a '/'. */
    size_t o = 0;
    for (const char *p = w.rem; *p && !rc;) {
      while (*p == '/')
        p++;
      size_t len = strcspn(p, "/");
      if (!len)
        break;
      if (o + len + 2 > cap)
        rc = TR_EBUFSIZE;
      else {
        rem[o++] = '/';
        memcpy(rem + o, p, len);
        o += len;
      }
      p += len;
    }
    if (cap)
      rem[rc ? 0 : o] = 0;
  }
  ipld_arena_free(w.arena);
  return rc;
}

int rpc_dag_get(const char *arg, uint64_t codec, dag_get_cb get, void *ud,
                tr_bytes_t *out, char err[RPC_DAG_ERR_MAX]) {
  walk_t w = {.get = get, .ud = ud};
  err[0] = 0;
  int rc = walk(&w, arg, err);
  if (!rc && !w.at) {
    /* A dag-pb block reached whole: its data model form. */
    ipld_node_t *n;
    if ((rc = ipld_decode(DAG_CODEC_DAG_PB, w.data, w.len, w.arena, &n)))
      snprintf(err, RPC_DAG_ERR_MAX, "decoding dag-pb: %s", tr_strerror(rc));
    else
      w.at = n;
  }
  if (!rc && (rc = ipld_encode(codec, w.at, out)) == TR_ECODEC)
    snprintf(err, RPC_DAG_ERR_MAX, "cannot encode a %s node as %s",
             kind_name(w.at->kind),
             ipld_codec_name(codec) ? ipld_codec_name(codec) : "that codec");
  ipld_arena_free(w.arena);
  return rc;
}

int rpc_dag_put(const uint8_t *in, size_t len, uint64_t in_codec,
                uint64_t store_codec, uint64_t mh, tr_bytes_t *block,
                dag_cid_t *cid, char err[RPC_DAG_ERR_MAX]) {
  err[0] = 0;
  ipld_arena_t *a = ipld_arena_new();
  if (!a)
    return -ENOMEM;
  ipld_node_t *n;
  size_t start = block->len;
  int rc = ipld_decode_input(in_codec, in, len, a, &n);
  if (rc)
    snprintf(err, RPC_DAG_ERR_MAX, "decoding %s: %s",
             ipld_codec_name(in_codec) ? ipld_codec_name(in_codec) : "input",
             tr_strerror(rc));
  else if ((rc = ipld_encode(store_codec, n, block)))
    snprintf(err, RPC_DAG_ERR_MAX, "encoding %s: %s",
             ipld_codec_name(store_codec), tr_strerror(rc));
  else if ((rc = dag_cid_sum(cid, 1, store_codec, mh, block->data + start,
                             block->len - start)))
    snprintf(err, RPC_DAG_ERR_MAX, "hashing: %s", tr_strerror(rc));
  ipld_arena_free(a);
  return rc;
}

/* ------------------------------------------------------------------ stat */

int rpc_dag_stat_add(rpc_dag_stat_t *st, bs_txn_t *txn, const dag_cid_t *root,
                     void (*progress)(const rpc_dag_stat_t *st, void *ud),
                     void *ud, dag_cid_t *missing) {
  rpc_dag_stat_root_t *v =
      tr_realloc(st->roots, (st->n + 1) * sizeof *st->roots);
  if (!v)
    return -ENOMEM;
  st->roots = v;
  rpc_dag_stat_root_t *r = &st->roots[st->n++];
  *r = (rpc_dag_stat_root_t){.cid = *root};
  bs_walk_t *w;
  int rc = bs_walk_new(root, BS_WALK_UNIQUE, -1, &w);
  if (rc)
    return rc;
  dag_cid_t c;
  while ((rc = bs_walk_next(w, txn, &c, NULL, NULL)) == 1) {
    const uint8_t *d;
    size_t len;
    if ((rc = bs_get(txn, &c, &d, &len)))
      break;
    r->size += len;
    r->blocks++;
    int added = tr_fpset_add(&st->seen, dag_cid_fp(&c));
    if (added < 0) {
      rc = added;
      break;
    }
    if (added) {
      st->unique_blocks++;
      st->total_size += len;
    }
    if (progress)
      progress(st, ud);
  }
  if (rc == TR_ENOTFOUND && missing)
    *missing = c;
  bs_walk_free(w);
  return rc;
}

json_t *rpc_dag_stat_json(const rpc_dag_stat_t *st, bool partial) {
  json_t *stats = json_array(), *o = json_object();
  uint64_t sum = 0;
  for (size_t i = 0; stats && i < st->n; i++) {
    char s[DAG_CID_STR_MAX];
    sum += st->roots[i].size;
    json_array_append_new(
        stats, json_pack("{s:s,s:I,s:I}", "Cid",
                         dag_cid_str(&st->roots[i].cid, s), "Size",
                         (json_int_t)st->roots[i].size, "NumBlocks",
                         (json_int_t)st->roots[i].blocks));
  }
  if (!stats || !o) {
    json_decref(stats);
    json_decref(o);
    return NULL;
  }
  /* Kubo's field order: UniqueBlocks, TotalSize, SharedSize, Ratio. */
  if (!partial)
    json_object_set_new(o, "UniqueBlocks",
                        json_integer((json_int_t)st->unique_blocks));
  json_object_set_new(o, "TotalSize", json_integer((json_int_t)st->total_size));
  if (!partial) {
    if (sum > st->total_size)
      json_object_set_new(o, "SharedSize",
                          json_integer((json_int_t)(sum - st->total_size)));
    /* Kubo's Ratio is a float32, which Go writes in the fewest digits
     * that read back as it ("1.0000566", "2"); the value here is the
     * double those digits spell, which rpc_dag_stat_dump writes back in
     * them.  0 is left out (omitempty). */
    float r = st->total_size ? (float)sum / (float)st->total_size : 0;
    char digits[32];
    for (int p = 1; p <= 9; p++) {
      snprintf(digits, sizeof digits, "%.*g", p, (double)r);
      if (strtof(digits, NULL) == r)
        break;
    }
    double ratio = strtod(digits, NULL);
    if (r != 0)
      json_object_set_new(o, "Ratio",
                          ratio == (double)(json_int_t)ratio
                              ? json_integer((json_int_t)ratio)
                              : json_real(ratio));
  }
  json_object_set_new(o, "DagStats", stats);
  return o;
}

char *rpc_dag_stat_dump(const rpc_dag_stat_t *st, bool partial) {
  json_t *o = rpc_dag_stat_json(st, partial);
  /* Nine digits hold any float32, and print Ratio's in no more than the
   * digits it was made from. */
  char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
  json_decref(o);
  return s;
}

void rpc_dag_stat_free(rpc_dag_stat_t *st) {
  tr_free(st->roots);
  tr_fpset_free(&st->seen);
  memset(st, 0, sizeof *st);
}
