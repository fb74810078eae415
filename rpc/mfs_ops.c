/*
 * mfs_ops.c — the MFS's changes (mfs.h): mkdir, cp (put), rm, mv, chmod,
 * touch, chcid, each one edit of mfs.c's (the directory it changes, then
 * the ones above it stored again) with Kubo's rules and messages.
 */
#include "mfs_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mkdir */

typedef struct mk {
  const mfs__segs_t *sg;
  const mfs_prefix_t *p;
  bool parents;
} mk_t;

static int mk_fn(mfs_t *m, mfs__dir_t *dir, void *ud) {
  mk_t *x = ud;
  const char *name = x->sg->s[x->sg->n - 1];
  size_t len = x->sg->l[x->sg->n - 1];
  dag_cid_t at;
  uint64_t ats;
  int got = mfs__dir_get(m, dir, name, len, &at, &ats);
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
  dag_cid_t cid;
  uint64_t tsize;
  int rc = mfs__empty_dir(m, x->p, &cid, &tsize);
  return rc ? rc : mfs__dir_set(m, dir, name, len, &cid, tsize);
}

int mfs_mkdir(mfs_t *m, const char *path, bool parents,
              const mfs_prefix_t *p) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t sg;
  int rc = mfs__parse(m, path, clean, &sg);
  if (rc)
    return rc;
  if (!sg.n)
    return parents ? 0
                   : mfs__fail(m, TR_EEXIST, "cannot create directory '/': "
                               "Already exists");
  mk_t x = {&sg, p ? p : &m->dflt, parents};
  return mfs__edit(m, &sg, sg.n - 1,
                   MFS__E_MKDIR | (parents ? MFS__E_PARENTS : 0), x.p, mk_fn,
                   &x);
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

static int put_fn(mfs_t *m, mfs__dir_t *dir, void *ud) {
  put_t *x = ud;
  dag_cid_t cur;
  uint64_t cts;
  int at = mfs__dir_get(m, dir, x->name, x->len, &cur, &cts);
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
  return mfs__dir_set(m, dir, x->name, x->len, x->cid, x->tsize);
}

static int put_at(mfs_t *m, const char *dst, const dag_cid_t *node,
                  uint64_t tsize, bool parents, put_t *x) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t sg;
  int rc = mfs__parse(m, dst, clean, &sg);
  if (rc)
    return rc;
  if (!sg.n)
    return mfs__fail(m, TR_EUSAGE, "cannot create file with empty name");
  x->name = sg.s[sg.n - 1];
  x->len = sg.l[sg.n - 1];
  x->cid = node;
  x->tsize = tsize;
  x->path = clean;
  return mfs__edit(m, &sg, sg.n - 1,
                   parents ? MFS__E_PARENTS | MFS__E_MKDIR : MFS__E_LOOKUPDIR,
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

static int rm_fn(mfs_t *m, mfs__dir_t *dir, void *ud) {
  rm_t *x = ud;
  dag_cid_t cur;
  uint64_t cts;
  int at = mfs__dir_get(m, dir, x->name, x->len, &cur, &cts);
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
  return mfs__dir_del(m, dir, x->name, x->len);
}

int mfs_rm(mfs_t *m, const char *path, bool recursive, bool force) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t sg;
  int rc = mfs__parse(m, path, clean, &sg);
  if (rc)
    return rc;
  if (!sg.n)
    return mfs__fail(m, TR_EUSAGE, "cannot delete root");
  rm_t x = {sg.s[sg.n - 1], sg.l[sg.n - 1], recursive, force};
  rc = mfs__edit(m, &sg, sg.n - 1, MFS__E_GETPARENT, NULL, rm_fn, &x);
  if (force && rc == TR_EPATH) {
    m->err[0] = 0; /* Kubo: nothing there is no error with --force */
    rc = 0;
  }
  return rc;
}

/* mv */

/* The directory at sg's first k segments (boxo's lookupDir). */
static int lookup_dir(mfs_t *m, const mfs__segs_t *sg, size_t k, const char *as,
                      dag_cid_t *dir) {
  int kind = 0, rc = mfs__lookup_segs(m, sg, k, dir);
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
  mfs__segs_t *ss = tr_malloc(sizeof *ss), *ds = tr_malloc(sizeof *ds);
  int rc = ss && ds ? 0 : -ENOMEM;
  if (!rc)
    rc = mfs__parse(m, src, sc, ss);
  if (!rc)
    rc = mfs__parse(m, dst, dc, ds);
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
  rc = mfs__edit(m, ss, ss->n - 1, 0, NULL, rm_fn, &r);
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

static int dmeta_fn(mfs_t *m, mfs__dir_t *dir, void *ud) {
  (void)m;
  meta_op_t *x = ud;
  mfs__dir_meta(dir, x->set_mode, x->mode, x->set_mtime, x->sec, x->nsec);
  return 0;
}

static int meta_at(mfs_t *m, const char *path, meta_op_t *x) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t *sg = tr_malloc(sizeof *sg);
  dag_cid_t cid, nc;
  uint64_t tsize;
  int kind = 0, rc = sg ? mfs__parse(m, path, clean, sg) : -ENOMEM;
  if (!rc)
    rc = mfs__lookup_segs(m, sg, sg->n, &cid);
  if (!rc)
    rc = mfs__kind(m, &cid, &kind);
  if (!rc && kind == DAG_NODE_DIR) {
    rc = mfs__edit(m, sg, sg->n, 0, NULL, dmeta_fn, x);
  } else if (!rc &&
             !(rc = mfs__node_meta(m, &cid, x->set_mode, x->mode,
                                   x->set_mtime, x->sec, x->nsec, &nc,
                                   &tsize))) {
    put_t p = {.replace_file = true, .name = sg->s[sg->n - 1],
               .len = sg->l[sg->n - 1], .cid = &nc, .tsize = tsize,
               .path = clean};
    rc = mfs__edit(m, sg, sg->n - 1, 0, NULL, put_fn, &p);
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

static int chcid_fn(mfs_t *m, mfs__dir_t *dir, void *ud) {
  (void)m;
  mfs__dir_prefix(dir, ud);
  return 0;
}

int mfs_chcid(mfs_t *m, const char *path, const mfs_prefix_t *p) {
  char clean[MFS_PATH_MAX + 2];
  mfs__segs_t *sg = tr_malloc(sizeof *sg);
  dag_cid_t cid;
  int kind = 0, rc = sg ? mfs__parse(m, path, clean, sg) : -ENOMEM;
  /* The root however it is spelled ("/", "//", "/a/.."). */
  if (!rc && !sg->n)
    rc = mfs__fail(m, TR_EUSAGE, "cannot change CID format of the MFS "
                   "root; use 'ipfs config Import.CidVersion' and 'ipfs "
                   "config Import.HashFunction' instead");
  if (!rc)
    rc = mfs__lookup_segs(m, sg, sg->n, &cid);
  if (!rc && !(rc = mfs__kind(m, &cid, &kind)) && kind != DAG_NODE_DIR)
    rc = mfs__fail(m, TR_ENOTDIR, "can only update directories");
  if (!rc && p)
    rc = mfs__edit(m, sg, sg->n, 0, NULL, chcid_fn, (void *)p);
  tr_free(sg);
  return rc;
}
