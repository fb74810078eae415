/*
 * store.c — the pin objects of the Pinning Service API in the repo's
 * "mirror" database (pins.h, "Storage"): the record codec, add, get,
 * status changes, delete and replace, with their indexes and counters
 * kept in the same transaction.  Listing and counting are list.c's,
 * tokens tokens.c's.  Does no I/O but LMDB's; the clock is read for
 * created.
 */
#include "mir_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

/* -------------------------------------------------------------- statuses */

static const char *const ST_NAME[MIR_NSTATUS] = {"queued", "pinning",
                                                 "pinned", "failed"};

const char *mir_status_name(int s) {
  return s >= 0 && s < MIR_NSTATUS ? ST_NAME[s] : NULL;
}

int mir_status_parse(const char *s, size_t n) {
  for (int i = 0; i < MIR_NSTATUS; i++)
    if (strlen(ST_NAME[i]) == n && !memcmp(s, ST_NAME[i], n))
      return i;
  return -1;
}

/* ----------------------------------------------------------------- open */

int mir_store_open(bs_env_t *env, mir_store_t **out) {
  mir_store_t *st = tr_calloc(1, sizeof *st);
  if (!st)
    return -ENOMEM;
  st->env = env;
  int rc = bs_db_open(env, "mirror", &st->db);
  bs_txn_t *txn = NULL;
  if (!rc)
    rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (!rc) {
    const uint8_t *v;
    size_t n;
    uint8_t k = MIR_K_VERSION;
    rc = bs_kv_get(txn, st->db, &k, 1, &v, &n);
    bs_txn_abort(txn);
    if (rc == TR_ENOTFOUND) {
      /* A new database: write its schema (a read-only repo has none and
       * failed in bs_db_open already). */
      uint8_t ver[4];
      mir__be32(ver, MIR_SCHEMA);
      if (!(rc = bs_txn_begin(env, 0, &txn))) {
        rc = bs_kv_put(txn, st->db, &k, 1, ver, 4);
        rc = rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
      }
    } else if (!rc && (n != 4 || mir__rd32(v) > MIR_SCHEMA)) {
      rc = TR_ESCHEMA;
    }
  }
  if (rc) {
    tr_free(st);
    return rc;
  }
  *out = st;
  return 0;
}

void mir_store_close(mir_store_t *st) { tr_free(st); }

bs_env_t *mir_store_env(const mir_store_t *st) { return st->env; }

/* ---------------------------------------------------------------- codec */

/* ver(1) status(1) source(4) flags(4) created(8) rnd(8) cidlen(1) cid
 * namelen(2) name, then origins, meta, info each as len(4) text. */
#define REC_FIXED 27u

static size_t rec_size(const mir_pin_t *p) {
  return REC_FIXED + p->cid.len + 2 + p->name_len + 12 + p->origins_len +
         p->meta_len + p->info_len;
}

static uint8_t *put_text(uint8_t *o, const char *s, size_t n) {
  mir__be32(o, (uint32_t)n);
  if (n)
    memcpy(o + 4, s, n);
  return o + 4 + n;
}

static void rec_encode(const mir_pin_t *p, uint64_t rnd, uint8_t *o) {
  o[0] = 1;
  o[1] = (uint8_t)p->status;
  mir__be32(o + 2, p->source);
  mir__be32(o + 6, p->flags);
  mir__be64(o + 10, p->created);
  mir__be64(o + 18, rnd);
  o[26] = (uint8_t)p->cid.len;
  memcpy(o + 27, p->cid.bytes, p->cid.len);
  o += 27 + p->cid.len;
  o[0] = (uint8_t)(p->name_len >> 8);
  o[1] = (uint8_t)p->name_len;
  if (p->name_len)
    memcpy(o + 2, p->name, p->name_len);
  o += 2 + p->name_len;
  o = put_text(o, p->origins, p->origins_len);
  o = put_text(o, p->meta, p->meta_len);
  put_text(o, p->info, p->info_len);
}

static int get_text(const uint8_t **q, const uint8_t *end, const char **s,
                    size_t *n) {
  if (end - *q < 4)
    return TR_ECORRUPT;
  uint32_t l = mir__rd32(*q);
  *q += 4;
  if ((size_t)(end - *q) < l)
    return TR_ECORRUPT;
  *s = l ? (const char *)*q : NULL;
  *n = l;
  *q += l;
  return 0;
}

static void reqid_fmt(uint64_t created, uint64_t rnd, char *out) {
  snprintf(out, MIR_REQID_LEN + 1, "%016llx%016llx",
           (unsigned long long)created, (unsigned long long)rnd);
}

int mir__decode(const uint8_t *v, size_t n, mir_pin_t *p) {
  memset(p, 0, sizeof *p);
  if (n < REC_FIXED || v[0] != 1 || v[1] >= MIR_NSTATUS)
    return TR_ECORRUPT;
  p->status = v[1];
  p->source = mir__rd32(v + 2);
  p->flags = mir__rd32(v + 6);
  p->created = mir__rd64(v + 10);
  uint64_t rnd = mir__rd64(v + 18);
  size_t cl = v[26];
  const uint8_t *q = v + 27, *end = v + n;
  if ((size_t)(end - q) < cl + 2 || dag_cid_decode(&p->cid, q, cl) != (int)cl)
    return TR_ECORRUPT;
  q += cl;
  size_t nl = (size_t)q[0] << 8 | q[1];
  q += 2;
  if ((size_t)(end - q) < nl)
    return TR_ECORRUPT;
  p->name = nl ? (const char *)q : NULL;
  p->name_len = nl;
  q += nl;
  int rc = get_text(&q, end, &p->origins, &p->origins_len);
  if (!rc)
    rc = get_text(&q, end, &p->meta, &p->meta_len);
  if (!rc)
    rc = get_text(&q, end, &p->info, &p->info_len);
  reqid_fmt(p->created, rnd, p->requestid);
  return rc;
}

bool mir__reqid_parse(const char *id, uint64_t *created, uint64_t *rnd) {
  if (strlen(id) != MIR_REQID_LEN)
    return false;
  uint64_t v[2] = {0, 0};
  for (int i = 0; i < MIR_REQID_LEN; i++) {
    int c = id[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return false;
    v[i / 16] = v[i / 16] << 4 | (uint64_t)d;
  }
  *created = v[0];
  *rnd = v[1];
  return true;
}

/* ---------------------------------------------------------------- keys */

static size_t key_rec(uint8_t *k, uint64_t created) {
  k[0] = MIR_K_REC;
  mir__be64(k + 1, created);
  return 9;
}
static size_t key_status(uint8_t *k, int s, uint64_t created) {
  k[0] = MIR_K_STATUS;
  k[1] = (uint8_t)s;
  mir__be64(k + 2, created);
  return 10;
}
static size_t key_cid(uint8_t *k, const dag_cid_t *cid, uint64_t created) {
  k[0] = MIR_K_CID;
  k[1] = (uint8_t)cid->len;
  memcpy(k + 2, cid->bytes, cid->len);
  mir__be64(k + 2 + cid->len, created);
  return 10 + cid->len;
}
static size_t key_source(uint8_t *k, uint32_t src, uint64_t created) {
  k[0] = MIR_K_SOURCE;
  mir__be32(k + 1, src);
  mir__be64(k + 5, created);
  return 13;
}
static size_t key_count(uint8_t *k, int s, unsigned lvl, uint64_t bucket) {
  k[0] = MIR_K_COUNT;
  k[1] = (uint8_t)s;
  k[2] = (uint8_t)lvl;
  mir__be64(k + 3, bucket);
  return 11;
}

/* ------------------------------------------------------------- counters */

static int count_add1(mir_store_t *st, bs_txn_t *txn, int s, unsigned lvl,
                      uint64_t bucket, int delta) {
  uint8_t k[11], v[8];
  size_t kl = key_count(k, s, lvl, bucket), n;
  const uint8_t *cur;
  uint64_t c = 0;
  int rc = bs_kv_get(txn, st->db, k, kl, &cur, &n);
  if (!rc && n == 8)
    c = mir__rd64(cur);
  else if (rc && rc != TR_ENOTFOUND)
    return rc;
  c = delta > 0 ? c + 1 : (c ? c - 1 : 0);
  if (!c)
    return rc ? 0 : bs_kv_del(txn, st->db, k, kl);
  mir__be64(v, c);
  return bs_kv_put(txn, st->db, k, kl, v, 8);
}

static int count_add(mir_store_t *st, bs_txn_t *txn, int s, uint64_t created,
                     int delta) {
  int rc = count_add1(st, txn, s, MIR_LVL_TOTAL, 0, delta);
  for (unsigned l = 0; !rc && l < MIR_NLVL; l++)
    rc = count_add1(st, txn, s, l, created >> mir__shift[l], delta);
  return rc;
}

int mir_pin_counts(mir_store_t *st, bs_txn_t *txn, uint64_t out[MIR_NSTATUS]) {
  for (int s = 0; s < MIR_NSTATUS; s++) {
    uint8_t k[11];
    size_t kl = key_count(k, s, MIR_LVL_TOTAL, 0), n;
    const uint8_t *v;
    int rc = bs_kv_get(txn, st->db, k, kl, &v, &n);
    if (rc && rc != TR_ENOTFOUND)
      return rc;
    out[s] = !rc && n == 8 ? mir__rd64(v) : 0;
  }
  return 0;
}

/* Sum counters with keys in [from, to) (same prefix, 11-byte keys). */
typedef struct sum {
  const uint8_t *to;
  uint64_t n;
} sum_t;

static int sum_cb(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                  void *ud) {
  sum_t *s = ud;
  if (kl != 11 || memcmp(k, s->to, 11) >= 0)
    return 1;
  if (vl == 8)
    s->n += mir__rd64(v);
  return 0;
}

static int count_cb(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                    void *ud) {
  (void)v, (void)vl;
  sum_t *s = ud;
  if (kl != 10 || memcmp(k, s->to, 10) >= 0)
    return 1;
  s->n++;
  return 0;
}

int mir__count_below(mir_store_t *st, bs_txn_t *txn, int s, uint64_t x,
                     uint64_t *n) {
  sum_t sum = {NULL, 0};
  uint8_t from[11], to[11];
  int rc = 0;
  for (unsigned l = 0; l < MIR_NLVL && rc >= 0; l++) {
    /* Buckets of level l inside x's bucket of the level above (all of
     * them for the top level), below x's own. */
    uint64_t lo = l ? (x >> mir__shift[l - 1]) << (mir__shift[l - 1] -
                                                   mir__shift[l])
                    : 0;
    key_count(from, s, l, lo);
    key_count(to, s, l, x >> mir__shift[l]);
    sum.to = to;
    rc = bs_kv_range(txn, st->db, from, 11, false, sum_cb, &sum);
  }
  /* The pins of x's finest bucket below x. */
  uint64_t base = (x >> mir__shift[MIR_NLVL - 1]) << mir__shift[MIR_NLVL - 1];
  uint8_t f2[10], t2[10];
  key_status(f2, s, base);
  key_status(t2, s, x);
  sum.to = t2;
  if (rc >= 0)
    rc = bs_kv_range(txn, st->db, f2, 10, false, count_cb, &sum);
  *n = sum.n;
  return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------- the clock */

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A created never handed out before in this store: the clock, or one past
 * the last when the clock has not moved on. */
static int next_created(mir_store_t *st, bs_txn_t *txn, uint64_t *out) {
  uint8_t k = MIR_K_LAST, v[8];
  const uint8_t *cur;
  size_t n;
  uint64_t t = now_us(), last = 0;
  int rc = bs_kv_get(txn, st->db, &k, 1, &cur, &n);
  if (!rc && n == 8)
    last = mir__rd64(cur);
  else if (rc && rc != TR_ENOTFOUND)
    return rc;
  if (t <= last)
    t = last + 1;
  mir__be64(v, t);
  *out = t;
  return bs_kv_put(txn, st->db, &k, 1, v, 8);
}

/* ------------------------------------------------------------ the writes */

static int put_record(mir_store_t *st, bs_txn_t *txn, const mir_pin_t *p,
                      uint64_t rnd) {
  size_t n = rec_size(p);
  uint8_t *v = tr_malloc(n), k[MIR_KEY_MAX];
  if (!v)
    return -ENOMEM;
  rec_encode(p, rnd, v);
  int rc = bs_kv_put(txn, st->db, k, key_rec(k, p->created), v, n);
  tr_free(v);
  return rc;
}

/* Index entries and counters of p: add (delta 1) or remove (-1). */
static int reindex(mir_store_t *st, bs_txn_t *txn, const mir_pin_t *p,
                 int delta) {
  size_t kls[3];
  uint8_t keys[3][MIR_KEY_MAX];
  kls[0] = key_status(keys[0], p->status, p->created);
  kls[1] = key_cid(keys[1], &p->cid, p->created);
  kls[2] = key_source(keys[2], p->source, p->created);
  int rc = 0;
  for (int i = 0; i < 3 && !rc; i++) {
    rc = delta > 0 ? bs_kv_put(txn, st->db, keys[i], kls[i], "", 0)
                   : bs_kv_del(txn, st->db, keys[i], kls[i]);
    if (rc == TR_ENOTFOUND)
      rc = 0;
  }
  return rc ? rc : count_add(st, txn, p->status, p->created, delta);
}

static int check_sizes(const mir_pin_t *p) {
  if (p->name_len > MIR_NAME_MAX || p->origins_len > MIR_JSON_MAX ||
      p->meta_len > MIR_JSON_MAX || p->info_len > MIR_JSON_MAX)
    return TR_ETOOBIG;
  if (p->status < 0 || p->status >= MIR_NSTATUS || !p->cid.len)
    return TR_EUSAGE;
  return 0;
}

int mir_pin_add(mir_store_t *st, bs_txn_t *txn, mir_pin_t *p) {
  p->status = MIR_QUEUED;
  int rc = check_sizes(p);
  if (rc)
    return rc;
  uint64_t rnd;
  randombytes_buf(&rnd, sizeof rnd);
  if ((rc = next_created(st, txn, &p->created)))
    return rc;
  reqid_fmt(p->created, rnd, p->requestid);
  rc = put_record(st, txn, p, rnd);
  return rc ? rc : reindex(st, txn, p, 1);
}

int mir__get(mir_store_t *st, bs_txn_t *txn, uint64_t created,
             mir_pin_t *p) {
  uint8_t k[9];
  const uint8_t *v;
  size_t n;
  int rc = bs_kv_get(txn, st->db, k, key_rec(k, created), &v, &n);
  return rc ? rc : mir__decode(v, n, p);
}

int mir_pin_get(mir_store_t *st, bs_txn_t *txn, const char *id,
                mir_pin_t *out) {
  uint64_t created, rnd;
  if (!mir__reqid_parse(id, &created, &rnd))
    return TR_ENOTFOUND;
  int rc = mir__get(st, txn, created, out);
  if (rc)
    return rc;
  /* The random half must match: an id is not guessable from another. */
  return strcmp(out->requestid, id) ? TR_ENOTFOUND : 0;
}

int mir_pin_set_status(mir_store_t *st, bs_txn_t *txn, const char *id,
                       int status, const char *info, size_t info_len,
                       uint32_t flags_set) {
  if (status < 0 || status >= MIR_NSTATUS)
    return TR_EUSAGE;
  mir_pin_t p;
  int rc = mir_pin_get(st, txn, id, &p);
  if (rc)
    return rc;
  uint64_t created, rnd;
  (void)mir__reqid_parse(id, &created, &rnd);
  /* p's views point into the map, which the puts below may change: copy
   * the record's texts first (one buffer). */
  size_t n = p.name_len + p.origins_len + p.meta_len;
  char *copy = tr_malloc(n + 1 + (info ? info_len : p.info_len));
  if (!copy)
    return -ENOMEM;
  char *o = copy;
#define KEEP(f)                                                                \
  do {                                                                         \
    if (p.f)                                                                   \
      memcpy(o, p.f, p.f##_len);                                               \
    p.f = p.f ? o : NULL;                                                      \
    o += p.f##_len;                                                            \
  } while (0)
  KEEP(name);
  KEEP(origins);
  KEEP(meta);
  if (info) {
    memcpy(o, info, info_len);
    p.info = info_len ? o : NULL;
    p.info_len = info_len;
  } else {
    KEEP(info);
  }
#undef KEEP
  if (p.status != status) {
    uint8_t k[10];
    rc = bs_kv_del(txn, st->db, k, key_status(k, p.status, p.created));
    if (!rc)
      rc = count_add(st, txn, p.status, p.created, -1);
    if (!rc)
      rc = bs_kv_put(txn, st->db, k, key_status(k, status, p.created), "", 0);
    if (!rc)
      rc = count_add(st, txn, status, p.created, 1);
  }
  p.status = status;
  p.flags |= flags_set;
  if (!rc)
    rc = check_sizes(&p);
  if (!rc)
    rc = put_record(st, txn, &p, rnd);
  tr_free(copy);
  return rc;
}

/* --------------------------------------------------------- CIDs held */

typedef struct held {
  const uint8_t *prefix;
  size_t plen;
  uint64_t except;
  int found;
} held_t;

static int held_cb(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                   void *ud) {
  (void)v, (void)vl;
  held_t *h = ud;
  if (kl != h->plen + 8 || memcmp(k, h->prefix, h->plen))
    return 1; /* past the CID's entries */
  if (mir__rd64(k + h->plen) == h->except)
    return 0;
  h->found = 1;
  return 1;
}

int mir_cid_held(mir_store_t *st, bs_txn_t *txn, const dag_cid_t *cid,
                 const char *except) {
  uint8_t k[MIR_KEY_MAX];
  uint64_t ex = 0, rnd;
  if (except && !mir__reqid_parse(except, &ex, &rnd))
    ex = 0;
  size_t kl = key_cid(k, cid, 0);
  held_t h = {k, kl - 8, ex, 0};
  int rc = bs_kv_range(txn, st->db, k, kl, false, held_cb, &h);
  return rc < 0 ? rc : h.found;
}

/* Remove the object id; unpin its CID unless keep_cid, another object
 * holds it, or it carries MIR_F_KEEP. */
static int del(mir_store_t *st, bs_txn_t *txn, const char *id, bool keep_cid,
               bool *unpinned) {
  if (unpinned)
    *unpinned = false;
  mir_pin_t p;
  int rc = mir_pin_get(st, txn, id, &p);
  if (rc)
    return rc;
  dag_cid_t cid = p.cid;
  bool was_pinned = p.status == MIR_PINNED && !(p.flags & MIR_F_KEEP);
  uint8_t k[9];
  /* reindex() reads only p's fixed fields; the record goes after it. */
  if ((rc = reindex(st, txn, &p, -1)) ||
      (rc = bs_kv_del(txn, st->db, k, key_rec(k, p.created))))
    return rc;
  if (!was_pinned || keep_cid)
    return 0;
  if ((rc = mir_cid_held(st, txn, &cid, NULL)) != 0)
    return rc < 0 ? rc : 0;
  rc = bs_pin_rm(txn, &cid, true);
  if (!rc && unpinned)
    *unpinned = true;
  return rc == TR_ENOTPINNED || rc == TR_EINDIRECT ? 0 : rc;
}

int mir_pin_del(mir_store_t *st, bs_txn_t *txn, const char *id,
                bool *unpinned) {
  return del(st, txn, id, false, unpinned);
}

int mir_pin_replace(mir_store_t *st, bs_txn_t *txn, const char *old,
                    mir_pin_t *p) {
  mir_pin_t o;
  int rc = mir_pin_get(st, txn, old, &o);
  if (rc)
    return rc;
  bool same = dag_cid_equal(&o.cid, &p->cid);
  if ((rc = mir_pin_add(st, txn, p)))
    return rc;
  return del(st, txn, old, same, NULL);
}

/* ------------------------------------------------------------------ time */

size_t mir_time_fmt(uint64_t us, char *buf, size_t cap) {
  time_t s = (time_t)(us / 1000000u);
  struct tm tm;
  gmtime_r(&s, &tm);
  int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000u));
  return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static int digits(const char *s, size_t n, size_t at, size_t len, int *out) {
  if (at + len > n)
    return -1;
  int v = 0;
  for (size_t i = at; i < at + len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int mir_time_parse(const char *s, size_t n, uint64_t *us) {
  int Y, M, D, h, m, sec;
  if (digits(s, n, 0, 4, &Y) || n < 20 || s[4] != '-' ||
      digits(s, n, 5, 2, &M) || s[7] != '-' || digits(s, n, 8, 2, &D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &m) ||
      s[16] != ':' || digits(s, n, 17, 2, &sec))
    return TR_EUSAGE;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
    return TR_EUSAGE;
  size_t i = 19;
  uint64_t frac = 0;
  if (i < n && s[i] == '.') {
    size_t nd = 0;
    for (i++; i < n && isdigit((unsigned char)s[i]); i++, nd++)
      if (nd < 6)
        frac = frac * 10 + (uint64_t)(s[i] - '0');
    if (!nd)
      return TR_EUSAGE;
    for (; nd < 6; nd++)
      frac *= 10;
  }
  int64_t off = 0;
  if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (n != i + 6 || digits(s, n, i + 1, 2, &oh) || s[i + 3] != ':' ||
        digits(s, n, i + 4, 2, &om) || oh > 23 || om > 59)
      return TR_EUSAGE;
    off = (s[i] == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
    i = n;
  }
  if (i != n)
    return TR_EUSAGE;
  /* Days from the civil date (Howard Hinnant's algorithm): no timegm(). */
  int y = Y - (M <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
  int64_t t = days * 86400 + h * 3600 + m * 60 + sec - off;
  if (t < 0)
    return TR_EUSAGE;
  *us = (uint64_t)t * 1000000u + frac;
  return 0;
}
