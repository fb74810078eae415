/*
 * tar.c — a UnixFS DAG as a tar stream, produced piece by piece from
 * resumable state; see tar.h.  Shared by `trove get` (rpc/rpc_get.c) and
 * the gateway's ?format=tar (gateway/gw_tar.c).
 *
 * The tar is written as Go's archive/tar writes boxo's TarWriter output:
 * ustar headers, the entry named after the caller's base name and its
 * children below it, directories mode 0755, files 0644, symlinks 0777,
 * the mtime stored in the node or else the caller's; a name that does not
 * fit ustar's 100 + 155 bytes, a link target over 100 bytes or a file of
 * 8 GiB or more gets a PAX extended header.  Names from the DAG are
 * untrusted: one that is not a plain path segment (dag_name_ok: no "",
 * ".", "..", '/' or NUL) stops the stream with TR_EUNSAFE, as Kubo refuses
 * paths outside the root.
 *
 * State: a stack of directory listings (names and CIDs, held while the
 * walk is inside that directory) and the current file's offset.
 */
#include "tar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "importer.h"

typedef struct copy {
  uint8_t *buf;
  size_t n, cap;
} copy_t;

#define TAR_BLOCK 512

/* Room for the largest header group: PAX header block + records (path,
 * linkpath, size) + the ustar block. */
#define HDR_MAX (4 * TAR_BLOCK + 2 * 4200 + 64)

typedef struct gent {
  char *name;
  dag_cid_t cid;
} gent_t;

typedef struct gdir {
  gent_t *ents;
  size_t n, cap, next;
  size_t path_len; /* length of the tar path of this directory */
  bool clean;      /* DAG_TAR_CLEAN */
} gdir_t;

struct dag_tar {
  dag_cid_t root;
  char *base;      /* name of the root entry in the tar */
  int64_t mtime;   /* for entries without one: the request's time */
  bool started, finished;
  gdir_t *st;
  size_t depth, cap;
  tr_bytes_t path;   /* tar path of the entry being written */
  dag_get_cb get;    /* during dag_tar_read() */
  void *ud;
  unsigned flags;    /* DAG_TAR_* */
  uint8_t *hdr;      /* header bytes of the current entry */
  size_t hdr_len, hdr_pos;
  dag_cid_t file;    /* current file's data */
  uint64_t size, pos, pad;
};

static void gdir_clear(gdir_t *d) {
  for (size_t k = 0; k < d->n; k++)
    tr_free(d->ents[k].name);
  tr_free(d->ents);
  memset(d, 0, sizeof *d);
}

void dag_tar_free(dag_tar_t *g) {
  if (!g)
    return;
  for (size_t i = 0; i < g->depth; i++)
    gdir_clear(&g->st[i]);
  tr_free(g->st);
  tr_free(g->base);
  tr_free(g->hdr);
  tr_bytes_free(&g->path);
  tr_free(g);
}

/* ----------------------------------------------------------- tar headers */

static void octal(char *field, size_t width, uint64_t v) {
  /* width-1 octal digits, zero padded, then NUL (Go's formatOctal). */
  field[width - 1] = 0;
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = (char)('0' + (v & 7));
    v >>= 3;
  }
}

static void pax_record(tr_bytes_t *b, const char *key, const char *val,
                       size_t vlen, int *rc) {
  /* "%d %s=%s\n", the length counting its own digits. */
  size_t body = strlen(key) + vlen + 3; /* ' ', '=', '\n' */
  size_t n = body + 1;
  while ((size_t)snprintf(NULL, 0, "%zu", n) + body != n)
    n++;
  char head[32];
  int hl = snprintf(head, sizeof head, "%zu %s=", n, key);
  if (!*rc)
    *rc = tr_bytes_append(b, head, (size_t)hl);
  if (!*rc)
    *rc = tr_bytes_append(b, val, vlen);
  if (!*rc)
    *rc = tr_bytes_append(b, "\n", 1);
}

static void ustar(uint8_t *h, const char *name, size_t nlen,
                  const char *prefix, size_t plen, char type, uint32_t mode,
                  uint64_t size, int64_t mtime, const char *link,
                  size_t llen) {
  memset(h, 0, TAR_BLOCK);
  memcpy(h, name, nlen < 100 ? nlen : 100);
  octal((char *)h + 100, 8, mode);
  octal((char *)h + 108, 8, 0);
  octal((char *)h + 116, 8, 0);
  octal((char *)h + 124, 12, size);
  octal((char *)h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
  h[156] = (uint8_t)type;
  if (link)
    memcpy(h + 157, link, llen < 100 ? llen : 100);
  memcpy(h + 257, "ustar\0" "00", 8);
  octal((char *)h + 329, 8, 0);
  octal((char *)h + 337, 8, 0);
  if (prefix)
    memcpy(h + 345, prefix, plen < 155 ? plen : 155);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < TAR_BLOCK; i++)
    sum += h[i];
  octal((char *)h + 148, 7, sum); /* six digits, NUL, then the space */
  h[155] = ' ';
}

/* The header group of one entry at path g->path into g->hdr. */
static int make_header(dag_tar_t *g, char type, uint32_t mode, uint64_t size,
                       int64_t mtime, const char *link, size_t llen) {
  const char *name = (const char *)g->path.data;
  size_t nlen = g->path.len;
  const char *prefix = NULL;
  size_t plen = 0;
  bool pax_path = false;
  if (nlen > 100) {
    /* ustar's split: prefix (<= 155) '/' name (<= 100). */
    const char *cut = NULL;
    for (size_t i = 0; i < nlen; i++)
      if (name[i] == '/' && i <= 155 && nlen - i - 1 <= 100 && nlen - i - 1 > 0)
        cut = cut ? cut : name + i;
    if (cut) {
      prefix = name;
      plen = (size_t)(cut - name);
      name = cut + 1;
      nlen -= plen + 1;
    } else
      pax_path = true;
  }
  bool pax_link = link && llen > 100;
  bool pax_size = size >= 077777777777ull;
  tr_bytes_t b = {0};
  int rc = 0;
  if (pax_path || pax_link || pax_size) {
    tr_bytes_t rec = {0};
    char num[24];
    if (pax_path)
      pax_record(&rec, "path", (const char *)g->path.data, g->path.len, &rc);
    if (pax_link)
      pax_record(&rec, "linkpath", link, llen, &rc);
    if (pax_size) {
      int k = snprintf(num, sizeof num, "%llu", (unsigned long long)size);
      pax_record(&rec, "size", num, (size_t)k, &rc);
    }
    uint8_t h[TAR_BLOCK];
    static const char pax_name[] = "PaxHeaders.0/entry";
    ustar(h, pax_name, sizeof pax_name - 1, NULL, 0, 'x', 0644, rec.len, mtime,
          NULL, 0);
    if (!rc)
      rc = tr_bytes_append(&b, h, TAR_BLOCK);
    if (!rc)
      rc = tr_bytes_append(&b, rec.data, rec.len);
    static const uint8_t zeros[TAR_BLOCK];
    if (!rc && rec.len % TAR_BLOCK)
      rc = tr_bytes_append(&b, zeros, TAR_BLOCK - rec.len % TAR_BLOCK);
    tr_bytes_free(&rec);
  }
  uint8_t h[TAR_BLOCK];
  ustar(h, name, nlen, prefix, plen, type, mode, pax_size ? 0 : size, mtime,
        link, llen);
  if (!rc)
    rc = tr_bytes_append(&b, h, TAR_BLOCK);
  if (rc) {
    tr_bytes_free(&b);
    return rc;
  }
  tr_free(g->hdr);
  g->hdr = b.data;
  g->hdr_len = b.len;
  g->hdr_pos = 0;
  return 0;
}

/* ------------------------------------------------------------- entries */

/* path[0..dir_len) / name into path (NUL-terminated, not counted).
 * Strict: name must be one plain segment.  With DAG_TAR_CLEAN, a name may
 * hold '/', "." and ".." (Kubo's legacy DAGs do) as long as the cleaned
 * path stays strictly below the top entry and names something new, as
 * boxo's TarWriter allows. */
static int tar_join(tr_bytes_t *path, size_t dir_len, const char *name,
                    unsigned flags) {
  int rc;
  path->len = dir_len;
  if (!(flags & DAG_TAR_CLEAN)) {
    if (!dag_name_ok(name, strlen(name)))
      return TR_EUNSAFE;
    if ((rc = tr_bytes_append(path, "/", 1)) ||
        (rc = tr_bytes_append(path, name, strlen(name) + 1)))
      return rc;
    path->len--;
    return 0;
  }
  char *dir = tr_strndup((const char *)path->data, dir_len);
  if (!dir)
    return -ENOMEM;
  rc = 0;
  for (const char *p = name; *p && rc == 0;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && !memcmp(p, "..", 2)) {
      while (path->len && path->data[path->len - 1] != '/')
        path->len--;
      if (path->len == 0)
        rc = TR_EUNSAFE; /* above the top entry */
      else
        path->len--;
    } else if (n && !(n == 1 && *p == '.')) {
      if (!(rc = tr_bytes_append(path, "/", 1)))
        rc = tr_bytes_append(path, p, n);
    }
    p += n;
    while (*p == '/')
      p++;
  }
  if (rc == 0 && (!memchr(path->data, '/', path->len) ||
                  (path->len == dir_len && !memcmp(path->data, dir, dir_len))))
    rc = TR_EUNSAFE; /* the top entry itself, or the directory again */
  tr_free(dir);
  if (rc == 0 && !(rc = tr_bytes_append(path, "", 1)))
    path->len--;
  return rc;
}

static int collect(const dag_dirent_t *e, void *ud) {
  gdir_t *d = ud;
  if (d->clean ? !e->name_len || memchr(e->name, 0, e->name_len)
               : !dag_name_ok(e->name, e->name_len))
    return TR_EUNSAFE;
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 16;
    gent_t *v = tr_realloc(d->ents, cap * sizeof *v);
    if (!v)
      return -ENOMEM;
    d->ents = v;
    d->cap = cap;
  }
  if (!(d->ents[d->n].name = tr_strndup(e->name, e->name_len)))
    return -ENOMEM;
  d->ents[d->n++].cid = e->cid;
  return 0;
}

/* Start the entry cid at g->path: its header, and for a directory its
 * listing on the stack; for a file, its data next. */
static int start_entry(dag_tar_t *g, const dag_cid_t *cid) {
  dag_node_info_t info;
  int rc = dag_stat(cid, g->get, g->ud, &info);
  if (rc)
    return rc;
  int64_t mtime = info.has_mtime ? info.mtime_sec : g->mtime;
  if (info.kind == DAG_NODE_FILE) {
    g->file = *cid;
    g->size = info.size;
    g->pos = 0;
    g->pad = info.size % TAR_BLOCK ? TAR_BLOCK - info.size % TAR_BLOCK : 0;
    return make_header(g, '0', info.has_mode ? info.mode & 07777 : 0644,
                       info.size, mtime, NULL, 0);
  }
  if (info.kind == DAG_NODE_SYMLINK)
    return make_header(g, '2', 0777, 0, mtime, (const char *)info.target,
                       info.target_len);
  if (g->depth == DAG_TAR_MAX_DEPTH)
    return TR_ETOOBIG;
  if (g->depth == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 8;
    gdir_t *st = tr_realloc(g->st, cap * sizeof *st);
    if (!st)
      return -ENOMEM;
    g->st = st;
    g->cap = cap;
  }
  /* Listed whole before it goes on the stack: a listing that fails (a
   * block missing) leaves the walk where it was, to be tried again. */
  gdir_t d = {0};
  d.path_len = g->path.len;
  d.clean = g->flags & DAG_TAR_CLEAN;
  if ((rc = dag_ls(cid, g->get, g->ud, collect, &d)) ||
      (rc = make_header(g, '5', info.has_mode ? info.mode & 07777 : 0755, 0,
                        mtime, NULL, 0))) {
    gdir_clear(&d);
    return rc;
  }
  g->st[g->depth++] = d;
  return 0;
}

/* Move to the next entry; 0 at the end of the archive (g->finished). */
static int next_entry(dag_tar_t *g) {
  int rc;
  if (!g->started) {
    g->path.len = 0;
    if ((rc = tr_bytes_append(&g->path, g->base, strlen(g->base) + 1)))
      return rc;
    g->path.len--;
    if ((rc = start_entry(g, &g->root)) == 0)
      g->started = true;
    return rc;
  }
  while (g->depth) {
    gdir_t *d = &g->st[g->depth - 1];
    if (d->next == d->n) {
      gdir_clear(d);
      g->depth--;
      continue;
    }
    gent_t *e = &d->ents[d->next];
    if ((rc = tar_join(&g->path, d->path_len, e->name, g->flags)))
      return rc;
    /* The entry is passed only once it started: a failure (a block
     * missing) leaves it next, to be tried again. */
    if ((rc = start_entry(g, &e->cid)) == 0)
      d->next++;
    return rc;
  }
  /* The end: two zero blocks (Go's Writer.Close). */
  g->finished = true;
  tr_free(g->hdr);
  if (!(g->hdr = tr_calloc(2, TAR_BLOCK)))
    return -ENOMEM;
  g->hdr_len = 2 * TAR_BLOCK;
  g->hdr_pos = 0;
  return 0;
}

static int copy_cb(const uint8_t *p, size_t n, void *ud) {
  copy_t *c = ud;
  if (n > c->cap - c->n)
    return TR_EUNIXFS; /* more than the file said it holds */
  memcpy(c->buf + c->n, p, n);
  c->n += n;
  return 0;
}

int64_t dag_tar_read(dag_tar_t *g, dag_get_cb get, void *ud, uint8_t *buf,
                     size_t cap) {
  g->get = get;
  g->ud = ud;
  size_t n = 0;
  int rc = 0;
  while (n < cap && rc == 0) {
    if (g->hdr_pos < g->hdr_len) {
      size_t k = g->hdr_len - g->hdr_pos;
      if (k > cap - n)
        k = cap - n;
      memcpy(buf + n, g->hdr + g->hdr_pos, k);
      g->hdr_pos += k;
      n += k;
    } else if (g->pos < g->size) {
      uint64_t want = g->size - g->pos;
      if (want > cap - n)
        want = cap - n;
      copy_t s = {buf + n, 0, (size_t)want};
      rc = dag_cat(&g->file, g->pos, want, get, ud, copy_cb, &s);
      if (rc == 0 && s.n != want)
        rc = TR_EUNIXFS;
      /* What came before a missing block is good: keep it. */
      g->pos += s.n;
      n += s.n;
    } else if (g->pad) {
      size_t k = g->pad < cap - n ? (size_t)g->pad : cap - n;
      memset(buf + n, 0, k);
      g->pad -= k;
      n += k;
    } else if (g->finished) {
      break;
    } else {
      uint64_t size = g->size, pos = g->pos;
      g->size = g->pos = g->pad = 0;
      if ((rc = next_entry(g)))
        g->size = size, g->pos = pos;
    }
  }
  g->get = NULL;
  /* Bytes made before an error go out; the error comes back next time,
   * at the same place. */
  return n ? (int64_t)n : rc;
}

dag_tar_t *dag_tar_new(const dag_cid_t *root, const char *base,
                       int64_t mtime, unsigned flags) {
  dag_tar_t *g = tr_calloc(1, sizeof *g);
  if (!g || !(g->base = tr_strndup(base, strlen(base)))) {
    tr_free(g);
    return NULL;
  }
  g->root = *root;
  g->mtime = mtime;
  g->flags = flags;
  return g;
}

/* ------------------------------------------------------------- checking */

typedef struct check {
  dag_get_cb get;
  void *ud;
  unsigned flags;
  int depth;
  tr_bytes_t path;
} check_t;

static int check_ent(const dag_dirent_t *e, void *ud);

static int check_node(const dag_cid_t *cid, check_t *c) {
  dag_node_info_t info;
  int rc = dag_stat(cid, c->get, c->ud, &info);
  if (rc || info.kind != DAG_NODE_DIR)
    return rc;
  if (c->depth == DAG_TAR_MAX_DEPTH)
    return TR_ETOOBIG;
  c->depth++;
  rc = dag_ls(cid, c->get, c->ud, check_ent, c);
  c->depth--;
  return rc;
}

static int check_ent(const dag_dirent_t *e, void *ud) {
  check_t *c = ud;
  if (!e->name_len || memchr(e->name, 0, e->name_len))
    return TR_EUNSAFE;
  char *name = tr_strndup(e->name, e->name_len);
  if (!name)
    return -ENOMEM;
  size_t dir_len = c->path.len;
  int rc = tar_join(&c->path, dir_len, name, c->flags);
  tr_free(name);
  if (rc == 0)
    rc = check_node(&e->cid, c);
  c->path.len = dir_len;
  return rc;
}

int dag_tar_check(const dag_cid_t *root, unsigned flags, dag_get_cb get,
                  void *ud) {
  check_t c = {get, ud, flags, 0, {0}};
  int rc = tr_bytes_append(&c.path, "t", 1); /* the top entry's name */
  if (rc == 0)
    rc = check_node(root, &c);
  tr_bytes_free(&c.path);
  return rc;
}
