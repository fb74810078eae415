/*
 * follow.c — mirrors that follow (follow.h): the scheduler on the loop,
 * the three ways to a wanted set (a pinning service's listing, an IPNS
 * name's versions, a list file), and the API.  The state, its records and
 * the reconcile step are follow_state.c's (follow_int.h).
 */
#include "follow_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -------------------------------------------------------------- syncing */

static void tick(uv_timer_t *t);

static void finish(follow_t *fl, int rc, const char *why) {
  mir_follower_t *f = fl->f;
  if (!rc) {
    fl->wanted = fl->ws.n;
    rc = mir__follow_reconcile(fl);
    why = rc ? "reconcile" : why;
  }
  mir__ws_clear(&fl->ws);
  fl->syncing = false;
  f->running--;
  uint64_t now = mir__follow_now(f);
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
  if ((rc = mir__follow_save(fl)))
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
    rc = mir__ws_add(&fl->ws, &cid, *name ? name : NULL, NULL);
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
    mir__ws_sort(&fl->ws);
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
  int rc = mir__ws_add(&fl->ws, &cid, p->name, txt);
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
      status = mir__ws_add(&fl->ws, &cid, name, NULL);
  }
  if (!status)
    mir__ws_sort(&fl->ws);
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
      mir__ws_sort(&fl->ws);
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
  uint64_t now = mir__follow_now(f);
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
    rc = bs_kv_range(txn, f->db, &from, 1, false, mir__follow_load_one, f);
    rc = rc > 0 ? 0 : rc;
    bs_txn_abort(txn);
  }
  if (!rc)
    rc = uv_timer_init(loop, &f->timer);
  if (rc) {
    while (f->head) {
      follow_t *n = f->head->next;
      mir__follow_free(f->head);
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
    mir__follow_free(f->head);
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
  int rc = bs_txn_begin(mir__follow_env(f), 0, &txn);
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
  follow_t *fl = mir__follow_new(f, nid, kind, source, token,
                            kind == MIR_FOLLOW_IPNS
                                ? (keep ? keep : MIR_FOLLOW_KEEP_DEFAULT)
                                : 0);
  if (!fl)
    return -ENOMEM;
  if ((rc = mir__follow_save(fl))) {
    f->head = fl->next;
    f->nfollows--;
    mir__follow_free(fl);
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
  int rc = bs_txn_begin(mir__follow_env(f), 0, &txn);
  if (rc)
    return rc;
  local_t *loc = NULL;
  size_t nl = 0;
  rc = mir__follow_locals(f, txn, id, &loc, &nl);
  for (size_t i = 0; !rc && i < nl; i++) {
    rc = mir_pin_del(f->st, txn, loc[i].reqid, NULL);
    rc = rc == TR_ENOTFOUND ? 0 : rc;
  }
  tr_free(loc);
  uint8_t k[5];
  mir__follow_key_f(k, id);
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
    mir__follow_key_m(from, id, 0);
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
  mir__follow_free(fl);
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
  mir__follow_key_m(from, fl->id, 0);
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
  if (!a || bs_txn_begin(mir__follow_env(f), BS_RDONLY, &txn)) {
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
