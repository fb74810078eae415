/*
 * msg.c — the bitswap wire message (msg.h): decoding with its caps, the
 * CID a block claims, and encoding section by section.  No I/O, no state;
 * nothing here knows what a message means (wants, ledgers and sessions
 * are bitswap.c's).
 *
 * Protobuf is read and written by hand rather than with protobuf-c
 * (bitswap/proto/message.proto is the schema, and its generated code is
 * the tests' second opinion): protobuf-c copies every bytes field, which
 * for a 4 MiB message of blocks is 4 MiB more per message, and allocates
 * each repeated element before we could count it.  Here decoding walks
 * the bytes twice: the first walk checks everything and counts, the
 * second fills arrays of exactly that size, all in one allocation, with
 * block data and prefixes left as views into the caller's bytes.
 *
 * Protobuf rules kept as go (gogo) and js (protons) keep them: unknown
 * fields are skipped, a repeated or embedded field may come in several
 * pieces (a second wantlist adds its entries), the last scalar wins,
 * varints may be non-minimal (up to 10 bytes; a field's key and a length
 * up to 5, as protobuf-c reads them), int32 is the low 32 bits
 * of the varint.  A known field with the wrong wire type and groups are
 * refused, as gogo's generated code refuses them.
 */
#include "msg.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* Wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* The longest CID prefix: four varints, the last a digest length (at
 * most DAG_MH_IDENTITY_MAX, two bytes). */
#define PREFIX_MAX (3 * DAG_VARINT_MAX + 2)

/* ------------------------------------------------------ protobuf reading */

typedef struct rd {
  const uint8_t *p, *end;
} rd_t;

/* One protobuf field: its number and wire type, and its value (varint) or
 * bytes (length-delimited). */
typedef struct field {
  uint32_t num;
  int wt;
  uint64_t v;
  const uint8_t *b;
  size_t len;
} field_t;

static int rd_varint(rd_t *r, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (r->p == r->end)
      return TR_EPROTO;
    uint8_t c = *r->p++;
    x |= (uint64_t)(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) {
      if (i == 9 && c > 1) /* bits past the 64th */
        return TR_EPROTO;
      *v = x;
      return 0;
    }
  }
  return TR_EPROTO;
}

/* Read the next field of r into f: 0, or TR_EPROTO. */
static int rd_field(rd_t *r, field_t *f) {
  uint64_t key;
  const uint8_t *start = r->p;
  /* A key longer than 5 bytes or a field number past 2^29 - 1 is refused,
   * as protobuf-c refuses it (go would take an overlong key; nobody
   * sends one). */
  if (rd_varint(r, &key) < 0 || r->p - start > 5 || key >> 32 ||
      (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
    return TR_EPROTO;
  f->num = (uint32_t)(key >> 3);
  f->wt = (int)(key & 7);
  switch (f->wt) {
  case WT_VARINT:
    return rd_varint(r, &f->v);
  case WT_LEN: {
    /* A length longer than 5 bytes is refused, as protobuf-c refuses it
     * (fuzz_bsw_msg found one we took: a 7-byte 0). */
    const uint8_t *at = r->p;
    if (rd_varint(r, &f->v) < 0 || r->p - at > 5 ||
        f->v > (uint64_t)(r->end - r->p))
      return TR_EPROTO;
    f->b = r->p;
    f->len = (size_t)f->v;
    r->p += f->len;
    return 0;
  }
  case WT_I64:
  case WT_I32: {
    size_t k = f->wt == WT_I64 ? 8 : 4;
    if ((size_t)(r->end - r->p) < k)
      return TR_EPROTO;
    r->p += k;
    return 0;
  }
  default: /* groups (3, 4) and the unused 6, 7 */
    return TR_EPROTO;
  }
}

/* A known field must come with its wire type. */
#define WANT(f, type)                                                          \
  do {                                                                         \
    if ((f)->wt != (type))                                                     \
      return TR_EPROTO;                                                        \
  } while (0)

/* --------------------------------------------------------------- prefix */

typedef struct prefix {
  uint64_t version, codec, mh_code, mh_len;
} prefix_t;

/* Parse a CID prefix: exactly four minimal varints; version 0 only as
 * CIDv0 is (dag-pb, sha2-256, 32), as go-cid's Prefix.Sum requires it;
 * sha2-256 only at its full 32 bytes, since our multihashes are never
 * truncated; sha2-512 at most 64 (a truncated one is a function we lack,
 * bsw_block_cid's TR_EHASH); no digest longer than a dag_cid_t holds.  0
 * or TR_ECID. */
static int prefix_parse(const uint8_t *p, size_t n, prefix_t *x) {
  uint64_t v[4];
  size_t off = 0;
  for (int i = 0; i < 4; i++) {
    int k = dag_varint_get(p + off, n - off, &v[i]);
    if (k < 0)
      return TR_ECID;
    off += (size_t)k;
  }
  *x = (prefix_t){v[0], v[1], v[2], v[3]};
  if (off != n || x->version > 1 || x->mh_len > DAG_MH_IDENTITY_MAX ||
      (x->mh_code == DAG_MH_SHA2_256 && x->mh_len != 32) ||
      (x->mh_code == DAG_MH_SHA2_512 && x->mh_len > 64) ||
      (x->version == 0 &&
       (x->codec != DAG_CODEC_DAG_PB || x->mh_code != DAG_MH_SHA2_256)))
    return TR_ECID;
  return 0;
}

/* ------------------------------------------------------------ decoding */

/* One walk over a message: counting (m == NULL) or filling m's arrays. */
typedef struct dec {
  bsw_msg_t *m;
  size_t ne, np, npay, nbare; /* items seen so far */
  size_t bare_at;             /* where 1.0.0 blocks start in m->blocks */
  bool full;
  int32_t pending;
} dec_t;

/* The CID of the next entry or presence (count of them so far): room for
 * it, and a CID with nothing after it.  0, TR_ETOOBIG or TR_ECID. */
static int item_cid(size_t count, dag_cid_t *cid, const uint8_t *p,
                    size_t n) {
  if (count == BSW_MSG_ITEMS_MAX)
    return TR_ETOOBIG;
  int k = dag_cid_decode(cid, p, n);
  return k >= 0 && (size_t)k == n ? 0 : TR_ECID;
}

static int dec_entry(dec_t *d, const uint8_t *p, size_t n) {
  rd_t r = {p, p + n};
  field_t f;
  bsw_entry_t e = {0};
  const uint8_t *cid = NULL;
  size_t cidlen = 0;
  while (r.p < r.end) {
    if (rd_field(&r, &f) < 0)
      return TR_EPROTO;
    switch (f.num) {
    case 1:
      WANT(&f, WT_LEN);
      cid = f.b, cidlen = f.len;
      break;
    case 2:
      WANT(&f, WT_VARINT);
      e.priority = (int32_t)(uint32_t)f.v;
      break;
    case 3:
      WANT(&f, WT_VARINT);
      e.cancel = f.v != 0;
      break;
    case 4:
      WANT(&f, WT_VARINT);
      if (f.v > BSW_WANT_HAVE)
        return TR_EPROTO;
      e.type = (uint8_t)f.v;
      break;
    case 5:
      WANT(&f, WT_VARINT);
      e.send_dont_have = f.v != 0;
      break;
    }
  }
  int rc = item_cid(d->ne, &e.cid, cid, cidlen);
  if (rc < 0)
    return rc;
  if (d->m)
    d->m->entries[d->ne] = e;
  d->ne++;
  return 0;
}

static int dec_wantlist(dec_t *d, const uint8_t *p, size_t n) {
  rd_t r = {p, p + n};
  field_t f;
  while (r.p < r.end) {
    if (rd_field(&r, &f) < 0)
      return TR_EPROTO;
    if (f.num == 1) {
      WANT(&f, WT_LEN);
      int rc = dec_entry(d, f.b, f.len);
      if (rc < 0)
        return rc;
    } else if (f.num == 2) {
      WANT(&f, WT_VARINT);
      d->full = f.v != 0;
    }
  }
  return 0;
}

/* A 1.1.0 payload block (prefix != NULL) or a 1.0.0 one. */
static int add_block(dec_t *d, const uint8_t *prefix, size_t plen,
                     const uint8_t *data, size_t len) {
  if (d->npay + d->nbare == BSW_MSG_ITEMS_MAX || len > BSW_BLOCK_MAX)
    return TR_ETOOBIG;
  size_t i = prefix ? d->npay++ : d->bare_at + d->nbare++;
  if (d->m)
    d->m->blocks[i] = (bsw_block_t){prefix, plen, data, len};
  return 0;
}

static int dec_payload(dec_t *d, const uint8_t *p, size_t n) {
  rd_t r = {p, p + n};
  field_t f;
  const uint8_t *prefix = NULL, *data = p; /* data: never NULL */
  size_t plen = 0, len = 0;
  while (r.p < r.end) {
    if (rd_field(&r, &f) < 0)
      return TR_EPROTO;
    if (f.num == 1) {
      WANT(&f, WT_LEN);
      prefix = f.b, plen = f.len;
    } else if (f.num == 2) {
      WANT(&f, WT_LEN);
      data = f.b, len = f.len;
    }
  }
  prefix_t x;
  if (!prefix || prefix_parse(prefix, plen, &x) < 0)
    return TR_ECID;
  return add_block(d, prefix, plen, data, len);
}

static int dec_presence(dec_t *d, const uint8_t *p, size_t n) {
  rd_t r = {p, p + n};
  field_t f;
  bsw_presence_t b = {0};
  const uint8_t *cid = NULL;
  size_t cidlen = 0;
  while (r.p < r.end) {
    if (rd_field(&r, &f) < 0)
      return TR_EPROTO;
    if (f.num == 1) {
      WANT(&f, WT_LEN);
      cid = f.b, cidlen = f.len;
    } else if (f.num == 2) {
      WANT(&f, WT_VARINT);
      if (f.v > BSW_DONT_HAVE)
        return TR_EPROTO;
      b.type = (uint8_t)f.v;
    }
  }
  int rc = item_cid(d->np, &b.cid, cid, cidlen);
  if (rc < 0)
    return rc;
  if (d->m)
    d->m->presences[d->np] = b;
  d->np++;
  return 0;
}

static int dec_walk(dec_t *d, const uint8_t *p, size_t n) {
  if (!n)
    return 0; /* an empty message (p may be NULL: no pointer arithmetic) */
  rd_t r = {p, p + n};
  field_t f;
  while (r.p < r.end) {
    if (rd_field(&r, &f) < 0)
      return TR_EPROTO;
    int rc = 0;
    switch (f.num) {
    case 1:
      WANT(&f, WT_LEN);
      rc = dec_wantlist(d, f.b, f.len);
      break;
    case 2:
      WANT(&f, WT_LEN);
      rc = add_block(d, NULL, 0, f.b, f.len);
      break;
    case 3:
      WANT(&f, WT_LEN);
      rc = dec_payload(d, f.b, f.len);
      break;
    case 4:
      WANT(&f, WT_LEN);
      rc = dec_presence(d, f.b, f.len);
      break;
    case 5:
      WANT(&f, WT_VARINT);
      d->pending = (int32_t)(uint32_t)f.v;
      break;
    }
    if (rc < 0)
      return rc;
  }
  return 0;
}

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

int bsw_msg_decode(bsw_msg_t *m, const uint8_t *p, size_t n) {
  memset(m, 0, sizeof *m);
  if (n > BSW_MSG_MAX)
    return TR_ETOOBIG;
  dec_t d = {0};
  int rc = dec_walk(&d, p, n);
  if (rc < 0)
    return rc;
  /* Counts are capped at BSW_MSG_ITEMS_MAX: no overflow below. */
  size_t nb = d.npay + d.nbare;
  size_t ob = align_up(d.ne * sizeof(bsw_entry_t), _Alignof(bsw_block_t));
  size_t op = align_up(ob + nb * sizeof(bsw_block_t),
                       _Alignof(bsw_presence_t));
  size_t total = op + d.np * sizeof(bsw_presence_t);
  if (total) {
    uint8_t *a = tr_malloc(total);
    if (!a)
      return -ENOMEM;
    m->priv_ = a;
    m->entries = d.ne ? (bsw_entry_t *)a : NULL;
    m->blocks = nb ? (bsw_block_t *)(a + ob) : NULL;
    m->presences = d.np ? (bsw_presence_t *)(a + op) : NULL;
  }
  m->nentries = d.ne;
  m->nblocks = nb;
  m->npresences = d.np;
  m->full = d.full;
  m->pending_bytes = d.pending;
  dec_t fill = {.m = m, .bare_at = d.npay};
  rc = dec_walk(&fill, p, n);
  /* The same bytes walked the same way: it cannot fail the second time. */
  assert(rc == 0 && fill.ne == d.ne && fill.np == d.np &&
         fill.npay + fill.nbare == nb);
  (void)rc;
  return 0;
}

void bsw_msg_free(bsw_msg_t *m) {
  tr_free(m->priv_);
  memset(m, 0, sizeof *m);
}

/* ----------------------------------------------------------- block CID */

int bsw_block_cid(const bsw_block_t *b, dag_cid_t *cid) {
  if (b->len > BSW_BLOCK_MAX)
    return TR_ETOOBIG;
  prefix_t x = {0, DAG_CODEC_DAG_PB, DAG_MH_SHA2_256, 32}; /* 1.0.0 */
  if (b->prefix && prefix_parse(b->prefix, b->prefix_len, &x) < 0)
    return TR_ECID;
  /* At the prefix's digest length, as go-cid's Prefix.Sum: blake3 and
   * shake-256 give any; a fixed-length function only its own (anything
   * else is TR_EHASH, a function we lack).  Identity's length is the
   * data's: go-cid ignores the prefix's, and so does js. */
  uint8_t mh[DAG_MH_MAX];
  int n = dag_mh_sum_len(x.mh_code,
                         x.mh_code == DAG_MH_IDENTITY ? DAG_MH_LEN_DEFAULT
                                                      : (size_t)x.mh_len,
                         b->data, b->len, mh, sizeof mh);
  if (n < 0)
    return n; /* TR_EHASH; TR_ETOOBIG for identity over its cap */
  return dag_cid_make(cid, (int)x.version, x.codec, mh, (size_t)n);
}

/* ------------------------------------------------------ protobuf writing */

/* Size of v as a protobuf varint (an int32 below zero is sign-extended to
 * 64 bits on the wire, so it takes ten bytes). */
static size_t vsize(uint64_t v) {
  size_t n = 1;
  while (v > 0x7f)
    v >>= 7, n++;
  return n;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v) {
  while (v > 0x7f) {
    *o++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *o++ = (uint8_t)v;
  return o;
}

static uint64_t i32(int32_t v) { return (uint64_t)(int64_t)v; }

/* Size of a length-delimited field of n bytes, key and length included;
 * the fields here have numbers 1..5, so the key is one byte. */
static size_t len_size(size_t n) { return 1 + vsize(n) + n; }

static uint8_t *put_len(uint8_t *o, unsigned num, size_t n) {
  *o++ = (uint8_t)(num << 3 | WT_LEN);
  return put_varint(o, n);
}

static uint8_t *put_bytes(uint8_t *o, unsigned num, const void *p,
                          size_t n) {
  o = put_len(o, num, n);
  if (n)
    memcpy(o, p, n);
  return o + n;
}

static uint8_t *put_uint(uint8_t *o, unsigned num, uint64_t v) {
  *o++ = (uint8_t)(num << 3 | WT_VARINT);
  return put_varint(o, v);
}

/* Room for need more bytes in out; the writer then fills exactly that. */
static uint8_t *begin(tr_bytes_t *out, size_t need) {
  return tr_bytes_reserve(out, need) < 0 ? NULL : out->data + out->len;
}

static void commit(tr_bytes_t *out, const uint8_t *end, size_t need) {
  assert(end == out->data + out->len + need);
  (void)end;
  out->len += need;
}

/* ------------------------------------------------------------ encoding */

/* An entry's body.  A cancel is the CID and the flag, as boxo's Cancel()
 * makes it; default values are left out, as proto3 encoders leave them. */
static size_t entry_size(const bsw_entry_t *e, int version) {
  size_t s = len_size(e->cid.len);
  if (e->cancel)
    return s + 2;
  if (e->priority)
    s += 1 + vsize(i32(e->priority));
  if (version >= BSW_V120)
    s += (e->type ? 2u : 0u) + (e->send_dont_have ? 2u : 0u);
  return s;
}

static uint8_t *put_entry(uint8_t *o, const bsw_entry_t *e, int version) {
  o = put_len(o, 1, entry_size(e, version));
  o = put_bytes(o, 1, e->cid.bytes, e->cid.len);
  if (e->cancel)
    return put_uint(o, 3, 1);
  if (e->priority)
    o = put_uint(o, 2, i32(e->priority));
  if (version >= BSW_V120 && e->type)
    o = put_uint(o, 4, e->type);
  if (version >= BSW_V120 && e->send_dont_have)
    o = put_uint(o, 5, 1);
  return o;
}

int bsw_enc_wantlist(tr_bytes_t *out, const bsw_entry_t *e, size_t n,
                     bool full, int version) {
  /* An entry takes well under 256 bytes: the sum cannot overflow. */
  if (n > SIZE_MAX / 256)
    return -ENOMEM;
  size_t body = full ? 2 : 0;
  for (size_t i = 0; i < n; i++) {
    assert(e[i].type <= BSW_WANT_HAVE);
    body += len_size(entry_size(&e[i], version));
  }
  size_t need = len_size(body);
  uint8_t *o = begin(out, need);
  if (!o)
    return -ENOMEM;
  o = put_len(o, 1, body);
  for (size_t i = 0; i < n; i++)
    o = put_entry(o, &e[i], version);
  if (full)
    o = put_uint(o, 2, 1);
  commit(out, o, need);
  return 0;
}

int bsw_cid_prefix(const dag_cid_t *cid, uint8_t *out, size_t cap,
                   size_t *len) {
  size_t mhlen, dlen;
  const uint8_t *mh = dag_cid_mh(cid, &mhlen), *dig;
  uint64_t code;
  int rc = dag_mh_parse(mh, mhlen, &code, &dig, &dlen);
  if (rc < 0)
    return rc;
  uint64_t v[4] = {cid->version, cid->codec, cid->mh_code, dlen};
  size_t need = 0;
  for (int i = 0; i < 4; i++)
    need += dag_varint_size(v[i]);
  if (need > cap)
    return TR_EBUFSIZE;
  size_t k = 0;
  for (int i = 0; i < 4; i++)
    k += dag_varint_put(out + k, v[i]);
  *len = k;
  return 0;
}

int bsw_enc_block(tr_bytes_t *out, const dag_cid_t *cid, const uint8_t *data,
                  size_t len, int version) {
  if (version < BSW_V110) {
    /* No CID on the wire: the receiver takes the data for dag-pb under
     * sha2-256, which names the same multihash as cid only then. */
    if (cid->codec != DAG_CODEC_DAG_PB || cid->mh_code != DAG_MH_SHA2_256)
      return TR_ECODEC;
    size_t need = len_size(len);
    uint8_t *o = begin(out, need);
    if (!o)
      return -ENOMEM;
    commit(out, put_bytes(o, 2, data, len), need);
    return 0;
  }
  uint8_t prefix[PREFIX_MAX];
  size_t plen;
  int rc = bsw_cid_prefix(cid, prefix, sizeof prefix, &plen);
  if (rc < 0)
    return rc;
  size_t body = len_size(plen) + (len ? len_size(len) : 0);
  size_t need = len_size(body);
  uint8_t *o = begin(out, need);
  if (!o)
    return -ENOMEM;
  o = put_len(o, 3, body);
  o = put_bytes(o, 1, prefix, plen);
  if (len)
    o = put_bytes(o, 2, data, len);
  commit(out, o, need);
  return 0;
}

int bsw_enc_presence(tr_bytes_t *out, const dag_cid_t *cid, int type) {
  assert(type == BSW_HAVE || type == BSW_DONT_HAVE);
  size_t body = len_size(cid->len) + (type ? 2 : 0);
  size_t need = len_size(body);
  uint8_t *o = begin(out, need);
  if (!o)
    return -ENOMEM;
  o = put_len(o, 4, body);
  o = put_bytes(o, 1, cid->bytes, cid->len);
  if (type)
    o = put_uint(o, 2, (uint64_t)type);
  commit(out, o, need);
  return 0;
}

int bsw_enc_pending(tr_bytes_t *out, int32_t pending_bytes) {
  if (!pending_bytes)
    return 0; /* proto3's default: go and js leave it out too */
  size_t need = 1 + vsize(i32(pending_bytes));
  uint8_t *o = begin(out, need);
  if (!o)
    return -ENOMEM;
  commit(out, put_uint(o, 5, i32(pending_bytes)), need);
  return 0;
}
