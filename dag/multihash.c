/*
 * multihash.c — multihash parsing and hashing.  sha2-256 goes through
 * OpenSSL's EVP interface so that SHA-NI is used where the CPU has it; the
 * digest object is fetched once per thread-safe call site (pthread_once)
 * because an implicit fetch on every call costs more than hashing a small
 * block.  sha2-512 (blocks some tools make, the gateway conformance
 * suite's among them) is hashed by OpenSSL too, without the fetch: it is
 * rare.  blake3 is parsed but not computed (TR_EHASH).
 */
#include "multihash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

void dag_sha256(const void *data, size_t len, uint8_t out[32]) {
  pthread_once(&sha256_once, sha256_fetch);
  unsigned int olen = 32;
  /* EVP_Digest only fails on allocation failure inside OpenSSL; there is no
   * sane recovery, and a wrong digest must never be returned silently. */
  if (!EVP_Digest(data, len, out, &olen, sha256_md ? sha256_md : EVP_sha256(),
                  NULL))
    abort();
}

int dag_mh_parse(const uint8_t *in, size_t len, uint64_t *code,
                 const uint8_t **digest, size_t *dlen) {
  uint64_t c, l;
  int n1 = dag_varint_get(in, len, &c);
  if (n1 < 0)
    return n1;
  int n2 = dag_varint_get(in + n1, len - (size_t)n1, &l);
  if (n2 < 0)
    return n2;
  size_t off = (size_t)n1 + (size_t)n2;
  if (l > DAG_MH_IDENTITY_MAX)
    return TR_EMULTIHASH;
  if ((c == DAG_MH_SHA2_256 && l != 32) || (c == DAG_MH_SHA2_512 && l != 64))
    return TR_EMULTIHASH;
  if (len - off < l)
    return TR_ETRUNC;
  *code = c;
  *digest = in + off;
  *dlen = (size_t)l;
  return (int)(off + l);
}

int dag_mh_sum(uint64_t code, const void *data, size_t len, uint8_t *out,
               size_t outsize) {
  size_t dlen;
  if (code == DAG_MH_SHA2_256)
    dlen = 32;
  else if (code == DAG_MH_SHA2_512)
    dlen = 64;
  else if (code == DAG_MH_IDENTITY) {
    if (len > DAG_MH_IDENTITY_MAX)
      return TR_ETOOBIG;
    dlen = len;
  } else
    return TR_EHASH;
  size_t need = dag_varint_size(code) + dag_varint_size(dlen) + dlen;
  if (outsize < need)
    return TR_EBUFSIZE;
  size_t n = dag_varint_put(out, code);
  n += dag_varint_put(out + n, dlen);
  if (code == DAG_MH_SHA2_256)
    dag_sha256(data, len, out + n);
  else if (code == DAG_MH_SHA2_512) {
    unsigned int olen = 64;
    if (!EVP_Digest(data, len, out + n, &olen, EVP_sha512(), NULL))
      abort(); /* as dag_sha256: never a wrong digest */
  } else if (dlen)
    memcpy(out + n, data, dlen);
  return (int)(n + dlen);
}

static const struct {
  uint64_t code;
  const char *name;
} mh_names[] = {
    {DAG_MH_IDENTITY, "identity"},
    {DAG_MH_SHA2_256, "sha2-256"},
    {DAG_MH_SHA2_512, "sha2-512"},
    {DAG_MH_BLAKE3, "blake3"},
};

const char *dag_mh_name(uint64_t code) {
  for (size_t i = 0; i < TR_ARRAY_LEN(mh_names); i++)
    if (mh_names[i].code == code)
      return mh_names[i].name;
  return "unknown";
}

int dag_mh_from_name(const char *name, uint64_t *code) {
  for (size_t i = 0; i < TR_ARRAY_LEN(mh_names); i++)
    if (!strcmp(mh_names[i].name, name)) {
      *code = mh_names[i].code;
      return 0;
    }
  return TR_EHASH;
}
