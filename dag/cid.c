/*
 * cid.c — CIDv0/v1 parsing, building, formatting and conversion.
 *
 * The binary form is the source of truth; the parsed fields in dag_cid_t are
 * derived from it by cid_set().  CIDv0 is recognised in binary by the
 * multihash prefix 0x12 0x20 (the cid spec's rule) and in text by the "Qm"
 * shape: 46 base58btc characters.
 */
#include "cid.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Fill cid from a validated binary form. */
static int cid_build(dag_cid_t *cid, int version, uint64_t codec,
                     const uint8_t *mh, size_t mhlen) {
  uint64_t code;
  const uint8_t *dig;
  size_t dlen;
  int n = dag_mh_parse(mh, mhlen, &code, &dig, &dlen);
  if (n < 0)
    return n;
  if ((size_t)n != mhlen)
    return TR_EMULTIHASH;
  size_t off = 0;
  if (version == 0) {
    if (codec != DAG_CODEC_DAG_PB || code != DAG_MH_SHA2_256)
      return TR_ECID;
  } else if (version == 1) {
    if (codec >= (1ull << 63))
      return TR_ECID;
    off = dag_varint_put(cid->bytes, 1);
    off += dag_varint_put(cid->bytes + off, codec);
  } else
    return TR_ECID;
  if (off + mhlen > DAG_CID_MAX)
    return TR_ETOOBIG;
  memmove(cid->bytes + off, mh, mhlen);
  cid->version = (uint8_t)version;
  cid->codec = codec;
  cid->mh_code = code;
  cid->mh_off = (uint8_t)off;
  cid->len = (uint16_t)(off + mhlen);
  return 0;
}

int dag_cid_make(dag_cid_t *cid, int version, uint64_t codec,
                 const uint8_t *mh, size_t mhlen) {
  if (mhlen > DAG_MH_MAX)
    return TR_ETOOBIG;
  uint8_t tmp[DAG_MH_MAX];
  memcpy(tmp, mh, mhlen); /* mh may point into cid itself */
  return cid_build(cid, version, codec, tmp, mhlen);
}

int dag_cid_decode(dag_cid_t *cid, const uint8_t *in, size_t len) {
  if (len >= 2 && in[0] == DAG_MH_SHA2_256 && in[1] == 32) {
    if (len < 34)
      return TR_ETRUNC;
    int rc = dag_cid_make(cid, 0, DAG_CODEC_DAG_PB, in, 34);
    return rc < 0 ? rc : 34;
  }
  uint64_t version, codec;
  int n1 = dag_varint_get(in, len, &version);
  if (n1 < 0)
    return n1;
  if (version != 1)
    return TR_ECID;
  int n2 = dag_varint_get(in + n1, len - (size_t)n1, &codec);
  if (n2 < 0)
    return n2;
  size_t off = (size_t)n1 + (size_t)n2;
  uint64_t code;
  const uint8_t *dig;
  size_t dlen;
  int n3 = dag_mh_parse(in + off, len - off, &code, &dig, &dlen);
  if (n3 < 0)
    return n3;
  int rc = dag_cid_make(cid, 1, codec, in + off, (size_t)n3);
  return rc < 0 ? rc : (int)(off + (size_t)n3);
}

int dag_cid_parse(dag_cid_t *cid, const char *s, size_t slen) {
  uint8_t bin[DAG_CID_MAX + 8];
  size_t blen;
  int rc;
  if (slen == 46 && s[0] == 'Q' && s[1] == 'm') {
    rc = dag_b58_decode(s, slen, bin, sizeof bin, &blen);
    if (rc < 0)
      return rc == TR_EBUFSIZE ? TR_ECID : rc;
    if (blen != 34 || bin[0] != DAG_MH_SHA2_256 || bin[1] != 32)
      return TR_ECID;
    return dag_cid_make(cid, 0, DAG_CODEC_DAG_PB, bin, blen);
  }
  /* 'Q' is no multibase prefix: a "Qm..." of the wrong length is a broken
   * CIDv0, and saying so beats "unsupported multibase". */
  if (slen > DAG_MB_ENCODED_MAX_ANY(DAG_CID_MAX) || (slen && s[0] == 'Q'))
    return TR_ECID;
  rc = dag_mb_decode(s, slen, bin, sizeof bin, &blen, NULL);
  if (rc < 0)
    return rc == TR_EBUFSIZE ? TR_ECID : rc;
  /* A multibase string whose payload is a CIDv0 multihash is not a valid
   * CID string: v0 only exists as bare base58btc. */
  if (blen >= 1 && bin[0] == DAG_MH_SHA2_256)
    return TR_ECID;
  rc = dag_cid_decode(cid, bin, blen);
  if (rc < 0)
    return rc;
  if ((size_t)rc != blen)
    return TR_ECID;
  return 0;
}

int dag_cid_sum(dag_cid_t *cid, int version, uint64_t codec, uint64_t mh_code,
                const void *data, size_t len) {
  uint8_t mh[DAG_MH_MAX];
  int n = dag_mh_sum(mh_code, data, len, mh, sizeof mh);
  if (n < 0)
    return n;
  return cid_build(cid, version, codec, mh, (size_t)n);
}

int dag_cidb_sum(const dag_cidb_t *b, uint64_t codec, const void *data,
                 size_t len, dag_cid_t *cid) {
  if (len < b->inline_below)
    return dag_cid_sum(cid, 1, codec, DAG_MH_IDENTITY, data, len);
  int version = codec == DAG_CODEC_DAG_PB ? b->version : 1;
  return dag_cid_sum(cid, version, codec, b->mh, data, len);
}

int dag_cid_format(const dag_cid_t *cid, char base, char *out,
                   size_t outsize) {
  if (cid->version == 0)
    return dag_b58_encode(cid->bytes, cid->len, out, outsize);
  return dag_mb_encode(base ? base : DAG_MB_BASE32, cid->bytes, cid->len, out,
                       outsize);
}

char *dag_cid_str(const dag_cid_t *cid, char buf[DAG_CID_STR_MAX]) {
  if (dag_cid_format(cid, 0, buf, DAG_CID_STR_MAX) < 0)
    strcpy(buf, "<bad cid>");
  return buf;
}

void dag_cid_to_v1(dag_cid_t *out, const dag_cid_t *in) {
  size_t mhlen;
  const uint8_t *mh = dag_cid_mh(in, &mhlen);
  /* Cannot fail: the multihash was validated when in was built, and a v1
   * header is at most 1 + 9 bytes, which DAG_CID_MAX leaves room for. */
  if (dag_cid_make(out, 1, in->codec, mh, mhlen) < 0)
    *out = *in;
}

int dag_cid_to_v0(dag_cid_t *out, const dag_cid_t *in) {
  size_t mhlen;
  const uint8_t *mh = dag_cid_mh(in, &mhlen);
  return dag_cid_make(out, 0, in->codec, mh, mhlen);
}

bool dag_cid_equal(const dag_cid_t *a, const dag_cid_t *b) {
  return a->len == b->len && !memcmp(a->bytes, b->bytes, a->len);
}

static uint8_t fp_key[crypto_shorthash_siphashx24_KEYBYTES];
static pthread_once_t fp_once = PTHREAD_ONCE_INIT;

static void fp_init(void) {
  /* sodium_init() fails only when no entropy source can be opened; a
   * fingerprint without a secret key is not safe to trust, and nothing
   * else trove does could work on such a machine either. */
  if (sodium_init() < 0)
    abort();
  randombytes_buf(fp_key, sizeof fp_key);
}

tr_fp_t dag_mh_fp(const uint8_t *mh, size_t len) {
  pthread_once(&fp_once, fp_init);
  uint8_t out[crypto_shorthash_siphashx24_BYTES];
  crypto_shorthash_siphashx24(out, mh, len, fp_key);
  tr_fp_t fp;
  memcpy(&fp.hi, out, 8);
  memcpy(&fp.lo, out + 8, 8);
  if (!(fp.hi | fp.lo))
    fp.lo = 1; /* all zero marks an empty slot */
  return fp;
}

int dag_cid_verify(const dag_cid_t *cid, const void *data, size_t len) {
  size_t mhlen, dlen;
  const uint8_t *want = dag_cid_mh(cid, &mhlen), *dig;
  uint64_t code;
  if (dag_mh_parse(want, mhlen, &code, &dig, &dlen) < 0)
    return TR_ECID; /* cannot be: the CID parsed */
  if (code == DAG_MH_IDENTITY && dlen != len)
    return TR_EMISMATCH;
  /* At the CID's digest length: blake3 and shake-256 give any. */
  uint8_t mh[DAG_MH_MAX];
  int n = dag_mh_sum_len(code, dlen, data, len, mh, sizeof mh);
  if (n < 0)
    return n == TR_ETOOBIG ? TR_EMISMATCH : n;
  if ((size_t)n != mhlen || memcmp(mh, want, mhlen))
    return TR_EMISMATCH;
  return 0;
}

const char *dag_path_rest(const char *arg, int *ns) {
  static const struct {
    const char *name;
    int ns;
  } nss[] = {{"ipfs", DAG_NS_IPFS}, {"ipns", DAG_NS_IPNS}};
  for (size_t i = 0; i < sizeof nss / sizeof *nss; i++) {
    const char *n = nss[i].name;
    if (arg[0] == '/' && !strncmp(arg + 1, n, 4) && arg[5] == '/') {
      *ns = nss[i].ns;
      return arg + 6;
    }
    if (!strncasecmp(arg, n, 4) && arg[4] == ':') {
      *ns = nss[i].ns;
      return arg + 5 + (arg[5] == '/' && arg[6] == '/' ? 2 : 0);
    }
  }
  *ns = DAG_NS_NONE;
  return arg;
}
