/*
 * rpc_get.c — /api/v0/get: a UnixFS file, directory tree or symlink as a
 * tar stream, which is what Kubo sends (with archive=false as well: tar is
 * its transport format, and the ipfs CLI unpacks it).
 *
 *   get arg=<path> [archive=] -> application/x-tar, X-Stream-Output,
 *                                X-Content-Length (the DAG's size)
 *   compress=true is refused (no gzip in trove).
 *
 * The tar is written as Go's archive/tar writes boxo's TarWriter output:
 * ustar headers, the entry named after the last element of the path and
 * its children below it, directories mode 0755, files 0644, symlinks 0777,
 * the mtime stored in the node or else the time of the request; a name
 * that does not fit ustar's 100 + 155 bytes, a link target over 100 bytes
 * or a file of 8 GiB or more gets a PAX extended header.  Names from the
 * DAG are untrusted: one that is not a plain path segment (dag_name_ok: no
 * "", ".", "..", '/' or NUL) stops the stream, as Kubo refuses paths
 * outside the root.
 *
 * Produced piece by piece on the pool (gateway/stream.h) from resumable
 * state: a stack of directory listings (names and CIDs, held while the walk
 * is inside that directory) and the current file's offset, each piece in
 * its own read transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dag/importer.h"
#include "../dag/reader.h"
#include "rpc_int.h"

#define TAR_BLOCK 512
#define MAX_GET_DEPTH 1024
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
} gdir_t;

typedef struct get {
  char *arg;
  dag_cid_t root;
  char *base;      /* name of the root entry in the tar */
  int64_t mtime;   /* for entries without one: the request's time */
  bool started, finished;
  gdir_t *st;
  size_t depth, cap;
  tr_bytes_t path;   /* tar path of the entry being written */
  uint8_t *hdr;      /* header bytes of the current entry */
  size_t hdr_len, hdr_pos;
  dag_cid_t file;    /* current file's data */
  uint64_t size, pos, pad;
  uint64_t total;    /* X-Content-Length */
} get_t;

static void get_free(void *p) {
  get_t *g = p;
  for (size_t i = 0; i < g->depth; i++) {
    for (size_t k = 0; k < g->st[i].n; k++)
      tr_free(g->st[i].ents[k].name);
    tr_free(g->st[i].ents);
  }
  tr_free(g->st);
  tr_free(g->arg);
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
static int make_header(get_t *g, char type, uint32_t mode, uint64_t size,
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

static int collect(const dag_dirent_t *e, void *ud) {
  gdir_t *d = ud;
  if (!dag_name_ok(e->name, e->name_len))
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
static int start_entry(get_t *g, bs_txn_t *txn, const dag_cid_t *cid) {
  dag_node_info_t info;
  int rc = dag_stat(cid, bs_get_cb, txn, &info);
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
  if (g->depth == MAX_GET_DEPTH)
    return TR_ETOOBIG;
  if (g->depth == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 8;
    gdir_t *st = tr_realloc(g->st, cap * sizeof *st);
    if (!st)
      return -ENOMEM;
    g->st = st;
    g->cap = cap;
  }
  gdir_t *d = &g->st[g->depth];
  memset(d, 0, sizeof *d);
  d->path_len = g->path.len;
  g->depth++;
  if ((rc = dag_ls(cid, bs_get_cb, txn, collect, d)))
    return rc;
  return make_header(g, '5', info.has_mode ? info.mode & 07777 : 0755, 0,
                     mtime, NULL, 0);
}

/* Move to the next entry; 0 at the end of the archive (g->finished). */
static int next_entry(get_t *g, bs_txn_t *txn) {
  int rc;
  if (!g->started) {
    g->started = true;
    g->path.len = 0;
    if ((rc = tr_bytes_append(&g->path, g->base, strlen(g->base) + 1)))
      return rc;
    g->path.len--;
    return start_entry(g, txn, &g->root);
  }
  while (g->depth) {
    gdir_t *d = &g->st[g->depth - 1];
    if (d->next == d->n) {
      for (size_t k = 0; k < d->n; k++)
        tr_free(d->ents[k].name);
      tr_free(d->ents);
      g->depth--;
      continue;
    }
    gent_t *e = &d->ents[d->next++];
    g->path.len = d->path_len;
    if ((rc = tr_bytes_append(&g->path, "/", 1)) ||
        (rc = tr_bytes_append(&g->path, e->name, strlen(e->name) + 1)))
      return rc;
    g->path.len--;
    return start_entry(g, txn, &e->cid);
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

static int64_t get_fill(void *state, void *arg, uint8_t *buf, size_t cap) {
  bs_env_t *env = arg;
  get_t *g = state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return rc;
  size_t n = 0;
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
      http_copy_t s = {buf + n, 0, (size_t)want};
      if ((rc = dag_cat(&g->file, g->pos, want, bs_get_cb, txn, http_copy_cb, &s)))
        break;
      if (s.n != want) {
        rc = TR_EUNIXFS;
        break;
      }
      g->pos += want;
      n += (size_t)want;
    } else if (g->pad) {
      size_t k = g->pad < cap - n ? (size_t)g->pad : cap - n;
      memset(buf + n, 0, k);
      g->pad -= k;
      n += k;
    } else if (g->finished) {
      break;
    } else {
      g->size = g->pos = g->pad = 0;
      rc = next_entry(g, txn);
    }
  }
  bs_txn_abort(txn);
  if (rc) {
    char s[DAG_CID_STR_MAX];
    tr_log(TR_LOG_WARN, "get %s: tar cut short: %s", dag_cid_str(&g->root, s),
           tr_strerror(rc));
    return rc;
  }
  return (int64_t)n;
}

/* --------------------------------------------------------------- start */

static int sum_tsize(const dag_pb_link_t *lk, size_t i, void *ud) {
  (void)i;
  *(uint64_t *)ud += lk->tsize;
  return 0;
}

static void get_prepare(rpc_job_t *j) {
  get_t *g = j->state;
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  const char *path;
  dag_cid_t c;
  char msg[700];
  /* With fetching (rpc_job_run_fetch): the path, then the whole DAG under
   * it in one BS_FETCH_DAG, this running again after each fetch; the tar
   * then streams from a complete DAG (as dag export does). */
  j->txn = txn;
  rc = rpc_parse_path(g->arg, &c, &path);
  if (!rc) {
    j->hint = c;
    rc = *path ? dag_resolve(&c, path, strlen(path), rpc_job_get, j, &g->root)
               : (g->root = c, 0);
  }
  if (!rc && j->fetch_on &&
      (rc = rpc_job_dag_check(j, txn, &g->root, -1, 0)) == TR_ENOTFOUND) {
    bs_txn_abort(txn);
    return; /* failed, with the DAG to fetch noted */
  }
  dag_node_info_t info;
  if (!rc)
    rc = dag_stat(&g->root, rpc_job_get, j, &info);
  if (!rc) {
    if (info.kind == DAG_NODE_FILE) {
      g->total = info.size;
    } else {
      /* A directory's size, as Kubo reports it: its cumulative size. */
      const uint8_t *data;
      size_t len;
      g->total = 0;
      dag_pb_node_t node;
      if (rpc_job_get(&g->root, &data, &len, j) == 0 &&
          dag_pb_decode(data, len, sum_tsize, &g->total, &node) == 0)
        g->total += len;
    }
  }
  bs_txn_abort(txn);
  if (rc)
    rpc_job_fail(j, rpc_status_for(rc), "%s",
                 rpc_errmsg(rc, g->arg, msg, sizeof msg));
}

static void get_start(rpc_job_t *j) {
  get_t *g = j->state;
  rpc_start(j->req, RPC_STREAM, "application/x-tar", -1, (int64_t)g->total);
  rpc_job_stream(j, get_fill);
}

void rpc_cmd_get(http_req_t *req, rpc_ctx_t *ctx) {
  get_t *g = tr_calloc(1, sizeof *g);
  bool compress = false;
  if (!g) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_opt_bool(req, "compress", false, &compress)) {
    rpc_error(req, 400, "invalid value for compress");
    get_free(g);
    return;
  }
  if (compress) {
    rpc_error(req, 500, "compression is not supported by trove");
    get_free(g);
    return;
  }
  if (rpc_one_arg(req, "ipfs-path", &g->arg)) {
    get_free(g);
    return;
  }
  /* The tar's top entry is named after the last element of the path. */
  const char *a = g->arg;
  size_t len = strlen(a);
  while (len && a[len - 1] == '/')
    len--;
  size_t start = len;
  while (start && a[start - 1] != '/')
    start--;
  if (!(g->base = tr_strndup(a + start, len - start)) || !*g->base ||
      !dag_name_ok(g->base, strlen(g->base))) {
    rpc_error(req, 400, "invalid path \"%s\"", g->arg);
    get_free(g);
    return;
  }
  g->mtime = (int64_t)time(NULL);
  (void)rpc_job_run_fetch(req, ctx, get_prepare, get_start, g, get_free);
}
