/*
 * test_mfs.c — the MFS tree (rpc/mfs.h) on a real store: CIDs Kubo v0.43.1
 * gives for the same operations (generated with its `files` API; the
 * commands are beside each vector), the flat directory turning into a
 * HAMT at boxo's threshold and back, Kubo's messages, GC keeping what the
 * root reaches, `files write` end to end, and hostile state.
 */
#include "testutil.h"

#include "mfs_test.h"

#include "../dag/hamt.h"
#include "../dag/importer.h"

/* dag-pb nodes of CID version 0, sha2-256, nothing inlined. */
static const dag_cidb_t SHA256_V0 = {0, DAG_MH_SHA2_256, 0};

static int put(const dag_cid_t *cid, const uint8_t *d, size_t n, void *txn) {
  return bs_put(txn, cid, d, n);
}

/* A file imported as Kubo's legacy profile imports it (CIDv0). */
static dag_cid_t add_v0(fx_t *f, const void *data, size_t len) {
  dag_import_opts_t o;
  assert_int_equal(dag_import_profile(&o, "unixfs-v0-2015"), 0);
  dag_import_result_t r;
  assert_int_equal(dag_import_bytes(&o, data, len, put, f->txn, &r), 0);
  return r.cid;
}

static void assert_cid(const dag_cid_t *c, const char *want) {
  char s[DAG_CID_STR_MAX];
  assert_string_equal(dag_cid_str(c, s), want);
}

static void assert_at(fx_t *f, const char *path, const char *want) {
  dag_cid_t c;
  assert_int_equal(mfs_lookup(&f->m, path, &c), 0);
  assert_cid(&c, want);
}

static void cp(fx_t *f, const dag_cid_t *c, const char *dst) {
  uint64_t tsize;
  assert_int_equal(mfs_cumulative(&f->m, c, &tsize), 0);
  assert_int_equal(mfs_put(&f->m, dst, c, tsize, false, false), 0);
}

/* ----------------------------------------------------------------- tests */

static void test_paths(void **state) {
  fx_t *f = *state;
  char out[MFS_PATH_MAX + 2];
  static const char *const cases[][2] = {
      {"/", "/"},         {"//a//b/", "/a/b/"}, {"/a/./b", "/a/b"},
      {"/a/../b", "/b"},  {"/../..", "/"},      {"/a/b/..", "/a"},
      {"/a/b/../", "/a/"}, {"/.", "/"},
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(cases); i++) {
    assert_int_equal(mfs_check_path(&f->m, cases[i][0], out, sizeof out), 0);
    assert_string_equal(out, cases[i][1]);
  }
  assert_fails(f, mfs_check_path(&f->m, "", out, sizeof out), TR_EUSAGE,
               "paths must not be empty");
  assert_fails(f, mfs_check_path(&f->m, "a/b", out, sizeof out), TR_EUSAGE,
               "paths must start with a leading slash");
}

/* ipfs files mkdir /d; mkdir -p /a/b/c: Kubo's CIDs. */
static void test_mkdir(void **state) {
  fx_t *f = *state;
  assert_at(f, "/", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  json_t *o = mfs_ls_json(&f->m, "/", false);
  assert_non_null(o);
  assert_true(json_is_null(json_object_get(o, "Entries")));
  json_decref(o);
  assert_int_equal(mfs_mkdir(&f->m, "/d", false, NULL), 0);
  assert_fails(f, mfs_mkdir(&f->m, "/d", false, NULL), TR_EEXIST,
               "file already exists");
  assert_int_equal(mfs_mkdir(&f->m, "/d", true, NULL), 0);
  assert_fails(f, mfs_mkdir(&f->m, "/a/b/c", false, NULL), TR_EPATH,
               "file does not exist");
  assert_int_equal(mfs_mkdir(&f->m, "/a/b/c", true, NULL), 0);
  assert_at(f, "/a", "Qme4R3JHzy8cGZFb1APh6qgyALaLVPghP1RN9SWPAMLkxa");
  assert_at(f, "/d", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  assert_at(f, "/", "QmWZbRDn6SE5S2Gg3H1gTVKvMQ4HvHMhLdE4p7PpJ3TmEX");
  assert_fails(f, mfs_mkdir(&f->m, "/", false, NULL), TR_EEXIST,
               "cannot create directory '/': Already exists");
  o = mfs_stat_json(&f->m, &(dag_cid_t){0}, false);
  assert_null(o); /* no such block */
  dag_cid_t a;
  assert_int_equal(mfs_lookup(&f->m, "/a", &a), 0);
  o = mfs_stat_json(&f->m, &a, false);
  char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  assert_string_equal(s, "{\"Hash\":\"Qme4R3JHzy8cGZFb1APh6qgyALaLVPghP1RN9"
                         "SWPAMLkxa\",\"Size\":0,\"CumulativeSize\":98,"
                         "\"Blocks\":1,\"Type\":\"directory\"}");
  free(s);
  json_decref(o);
}

/* cp, mv, rm and their messages (Kubo's, checked by hand against it). */
static void test_edits(void **state) {
  fx_t *f = *state;
  dag_cid_t h = add_v0(f, "hello\n", 6), got;
  assert_cid(&h, "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  assert_int_equal(mfs_mkdir(&f->m, "/a/b", true, NULL), 0);
  cp(f, &h, "/h");
  assert_fails(f, mfs_put(&f->m, "/h", &h, 14, false, false), TR_EEXIST,
               "cp: cannot put node in path /h: directory already has entry "
               "by that name");
  assert_int_equal(mfs_put(&f->m, "/h", &h, 14, false, true), 0);
  assert_fails(f, mfs_put(&f->m, "/a", &h, 14, false, true), TR_ENOTFILE,
               "cp: cannot unlink existing file: not a file: /a");
  assert_int_equal(mfs_put(&f->m, "/x/y/h", &h, 14, true, false), 0);
  assert_at(f, "/x/y/h", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  assert_fails(f, mfs_lookup(&f->m, "/h/x", &got), TR_ENOTDIR,
               "cannot access h/x: Not a directory");
  /* mv: into a directory, onto a file, a rename */
  assert_int_equal(mfs_mv(&f->m, "/h", "/a/b"), 0);
  assert_at(f, "/a/b/h", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  assert_fails(f, mfs_lookup(&f->m, "/h", &got), TR_EPATH,
               "file does not exist");
  cp(f, &h, "/g");
  assert_int_equal(mfs_mv(&f->m, "/g", "/a/b/h"), 0);
  assert_fails(f, mfs_lookup(&f->m, "/g", &got), TR_EPATH,
               "file does not exist");
  assert_int_equal(mfs_mv(&f->m, "/a/b/h", "/a/b/h2"), 0);
  assert_at(f, "/a/b/h2", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  assert_int_equal(mfs_mv(&f->m, "/a/b/h2", "/a/b/h2"), 0);
  assert_at(f, "/a/b/h2", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  assert_fails(f, mfs_mv(&f->m, "/nope", "/z"), TR_EPATH,
               "file does not exist");
  /* rm */
  assert_fails(f, mfs_rm(&f->m, "/a", false, false), TR_ENOTFILE,
               "path is a directory, use -r to remove directories");
  assert_fails(f, mfs_rm(&f->m, "/nope", false, false), TR_EPATH,
               "file does not exist");
  assert_int_equal(mfs_rm(&f->m, "/nope/deeper", false, true), 0);
  assert_fails(f, mfs_rm(&f->m, "/", true, false), TR_EUSAGE,
               "cannot delete root");
  assert_int_equal(mfs_rm(&f->m, "/a", true, false), 0);
  assert_int_equal(mfs_rm(&f->m, "/x", false, true), 0);
  assert_at(f, "/", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
  /* chcid */
  assert_fails(f, mfs_chcid(&f->m, "/", &f->m.dflt), TR_EUSAGE,
               "cannot change CID format of the MFS root; use 'ipfs config "
               "Import.CidVersion' and 'ipfs config Import.HashFunction' "
               "instead");
  cp(f, &h, "/h");
  mfs_prefix_t v1 = {1, DAG_MH_SHA2_256};
  assert_fails(f, mfs_chcid(&f->m, "/h", &v1), TR_ENOTDIR,
               "can only update directories");
}

/* chmod and touch (Kubo: chmod 0644 /f1 of `echo hello | files write
 * --create /f1`, then chmod 0 clears it; touch --mtime=5
 * --mtime-nsecs=7). */
static void test_meta(void **state) {
  fx_t *f = *state;
  dag_cid_t h = add_v0(f, "hello\n", 6), got;
  cp(f, &h, "/f1");
  assert_int_equal(mfs_chmod(&f->m, "/f1", 0644), 0);
  assert_int_equal(mfs_lookup(&f->m, "/f1", &got), 0);
  json_t *o = mfs_stat_json(&f->m, &got, false);
  assert_string_equal(json_string_value(json_object_get(o, "Mode")), "0644");
  json_decref(o);
  assert_int_equal(mfs_chmod(&f->m, "/f1", 0), 0);
  assert_at(f, "/f1", "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  assert_int_equal(mfs_mkdir(&f->m, "/a", false, NULL), 0);
  assert_int_equal(mfs_chmod(&f->m, "/a", 04755), 0);
  assert_int_equal(mfs_touch(&f->m, "/a", 1630937926, 0), 0);
  assert_int_equal(mfs_lookup(&f->m, "/a", &got), 0);
  o = mfs_stat_json(&f->m, &got, false);
  /* Go's FileMode: ModeDir (1<<31) with the permission bits; setuid is
   * not a permission bit for os.FileMode(0o4755). */
  assert_string_equal(json_string_value(json_object_get(o, "Mode")),
                      "20000000755");
  assert_int_equal(json_integer_value(json_object_get(o, "Mtime")),
                   1630937926);
  json_decref(o);
  /* A raw leaf takes a mode by becoming a dag-pb File node (CIDv0). */
  dag_cid_t raw;
  assert_int_equal(dag_cid_sum(&raw, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                               "raw!", 4), 0);
  assert_int_equal(bs_put(f->txn, &raw, (const uint8_t *)"raw!", 4), 0);
  cp(f, &raw, "/r");
  assert_int_equal(mfs_touch(&f->m, "/r", 5, 7), 0);
  assert_int_equal(mfs_lookup(&f->m, "/r", &got), 0);
  assert_int_equal(got.version, 0);
  o = mfs_stat_json(&f->m, &got, false);
  assert_int_equal(json_integer_value(json_object_get(o, "Size")), 4);
  assert_int_equal(json_integer_value(json_object_get(o, "MtimeNsecs")), 7);
  json_decref(o);
}

/* A directory past boxo's HAMT threshold and back (Kubo's CIDs: /h made,
 * then `files cp /ipfs/<hello> /h/<name i>` for i = 1..960, names
 * "entry-%05d-" padded to 250 bytes with 'x' (924 entries make
 * 924 * 284 > 262144: a HAMT), then `files rm` from the last down to 922:
 * it stays a HAMT while it does not fit, and turns flat again at 923). */
static void name_of(char *path, size_t cap, int i) {
  snprintf(path, cap, "/h/entry-%05d-", i);
  while (strlen(path) < 3 + 250)
    strcat(path, "x");
}

static void test_hamt(void **state) {
  fx_t *f = *state;
  dag_cid_t h = add_v0(f, "hello\n", 6);
  assert_int_equal(mfs_mkdir(&f->m, "/h", false, NULL), 0);
  static const struct {
    int i;
    const char *cid;
  } adds[] = {
      {1, "QmYgcD3BwHqdLZeVQkxpYojdEPMH4Sfta4NrbNFYvaLRQY"},
      {923, "QmZjBRXYdHb6ibXBQ6VXYRJabossree4nJV7g8ax15VLgZ"},
      {924, "QmPSyNPuYq1rcMRCPe9dERRbJoGFUq6VnwmRrYjV5WSrpj"},
      {925, "QmbejdnCHAZEwou5vSuSYzf3zA46E4MNfiXRhmxRDL2ynL"},
      {960, "Qmb12DZ3Q6ddmrV654eu9GgffJcLatf4MovTQDfGYLoxgo"},
  },
    rms[] = {
      {960, "QmXADPpT54peJXcMAT9sMKykM6GVnBrBdr3nTUhBawt9mK"},
      {959, "QmZvjftmHaUCeXD7aARQJ5QXCwZSYp3CRs3E7B2TZTXkYR"},
      {925, "QmPSyNPuYq1rcMRCPe9dERRbJoGFUq6VnwmRrYjV5WSrpj"},
      {924, "QmZjBRXYdHb6ibXBQ6VXYRJabossree4nJV7g8ax15VLgZ"},
      {923, "QmZKddQq9EFQEKEbJMpUj8qASsrisHTYjkWsyAX5NHPiwu"},
      {922, "QmcLtUuudpt6ERVJuX2xxntgbo9YfSdYDuynHgw84BKTp7"},
  };
  char path[300];
  size_t k = 0;
  for (int i = 1; i <= 960; i++) {
    name_of(path, sizeof path, i);
    cp(f, &h, path);
    if (k < TR_ARRAY_LEN(adds) && adds[k].i == i)
      assert_at(f, "/h", adds[k++].cid);
  }
  /* Inside the HAMT: a lookup through the shards, ls of every entry. */
  assert_at(f, path, "QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  json_t *o = mfs_ls_json(&f->m, "/h", true);
  assert_int_equal(json_array_size(json_object_get(o, "Entries")), 960);
  json_decref(o);
  k = 0;
  for (int i = 960; i >= 922; i--) {
    name_of(path, sizeof path, i);
    assert_int_equal(mfs_rm(&f->m, path, false, false), 0);
    if (k < TR_ARRAY_LEN(rms) && rms[k].i == i)
      assert_at(f, "/h", rms[k++].cid);
  }
  assert_int_equal(k, TR_ARRAY_LEN(rms));
  assert_at(f, "/", "Qmdq7rjMEV6a6bJBHAtABh18sa9ofEen6uWQD6o97VVkyZ");
}

/* Edited in place, a HAMT has the shape a build of its entries from
 * scratch has (dag_hamt_build: canonical), whatever the order of the
 * changes: random names set, replaced and removed in a HAMT directory
 * kept over the threshold, compared with a fresh build after each
 * batch. */
static void test_hamt_canonical(void **state) {
  fx_t *f = *state;
  enum { BASE = 930, EXTRA = 400 };
  dag_cid_t h = add_v0(f, "hello\n", 6), g = add_v0(f, "other\n", 6);
  assert_int_equal(mfs_mkdir(&f->m, "/h", false, NULL), 0);
  char path[300];
  for (int i = 1; i <= BASE; i++) {
    name_of(path, sizeof path, i);
    cp(f, &h, path);
  }
  /* Short names, which land in shards two and three levels down. */
  char *names[EXTRA];
  bool in[EXTRA] = {false}, other[EXTRA] = {false};
  uint32_t x = 12345;
  for (int i = 0; i < EXTRA; i++) {
    names[i] = malloc(16);
    snprintf(names[i], 16, "n%d", i);
  }
  for (int round = 0; round < 6; round++) {
    for (int op = 0; op < 120; op++) {
      x ^= x << 13, x ^= x >> 17, x ^= x << 5;
      int i = (int)(x % EXTRA);
      snprintf(path, sizeof path, "/h/%s", names[i]);
      if (in[i] && (x & 0x100)) {
        assert_int_equal(mfs_rm(&f->m, path, false, false), 0);
        in[i] = false;
      } else {
        other[i] = (x & 0x200) != 0;
        uint64_t ts;
        const dag_cid_t *c = other[i] ? &g : &h;
        assert_int_equal(mfs_cumulative(&f->m, c, &ts), 0);
        assert_int_equal(mfs_put(&f->m, path, c, ts, false, true), 0);
        in[i] = true;
      }
    }
    /* The same entries built at once. */
    size_t n = 0;
    dag_hamt_entry_t *e = calloc(BASE + EXTRA, sizeof *e);
    char **keep = calloc(BASE, sizeof *keep);
    for (int i = 1; i <= BASE; i++) {
      name_of(path, sizeof path, i);
      keep[i - 1] = strdup(path + 3);
      e[n++] = (dag_hamt_entry_t){keep[i - 1], strlen(keep[i - 1]),
                                  h.bytes, h.len, 14, 0};
    }
    for (int i = 0; i < EXTRA; i++)
      if (in[i])
        e[n++] = (dag_hamt_entry_t){names[i], strlen(names[i]),
                                    other[i] ? g.bytes : h.bytes,
                                    other[i] ? g.len : h.len, 14, 0};
    dag_cid_t want, got;
    uint64_t wts;
    assert_int_equal(dag_hamt_build(e, n, 256, &SHA256_V0, NULL,
                                    put, f->txn, &want, &wts), 0);
    assert_int_equal(mfs_lookup(&f->m, "/h", &got), 0);
    assert_true(dag_cid_equal(&want, &got));
    for (int i = 0; i < BASE; i++)
      free(keep[i]);
    free(keep);
    free(e);
  }
  for (int i = 0; i < EXTRA; i++)
    free(names[i]);
}

/* GC keeps what the MFS root reaches, present or not, and nothing else. */
static void test_gc(void **state) {
  fx_t *f = *state;
  dag_cid_t a = add_v0(f, "kept by mfs\n", 12);
  dag_cid_t b = add_v0(f, "garbage\n", 8);
  cp(f, &a, "/a");
  /* An entry whose block is not here: GC walks past it. */
  dag_cid_t absent;
  assert_int_equal(dag_cid_sum(&absent, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256,
                               "not here", 8), 0);
  assert_int_equal(mfs_put(&f->m, "/absent", &absent, 8, false, false), 0);
  assert_int_equal(bs_txn_commit(f->txn), 0);
  f->txn = NULL;
  bs_gc_stats_t st;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  bs_txn_t *txn;
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &txn), 0);
  assert_int_equal(bs_has(txn, &a), 1);
  assert_int_equal(bs_has(txn, &b), 0);
  bs_txn_abort(txn);
  assert_int_equal(bs_txn_begin(f->env, 0, &f->txn), 0);
  f->m.txn = f->txn;
  assert_int_equal(mfs_rm(&f->m, "/a", false, false), 0);
  assert_int_equal(bs_txn_commit(f->txn), 0);
  f->txn = NULL;
  assert_int_equal(bs_gc(f->env, NULL, NULL, &st), 0);
  assert_int_equal(bs_txn_begin(f->env, BS_RDONLY, &txn), 0);
  assert_int_equal(bs_has(txn, &a), 0);
  bs_txn_abort(txn);
}

/* Hostile state: a root that is not a CID, a directory entry whose block
 * is missing or of another codec. */
static void test_hostile(void **state) {
  fx_t *f = *state;
  dag_cid_t got;
  assert_int_equal(bs_meta_put(f->txn, MFS_ROOT_KEY, "junk", 4), 0);
  assert_int_equal(mfs_lookup(&f->m, "/", &got), TR_ECORRUPT);
  f->m.err[0] = 0;
  assert_int_equal(mfs_mkdir(&f->m, "/x", false, NULL), TR_ECORRUPT);
  f->m.err[0] = 0;
  /* A root that is a raw block: not a directory. */
  dag_cid_t raw;
  assert_int_equal(dag_cid_sum(&raw, 1, DAG_CODEC_RAW, DAG_MH_SHA2_256, "r",
                               1), 0);
  assert_int_equal(bs_put(f->txn, &raw, (const uint8_t *)"r", 1), 0);
  assert_int_equal(bs_meta_put(f->txn, MFS_ROOT_KEY, raw.bytes, raw.len), 0);
  assert_int_equal(mfs_mkdir(&f->m, "/x", false, NULL), TR_ECORRUPT);
  assert_null(mfs_ls_json(&f->m, "/", false));
  assert_string_equal(f->m.err, "the MFS root in the repo is not a "
                      "directory CID");
  f->m.err[0] = 0;
  /* Back to a sane root, with an entry that is missing and one that is
   * dag-cbor. */
  static const uint8_t empty[] = {0x0a, 0x02, 0x08, 0x01};
  dag_cid_t e, cb, missing;
  assert_int_equal(dag_cid_sum(&e, 0, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256,
                               empty, 4), 0);
  assert_int_equal(bs_meta_put(f->txn, MFS_ROOT_KEY, e.bytes, e.len), 0);
  static const uint8_t cbor[] = {0xa0};
  assert_int_equal(dag_cid_sum(&cb, 1, 0x71, DAG_MH_SHA2_256, cbor, 1), 0);
  assert_int_equal(bs_put(f->txn, &cb, cbor, 1), 0);
  assert_int_equal(dag_cid_sum(&missing, 0, DAG_CODEC_DAG_PB,
                               DAG_MH_SHA2_256, "m", 1), 0);
  assert_int_equal(mfs_put(&f->m, "/cbor", &cb, 1, false, false), 0);
  assert_int_equal(mfs_put(&f->m, "/missing", &missing, 1, false, false), 0);
  assert_int_equal(mfs_lookup(&f->m, "/missing/x", &got), TR_ENOTFOUND);
  assert_int_not_equal(mfs_lookup(&f->m, "/cbor/x", &got), 0);
  f->m.err[0] = 0;
  assert_null(mfs_ls_json(&f->m, "/", true));
  f->m.err[0] = 0;
  json_t *o = mfs_ls_json(&f->m, "/", false);
  assert_int_equal(json_array_size(json_object_get(o, "Entries")), 2);
  json_decref(o);
  /* Removing them works without reading them. */
  assert_int_equal(mfs_rm(&f->m, "/missing", true, false), 0);
  assert_int_equal(mfs_rm(&f->m, "/cbor", false, true), 0);
  assert_at(f, "/", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
}

/* files write end to end (Kubo: files write --create /w < 1,000,000 bytes
 * of (i*7+3)&0xff; -o 1000000 < 300,000 bytes of (i*13+5)&0xff; printf
 * XXXXX | -o 100; printf abc | --truncate; printf tail | -o 10; printf v1
 * | --create --cid-version=1 /v1; the 300,000 bytes | --create -p
 * /deep/er/f). */
static int write_bytes(fx_t *f, const mfs_write_t *w, const void *p,
                       size_t n) {
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  assert_int_equal(fwrite(p, 1, n, tmp), n);
  fflush(tmp);
  rewind(tmp);
  int rc = mfs_write_fd(&f->m, w, fileno(tmp));
  fclose(tmp);
  return rc;
}

static void test_write(void **state) {
  fx_t *f = *state;
  uint8_t *a = malloc(1000000), *b = malloc(300000);
  for (size_t i = 0; i < 1000000; i++)
    a[i] = (uint8_t)(i * 7 + 3);
  for (size_t i = 0; i < 300000; i++)
    b[i] = (uint8_t)(i * 13 + 5);
  mfs_write_t w = {.path = "/w", .count = -1, .create = true,
                   .raw_leaves = -1};
  assert_int_equal(write_bytes(f, &w, a, 1000000), 0);
  assert_at(f, "/w", "QmcA4LFm3FozpuCKzkAUMFHucnoHMpwQgvLr2hRSJ7KNZC");
  w.create = false;
  w.offset = 1000000;
  assert_int_equal(write_bytes(f, &w, b, 300000), 0);
  assert_at(f, "/w", "QmNe6Lu3vDgGE2yw8rWhnMgtsoWouGKywvG1BjLSUGCU8C");
  w.offset = 100;
  assert_int_equal(write_bytes(f, &w, "XXXXX", 5), 0);
  assert_at(f, "/w", "QmW2X41rBycaX4e3xquk5JnZkjZmWdAENpHcqSVMYDFezg");
  w.offset = 0;
  w.truncate = true;
  assert_int_equal(write_bytes(f, &w, "abc", 3), 0);
  assert_at(f, "/w", "Qma6ksXtPyvsRJeZXiVFwbfiFDGCgEaqwkuYewbr3Smgth");
  w.truncate = false;
  w.offset = 10;
  assert_int_equal(write_bytes(f, &w, "tail", 4), 0);
  assert_at(f, "/w", "QmS8tVcSpG21QoyZd7mUPkgk2wuZ7YdmNeYPDSJdC5Pqgz");
  mfs_write_t v1 = {.path = "/v1", .count = -1, .create = true,
                    .raw_leaves = -1, .has_pfx = true,
                    .pfx = {1, DAG_MH_SHA2_256}};
  assert_int_equal(write_bytes(f, &v1, "v1", 2), 0);
  assert_at(f, "/v1",
            "bafkreib37qtjlfhpmsjcr2nhjovqb4cc57er2wwmn67oggryf2anii4i7y");
  mfs_write_t deep = {.path = "/deep/er/f", .count = -1, .create = true,
                      .parents = true, .raw_leaves = -1};
  assert_int_equal(write_bytes(f, &deep, b, 300000), 0);
  assert_at(f, "/deep", "QmVs3Gzm7s6zNyNsSyLjGDCLhunNSf6orFs2ayqk2eNZtg");
  assert_at(f, "/", "QmQw1JzvuvQjXGQUpdFVrNWjcyZp3HgWBt9YPTmmLK1gN1");
  /* Kubo's refusals. */
  mfs_write_t no = {.path = "/nope", .count = -1, .raw_leaves = -1};
  assert_fails(f, write_bytes(f, &no, "x", 1), TR_EPATH,
               "file does not exist");
  mfs_write_t dir = {.path = "/deep", .count = -1, .raw_leaves = -1};
  assert_fails(f, write_bytes(f, &dir, "x", 1), TR_ENOTFILE,
               "/deep was not a file");
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
      cmocka_unit_test_setup_teardown(test_edits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hamt_canonical, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gc, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
      cmocka_unit_test_setup_teardown(test_write, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
