/*
 * unixfs.c — UnixFS Data encode/decode, see unixfs.h.
 *
 * Protobuf varints here are the full 64-bit kind (up to 10 bytes: a negative
 * mtime Seconds is sign-extended), so this file has its own varint reader and
 * writer instead of dag_varint_*, which follow the multiformats 63-bit rule.
 */
#include "unixfs.h"

#include <string.h>

/* ------------------------------------------------------------- varints */

/* Read a protobuf varint from [*p, end).  Rejects truncation, more than 10
 * bytes, bits past 64 and non-minimal encodings (a final 0x00 byte), which no
 * reference encoder writes. */
static bool pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  const uint8_t *q = *p;
  for (unsigned i = 0; i < 10; i++) {
    if (q >= end)
      return false;
    uint8_t b = *q++;
    if (i == 9 && b > 1)
      return false; /* bits past 64 */
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      if (b == 0 && i > 0)
        return false;
      *v = x;
      *p = q;
      return true;
    }
  }
  return false;
}

static size_t pb_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static size_t pb_varint_put(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* Skip one field body of wire type wt.  Groups (3, 4) are refused. */
static bool pb_skip(const uint8_t **p, const uint8_t *end, unsigned wt) {
  uint64_t n;
  switch (wt) {
  case 0:
    return pb_varint(p, end, &n);
  case 1:
    if (end - *p < 8)
      return false;
    *p += 8;
    return true;
  case 2:
    if (!pb_varint(p, end, &n) || n > (uint64_t)(end - *p))
      return false;
    *p += n;
    return true;
  case 5:
    if (end - *p < 4)
      return false;
    *p += 4;
    return true;
  default:
    return false;
  }
}

/* ------------------------------------------------------------- decoding */

static int decode_mtime(const uint8_t *p, const uint8_t *end, dag_unixfs_t *u) {
  bool seen_sec = false;
  while (p < end) {
    uint64_t tag;
    if (!pb_varint(&p, end, &tag))
      return TR_EUNIXFS;
    unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
    if (field == 1) {
      uint64_t s;
      if (wt != 0 || seen_sec || !pb_varint(&p, end, &s))
        return TR_EUNIXFS;
      u->mtime_sec = (int64_t)s;
      seen_sec = true;
    } else if (field == 2) {
      if (wt != 5 || u->has_mtime_nsec || end - p < 4)
        return TR_EUNIXFS;
      uint32_t ns = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
      p += 4;
      if (ns > 999999999u)
        return TR_EUNIXFS;
      u->mtime_nsec = ns;
      u->has_mtime_nsec = true;
    } else if (field == 0 || !pb_skip(&p, end, wt))
      return TR_EUNIXFS;
  }
  if (!seen_sec)
    return TR_EUNIXFS; /* boxo: "required int64 seconds" */
  u->has_mtime = true;
  return 0;
}

/* One varint field of the Data message.  *seen guards against repeats. */
static int take_varint(const uint8_t **p, const uint8_t *end, unsigned wt,
                       bool *seen, uint64_t *v) {
  if (wt != 0 || *seen || !pb_varint(p, end, v))
    return TR_EUNIXFS;
  *seen = true;
  return 0;
}

static int add_blocksize(dag_unixfs_t *u, uint64_t v) {
  if (u->n_blocksizes >= DAG_UNIXFS_MAX_BLOCKSIZES ||
      v > UINT64_MAX - u->blocksizes_sum)
    return TR_EUNIXFS;
  u->n_blocksizes++;
  u->blocksizes_sum += v;
  return 0;
}

static int decode_field(const uint8_t **pp, const uint8_t *end, unsigned field,
                        unsigned wt, dag_unixfs_t *u, bool *seen_type) {
  const uint8_t *p = *pp;
  uint64_t v, n;
  int rc = 0;
  switch (field) {
  case 1:
    if ((rc = take_varint(&p, end, wt, seen_type, &v)))
      return rc;
    if (v > DAG_UNIXFS_HAMT)
      return TR_EUNIXFS;
    u->type = (int)v;
    break;
  case 2:
    if (wt != 2 || u->has_data || !pb_varint(&p, end, &n) ||
        n > (uint64_t)(end - p))
      return TR_EUNIXFS;
    u->data = p;
    u->data_len = (size_t)n;
    u->has_data = true;
    p += n;
    break;
  case 3:
    rc = take_varint(&p, end, wt, &u->has_filesize, &u->filesize);
    break;
  case 4:
    if (wt == 0) {
      if (!pb_varint(&p, end, &v))
        return TR_EUNIXFS;
      rc = add_blocksize(u, v);
    } else if (wt == 2) { /* packed: protobuf readers must accept it */
      if (!pb_varint(&p, end, &n) || n > (uint64_t)(end - p))
        return TR_EUNIXFS;
      const uint8_t *pend = p + n;
      while (p < pend && !rc) {
        if (!pb_varint(&p, pend, &v))
          return TR_EUNIXFS;
        rc = add_blocksize(u, v);
      }
    } else
      return TR_EUNIXFS;
    break;
  case 5:
    rc = take_varint(&p, end, wt, &u->has_hash_type, &u->hash_type);
    break;
  case 6:
    rc = take_varint(&p, end, wt, &u->has_fanout, &u->fanout);
    break;
  case 7:
    if ((rc = take_varint(&p, end, wt, &u->has_mode, &v)))
      return rc;
    if (v > UINT32_MAX)
      return TR_EUNIXFS;
    u->mode = (uint32_t)v;
    break;
  case 8:
    if (wt != 2 || u->has_mtime || !pb_varint(&p, end, &n) ||
        n > (uint64_t)(end - p))
      return TR_EUNIXFS;
    if ((rc = decode_mtime(p, p + n, u)))
      return rc;
    p += n;
    break;
  default:
    if (field == 0 || !pb_skip(&p, end, wt))
      return TR_EUNIXFS;
  }
  *pp = p;
  return rc;
}

int dag_unixfs_decode(const uint8_t *in, size_t len, dag_unixfs_t *u) {
  memset(u, 0, sizeof *u);
  u->msg = in;
  u->msg_len = len;
  const uint8_t *p = in, *end = in + len;
  bool seen_type = false;
  while (p < end) {
    uint64_t tag;
    if (!pb_varint(&p, end, &tag) || tag > UINT32_MAX)
      return TR_EUNIXFS;
    int rc = decode_field(&p, end, (unsigned)(tag >> 3), (unsigned)(tag & 7),
                          u, &seen_type);
    if (rc)
      return rc;
  }
  return seen_type ? 0 : TR_EUNIXFS;
}

/* ------------------------------------------------------------ iteration */

void dag_unixfs_iter_init(const dag_unixfs_t *u, dag_unixfs_iter_t *it) {
  it->p = u->msg;
  it->end = u->msg + u->msg_len;
  it->pk = it->pkend = NULL;
}

bool dag_unixfs_iter_next(dag_unixfs_iter_t *it, uint64_t *v) {
  if (it->pk && it->pk < it->pkend)
    return pb_varint(&it->pk, it->pkend, v);
  while (it->p < it->end) {
    uint64_t tag;
    if (!pb_varint(&it->p, it->end, &tag))
      return false;
    unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
    if (field == 4 && wt == 0)
      return pb_varint(&it->p, it->end, v);
    if (field == 4 && wt == 2) {
      uint64_t n;
      if (!pb_varint(&it->p, it->end, &n))
        return false;
      it->pk = it->p;
      it->pkend = it->p + n;
      it->p += n;
      if (it->pk < it->pkend)
        return pb_varint(&it->pk, it->pkend, v);
      continue;
    }
    if (!pb_skip(&it->p, it->end, wt))
      return false;
  }
  return false;
}

/* ------------------------------------------------------------- encoding */

void dag_unixfs_set_meta(dag_unixfs_t *u, const dag_meta_t *m) {
  u->has_mode = m && m->has_mode;
  u->mode = u->has_mode ? m->mode & 07777 : 0;
  u->has_mtime = m && m->has_mtime;
  u->mtime_sec = u->has_mtime ? m->mtime_sec : 0;
  u->mtime_nsec = u->has_mtime ? m->mtime_nsec : 0;
  u->has_mtime_nsec = u->mtime_nsec != 0;
}

static size_t mtime_body_size(const dag_unixfs_t *u) {
  size_t n = 1 + pb_varint_size((uint64_t)u->mtime_sec);
  if (u->has_mtime_nsec)
    n += 1 + 4;
  return n;
}

size_t dag_unixfs_encoded_size(const dag_unixfs_t *u, const uint64_t *bs,
                               size_t n) {
  size_t sz = 1 + pb_varint_size((uint64_t)u->type);
  if (u->has_data && u->data_len)
    sz += 1 + pb_varint_size(u->data_len) + u->data_len;
  if (u->has_filesize)
    sz += 1 + pb_varint_size(u->filesize);
  for (size_t i = 0; i < n; i++)
    sz += 1 + pb_varint_size(bs[i]);
  if (u->has_hash_type)
    sz += 1 + pb_varint_size(u->hash_type);
  if (u->has_fanout)
    sz += 1 + pb_varint_size(u->fanout);
  if (u->has_mode)
    sz += 1 + pb_varint_size(u->mode);
  if (u->has_mtime) {
    size_t m = mtime_body_size(u);
    sz += 1 + pb_varint_size(m) + m;
  }
  return sz;
}

int dag_unixfs_encode(const dag_unixfs_t *u, const uint64_t *bs, size_t n,
                      uint8_t *out, size_t outsize) {
  if (dag_unixfs_encoded_size(u, bs, n) > outsize)
    return TR_EBUFSIZE;
  size_t o = 0;
  out[o++] = 0x08;
  o += pb_varint_put(out + o, (uint64_t)u->type);
  if (u->has_data && u->data_len) {
    out[o++] = 0x12;
    o += pb_varint_put(out + o, u->data_len);
    memcpy(out + o, u->data, u->data_len);
    o += u->data_len;
  }
  if (u->has_filesize) {
    out[o++] = 0x18;
    o += pb_varint_put(out + o, u->filesize);
  }
  for (size_t i = 0; i < n; i++) {
    out[o++] = 0x20;
    o += pb_varint_put(out + o, bs[i]);
  }
  if (u->has_hash_type) {
    out[o++] = 0x28;
    o += pb_varint_put(out + o, u->hash_type);
  }
  if (u->has_fanout) {
    out[o++] = 0x30;
    o += pb_varint_put(out + o, u->fanout);
  }
  if (u->has_mode) {
    out[o++] = 0x38;
    o += pb_varint_put(out + o, u->mode);
  }
  if (u->has_mtime) {
    out[o++] = 0x42;
    o += pb_varint_put(out + o, mtime_body_size(u));
    out[o++] = 0x08;
    o += pb_varint_put(out + o, (uint64_t)u->mtime_sec);
    if (u->has_mtime_nsec) {
      out[o++] = 0x15;
      for (int i = 0; i < 4; i++)
        out[o++] = (uint8_t)(u->mtime_nsec >> (8 * i));
    }
  }
  return (int)o;
}

const char *dag_unixfs_type_name(int type) {
  static const char *const names[] = {"raw",      "directory", "file",
                                      "metadata", "symlink",
                                      "hamt-sharded-directory"};
  return type >= 0 && type <= DAG_UNIXFS_HAMT ? names[type] : "unknown";
}
