/*
 * mfs.c — the MFS tree and its edits (mfs.h).
 *
 * An edit loads the directories from the root down to the one it changes
 * (each whole: its entries, metadata, prefix and whether it is a HAMT),
 * changes that one, then stores each directory again from the bottom up,
 * putting the new CID and cumulative size of the one below into its
 * parent's entry, and records the new root.  A directory is rebuilt from
 * its entries by the importer's directory builder (dag/dir.c), which
 * writes the flat node or the HAMT boxo would: the tree's shape depends on
 * its entries alone, so a rebuild gives the CIDs boxo's in-place edits
 * give.  The cost is a directory's size per edit of anything below it;
 * Kubo rewrites only the HAMT shards on the path.
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

#define MAX_SEGS (MFS_PATH_MAX / 2)

typedef struct segs {
  const char *s[MAX_SEGS];
  size_t l[MAX_SEGS];
  size_t n;
} segs_t;

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
typedef struct dnode {
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
} dnode_t;

static void dnode_free(dnode_t *d) {
  for (size_t i = 0; i < d->n; i++)
    tr_free(d->e[i].name);
  tr_free(d->e);
  memset(d, 0, sizeof *d);
}

static uint64_t estimate(const dnode_t *d) {
  uint64_t s = 0;
  for (size_t i = 0; i < d->n; i++)
    s += d->e[i].len + d->e[i].cid.len;
  return s;
}

static ssize_t ent_find(const dnode_t *d, const char *name, size_t len) {
  for (size_t i = 0; i < d->n; i++)
    if (d->e[i].len == len && !memcmp(d->e[i].name, name, len))
      return (ssize_t)i;
  return -1;
}

/* Set name's entry; fresh: name is known not to be there (a directory
 * being loaded: a listing that repeats a name fails when it is stored,
 * dag_dir_finish's TR_EEXIST), so no search. */
static int ent_put(dnode_t *d, const char *name, size_t len,
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

static int ent_set(dnode_t *d, const char *name, size_t len,
                   const dag_cid_t *cid, uint64_t tsize) {
  return ent_put(d, name, len, cid, tsize, false);
}

static void ent_del(dnode_t *d, size_t i) {
  tr_free(d->e[i].name);
  d->e[i] = d->e[--d->n];
}

/* An entry of d: TR_EPATH when there is none. */
static int dir_get(mfs_t *m, const dnode_t *d, const char *name, size_t len,
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

static int dir_set(mfs_t *m, dnode_t *d, const char *name, size_t len,
                   const dag_cid_t *cid, uint64_t tsize) {
  if (d->lazy) {
    dag_cid_t old;
    uint64_t ots;
    int rc = dir_get(m, d, name, len, &old, &ots);
    if (rc && rc != TR_EPATH)
      return rc;
    d->delta += (int64_t)(len + cid->len) - (rc ? 0 : (int64_t)(len + old.len));
  }
  return ent_set(d, name, len, cid, tsize);
}

/* Remove an entry that is there. */
static int dir_del(mfs_t *m, dnode_t *d, const char *name, size_t len) {
  if (!d->lazy) {
    /* Every link of that name: a hostile directory may list it twice,
     * and boxo's RemoveNodeLink takes them all. */
    for (ssize_t i; (i = ent_find(d, name, len)) >= 0;)
      ent_del(d, (size_t)i);
    return 0;
  }
  dag_cid_t old;
  uint64_t ots;
  int rc = dir_get(m, d, name, len, &old, &ots);
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

static int load_dir(mfs_t *m, const dag_cid_t *cid, dnode_t *d) {
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
static int store_flat(mfs_t *m, const dnode_t *d, dag_cid_t *cid,
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
static int store_hamt(mfs_t *m, const dnode_t *d, dag_cid_t *cid,
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
  dnode_t flat;
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

static int store_dir(mfs_t *m, const dnode_t *d, dag_cid_t *cid,
                     uint64_t *tsize) {
  return d->lazy ? store_hamt(m, d, cid, tsize) : store_flat(m, d, cid, tsize);
}

static int store_flat(mfs_t *m, const dnode_t *d, dag_cid_t *cid,
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

static void empty_dir(dnode_t *d, const mfs_prefix_t *p) {
  memset(d, 0, sizeof *d);
  d->fanout = 256;
  d->pfx = *p;
}

/* ---------------------------------------------------------------- lookup */

static void join(const segs_t *sg, size_t n, char *out, size_t cap) {
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

static int parse(mfs_t *m, const char *path, char *clean, segs_t *sg) {
  int rc = mfs_check_path(m, path, clean, MFS_PATH_MAX + 2);
  if (!rc && split(clean, sg->s, sg->l, MAX_SEGS, &sg->n))
    rc = mfs__fail(m, TR_EUSAGE, "path too deep");
  return rc;
}

/* Follow sg's first k segments from the root (DirLookup). */
static int lookup_segs(mfs_t *m, const segs_t *sg, size_t k, dag_cid_t *out) {
  int rc = mfs_root(m, out);
  for (size_t i = 0; i < k && !rc; i++) {
    dag_cid_t next;
    rc = dag_resolve(out, sg->s[i], sg->l[i], mfs__get_cb, m, &next);
    if (rc == TR_EPATH)
      return mfs__fail(m, rc, "file does not exist");
    if (rc == TR_ENOTDIR) {
      char p[MFS_PATH_MAX];
      join(sg, i + 1, p, sizeof p);
      return mfs__fail(m, rc, "cannot access %s: Not a directory", p);
    }
    *out = next;
  }
  return rc;
}

int mfs_lookup(mfs_t *m, const char *path, dag_cid_t *out) {
  char clean[MFS_PATH_MAX + 2];
  segs_t sg;
  int rc = parse(m, path, clean, &sg);
  return rc ? rc : lookup_segs(m, &sg, sg.n, out);
}

int mfs_parent_prefix(mfs_t *m, const char *path, mfs_prefix_t *p) {
  char clean[MFS_PATH_MAX + 2];
  segs_t sg;
  dag_cid_t dir;
  int rc = parse(m, path, clean, &sg);
  if (!rc)
    rc = lookup_segs(m, &sg, sg.n ? sg.n - 1 : 0, &dir);
  if (!rc)
    p->version = dir.version, p->mh = dir.mh_code;
  return rc;
}

/* ----------------------------------------------------------------- edits */

enum {
  E_PARENTS = 1, /* make missing directories on the way (mkdir -p) */
  E_MKDIR = 2,   /* mkdir's message for a file on the way */
  /* The message when the directory edited itself is a file: boxo's
   * lookupDir (PutNode: cp), or Kubo's getParentDir (rm). */
  E_LOOKUPDIR = 4,
  E_GETPARENT = 8,
};

/* The directory at sg's first k segments, edited by fn (0: store the
 * change; 1: nothing changed). */
typedef int (*edit_fn)(mfs_t *m, dnode_t *dir, void *ud);

static int edit(mfs_t *m, const segs_t *sg, size_t k, unsigned flags,
                const mfs_prefix_t *newp, edit_fn fn, void *ud) {
  dnode_t *d = tr_calloc(k + 1, sizeof *d);
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
    int kind = 0, got = dir_get(m, &d[i], sg->s[i], sg->l[i], &at, &ats);
    if (got && got != TR_EPATH) {
      rc = got;
    } else if (got && !(flags & E_PARENTS)) {
      rc = mfs__fail(m, TR_EPATH, "file does not exist");
    } else if (got) {
      empty_dir(&d[i + 1], newp ? newp : &m->dflt);
      loaded++;
    } else if (!(rc = mfs__kind(m, &at, &kind)) &&
               kind != DAG_NODE_DIR) {
      char p[MFS_PATH_MAX];
      if (flags & E_MKDIR) {
        join(sg, i, p, sizeof p);
        rc = mfs__fail(m, TR_ENOTDIR, "%s was not a directory", p);
      } else if (i + 1 == k && (flags & E_LOOKUPDIR)) {
        join(sg, i + 1, p, sizeof p);
        rc = mfs__fail(m, TR_ENOTDIR, "/%s/ is not a directory", p);
      } else if (i + 1 == k && (flags & E_GETPARENT)) {
        rc = mfs__fail(m, TR_ENOTDIR, "expected *mfs.Directory, didn't get "
                       "it. This is likely a race condition");
      } else {
        join(sg, i + 2, p, sizeof p);
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
        rc = dir_set(m, &d[i - 1], sg->s[i - 1], sg->l[i - 1], &cid, tsize);
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

/* mkdir */

typedef struct mk {
  const segs_t *sg;
  const mfs_prefix_t *p;
  bool parents;
} mk_t;

static int mk_fn(mfs_t *m, dnode_t *dir, void *ud) {
  mk_t *x = ud;
  const char *name = x->sg->s[x->sg->n - 1];
  size_t len = x->sg->l[x->sg->n - 1];
  dag_cid_t at;
  uint64_t ats;
  int got = dir_get(m, dir, name, len, &at, &ats);
  if (got && got != TR_EPATH)
    return got;
  if (!got) {
    int kind = 0, rc = mfs__kind(m, &at, &kind);
    if (rc)
      return rc;
    if (x->parents && kind == DAG_NODE_DIR)
      return 1;
    return mfs__fail(m, TR_EEXIST, "file already exists");
  }
  dnode_t nd;
  dag_cid_t cid;
  uint64_t tsize;
  empty_dir(&nd, x->p);
  int rc = store_dir(m, &nd, &cid, &tsize);
  return rc ? rc : dir_set(m, dir, name, len, &cid, tsize);
}

int mfs_mkdir(mfs_t *m, const char *path, bool parents,
              const mfs_prefix_t *p) {
  char clean[MFS_PATH_MAX + 2];
  segs_t sg;
  int rc = parse(m, path, clean, &sg);
  if (rc)
    return rc;
  if (!sg.n)
    return parents ? 0
                   : mfs__fail(m, TR_EEXIST, "cannot create directory '/': "
                               "Already exists");
  mk_t x = {&sg, p ? p : &m->dflt, parents};
  return edit(m, &sg, sg.n - 1, E_MKDIR | (parents ? E_PARENTS : 0), x.p,
              mk_fn, &x);
}

/* put (cp, write's new file) */

typedef struct put {
  const char *name;
  size_t len;
  const dag_cid_t *cid;
  uint64_t tsize;
  bool force, replace_file, must_exist;
  bool plain; /* mv's message for a name taken */
  const char *path;
} put_t;

static int put_fn(mfs_t *m, dnode_t *dir, void *ud) {
  put_t *x = ud;
  dag_cid_t cur;
  uint64_t cts;
  int at = dir_get(m, dir, x->name, x->len, &cur, &cts);
  if (at && at != TR_EPATH)
    return at;
  if (!at && (x->force || x->replace_file)) {
    int kind = 0, rc = mfs__kind(m, &cur, &kind);
    if (rc)
      return rc;
    if (kind == DAG_NODE_DIR)
      return x->force ? mfs__fail(m, TR_ENOTFILE, "cp: cannot unlink "
                                  "existing file: not a file: %s", x->path)
                      : mfs__fail(m, TR_ENOTFILE, "%s was not a file",
                                  x->path);
  } else if (!at) {
    return x->plain ? mfs__fail(m, TR_EEXIST, "directory already has entry "
                                "by that name")
                    : mfs__fail(m, TR_EEXIST, "cp: cannot put node in path "
                                "%s: directory already has entry by that "
                                "name", x->path);
  } else if (x->must_exist) {
    return mfs__fail(m, TR_EPATH, "file does not exist");
  }
  return dir_set(m, dir, x->name, x->len, x->cid, x->tsize);
}

static int put_at(mfs_t *m, const char *dst, const dag_cid_t *node,
                  uint64_t tsize, bool parents, put_t *x) {
  char clean[MFS_PATH_MAX + 2];
  segs_t sg;
  int rc = parse(m, dst, clean, &sg);
  if (rc)
    return rc;
  if (!sg.n)
    return mfs__fail(m, TR_EUSAGE, "cannot create file with empty name");
  x->name = sg.s[sg.n - 1];
  x->len = sg.l[sg.n - 1];
  x->cid = node;
  x->tsize = tsize;
  x->path = clean;
  return edit(m, &sg, sg.n - 1, parents ? E_PARENTS | E_MKDIR : E_LOOKUPDIR,
              NULL, put_fn, x);
}

int mfs_put(mfs_t *m, const char *dst, const dag_cid_t *node,
            uint64_t tsize, bool parents, bool force) {
  put_t x = {.force = force};
  int rc = put_at(m, dst, node, tsize, parents, &x);
  /* Kubo wraps PutNode's errors; with -p the mkdir before it has its own
   * messages. */
  if (rc && rc != TR_ENOTFOUND && !parents && m->err[0] &&
      strncmp(m->err, "cp: ", 4)) {
    char e[MFS_ERR_MAX], clean[MFS_PATH_MAX + 2];
    snprintf(e, sizeof e, "%s", m->err);
    m->err[0] = 0;
    if (mfs_check_path(m, dst, clean, sizeof clean))
      snprintf(clean, sizeof clean, "%.4000s", dst);
    m->err[0] = 0;
    mfs__fail(m, rc, "cp: cannot put node in path %.400s: %.400s", clean, e);
  }
  return rc;
}

int mfs_set_file(mfs_t *m, const char *path, const dag_cid_t *cid,
                 uint64_t tsize, bool create, bool parents) {
  put_t x = {.replace_file = true, .must_exist = !create};
  return put_at(m, path, cid, tsize, parents, &x);
}

/* rm */

typedef struct rm {
  const char *name;
  size_t len;
  bool recursive, force;
} rm_t;

static int rm_fn(mfs_t *m, dnode_t *dir, void *ud) {
  rm_t *x = ud;
  dag_cid_t cur;
  uint64_t cts;
  int at = dir_get(m, dir, x->name, x->len, &cur, &cts);
  if (at && at != TR_EPATH)
    return at;
  if (at)
    return x->force ? 1 : mfs__fail(m, TR_EPATH, "file does not exist");
  if (!x->force && !x->recursive) {
    int kind = 0, rc = mfs__kind(m, &cur, &kind);
    if (rc)
      return rc;
    if (kind == DAG_NODE_DIR)
      return mfs__fail(m, TR_ENOTFILE, "path is a directory, use -r to "
                       "remove directories");
  }
  return dir_del(m, dir, x->name, x->len);
}

int mfs_rm(mfs_t *m, const char *path, bool recursive, bool force) {
  char clean[MFS_PATH_MAX + 2];
  segs_t sg;
  int rc = parse(m, path, clean, &sg);
  if (rc)
    return rc;
  if (!sg.n)
    return mfs__fail(m, TR_EUSAGE, "cannot delete root");
  rm_t x = {sg.s[sg.n - 1], sg.l[sg.n - 1], recursive, force};
  rc = edit(m, &sg, sg.n - 1, E_GETPARENT, NULL, rm_fn, &x);
  if (force && rc == TR_EPATH) {
    m->err[0] = 0; /* Kubo: nothing there is no error with --force */
    rc = 0;
  }
  return rc;
}

/* mv */

/* The directory at sg's first k segments (boxo's lookupDir). */
static int lookup_dir(mfs_t *m, const segs_t *sg, size_t k, const char *as,
                      dag_cid_t *dir) {
  int kind = 0, rc = lookup_segs(m, sg, k, dir);
  if (!rc && !(rc = mfs__kind(m, dir, &kind)) && kind != DAG_NODE_DIR)
    rc = mfs__fail(m, TR_ENOTDIR, "%s is not a directory", as);
  return rc;
}

/* The directory part of a clean path as Go's path.Split gives it. */
static void dir_part(const char *clean, char *out, size_t cap) {
  const char *slash = strrchr(clean, '/');
  size_t n = slash ? (size_t)(slash - clean) + 1 : 0;
  snprintf(out, cap, "%.*s", (int)n, clean);
}

int mfs_mv(mfs_t *m, const char *src, const char *dst) {
  char sc[MFS_PATH_MAX + 2], dc[MFS_PATH_MAX + 2], sdir[MFS_PATH_MAX + 2],
      ddir[MFS_PATH_MAX + 2];
  segs_t *ss = tr_malloc(sizeof *ss), *ds = tr_malloc(sizeof *ds);
  int rc = ss && ds ? 0 : -ENOMEM;
  if (!rc)
    rc = parse(m, src, sc, ss);
  if (!rc)
    rc = parse(m, dst, dc, ds);
  if (rc)
    goto out;
  bool dst_slash = dc[strlen(dc) - 1] == '/';
  if (!ss->n || sc[strlen(sc) - 1] == '/') {
    rc = mfs__fail(m, TR_EPATH, "file does not exist");
    goto out;
  }
  const char *sname = ss->s[ss->n - 1];
  size_t slen = ss->l[ss->n - 1];
  size_t dk = dst_slash || !ds->n ? ds->n : ds->n - 1;
  const char *dname = dk < ds->n ? ds->s[ds->n - 1] : sname;
  size_t dlen = dk < ds->n ? ds->l[ds->n - 1] : slen;
  dag_cid_t d_dir, s_dir, node, there;
  uint64_t tsize;
  if (dst_slash)
    snprintf(ddir, sizeof ddir, "%s", dc);
  else
    dir_part(dc, ddir, sizeof ddir);
  dir_part(sc, sdir, sizeof sdir);
  if ((rc = lookup_dir(m, ds, dk, ddir, &d_dir)) ||
      (rc = lookup_dir(m, ss, ss->n - 1, sdir, &s_dir)))
    goto out;
  rc = dag_resolve(&s_dir, sname, slen, mfs__get_cb, m, &node);
  if (rc == TR_EPATH)
    rc = mfs__fail(m, rc, "file does not exist");
  if (rc || (rc = mfs_cumulative(m, &node, &tsize)))
    goto out;
  /* Onto a directory: into it, under the source's name. */
  char to[2 * MFS_PATH_MAX + 4];
  snprintf(to, sizeof to, "%s%s%.*s", ddir,
           ddir[strlen(ddir) - 1] == '/' ? "" : "/", (int)dlen, dname);
  int kind = 0;
  rc = dag_resolve(&d_dir, dname, dlen, mfs__get_cb, m, &there);
  if (!rc && !(rc = mfs__kind(m, &there, &kind)) && kind == DAG_NODE_DIR) {
    size_t l = strlen(to);
    snprintf(to + l, sizeof to - l, "/%.*s", (int)slen, sname);
  }
  if (rc == TR_EPATH)
    rc = 0;
  if (rc)
    goto out;
  put_t x = {.replace_file = kind != DAG_NODE_DIR, .plain = true};
  if ((rc = put_at(m, to, &node, tsize, false, &x)))
    goto out;
  char fromc[MFS_PATH_MAX + 2], toc[MFS_PATH_MAX + 2];
  snprintf(fromc, sizeof fromc, "%s", sc);
  if (!mfs_check_path(m, to, toc, sizeof toc) && !strcmp(fromc, toc))
    goto out; /* onto itself */
  rm_t r = {sname, slen, true, false};
  rc = edit(m, ss, ss->n - 1, 0, NULL, rm_fn, &r);
out:
  tr_free(ss);
  tr_free(ds);
  return rc;
}

/* chmod, touch */

typedef struct meta_op {
  bool set_mode, set_mtime;
  uint32_t mode;
  int64_t sec;
  uint32_t nsec;
} meta_op_t;

static int dmeta_fn(mfs_t *m, dnode_t *dir, void *ud) {
  (void)m;
  meta_op_t *x = ud;
  if (x->set_mode)
    mfs__meta_mode(&dir->meta, x->mode);
  if (x->set_mtime)
    mfs__meta_mtime(&dir->meta, x->sec, x->nsec);
  dir->has_meta = dir->meta.has_mode || dir->meta.has_mtime;
  return 0;
}

static int meta_at(mfs_t *m, const char *path, meta_op_t *x) {
  char clean[MFS_PATH_MAX + 2];
  segs_t *sg = tr_malloc(sizeof *sg);
  dag_cid_t cid, nc;
  uint64_t tsize;
  int kind = 0, rc = sg ? parse(m, path, clean, sg) : -ENOMEM;
  if (!rc)
    rc = lookup_segs(m, sg, sg->n, &cid);
  if (!rc)
    rc = mfs__kind(m, &cid, &kind);
  if (!rc && kind == DAG_NODE_DIR) {
    rc = edit(m, sg, sg->n, 0, NULL, dmeta_fn, x);
  } else if (!rc &&
             !(rc = mfs__node_meta(m, &cid, x->set_mode, x->mode,
                                   x->set_mtime, x->sec, x->nsec, &nc,
                                   &tsize))) {
    put_t p = {.replace_file = true, .name = sg->s[sg->n - 1],
               .len = sg->l[sg->n - 1], .cid = &nc, .tsize = tsize,
               .path = clean};
    rc = edit(m, sg, sg->n - 1, 0, NULL, put_fn, &p);
  }
  tr_free(sg);
  return rc;
}

int mfs_chmod(mfs_t *m, const char *path, uint32_t mode) {
  meta_op_t x = {.set_mode = true, .mode = mode};
  return meta_at(m, path, &x);
}

int mfs_touch(mfs_t *m, const char *path, int64_t sec, uint32_t nsec) {
  meta_op_t x = {.set_mtime = true, .sec = sec, .nsec = nsec};
  return meta_at(m, path, &x);
}

/* chcid */

static int chcid_fn(mfs_t *m, dnode_t *dir, void *ud) {
  (void)m;
  dir->pfx = *(const mfs_prefix_t *)ud;
  return 0;
}

int mfs_chcid(mfs_t *m, const char *path, const mfs_prefix_t *p) {
  char clean[MFS_PATH_MAX + 2];
  segs_t *sg = tr_malloc(sizeof *sg);
  dag_cid_t cid;
  int kind = 0, rc = sg ? parse(m, path, clean, sg) : -ENOMEM;
  /* The root however it is spelled ("/", "//", "/a/.."). */
  if (!rc && !sg->n)
    rc = mfs__fail(m, TR_EUSAGE, "cannot change CID format of the MFS "
                   "root; use 'ipfs config Import.CidVersion' and 'ipfs "
                   "config Import.HashFunction' instead");
  if (!rc)
    rc = lookup_segs(m, sg, sg->n, &cid);
  if (!rc && !(rc = mfs__kind(m, &cid, &kind)) && kind != DAG_NODE_DIR)
    rc = mfs__fail(m, TR_ENOTDIR, "can only update directories");
  if (!rc && p)
    rc = edit(m, sg, sg->n, 0, NULL, chcid_fn, (void *)p);
  tr_free(sg);
  return rc;
}
