/*
 * idbuf.c — an identity CID's bytes as bs_get() gives them (bs_int.h):
 * copied into buffers of the reading transaction's, so that the view
 * outlives the caller's dag_cid_t as every other view does.
 *
 * The buffers are appended to and never rewritten, and mapped on their
 * own as the filestore's are (filestore.c: cat vmsplices views, and a
 * page lent to a pipe must keep its bytes).  A buffer goes at the
 * transaction's end, or once it is no longer the one appended to and its
 * views are all released: a cat of a file of many small inlined leaves
 * holds a few.
 */
#include "bs_int.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

struct bs__idbuf {
  struct bs__idbuf *next;
  size_t used; /* bytes given out, from IDBUF_HDR on */
  size_t live; /* views not released */
};
#define IDBUF_SIZE ((size_t)64 << 10)
#define IDBUF_HDR 64

static void idbuf_free(struct bs__idbuf *b) { munmap(b, IDBUF_SIZE); }

int bs__id_digest(const dag_cid_t *cid, const uint8_t **dig, size_t *dlen) {
  size_t mhlen;
  const uint8_t *mh = dag_cid_mh(cid, &mhlen);
  uint64_t code;
  return dag_mh_parse(mh, mhlen, &code, dig, dlen) < 0 ? TR_ECID : 0;
}

int bs__id_get(bs_txn_t *txn, const dag_cid_t *cid, const uint8_t **data,
               size_t *len) {
  const uint8_t *dig;
  size_t dlen;
  if (bs__id_digest(cid, &dig, &dlen))
    return TR_ECID;
  struct bs__idbuf *b = txn->idbufs;
  if (!b || IDBUF_HDR + b->used + dlen > IDBUF_SIZE) {
    struct bs__idbuf *nb = mmap(NULL, IDBUF_SIZE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (nb == MAP_FAILED)
      return -ENOMEM;
    nb->used = nb->live = 0;
    nb->next = b;
    if (b && !b->live) { /* full, and nobody holds a view of it */
      nb->next = b->next;
      idbuf_free(b);
    }
    txn->idbufs = b = nb;
  }
  uint8_t *p = (uint8_t *)b + IDBUF_HDR + b->used;
  memcpy(p, dig, dlen);
  b->used += dlen;
  b->live++;
  *data = p;
  *len = dlen;
  return 0;
}

void bs__id_release(bs_txn_t *txn, const void *p) {
  for (struct bs__idbuf **at = &txn->idbufs; *at; at = &(*at)->next) {
    struct bs__idbuf *b = *at;
    const uint8_t *d = (const uint8_t *)b + IDBUF_HDR;
    if ((const uint8_t *)p < d || (const uint8_t *)p > d + b->used)
      continue;
    if (b->live && !--b->live && at != &txn->idbufs) {
      *at = b->next;
      idbuf_free(b);
    }
    return;
  }
}

void bs__id_txn_end(bs_txn_t *txn) {
  struct bs__idbuf *b = txn->idbufs;
  while (b) {
    struct bs__idbuf *next = b->next;
    idbuf_free(b);
    b = next;
  }
  txn->idbufs = NULL;
}
