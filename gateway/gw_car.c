/*
 * gw_car.c — trustless gateway CAR responses (application/vnd.ipld.car;
 * version=1; order=dfs; dups=n|y), per specs.ipfs.tech/http-gateways/
 * trustless-gateway:
 *
 *   - the CAR's root is the CID in the URL;
 *   - first come the blocks needed to verify the content path (root to the
 *     parent of the terminal element), then the terminal element's blocks;
 *   - dag-scope=all (default): the whole DAG below it, depth-first;
 *     dag-scope=entity: a file's blocks (only those for entity-bytes=from:to
 *     when given), or a directory's node and HAMT shards, not its children;
 *     dag-scope=block: the terminal block alone;
 *   - dups=n (default): each block once; dups=y: as often as the DAG refers
 *     to it.
 *
 * Produced in the worker pool a piece at a time.  dag-scope=all walks the
 * links index with an explicit stack of CIDs; entity scope runs dag_cat()
 * over windows of the file with a get callback that records every block it
 * touches, so exactly the blocks a verifying client needs are sent, in the
 * order it needs them.  A block the repo lacks is fetched (ctx->fetcher)
 * block by block, with the entity's CID as the hint so that the fetcher
 * fetches ahead in DFS order: the CAR flows as blocks arrive, each wait is
 * bounded by the retrieval timeout, and dag-scope=entity or entity-bytes
 * fetch no more than they send (BS_FETCH_DAG would fetch a whole DAG before
 * the next byte, and for entity scopes more than asked).  A block that
 * cannot be had aborts the response (the client sees a truncated CAR,
 * never a wrong one), after boxo's marker of a truncated CAR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/car.h"
#include "gw_int.h"

enum { SCOPE_ALL, SCOPE_ENTITY, SCOPE_BLOCK };
enum { PH_HEADER, PH_PATH, PH_BODY, PH_DONE };

#define ENTITY_WINDOW (1u << 20)

typedef struct car_state {
  gw_miss_t miss; /* first: the wait hook's view (gw_int.h) */
  dag_cid_t root, cid;
  dag_cid_t *path; /* npath blocks from the root to the parent of cid */
  size_t npath, pi;
  const char *pnames; /* names: the next path step's name */
  int scope, phase;
  bool dups;
  bool is_file, is_dir;
  uint64_t from, to; /* entity bytes, to exclusive */
  uint64_t off;      /* entity: next window start */
  bool started;      /* body phase began */
  /* dag-scope=all: DFS stack of CIDs still to send. */
  dag_cid_t *stack;
  size_t sn, scap;
  /* Fingerprints of blocks sent (dups=n). */
  tr_fpset_t seen;
  /* Bytes produced but not yet handed out. */
  tr_bytes_t carry;
  size_t carry_off;
  /* The path below the root ("/a/b", decoded), walked again to record the
   * blocks that prove it; NULL: only the directories in path[] are sent. */
  char *names;
  /* dag-scope=entity of a directory: the walk of its shards. */
  dag_ls_iter_t *ls;
} car_state_t;

/* Append one section (CID + block) to carry, unless already sent. */
static int emit(car_state_t *s, bs_txn_t *txn, const dag_cid_t *c,
                const uint8_t *data, size_t len) {
  (void)txn;
  int rc = tr_fpset_add(&s->seen, dag_cid_fp(c));
  if (rc < 0)
    return rc;
  if (rc == 0 && !s->dups)
    return 0;
  uint8_t head[DAG_CAR_SECTION_HEAD_MAX];
  int n = dag_car_section_head(c, len, head, sizeof head);
  if (n < 0)
    return n;
  if ((rc = tr_bytes_append(&s->carry, head, (size_t)n)))
    return rc;
  return tr_bytes_append(&s->carry, data, len);
}

/* bs_get() that notes a missing block for the wait hook. */
static int car_get(car_state_t *s, bs_txn_t *txn, const dag_cid_t *c,
                   const uint8_t **data, size_t *len) {
  int rc = bs_get(txn, c, data, len);
  if (rc == TR_ENOTFOUND) {
    s->miss.cid = *c;
    s->miss.has = true;
  }
  return rc;
}

static int emit_cid(car_state_t *s, bs_txn_t *txn, const dag_cid_t *c) {
  const uint8_t *data;
  size_t len;
  int rc = car_get(s, txn, c, &data, &len);
  return rc ? rc : emit(s, txn, c, data, len);
}

/* A step that records blocks as dag_cat() or dag_resolve() reads them
 * failed at a missing block, to be run again once it is there.  What it
 * emitted before stays in carry: with dups=n the second run skips those
 * blocks (seen), so each goes out once and in order; with dups=y it would
 * emit them again, so they are taken back (carry cut to mark). */
static void step_missed(car_state_t *s, size_t mark, const gw_budget_t *b) {
  gw__miss_note(&s->miss, b);
  if (s->dups)
    s->carry.len = mark;
}

/* ------------------------------------------------------- scope = all */

static int push(car_state_t *s, const dag_cid_t *c) {
  if (s->sn == s->scap) {
    size_t cap = s->scap ? s->scap * 2 : 64;
    dag_cid_t *t = tr_realloc(s->stack, cap * sizeof *t);
    if (!t)
      return -ENOMEM;
    s->stack = t;
    s->scap = cap;
  }
  s->stack[s->sn++] = *c;
  return 0;
}

typedef struct kids {
  dag_cid_t *v;
  size_t n, cap;
  int err;
} kids_t;

static int collect(const dag_cid_t *c, void *ud) {
  kids_t *k = ud;
  if (k->n == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 32;
    dag_cid_t *t = tr_realloc(k->v, cap * sizeof *t);
    if (!t)
      return k->err = -ENOMEM;
    k->v = t;
    k->cap = cap;
  }
  k->v[k->n++] = *c;
  return 0;
}

/* Send blocks depth-first until carry holds about a piece. */
static int step_all(car_state_t *s, bs_txn_t *txn) {
  if (!s->started) {
    s->started = true;
    if (push(s, &s->cid))
      return -ENOMEM;
  }
  while (s->sn && s->carry.len - s->carry_off < HTTP_STREAM_PIECE) {
    dag_cid_t c = s->stack[s->sn - 1];
    if (c.mh_code == DAG_MH_IDENTITY) {
      s->sn--;
      continue;
    }
    const uint8_t *data;
    size_t len;
    int rc = car_get(s, txn, &c, &data, &len);
    if (rc)
      return rc; /* a missing block stays on the stack: the next run */
    s->sn--;
    size_t before = s->seen.n;
    if ((rc = emit(s, txn, &c, data, len)))
      return rc;
    if (s->seen.n == before && !s->dups)
      continue; /* sent before, and so were its children */
    kids_t k = {0};
    rc = bs_links(txn, &c, collect, &k);
    for (size_t i = k.n; rc == 0 && i-- > 0;)
      rc = push(s, &k.v[i]);
    tr_free(k.v);
    if (rc)
      return rc;
  }
  if (!s->sn)
    s->phase = PH_DONE;
  return 0;
}

/* ---------------------------------------------------- scope = entity */

typedef struct rec_ctx {
  car_state_t *s;
  gw_budget_t b;
  int err;
} rec_ctx_t;

/* The get callback that records: every block dag_cat or dag_resolve needs
 * is what a verifying client needs.  Reads are charged to a budget. */
static int rec_get(const dag_cid_t *c, const uint8_t **data, size_t *len,
                   void *ud) {
  rec_ctx_t *r = ud;
  int rc = gw__budget_get(c, data, len, &r->b);
  if (rc)
    return rc;
  if (c->mh_code != DAG_MH_IDENTITY && (rc = emit(r->s, NULL, c, *data, *len)))
    return r->err = rc;
  return 0;
}

/* The walk of a directory's shards hands each one over here. */
static int rec_node(const dag_cid_t *c, const uint8_t *blk, size_t len,
                    void *ud) {
  car_state_t *s = ud;
  int rc = c->mh_code == DAG_MH_IDENTITY ? 0 : emit(s, NULL, c, blk, len);
  if (rc)
    return rc;
  return s->carry.len - s->carry_off >= HTTP_STREAM_PIECE ? 1 : 0;
}

static int ignore_bytes(const uint8_t *p, size_t n, void *ud) {
  (void)p, (void)n, (void)ud;
  return 0;
}

static int ignore_entry(const dag_dirent_t *e, void *ud) {
  (void)e, (void)ud;
  return 0;
}

static int step_entity(car_state_t *s, bs_txn_t *txn, uint64_t budget) {
  rec_ctx_t r = {s, {.txn = txn, .left = budget}, 0};
  if (!s->is_file && !s->is_dir) {
    int rc = emit_cid(s, txn, &s->cid);
    if (rc == 0)
      s->phase = PH_DONE;
    return rc;
  }
  if (s->is_dir) {
    /* The node and, for a HAMT, its shards, a piece at a time; with
     * dups=n each shard once even when the DAG refers to it many times. */
    if (!s->ls) {
      if (!(s->ls = tr_malloc(sizeof *s->ls)))
        return -ENOMEM;
      dag_ls_iter_init(s->ls, &s->cid, s->dups ? 0 : DAG_LS_SKIP_SEEN,
                       rec_node, s);
    }
    int rc = dag_ls_iter_run(s->ls, gw__budget_get, &r.b, ignore_entry, NULL);
    if (rc == TR_ENOTFOUND) /* the walk waits at the shard; nodes before
                               it were given once */
      gw__miss_note(&s->miss, &r.b);
    if (rc < 0)
      return rc;
    if (rc == 0)
      s->phase = PH_DONE;
    return 0;
  }
  if (!s->started) {
    s->started = true;
    s->off = s->from;
    /* An empty range still proves the file's root. */
    if (s->from >= s->to) {
      int rc = emit_cid(s, txn, &s->cid);
      if (rc == 0)
        s->phase = PH_DONE;
      else
        s->started = false;
      return rc;
    }
  }
  while (s->off < s->to && s->carry.len - s->carry_off < HTTP_STREAM_PIECE) {
    uint64_t n = s->to - s->off;
    if (n > ENTITY_WINDOW)
      n = ENTITY_WINDOW;
    size_t mark = s->carry.len;
    int rc = dag_cat(&s->cid, s->off, n, rec_get, &r, ignore_bytes, NULL);
    if (rc == TR_ENOTFOUND)
      step_missed(s, mark, &r.b);
    if (rc)
      return rc;
    s->off += n;
  }
  if (s->off >= s->to)
    s->phase = PH_DONE;
  return 0;
}

/* ----------------------------------------------------------- the path */

/* The blocks that prove the content path: each directory on the way and,
 * for a HAMT-sharded one, the shards its lookup goes through.  dag_resolve()
 * with the recording get reads exactly those, in the order a verifying
 * client walks them.  (Sending only the directory nodes, as path[] holds
 * them, leaves a client unable to get past a HAMT's root.) */
static int emit_path(car_state_t *s, bs_txn_t *txn) {
  if (!s->names) {
    for (; s->pi < s->npath; s->pi++) {
      int rc = emit_cid(s, txn, &s->path[s->pi]);
      if (rc)
        return rc;
    }
    return 0;
  }
  /* One step at a time: a path of big directories never sits in memory
   * whole. */
  rec_ctx_t r = {s, {.txn = txn, .left = GW_WORK_BUDGET}, 0};
  const char *p = s->pnames ? s->pnames : s->names;
  while (*p == '/')
    p++;
  size_t n = strcspn(p, "/");
  dag_cid_t next;
  size_t mark = s->carry.len;
  int rc = dag_resolve(&s->path[s->pi], p, n, rec_get, &r, &next);
  if (rc == TR_ENOTFOUND)
    step_missed(s, mark, &r.b);
  if (rc)
    return rc;
  s->pnames = p + n;
  s->pi++;
  return 0;
}

/* ---------------------------------------------------------- the fill */

static int64_t fill_car(void *st, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  car_state_t *s = st;
  while (s->carry.len - s->carry_off == 0 && s->phase != PH_DONE) {
    s->carry.len = s->carry_off = 0;
    if (s->phase == PH_HEADER) {
      size_t n = dag_car_header_v1_size(&s->root, 1);
      if (tr_bytes_reserve(&s->carry, n))
        return -ENOMEM;
      int w = dag_car_header_v1(&s->root, 1, s->carry.data, n);
      if (w < 0)
        return w;
      s->carry.len = (size_t)w;
      s->phase = PH_PATH;
      break;
    }
    bs_txn_t *txn;
    int rc = bs_txn_begin(env, BS_RDONLY, &txn);
    if (rc)
      return rc;
    if (s->phase == PH_PATH) {
      if (s->pi < s->npath)
        rc = emit_path(s, txn);
      if (s->pi == s->npath)
        s->phase = PH_BODY;
    } else if (s->scope == SCOPE_BLOCK) {
      if ((rc = emit_cid(s, txn, &s->cid)) == 0)
        s->phase = PH_DONE;
    } else if (s->scope == SCOPE_ENTITY)
      rc = step_entity(s, txn, GW_PIECE_BUDGET(cap));
    else
      rc = step_all(s, txn);
    bs_txn_abort(txn);
    /* A missing block: what was made before it goes out first; the next
     * fill meets the block again (and waits for it). */
    if (rc == TR_ENOTFOUND && s->carry.len > s->carry_off)
      break;
    if (rc)
      return rc;
  }
  size_t n = s->carry.len - s->carry_off;
  if (n > cap)
    n = cap;
  memcpy(buf, s->carry.data + s->carry_off, n);
  s->carry_off += n;
  if (s->carry_off == s->carry.len && s->carry.cap > (8u << 20))
    tr_bytes_free(&s->carry); /* a 4 MiB block passed through: let it go */
  return (int64_t)n;
}

static void free_car(void *st) {
  car_state_t *s = st;
  tr_free(s->stack);
  tr_fpset_free(&s->seen);
  tr_bytes_free(&s->carry);
  tr_free(s->names);
  tr_free(s->path);
  if (s->ls)
    dag_ls_iter_free(s->ls);
  tr_free(s->ls);
  tr_free(s);
}

/* entity-bytes=from:to, to may be '*'; negative values count from the end
 * (the spec's syntax).  to is inclusive in the URL, exclusive here. */
static int parse_entity_bytes(const char *v, uint64_t size, uint64_t *from,
                              uint64_t *to) {
  char *end;
  long long a = strtoll(v, &end, 10);
  if (end == v || *end != ':')
    return -1;
  const char *b = end + 1;
  long long z;
  if (!strcmp(b, "*"))
    z = (long long)size - 1;
  else {
    z = strtoll(b, &end, 10);
    if (end == b || *end)
      return -1;
  }
  if (a < 0)
    a = (long long)size + a < 0 ? 0 : (long long)size + a;
  if (z < 0)
    z = (long long)size + z;
  if (z >= (long long)size)
    z = (long long)size - 1;
  if (a > z + 1 && z >= 0)
    return -1;
  *from = (uint64_t)a;
  *to = z < 0 ? 0 : (uint64_t)z + 1;
  if (*from > *to)
    *from = *to;
  return 0;
}

void gw__serve_car(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t) {
  const char *q = http_req_query(req);
  char v[64];
  car_state_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  gw__miss_init(&s->miss, ctx, &t->cid);
  s->root = t->root;
  s->cid = t->cid;
  s->npath = t->npath;
  if (t->npath && !(s->path = tr_malloc(t->npath * sizeof *s->path))) {
    free_car(s);
    gw__target_free(t);
    gw_error(req, 500, "out of memory");
    return;
  }
  if (t->npath)
    memcpy(s->path, t->path_cids, t->npath * sizeof *s->path);
  /* The names below the root: ipfs_path is "/ipfs/<root>/<names>", one
   * name per path step. */
  const char *below = strchr(t->ipfs_path + 6, '/');
  if (t->npath && below) {
    size_t segs = 0;
    for (const char *p = below; *p; p++)
      segs += *p == '/';
    if (segs == t->npath && !(s->names = tr_strdup(below))) {
      free_car(s);
      gw__target_free(t);
      gw_error(req, 500, "out of memory");
      return;
    }
  }
  s->scope = SCOPE_ALL;
  s->is_file = t->info.kind == DAG_NODE_FILE;
  s->is_dir = t->info.kind == DAG_NODE_DIR;
  s->from = 0;
  s->to = t->info.size;
  int bad = 0;
  if (http_query_get(q, "dag-scope", v, sizeof v)) {
    if (!strcmp(v, "all"))
      s->scope = SCOPE_ALL;
    else if (!strcmp(v, "entity"))
      s->scope = SCOPE_ENTITY;
    else if (!strcmp(v, "block"))
      s->scope = SCOPE_BLOCK;
    else
      bad = 1;
  }
  if (!bad && http_query_get(q, "entity-bytes", v, sizeof v)) {
    if (!s->is_file)
      s->scope = SCOPE_ENTITY; /* ignored for non-files, as the spec says */
    else if (parse_entity_bytes(v, t->info.size, &s->from, &s->to))
      bad = 2;
    else
      s->scope = SCOPE_ENTITY;
  }
  /* dups and order: ?car-dups= / ?car-order= first (IPIP-523: the URL
   * wins), then the Accept parameters. */
  const char *acc = http_req_header(req, "accept");
  if (http_query_get(q, "car-dups", v, sizeof v) ||
      http_query_get(q, "dups", v, sizeof v)) {
    if (!strcmp(v, "y"))
      s->dups = true;
    else if (strcmp(v, "n"))
      bad = 4;
  } else if (acc && strstr(acc, "dups=y"))
    s->dups = true;
  if (http_query_get(q, "car-order", v, sizeof v)) {
    if (strcmp(v, "dfs") && strcmp(v, "unk"))
      bad = 3;
  } else if (acc && strstr(acc, "order=unk") == NULL && strstr(acc, "order=") &&
             !strstr(acc, "order=dfs"))
    bad = 3;
  if (s->scope == SCOPE_ALL) /* the whole DAG will be read: fetch ahead */
    s->miss.flags = BS_FETCH_AHEAD;
  if (bad) {
    free_car(s);
    gw__target_free(t);
    gw_error(req, 400, bad == 1   ? "dag-scope must be all, entity or block"
                       : bad == 2 ? "invalid entity-bytes range"
                       : bad == 3 ? "only order=dfs is supported"
                                  : "car-dups must be y or n");
    return;
  }
  char rs[DAG_CID_STR_MAX], etag[DAG_CID_STR_MAX + 96], cd[DAG_CID_STR_MAX + 40];
  dag_cid_str(&t->cid, rs);
  snprintf(etag, sizeof etag, "\"%s.car.%d.%d.%llx.%llx\"", rs, s->scope,
           s->dups, (unsigned long long)s->from, (unsigned long long)s->to);
  if (gw__not_modified(req, t, etag)) {
    free_car(s);
    gw__target_free(t);
    return;
  }
  snprintf(cd, sizeof cd, "attachment; filename=\"%s.car\"", rs);
  http_header_t h[12] = {
      {"Content-Type", s->dups ? "application/vnd.ipld.car; version=1; "
                                 "order=dfs; dups=y"
                               : "application/vnd.ipld.car; version=1; "
                                 "order=dfs; dups=n"},
      {"Content-Disposition", cd},
      {"X-Content-Type-Options", "nosniff"},
      {"Vary", "Accept"},
      /* A CAR is streamed as it is read: no ranges (the spec's
       * entity-bytes serves that need). */
      {"Accept-Ranges", "none"}};
  size_t n = gw__std_headers(t, etag, h, 5);
  http_res_start(req, 200, h, n, -1);
  gw__target_free(t);
  if (!strcmp(http_req_method(req), "HEAD")) {
    free_car(s);
    http_res_end(req);
    return;
  }
  http_stream_opts_t o = gw__stream_opts(ctx, 0);
  /* A CAR has no way to say it stops short: bytes that are no CAR where
   * the next block would start make a reader fail rather than take a
   * short DAG for the whole (boxo's carTruncationMessage, byte for byte). */
  o.cut_note = "\n\n[Gateway Error: CAR stream truncated, response is "
               "incomplete]";
  http_stream_start_opts(req, ctx->env, fill_car, free_car, s, &o);
}
