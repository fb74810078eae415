/*
 * fuzz_autonat.c — libFuzzer target for AutoNAT v2's decoders and the
 * observed-address table: what a peer sends on dial-request and
 * dial-back, and what it says it observed us at.
 *
 * The first input byte picks the part:
 *   0: the rest is a dial-request stream: frames (net_an_frame) decoded
 *      (net_an_decode); a decoded message that can be encoded re-encodes
 *      to a frame that decodes to the same fields; net_an_pick names an
 *      address of the request that is there; counting dial data never
 *      goes backwards;
 *   1: the rest is a dial-back stream (DialBack frames);
 *   2: the rest is three length-prefixed byte strings (local, remote,
 *      observed) recorded and queried in the observed-address table,
 *      with net_ma_is_public on each;
 * only documented codes come back.
 * Build: make build-fuzz/fuzz_autonat; seeds in
 * tests/fuzz/corpus/fuzz_autonat.
 */
#include "../../net/autonat.h"
#include "../../net/multiaddr.h"
#include "../../net/obsaddr.h"

#include <stdlib.h>
#include <string.h>

static net_an_msg_t m1, m2;

static bool encodable(const net_an_msg_t *m) {
  if (m->type == NET_AN_DIAL_REQUEST) {
    if (m->naddrs > NET_AN_ADDRS_MAX)
      return false;
    for (uint32_t i = 0; i < m->naddrs; i++)
      if (!m->addrlen[i])
        return false;
  }
  return m->type != NET_AN_DATA_RESPONSE || m->data_len <= NET_AN_DATA_CHUNK;
}

static void same(const net_an_msg_t *a, const net_an_msg_t *b) {
  if (a->type != b->type || a->naddrs != b->naddrs || a->nonce != b->nonce ||
      a->status != b->status || a->addr_idx != b->addr_idx ||
      a->dial_status != b->dial_status || a->num_bytes != b->num_bytes ||
      a->data_len != b->data_len)
    abort();
  for (uint32_t i = 0; i < a->naddrs && i < NET_AN_ADDRS_MAX; i++)
    if (a->addrlen[i] != b->addrlen[i] ||
        memcmp(a->addrs[i], b->addrs[i], a->addrlen[i]))
      abort();
}

static void request_stream(const uint8_t *p, size_t n) {
  net_an_data_t d = {NET_AN_DATA_MIN, 0};
  while (n > 0) {
    const uint8_t *body;
    size_t blen;
    int64_t k = net_an_frame(p, n, NET_AN_MSG_MAX, &body, &blen);
    if (k == 0 || k == TR_EPROTO || k == TR_ETOOBIG)
      return;
    if (k < 0 || (size_t)k > n || blen > NET_AN_MSG_MAX)
      abort();
    p += k, n -= (size_t)k;
    int rc = net_an_decode(body, blen, &m1);
    if (rc == TR_EPROTO || rc == -ENOMEM)
      continue;
    if (rc)
      abort();
    int idx = net_an_pick(&m1, true);
    if (idx >= 0 && ((uint32_t)idx >= m1.naddrs || idx >= NET_AN_ADDRS_MAX ||
                     !m1.addrlen[idx]))
      abort();
    if (net_an_pick(&m1, false) >= 0 && idx < 0)
      abort(); /* public is a subset of any */
    uint64_t before = d.got;
    rc = net_an_data_feed(&d, &m1);
    if ((rc != 0 && rc != 1 && rc != TR_EPROTO) || d.got < before)
      abort();
    if (!encodable(&m1))
      continue;
    tr_bytes_t b = {0};
    if (net_an_encode(&m1, &b))
      abort();
    const uint8_t *b2;
    size_t l2;
    if (net_an_frame(b.data, b.len, SIZE_MAX, &b2, &l2) != (int64_t)b.len ||
        net_an_decode(b2, l2, &m2))
      abort();
    same(&m1, &m2);
    tr_bytes_free(&b);
  }
}

static void back_stream(const uint8_t *p, size_t n) {
  const uint8_t *body;
  size_t blen;
  int64_t k = net_an_frame(p, n, NET_AN_BACK_MSG_MAX, &body, &blen);
  if (k <= 0)
    return;
  uint64_t nonce;
  int rc = net_an_back_decode(body, blen, &nonce);
  if (rc && rc != TR_EPROTO)
    abort();
}

/* Cut three length-prefixed strings from p. */
static bool cut(const uint8_t **p, size_t *n, const uint8_t **s, size_t *l) {
  if (*n < 1 || (size_t)(*p)[0] > *n - 1)
    return false;
  *l = (*p)[0];
  *s = *p + 1;
  *p += 1 + *l, *n -= 1 + *l;
  return true;
}

static net_obs_t obs;

static void on_addr(const uint8_t *ma, size_t len, unsigned o, void *ud) {
  (void)ud;
  if (o < 1 || net_ma_validate(ma, len))
    abort();
}

static void observed(const uint8_t *p, size_t n) {
  const uint8_t *l, *r, *o;
  size_t ll, rl, ol;
  if (!cut(&p, &n, &l, &ll) || !cut(&p, &n, &r, &rl) || !cut(&p, &n, &o, &ol))
    return;
  (void)net_ma_is_public(l, ll);
  (void)net_ma_is_public(o, ol);
  if (net_ma_validate(l, ll) || net_ma_validate(r, rl))
    return; /* the host's own addresses are always valid */
  net_obs_init(&obs);
  for (uintptr_t c = 1; c <= NET_OBS_ACTIVATION; c++) {
    int rc = net_obs_record(&obs, c, l, ll, r, rl, o, ol);
    if (rc != 0 && rc != 1)
      abort();
  }
  if (net_obs_addrs_for(&obs, l, ll, 1, on_addr, NULL) > NET_OBS_PER_LISTEN)
    abort();
  net_obs_forget(&obs, 1);
  net_obs_free(&obs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  switch (data[0] % 3) {
  case 0:
    request_stream(data + 1, size - 1);
    break;
  case 1:
    back_stream(data + 1, size - 1);
    break;
  default:
    observed(data + 1, size - 1);
  }
  return 0;
}
