/*
 * scrub_core.c — the scrubber's sans-I/O core (scrub_int.h): one step of
 * a pass at a time, each in short transactions of its own, paced by the
 * time the caller passes.  The rehash is the blockstore's own
 * (bs_verify_from, bs_drop_corrupt); the references' is bs_fs_read; the
 * walk is bs_walk over the links index, continued past missing blocks.
 * No thread, timer or clock here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scrub_int.h"

void mir__core_init(mir__core_t *c, uint64_t rate, mir__found_cb found,
                    void *ud) {
  memset(c, 0, sizeof *c);
  c->rate = rate ? rate : 1;
  c->found = found;
  c->ud = ud;
}

static void walk_reset(mir__core_t *c) {
  bs_walk_free(c->w);
  c->w = NULL;
  c->walking = false;
  c->pins.len = 0;
  c->pin_off = 0;
}

void mir__core_free(mir__core_t *c) {
  walk_reset(c);
  tr_bytes_free(&c->pins);
  tr_fpset_free(&c->dropped);
  tr_fpset_free(&c->reported);
}

uint64_t mir__chunk_bytes(uint64_t rate) {
  uint64_t b = rate / 4;
  if (b < MIR_SCRUB_CHUNK_MIN)
    b = MIR_SCRUB_CHUNK_MIN;
  return b > MIR_SCRUB_CHUNK_MAX ? MIR_SCRUB_CHUNK_MAX : b;
}

int mir__core_begin(mir__core_t *c, uint64_t now_ms) {
  if (c->st.phase != MIR_SCRUB_IDLE)
    return -EBUSY;
  uint64_t finished = c->st.finished_ms, pass = c->st.pass;
  memset(&c->st, 0, sizeof c->st);
  c->st.pass = pass + 1;
  c->st.phase = MIR_SCRUB_HASH;
  c->st.started_ms = now_ms;
  c->st.finished_ms = finished;
  c->next_ms = now_ms;
  c->walk_due = false;
  walk_reset(c);
  tr_fpset_free(&c->dropped);
  tr_fpset_free(&c->reported);
  return 0;
}

uint64_t mir__core_wait(const mir__core_t *c, uint64_t now_ms) {
  if (c->st.phase == MIR_SCRUB_IDLE)
    return UINT64_MAX;
  if (c->walking || c->walk_due || c->st.phase == MIR_SCRUB_WALK)
    return 0;
  return c->next_ms > now_ms ? c->next_ms - now_ms : 0;
}

/* The pace: bytes cost bytes/rate seconds from when the last chunk's
 * ended, or from now if we are late (a slow disk or a busy machine does
 * not earn a burst afterwards).  Capped at a chunk's time ahead of now, so
 * that a wall clock set back cannot stall the pass. */
static void pace(mir__core_t *c, uint64_t bytes, uint64_t now_ms) {
  uint64_t chunk = mir__chunk_bytes(c->rate);
  uint64_t cost = bytes * 1000 / c->rate;
  uint64_t from = c->next_ms > now_ms ? c->next_ms : now_ms;
  uint64_t cap = now_ms + chunk * 1000 / c->rate + 1;
  c->next_ms = from + cost < cap ? from + cost : cap;
}

/* ------------------------------------------------------------ the hash */

typedef struct bad {
  tr_bytes_t keys; /* len byte + multihash, per corrupt block */
} bad_t;

static int on_corrupt(const dag_cid_t *cid, void *ud) {
  bad_t *b = ud;
  size_t n;
  const uint8_t *mh = dag_cid_mh(cid, &n);
  uint8_t l = (uint8_t)n;
  int rc = tr_bytes_append(&b->keys, &l, 1);
  return rc ? rc : tr_bytes_append(&b->keys, mh, n);
}

/* Remove the corrupt blocks of a chunk, in one write transaction (after
 * the read one has ended: a thread holds one transaction at a time). */
static int drop_bad(mir__core_t *c, bs_env_t *env, const bad_t *b) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  for (size_t off = 0; off < b->keys.len && rc == 0;) {
    size_t n = b->keys.data[off];
    mir__finding_t f = {0};
    rc = dag_cid_make(&f.cid, 1, DAG_CODEC_RAW, b->keys.data + off + 1, n);
    off += 1 + n;
    if (rc || (rc = bs_drop_corrupt(txn, &f.cid)) <= 0)
      continue; /* an error, or a good copy has replaced it meanwhile */
    rc = tr_fpset_add(&c->dropped, dag_cid_fp(&f.cid));
    rc = rc < 0 ? rc : 0;
    char s[DAG_CID_STR_MAX];
    tr_log(TR_LOG_WARN, "scrub: corrupt block %s (its bytes do not hash to "
           "it): removed; refetched if a pinned DAG needs it",
           dag_cid_str(&f.cid, s));
    c->st.corrupt++;
    f.corrupt = true;
    c->found(c->ud, &f);
    c->walk_due = true;
  }
  return rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
}

static int hash_step(mir__core_t *c, bs_env_t *env, uint64_t now_ms) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  bad_t bad = {{0}};
  bs_verify_pos_t pos;
  uint64_t chunk = mir__chunk_bytes(c->rate);
  rc = bs_verify_from(txn, c->st.key, c->st.key_len, MIR_SCRUB_CHUNK_BLOCKS,
                      chunk, on_corrupt, &bad, &pos);
  if (rc == 0)
    rc = bs_count(txn, &c->store_blocks);
  bs_txn_abort(txn);
  if (rc == 0 && bad.keys.len)
    rc = drop_bad(c, env, &bad);
  tr_bytes_free(&bad.keys);
  if (rc)
    return rc;
  memcpy(c->st.key, pos.key, pos.key_len);
  c->st.key_len = pos.key_len;
  c->st.blocks += pos.blocks;
  c->st.bytes += pos.bytes;
  pace(c, pos.bytes, now_ms);
  if (pos.end) { /* the references next, from the first */
    c->st.phase = MIR_SCRUB_REFS;
    c->st.key_len = 0;
  }
  return 0;
}

/* ------------------------------------------------------- the references */

/* References read per step, at most (and a chunk's bytes). */
#define REFS_STEP 256u

typedef struct ref_ent {
  dag_cid_t cid;
  bs_fsref_t ref;
} ref_ent_t;

typedef struct refs_batch {
  ref_ent_t *e;
  size_t n;
  uint64_t bytes, max_bytes;
  size_t largest; /* the largest reference's size: the read buffer's */
} refs_batch_t;

static int collect_ref(const dag_cid_t *cid, const bs_fsref_t *ref,
                       void *ud) {
  refs_batch_t *b = ud;
  if (b->n == REFS_STEP || (b->n && b->bytes >= b->max_bytes))
    return 1;
  if (!ref)
    return 0; /* a record that does not parse: `filestore verify` says so */
  b->e[b->n].cid = *cid;
  b->e[b->n++].ref = *ref;
  b->bytes += ref->size;
  if (ref->size <= BS_MAX_BLOCK && ref->size > b->largest)
    b->largest = (size_t)ref->size;
  return 0;
}

/* e's file holds other bytes: remove the reference, if it is still the
 * one checked and still wrong (the file may have been put back since),
 * in a write transaction of its own.  1 when removed. */
static int drop_ref(mir__core_t *c, bs_env_t *env, const ref_ent_t *e,
                    uint8_t *buf) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  bs_fsref_t now;
  char msg[256];
  rc = bs_fs_get(txn, &e->cid, &now);
  if (rc == 0 && (now.offset != e->ref.offset || now.size != e->ref.size ||
                  strcmp(now.path, e->ref.path) ||
                  bs_fs_read(env, &e->cid, &now, buf, msg, sizeof msg) !=
                      BS_FS_CHANGED))
    rc = TR_ENOTFOUND; /* changed meanwhile: not ours to remove */
  if (rc == 0)
    rc = bs_fs_del(txn, &e->cid);
  if (rc) {
    bs_txn_abort(txn);
    return rc == TR_ENOTFOUND ? 0 : rc;
  }
  if ((rc = bs_txn_commit(txn)))
    return rc;
  rc = tr_fpset_add(&c->dropped, dag_cid_fp(&e->cid));
  return rc < 0 ? rc : 1;
}

static int refs_step(mir__core_t *c, bs_env_t *env, uint64_t now_ms) {
  refs_batch_t b = {.max_bytes = mir__chunk_bytes(c->rate)};
  if (!(b.e = tr_malloc(REFS_STEP * sizeof *b.e)))
    return -ENOMEM;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc == 0) {
    rc = bs_fs_range(txn, c->st.key, c->st.key_len, collect_ref, &b);
    bs_txn_abort(txn);
  }
  bool end = rc == 0;
  uint8_t *buf = rc < 0 ? NULL : tr_malloc(b.largest ? b.largest : 1);
  if (rc >= 0 && !buf)
    rc = -ENOMEM;
  rc = rc < 0 ? rc : 0;
  /* The files are read with no transaction open. */
  for (size_t i = 0; i < b.n && rc == 0; i++) {
    const ref_ent_t *e = &b.e[i];
    char msg[256], s[DAG_CID_STR_MAX];
    int st = e->ref.size > BS_MAX_BLOCK
                 ? BS_FS_FILE_ERROR
                 : bs_fs_read(env, &e->cid, &e->ref, buf, msg, sizeof msg);
    if (st == BS_FS_CHANGED && (rc = drop_ref(c, env, e, buf)) > 0) {
      tr_log(TR_LOG_WARN, "scrub: filestore reference %s (%s offset %llu): "
             "%s: removed; refetched if a pinned DAG needs it",
             dag_cid_str(&e->cid, s), e->ref.path,
             (unsigned long long)e->ref.offset, msg);
      c->st.corrupt++;
      mir__finding_t f = {.cid = e->cid, .corrupt = true};
      c->found(c->ud, &f);
      c->walk_due = true;
      rc = 0;
    } else if (st != BS_FS_OK && st != BS_FS_CHANGED) {
      tr_log(TR_LOG_WARN, "scrub: filestore reference %s (%s offset %llu) "
             "is unreadable: %s", dag_cid_str(&e->cid, s), e->ref.path,
             (unsigned long long)e->ref.offset, msg);
      c->st.unreadable++;
    }
    if (rc == 0) {
      size_t n;
      const uint8_t *mh = dag_cid_mh(&e->cid, &n);
      memcpy(c->st.key, mh, n);
      c->st.key_len = n;
      c->st.blocks++;
      c->st.bytes += e->ref.size;
    }
  }
  tr_free(buf);
  tr_free(b.e);
  if (rc)
    return rc;
  pace(c, b.bytes, now_ms);
  if (end)
    c->st.phase = MIR_SCRUB_WALK;
  return 0;
}

/* ------------------------------------------------------------ the walk */

static int collect_pin(const bs_pin_t *pin, void *ud) {
  tr_bytes_t *b = ud;
  uint8_t head[2] = {(uint8_t)pin->cid.len, (uint8_t)pin->type};
  int rc = tr_bytes_append(b, head, 2);
  return rc ? rc : tr_bytes_append(b, pin->cid.bytes, pin->cid.len);
}

/* The pins, in one read transaction: a cursor over the pins table, a few
 * hundred ms for a million pins.  (bs_pin_ls cannot resume; the walk of
 * their DAGs, the long part, is in chunks.) */
static int walk_begin(mir__core_t *c, bs_env_t *env) {
  walk_reset(c);
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  rc = bs_pin_ls(txn, BS_PIN_DIRECT | BS_PIN_RECURSIVE, collect_pin, &c->pins);
  bs_txn_abort(txn);
  if (rc)
    return rc;
  c->walking = true;
  c->walk_due = false;
  return 0;
}

/* The next pin's walk; false when none is left. */
static int next_pin(mir__core_t *c) {
  bs_walk_free(c->w);
  c->w = NULL;
  while (c->pin_off < c->pins.len) {
    size_t n = c->pins.data[c->pin_off];
    int type = c->pins.data[c->pin_off + 1];
    const uint8_t *b = c->pins.data + c->pin_off + 2;
    c->pin_off += 2 + n;
    if (dag_cid_decode(&c->root, b, n) != (int)n)
      continue;
    int rc = bs_walk_new(&c->root, BS_WALK_UNIQUE,
                         type == BS_PIN_RECURSIVE ? -1 : 0, &c->w);
    return rc ? rc : 1;
  }
  return 0;
}

/* A block of root's DAG is missing: a finding, if the pin is still there
 * (a pin removed since the list was taken lets GC take its blocks). */
static int missing(mir__core_t *c, bs_txn_t *txn, const dag_cid_t *cid) {
  bs_pin_t pin;
  int rc = bs_pin_get(txn, &c->root, BS_PIN_DIRECT | BS_PIN_RECURSIVE, &pin);
  if (rc <= 0)
    return rc < 0 ? rc : 1; /* 1: unpinned, this walk ends */
  if ((rc = tr_fpset_add(&c->reported, dag_cid_fp(cid))) <= 0)
    return rc; /* reported in this pass already (0), or -ENOMEM */
  mir__finding_t f = {.cid = *cid, .root = c->root};
  f.corrupt = tr_fpset_has(&c->dropped, dag_cid_fp(cid));
  if (!f.corrupt) {
    char s[DAG_CID_STR_MAX], r[DAG_CID_STR_MAX];
    tr_log(TR_LOG_WARN, "scrub: block %s of the pinned DAG %s is missing",
           dag_cid_str(cid, s), dag_cid_str(&c->root, r));
    c->st.missing++;
  }
  c->found(c->ud, &f);
  return 0;
}

static int walk_step(mir__core_t *c, bs_env_t *env) {
  int rc;
  if (!c->walking && (rc = walk_begin(c, env)))
    return rc;
  bs_txn_t *txn;
  if ((rc = bs_txn_begin(env, BS_RDONLY, &txn)))
    return rc;
  for (unsigned steps = 0; steps < MIR_SCRUB_WALK_STEPS && rc == 0;) {
    if (!c->w && (rc = next_pin(c)) <= 0) {
      if (rc == 0)
        c->walking = false; /* every pin walked */
      break;
    }
    rc = 0;
    dag_cid_t cid;
    for (; steps < MIR_SCRUB_WALK_STEPS; steps++) {
      int k = bs_walk_next(c->w, txn, &cid, NULL, NULL);
      if (k == 1)
        continue;
      if (k == TR_ENOTFOUND && (k = missing(c, txn, &cid)) == 0)
        continue;
      if (k < 0 && k != TR_ECORRUPT) {
        rc = k; /* the store failed: this pin again at the next step */
        c->pin_off -= 2 + (size_t)c->root.len;
      } else if (k == TR_ECORRUPT) {
        char s[DAG_CID_STR_MAX];
        tr_log(TR_LOG_ERROR, "scrub: the links index of %s's DAG is "
               "unreadable", dag_cid_str(&c->root, s));
      }
      bs_walk_free(c->w); /* done (k 0), unpinned (1), or failed */
      c->w = NULL;
      break;
    }
  }
  bs_txn_abort(txn);
  if (!c->walking && c->st.phase == MIR_SCRUB_WALK)
    c->st.phase = MIR_SCRUB_IDLE; /* the pass is over (caller stamps it) */
  return rc;
}

int mir__core_step(mir__core_t *c, bs_env_t *env, uint64_t now_ms) {
  int rc;
  if (c->st.phase == MIR_SCRUB_IDLE)
    return 0;
  if (c->walking || c->walk_due || c->st.phase == MIR_SCRUB_WALK) {
    rc = walk_step(c, env);
    if (rc == 0 && c->st.phase == MIR_SCRUB_IDLE) {
      c->st.finished_ms = now_ms;
      tr_fpset_free(&c->dropped);
      tr_fpset_free(&c->reported);
    }
    return rc;
  }
  return c->st.phase == MIR_SCRUB_REFS ? refs_step(c, env, now_ms)
                                       : hash_step(c, env, now_ms);
}

/* ------------------------------------------------------------ the state */

/* Version 2: u8 version, u8 phase, u8 key length, the key, then pass,
 * blocks, bytes, corrupt, missing, started_ms, finished_ms, unreadable as
 * u64 little-endian.  Version 1 (read still): without unreadable. */
#define STATE_V 2
#define STATE_U64 8

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int mir__core_save(const mir__core_t *c, bs_env_t *env) {
  uint8_t buf[3 + BS_KEY_MAX + 8 * STATE_U64];
  const mir__scrub_state_t *s = &c->st;
  size_t n = 0;
  buf[n++] = STATE_V;
  /* A walk in progress is saved as the walk phase: it starts over. */
  buf[n++] = (uint8_t)s->phase;
  buf[n++] = (uint8_t)s->key_len;
  memcpy(buf + n, s->key, s->key_len);
  n += s->key_len;
  const uint64_t v[STATE_U64] = {s->pass,       s->blocks,  s->bytes,
                                 s->corrupt,    s->missing, s->started_ms,
                                 s->finished_ms, s->unreadable};
  for (int i = 0; i < STATE_U64; i++, n += 8)
    put64(buf + n, v[i]);
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  if ((rc = bs_meta_put(txn, MIR_SCRUB_META_KEY, buf, n))) {
    bs_txn_abort(txn);
    return rc;
  }
  return bs_txn_commit(txn);
}

int mir__core_load(mir__core_t *c, bs_env_t *env) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  const uint8_t *p;
  size_t len;
  mir__scrub_state_t s = {0};
  rc = bs_meta_get(txn, MIR_SCRUB_META_KEY, &p, &len);
  if (rc == 0) {
    size_t kl = len >= 3 ? p[2] : 0;
    size_t nu = len >= 1 && p[0] == 1 ? STATE_U64 - 1 : STATE_U64;
    if (len != 3 + kl + 8 * nu || (p[0] != STATE_V && p[0] != 1) ||
        p[1] > MIR_SCRUB_REFS || kl > BS_KEY_MAX) {
      rc = TR_ECORRUPT;
    } else {
      s.phase = (mir_scrub_phase_t)p[1];
      s.key_len = kl;
      memcpy(s.key, p + 3, kl);
      const uint8_t *q = p + 3 + kl;
      uint64_t *v[STATE_U64] = {&s.pass,       &s.blocks,  &s.bytes,
                                &s.corrupt,    &s.missing, &s.started_ms,
                                &s.finished_ms, &s.unreadable};
      for (size_t i = 0; i < nu; i++)
        *v[i] = get64(q + 8 * i);
    }
  }
  bs_txn_abort(txn);
  if (rc)
    return rc;
  walk_reset(c);
  c->st = s;
  c->walk_due = false;
  return 0;
}
