/*
 * testutil.h — what the cmocka tests share: cmocka's includes, a failing
 * allocator for allocation-failure sweeps (nghttp2's failmalloc, SQLite's
 * faultsim), temporary repo directories, hex helpers and reading a
 * vector file whole.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first. */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../common/tr.h"

/* ------------------------------------------------------------ failmalloc */

/* After fm_fail_after allocations succeed, every further one fails until
 * fm_reset().  fm_count counts calls. */
static long fm_fail_after = -1, fm_count = 0;
static void *fm_malloc(size_t n, void *d) {
  (void)d;
  if (fm_fail_after >= 0 && fm_count++ >= fm_fail_after)
    return NULL;
  return malloc(n);
}
static void fm_free(void *p, void *d) {
  (void)d;
  free(p);
}
static void *fm_calloc(size_t n, size_t s, void *d) {
  (void)d;
  if (fm_fail_after >= 0 && fm_count++ >= fm_fail_after)
    return NULL;
  return calloc(n, s);
}
static void *fm_realloc(void *p, size_t n, void *d) {
  (void)d;
  if (fm_fail_after >= 0 && fm_count++ >= fm_fail_after)
    return NULL;
  return realloc(p, n);
}
static const tr_mem_t fm_mem = {fm_malloc, fm_free, fm_calloc, fm_realloc,
                                NULL};
static inline void fm_start(long after) {
  fm_fail_after = after;
  fm_count = 0;
  tr_mem_set(&fm_mem);
}
static inline void fm_reset(void) {
  fm_fail_after = -1;
  tr_mem_set(NULL);
}

/* ------------------------------------------------------------- temp dirs */

/* A fresh directory under $TMPDIR; removed (recursively) by tmpdir_rm. */
static inline char *tmpdir_new(void) {
  const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char *p = malloc(strlen(base) + 32);
  sprintf(p, "%s/trove-test-XXXXXX", base);
  if (!mkdtemp(p))
    abort();
  return p;
}
static inline void tmpdir_rm(char *p) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", p);
  free(p);
}

/* ------------------------------------------------------------------- hex */

/* Decode hex into out; returns the byte count.  Aborts on bad hex: inputs
 * are the tests' own vectors. */
static inline size_t unhex(const char *h, uint8_t *out, size_t outsize) {
  size_t n = strlen(h) / 2;
  if (n > outsize)
    abort();
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1)
      abort();
    out[i] = (uint8_t)v;
  }
  return n;
}

/* ----------------------------------------------------------------- files */

/* The whole file at path (relative to the repository root, where the
 * tests run), malloc'd; fails the test when it cannot be read. */
static inline uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail_msg("cannot open %s (run from the repository root)", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
    fail_msg("short read on %s", path);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* ------------------------------------------------- ipld/codec-fixtures */

#define CODEC_FIX_DIR "tests/vectors/codec-fixtures/"

/* One fixture directory of tests/vectors/codec-fixtures: its name, and the
 * path of each of its files with the CID the file is named by ("" where it
 * has none: the dagpb_* fixtures hold the node as dag-pb and dag-cbor). */
typedef struct codec_fixture {
  const char *name;
  char cbor[1024], cbor_cid[128], pb[1024], pb_cid[128], json[1024];
} codec_fixture_t;

/* Call cb on every fixture directory (negative/ left out), in directory
 * order; returns how many there were.  Fails the test when the directory
 * cannot be read. */
static inline int codec_fixtures_each(void (*cb)(const codec_fixture_t *,
                                                 void *),
                                      void *ud) {
  DIR *d = opendir(CODEC_FIX_DIR);
  if (!d)
    fail_msg("cannot open " CODEC_FIX_DIR " (run from the repository root)");
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || !strcmp(e->d_name, "negative"))
      continue;
    char dir[512];
    snprintf(dir, sizeof dir, CODEC_FIX_DIR "%s", e->d_name);
    DIR *sd = opendir(dir);
    if (!sd)
      continue; /* README.md */
    codec_fixture_t f = {.name = e->d_name};
    struct dirent *g;
    while ((g = readdir(sd))) {
      const char *dot = strrchr(g->d_name, '.');
      char(*path)[sizeof f.json] = NULL, (*cid)[sizeof f.cbor_cid] = NULL;
      if (!dot)
        continue;
      if (!strcmp(dot, ".dag-cbor"))
        path = &f.cbor, cid = &f.cbor_cid;
      else if (!strcmp(dot, ".dag-pb"))
        path = &f.pb, cid = &f.pb_cid;
      else if (!strcmp(dot, ".dag-json"))
        path = &f.json;
      else
        continue;
      snprintf(*path, sizeof *path, "%s/%s", dir, g->d_name);
      if (cid)
        snprintf(*cid, sizeof *cid, "%.*s", (int)(dot - g->d_name), g->d_name);
    }
    closedir(sd);
    cb(&f, ud);
    n++;
  }
  closedir(d);
  return n;
}

/* codec_fixtures_each over the fixtures that have a dag-cbor block: cb
 * gets the block's bytes too (a heap buffer of exactly its length, freed
 * after cb returns).  Returns how many such fixtures there were. */
typedef void (*codec_cbor_cb)(const codec_fixture_t *f, const uint8_t *in,
                              size_t len, void *ud);
typedef struct codec_cbor_walk {
  codec_cbor_cb cb;
  void *ud;
  int n;
} codec_cbor_walk_t;

static inline void codec_cbor_one(const codec_fixture_t *f, void *ud) {
  codec_cbor_walk_t *w = ud;
  if (!f->cbor[0])
    return;
  size_t len;
  uint8_t *in = slurp(f->cbor, &len);
  w->cb(f, in, len, w->ud);
  free(in);
  w->n++;
}

static inline int codec_cbor_fixtures_each(codec_cbor_cb cb, void *ud) {
  codec_cbor_walk_t w = {cb, ud, 0};
  codec_fixtures_each(codec_cbor_one, &w);
  return w.n;
}

/* --------------------------------------------------------------- sockets */

/* A tarpit: a TCP port on 127.0.0.1 whose connections the kernel accepts
 * and nobody ever answers (a dead service, a firewall that swallows), so
 * that a libp2p dial there fails only at its handshake timeout.  Its
 * multiaddr into out; the listening socket is returned (close it). */
static inline int test_tarpit(char *out, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
      listen(fd, 16) || getsockname(fd, (struct sockaddr *)&sa, &sl))
    fail_msg("tarpit: %s", strerror(errno));
  snprintf(out, cap, "/ip4/127.0.0.1/tcp/%d", ntohs(sa.sin_port));
  return fd;
}

#endif /* TESTUTIL_H */
