/*
 * follow.c — mirrors that follow (follow.h): the follows and their state
 * in the "follow" database, the scheduler on the loop, the three ways to
 * a wanted set, and the reconcile step against the local pins.
 */
#include "follow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mir_int.h"
#include "psa_client.h"

typedef struct want {
  dag_cid_t cid;
  char *name;    /* NULL: none */
  char *origins; /* a JSON array's text, NULL: none */
} want_t;

typedef struct wantset {
  want_t *v;
  size_t n, cap;
} wantset_t;

typedef struct follow {
  struct mir_follower *f;
  struct follow *next;
  uint32_t id;
  int kind;
  char *source, *token;
  unsigned keep;
  json_t *versions; /* IPNS: CIDs seen, newest first */
  uint64_t last_sync_us, syncs, next_due_us, wanted;
  char err[MIR_FOLLOW_ERR_MAX];
  bool syncing;
  int werr; /* a want not taken during a walk: the sync fails */
  mir_psa_t *psa;
  mir_psa_op_t *op;
  void *rop; /* the resolver's lookup */
  wantset_t ws;
} follow_t;

struct mir_follower {
  uv_loop_t *loop;
  mir_store_t *st;
  mir_engine_t *eng;
  mir_follow_opts_t o;
  bs_db_t db;
  uv_timer_t timer;
  follow_t *head;
  unsigned running, nfollows;
};

const char *mir_follow_kind_name(int kind) {
  return kind == MIR_FOLLOW_PSA    ? "psa"
         : kind == MIR_FOLLOW_IPNS ? "ipns"
         : kind == MIR_FOLLOW_LIST ? "list"
                                   : NULL;
}

static int kind_parse(const char *s) {
  for (int k = MIR_FOLLOW_PSA; k <= MIR_FOLLOW_LIST; k++)
    if (s && !strcmp(s, mir_follow_kind_name(k)))
      return k;
  return 0;
}

static uint64_t now_us(const mir_follower_t *f) {
  if (f->o.now_us)
    return f->o.now_us(f->o.cud);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ wanted set */

static void ws_clear(wantset_t *ws) {
  for (size_t i = 0; i < ws->n; i++) {
    tr_free(ws->v[i].name);
    tr_free(ws->v[i].origins);
  }
  tr_free(ws->v);
  *ws = (wantset_t){0};
}

static int ws_add(wantset_t *ws, const dag_cid_t *cid, const char *name,
                  const char *origins) {
  if (ws->n >= MIR_FOLLOW_WANT_MAX)
    return TR_ELIMIT;
  if (ws->n == ws->cap) {
    size_t nc = ws->cap ? ws->cap * 2 : 64;
    want_t *v = tr_realloc(ws->v, nc * sizeof *v);
    if (!v)
      return -ENOMEM;
    ws->v = v;
    ws->cap = nc;
  }
  want_t *w = &ws->v[ws->n];
  dag_cid_to_v1(&w->cid, cid); /* one form: v0 and v1 are the same pin */
  w->name = name && *name ? tr_strdup(name) : NULL;
  w->origins = origins ? tr_strdup(origins) : NULL;
  if ((name && *name && !w->name) || (origins && !w->origins)) {
    tr_free(w->name);
    tr_free(w->origins);
    return -ENOMEM;
  }
  ws->n++;
  return 0;
}

static int cid_cmp(const dag_cid_t *a, const dag_cid_t *b) {
  if (a->len != b->len)
    return a->len < b->len ? -1 : 1;
  return memcmp(a->bytes, b->bytes, a->len);
}

static int want_cmp(const void *a, const void *b) {
  return cid_cmp(&((const want_t *)a)->cid, &((const want_t *)b)->cid);
}

/* Sorted by CID, each CID once (the first seen kept). */
static void ws_sort(wantset_t *ws) {
  qsort(ws->v, ws->n, sizeof *ws->v, want_cmp);
  size_t o = 0;
  for (size_t i = 0; i < ws->n; i++) {
    if (o && !want_cmp(&ws->v[o - 1], &ws->v[i])) {
      tr_free(ws->v[i].name);
      tr_free(ws->v[i].origins);
      continue;
    }
    ws->v[o++] = ws->v[i];
  }
  ws->n = o;
}

static want_t *ws_find(const wantset_t *ws, const dag_cid_t *cid) {
  dag_cid_t v1;
  dag_cid_to_v1(&v1, cid);
  want_t key = {.cid = v1};
  return bsearch(&key, ws->v, ws->n, sizeof *ws->v, want_cmp);
}

/* -------------------------------------------------------------- storage */

static void key_f(uint8_t k[5], uint32_t id) {
  k[0] = 'F';
  mir__be32(k + 1, id);
}

static void key_m(uint8_t k[13], uint32_t id, uint64_t created) {
  k[0] = 'M';
  mir__be32(k + 1, id);
  mir__be64(k + 5, created);
}

static bs_env_t *envof(const mir_follower_t *f) {
  return mir_store_env(f->st);
}

static int save(follow_t *fl) {
  json_t *o = json_pack("{s:s,s:s,s:s?,s:i,s:O,s:I,s:I,s:s}", "kind",
                        mir_follow_kind_name(fl->kind), "source", fl->source,
                        "token", fl->token, "keep", (json_int_t)fl->keep,
                        "versions", fl->versions,
                        "last_sync", (json_int_t)fl->last_sync_us, "syncs",
                        (json_int_t)fl->syncs, "error", fl->err);
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s)
    return -ENOMEM;
  uint8_t k[5];
  key_f(k, fl->id);
  bs_txn_t *txn;
  int rc = bs_txn_begin(envof(fl->f), 0, &txn);
  if (!rc) {
    rc = bs_kv_put(txn, fl->f->db, k, sizeof k, s, strlen(s));
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  free(s);
  return rc;
}

static void follow_free(follow_t *fl) {
  if (fl->op)
    mir_psa_cancel(fl->op);
  fl->op = NULL;
  if (fl->rop && fl->f->o.resolve_cancel)
    fl->f->o.resolve_cancel(fl->f->o.rud, fl->rop);
  if (fl->syncing)
    fl->f->running--;
  mir_psa_free(fl->psa);
  ws_clear(&fl->ws);
  json_decref(fl->versions);
  tr_free(fl->source);
  tr_free(fl->token);
  tr_free(fl);
}

static follow_t *follow_new(mir_follower_t *f, uint32_t id, int kind,
                            const char *source, const char *token,
                            unsigned keep) {
  follow_t *fl = tr_calloc(1, sizeof *fl);
  if (!fl)
    return NULL;
  fl->f = f;
  fl->id = id;
  fl->kind = kind;
  fl->keep = keep;
  fl->source = tr_strdup(source);
  fl->token = token ? tr_strdup(token) : NULL;
  fl->versions = json_array();
  if (!fl->source || (token && !fl->token) || !fl->versions) {
    follow_free(fl);
    return NULL;
  }
  fl->next = f->head;
  f->head = fl;
  f->nfollows++;
  return fl;
}

static int load_one(const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen, void *ud) {
  mir_follower_t *f = ud;
  if (klen != 5 || key[0] != 'F')
    return 1; /* past the follows */
  json_t *o = json_loadb((const char *)val, vlen, 0, NULL);
  int kind = kind_parse(json_string_value(json_object_get(o, "kind")));
  const char *src = json_string_value(json_object_get(o, "source"));
  json_t *tok = json_object_get(o, "token");
  follow_t *fl = kind && src ? follow_new(f, mir__rd32(key + 1), kind, src,
                                          json_string_value(tok),
                                          (unsigned)json_integer_value(
                                              json_object_get(o, "keep")))
                             : NULL;
  if (fl) {
    json_t *v = json_object_get(o, "versions");
    if (json_is_array(v))
      json_array_extend(fl->versions, v);
    fl->last_sync_us =
        (uint64_t)json_integer_value(json_object_get(o, "last_sync"));
    fl->syncs = (uint64_t)json_integer_value(json_object_get(o, "syncs"));
    const char *e = json_string_value(json_object_get(o, "error"));
    snprintf(fl->err, sizeof fl->err, "%s", e ? e : "");
  } else {
    tr_log(TR_LOG_WARN, "mirror: follow %u unreadable, skipped",
           mir__rd32(key + 1));
  }
  json_decref(o);
  return 0;
}

/* ------------------------------------------------------------- reconcile */

typedef struct local {
  char reqid[MIR_REQID_LEN + 1];
  uint64_t created;
  dag_cid_t cid;
  int status;
} local_t;

/* The pin objects of follow id, into *out (*n of them). */
static int locals(mir_follower_t *f, bs_txn_t *txn, uint32_t id,
                  local_t **out, size_t *n) {
  mir_query_t q;
  mir_query_init(&q);
  q.source = id;
  mir_list_t *l;
  int rc = mir_list_new(f->st, &q, &l);
  if (rc)
    return rc;
  local_t *v = NULL;
  size_t cnt = 0, cap = 0;
  mir_pin_t p;
  while ((rc = mir_list_next(l, txn, &p)) == 1) {
    if (cnt == cap) {
      size_t nc = cap ? cap * 2 : 64;
      local_t *nv = tr_realloc(v, nc * sizeof *nv);
      if (!nv) {
        rc = -ENOMEM;
        break;
      }
      v = nv;
      cap = nc;
    }
    memcpy(v[cnt].reqid, p.requestid, sizeof v[cnt].reqid);
    v[cnt].created = p.created;
    v[cnt].cid = p.cid;
    v[cnt].status = p.status;
    cnt++;
  }
  mir_list_free(l);
  if (rc < 0) {
    tr_free(v);
    return rc;
  }
  *out = v;
  *n = cnt;
  return 0;
}

static uint64_t grace_us(const mir_follower_t *f) {
  return (uint64_t)f->o.grace_ms * 1000u;
}

/* One reconcile of fl against fl->ws (sorted), in one write transaction. */
static int reconcile(follow_t *fl) {
  mir_follower_t *f = fl->f;
  bs_txn_t *txn;
  int rc = bs_txn_begin(envof(f), 0, &txn);
  if (rc)
    return rc;
  local_t *loc = NULL;
  size_t nl = 0;
  bool *have = fl->ws.n ? tr_calloc(fl->ws.n, sizeof *have) : NULL;
  if (fl->ws.n && !have)
    rc = -ENOMEM;
  if (!rc)
    rc = locals(f, txn, fl->id, &loc, &nl);
  uint64_t now = now_us(f);
  size_t added = 0, removed = 0;
  for (size_t i = 0; !rc && i < nl; i++) {
    uint8_t k[13];
    key_m(k, fl->id, loc[i].created);
    want_t *w = ws_find(&fl->ws, &loc[i].cid);
    if (w) {
      have[w - fl->ws.v] = true;
      rc = bs_kv_del(txn, f->db, k, sizeof k);
      rc = rc == TR_ENOTFOUND ? 0 : rc;
      if (!rc && loc[i].status == MIR_FAILED) /* try again */
        rc = mir_pin_set_status(f->st, txn, loc[i].reqid, MIR_QUEUED, "", 0,
                                0);
      continue;
    }
    const uint8_t *v;
    size_t vl;
    rc = bs_kv_get(txn, f->db, k, sizeof k, &v, &vl);
    if (rc == TR_ENOTFOUND || (!rc && vl != 8)) {
      uint8_t since[8];
      mir__be64(since, now);
      rc = bs_kv_put(txn, f->db, k, sizeof k, since, sizeof since);
      if (rc || f->o.grace_ms)
        continue;
      v = since; /* no grace: gone at once */
    } else if (rc) {
      continue;
    }
    if (now - mir__rd64(v) < grace_us(f))
      continue;
    rc = mir_pin_del(f->st, txn, loc[i].reqid, NULL);
    rc = rc == TR_ENOTFOUND ? 0 : rc;
    if (!rc)
      rc = bs_kv_del(txn, f->db, k, sizeof k);
    removed++;
  }
  for (size_t i = 0; !rc && i < fl->ws.n; i++) {
    if (have[i])
      continue;
    want_t *w = &fl->ws.v[i];
    mir_pin_t p = {.source = fl->id, .cid = w->cid};
    p.name = w->name;
    p.name_len = w->name ? strlen(w->name) : 0;
    p.origins = w->origins;
    p.origins_len = w->origins ? strlen(w->origins) : 0;
    if (p.name_len > MIR_NAME_MAX)
      p.name_len = MIR_NAME_MAX;
    rc = mir_pin_add(f->st, txn, &p);
    added++;
  }
  rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  tr_free(loc);
  tr_free(have);
  if (!rc && added && f->eng)
    mir_engine_kick(f->eng);
  if (!rc && (added || removed))
    tr_log(TR_LOG_INFO, "mirror: follow %u: %zu pins queued, %zu removed",
           fl->id, added, removed);
  return rc;
}

/* -------------------------------------------------------------- syncing */

static void tick(uv_timer_t *t);

static void finish(follow_t *fl, int rc, const char *why) {
  mir_follower_t *f = fl->f;
  if (!rc) {
    fl->wanted = fl->ws.n;
    rc = reconcile(fl);
    why = rc ? "reconcile" : why;
  }
  ws_clear(&fl->ws);
  fl->syncing = false;
  f->running--;
  uint64_t now = now_us(f);
  fl->next_due_us = now + (uint64_t)f->o.poll_ms * 1000u;
  fl->syncs++;
  if (!rc) {
    fl->last_sync_us = now;
    fl->err[0] = 0;
  } else {
    snprintf(fl->err, sizeof fl->err, "%s: %s", why ? why : "sync",
             tr_strerror(rc));
    tr_log(TR_LOG_WARN, "mirror: follow %u (%s): %s", fl->id, fl->source,
           fl->err);
  }
  if ((rc = save(fl)))
    tr_log(TR_LOG_WARN, "mirror: follow %u not saved: %s", fl->id,
           tr_strerror(rc));
}

/* A list file: "CID [name]" lines. */
static int read_list(follow_t *fl, char *why, size_t wn) {
  FILE *fp = fopen(fl->source, "rb");
  if (!fp) {
    snprintf(why, wn, "%s", fl->source);
    return -errno;
  }
  char line[4096];
  int rc = 0;
  size_t lineno = 0, total = 0;
  while (!rc && fgets(line, sizeof line, fp)) {
    lineno++;
    total += strlen(line);
    if (total > MIR_FOLLOW_LIST_MAX) {
      rc = TR_ETOOBIG;
      break;
    }
    char *s = line + strspn(line, " \t\r\n");
    if (!*s || *s == '#')
      continue;
    if (!strncmp(s, "/ipfs/", 6))
      s += 6;
    size_t cl = strcspn(s, " \t\r\n/");
    char *name = s + cl + strspn(s + cl, " \t");
    name[strcspn(name, "\r\n")] = 0;
    dag_cid_t cid;
    if (dag_cid_parse(&cid, s, cl)) {
      snprintf(why, wn, "line %zu: not a CID", lineno);
      rc = TR_EUSAGE;
      break;
    }
    rc = ws_add(&fl->ws, &cid, *name ? name : NULL, NULL);
  }
  fclose(fp);
  return rc;
}

static void psa_done(void *ud, const mir_psa_result_t *r) {
  follow_t *fl = ud;
  fl->op = NULL;
  char why[MIR_FOLLOW_ERR_MAX];
  snprintf(why, sizeof why, "%s%s%s", "pinning service",
           *r->reason ? ": " : "", r->reason);
  int rc = r->status ? r->status : fl->werr;
  fl->werr = 0;
  if (!rc)
    ws_sort(&fl->ws);
  finish(fl, rc, why);
}

static int psa_pin(void *ud, const mir_psa_pin_t *p) {
  follow_t *fl = ud;
  dag_cid_t cid;
  if (dag_cid_parse(&cid, p->cid, strlen(p->cid)))
    return 0; /* the client checked it */
  /* origins then delegates: the engine dials both before the fetch */
  json_t *o = json_array();
  json_t *srcs[2] = {p->origins, p->delegates};
  for (size_t s = 0; o && s < 2; s++) {
    size_t i;
    json_t *a;
    json_array_foreach(srcs[s], i, a) {
      if (json_array_size(o) >= MIR_ORIGINS_MAX)
        break;
      json_array_append(o, a);
    }
  }
  char *txt = o && json_array_size(o) ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  int rc = ws_add(&fl->ws, &cid, p->name, txt);
  free(txt);
  if (rc)
    fl->werr = rc; /* a partial set must not unpin what it lacks */
  return rc ? 1 : 0;
}

static void resolved(void *ud, int status, const char *value) {
  follow_t *fl = ud;
  fl->rop = NULL;
  dag_cid_t cid;
  if (!status) {
    const char *c = value && !strncmp(value, "/ipfs/", 6) ? value + 6 : "";
    if (dag_cid_parse(&cid, c, strcspn(c, "/")))
      status = TR_EPROTO;
  }
  if (!status) {
    char s[DAG_CID_STR_MAX];
    dag_cid_t v1;
    dag_cid_to_v1(&v1, &cid);
    dag_cid_str(&v1, s);
    const char *first = json_string_value(json_array_get(fl->versions, 0));
    if (!first || strcmp(first, s)) {
      json_array_insert_new(fl->versions, 0, json_string(s));
      tr_log(TR_LOG_INFO, "mirror: follow %u: %s now points at %s", fl->id,
             fl->source, s);
    }
    unsigned keep = fl->keep ? fl->keep : MIR_FOLLOW_KEEP_DEFAULT;
    while (json_array_size(fl->versions) > keep)
      json_array_remove(fl->versions, keep);
  }
  /* the versions kept are wanted even when this resolution failed: but a
   * failed sync changes nothing, so they are only used on success */
  size_t i;
  json_t *v;
  char name[MIR_NAME_MAX + 1];
  snprintf(name, sizeof name, "ipns:%s", fl->source);
  json_array_foreach(fl->versions, i, v) {
    const char *s = json_string_value(v);
    if (!status && s && !dag_cid_parse(&cid, s, strlen(s)))
      status = ws_add(&fl->ws, &cid, name, NULL);
  }
  if (!status)
    ws_sort(&fl->ws);
  finish(fl, status, "resolve");
}

static void start_sync(follow_t *fl) {
  mir_follower_t *f = fl->f;
  fl->syncing = true;
  f->running++;
  int rc = 0;
  char why[MIR_FOLLOW_ERR_MAX] = "sync";
  switch (fl->kind) {
  case MIR_FOLLOW_LIST:
    rc = read_list(fl, why, sizeof why);
    if (!rc)
      ws_sort(&fl->ws);
    finish(fl, rc, why);
    return;
  case MIR_FOLLOW_PSA: {
    if (!fl->psa && (rc = mir_psa_new(f->loop, fl->source,
                                      fl->token ? fl->token : "", &fl->psa)))
      break;
    mir_psa_query_t q = {.status = MIR_PSA_PINNED};
    rc = mir_psa_list_all(fl->psa, &q, psa_pin, psa_done, fl, &fl->op);
    snprintf(why, sizeof why, "pinning service");
    break;
  }
  case MIR_FOLLOW_IPNS:
    rc = f->o.resolve ? f->o.resolve(f->o.rud, fl->source, resolved, fl,
                                     &fl->rop)
                      : -ENOTSUP;
    snprintf(why, sizeof why, "resolve");
    break;
  default:
    rc = TR_EUSAGE;
  }
  if (rc)
    finish(fl, rc, why);
}

static void run_due(mir_follower_t *f) {
  uint64_t now = now_us(f);
  for (follow_t *fl = f->head; fl; fl = fl->next) {
    if (f->running >= f->o.concurrency)
      break;
    if (!fl->syncing && fl->next_due_us <= now)
      start_sync(fl);
  }
}

static void tick(uv_timer_t *t) { run_due(t->data); }

/* ------------------------------------------------------------------ API */

int mir_follower_new(uv_loop_t *loop, mir_store_t *st, mir_engine_t *eng,
                     const mir_follow_opts_t *o, mir_follower_t **out) {
  mir_follower_t *f = tr_calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->loop = loop;
  f->st = st;
  f->eng = eng;
  if (o)
    f->o = *o;
  if (!f->o.poll_ms)
    f->o.poll_ms = MIR_FOLLOW_POLL_MS_DEFAULT;
  if (f->o.grace_ms == UINT32_MAX)
    f->o.grace_ms = MIR_FOLLOW_GRACE_MS_DEFAULT;
  if (!f->o.concurrency)
    f->o.concurrency = MIR_FOLLOW_CONCURRENCY_DEFAULT;
  int rc = bs_db_open(mir_store_env(st), "follow", &f->db);
  bs_txn_t *txn;
  if (!rc && !(rc = bs_txn_begin(mir_store_env(st), BS_RDONLY, &txn))) {
    uint8_t from = 'F';
    rc = bs_kv_range(txn, f->db, &from, 1, false, load_one, f);
    rc = rc > 0 ? 0 : rc;
    bs_txn_abort(txn);
  }
  if (!rc)
    rc = uv_timer_init(loop, &f->timer);
  if (rc) {
    while (f->head) {
      follow_t *n = f->head->next;
      follow_free(f->head);
      f->head = n;
    }
    tr_free(f);
    return rc;
  }
  f->timer.data = f;
  uint64_t t = f->o.poll_ms < MIR_FOLLOW_TICK_MS ? f->o.poll_ms
                                                 : MIR_FOLLOW_TICK_MS;
  uv_timer_start(&f->timer, tick, 0, t);
  *out = f;
  return 0;
}

static void timer_closed(uv_handle_t *h) { tr_free(h->data); }

void mir_follower_free(mir_follower_t *f) {
  if (!f)
    return;
  while (f->head) {
    follow_t *n = f->head->next;
    follow_free(f->head);
    f->head = n;
  }
  uv_close((uv_handle_t *)&f->timer, timer_closed);
}

int mir_follow_add(mir_follower_t *f, int kind, const char *source,
                   const char *token, unsigned keep, uint32_t *id) {
  if (!mir_follow_kind_name(kind) || !source || !*source ||
      strlen(source) > MIR_FOLLOW_SOURCE_MAX || keep > MIR_FOLLOW_KEEP_MAX)
    return TR_EUSAGE;
  char norm[MIR_PSA_URL_MAX], err[256];
  if (kind == MIR_FOLLOW_PSA) {
    if (mir_psa_endpoint_normalize(source, norm, sizeof norm, err,
                                   sizeof err))
      return TR_EUSAGE;
    source = norm;
  } else if (kind == MIR_FOLLOW_IPNS) {
    if (!strncmp(source, "/ipns/", 6))
      source += 6;
    if (!*source || strchr(source, '/'))
      return TR_EUSAGE;
  } else if (source[0] != '/') {
    return TR_EUSAGE; /* the daemon's cwd is not the caller's */
  }
  for (follow_t *fl = f->head; fl; fl = fl->next)
    if (fl->kind == kind && !strcmp(fl->source, source))
      return TR_EEXIST;
  if (f->nfollows >= MIR_FOLLOW_MAX)
    return TR_ELIMIT;
  bs_txn_t *txn;
  int rc = bs_txn_begin(envof(f), 0, &txn);
  if (rc)
    return rc;
  uint8_t ki = 'I';
  const uint8_t *v;
  size_t vl;
  uint32_t nid = 1;
  rc = bs_kv_get(txn, f->db, &ki, 1, &v, &vl);
  if (!rc && vl == 4)
    nid = mir__rd32(v) + 1;
  uint8_t b[4];
  mir__be32(b, nid);
  rc = rc && rc != TR_ENOTFOUND ? rc : bs_kv_put(txn, f->db, &ki, 1, b, 4);
  rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  if (rc)
    return rc;
  follow_t *fl = follow_new(f, nid, kind, source, token,
                            kind == MIR_FOLLOW_IPNS
                                ? (keep ? keep : MIR_FOLLOW_KEEP_DEFAULT)
                                : 0);
  if (!fl)
    return -ENOMEM;
  if ((rc = save(fl))) {
    f->head = fl->next;
    f->nfollows--;
    follow_free(fl);
    return rc;
  }
  if (id)
    *id = nid;
  run_due(f);
  return 0;
}

typedef struct delctx {
  uint8_t keys[256][13];
  size_t n;
  uint32_t id;
} delctx_t;

static int collect_m(const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen, void *ud) {
  (void)val, (void)vlen;
  delctx_t *d = ud;
  if (klen != 13 || key[0] != 'M' || mir__rd32(key + 1) != d->id ||
      d->n == TR_ARRAY_LEN(d->keys))
    return 1;
  memcpy(d->keys[d->n++], key, 13);
  return 0;
}

int mir_follow_rm(mir_follower_t *f, uint32_t id, uint64_t *removed) {
  follow_t **pp = &f->head;
  while (*pp && (*pp)->id != id)
    pp = &(*pp)->next;
  if (!*pp)
    return TR_ENOTFOUND;
  follow_t *fl = *pp;
  bs_txn_t *txn;
  int rc = bs_txn_begin(envof(f), 0, &txn);
  if (rc)
    return rc;
  local_t *loc = NULL;
  size_t nl = 0;
  rc = locals(f, txn, id, &loc, &nl);
  for (size_t i = 0; !rc && i < nl; i++) {
    rc = mir_pin_del(f->st, txn, loc[i].reqid, NULL);
    rc = rc == TR_ENOTFOUND ? 0 : rc;
  }
  tr_free(loc);
  uint8_t k[5];
  key_f(k, id);
  if (!rc)
    rc = bs_kv_del(txn, f->db, k, sizeof k);
  /* its missing marks, a batch at a time */
  delctx_t *d = rc ? NULL : tr_calloc(1, sizeof *d);
  if (!rc && !d)
    rc = -ENOMEM;
  while (!rc) {
    d->n = 0;
    d->id = id;
    uint8_t from[13];
    key_m(from, id, 0);
    rc = bs_kv_range(txn, f->db, from, sizeof from, false, collect_m, d);
    rc = rc > 0 ? 0 : rc;
    for (size_t i = 0; !rc && i < d->n; i++)
      rc = bs_kv_del(txn, f->db, d->keys[i], 13);
    if (!d->n)
      break;
  }
  tr_free(d);
  rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  if (rc)
    return rc;
  *pp = fl->next;
  f->nfollows--;
  follow_free(fl);
  if (removed)
    *removed = nl;
  return 0;
}

int mir_follow_sync(mir_follower_t *f, uint32_t id) {
  bool any = false;
  for (follow_t *fl = f->head; fl; fl = fl->next)
    if (!id || fl->id == id) {
      fl->next_due_us = 0;
      any = true;
    }
  if (!any)
    return TR_ENOTFOUND;
  run_due(f);
  return 0;
}

static int count_m(const uint8_t *key, size_t klen, const uint8_t *val,
                   size_t vlen, void *ud) {
  (void)val, (void)vlen;
  uint64_t *c = ud;
  if (klen != 13 || key[0] != 'M' || mir__rd32(key + 1) != (uint32_t)c[1])
    return 1;
  c[0]++;
  return 0;
}

static json_t *one_status(mir_follower_t *f, bs_txn_t *txn, follow_t *fl) {
  uint64_t n[MIR_NSTATUS] = {0};
  mir_query_t q;
  for (int s = 0; s < MIR_NSTATUS; s++) {
    mir_query_init(&q);
    q.source = fl->id;
    q.statuses = MIR_ST(s);
    if (mir_count(f->st, txn, &q, &n[s]))
      n[s] = 0;
  }
  uint64_t c[2] = {0, fl->id};
  uint8_t from[13];
  key_m(from, fl->id, 0);
  if (bs_kv_range(txn, f->db, from, sizeof from, false, count_m, c) < 0)
    c[0] = 0;
  char t[40] = "";
  if (fl->last_sync_us)
    mir_time_fmt(fl->last_sync_us, t, sizeof t);
  return json_pack("{s:I,s:s,s:s,s:I,s:O,s:s,s:I,s:b,s:I,s:I,s:I,s:I,s:I,"
                   "s:I,s:s}",
                   "ID", (json_int_t)fl->id, "Kind",
                   mir_follow_kind_name(fl->kind), "Source", fl->source,
                   "Keep", (json_int_t)fl->keep, "Versions", fl->versions,
                   "LastSync", t, "Syncs", (json_int_t)fl->syncs, "Syncing",
                   fl->syncing, "Wanted", (json_int_t)fl->wanted, "Queued",
                   (json_int_t)n[MIR_QUEUED], "Pinning",
                   (json_int_t)n[MIR_PINNING], "Pinned",
                   (json_int_t)n[MIR_PINNED], "Failed",
                   (json_int_t)n[MIR_FAILED], "Missing", (json_int_t)c[0],
                   "LastError", fl->err);
}

json_t *mir_follow_status(mir_follower_t *f) {
  json_t *a = json_array();
  bs_txn_t *txn;
  if (!a || bs_txn_begin(envof(f), BS_RDONLY, &txn)) {
    json_decref(a);
    return NULL;
  }
  /* oldest first: the list is kept newest first */
  size_t n = 0;
  for (follow_t *fl = f->head; fl; fl = fl->next)
    n++;
  for (size_t i = n; i-- > 0;) {
    follow_t *fl = f->head;
    for (size_t j = 0; j < i; j++)
      fl = fl->next;
    json_array_append_new(a, one_status(f, txn, fl));
  }
  bs_txn_abort(txn);
  return json_pack("{s:o}", "Follows", a);
}
