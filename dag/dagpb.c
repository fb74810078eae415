/*
 * dagpb.c — dag-pb encode/decode, see dagpb.h.  Lengths read from the input
 * are checked against what remains before they are used.
 */
#include "dagpb.h"

#include <string.h>

/* Read a protobuf length-delimited field body: varint length, then bytes. */
static int read_bytes(const uint8_t *in, size_t len, size_t *pos,
                      const uint8_t **p, size_t *n) {
  uint64_t l;
  int k = dag_varint_get(in + *pos, len - *pos, &l);
  if (k < 0)
    return k == TR_ETRUNC ? TR_ETRUNC : TR_EDAGPB;
  *pos += (size_t)k;
  if (l > len - *pos)
    return TR_ETRUNC;
  *p = in + *pos;
  *n = (size_t)l;
  *pos += (size_t)l;
  return 0;
}

static int decode_link(const uint8_t *in, size_t len, dag_pb_link_t *lk) {
  size_t pos = 0;
  uint64_t last = 0;
  int rc;
  bool has_hash = false;
  memset(lk, 0, sizeof *lk);
  while (pos < len) {
    uint64_t tag;
    int k = dag_varint_get(in + pos, len - pos, &tag);
    if (k < 0)
      return TR_EDAGPB;
    pos += (size_t)k;
    /* Compare the field number at full width: narrowed to int, field
     * 2^32+1 would pass for field 1 and a non-canonical block would be
     * accepted (test_regression_link_field_number_truncated). */
    uint64_t field = tag >> 3;
    int wt = (int)(tag & 7);
    if (field <= last || field > 3)
      return TR_EDAGPB; /* out of order, repeated or unknown */
    last = field;
    const uint8_t *p;
    size_t n;
    if (field == 1 || field == 2) {
      if (wt != 2)
        return TR_EDAGPB;
      if ((rc = read_bytes(in, len, &pos, &p, &n)))
        return rc;
      if (field == 1) {
        rc = dag_cid_decode(&lk->cid, p, n);
        if (rc < 0 || (size_t)rc != n)
          return TR_EDAGPB;
        has_hash = true;
      } else {
        lk->name = (const char *)p;
        lk->name_len = n;
        lk->has_name = true;
      }
    } else {
      if (wt != 0)
        return TR_EDAGPB;
      uint64_t v;
      k = dag_varint_get(in + pos, len - pos, &v);
      if (k < 0)
        return k == TR_ETRUNC ? TR_ETRUNC : TR_EDAGPB;
      pos += (size_t)k;
      lk->tsize = v;
      lk->has_tsize = true;
    }
  }
  return has_hash ? 0 : TR_EDAGPB;
}

int dag_pb_decode(const uint8_t *in, size_t len, dag_pb_link_cb cb, void *ud,
                  dag_pb_node_t *node) {
  size_t pos = 0;
  memset(node, 0, sizeof *node);
  node->canonical = true;
  while (pos < len) {
    uint64_t tag;
    int k = dag_varint_get(in + pos, len - pos, &tag);
    if (k < 0)
      return TR_EDAGPB;
    pos += (size_t)k;
    if ((tag & 7) != 2)
      return TR_EDAGPB;
    const uint8_t *p;
    size_t n;
    int rc = read_bytes(in, len, &pos, &p, &n);
    if (rc)
      return rc;
    if (tag >> 3 == 2) {
      if (node->has_data) {
        /* Legacy order, read but never written: all the links after
         * Data.  Links on both sides would be two Links sections. */
        if (node->canonical && node->nlinks)
          return TR_EDAGPB;
        node->canonical = false;
      }
      dag_pb_link_t lk;
      if ((rc = decode_link(p, n, &lk)))
        return rc == TR_ETRUNC ? TR_EDAGPB : rc;
      if (cb && (rc = cb(&lk, node->nlinks, ud)))
        return rc;
      node->nlinks++;
    } else if (tag >> 3 == 1) {
      if (node->has_data)
        return TR_EDAGPB;
      node->data = p;
      node->data_len = n;
      node->has_data = true;
    } else
      return TR_EDAGPB;
  }
  return 0;
}

static size_t link_body_size(const dag_pb_link_t *lk) {
  size_t n = 1 + dag_varint_size(lk->cid.len) + lk->cid.len;
  if (lk->has_name)
    n += 1 + dag_varint_size(lk->name_len) + lk->name_len;
  if (lk->has_tsize)
    n += 1 + dag_varint_size(lk->tsize);
  return n;
}

size_t dag_pb_link_size(const dag_pb_link_t *lk) {
  size_t b = link_body_size(lk);
  return 1 + dag_varint_size(b) + b;
}

size_t dag_pb_encoded_size(const dag_pb_link_t *links, size_t n,
                           const uint8_t *data, size_t dlen, bool has_data) {
  (void)data;
  size_t sz = 0;
  for (size_t i = 0; i < n; i++)
    sz += dag_pb_link_size(&links[i]);
  if (has_data)
    sz += 1 + dag_varint_size(dlen) + dlen;
  return sz;
}

static size_t put_bytes(uint8_t *out, uint8_t tag, const void *p, size_t n) {
  size_t o = 0;
  out[o++] = tag;
  o += dag_varint_put(out + o, n);
  if (n)
    memcpy(out + o, p, n);
  return o + n;
}

int dag_pb_encode(const dag_pb_link_t *links, size_t n, const uint8_t *data,
                  size_t dlen, bool has_data, uint8_t *out, size_t outsize) {
  if (dag_pb_encoded_size(links, n, data, dlen, has_data) > outsize)
    return TR_EBUFSIZE;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    const dag_pb_link_t *lk = &links[i];
    out[o++] = 0x12;
    o += dag_varint_put(out + o, link_body_size(lk));
    o += put_bytes(out + o, 0x0a, lk->cid.bytes, lk->cid.len);
    if (lk->has_name)
      o += put_bytes(out + o, 0x12, lk->name, lk->name_len);
    if (lk->has_tsize) {
      out[o++] = 0x18;
      o += dag_varint_put(out + o, lk->tsize);
    }
  }
  if (has_data)
    o += put_bytes(out + o, 0x0a, data, dlen);
  return (int)o;
}
