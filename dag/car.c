/*
 * car.c — CARv1 writing and the incremental CARv1/CARv2 reader; see car.h.
 *
 * The reader is a byte-driven state machine.  Small fixed items (length
 * varints, the 40-byte CARv2 header) are collected in arrays inside the
 * reader; the header block is always copied into the reader's buffer,
 * because the ROOT events that follow it are produced over several calls;
 * a section is handed out as a view into the caller's input when it lies
 * there whole, and copied into the buffer only when it arrives split.
 *
 * Not here: hashing blocks (the caller verifies), CARv2 writing and
 * indexes, I/O.  No build options affect this file.
 */
#include "car.h"

#include <errno.h>
#include <string.h>

#include "cbor.h"

const uint8_t dag_car_v2_pragma[DAG_CAR_V2_PRAGMA_LEN] = {
    0x0a, 0xa1, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x02};

/* ---------------------------------------------------------------- writer */

/* Bytes of a CBOR head carrying argument v (RFC 8949 preferred form, which
 * is what DAG-CBOR requires). */
static size_t cbor_head_size(uint64_t v) {
  return v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffff ? 5 : 9;
}

static size_t cbor_put_head(uint8_t *out, int major, uint64_t v) {
  size_t n = cbor_head_size(v);
  uint8_t m = (uint8_t)(major << 5);
  if (n == 1) {
    out[0] = (uint8_t)(m | v);
    return 1;
  }
  out[0] = (uint8_t)(m | (n == 2 ? 24 : n == 3 ? 25 : n == 5 ? 26 : 27));
  for (size_t i = 1; i < n; i++)
    out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  return n;
}

static const char key_roots[] = "roots";
static const char key_version[] = "version";

/* The header block without its length varint. */
static size_t header_body_size(const dag_cid_t *roots, size_t nroots) {
  /* map(2), "roots", array(n), ..., "version", 1 */
  size_t n = 1 + 1 + 5 + cbor_head_size(nroots) + 1 + 7 + 1;
  for (size_t i = 0; i < nroots; i++) {
    size_t blen = (size_t)roots[i].len + 1; /* 0x00 multibase prefix */
    n += 2 /* tag 42 */ + cbor_head_size(blen) + blen;
  }
  return n;
}

size_t dag_car_header_v1_size(const dag_cid_t *roots, size_t nroots) {
  /* Each root costs under 256 bytes, so this bound keeps the sum exact. */
  if (nroots > DAG_CAR_MAX_HEADER)
    return SIZE_MAX;
  size_t body = header_body_size(roots, nroots);
  return dag_varint_size(body) + body;
}

int dag_car_header_v1(const dag_cid_t *roots, size_t nroots, uint8_t *out,
                      size_t outsize) {
  if (nroots > DAG_CAR_MAX_HEADER)
    return TR_ETOOBIG;
  size_t body = header_body_size(roots, nroots);
  if (body > DAG_CAR_MAX_HEADER)
    return TR_ETOOBIG;
  size_t total = dag_varint_size(body) + body;
  if (outsize < total)
    return TR_EBUFSIZE;
  size_t p = dag_varint_put(out, body);
  p += cbor_put_head(out + p, 5, 2);
  p += cbor_put_head(out + p, 3, 5);
  memcpy(out + p, key_roots, 5);
  p += 5;
  p += cbor_put_head(out + p, 4, nroots);
  for (size_t i = 0; i < nroots; i++) {
    p += cbor_put_head(out + p, 6, 42);
    p += cbor_put_head(out + p, 2, (uint64_t)roots[i].len + 1);
    out[p++] = 0x00;
    memcpy(out + p, roots[i].bytes, roots[i].len);
    p += roots[i].len;
  }
  p += cbor_put_head(out + p, 3, 7);
  memcpy(out + p, key_version, 7);
  p += 7;
  p += cbor_put_head(out + p, 0, 1);
  return (int)p;
}

int dag_car_section_head(const dag_cid_t *cid, size_t block_len, uint8_t *out,
                         size_t outsize) {
  if (block_len > DAG_CAR_MAX_BLOCK)
    return TR_ETOOBIG;
  uint64_t slen = (uint64_t)cid->len + block_len;
  size_t n = dag_varint_size(slen) + cid->len;
  if (outsize < n)
    return TR_EBUFSIZE;
  size_t p = dag_varint_put(out, slen);
  memcpy(out + p, cid->bytes, cid->len);
  return (int)(p + cid->len);
}

/* ----------------------------------------------------- header parsing */

/* dag_cbor_head() plus DAG-CBOR's rule that the argument uses the shortest
 * form (js-car's decoder, cborg in strict mode, refuses the others). */
static int head_strict(const uint8_t *in, size_t len, size_t *pos, int *major,
                       uint64_t *arg) {
  size_t start = *pos;
  int rc = dag_cbor_head(in, len, pos, major, arg);
  if (rc)
    return TR_ECAR;
  if (*pos - start != cbor_head_size(*arg))
    return TR_ECAR;
  return 0;
}

/* Read the root link at in[*pos]: tag 42 over bytes 0x00 + a whole CID. */
static int read_root(const uint8_t *in, size_t len, size_t *pos,
                     dag_cid_t *cid) {
  int major;
  uint64_t arg;
  if (head_strict(in, len, pos, &major, &arg) || major != 6 || arg != 42)
    return TR_ECAR;
  if (head_strict(in, len, pos, &major, &arg) || major != 2 || arg < 2 ||
      arg > len - *pos || in[*pos] != 0x00)
    return TR_ECAR;
  int n = dag_cid_decode(cid, in + *pos + 1, (size_t)arg - 1);
  if (n < 0 || (uint64_t)n != arg - 1)
    return TR_ECAR;
  *pos += (size_t)arg;
  return 0;
}

/* Check the header block h[0..len) strictly: a map with exactly the keys
 * "version" (an unsigned integer) and "roots" (an array of links), in either
 * order, nothing after it.  Sets *version, *nroots and *roots_pos (offset of
 * the first root).  roots is required: the caller has already recognised
 * the CARv2 pragma, the one header without it. */
static int parse_header(const uint8_t *h, size_t len, uint64_t *version,
                        uint64_t *nroots, size_t *roots_pos) {
  size_t pos = 0;
  int major;
  uint64_t n, arg;
  bool seen_roots = false, seen_version = false;
  if (head_strict(h, len, &pos, &major, &n) || major != 5 || n > 2)
    return TR_ECAR;
  for (uint64_t i = 0; i < n; i++) {
    if (head_strict(h, len, &pos, &major, &arg) || major != 3 ||
        arg > len - pos)
      return TR_ECAR;
    const uint8_t *key = h + pos;
    pos += (size_t)arg;
    if (arg == 5 && !memcmp(key, key_roots, 5) && !seen_roots) {
      seen_roots = true;
      if (head_strict(h, len, &pos, &major, nroots) || major != 4)
        return TR_ECAR;
      *roots_pos = pos;
      dag_cid_t cid;
      /* Each root takes at least one byte, so a count the input cannot
       * hold fails in read_root() long before the loop runs long. */
      for (uint64_t k = 0; k < *nroots; k++)
        if (read_root(h, len, &pos, &cid))
          return TR_ECAR;
    } else if (arg == 7 && !memcmp(key, key_version, 7) && !seen_version) {
      seen_version = true;
      if (head_strict(h, len, &pos, &major, version) || major != 0)
        return TR_ECAR;
    } else {
      return TR_ECAR; /* unknown or repeated key */
    }
  }
  if (pos != len || !seen_version || !seen_roots)
    return TR_ECAR;
  return *version == 1 ? 0 : TR_ECAR;
}

/* ---------------------------------------------------------------- reader */

enum {
  ST_HLEN,   /* header length varint */
  ST_HBODY,  /* header block */
  ST_V2HDR,  /* the 40-byte CARv2 header */
  ST_SKIP,   /* CARv2 padding before the data offset */
  ST_ROOTS,  /* handing out ROOT events from the buffered header */
  ST_SLEN,   /* section length varint */
  ST_SBODY,  /* section: CID + block */
  ST_TAIL,   /* after the end: ignore everything */
};

/* Handler result meaning "state changed, run the loop again". */
#define STEP 100

void dag_car_reader_init(dag_car_reader_t *r, const dag_car_opts_t *opts) {
  memset(r, 0, sizeof *r);
  r->state = ST_HLEN;
  r->end = UINT64_MAX;
  r->max_header = DAG_CAR_MAX_HEADER;
  r->max_section = DAG_CAR_MAX_SECTION;
  if (opts) {
    r->flags = opts->flags;
    if (opts->max_header)
      r->max_header = opts->max_header;
    if (opts->max_section)
      r->max_section = opts->max_section;
  }
}

void dag_car_reader_free(dag_car_reader_t *r) {
  tr_free(r->buf);
  r->buf = NULL;
  r->cap = r->have = 0;
}

/* Make room for n bytes in r->buf.  The content is not kept: it is only
 * called with nothing buffered. */
static int buf_reserve(dag_car_reader_t *r, size_t n) {
  if (r->cap >= n)
    return 0;
  size_t lim = r->max_section > r->max_header ? r->max_section : r->max_header;
  size_t cap = r->cap ? r->cap : 4096;
  while (cap < n)
    cap = cap > SIZE_MAX / 2 ? n : cap * 2;
  if (cap > lim && n <= lim)
    cap = lim;
  tr_free(r->buf);
  r->cap = 0;
  r->buf = tr_malloc(cap);
  if (!r->buf)
    return -ENOMEM;
  r->cap = cap;
  return 0;
}

/* ST_HLEN and ST_SLEN: collect a length varint, then act on it. */
static int st_len(dag_car_reader_t *r, const uint8_t *in, size_t len,
                  size_t *i) {
  if (r->vlen == 0) {
    if (r->state == ST_SLEN && r->pos == r->end) {
      r->state = ST_TAIL;
      return DAG_CAR_END;
    }
    r->sec_off = r->pos;
  }
  uint64_t v;
  for (;;) {
    if (*i == len)
      return 0;
    if (r->pos == r->end)
      return TR_ECAR; /* the varint runs past the CARv2 data size */
    uint8_t b = in[(*i)++];
    r->pos++;
    r->vbuf[r->vlen++] = b;
    if (!(b & 0x80))
      break;
    if (r->vlen == DAG_VARINT_MAX)
      return TR_EVARINT;
  }
  int n = dag_varint_get(r->vbuf, r->vlen, &v);
  if (n < 0)
    return n;
  r->vlen = 0;
  if (v == 0) {
    if (r->state == ST_SLEN && (r->flags & DAG_CAR_ZERO_LEN_EOF)) {
      r->state = ST_TAIL;
      return DAG_CAR_END;
    }
    return TR_ECAR;
  }
  if (v > (r->state == ST_HLEN ? r->max_header : r->max_section))
    return TR_ETOOBIG;
  if (v > r->end - r->pos)
    return TR_ECAR; /* runs past the CARv2 data size */
  r->need = v;
  r->have = 0;
  r->state = r->state == ST_HLEN ? ST_HBODY : ST_SBODY;
  return STEP;
}

/* The header block is complete in r->buf: recognise the CARv2 pragma or
 * check the CARv1 header and announce it. */
static int header_done(dag_car_reader_t *r, dag_car_event_t *ev) {
  const uint8_t *h = r->buf;
  size_t hlen = (size_t)r->need;
  if (!r->v2 && hlen == DAG_CAR_V2_PRAGMA_LEN - 1 &&
      !memcmp(h, dag_car_v2_pragma + 1, hlen)) {
    r->state = ST_V2HDR;
    r->have = 0;
    return STEP;
  }
  uint64_t version = 0, nroots = 0;
  size_t roots_pos = 0;
  if (parse_header(h, hlen, &version, &nroots, &roots_pos))
    return TR_ECAR;
  r->hdr.version = r->v2 ? 2 : 1;
  r->hdr.nroots = (size_t)nroots;
  r->nroots = nroots;
  r->root_pos = roots_pos;
  r->state = ST_ROOTS;
  memset(ev, 0, sizeof *ev);
  ev->header = r->hdr;
  return DAG_CAR_HEADER;
}

/* The 40-byte CARv2 header is complete in r->v2hdr. */
static int v2hdr_done(dag_car_reader_t *r) {
  const uint8_t *p = r->v2hdr;
  uint64_t off = tr_le64(p + 16), size = tr_le64(p + 24), idx = tr_le64(p + 32);
  /* go-car's checks; values of 2^63 and more are refused as it refuses
   * them (they are negative int64 there). */
  if (off < DAG_CAR_V2_PRAGMA_LEN + DAG_CAR_V2_HEADER_LEN || size == 0 ||
      off > INT64_MAX || size > INT64_MAX - off || idx > INT64_MAX)
    return TR_ECAR;
  memcpy(r->hdr.characteristics, p, 16);
  r->hdr.fully_indexed = (p[0] & 0x80) != 0;
  r->hdr.data_offset = off;
  r->hdr.data_size = size;
  r->hdr.index_offset = idx;
  r->v2 = true;
  r->skip = off - r->pos;
  r->end = off + size;
  r->state = r->skip ? ST_SKIP : ST_HLEN;
  return STEP;
}

/* The section in body[0..need) is complete. */
static int section_done(dag_car_reader_t *r, const uint8_t *body,
                        dag_car_event_t *ev) {
  size_t slen = (size_t)r->need;
  memset(ev, 0, sizeof *ev);
  int n = dag_cid_decode(&ev->cid, body, slen);
  if (n < 0)
    return TR_ECID;
  ev->index = r->nblocks++;
  ev->block = body + n;
  ev->block_len = slen - (size_t)n;
  ev->offset = r->sec_off;
  ev->length = r->pos - r->sec_off;
  ev->block_offset = r->pos - ev->block_len;
  r->state = ST_SLEN;
  return DAG_CAR_BLOCK;
}

static int st_body(dag_car_reader_t *r, const uint8_t *in, size_t len,
                   size_t *i, dag_car_event_t *ev) {
  size_t need = (size_t)r->need;
  size_t avail = len - *i;
  /* The common case: the whole section is in the caller's input. */
  if (r->state == ST_SBODY && r->have == 0 && avail >= need) {
    const uint8_t *body = in + *i;
    *i += need;
    r->pos += need;
    return section_done(r, body, ev);
  }
  if (avail == 0)
    return 0;
  if (r->have == 0) {
    int rc = buf_reserve(r, need);
    if (rc)
      return rc;
  }
  size_t n = need - r->have < avail ? need - r->have : avail;
  memcpy(r->buf + r->have, in + *i, n);
  r->have += n;
  *i += n;
  r->pos += n;
  if (r->have < need)
    return 0;
  r->have = 0;
  return r->state == ST_HBODY ? header_done(r, ev)
                              : section_done(r, r->buf, ev);
}

static int st_roots(dag_car_reader_t *r, dag_car_event_t *ev) {
  if (r->nroot_done == r->nroots) {
    r->state = ST_SLEN;
    return STEP;
  }
  memset(ev, 0, sizeof *ev);
  /* The header was checked whole, so this cannot fail; stay defensive. */
  if (read_root(r->buf, (size_t)r->need, &r->root_pos, &ev->cid))
    return TR_ECAR;
  ev->index = r->nroot_done++;
  return DAG_CAR_ROOT;
}

static int step(dag_car_reader_t *r, const uint8_t *in, size_t len, size_t *i,
                dag_car_event_t *ev) {
  size_t n;
  switch (r->state) {
  case ST_HLEN:
  case ST_SLEN:
    return st_len(r, in, len, i);
  case ST_HBODY:
  case ST_SBODY:
    return st_body(r, in, len, i, ev);
  case ST_V2HDR:
    if (*i == len)
      return 0; /* in may be NULL when len is 0 */
    n = DAG_CAR_V2_HEADER_LEN - r->have;
    if (n > len - *i)
      n = len - *i;
    memcpy(r->v2hdr + r->have, in + *i, n);
    r->have += n;
    *i += n;
    r->pos += n;
    if (r->have < DAG_CAR_V2_HEADER_LEN)
      return 0;
    r->have = 0;
    return v2hdr_done(r);
  case ST_SKIP:
    n = r->skip < len - *i ? (size_t)r->skip : len - *i;
    *i += n;
    r->pos += n;
    r->skip -= n;
    if (r->skip)
      return 0;
    r->state = ST_HLEN;
    return STEP;
  case ST_ROOTS:
    return st_roots(r, ev);
  default: /* ST_TAIL */
    r->pos += len - *i;
    *i = len;
    return 0;
  }
}

int dag_car_feed(dag_car_reader_t *r, const uint8_t *in, size_t len,
                 size_t *used, dag_car_event_t *ev) {
  size_t i = 0;
  int rc;
  *used = 0;
  if (r->err)
    return r->err;
  do
    rc = step(r, in, len, &i, ev);
  while (rc == STEP);
  *used = i;
  if (rc < 0)
    r->err = rc;
  return rc;
}

int dag_car_finish(dag_car_reader_t *r) {
  if (r->err)
    return r->err;
  switch (r->state) {
  case ST_TAIL:
    return 0;
  case ST_ROOTS:
  case ST_SLEN:
    /* Between sections; a CARv2 must also have reached its data size. */
    if (r->vlen == 0 && (!r->v2 || r->pos == r->end))
      return 0;
    return TR_ETRUNC;
  default:
    return TR_ETRUNC;
  }
}
