/*
 * list.c — queries over the pin objects (pins.h, "queries"): the
 * resumable newest-first listing, the filters, and counting.
 *
 * A listing merges up to MIR_CIDS_MAX index streams, each a key prefix
 * followed by created: the 'C' entries of each CID asked for, else the
 * 'S' entries of each status asked for, else the 'O' entries of a source,
 * else the records themselves.  Each step seeks every stream to the
 * newest entry older than the position and takes the newest of those, so
 * the state is the position alone and any step may run in a new
 * transaction.  What the stream does not decide (name, meta, the other
 * filters) is checked on the record.
 */
#include "mir_int.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define NSTREAM MIR_CIDS_MAX

struct mir_list {
  mir_store_t *st;
  mir_query_t q;
  char *name;        /* q.name copied */
  json_t *meta;      /* q.meta parsed; NULL when none */
  uint8_t prefix[NSTREAM][MIR_KEY_MAX];
  size_t plen[NSTREAM];
  size_t nstream;
  uint64_t pos;      /* entries older than this are next */
  bool done;
};

void mir_query_init(mir_query_t *q) {
  memset(q, 0, sizeof *q);
  q->statuses = MIR_ST_ALL;
  q->source = -1;
}

/* ----------------------------------------------------------- matching */

static bool ci_eq(const char *a, const char *b, size_t n) {
  return !strncasecmp(a, b, n);
}

static bool name_match(const char *want, int match, const char *name,
                       size_t n) {
  size_t wl = strlen(want);
  if (!name)
    n = 0;
  switch (match) {
  case MIR_MATCH_EXACT:
    return wl == n && !memcmp(want, name, n);
  case MIR_MATCH_IEXACT:
    return wl == n && ci_eq(want, name, n);
  case MIR_MATCH_PARTIAL:
  case MIR_MATCH_IPARTIAL:
    if (!wl)
      return true;
    for (size_t i = 0; i + wl <= n; i++)
      if (match == MIR_MATCH_PARTIAL ? !memcmp(name + i, want, wl)
                                     : ci_eq(name + i, want, wl))
        return true;
    return false;
  }
  return false;
}

bool mir__meta_match(const json_t *want, const char *meta, size_t n) {
  if (!want || !json_object_size(want))
    return true;
  if (!meta)
    return false;
  json_t *have = json_loadb(meta, n, 0, NULL);
  bool ok = json_is_object(have);
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)want, k, v) {
    if (!ok)
      break;
    json_t *h = json_object_get(have, k);
    ok = h && json_equal(h, v);
  }
  json_decref(have);
  return ok;
}

static bool match(const mir_query_t *q, const json_t *meta,
                  const mir_pin_t *p) {
  unsigned sts = q->statuses ? q->statuses : MIR_ST_ALL;
  if (!(sts & MIR_ST(p->status)))
    return false;
  if (q->before && p->created >= q->before)
    return false;
  if (q->after && p->created <= q->after)
    return false;
  if (q->source >= 0 && p->source != (uint64_t)q->source)
    return false;
  if (q->ncids) {
    size_t i = 0;
    while (i < q->ncids && !dag_cid_equal(&q->cids[i], &p->cid))
      i++;
    if (i == q->ncids)
      return false;
  }
  if (q->name && !name_match(q->name, q->match, p->name, p->name_len))
    return false;
  return mir__meta_match(meta, p->meta, p->meta_len);
}

/* A JSON object of strings, or NULL with *bad for anything else. */
static json_t *parse_meta(const char *s, size_t n, bool *bad) {
  *bad = false;
  if (!s)
    return NULL;
  json_t *m = json_loadb(s, n, 0, NULL);
  const char *k;
  json_t *v;
  if (!json_is_object(m))
    goto fail;
  json_object_foreach(m, k, v) if (!json_is_string(v)) goto fail;
  return m;
fail:
  json_decref(m);
  *bad = true;
  return NULL;
}

bool mir_query_match(const mir_query_t *q, const mir_pin_t *p) {
  bool bad;
  json_t *m = parse_meta(q->meta, q->meta_len, &bad);
  bool ok = !bad && match(q, m, p);
  json_decref(m);
  return ok;
}

/* ------------------------------------------------------------ listing */

int mir_list_new(mir_store_t *st, const mir_query_t *q, mir_list_t **out) {
  if (q->ncids > MIR_CIDS_MAX || q->match < 0 || q->match > 3)
    return TR_EUSAGE;
  mir_list_t *l = tr_calloc(1, sizeof *l);
  if (!l)
    return -ENOMEM;
  l->st = st;
  l->q = *q;
  if (!l->q.statuses)
    l->q.statuses = MIR_ST_ALL;
  bool bad;
  l->meta = parse_meta(q->meta, q->meta_len, &bad);
  l->q.meta = NULL;
  if (bad || (q->name && !(l->name = tr_strdup(q->name)))) {
    mir_list_free(l);
    return bad ? TR_EUSAGE : -ENOMEM;
  }
  l->q.name = l->name;
  if (q->ncids) {
    for (size_t i = 0; i < q->ncids; i++) {
      uint8_t *p = l->prefix[i];
      p[0] = MIR_K_CID;
      p[1] = (uint8_t)q->cids[i].len;
      memcpy(p + 2, q->cids[i].bytes, q->cids[i].len);
      l->plen[i] = 2 + q->cids[i].len;
    }
    l->nstream = q->ncids;
  } else if (l->q.statuses != MIR_ST_ALL) {
    for (int s = 0; s < MIR_NSTATUS; s++)
      if (l->q.statuses & MIR_ST(s)) {
        l->prefix[l->nstream][0] = MIR_K_STATUS;
        l->prefix[l->nstream][1] = (uint8_t)s;
        l->plen[l->nstream++] = 2;
      }
  } else if (q->source >= 0) {
    l->prefix[0][0] = MIR_K_SOURCE;
    mir__be32(l->prefix[0] + 1, (uint32_t)q->source);
    l->plen[0] = 5;
    l->nstream = 1;
  } else {
    l->prefix[0][0] = MIR_K_REC;
    l->plen[0] = 1;
    l->nstream = 1;
  }
  l->pos = q->before ? q->before : UINT64_MAX;
  *out = l;
  return 0;
}

void mir_list_free(mir_list_t *l) {
  if (!l)
    return;
  json_decref(l->meta);
  tr_free(l->name);
  tr_free(l);
}

typedef struct seek {
  const uint8_t *prefix;
  size_t plen;
  uint64_t found; /* 0: none */
} seek_t;

static int seek_cb(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                   void *ud) {
  (void)v, (void)vl;
  seek_t *s = ud;
  if (kl == s->plen + 8 && !memcmp(k, s->prefix, s->plen))
    s->found = mir__rd64(k + s->plen);
  return 1;
}

/* The newest created of stream i older than pos, or 0. */
static int stream_prev(mir_list_t *l, bs_txn_t *txn, size_t i, uint64_t pos,
                       uint64_t *found) {
  uint8_t k[MIR_KEY_MAX];
  memcpy(k, l->prefix[i], l->plen[i]);
  mir__be64(k + l->plen[i], pos - 1);
  seek_t s = {l->prefix[i], l->plen[i], 0};
  int rc = bs_kv_range(txn, l->st->db, k, l->plen[i] + 8, true, seek_cb, &s);
  *found = s.found;
  return rc < 0 ? rc : 0;
}

int mir_list_next(mir_list_t *l, bs_txn_t *txn, mir_pin_t *out) {
  while (!l->done && l->pos > 1) {
    uint64_t best = 0;
    for (size_t i = 0; i < l->nstream; i++) {
      uint64_t f;
      int rc = stream_prev(l, txn, i, l->pos, &f);
      if (rc)
        return rc;
      if (f > best)
        best = f;
    }
    if (!best || best <= l->q.after)
      break;
    l->pos = best;
    int rc = mir__get(l->st, txn, best, out);
    if (rc == TR_ENOTFOUND)
      continue; /* an index entry without its record: skip it */
    if (rc)
      return rc;
    if (match(&l->q, l->meta, out))
      return 1;
  }
  l->done = true;
  return 0;
}

/* ------------------------------------------------------------ counting */

int mir_count(mir_store_t *st, bs_txn_t *txn, const mir_query_t *q,
              uint64_t *n) {
  *n = 0;
  unsigned sts = q->statuses ? q->statuses : MIR_ST_ALL;
  if (!q->ncids && !q->name && !q->meta && q->source < 0) {
    for (int s = 0; s < MIR_NSTATUS; s++) {
      if (!(sts & MIR_ST(s)))
        continue;
      uint64_t hi, lo = 0;
      int rc;
      if (q->before) {
        rc = mir__count_below(st, txn, s, q->before, &hi);
      } else {
        uint64_t all[MIR_NSTATUS];
        rc = mir_pin_counts(st, txn, all);
        hi = all[s];
      }
      if (!rc && q->after && q->after < UINT64_MAX)
        rc = mir__count_below(st, txn, s, q->after + 1, &lo);
      if (rc)
        return rc;
      *n += hi > lo ? hi - lo : 0;
    }
    return 0;
  }
  mir_list_t *l;
  int rc = mir_list_new(st, q, &l);
  if (rc)
    return rc;
  mir_pin_t p;
  while ((rc = mir_list_next(l, txn, &p)) == 1)
    (*n)++;
  mir_list_free(l);
  return rc;
}
