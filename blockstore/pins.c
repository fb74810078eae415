/*
 * pins.c — pins with Kubo's semantics: recursive and direct pins are stored
 * (key: the binary CID as the user gave it; value: type byte, creation time
 * as 8 little-endian bytes, then the name); indirect pins are derived by
 * walking recursive pins through the links index.
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define PIN_HDR 9

static int pin_decode(const MDB_val *k, const MDB_val *v, bs_pin_t *pin) {
  memset(pin, 0, sizeof *pin);
  if (v->mv_size < PIN_HDR || v->mv_size > PIN_HDR + BS_PIN_NAME_MAX)
    return TR_ECORRUPT;
  int rc = dag_cid_decode(&pin->cid, k->mv_data, k->mv_size);
  if (rc < 0 || (size_t)rc != k->mv_size)
    return TR_ECORRUPT;
  const uint8_t *p = v->mv_data;
  pin->type = p[0];
  for (int i = 7; i >= 0; i--)
    pin->created = (pin->created << 8) | p[1 + i];
  memcpy(pin->name, p + PIN_HDR, v->mv_size - PIN_HDR);
  pin->name[v->mv_size - PIN_HDR] = 0;
  return 0;
}

static int pin_read(bs_txn_t *txn, const dag_cid_t *cid, bs_pin_t *pin) {
  MDB_val k = {cid->len, (void *)cid->bytes}, v;
  int rc = mdb_get(txn->mdb, txn->env->pins, &k, &v);
  if (rc)
    return bs__err(rc);
  return pin_decode(&k, &v, pin);
}

/* ------------------------------------------------- completeness check */

typedef struct check_ctx {
  bs_txn_t *txn;
  dag_cid_t *missing;
  bool recursive;
  const tr_fpset_t *present; /* known stored: no lookup (may be NULL) */
  dag_cid_t unindexed; /* when the walk stops with REINDEX */
} check_ctx_t;

/* check_present's stop: c->unindexed needs its links entry first. */
#define REINDEX 1

static int check_present(const dag_cid_t *cid, const dag_cid_t *via,
                         void *ud) {
  (void)via;
  check_ctx_t *c = ud;
  /* The lookup maps the block's leaf page and, by the kernel's
   * fault-around, its neighbours: a 200k-block import's pin mapped
   * ~390 MiB of the file this way. */
  int rc = c->present && tr_fpset_has(c->present, dag_cid_fp(cid))
               ? 1
               : bs_has(c->txn, cid);
  if (rc < 0)
    return rc;
  if (rc == 0) {
    if (c->missing)
      *c->missing = *cid;
    return TR_EINCOMPLETE;
  }
  /* A node with links that the index lacks (bs__links_unindexed) would
   * look like a leaf: the pin would pass as complete over missing blocks,
   * and GC would take the blocks below it.  It is indexed outside the
   * walk, whose views into LMDB a write would invalidate. */
  if (c->recursive &&
      !(c->present && tr_fpset_has(c->present, bs__indexed_fp(cid))) &&
      (rc = bs__links_unindexed(c->txn, cid))) {
    if (rc == 1)
      c->unindexed = *cid;
    return rc == 1 ? REINDEX : rc;
  }
  return 0;
}

int bs_pin_add(bs_txn_t *txn, const dag_cid_t *cid, int type,
               const char *name, dag_cid_t *missing) {
  return bs__pin_add(txn, cid, type, name, missing, NULL);
}

int bs__pin_add(bs_txn_t *txn, const dag_cid_t *cid, int type,
                const char *name, dag_cid_t *missing,
                const tr_fpset_t *present) {
  if (txn->rdonly)
    return -EACCES;
  if (type != BS_PIN_DIRECT && type != BS_PIN_RECURSIVE)
    return TR_EUSAGE;
  size_t nlen = name ? strlen(name) : 0;
  if (nlen > BS_PIN_NAME_MAX)
    return TR_ETOOBIG;
  bs_pin_t old;
  int rc = pin_read(txn, cid, &old);
  if (rc == 0 && old.type == BS_PIN_RECURSIVE && type == BS_PIN_DIRECT)
    return TR_EPINTYPE;
  if (rc && rc != TR_ENOTFOUND)
    return rc;
  if (rc == 0 && old.type == type && !name)
    return 0; /* already pinned that way: keep its name and time */

  check_ctx_t c = {txn, missing, type == BS_PIN_RECURSIVE, present, {0}};
  if (type == BS_PIN_RECURSIVE) {
    /* Each REINDEX indexes one node and walks again from the root. */
    for (;;) {
      tr_fpset_t seen = {0};
      rc = bs__walk(txn, cid, &seen, BS__WALK_LEAVES_AGAIN, check_present,
                    &c);
      tr_fpset_free(&seen);
      if (rc != REINDEX || (rc = bs__links_index(txn, &c.unindexed)))
        break;
    }
  } else
    rc = check_present(cid, NULL, &c);
  if (rc)
    return rc;

  uint8_t val[PIN_HDR + BS_PIN_NAME_MAX];
  uint64_t now = (uint64_t)time(NULL);
  val[0] = (uint8_t)type;
  for (int i = 0; i < 8; i++)
    val[1 + i] = (uint8_t)(now >> (8 * i));
  if (nlen)
    memcpy(val + PIN_HDR, name, nlen);
  MDB_val k = {cid->len, (void *)cid->bytes}, v = {PIN_HDR + nlen, val};
  if ((rc = bs__err(mdb_put(txn->mdb, txn->env->pins, &k, &v, 0))))
    return rc;
  /* A running GC may hold a list of garbage made before this pin: the
   * generation tells it to look again (gc.c). */
  return bs__gen_bump(txn, BS_PIN_GEN);
}

static void stored_drop(bs__stored_t *s) {
  s->off = true;
  tr_fpset_free(&s->set);
}

static bool stored_add(bs__stored_t *s, tr_fp_t f) {
  if (s->set.n >= BS__STORED_MAX || tr_fpset_add(&s->set, f) < 0) {
    stored_drop(s);
    return false;
  }
  return true;
}

void bs__stored_note(bs__stored_t *s, const dag_cid_t *cid, int rc) {
  if (s->off || rc < 0 || (rc > 0 && !stored_add(s, dag_cid_fp(cid))))
    return;
  tr_fp_t f = bs__indexed_fp(cid);
  if (bs__codec_has_links(cid->codec) && (f.hi || f.lo))
    (void)stored_add(s, f);
}

void bs__stored_merge(bs__stored_t *s, const bs__stored_t *older) {
  /* A set dropped (either) leaves the other's blocks to be looked up. */
  for (size_t i = 0; !older->off && i < older->set.cap && !s->off; i++) {
    tr_fp_t v = older->set.slots[i];
    if (v.hi || v.lo)
      (void)stored_add(s, v);
  }
}

void bs__stored_free(bs__stored_t *s) { tr_fpset_free(&s->set); }

int bs__pin_stored(bs_txn_t *txn, const dag_cid_t *cid, const char *name,
                   dag_cid_t *missing, const tr_fpset_t *stored,
                   uint64_t del0) {
  uint64_t del;
  int rc = bs__del_gen(txn, &del);
  if (rc)
    return rc;
  return bs__pin_add(txn, cid, BS_PIN_RECURSIVE, name, missing,
                     del == del0 ? stored : NULL);
}

/* ------------------------------------------------------- indirect pins */

typedef struct find_ctx {
  tr_fp_t want; /* fingerprint sought */
  bool found;
} find_ctx_t;

static int find_visit(const dag_cid_t *cid, const dag_cid_t *via, void *ud) {
  find_ctx_t *f = ud;
  tr_fp_t fp = dag_cid_fp(cid);
  if (via && fp.hi == f->want.hi && fp.lo == f->want.lo) {
    f->found = true;
    return 1;
  }
  return 0;
}

/* Is cid reachable (below the root) from some recursive pin?  Sets *via to
 * that pin.  A full walk of every recursive DAG: only for the rare single-CID
 * questions (pin rm of an indirect pin, pin ls CID --type=indirect). */
static int find_indirect(bs_txn_t *txn, const dag_cid_t *cid, dag_cid_t *via) {
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->pins, &cur);
  if (rc)
    return bs__err(rc);
  find_ctx_t f = {dag_cid_fp(cid), false};
  MDB_val k, v;
  int op = MDB_FIRST, found = 0;
  while ((rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
    op = MDB_NEXT;
    bs_pin_t p;
    if (pin_decode(&k, &v, &p) || p.type != BS_PIN_RECURSIVE)
      continue;
    tr_fpset_t seen = {0};
    int err = bs__walk(txn, &p.cid, &seen, BS__WALK_LEAVES_AGAIN, find_visit,
                       &f);
    tr_fpset_free(&seen);
    if (err < 0) {
      mdb_cursor_close(cur);
      return err;
    }
    if (f.found) {
      *via = p.cid;
      found = 1;
      break;
    }
  }
  mdb_cursor_close(cur);
  if (!found && rc != MDB_NOTFOUND)
    return bs__err(rc);
  return found;
}

int bs_pin_get(bs_txn_t *txn, const dag_cid_t *cid, int types,
               bs_pin_t *pin) {
  int rc = pin_read(txn, cid, pin);
  if (rc == 0 && (pin->type & types))
    return 1;
  if (rc && rc != TR_ENOTFOUND)
    return rc;
  if (!(types & BS_PIN_INDIRECT))
    return 0;
  dag_cid_t via;
  if ((rc = find_indirect(txn, cid, &via)) <= 0)
    return rc;
  memset(pin, 0, sizeof *pin);
  pin->cid = *cid;
  pin->type = BS_PIN_INDIRECT;
  pin->via = via;
  return 1;
}

int bs_pin_rm(bs_txn_t *txn, const dag_cid_t *cid, bool recursive) {
  if (txn->rdonly)
    return -EACCES;
  bs_pin_t pin;
  int rc = pin_read(txn, cid, &pin);
  if (rc == TR_ENOTFOUND) {
    dag_cid_t via;
    rc = find_indirect(txn, cid, &via);
    return rc < 0 ? rc : rc ? TR_EINDIRECT : TR_ENOTPINNED;
  }
  if (rc)
    return rc;
  if (pin.type == BS_PIN_RECURSIVE && !recursive)
    return TR_EPINTYPE;
  MDB_val k = {cid->len, (void *)cid->bytes};
  return bs__err(mdb_del(txn->mdb, txn->env->pins, &k, NULL));
}

int bs_pin_update(bs_txn_t *txn, const dag_cid_t *from, const dag_cid_t *to,
                  bool unpin, dag_cid_t *missing) {
  if (txn->rdonly)
    return -EACCES;
  bs_pin_t pin;
  int rc = pin_read(txn, from, &pin);
  if (rc == TR_ENOTFOUND || (!rc && pin.type != BS_PIN_RECURSIVE))
    return TR_ENOTPINNED;
  if (rc || dag_cid_equal(from, to))
    return rc; /* the same CID: nothing to do, as boxo has it */
  bs_pin_t tp;
  rc = pin_read(txn, to, &tp);
  if (!rc && tp.type == BS_PIN_RECURSIVE)
    return TR_EPINTYPE;
  if (rc && rc != TR_ENOTFOUND)
    return rc;
  rc = bs_pin_add(txn, to, BS_PIN_RECURSIVE, pin.name, missing);
  return !rc && unpin ? bs_pin_rm(txn, from, true) : rc;
}

/* ----------------------------------------------------------------- list */

typedef struct ls_ctx {
  bs_pin_cb cb;
  void *ud;
  dag_cid_t root;
  const tr_fpset_t *listed; /* recursive and direct pins, listed already */
} ls_ctx_t;

static int ls_indirect(const dag_cid_t *cid, const dag_cid_t *via, void *ud) {
  ls_ctx_t *c = ud;
  if (!via || tr_fpset_has(c->listed, dag_cid_fp(cid)))
    return 0; /* a root, or pinned itself: listed with its own type */
  bs_pin_t p;
  memset(&p, 0, sizeof p);
  p.cid = *cid;
  p.type = BS_PIN_INDIRECT;
  p.via = c->root;
  return c->cb(&p, c->ud);
}

int bs_pin_ls(bs_txn_t *txn, int types, bs_pin_cb cb, void *ud) {
  MDB_cursor *cur;
  int rc = 0, err = 0; /* rc: LMDB's codes; err: trove's or the callback's */
  /* Kubo's order: recursive, then direct, then indirect.  listed holds
   * every stored pin so that the indirect pass skips them; walked is the
   * walks' own set (bs__walk's invariant: only walks may fill it, or a
   * directly pinned block would hide the blocks below it). */
  tr_fpset_t listed = {0}, walked = {0};
  for (int pass = 0; pass < 3 && !err; pass++) {
    int want = pass == 0 ? BS_PIN_RECURSIVE
               : pass == 1 ? BS_PIN_DIRECT
                           : BS_PIN_INDIRECT;
    if (pass < 2 && !(types & want) && !(types & BS_PIN_INDIRECT))
      continue;
    if (pass == 2 && !(types & BS_PIN_INDIRECT))
      break;
    if ((rc = mdb_cursor_open(txn->mdb, txn->env->pins, &cur)))
      break;
    MDB_val k, v;
    int op = MDB_FIRST;
    while (!err && (rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
      op = MDB_NEXT;
      bs_pin_t p;
      if ((err = pin_decode(&k, &v, &p)))
        break;
      if (pass < 2) {
        if (p.type != want)
          continue;
        int added = tr_fpset_add(&listed, dag_cid_fp(&p.cid));
        if (added < 0)
          err = added;
        else if (types & want)
          err = cb(&p, ud);
      } else if (p.type == BS_PIN_RECURSIVE) {
        ls_ctx_t c = {cb, ud, p.cid, &listed};
        err = bs__walk(txn, &p.cid, &walked, 0, ls_indirect, &c);
      }
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
      rc = 0;
    if (rc)
      break;
  }
  tr_fpset_free(&listed);
  tr_fpset_free(&walked);
  return err ? err : bs__err(rc);
}

/* Here, not in blocks.c: blocks.c is below the pins (pins.c reads blocks
 * through it). */
int bs_put_one(bs_env_t *env, const dag_cid_t *cid, const uint8_t *data,
               size_t len, bool pin) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  rc = bs_put(txn, cid, data, len);
  if (!rc && pin)
    rc = bs_pin_add(txn, cid, BS_PIN_RECURSIVE, NULL, NULL);
  return rc ? (bs_txn_abort(txn), rc) : bs_txn_commit(txn);
}

/* ------------------------------------------------ schema 3, 4 -> 5 */

typedef struct roots {
  dag_cid_t *v;
  size_t n, cap;
} roots_t;

static int roots_add(roots_t *r, const dag_cid_t *cid) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    dag_cid_t *v = tr_realloc(r->v, cap * sizeof *v);
    if (!v)
      return -ENOMEM;
    r->v = v, r->cap = cap;
  }
  r->v[r->n++] = *cid;
  return 0;
}

static int root_pin(const bs_pin_t *p, void *ud) {
  return roots_add(ud, &p->cid);
}

/* Walk from each root in r (r grows as it goes), indexing the dag-json,
 * dag-jose and git-raw blocks met whose links the index lacks.  A block
 * indexed here was reported as a leaf (bs_walk_next enters a block as it
 * reports it), so it is queued as a root of its own, to walk what it
 * links to. */
static int index_late(bs_txn_t *txn, roots_t *r, uint64_t *indexed) {
  bs_walk_t *w = NULL;
  int rc = 0;
  for (size_t i = 0; i < r->n && !rc; i++) {
    if (!w)
      rc = bs_walk_new(&r->v[i], BS_WALK_UNIQUE, -1, &w);
    else
      bs_walk_restart(w, &r->v[i]);
    dag_cid_t cid;
    while (!rc && (rc = bs_walk_next(w, txn, &cid, NULL, NULL)) != 0) {
      if (rc == TR_ENOTFOUND) { /* a hole (a pin GC must keep whole) */
        rc = 0;
        continue;
      }
      if (rc < 0)
        break;
      rc = 0;
      if (cid.codec != DAG_CODEC_DAG_JSON &&
          cid.codec != DAG_CODEC_DAG_JOSE && cid.codec != DAG_CODEC_GIT_RAW)
        continue;
      int un = bs__links_unindexed(txn, &cid);
      if (un == 1 && !(rc = bs__links_index(txn, &cid))) {
        (*indexed)++;
        rc = roots_add(r, &cid);
      }
      /* A block that does not parse has no links to keep. */
    }
  }
  bs_walk_free(w);
  return rc;
}

int bs__links_upgrade(bs_env_t *env) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, 0, &txn);
  if (rc)
    return rc;
  /* Another opener may have upgraded it while this one waited to write. */
  const uint8_t *sv;
  size_t sn;
  uint32_t now = 0;
  if (!bs_meta_get(txn, "schema", &sv, &sn) && sn == sizeof now)
    memcpy(&now, sv, sizeof now);
  if (now >= BS_SCHEMA_VERSION) {
    bs_txn_abort(txn);
    return 0;
  }
  roots_t r = {0};
  rc = bs_pin_ls(txn, BS_PIN_RECURSIVE, root_pin, &r);
  const uint8_t *fv;
  size_t fn;
  dag_cid_t froot;
  if (!rc && !bs_meta_get(txn, BS_META_FILES_ROOT, &fv, &fn) &&
      dag_cid_decode(&froot, fv, fn) == (int)fn)
    rc = roots_add(&r, &froot);
  uint64_t indexed = 0;
  if (!rc)
    rc = index_late(txn, &r, &indexed);
  tr_free(r.v);
  uint32_t ver = BS_SCHEMA_VERSION;
  if (!rc)
    rc = bs_meta_put(txn, "schema", &ver, sizeof ver);
  if (rc) {
    bs_txn_abort(txn);
    return rc;
  }
  if (indexed)
    tr_log(TR_LOG_INFO, "blockstore: indexed the links of %llu dag-json, "
           "dag-jose and git-raw blocks (once: before schema 5 they were "
           "taken for leaves)",
           (unsigned long long)indexed);
  return bs_txn_commit(txn);
}
