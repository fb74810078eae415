/*
 * msg.c — go-libp2p-pubsub's wire (pb/rpc.proto), hand-coded: a protobuf
 * field reader, the check that a whole RPC decodes, Message views, the
 * bytes a signature covers, and the writer of our own messages.
 *
 * Hand-coded rather than protobuf-c for the signature: go re-marshals a
 * received Message without signature and key and verifies over that, so
 * we must know which fields were present (an empty data field is not an
 * absent one) and keep unknown fields in their place, which protobuf-c's
 * unpacked structs do not tell.  Nothing here allocates but the output
 * buffers the caller hands in.
 */
#include <errno.h>
#include <string.h>

#include "../dag/varint.h"
#include "ps_int.h"

/* ---------------------------------------------------------------- reader */

/* A protobuf varint (up to 10 bytes, unlike dag_varint_get's 9). */
static int get_varint(ps__rd_t *r, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (r->p >= r->end)
      return TR_EPROTO;
    uint8_t c = *r->p++;
    if (i == 9 && c > 1)
      return TR_EPROTO;
    x |= (uint64_t)(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return TR_EPROTO;
}

int ps__next(ps__rd_t *r, ps__field_t *f) {
  if (r->p >= r->end)
    return 0;
  const uint8_t *start = r->p;
  uint64_t key;
  if (get_varint(r, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
    return TR_EPROTO;
  f->num = (uint32_t)(key >> 3);
  f->wt = (int)(key & 7);
  f->v = 0;
  f->b = NULL;
  f->n = 0;
  switch (f->wt) {
  case 0:
    if (get_varint(r, &f->v))
      return TR_EPROTO;
    break;
  case 1:
  case 5: {
    size_t k = f->wt == 1 ? 8 : 4;
    if ((size_t)(r->end - r->p) < k)
      return TR_EPROTO;
    f->b = r->p;
    f->n = k;
    r->p += k;
    break;
  }
  case 2: {
    uint64_t n;
    if (get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
      return TR_EPROTO;
    f->b = r->p;
    f->n = (size_t)n;
    r->p += n;
    break;
  }
  default:
    return TR_EPROTO; /* groups (3, 4) and 6, 7 */
  }
  f->raw = start;
  f->rawlen = (size_t)(r->p - start);
  return 1;
}

/* Every field of p[0..n) well formed; fields in want (a bit per field
 * number < 32) must be length-delimited.  0 or TR_EPROTO. */
static int check_flat(const uint8_t *p, size_t n, uint32_t want) {
  ps__rd_t r = {p, p + n};
  ps__field_t f;
  int rc;
  while ((rc = ps__next(&r, &f)) > 0)
    if (f.num < 32 && (want >> f.num & 1) && f.wt != 2)
      return TR_EPROTO;
  return rc;
}

int ps__message_decode(const uint8_t *p, size_t n, ps__message_t *m) {
  memset(m, 0, sizeof *m);
  m->p = p;
  m->n = n;
  ps__rd_t r = {p, p + n};
  ps__field_t f;
  int rc;
  while ((rc = ps__next(&r, &f)) > 0) {
    ps__view_t *v = NULL;
    switch (f.num) {
    case 1: v = &m->from; break;
    case 2: v = &m->data; break;
    case 3: v = &m->seqno; break;
    case 4: v = &m->topic; break;
    case 5: v = &m->sig; break;
    case 6: v = &m->key; break;
    default: m->unknown = true; continue;
    }
    if (f.wt != 2)
      return TR_EPROTO;
    *v = (ps__view_t){f.b, f.n, true};
  }
  return rc;
}

/* ControlMessage: ihave {1 topic, 2 ids}, iwant {1 ids}, graft {1 topic},
 * prune {1 topic, 2 PeerInfo, 3 backoff}, idontwant {1 ids}. */
static int check_control(const uint8_t *p, size_t n) {
  ps__rd_t r = {p, p + n};
  ps__field_t f;
  int rc;
  while ((rc = ps__next(&r, &f)) > 0) {
    if (f.num > 6)
      continue;
    if (f.wt != 2)
      return TR_EPROTO;
    uint32_t want = f.num == 1 ? 0x6 : f.num == 4 ? 0x6 : 0x2;
    if (f.num == 6)
      want = 0;
    if (check_flat(f.b, f.n, want))
      return TR_EPROTO;
    if (f.num == 4) { /* prune: backoff is a varint, peers are messages */
      ps__rd_t q = {f.b, f.b + f.n};
      ps__field_t g;
      int qrc;
      while ((qrc = ps__next(&q, &g)) > 0)
        if ((g.num == 3 && g.wt != 0) ||
            (g.num == 2 && check_flat(g.b, g.n, 0x6)))
          return TR_EPROTO;
    }
  }
  return rc;
}

int ps__rpc_check(const uint8_t *p, size_t n) {
  ps__rd_t r = {p, p + n};
  ps__field_t f;
  int rc;
  while ((rc = ps__next(&r, &f)) > 0) {
    if (f.num > 3)
      continue; /* extensions: not ours */
    if (f.wt != 2)
      return TR_EPROTO;
    ps__message_t m;
    if (f.num == 1) {
      ps__rd_t q = {f.b, f.b + f.n};
      ps__field_t g;
      int qrc;
      while ((qrc = ps__next(&q, &g)) > 0)
        if ((g.num == 2 && g.wt != 2) || (g.num == 1 && g.wt != 0))
          return TR_EPROTO;
      if (qrc < 0)
        return TR_EPROTO;
    } else if (f.num == 2) {
      if (ps__message_decode(f.b, f.n, &m))
        return TR_EPROTO;
    } else if (check_control(f.b, f.n)) {
      return TR_EPROTO;
    }
  }
  return rc;
}

/* ---------------------------------------------------------------- writer */

static int put_uv(tr_bytes_t *b, uint64_t v) {
  uint8_t t[10];
  size_t k = 0;
  do {
    uint8_t c = (uint8_t)(v & 0x7f);
    v >>= 7;
    t[k++] = (uint8_t)(c | (v ? 0x80 : 0));
  } while (v);
  return tr_bytes_append(b, t, k);
}

int ps__put_head(tr_bytes_t *b, uint32_t num, size_t n) {
  int rc = put_uv(b, (uint64_t)num << 3 | 2);
  return rc ? rc : put_uv(b, n);
}

int ps__put_bytes(tr_bytes_t *b, uint32_t num, const void *p, size_t n) {
  int rc = ps__put_head(b, num, n);
  return rc ? rc : tr_bytes_append(b, p, n);
}

int ps__put_varint(tr_bytes_t *b, uint32_t num, uint64_t v) {
  int rc = put_uv(b, (uint64_t)num << 3);
  return rc ? rc : put_uv(b, v);
}

int ps__put_subopt(tr_bytes_t *b, bool sub, const char *t, size_t tlen) {
  uint8_t tmp[16];
  tr_bytes_t head;
  tr_bytes_borrow(&head, tmp, sizeof tmp);
  int rc = ps__put_varint(&head, 1, sub);
  if (!rc)
    rc = ps__put_head(&head, 2, tlen);
  if (!rc)
    rc = ps__put_head(b, 1, head.len + tlen);
  if (!rc)
    rc = tr_bytes_append(b, head.data, head.len);
  if (!rc)
    rc = tr_bytes_append(b, t, tlen);
  tr_bytes_free(&head);
  return rc;
}

int ps__sign_bytes(const ps__message_t *m, tr_bytes_t *out) {
  int rc = tr_bytes_append(out, PS_SIGN_PREFIX, strlen(PS_SIGN_PREFIX));
  const ps__view_t *v[] = {&m->from, &m->data, &m->seqno, &m->topic};
  for (uint32_t i = 0; !rc && i < 4; i++)
    if (v[i]->set)
      rc = ps__put_bytes(out, i + 1, v[i]->p, v[i]->n);
  if (rc || !m->unknown)
    return rc;
  ps__rd_t r = {m->p, m->p + m->n};
  ps__field_t f;
  while (!rc && ps__next(&r, &f) > 0)
    if (f.num > 6)
      rc = tr_bytes_append(out, f.raw, f.rawlen);
  return rc;
}

int ps__message_build(const net_privkey_t *key, const net_peerid_t *self,
                      uint64_t seqno, const char *t, size_t tlen,
                      const uint8_t *data, size_t len, tr_bytes_t *out) {
  uint8_t sq[8];
  for (int i = 0; i < 8; i++)
    sq[i] = (uint8_t)(seqno >> (56 - 8 * i));
  size_t start = out->len;
  int rc = ps__put_bytes(out, 1, self->bytes, self->len);
  if (!rc)
    rc = ps__put_bytes(out, 2, data, len);
  if (!rc)
    rc = ps__put_bytes(out, 3, sq, sizeof sq);
  if (!rc)
    rc = ps__put_bytes(out, 4, t, tlen);
  if (rc)
    return rc;
  tr_bytes_t sb = {0};
  if ((rc = tr_bytes_append(&sb, PS_SIGN_PREFIX, strlen(PS_SIGN_PREFIX))) ||
      (rc = tr_bytes_append(&sb, out->data + start, out->len - start))) {
    tr_bytes_free(&sb);
    return rc;
  }
  uint8_t sig[64];
  net_sign(key, sb.data, sb.len, sig);
  tr_bytes_free(&sb);
  return ps__put_bytes(out, 5, sig, sizeof sig);
}

int ps__message_verify(const ps__message_t *m, net_peerid_t *from) {
  if (!m->from.set || !m->sig.set)
    return TR_ESIG;
  int rc = net_peerid_from_bytes(from, m->from.p, m->from.n);
  if (rc)
    return rc;
  net_pubkey_t *pk = tr_malloc(sizeof *pk);
  if (!pk)
    return -ENOMEM;
  if (m->key.set) {
    rc = net_pubkey_unmarshal(pk, m->key.p, m->key.n);
    if (!rc && !net_peerid_matches(from, pk))
      rc = TR_EKEY;
  } else {
    rc = net_peerid_pubkey(from, pk);
  }
  tr_bytes_t sb = {0};
  if (!rc)
    rc = ps__sign_bytes(m, &sb);
  if (!rc)
    rc = net_verify(pk, sb.data, sb.len, m->sig.p, m->sig.n);
  tr_bytes_free(&sb);
  tr_free(pk);
  return rc;
}

int64_t ps_frame(const uint8_t *in, size_t len, const uint8_t **body,
                 size_t *blen) {
  return dag_varint_frame(in, len, PS_FRAME_MAX, body, blen);
}
