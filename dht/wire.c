/*
 * wire.c — the bottom of the DHT core: keys, the address filter, and
 * sending a request (encoded, handed to the adapter, remembered with its
 * deadline when an answer is due).  Everything else in dht/ calls down
 * into it.
 */
#include <errno.h>
#include <string.h>

#include "../dag/multihash.h"
#include "dht_int.h"

void dht_key(const uint8_t *key, size_t kl, uint8_t out[32]) {
  dag_sha256(key, kl, out);
}

uint64_t dht__rand(dht_t *d) {
  uint64_t x = d->rng; /* xorshift64*: refresh keys need no secrecy */
  x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
  d->rng = x;
  return x * 0x2545F4914F6CDD1Dull;
}

bool dht__addrs_ok(dht_t *d, dht_peer_t *p) {
  if (!d->o.addr_ok)
    return p->naddrs > 0;
  uint8_t w = 0;
  for (uint8_t i = 0; i < p->naddrs; i++) {
    if (!d->o.addr_ok(d->o.ud, p->addrs[i], p->addrlen[i]))
      continue;
    if (w != i) {
      memcpy(p->addrs[w], p->addrs[i], p->addrlen[i]);
      p->addrlen[w] = p->addrlen[i];
    }
    w++;
  }
  p->naddrs = w;
  return w > 0;
}

int dht__send(dht_t *d, dht_query_t *q, const dht_peer_t *to, bool reply,
              const dht_msg_t *m, uint64_t now) {
  tr_bytes_t frame = {0};
  int rc = dht_msg_encode(m, &frame);
  if (rc)
    return rc;
  uint64_t id = ++d->next_req;
  if (reply && d->nreq == d->capreq) {
    size_t ncap = d->capreq ? d->capreq * 2 : 64;
    dht_req_t *n = tr_realloc(d->reqs, ncap * sizeof *n);
    if (!n) {
      tr_bytes_free(&frame);
      return -ENOMEM;
    }
    d->reqs = n, d->capreq = ncap;
  }
  rc = d->o.send(d->o.ud, id, to, reply, frame.data, frame.len);
  tr_bytes_free(&frame);
  d->st.requests_out++;
  if (rc) {
    d->st.failures++;
    return rc;
  }
  if (reply)
    d->reqs[d->nreq++] = (dht_req_t){.id = id,
                                     .deadline = now + d->o.request_ms,
                                     .q = q,
                                     .peer = to->id,
                                     .type = (uint8_t)m->type};
  return 0;
}

int dht__send_frame(dht_t *d, const dht_peer_t *to, const uint8_t *p,
                    size_t n) {
  uint64_t id = ++d->next_req;
  int rc = d->o.send(d->o.ud, id, to, false, p, n);
  d->st.requests_out++;
  if (rc)
    d->st.failures++;
  return rc;
}
