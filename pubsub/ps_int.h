/*
 * ps_int.h — what pubsub's files share: the protobuf reader and writer
 * (msg.c) and the decoded views of go-libp2p-pubsub's messages.  Not for
 * other modules: pubsub.h is the manual.
 */
#ifndef PUBSUB_PS_INT_H
#define PUBSUB_PS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"
#include "pubsub.h"

/* The prefix signatures are made over (go-libp2p-pubsub's SignPrefix). */
#define PS_SIGN_PREFIX "libp2p-pubsub:"

/* --------------------------------------------------- the protobuf reader */

typedef struct ps__rd {
  const uint8_t *p, *end;
} ps__rd_t;

/* One field of a protobuf wire message. */
typedef struct ps__field {
  uint32_t num;
  int wt;            /* 0 varint, 1 fixed64, 2 bytes, 5 fixed32 */
  uint64_t v;        /* the varint (wt 0) */
  const uint8_t *b;  /* the bytes (wt 2), or the raw field (others) */
  size_t n;
  const uint8_t *raw; /* the whole field, key included */
  size_t rawlen;
} ps__field_t;

/* The next field: 1, 0 at the end, TR_EPROTO (malformed, a group, a field
 * number 0). */
int ps__next(ps__rd_t *r, ps__field_t *f);

/* ------------------------------------------------------------- views */

typedef struct ps__view {
  const uint8_t *p;
  size_t n;
  bool set;
} ps__view_t;

/* A Message: the last value of each field wins (protobuf's rule). */
typedef struct ps__message {
  ps__view_t from, data, seqno, topic, sig, key;
  bool unknown; /* fields besides 1..6 (kept for the signature) */
  const uint8_t *p; /* the whole encoding */
  size_t n;
} ps__message_t;

/* 0 or TR_EPROTO. */
int ps__message_decode(const uint8_t *p, size_t n, ps__message_t *m);

/* Check a whole RPC (and everything in it) decodes: 0 or TR_EPROTO. */
int ps__rpc_check(const uint8_t *p, size_t n);

/* "libp2p-pubsub:" + m marshalled without signature and key, as
 * go-libp2p-pubsub re-marshals it (fields 1..4 in order, then the
 * unknown ones as they came), into out.  0 or -ENOMEM. */
int ps__sign_bytes(const ps__message_t *m, tr_bytes_t *out);

/* --------------------------------------------------- the protobuf writer */

/* Append a length-delimited field / a varint field.  0 or -ENOMEM. */
int ps__put_bytes(tr_bytes_t *b, uint32_t num, const void *p, size_t n);
int ps__put_varint(tr_bytes_t *b, uint32_t num, uint64_t v);
/* Append field num's key and length n (the body follows). */
int ps__put_head(tr_bytes_t *b, uint32_t num, size_t n);

/* A SubOpts field (RPC field 1) into b. */
int ps__put_subopt(tr_bytes_t *b, bool sub, const char *t, size_t tlen);

/* Our Message, signed with key: from, data, seqno, topic, signature. */
int ps__message_build(const net_privkey_t *key, const net_peerid_t *self,
                      uint64_t seqno, const char *t, size_t tlen,
                      const uint8_t *data, size_t len, tr_bytes_t *out);

/* The message's signature is good and its key is from's: 0, TR_ESIG,
 * TR_EKEY, TR_EPEERID, -ENOMEM. */
int ps__message_verify(const ps__message_t *m, net_peerid_t *from);

#endif /* PUBSUB_PS_INT_H */
