/*
 * fuzz_modify.c — libFuzzer target for the DagModifier (dag/modify.h).
 *
 * The first bytes choose the start: an empty file, or the next bytes
 * imported (balanced or trickle, raw or dag-pb leaves, CIDv0 or v1, small
 * chunks and few links so that short inputs make deep DAGs).  The rest is
 * a list of operations, each applied with a small chunk size, copy size
 * and write buffer so that Syncs, overwrites across leaves, appends into
 * trickle subtrees, sparse zeros and truncation all happen within a few
 * hundred bytes: seek + write, truncate, or finish and reopen.  After every
 * operation the file read back through dag/reader.h must equal a plain
 * byte array that had the same writes, zeros and cuts — unless the start
 * was a dag-pb leaf root holding data (boxo's quirk: its data is ignored by
 * overwrites; see modify.h), which is then only checked not to crash.
 * Build: make build-fuzz/fuzz_modify; seeds in tests/fuzz/corpus/fuzz_modify.
 */
#include "../../dag/modify.h"
#include "../../dag/reader.h"
#include "../memstore.h"

#include <stdlib.h>
#include <string.h>

#define MAXF 65536

typedef struct cmp {
  const uint8_t *m;
  size_t n, off;
} cmp_t;

static int cmp_cb(const uint8_t *p, size_t n, void *ud) {
  cmp_t *c = ud;
  if (c->off + n > c->n || memcmp(p, c->m + c->off, n))
    abort();
  c->off += n;
  return 0;
}

static void check(memstore_t *ms, const dag_cid_t *cid, const uint8_t *m,
                  size_t n) {
  cmp_t c = {m, n, 0};
  if (dag_cat(cid, 0, UINT64_MAX, ms_get, ms, cmp_cb, &c) || c.off != n)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len) {
  if (len < 3)
    return 0;
  static uint8_t model[MAXF];
  size_t mn = 0;
  memstore_t ms = {0};
  dag_mod_opts_t mo = {0};
  mo.raw_leaves = (in[0] & 3) == 3 ? DAG_MOD_RAW_DEFAULT : (in[0] & 1);
  mo.chunk_size = 3 + in[1] % 13;
  mo.copy_size = 1 + in[1] / 16;
  mo.wbuf_max = 1 + in[2] % 40;
  mo.max_links = 2 + (in[0] >> 5);
  dag_cid_t root;
  bool exact = true;
  size_t pos = 3;
  if (in[0] & 4) { /* import a start */
    size_t n = pos < len ? in[pos++] : 0;
    if (n > len - pos)
      n = len - pos;
    dag_import_opts_t o;
    if (dag_import_profile(&o, (in[0] & 8) ? NULL : "unixfs-v0-2015"))
      abort();
    o.layout = (in[0] & 16) ? DAG_LAYOUT_TRICKLE : DAG_LAYOUT_BALANCED;
    o.chunker = "size-7";
    /* The modifier's max_links: with another, boxo's Append takes leaves
     * for subtrees and hangs links under a leaf that holds data, which
     * later overwrites skip (a quirk of boxo's, not a bug to find here). */
    o.max_links = mo.max_links;
    dag_import_result_t r;
    if (dag_import_bytes(&o, in + pos, n, ms_put, &ms, &r))
      abort();
    memcpy(model, in + pos, n);
    mn = n;
    pos += n;
    root = r.cid;
    /* A one-chunk balanced dag-pb file is a leaf root with data. */
    exact = !(o.layout == DAG_LAYOUT_BALANCED && !o.raw_leaves && n <= 7);
  } else {
    dag_mod_t *m;
    dag_import_result_t r;
    if (dag_mod_new(&m, NULL, &mo, ms_get, ms_put, &ms) ||
        dag_mod_finish(m, &r))
      abort();
    dag_mod_free(m);
    root = r.cid;
  }
  dag_mod_t *m;
  if (dag_mod_new(&m, &root, &mo, ms_get, ms_put, &ms))
    abort();
  while (pos + 2 <= len) {
    uint8_t op = in[pos], a = in[pos + 1];
    pos += 2;
    int rc = 0;
    if (op % 3 == 0) { /* seek a, write the next op>>2 bytes */
      size_t off = a, n = op >> 2;
      if (n > len - pos)
        n = len - pos;
      if (off + n > MAXF)
        break;
      rc = dag_mod_seek(m, off);
      if (!rc)
        rc = dag_mod_write(m, in + pos, n);
      if (off > mn)
        memset(model + mn, 0, off - mn);
      memcpy(model + off, in + pos, n);
      if (off + n > mn)
        mn = off + n;
      pos += n;
    } else if (op % 3 == 1) { /* truncate */
      size_t size = (size_t)a * (op >> 2) / 16;
      if (size > MAXF)
        break;
      rc = dag_mod_truncate(m, size);
      if (size > mn)
        memset(model + mn, 0, size - mn);
      mn = size;
    }
    dag_import_result_t r;
    if (!rc)
      rc = dag_mod_finish(m, &r);
    if (rc) {
      if (exact)
        abort(); /* nothing hostile here: every block is ours */
      break;
    }
    if (exact) {
      if (r.size != mn)
        abort();
      check(&ms, &r.cid, model, mn);
    }
    if (op % 3 == 2) { /* reopen on the flushed root, as a new command */
      dag_mod_free(m);
      if (dag_mod_new(&m, &r.cid, &mo, ms_get, ms_put, &ms))
        abort();
    }
  }
  dag_mod_free(m);
  ms_free(&ms);
  return 0;
}
