/*
 * follow_state.c — the follows' state (follow_int.h): the wanted set, the
 * follow database's records, and the reconcile of a wanted set against
 * the pins of its follow.
 */
#include "follow_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

uint64_t mir__follow_now(const mir_follower_t *f) {
  if (f->o.now_us)
    return f->o.now_us(f->o.cud);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ wanted set */

void mir__ws_clear(wantset_t *ws) {
  for (size_t i = 0; i < ws->n; i++) {
    tr_free(ws->v[i].name);
    tr_free(ws->v[i].origins);
  }
  tr_free(ws->v);
  *ws = (wantset_t){0};
}

int mir__ws_add(wantset_t *ws, const dag_cid_t *cid, const char *name,
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

void mir__ws_sort(wantset_t *ws) {
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

void mir__follow_key_f(uint8_t k[5], uint32_t id) {
  k[0] = 'F';
  mir__be32(k + 1, id);
}

void mir__follow_key_m(uint8_t k[13], uint32_t id, uint64_t created) {
  k[0] = 'M';
  mir__be32(k + 1, id);
  mir__be64(k + 5, created);
}

bs_env_t *mir__follow_env(const mir_follower_t *f) {
  return mir_store_env(f->st);
}

int mir__follow_save(follow_t *fl) {
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
  mir__follow_key_f(k, fl->id);
  bs_txn_t *txn;
  int rc = bs_txn_begin(mir__follow_env(fl->f), 0, &txn);
  if (!rc) {
    rc = bs_kv_put(txn, fl->f->db, k, sizeof k, s, strlen(s));
    rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
  }
  free(s);
  return rc;
}

void mir__follow_free(follow_t *fl) {
  if (fl->op)
    mir_psa_cancel(fl->op);
  fl->op = NULL;
  if (fl->rop && fl->f->o.resolve_cancel)
    fl->f->o.resolve_cancel(fl->f->o.rud, fl->rop);
  if (fl->syncing)
    fl->f->running--;
  mir_psa_free(fl->psa);
  mir__ws_clear(&fl->ws);
  json_decref(fl->versions);
  tr_free(fl->source);
  tr_free(fl->token);
  tr_free(fl);
}

follow_t *mir__follow_new(mir_follower_t *f, uint32_t id, int kind,
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
    mir__follow_free(fl);
    return NULL;
  }
  fl->next = f->head;
  f->head = fl;
  f->nfollows++;
  return fl;
}

int mir__follow_load_one(const uint8_t *key, size_t klen, const uint8_t *val,
                         size_t vlen, void *ud) {
  mir_follower_t *f = ud;
  if (klen != 5 || key[0] != 'F')
    return 1; /* past the follows */
  json_t *o = json_loadb((const char *)val, vlen, 0, NULL);
  int kind = kind_parse(json_string_value(json_object_get(o, "kind")));
  const char *src = json_string_value(json_object_get(o, "source"));
  json_t *tok = json_object_get(o, "token");
  follow_t *fl = kind && src ? mir__follow_new(f, mir__rd32(key + 1), kind, src,
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

int mir__follow_locals(mir_follower_t *f, bs_txn_t *txn, uint32_t id,
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

int mir__follow_reconcile(follow_t *fl) {
  mir_follower_t *f = fl->f;
  bs_txn_t *txn;
  int rc = bs_txn_begin(mir__follow_env(f), 0, &txn);
  if (rc)
    return rc;
  local_t *loc = NULL;
  size_t nl = 0;
  bool *have = fl->ws.n ? tr_calloc(fl->ws.n, sizeof *have) : NULL;
  if (fl->ws.n && !have)
    rc = -ENOMEM;
  if (!rc)
    rc = mir__follow_locals(f, txn, fl->id, &loc, &nl);
  uint64_t now = mir__follow_now(f);
  size_t added = 0, removed = 0;
  for (size_t i = 0; !rc && i < nl; i++) {
    uint8_t k[13];
    mir__follow_key_m(k, fl->id, loc[i].created);
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
