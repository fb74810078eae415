/*
 * filestore.c — references to blocks whose bytes stay in the user's files
 * (bs.h, "the filestore"): Kubo's `add --nocopy`.
 *
 * A record is boxo's DataObj protobuf, so that what Kubo's `filestore ls`
 * shows for a path and an offset is what trove keeps, field for field.
 *
 * A referenced block read by bs_get() lands in a buffer of the reading
 * transaction's, mapped on its own (mmap) rather than taken from malloc:
 * `trove cat` hands such views to vmsplice, which lends the pages to the
 * pipe, and an unmapped page keeps its bytes for the pipe, where a freed
 * malloc chunk would be reused and rewritten under it.  bs_txn_release()
 * of a view that ends a buffer unmaps it, so that a cat of a file of many
 * gigabytes holds a few of its blocks, not all of them.
 */
#include "bs_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../dag/varint.h"

struct bs__fsbuf {
  struct bs__fsbuf *next;
  size_t maplen; /* of the whole mapping, this header included */
  size_t len;    /* of the block's bytes, which follow the header */
};
#define FSBUF_HDR 64 /* the bytes start cache-line aligned */

static uint8_t *fsbuf_data(struct bs__fsbuf *b) {
  return (uint8_t *)b + FSBUF_HDR;
}

const char *bs_fs_status_str(int status) {
  switch (status) {
  case BS_FS_OK: return "ok";
  case BS_FS_FILE_ERROR: return "error";
  case BS_FS_NO_FILE: return "no-file";
  case BS_FS_CHANGED: return "changed";
  case BS_FS_OTHER: return "ERROR";
  case BS_FS_MISSING: return "missing";
  default: return "???";
  }
}

/* ------------------------------------------------------------- paths */

/* Go's filepath.Clean of an absolute path, in place: repeated and
 * trailing slashes go, "." goes, ".." takes the element before it (none
 * above "/").  Lexical: symlinks are not followed, as Kubo follows none. */
void bs__fs_clean(char *p) {
  /* out never passes in: a separator is written only where the input had
   * one already read. */
  char *out = p + 1; /* p[0] is '/' */
  const char *in = p + 1;
  while (*in) {
    const char *e = strchr(in, '/');
    size_t n = e ? (size_t)(e - in) : strlen(in);
    if (n == 0 || (n == 1 && in[0] == '.')) {
      /* nothing */
    } else if (n == 2 && in[0] == '.' && in[1] == '.') {
      while (out > p + 1 && out[-1] != '/')
        out--;
      if (out > p + 1)
        out--;
    } else {
      if (out > p + 1)
        *out++ = '/';
      memmove(out, in, n);
      out += n;
    }
    in += n + (e != NULL);
  }
  *out = '\0';
}

int bs__fs_open(bs_env_t *env, MDB_txn *txn, bool rdonly) {
  char root[PATH_MAX + 2];
  size_t n = strlen(env->path);
  if (env->path[0] == '/') {
    if (n >= sizeof root)
      return ENAMETOOLONG;
    memcpy(root, env->path, n + 1);
  } else {
    if (!getcwd(root, PATH_MAX))
      return errno;
    size_t c = strlen(root);
    if (c + 1 + n >= sizeof root)
      return ENAMETOOLONG;
    root[c] = '/';
    memcpy(root + c + 1, env->path, n + 1);
  }
  bs__fs_clean(root);
  char *slash = strrchr(root, '/');
  slash[slash == root] = '\0'; /* the parent; "/" stays "/" */
  if (!(env->fs_root = tr_strdup(root)))
    return ENOMEM;
  int rc = mdb_dbi_open(txn, "filestore", rdonly ? 0 : MDB_CREATE, &env->fs);
  if (rc == MDB_NOTFOUND && rdonly)
    return 0; /* a repo no trove with a filestore wrote to */
  env->has_fs = rc == 0;
  return rc;
}

const char *bs_fs_root(const bs_env_t *env) { return env->fs_root; }

void bs_fs_outside_msg(const bs_env_t *env, char *buf, size_t cap) {
  snprintf(buf, cap, "cannot add filestore references outside ipfs root (%s)",
           env->fs_root);
}

/* ----------------------------------------------------------- records */

size_t bs__fs_encode(uint8_t *out, const char *rel, size_t rlen,
                     uint64_t offset, uint64_t size) {
  size_t n = 0;
  out[n++] = 0x0a;
  n += dag_varint_put(out + n, rlen);
  memcpy(out + n, rel, rlen);
  n += rlen;
  out[n++] = 0x10;
  n += dag_varint_put(out + n, offset);
  out[n++] = 0x18;
  n += dag_varint_put(out + n, size);
  return n;
}

/* A DataObj as Go's proto.Unmarshal takes it: fields in any order, a
 * repeated one's last value kept, unknown ones skipped. */
int bs__fs_decode(const uint8_t *p, size_t len, bs_fsref_t *ref) {
  memset(ref, 0, sizeof *ref);
  while (len) {
    uint64_t tag, v;
    int k = dag_varint_get(p, len, &tag);
    if (k <= 0)
      return TR_ECORRUPT;
    p += k;
    len -= (size_t)k;
    unsigned wt = tag & 7;
    uint64_t field = tag >> 3;
    if (wt == 0) {
      if ((k = dag_varint_get(p, len, &v)) <= 0)
        return TR_ECORRUPT;
      p += k;
      len -= (size_t)k;
      if (field == 2)
        ref->offset = v;
      else if (field == 3)
        ref->size = v;
    } else if (wt == 2) {
      if ((k = dag_varint_get(p, len, &v)) <= 0 || v > len - (size_t)k)
        return TR_ECORRUPT;
      p += k;
      len -= (size_t)k;
      if (field == 1) {
        if (v >= sizeof ref->path || memchr(p, 0, v))
          return TR_ECORRUPT;
        memcpy(ref->path, p, v);
        ref->path[v] = '\0';
      }
      p += v;
      len -= v;
    } else if (wt == 5 || wt == 1) {
      size_t w = wt == 5 ? 4 : 8;
      if (len < w)
        return TR_ECORRUPT;
      p += w;
      len -= w;
    } else {
      return TR_ECORRUPT;
    }
  }
  return 0;
}

bool bs__fs_any(bs_txn_t *txn) {
  MDB_stat ms;
  return txn->env->has_fs && !mdb_stat(txn->mdb, txn->env->fs, &ms) &&
         ms.ms_entries > 0;
}

int bs__fs_has(bs_txn_t *txn, const MDB_val *mh) {
  if (!bs__fs_any(txn))
    return 0;
  MDB_val v;
  int rc = mdb_get(txn->mdb, txn->env->fs, (MDB_val *)mh, &v);
  return rc == MDB_NOTFOUND ? 0 : rc ? bs__err(rc) : 1;
}

int bs_fs_get(bs_txn_t *txn, const dag_cid_t *cid, bs_fsref_t *ref) {
  if (!txn->env->has_fs)
    return TR_ENOTFOUND;
  MDB_val k = bs__key(cid), v;
  int rc = mdb_get(txn->mdb, txn->env->fs, &k, &v);
  if (rc)
    return bs__err(rc);
  return bs__fs_decode(v.mv_data, v.mv_size, ref);
}

int bs_fs_relpath(const bs_env_t *env, const char *abspath,
                  char rel[BS_FS_PATH_MAX]) {
  if (abspath[0] != '/')
    return TR_EUSAGE;
  size_t n = strlen(abspath);
  if (n >= BS_FS_PATH_MAX)
    return TR_ETOOBIG;
  char path[BS_FS_PATH_MAX];
  memcpy(path, abspath, n + 1);
  bs__fs_clean(path);
  /* Below the root by whole elements: Kubo's filepath.HasPrefix would
   * take /home/alice2/x as below /home/alice. */
  size_t r = strlen(env->fs_root);
  const char *p;
  if (r == 1)
    p = path + 1;
  else if (!strncmp(path, env->fs_root, r) && path[r] == '/')
    p = path + r + 1;
  else
    return TR_EFSOUTSIDE;
  if (!*p)
    return TR_EFSOUTSIDE; /* the root itself is no file */
  memmove(rel, p, strlen(p) + 1);
  return 0;
}

int bs_fs_put(bs_txn_t *txn, const dag_cid_t *cid, const char *abspath,
              uint64_t offset, uint64_t size) {
  bs_env_t *env = txn->env;
  if (txn->rdonly)
    return -EACCES;
  if (!env->has_fs || cid->codec != DAG_CODEC_RAW ||
      cid->mh_code == DAG_MH_IDENTITY)
    return TR_EUSAGE;
  if (size > BS_MAX_BLOCK)
    return TR_ETOOBIG;
  char rel[BS_FS_PATH_MAX];
  int rc = bs_fs_relpath(env, abspath, rel);
  if (rc)
    return rc;
  MDB_val k = bs__key(cid), v;
  rc = mdb_get(txn->mdb, env->blocks, &k, &v);
  if (rc != MDB_NOTFOUND)
    return rc ? bs__err(rc) : 0;
  uint8_t rec[BS__FS_REC_MAX];
  MDB_val rv = {bs__fs_encode(rec, rel, strlen(rel), offset, size), rec};
  rc = mdb_put(txn->mdb, env->fs, &k, &rv, MDB_NOOVERWRITE);
  if (rc == MDB_KEYEXIST)
    return 0;
  if (rc)
    return bs__err(rc);
  return bs__kspace_put(txn, k.mv_data, k.mv_size);
}

int bs_fs_del(bs_txn_t *txn, const dag_cid_t *cid) {
  if (txn->rdonly)
    return -EACCES;
  if (!txn->env->has_fs)
    return TR_ENOTFOUND;
  MDB_val k = bs__key(cid), v;
  int rc = mdb_del(txn->mdb, txn->env->fs, &k, NULL);
  if (rc)
    return bs__err(rc);
  /* A reader that saw the block (a frozen copy, an undo log) learns by
   * the deletion generation that it may be gone. */
  if ((rc = bs__gen_bump(txn, BS_DEL_GEN)))
    return rc;
  rc = mdb_get(txn->mdb, txn->env->blocks, &k, &v);
  if (rc == 0)
    return 0; /* still stored: its keyspace entry stays */
  if (rc != MDB_NOTFOUND)
    return bs__err(rc);
  return bs__kspace_del(txn, k.mv_data, k.mv_size);
}

int bs_fs_count(bs_txn_t *txn, uint64_t *n) {
  MDB_stat ms;
  *n = 0;
  if (!txn->env->has_fs)
    return 0;
  int rc = mdb_stat(txn->mdb, txn->env->fs, &ms);
  if (rc)
    return bs__err(rc);
  *n = ms.ms_entries;
  return 0;
}

int bs_fs_range(bs_txn_t *txn, const uint8_t *after, size_t after_len,
                bs_fs_cb cb, void *ud) {
  if (!txn->env->has_fs)
    return 0;
  MDB_cursor *cur;
  int rc = mdb_cursor_open(txn->mdb, txn->env->fs, &cur);
  if (rc)
    return bs__err(rc);
  bs_fsref_t *ref = tr_malloc(sizeof *ref);
  if (!ref) {
    mdb_cursor_close(cur);
    return -ENOMEM;
  }
  MDB_val k = {after_len, (void *)after}, v;
  MDB_cursor_op op = after_len ? MDB_SET_RANGE : MDB_FIRST;
  int out = 0;
  while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
    op = MDB_NEXT;
    if (after_len && k.mv_size == after_len &&
        !memcmp(k.mv_data, after, after_len))
      continue;
    dag_cid_t cid;
    if (dag_cid_make(&cid, 1, DAG_CODEC_RAW, k.mv_data, k.mv_size) < 0)
      continue; /* not a multihash: cannot come from bs_fs_put */
    bool ok = bs__fs_decode(v.mv_data, v.mv_size, ref) == 0;
    if ((out = cb(&cid, ok ? ref : NULL, ud)))
      break;
  }
  tr_free(ref);
  mdb_cursor_close(cur);
  if (out)
    return out;
  return rc == MDB_NOTFOUND ? 0 : bs__err(rc);
}

typedef struct fs_sum {
  bs_txn_t *txn;
  uint64_t refs, bytes;
} fs_sum_t;

static int sum_one(const dag_cid_t *cid, const bs_fsref_t *ref, void *ud) {
  fs_sum_t *s = ud;
  MDB_val k = bs__key(cid), v;
  if (!ref || !mdb_get(s->txn->mdb, s->txn->env->blocks, &k, &v))
    return 0; /* stored too: counted with the blocks */
  s->refs++;
  s->bytes += ref->size;
  return 0;
}

void bs__fs_stat(bs_txn_t *txn, uint64_t *refs, uint64_t *bytes) {
  fs_sum_t s = {.txn = txn};
  *refs = *bytes = 0;
  if (bs__fs_any(txn) && bs_fs_range(txn, NULL, 0, sum_one, &s) == 0) {
    *refs = s.refs;
    *bytes = s.bytes;
  }
}

/* ------------------------------------------------------------- reads */

/* Go's syscall.Errno strings are C's with a lower-case first letter. */
static void go_errstr(char *msg, size_t cap, const char *op, const char *path,
                      int err) {
  char e[128];
  snprintf(e, sizeof e, "%s", strerror(err));
  if (e[0] >= 'A' && e[0] <= 'Z')
    e[0] = (char)(e[0] - 'A' + 'a');
  snprintf(msg, cap, "%s %s: %s", op, path, e);
}

int bs_fs_read(const bs_env_t *env, const dag_cid_t *cid,
               const bs_fsref_t *ref, uint8_t *buf, char *msg, size_t cap) {
  char abspath[PATH_MAX + BS_FS_PATH_MAX + 2];
  const char *root = env->fs_root;
  snprintf(abspath, sizeof abspath, "%s%s%s", root,
           root[1] ? "/" : "", ref->path);
  if (cap)
    msg[0] = '\0';
  /* O_NONBLOCK and the check after: a reference may name a FIFO or a
   * device (a client of the API chooses the path), whose open or read
   * would hold a reader's thread forever. */
  int fd = open(abspath, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    go_errstr(msg, cap, "open", abspath, e);
    return e == ENOENT || e == ENOTDIR ? BS_FS_NO_FILE : BS_FS_FILE_ERROR;
  }
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    snprintf(msg, cap, "%s is not a regular file", abspath);
    close(fd);
    return BS_FS_FILE_ERROR;
  }
  size_t got = 0;
  int status = BS_FS_OK;
  while (got < ref->size) {
    ssize_t r = pread(fd, buf + got, ref->size - got,
                      (off_t)(ref->offset + got));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      go_errstr(msg, cap, "read", abspath, errno);
      status = BS_FS_FILE_ERROR;
      break;
    }
    if (r == 0) { /* Go's ReadAt: io.EOF when the file is short */
      snprintf(msg, cap, "EOF");
      status = BS_FS_CHANGED;
      break;
    }
    got += (size_t)r;
  }
  close(fd);
  if (status == BS_FS_OK && dag_cid_verify(cid, buf, ref->size) != 0) {
    snprintf(msg, cap, "data in file did not match. %s offset %llu",
             ref->path, (unsigned long long)ref->offset);
    status = BS_FS_CHANGED;
  }
  return status;
}

int bs__fs_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t **data,
               size_t *len) {
  if (!bs__fs_any(txn))
    return TR_ENOTFOUND;
  bs_fsref_t *ref = tr_malloc(sizeof *ref);
  if (!ref)
    return -ENOMEM;
  int rc = bs_fs_get(txn, cid, ref);
  if (rc == 0 && ref->size > BS_MAX_BLOCK)
    rc = TR_ECORRUPT;
  if (rc) {
    tr_free(ref);
    return rc;
  }
  size_t maplen = FSBUF_HDR + (size_t)ref->size;
  /* MAP_POPULATE: the pages in one call, not a fault per page (a cat of
   * a referenced file: 1.08 s for 512 MiB before, 0.74 s after). */
  struct bs__fsbuf *b = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (b == MAP_FAILED) {
    tr_free(ref);
    return -ENOMEM;
  }
  b->maplen = maplen;
  b->len = (size_t)ref->size;
  char msg[256];
  int st = bs_fs_read(txn->env, cid, ref, fsbuf_data(b), msg, sizeof msg);
  tr_free(ref);
  if (st != BS_FS_OK) {
    munmap(b, maplen);
    return st == BS_FS_CHANGED ? TR_EFSCHANGED : TR_EFSFILE;
  }
  b->next = txn->fsbufs;
  txn->fsbufs = b;
  *data = fsbuf_data(b);
  *len = b->len;
  return 0;
}

void bs__fs_txn_end(bs_txn_t *txn) {
  struct bs__fsbuf *b = txn->fsbufs;
  while (b) {
    struct bs__fsbuf *next = b->next;
    munmap(b, b->maplen);
    b = next;
  }
  txn->fsbufs = NULL;
}

void bs__fs_release(bs_txn_t *txn, const void *p, size_t n) {
  const uint8_t *e = (const uint8_t *)p + n;
  for (struct bs__fsbuf **at = &txn->fsbufs; *at; at = &(*at)->next) {
    struct bs__fsbuf *b = *at;
    uint8_t *d = fsbuf_data(b);
    if ((const uint8_t *)p >= d && e == d + b->len) {
      *at = b->next;
      munmap(b, b->maplen);
      return;
    }
  }
}
