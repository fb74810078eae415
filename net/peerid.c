/*
 * peerid.c — PeerIDs: binary and text forms (see peerid.h).
 */
#include "peerid.h"

#include <string.h>

#include "../dag/cid.h"

/* ------------------------------------------------------------ the forms */

int net_peerid_from_bytes(net_peerid_t *id, const uint8_t *b, size_t n) {
  uint64_t code;
  const uint8_t *d;
  size_t dlen;
  if (dag_mh_parse(b, n, &code, &d, &dlen) != (int)n || n > NET_PEERID_MAX)
    return TR_EPEERID;
  /* dag_mh_parse() already holds sha2-256 to 32 bytes. */
  if (code != DAG_MH_SHA2_256 &&
      (code != DAG_MH_IDENTITY || dlen > NET_PEERID_INLINE_MAX))
    return TR_EPEERID;
  id->len = (uint8_t)n;
  memcpy(id->bytes, b, n);
  return 0;
}

int net_peerid_parse(net_peerid_t *id, const char *s, size_t n) {
  uint8_t buf[DAG_CID_MAX];
  size_t len;
  if (n >= 2 && (s[0] == '1' || (s[0] == 'Q' && s[1] == 'm'))) {
    if (dag_b58_decode(s, n, buf, sizeof buf, &len) < 0)
      return TR_EPEERID;
    return net_peerid_from_bytes(id, buf, len);
  }
  dag_cid_t cid;
  if (dag_cid_parse(&cid, s, n) < 0 || cid.version != 1 ||
      cid.codec != DAG_CODEC_LIBP2P_KEY)
    return TR_EPEERID;
  const uint8_t *mh = dag_cid_mh(&cid, &len);
  return net_peerid_from_bytes(id, mh, len);
}

int net_peerid_format(const net_peerid_t *id, char base, char *out,
                      size_t outsize) {
  if (base == 0)
    return dag_b58_encode(id->bytes, id->len, out, outsize);
  dag_cid_t cid;
  int rc = dag_cid_make(&cid, 1, DAG_CODEC_LIBP2P_KEY, id->bytes, id->len);
  if (rc < 0)
    return rc;
  return dag_cid_format(&cid, base, out, outsize);
}
