/*
 * mfs.c — the MFS tree and the edit every change is (mfs.h; the changes
 * themselves are mfs_ops.c's): paths, lookups, directories being edited.
 *
 * An edit loads the directories from the root down to the one it changes,
 * changes that one, then stores each directory again from the bottom up,
 * putting the new CID and cumulative size of the one below into its
 * parent's entry, and records the new root.  A flat directory is loaded
 * whole and rebuilt by the importer's directory builder (dag/dir.c), which
 * writes the flat node, or the HAMT when it outgrows the threshold, as
 * boxo would: the shape depends on the entries alone.  A HAMT is not
 * loaded: its changes are applied shard by shard (mfs_hamt.c), so a
 * change costs the shards on its path, as in boxo.
 */
#include "mfs_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dag/dagpb.h"
#include "../dag/multihash.h"

/* boxo's HAMTShardingSize. */
#define MFS_SHARD_SIZE 262144

/* ---------------------------------------------------------------- paths */

int mfs_check_path(mfs_t *m, const char *in, char *out, size_t cap) {
  size_t len = strlen(in);
  if (!len)
    return mfs__fail(m, TR_EUSAGE, "paths must not be empty");
  if (in[0] != '/')
    return mfs__fail(m, TR_EUSAGE, "paths must start with a leading slash");
  if (len >= MFS_PATH_MAX || cap < len + 2)
    return mfs__fail(m, TR_EUSAGE, "path too long");
  /* Go's path.Clean: no empty or "." segments, ".." takes one back. */
  size_t o = 0;
  const char *p = in;
  while (*p) {
    while (*p == '/')
      p++;
    const char *s = p;
    while (*p && *p != '/')
      p++;
    size_t n = (size_t)(p - s);
    if (!n || (n == 1 && s[0] == '.'))
      continue;
    if (n == 2 && s[0] == '.' && s[1] == '.') {
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0)
        o--;
      continue;
    }
    out[o++] = '/';
    memcpy(out + o, s, n);
    o += n;
  }
  if (!o)
    out[o++] = '/';
  else if (in[len - 1] == '/')
    out[o++] = '/';
  out[o] = 0;
  return 0;
}

/* The segments of a clean path: seg[i] points into path (not terminated),
 * len[i] its length.  *n the count; TR_EUSAGE past max. */
static int split(const char *path, const char **seg, size_t *len, size_t max,
                 size_t *n) {
  *n = 0;
  for (const char *p = path; *p;) {
    while (*p == '/')
      p++;
    if (!*p)
      break;
    const char *s = p;
    while (*p && *p != '/')
      p++;
    if (*n == max)
      return TR_EUSAGE;
    seg[*n] = s;
    len[(*n)++] = (size_t)(p - s);
  }
  return 0;
}


/* ------------------------------------------------------------ directories */

typedef struct ent {
  char *name;
  size_t len;
  dag_cid_t cid;
  uint64_t tsize;
  bool del; /* a lazy HAMT's pending removal */
} ent_t;

/* A directory being edited.  A flat one is loaded whole (its entries in
 * e); a HAMT is not (lazy): e holds the changes made to it, applied
 * shard by shard when it is stored (mfs_hamt.c), and its entries are read
 * from its shards. */
struct mfs__dir {
  bool hamt;
  bool lazy;
  dag_cid_t cid;     /* lazy: the HAMT's root shard as loaded */
  int64_t delta;     /* lazy: the links estimate's change */
  uint64_t fanout;
  bool has_meta;
  dag_meta_t meta;
  mfs_prefix_t pfx;
  ent_t *e;
  size_t n, cap;
  uint64_t est0; /* the links estimate when loaded */
};

static void dnode_free(mfs__dir_t *d) {
  for (size_t i = 0; i < d->n; i++)
    tr_free(d->e[i].name);
  tr_free(d->e);
  memset(d, 0, sizeof *d);
}

static uint64_t estimate(const mfs__dir_t *d) {
  uint64_t s = 0;
  for (size_t i = 0; i < d->n; i++)
    s += d->e[i].len + d->e[i].cid.len;
  return s;
}

static ssize_t ent_find(const mfs__dir_t *d, const char *name, size_t len) {
  for (size_t i = 0; i < d->n; i++)
    if (d->e[i].len == len && !memcmp(d->e[i].name, name, len))
      return (ssize_t)i;
  return -1;
}

/* Set name's entry; fresh: name is known not to be there (a directory
 * being loaded: a listing that repeats a name fails when it is stored,
 * dag_dir_finish's TR_EEXIST), so no search. */
static int ent_put(mfs__dir_t *d, const char *name, size_t len,
                   const dag_cid_t *cid, uint64_t tsize, bool fresh) {
  ssize_t i = fresh ? -1 : ent_find(d, name, len);
  if (i < 0) {
    if (d->n == d->cap) {
      size_t cap = d->cap ? 2 * d->cap : 8;
      ent_t *e = tr_realloc(d->e, cap * sizeof *e);
      if (!e)
        return -ENOMEM;
      d->e = e, d->cap = cap;
    }
    /* A name from a hostile block may hold a NUL: copied by length. */
    char *nm = tr_malloc(len + 1);
    if (!nm)
      return -ENOMEM;
    memcpy(nm, name, len);
    nm[len] = 0;
    i = (ssize_t)d->n++;
    d->e[i].name = nm;
    d->e[i].len = len;
  }
  d->e[i].cid = *cid;
  d->e[i].tsize = tsize;
  d->e[i].del = false;
  return 0;
}

static int ent_set(mfs__dir_t *d, const char *name, size_t len,
                   const dag_cid_t *cid, uint64_t tsize) {
  return ent_put(d, name, len, cid, tsize, false);
}

static void ent_del(mfs__dir_t *d, size_t i) {
  tr_free(d->e[i].name);
  d->e[i] = d->e[--d->n];
}

/* An entry of d: TR_EPATH when there is none. */
int mfs__dir_get(mfs_t *m, const mfs__dir_t *d, const char *name, size_t len,
                   dag_cid_t *cid, uint64_t *tsize) {
  ssize_t i = ent_find(d, name, len);
  if (i >= 0 && d->e[i].del)
    return TR_EPATH;
  if (i >= 0) {
    *cid = d->e[i].cid, *tsize = d->e[i].tsize;
    return 0;
  }
  return d->lazy ? mfs__hamt_get(m, &d->cid, name, len, cid, tsize)
                 : TR_EPATH;
}

int mfs__dir_set(mfs_t *m, mfs__dir_t *d, const char *name, size_t len,
                   const dag_cid_t *cid, uint64_t tsize) {
  if (d->lazy) {
    dag_cid_t old;
    uint64_t ots;
    int rc = mfs__dir_get(m, d, name, len, &old, &ots);
    if (rc && rc != TR_EPATH)
      return rc;
    d->delta += (int64_t)(len + cid->len) - (rc ? 0 : (int64_t)(len + old.len));
  }
  return ent_set(d, name, len, cid, tsize);
}

/* Remove an entry that is there. */
int mfs__dir_del(mfs_t *m, mfs__dir_t *d, const char *name, size_t len) {
  if (!d->lazy) {
    /* Every link of that name: a hostile directory may list it twice,
     * and boxo's RemoveNodeLink takes them all. */
    for (ssize_t i; (i = ent_find(d, name, len)) >= 0;)
      ent_del(d, (size_t)i);
    return 0;
  }
  dag_cid_t old;
  uint64_t ots;
  int rc = mfs__dir_get(m, d, name, len, &old, &ots);
  if (rc)
    return rc;
  d->delta -= (int64_t)(len + old.len);
  if ((rc = ent_set(d, name, len, &old, ots)))
    return rc;
  d->e[ent_find(d, name, len)].del = true;
  return 0;
}

static int add_ent(const dag_dirent_t *e, void *ud) {
  return ent_put(ud, e->name, e->name_len, &e->cid, e->tsize, true);
}

static int load_dir(mfs_t *m, const dag_cid_t *cid, mfs__dir_t *d) {
  memset(d, 0, sizeof *d);
  const uint8_t *p;
  size_t n;
  int rc = mfs__get(m, cid, &p, &n);
  if (rc)
    return rc;
  dag_pb_node_t pb;
  dag_unixfs_t u;
  if (cid->codec != DAG_CODEC_DAG_PB || dag_pb_decode(p, n, NULL, NULL, &pb) ||
      !pb.has_data || dag_unixfs_decode(pb.data, pb.data_len, &u) ||
      (u.type != DAG_UNIXFS_DIRECTORY && u.type != DAG_UNIXFS_HAMT))
    return TR_ENOTDIR;
  d->hamt = u.type == DAG_UNIXFS_HAMT;
  d->fanout = u.has_fanout ? u.fanout : 256;
  d->has_meta = u.has_mode || u.has_mtime;
  d->meta.has_mode = u.has_mode;
  d->meta.mode = u.mode & 07777;
  d->meta.has_mtime = u.has_mtime;
  d->meta.mtime_sec = u.mtime_sec;
  d->meta.mtime_nsec = u.mtime_nsec;
  d->pfx.version = cid->version;
  d->pfx.mh = cid->mh_code;
  if (d->hamt) {
    d->lazy = true;
    d->cid = *cid;
    return 0;
  }
  if ((rc = dag_ls(cid, mfs__get_cb, m, add_ent, d))) {
    dnode_free(d);
    return rc;
  }
  d->est0 = estimate(d);
  return 0;
}

/* Store d (boxo's dynamic directory: a flat node turns into a HAMT when
 * its estimate goes over the size; a HAMT turns flat only when it shrank
 * and fits). */
static int store_flat(mfs_t *m, const mfs__dir_t *d, dag_cid_t *cid,
                      uint64_t *tsize);

/* Whether a HAMT's entries fit a flat directory (boxo's
 * sizeBelowThreshold: the listing stops once they do not). */
typedef struct fit {
  uint64_t sum;
} fit_t;

static int fit_ent(const dag_dirent_t *e, void *ud) {
  fit_t *f = ud;
  f->sum += e->name_len + e->cid.len;
  return f->sum > MFS_SHARD_SIZE ? 1 : 0;
}

/* A lazy HAMT: its changes applied shard by shard; flat again when it
 * shrank and fits. */
static int store_hamt(mfs_t *m, const mfs__dir_t *d, dag_cid_t *cid,
                      uint64_t *tsize) {
  dag_cid_t cur = d->cid;
  const dag_meta_t *meta = d->has_meta ? &d->meta : NULL;
  size_t nroot;
  int rc = 0;
  for (size_t i = 0; i < d->n && !rc; i++)
    rc = mfs__hamt_set(m, &cur, &d->pfx, d->fanout, meta, d->e[i].name,
                       d->e[i].len, d->e[i].del ? NULL : &d->e[i].cid,
                       d->e[i].tsize, &cur, tsize, &nroot);
  /* The root shard again: its metadata or prefix may have changed. */
  if (!rc)
    rc = mfs__hamt_meta(m, &cur, &d->pfx, d->fanout, meta, &cur, tsize);
  if (rc)
    return rc;
  *cid = cur;
  if (d->delta >= 0)
    return 0;
  fit_t f = {0};
  rc = dag_ls(&cur, mfs__get_cb, m, fit_ent, &f);
  if (rc == 1 || rc < 0)
    return rc < 0 ? rc : 0;
  mfs__dir_t flat;
  memset(&flat, 0, sizeof flat);
  flat.fanout = d->fanout;
  flat.pfx = d->pfx;
  flat.has_meta = d->has_meta;
  flat.meta = d->meta;
  if (!(rc = dag_ls(&cur, mfs__get_cb, m, add_ent, &flat)))
    rc = store_flat(m, &flat, cid, tsize);
  dnode_free(&flat);
  return rc;
}

static int store_dir(mfs_t *m, const mfs__dir_t *d, dag_cid_t *cid,
                     uint64_t *tsize) {
  return d->lazy ? store_hamt(m, d, cid, tsize) : store_flat(m, d, cid, tsize);
}

static int store_flat(mfs_t *m, const mfs__dir_t *d, dag_cid_t *cid,
                      uint64_t *tsize) {
  dag_import_opts_t o;
  int rc = dag_import_profile(&o, "unixfs-v0-2015");
  if (rc)
    return rc;
  o.cid_version = d->pfx.version;
  o.mh_code = d->pfx.mh;
  o.hamt_estimate = DAG_HAMT_EST_LINKS;
  o.hamt_threshold = MFS_SHARD_SIZE;
  o.hamt_fanout = d->fanout ? d->fanout : 256;
  if (d->hamt && estimate(d) >= d->est0)
    o.hamt_threshold = 0; /* stays a HAMT */
  dag_dir_t *b;
  if ((rc = dag_dir_new(&b, &o, mfs__put, m)))
    return rc;
  for (size_t i = 0; i < d->n && !rc; i++)
    rc = dag_dir_add(b, d->e[i].name, d->e[i].len, &d->e[i].cid,
                     d->e[i].tsize);
  if (!rc && d->has_meta)
    dag_dir_set_meta(b, &d->meta);
  dag_import_result_t res;
  if (!rc)
    rc = dag_dir_finish(b, &res);
  dag_dir_free(b);
  if (!rc)
    *cid = res.cid, *tsize = res.tsize;
  return rc;
}

static void empty_dir(mfs__dir_t *d, const mfs_prefix_t *p) {
  memset(d, 0, sizeof *d);
  d->fanout = 256;
  d->pfx = *p;
}

/* ---------------------------------------------------------------- lookup */

void mfs__join(const mfs__segs_t *sg, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && i < sg->n; i++) {
    int w = snprintf(out + o, cap - o, "%s%.*s", i ? "/" : "",
                     (int)sg->l[i], sg->s[i]);
    if (w < 0 || (size_t)w >= cap - o)
      break;
    o += (size_t)w;
  }
  out[o < cap ? o : cap - 1] = 0;
}

int mfs__parse(mfs_t *m, const char *path, char *clean, mfs__segs_t *sg) {
  int rc = mfs_check_path(m, path, clean, MFS_PATH_MAX + 2);
  if (!rc && split(clean, sg->s, sg->l, MFS__MAX_SEGS, &sg->n))
    rc = mfs__fail(m, TR_EUSAGE, "path too deep");
  return rc;
}

/* Follow sg's first k segments from the root (DirLookup). */
int mfs__lookup_segs(mfs_t *m, const mfs__segs_t *sg, size_t k,
                     dag_cid_t *out) {
  int rc = mfs_root(m, out);
  for (size_t i = 0; i < k && !rc; i++) {
    dag_cid_t next;
    rc = dag_resolve(out, sg->s[i], sg->l[i], mfs__get_cb, m, &next);
    if (rc == TR_EPATH)
      return mfs__fail(m, rc, "file does not exist");
    if (rc == TR_ENOTDIR) {
      char p[MFS_PATH_MAX];
      mfs__join(sg, i + 1, p, sizeof p);
      return mfs__fail(m, rc, "cannot access %s: Not a directory", p);
    }
    *out = next;
  }
  return rc;
}

int mfs_lookup(mfs_t *m, const char *path, dag_cid_t *out) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t sg;
  int rc = mfs__parse(m, path, clean, &sg);
  return rc ? rc : mfs__lookup_segs(m, &sg, sg.n, out);
}

int mfs_parent_prefix(mfs_t *m, const char *path, mfs_prefix_t *p) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t sg;
  dag_cid_t dir;
  int rc = mfs__parse(m, path, clean, &sg);
  if (!rc)
    rc = mfs__lookup_segs(m, &sg, sg.n ? sg.n - 1 : 0, &dir);
  if (!rc)
    p->version = dir.version, p->mh = dir.mh_code;
  return rc;
}

/* ----------------------------------------------------------------- edits */

int mfs__edit(mfs_t *m, const mfs__segs_t *sg, size_t k, unsigned flags,
                const mfs_prefix_t *newp, mfs__edit_fn fn, void *ud) {
  mfs__dir_t *d = tr_calloc(k + 1, sizeof *d);
  if (!d)
    return -ENOMEM;
  size_t loaded = 0;
  dag_cid_t cid;
  uint64_t tsize;
  int rc = mfs_root(m, &cid);
  if (!rc && !(rc = load_dir(m, &cid, &d[0]))) {
    loaded = 1;
    /* Kubo: the root's CID format is Import.CidVersion and HashFunction's
     * (its builder is set from them), whatever it was stored with. */
    d[0].pfx = m->dflt;
  }
  for (size_t i = 0; i < k && !rc; i++) {
    dag_cid_t at;
    uint64_t ats;
    int kind = 0, got = mfs__dir_get(m, &d[i], sg->s[i], sg->l[i], &at, &ats);
    if (got && got != TR_EPATH) {
      rc = got;
    } else if (got && !(flags & MFS__E_PARENTS)) {
      rc = mfs__fail(m, TR_EPATH, "file does not exist");
    } else if (got) {
      empty_dir(&d[i + 1], newp ? newp : &m->dflt);
      loaded++;
    } else if (!(rc = mfs__kind(m, &at, &kind)) &&
               kind != DAG_NODE_DIR) {
      char p[MFS_PATH_MAX];
      if (flags & MFS__E_MKDIR) {
        mfs__join(sg, i, p, sizeof p);
        rc = mfs__fail(m, TR_ENOTDIR, "%s was not a directory", p);
      } else if (i + 1 == k && (flags & MFS__E_LOOKUPDIR)) {
        mfs__join(sg, i + 1, p, sizeof p);
        rc = mfs__fail(m, TR_ENOTDIR, "/%s/ is not a directory", p);
      } else if (i + 1 == k && (flags & MFS__E_GETPARENT)) {
        rc = mfs__fail(m, TR_ENOTDIR, "expected *mfs.Directory, didn't get "
                       "it. This is likely a race condition");
      } else {
        mfs__join(sg, i + 2, p, sizeof p);
        rc = mfs__fail(m, TR_ENOTDIR, "cannot access %s: Not a directory", p);
      }
    } else if (!rc && !(rc = load_dir(m, &at, &d[i + 1]))) {
      loaded++;
    }
  }
  if (!rc)
    rc = fn(m, &d[k], ud);
  if (rc == 1) {
    rc = 0; /* nothing to store */
  } else if (!rc) {
    for (size_t i = k; i > 0 && !rc; i--)
      if (!(rc = store_dir(m, &d[i], &cid, &tsize)))
        rc = mfs__dir_set(m, &d[i - 1], sg->s[i - 1], sg->l[i - 1], &cid,
                          tsize);
    if (!rc)
      rc = store_dir(m, &d[0], &cid, &tsize);
    if (!rc)
      rc = bs_meta_put(m->txn, MFS_ROOT_KEY, cid.bytes, cid.len);
  }
  for (size_t i = 0; i < loaded; i++)
    dnode_free(&d[i]);
  tr_free(d);
  return rc;
}


int mfs__empty_dir(mfs_t *m, const mfs_prefix_t *p, dag_cid_t *cid,
                   uint64_t *tsize) {
  mfs__dir_t nd;
  empty_dir(&nd, p);
  return store_dir(m, &nd, cid, tsize);
}

void mfs__dir_meta(mfs__dir_t *d, bool set_mode, uint32_t mode,
                   bool set_mtime, int64_t sec, uint32_t nsec) {
  if (set_mode)
    mfs__meta_mode(&d->meta, mode);
  if (set_mtime)
    mfs__meta_mtime(&d->meta, sec, nsec);
  d->has_meta = d->meta.has_mode || d->meta.has_mtime;
}

void mfs__dir_prefix(mfs__dir_t *d, const mfs_prefix_t *p) { d->pfx = *p; }
