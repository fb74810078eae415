/*
 * rpc_add.c — /api/v0/add: files, directory trees and symlinks uploaded as
 * multipart/form-data, imported into UnixFS (dag/importer.h) with the CIDs
 * `trove add` gives, stored through a blockstore batch and pinned, with
 * Kubo's parameters and NDJSON answer:
 *
 *   cid-version= raw-leaves= chunker= hash= max-file-links= profile=
 *   pin=true pin-name= only-hash= wrap-with-directory= silent= progress=
 *   preserve-mode= preserve-mtime= mode= mtime= mtime-nsecs=
 *   nocopy= (files' leaves as filestore references to their Abspath,
 *   rpc/nocopy.h) to-files= (links the result into MFS, rpc/mfs.h)
 *   fscache= (blocks the filestore references are not stored again)
 *   inline= inline-limit=32 (blocks up to the limit get identity CIDs)
 *
 *   {"Name","Hash","Size"} for each file as it completes, for each
 *   directory at the end (children first), and with progress=true
 *   {"Name","Bytes"} every 256 KiB of a file.  Each line also carries the
 *   Mode, Mtime and MtimeNsecs the client sent for the top-level entry it
 *   belongs to, whether or not they are stored, as Kubo's lines do.
 *
 * UnixFS metadata: each part's own mode and mtime come in its form name
 * ("file?mode=0644&mtime=..."), as boxo's MultiFileReader sends them, and
 * are stored as opts.h's rpc_add_meta says.
 *
 * The body is read the way go-ipfs-files reads it (boxo/files
 * multipartfile.go): each part's filename, URL-unescaped and cleaned, is its
 * path; application/x-directory parts are directories, application/symlink
 * parts symlinks (the body is the target), anything else a file; parents
 * that have no part of their own are created.  As Kubo does, each top-level
 * entry is its own add with its own root and pin - unless
 * wrap-with-directory puts them all in one directory named "".  An entry
 * without a name is named by its CID.
 *
 * Everything below runs on the upload thread (rpc_upload.c): file bytes
 * are chunked and hashed as they arrive, and the blocks go to the writer
 * thread of a blockstore pipe (blockstore/pipe.h), the one `trove add`
 * uses, which puts and commits them while the next ones are hashed.  Its
 * batch commits at its size, after at most a second, and whenever the body
 * stalls for 100 ms: a slow client never holds the repo's one write lock
 * for long.  The "added" lines and the pins go through the same pipe, so
 * a line reaches the client only after the commit that holds its blocks,
 * and a pin is written after the blocks it covers.  The gc lock is held
 * shared from start to pin.  The tree of names and CIDs is kept in memory
 * until its top-level entry is done; file data never is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../blockstore/pipe.h"
#include "../config/config.h"
#include "../dag/importer.h"
#include "mfs.h"
#include "nocopy.h"
#include "rpc_int.h"

#define PROGRESS_STEP (256u << 10)
/* The longest a batch's transaction stays open while blocks come. */
#define BATCH_MAX_MS 1000
#define MAX_TREE_DEPTH 4096

enum { K_NONE, K_FILE, K_DIR, K_SYMLINK };

typedef struct anode {
  char *name;
  bool dir;
  dag_cid_t cid;
  uint64_t tsize;
  struct anode **kids;
  size_t nkids, cap;
  bool has_meta; /* a directory's, from its own part */
  bool skipped;  /* an empty directory left out (empty-dirs=false) */
  dag_meta_t meta;
  size_t last; /* index of the child found or added last */
  /* Walk state for build_dir() and node_free(), which climb the tree with
   * these instead of recursing: a tree MAX_TREE_DEPTH deep overflowed the
   * upload thread's stack. */
  struct anode *up;
  size_t next, base;
} anode_t;

typedef struct add {
  dag_import_opts_t o;
  rpc_vals_t vals; /* the query's options; o and pin_name point into it */
  json_t *cfg;     /* the repo's config: o.chunker may point into it */
  bool wrap, pin, only_hash, silent, progress, empty_dirs;
  const char *pin_name;
  /* Upload thread state. */
  bs_pipe_t *pipe; /* the writer thread; NULL with only-hash */
  int lock;
  dag_file_t *file;
  int kind;
  char *path;
  tr_bytes_t link;
  uint64_t bytes, reported;
  rpc_nocopy_t nc; /* nocopy=: leaves as references to the part's file */
  char err[4200];  /* nocopy's message for a failure, or "" */
  uint8_t *edge; /* the pipe's room gathering a leaf across runs */
  size_t edge_len, edge_cap;
  anode_t root;  /* top-level entries (all of them with wrap) */
  anode_t *top;  /* without wrap: the top-level directory being filled */
  uint64_t nparts;
  rpc_add_opts_t mo;  /* the metadata options */
  rpc_fmeta_t own;    /* the part's own metadata */
  rpc_fmeta_t echo;   /* the top-level entry's, for the lines (no wrap) */
  rpc_up_t *u;
  /* --to-files: the top-level entries added, linked into MFS at the end */
  struct added {
    char *name;
    dag_cid_t cid;
  } *tops;
  size_t ntops;
} add_t;

/* ---------------------------------------------------------------- tree */

/* Free what root holds and its whole subtree (root itself is the caller's),
 * depth first without recursion and without allocating. */
static void node_free(anode_t *root) {
  anode_t *n = root;
  root->up = NULL;
  while (n) {
    if (n->nkids) {
      anode_t *k = n->kids[--n->nkids];
      k->up = n;
      n = k;
      continue;
    }
    anode_t *up = n->up;
    tr_free(n->kids);
    tr_free(n->name);
    n->kids = NULL;
    n->cap = 0;
    n->name = NULL;
    if (n == root)
      break;
    tr_free(n);
    n = up;
  }
}

static bool named(const anode_t *n, const char *name, size_t len) {
  return strlen(n->name) == len && !memcmp(n->name, name, len);
}

/* Parts come in tree order, so the child looked up last is nearly always
 * the one wanted: check it first, and a wide directory costs O(1) per part
 * instead of a scan. */
static anode_t *child(anode_t *d, const char *name, size_t len) {
  if (d->last < d->nkids && named(d->kids[d->last], name, len))
    return d->kids[d->last];
  for (size_t i = d->nkids; i-- > 0;)
    if (named(d->kids[i], name, len)) {
      d->last = i;
      return d->kids[i];
    }
  return NULL;
}

static anode_t *add_child(anode_t *d, const char *name, size_t len, bool dir) {
  if (d->nkids == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 8;
    anode_t **k = tr_realloc(d->kids, cap * sizeof *k);
    if (!k)
      return NULL;
    d->kids = k;
    d->cap = cap;
  }
  anode_t *n = tr_calloc(1, sizeof *n);
  if (!n || !(n->name = tr_strndup(name, len))) {
    tr_free(n);
    return NULL;
  }
  n->dir = dir;
  d->last = d->nkids;
  d->kids[d->nkids++] = n;
  return n;
}

/* The directory at path[0..len) under base, created as needed. */
static int tree_dir(anode_t *base, const char *path, size_t len,
                    anode_t **out) {
  anode_t *d = base;
  int depth = 0;
  for (size_t i = 0; i < len;) {
    size_t n = strcspn(path + i, "/");
    if (n > len - i)
      n = len - i;
    if (++depth > MAX_TREE_DEPTH)
      return TR_ETOOBIG;
    anode_t *c = child(d, path + i, n);
    if (c && !c->dir)
      return TR_EEXIST;
    if (!c && !(c = add_child(d, path + i, n, true)))
      return -ENOMEM;
    d = c;
    i += n + 1;
  }
  *out = d;
  return 0;
}

static int cmp_node(const void *a, const void *b) {
  return strcmp((*(anode_t *const *)a)->name, (*(anode_t *const *)b)->name);
}

/* ---------------------------------------------------------- blockstore */

static int put_block(const dag_cid_t *cid, const uint8_t *data, size_t len,
                     void *ud) {
  add_t *a = ud;
  if (!a->pipe)
    return 0;
  int rc = rpc_nocopy_put(&a->nc, a->pipe, cid, len, a->err, sizeof a->err);
  return rc ? (rc < 0 ? rc : 0) : rpc_up_put(a->u, a->pipe, cid, data, len);
}

/* A root of the add: announced (Kubo provides new roots at once), and
 * pinned unless pin=false.  The pin is queued, not waited for: its error,
 * if any, is the pipe's, met at the next put or at the end. */
static int pin_root(add_t *a, const dag_cid_t *cid, const char *name) {
  if (a->only_hash)
    return 0;
  if (a->mo.to_files) {
    struct added *t = tr_realloc(a->tops, (a->ntops + 1) * sizeof *t);
    if (!t)
      return -ENOMEM;
    a->tops = t;
    if (!(t[a->ntops].name = tr_strdup(name)))
      return -ENOMEM;
    t[a->ntops++].cid = *cid;
  }
  rpc_announce(rpc_up_ctx(a->u), cid);
  if (!a->pin)
    return 0;
  return bs_pipe_pin(a->pipe, cid, a->pin_name);
}

/* A raw leaf of a fixed-size chunker that straddles two runs of body (the
 * upload hands over up to a slab at a time, so a quarter of 1 MiB leaves
 * do) is gathered in the pipe's room (bs_pipe_room) and put from there,
 * as `trove add` reads its leaves: one copy, where the importer's buffer
 * and the copy into the queue made two.  The room is the pipe's until the
 * next call on it: gather_end gives the bytes to the importer before
 * anything else reaches the pipe (a part's end, an idle commit). */
static int gather_end(add_t *a) {
  uint8_t *e = a->edge;
  a->edge = NULL;
  return e ? dag_file_write(a->file, e, a->edge_len) : 0;
}

/* File bytes p[0..n) to the importer: whole leaves where they lie (lent
 * to the pipe, rpc_up_put), a straddling one gathered (above). */
static int file_write(add_t *a, const uint8_t *p, size_t n) {
  int rc;
  if (a->edge) {
    size_t k = n < a->edge_cap - a->edge_len ? n : a->edge_cap - a->edge_len;
    memcpy(a->edge + a->edge_len, p, k);
    a->edge_len += k;
    p += k;
    n -= k;
    if (a->edge_len < a->edge_cap)
      return 0;
    if ((rc = gather_end(a)))
      return rc;
  }
  /* nocopy queues no leaf bytes: none to gather in the pipe's room. */
  size_t chunk = a->pipe && !a->nc.on ? dag_file_inplace(a->file) : 0;
  size_t tail = chunk ? n % chunk : 0;
  if ((rc = dag_file_write(a->file, p, n - tail)) || !tail)
    return rc;
  if (dag_file_inplace(a->file) != chunk)
    return dag_file_write(a->file, p + n - tail, tail);
  if ((rc = bs_pipe_room(a->pipe, chunk, &a->edge)))
    return rc;
  memcpy(a->edge, p + n - tail, tail);
  a->edge_len = tail;
  a->edge_cap = chunk;
  return 0;
}

/* -------------------------------------------------------------- output */

/* The pipe's lines callback (writer thread): lines whose blocks are
 * committed now. */
static int send_lines(const char *lines, size_t len, void *ud) {
  add_t *a = ud;
  return rpc_up_write(a->u, lines, len);
}

/* Kubo's lines carry the top-level entry's metadata as the client sent it
 * (core/commands/add.go: addit.Node().Mode() and ModTime()). */
static void echo_meta(const add_t *a, json_t *line) {
  const rpc_fmeta_t *m = &a->echo;
  if (!line)
    return;
  if (m->gomode) {
    char mode[16];
    snprintf(mode, sizeof mode, "0%o", m->gomode);
    json_object_set_new(line, "Mode", json_string(mode));
  }
  if (m->has_mtime && m->sec)
    json_object_set_new(line, "Mtime", json_integer((json_int_t)m->sec));
  if (m->has_mtime && m->nsec)
    json_object_set_new(line, "MtimeNsecs", json_integer(m->nsec));
}

/* A file's or directory's line, queued behind its blocks in the pipe so
 * that a client never sees as added what a crash can lose. */
static int emit_added(add_t *a, const char *name, const dag_cid_t *cid,
                      uint64_t tsize) {
  if (a->silent)
    return 0;
  char s[DAG_CID_STR_MAX], size[24];
  snprintf(size, sizeof size, "%llu", (unsigned long long)tsize);
  json_t *line = json_pack("{s:o,s:s,s:s}", "Name", rpc_json_str(name),
                           "Hash", dag_cid_str(cid, s), "Size", size);
  echo_meta(a, line);
  if (!a->pipe)
    return rpc_up_emit(a->u, line);
  char *j = line ? rpc_json_dumps(line, JSON_COMPACT) : NULL;
  json_decref(line);
  if (!j)
    return -ENOMEM;
  size_t n = strlen(j);
  j[n] = '\n'; /* over the NUL: the length says where it ends */
  int rc = bs_pipe_line(a->pipe, j, n + 1);
  free(j);
  return rc;
}

/* Report bytes taken of the file: a->bytes at its end, each multiple of
 * PROGRESS_STEP passed before (add_data). */
static int emit_progress(add_t *a, const char *name, uint64_t bytes) {
  a->reported = bytes;
  if (!a->progress || a->silent)
    return 0;
  json_t *line = json_pack("{s:o,s:I}", "Name", rpc_json_str(name), "Bytes",
                           (json_int_t)bytes);
  echo_meta(a, line);
  return rpc_up_emit(a->u, line);
}

/* Make the directory block of d, whose children are all built, and emit
 * its line; its path is path[0..len), NUL-terminated. */
static int dir_finish(add_t *a, anode_t *d, const char *path) {
  dag_dir_t *dd;
  int rc = dag_dir_new(&dd, &a->o, put_block, a);
  if (rc)
    return rc;
  for (size_t i = 0; i < d->nkids && !rc; i++)
    if (!d->kids[i]->skipped)
      rc = dag_dir_add(dd, d->kids[i]->name, strlen(d->kids[i]->name),
                       &d->kids[i]->cid, d->kids[i]->tsize);
  dag_meta_t m;
  if (d->has_meta)
    dag_dir_set_meta(dd, &d->meta);
  else if (d == &a->root && rpc_add_meta(&a->mo, NULL, RPC_META_DIR, &m))
    dag_dir_set_meta(dd, &m); /* -w's directory: no metadata of its own */
  dag_import_result_t res;
  if (!rc)
    rc = dag_dir_finish(dd, &res);
  dag_dir_free(dd);
  if (rc)
    return rc;
  d->cid = res.cid;
  d->tsize = res.tsize;
  return emit_added(a, path, &d->cid, d->tsize);
}

static void enter(anode_t *d, anode_t *up, size_t base) {
  d->up = up;
  d->next = 0;
  d->base = base;
  if (d->nkids > 1) /* qsort(NULL, 0) is undefined */
    qsort(d->kids, d->nkids, sizeof *d->kids, cmp_node);
}

/* Build the directory top and every directory below it, children first,
 * emitting each directory's line with its path as Kubo's outputDirs does.
 * path holds top's path.  Iterative: each node keeps its parent, the next
 * child to visit and the length of its path (anode_t's walk state), so
 * the stack stays flat however deep the tree. */
static int build_dir(add_t *a, anode_t *top, tr_bytes_t *path) {
  int rc = 0;
  enter(top, NULL, path->len);
  for (anode_t *d = top; d && !rc;) {
    while (d->next < d->nkids && !d->kids[d->next]->dir)
      d->next++;
    if (d->next < d->nkids) {
      anode_t *k = d->kids[d->next++];
      /* Kubo's adder: a directory that came empty is left out, unless
       * it is an argument (top) or empty-dirs is on */
      if (!a->empty_dirs && !k->nkids) {
        k->skipped = true;
        continue;
      }
      path->len = d->base;
      if ((d->base && (rc = tr_bytes_append(path, "/", 1))) ||
          (rc = tr_bytes_append(path, k->name, strlen(k->name) + 1)))
        break;
      path->len--; /* keep the NUL out of the length */
      enter(k, d, path->len);
      d = k;
      continue;
    }
    path->len = d->base;
    if ((rc = tr_bytes_append(path, "", 1)))
      break;
    path->len = d->base;
    rc = dir_finish(a, d, (const char *)path->data);
    d = d->up;
  }
  return rc;
}

/* The top-level directory being filled is complete: build it, pin it. */
static int close_top(add_t *a) {
  anode_t *t = a->top;
  if (!t)
    return 0;
  a->top = NULL;
  tr_bytes_t path = {0};
  int rc = tr_bytes_append(&path, t->name, strlen(t->name) + 1);
  if (!rc) {
    path.len--;
    rc = build_dir(a, t, &path);
  }
  tr_bytes_free(&path);
  if (!rc)
    rc = pin_root(a, &t->cid, t->name);
  /* Free its subtree: only names and CIDs, but a later top-level entry of
   * the same name is a new add, as in Kubo. */
  for (size_t i = 0; i < a->root.nkids; i++)
    if (a->root.kids[i] == t) {
      node_free(t);
      tr_free(t);
      a->root.kids[i] = a->root.kids[--a->root.nkids];
      break;
    }
  return rc;
}

/* --------------------------------------------------------------- parts */

static int add_begin(rpc_up_t *u) {
  add_t *a = rpc_up_state(u);
  a->u = u;
  if (a->progress && !a->silent)
    rpc_up_early(u); /* the progress is for now, not for the end */
  int rc = dag_file_new(&a->file, &a->o, put_block, a);
  if (!rc)
    rc = dag_file_set_pool(a->file, tr_pool_hash(),
                           tr_pool_hash_threads(!a->only_hash &&
                                                !a->nc.on));
  if (rc)
    return rpc_up_fail(u, rc, 500, "bad import settings: %s", tr_strerror(rc));
  if (!a->only_hash) {
    /* GC must not collect blocks written and not pinned yet. */
    a->lock = bs_gc_lock_shared(rpc_up_env(u));
    if (a->lock < 0)
      return rpc_up_fail(u, a->lock, 500, "gc lock: %s", tr_strerror(a->lock));
    if ((rc = bs_pipe_start(rpc_up_env(u), BATCH_MAX_MS, send_lines, a,
                            &a->pipe)))
      return rpc_up_fail(u, rc, 500, "add: %s", tr_strerror(rc));
    bs_pipe_set_fscache(a->pipe, a->mo.fscache);
  }
  return 0;
}

static int add_part(rpc_up_t *u, const rpc_mp_part_t *part) {
  add_t *a = rpc_up_state(u);
  a->nparts++;
  tr_free(a->path);
  if (!(a->path = rpc_clean_path(part->filename)))
    return -ENOMEM;
  const char *ct = part->content_type;
  a->kind = !strcmp(ct, "application/x-directory") ||
                    !strcmp(ct, "multipart/form-data")
                ? K_DIR
            : !strcmp(ct, "application/symlink") ? K_SYMLINK
                                                 : K_FILE;
  a->bytes = a->reported = 0;
  a->link.len = 0;
  rpc_fmeta_form(part->name, a->kind == K_SYMLINK, &a->own);
  const char *p = a->path;
  size_t first = strcspn(p, "/");
  dag_meta_t m = {0};
  bool has = rpc_add_meta(&a->mo, &a->own,
                          a->kind == K_DIR       ? RPC_META_DIR
                          : a->kind == K_SYMLINK ? RPC_META_SYMLINK
                                                 : RPC_META_FILE,
                          &m);
  if (a->kind == K_FILE)
    dag_file_set_meta(a->file, has ? &m : NULL);
  if (a->kind == K_FILE && a->nc.on && a->pipe) {
    /* Kubo's client sends the file's absolute path in Abspath-Encoded
     * (url.QueryEscape), an older one in Abspath as it is. */
    char *dec = part->abspath_encoded
                    ? rpc_query_unescape(part->abspath_encoded)
                    : NULL;
    if (part->abspath_encoded && !dec)
      return -ENOMEM;
    int rc = rpc_nocopy_file(&a->nc, dec ? dec : part->abspath, a->err,
                             sizeof a->err);
    tr_free(dec);
    if (rc)
      return rpc_up_fail(u, rc, 500, "%s", a->err);
  }
  if (!a->wrap) {
    anode_t *was = a->top;
    /* A new top-level name ends the previous top-level directory. */
    if (a->top && (strlen(a->top->name) != first ||
                   memcmp(a->top->name, p, first))) {
      int rc = close_top(a);
      if (rc)
        return rpc_up_fail(u, rc, 500, "%s", rc == TR_EEXIST
                           ? "directory already has entry by that name"
                           : tr_strerror(rc));
    }
    if (p[first] == '/' || a->kind == K_DIR) {
      if (!*p)
        return rpc_up_fail(u, TR_EUSAGE, 500,
                           "a directory part needs a name");
      anode_t *d;
      int rc = tree_dir(&a->root, p, first, &d);
      if (rc)
        return rpc_up_fail(u, rc, 500, "%s: %s", p, rc == TR_EEXIST
                           ? "directory already has entry by that name"
                           : tr_strerror(rc));
      a->top = d;
    }
    /* The lines of a top-level entry carry its metadata (echo_meta); one
     * that has no part of its own has none. */
    if (!p[first])
      a->echo = a->own;
    else if (a->top != was)
      memset(&a->echo, 0, sizeof a->echo);
  }
  if (a->kind == K_DIR) {
    anode_t *d;
    int rc = tree_dir(&a->root, p, strlen(p), &d);
    if (rc)
      return rpc_up_fail(u, rc, 500, "%s: %s", p, rc == TR_EEXIST
                         ? "directory already has entry by that name"
                         : tr_strerror(rc));
    d->has_meta = has;
    d->meta = m;
  }
  return 0;
}

static int add_data(rpc_up_t *u, const uint8_t *p, size_t n) {
  add_t *a = rpc_up_state(u);
  if (a->kind == K_SYMLINK) {
    if (a->link.len + n > 4096)
      return rpc_up_fail(u, TR_ETOOBIG, 500, "symlink target too long");
    return tr_bytes_append(&a->link, p, n) ? -ENOMEM : 0;
  }
  if (a->kind != K_FILE)
    return 0; /* a directory part's body is empty; ignore stray bytes */
  int rc = file_write(a, p, n);
  if (rc) {
    a->edge = NULL;
    dag_file_reset(a->file);
    return rpc_up_fail(u, rc, 500, "%s: %s", a->path,
                       a->err[0] ? a->err : tr_strerror(rc));
  }
  a->bytes += n;
  /* A line for each step passed: one run of body can hold megabytes
   * (rpc_upload.c hands over up to a slab). */
  while (a->bytes - a->reported >= PROGRESS_STEP)
    if ((rc = emit_progress(a, a->path, a->reported + PROGRESS_STEP)))
      return rc;
  return 0;
}

static int add_part_end(rpc_up_t *u) {
  add_t *a = rpc_up_state(u);
  if (a->kind == K_DIR || a->kind == K_NONE)
    return 0;
  dag_import_result_t res;
  int rc;
  dag_meta_t m;
  if (a->kind == K_SYMLINK)
    rc = dag_import_symlink(
        &a->o, (const char *)a->link.data, a->link.len,
        rpc_add_meta(&a->mo, &a->own, RPC_META_SYMLINK, &m) ? &m : NULL,
        put_block, a, &res);
  else {
    if (a->progress && (rc = emit_progress(a, a->path, a->bytes)))
      return rc;
    rc = gather_end(a);
    int e = dag_file_finish(a->file, &res);
    rc = rc ? rc : e;
    rpc_nocopy_end(&a->nc);
  }
  if (rc)
    return rpc_up_fail(u, rc, 500, "%s: %s", a->path,
                       a->err[0] ? a->err : tr_strerror(rc));
  a->kind = K_NONE;
  /* An entry without a name is named by its CID (Kubo's addNode). */
  char s[DAG_CID_STR_MAX];
  const char *name = *a->path ? a->path : dag_cid_str(&res.cid, s);
  if ((rc = emit_added(a, name, &res.cid, res.tsize)))
    return rc;
  const char *slash = strrchr(name, '/');
  if (!a->wrap && !slash)
    return pin_root(a, &res.cid, a->path); /* a top-level file */
  anode_t *d;
  size_t dl = slash ? (size_t)(slash - name) : 0;
  const char *base = slash ? slash + 1 : name;
  if ((rc = tree_dir(&a->root, name, dl, &d)))
    return rpc_up_fail(u, rc, 500, "%s: %s", name, tr_strerror(rc));
  /* A second entry of the same name is caught when the directory is
   * built (dag_dir_finish: TR_EEXIST); looking for it here would make a
   * wide directory quadratic. */
  anode_t *f = add_child(d, base, strlen(base), false);
  if (!f)
    return -ENOMEM;
  f->cid = res.cid;
  f->tsize = res.tsize;
  return 0;
}

/* --to-files: each top-level entry linked into MFS, once its blocks are
 * committed (the add still holds the gc lock). */
static int to_files(add_t *a) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(rpc_up_env(a->u), 0, &txn);
  if (rc)
    return rpc_up_fail(a->u, rc, 500, "%s", tr_strerror(rc));
  mfs_t m = {.txn = txn};
  mfs_import_prefix(rpc_up_ctx(a->u)->repo, &m.dflt);
  bool linked = false;
  for (size_t i = 0; i < a->ntops && !rc; i++)
    rc = mfs_to_files(&m, a->mo.to_files, a->tops[i].name, &a->tops[i].cid,
                      &linked);
  if (rc) {
    bs_txn_abort(txn);
    return rpc_up_fail(a->u, rc, 500, "%s",
                       m.err[0] ? m.err : tr_strerror(rc));
  }
  if ((rc = bs_txn_commit(txn)))
    return rpc_up_fail(a->u, rc, 500, "to-files: %s", tr_strerror(rc));
  return 0;
}

static int add_finish(rpc_up_t *u) {
  add_t *a = rpc_up_state(u);
  int rc;
  if (!a->nparts) /* go-ipfs-cmds checks this before the command runs */
    return rpc_up_fail(u, TR_EUSAGE, 400, "file argument 'path' is required");
  if (a->wrap) {
    tr_bytes_t path = {0};
    rc = build_dir(a, &a->root, &path);
    tr_bytes_free(&path);
    if (!rc)
      rc = pin_root(a, &a->root.cid, "");
  } else {
    rc = close_top(a);
  }
  if (rc)
    return rpc_up_fail(u, rc, 500, "%s", rc == TR_EEXIST
                       ? "directory already has entry by that name"
                       : tr_strerror(rc));
  if (a->pipe) {
    /* The last commit; the lines it makes true go out before it returns. */
    rc = bs_pipe_end(a->pipe, true);
    a->pipe = NULL;
    if (rc)
      return rpc_up_fail(u, rc, 500, "add: commit: %s", tr_strerror(rc));
  }
  return a->ntops ? to_files(a) : 0;
}

/* The body has stalled: commit what is pending, so that other writers are
 * not kept waiting on this client.  Queued, not waited for: a failed
 * commit fails the add at its next put or at its end, with the commit's
 * error (a full disk is ENOSPC). */
static void add_idle(rpc_up_t *u) {
  add_t *a = rpc_up_state(u);
  /* The room goes with the commit: a failure stays in the importer, which
   * returns it at the file's next write or end. */
  if (gather_end(a))
    tr_log(TR_LOG_DEBUG, "add: a leaf failed while the body stalled");
  if (a->pipe && bs_pipe_commit(a->pipe) == 0)
    tr_log(TR_LOG_DEBUG, "add: the body stalled; committing the batch");
}

static void add_cleanup(rpc_up_t *u, int rc) {
  add_t *a = rpc_up_state(u);
  /* Still here only when the add failed (add_finish ends it): abort what
   * is pending; the lines held for it are dropped, never sent. */
  (void)rc;
  if (a->pipe && bs_pipe_end(a->pipe, false))
    tr_log(TR_LOG_DEBUG, "add: the writer had failed too");
  a->pipe = NULL;
  if (a->lock >= 0)
    bs_gc_unlock(a->lock);
  a->lock = -1;
}

static void add_free(void *p) {
  add_t *a = p;
  for (size_t i = 0; i < a->ntops; i++)
    tr_free(a->tops[i].name);
  tr_free(a->tops);
  dag_file_free(a->file);
  node_free(&a->root);
  tr_bytes_free(&a->link);
  tr_free(a->path);
  rpc_nocopy_end(&a->nc);
  rpc_vals_free(&a->vals);
  json_decref(a->cfg);
  tr_free(a);
}

static const rpc_up_cmd_t add_cmd = {
    .begin = add_begin,
    .part = add_part,
    .data = add_data,
    .part_end = add_part_end,
    .finish = add_finish,
    .idle = add_idle,
    .cleanup = add_cleanup,
    .free_state = add_free,
};

/* ------------------------------------------------------------- options */

/* add's options through its table (gateway/api_cmddefs.c) and resolved by
 * rpc_add_resolve(), the code `trove add` runs too: a bad value is 400 (a
 * number of the metadata options that does not convert: -EINVAL), an
 * option that cannot apply is 500 with Kubo's message, as go-ipfs-cmds
 * answers a failed type conversion and a failed Run. */
static int parse(http_req_t *req, rpc_ctx_t *ctx, add_t *a) {
  char err[512];
  int rc = rpc_vals_req(&a->vals, rpc_cmddef_api("add"), req, err, sizeof err);
  if (rc) {
    rpc_error(req, 400, "%s", err);
    return rc;
  }
  /* Import.* of the config as the defaults (opts.h): read at each add,
   * so `config` changes apply at once (a small file, in the page cache). */
  if (config_load(ctx->repo, &a->cfg))
    a->cfg = NULL;
  rpc_add_opts_t r;
  if ((rc = rpc_add_resolve(&a->vals, json_object_get(a->cfg, "Import"), &r,
                            err, sizeof err))) {
    rpc_error(req, rc == -EINVAL ? 400 : 500, "%s", err);
    return rc;
  }
  /* The views in r point into a->vals, which lives as long as a. */
  a->o = r.o;
  a->pin = r.pin;
  a->only_hash = r.only_hash;
  a->wrap = r.wrap;
  a->silent = r.silent;
  a->progress = r.progress;
  a->empty_dirs = r.empty_dirs;
  a->pin_name = r.pin_name;
  a->mo = r;
  a->nc.on = r.nocopy && !r.only_hash;
  a->nc.env = ctx->env;
  if (a->nc.on && (rc = rpc_nocopy_allowed(a->cfg, err, sizeof err))) {
    rpc_error(req, 500, "%s", err);
    return rc;
  }
  return 0;
}

void rpc_cmd_add(http_req_t *req, rpc_ctx_t *ctx) {
  add_t *a = tr_calloc(1, sizeof *a);
  if (!a) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  a->lock = -1;
  if (parse(req, ctx, a)) {
    add_free(a);
    return;
  }
  rpc_upload(req, ctx, &add_cmd, a);
}
