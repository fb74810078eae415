/*
 * autonat_int.h — what autonat.c (the client, the service) and
 * autonat_serve.c (the server) share, and nothing else includes: the
 * server's state, embedded in the service, and two stream helpers.
 * autonat.c calls the server; the server never calls autonat.c (it tells
 * it that it is idle through on_idle).
 */
#ifndef NET_AUTONAT_INT_H
#define NET_AUTONAT_INT_H

#include "autonat.h"
#include "host_int.h"

#include <string.h>

#include "../dag/varint.h"

/* Bytes of a dial-request stream held at once: one whole message and its
 * length prefix always fit. */
#define NET_AN_IN_MAX (NET_AN_MSG_MAX + DAG_VARINT_MAX)

/* Write b to s; on failure s is reset (and may be gone). */
static inline int net__an_put(net_stream_t *s, const tr_bytes_t *b) {
  int rc = net_stream_write(s, b->data, b->len);
  if (rc && rc != TR_ELIMIT) /* TR_ELIMIT has reset it already */
    net_stream_reset(s);
  return rc;
}

/* Drop the first k bytes of in. */
static inline void net__an_consume(tr_bytes_t *in, size_t k) {
  memmove(in->data, in->data + k, in->len - k);
  in->len -= k;
}

struct serve;

typedef struct net__an_server {
  net_host_t *h;
  bool allow_private, closing;
  net_an_limiter_t lim;
  struct serve *serves; /* requests in flight */
  void (*on_idle)(void *ud); /* closing, and the last request is gone */
  void *ud;
} net__an_server_t;

void net__an_server_init(net__an_server_t *sv, net_host_t *h,
                         bool allow_private, void (*on_idle)(void *ud),
                         void *ud);
/* The dial-request handler (ud: the server). */
void net__an_on_dial_request(net_stream_t *s, void *ud);
/* Deadlines, dials due after dial data, dial-back hosts to close. */
void net__an_server_tick(net__an_server_t *sv, uint64_t now);
/* Drop every request; on_idle runs once the last is gone. */
void net__an_server_close(net__an_server_t *sv);

#endif /* NET_AUTONAT_INT_H */
