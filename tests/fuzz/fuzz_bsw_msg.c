/*
 * fuzz_bsw_msg.c — libFuzzer target for the bitswap wire message
 * (bitswap/msg.h): the input is one message body.  Only documented codes
 * come back; a decoded message keeps its caps (counts, block sizes, views
 * inside the input, valid CIDs and enums), protobuf-c's decoder of the
 * same .proto accepts it too, and its parts (entries, blocks, presences,
 * pendingBytes) re-encode with bsw_enc_* and decode again to the same
 * parts.
 * Build: make build-fuzz/fuzz_bsw_msg; seeds in
 * tests/fuzz/corpus/fuzz_bsw_msg.
 */
#include "../../bitswap/msg.h"
#include "bitswap/proto/message.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check(const bsw_msg_t *m, const uint8_t *p, size_t n) {
  if (m->nentries > BSW_MSG_ITEMS_MAX || m->nblocks > BSW_MSG_ITEMS_MAX ||
      m->npresences > BSW_MSG_ITEMS_MAX)
    abort();
  for (size_t i = 0; i < m->nentries; i++)
    if (m->entries[i].type > BSW_WANT_HAVE)
      abort();
  for (size_t i = 0; i < m->npresences; i++)
    if (m->presences[i].type > BSW_DONT_HAVE)
      abort();
  bool bare = false;
  for (size_t i = 0; i < m->nblocks; i++) {
    const bsw_block_t *b = &m->blocks[i];
    if (!b->data || b->len > BSW_BLOCK_MAX || b->data < p ||
        b->data + b->len > p + n)
      abort();
    if (b->prefix && (bare || b->prefix < p || b->prefix + b->prefix_len >
                                                   p + n))
      abort(); /* payload blocks come first, then 1.0.0 ones */
    bare = bare || !b->prefix;
    dag_cid_t c;
    int rc = bsw_block_cid(b, &c);
    if (rc && rc != TR_EHASH && rc != TR_ETOOBIG)
      abort(); /* the prefix was checked when decoded */
  }
}

static bool same_entry(const bsw_entry_t *a, const bsw_entry_t *b) {
  if (!dag_cid_equal(&a->cid, &b->cid) || a->cancel != b->cancel)
    return false;
  if (a->cancel) /* a cancel goes out as its CID alone */
    return !b->priority && !b->type && !b->send_dont_have;
  return a->priority == b->priority && a->type == b->type &&
         a->send_dont_have == b->send_dont_have;
}

/* Re-encode m's parts (blocks whose CID we cannot compute are left out:
 * the encoder needs the CID) into out. */
static int reencode(const bsw_msg_t *m, tr_bytes_t *out, size_t *skipped) {
  int rc = bsw_enc_wantlist(out, m->entries, m->nentries, m->full, BSW_V120);
  *skipped = 0;
  for (size_t i = 0; rc == 0 && i < m->nblocks; i++) {
    const bsw_block_t *b = &m->blocks[i];
    dag_cid_t c;
    if (bsw_block_cid(b, &c) < 0) {
      ++*skipped;
      continue;
    }
    rc = bsw_enc_block(out, &c, b->data, b->len,
                       b->prefix ? BSW_V120 : BSW_V100);
  }
  for (size_t i = 0; rc == 0 && i < m->npresences; i++)
    rc = bsw_enc_presence(out, &m->presences[i].cid, m->presences[i].type);
  return rc ? rc : bsw_enc_pending(out, m->pending_bytes);
}

static void same(const bsw_msg_t *a, const bsw_msg_t *b, size_t skipped) {
  if (a->full != b->full || a->nentries != b->nentries ||
      a->npresences != b->npresences || a->pending_bytes != b->pending_bytes ||
      b->nblocks + skipped != a->nblocks)
    abort();
  for (size_t i = 0; i < a->nentries; i++)
    if (!same_entry(&a->entries[i], &b->entries[i]))
      abort();
  for (size_t i = 0; i < a->npresences; i++)
    if (!dag_cid_equal(&a->presences[i].cid, &b->presences[i].cid) ||
        a->presences[i].type != b->presences[i].type)
      abort();
  for (size_t i = 0, j = 0; i < a->nblocks; i++) {
    dag_cid_t ca, cb;
    if (bsw_block_cid(&a->blocks[i], &ca) < 0)
      continue;
    const bsw_block_t *x = &a->blocks[i], *y = &b->blocks[j++];
    if (bsw_block_cid(y, &cb) || !dag_cid_equal(&ca, &cb) ||
        x->len != y->len || (x->len && memcmp(x->data, y->data, x->len)) ||
        !x->prefix != !y->prefix)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) {
  bsw_msg_t m, m2;
  int rc = bsw_msg_decode(&m, p, n);
  if (rc == TR_EPROTO || rc == TR_ECID || rc == TR_ETOOBIG || rc == -ENOMEM) {
    if (m.priv_ || m.entries || m.blocks || m.presences)
      abort(); /* nothing to free after an error */
    return 0;
  }
  if (rc)
    abort();
  check(&m, p, n);
  /* What we accept, protobuf-c accepts (it is laxer: enums, wire types). */
  Bitswappb__Message *pm = bitswappb__message__unpack(NULL, n, p);
  if (!pm)
    abort();
  bitswappb__message__free_unpacked(pm, NULL);
  tr_bytes_t b = {0};
  size_t skipped;
  rc = reencode(&m, &b, &skipped);
  if (rc == -ENOMEM)
    goto out;
  if (rc)
    abort();
  rc = bsw_msg_decode(&m2, b.data, b.len);
  if (rc == -ENOMEM)
    goto out;
  if (rc)
    abort();
  same(&m, &m2, skipped);
  bsw_msg_free(&m2);
out:
  tr_bytes_free(&b);
  bsw_msg_free(&m);
  return 0;
}
