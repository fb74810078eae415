/*
 * multihash.c — multihash parsing and hashing.  sha2-256 goes through
 * OpenSSL's EVP interface so that SHA-NI is used where the CPU has it; the
 * digest object is fetched once per thread-safe call site (pthread_once)
 * because an implicit fetch on every call costs more than hashing a small
 * block.  sha2-512 (blocks some tools make, the gateway conformance
 * suite's among them) and sha1 (git's objects) are hashed by OpenSSL too,
 * without the fetch: they are rare.  SHA-3, SHAKE256, Keccak, BLAKE2 and
 * BLAKE3 are hashfn.h's (OpenSSL 3.0, Debian 12's, has neither Keccak nor
 * BLAKE2 of any length but the longest, nor BLAKE3).
 */
#include "multihash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hashfn.h"

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

void dag_sha256_parts(const void *const *parts, const size_t *lens, size_t n,
                      uint8_t out[32]) {
  pthread_once(&sha256_once, sha256_fetch);
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  unsigned int olen = 32;
  bool ok = c && EVP_DigestInit_ex(c, sha256_md ? sha256_md : EVP_sha256(),
                                   NULL);
  for (size_t i = 0; ok && i < n; i++)
    ok = EVP_DigestUpdate(c, parts[i], lens[i]);
  ok = ok && EVP_DigestFinal_ex(c, out, &olen);
  EVP_MD_CTX_free(c);
  if (!ok) /* as dag_sha256: allocation inside OpenSSL, no sane recovery */
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

/* ------------------------------------------------ the hash functions */

/* What Kubo v0.43.1 hashes, fetches and serves: the functions boxo's
 * verifcid allows that go-multihash v0.2.3 registers (not keccak-224 or
 * -384, nor blake2s but at 256 bits), by go-multihash's names, each with
 * its digest length; the XOFs take any length from 1 to max, len by
 * default (identity has its own rule). */
typedef struct mh_fn {
  uint64_t code;
  const char *name;
  uint8_t len, max;
} mh_fn_t;

#define B2B(bits) {0xb200 + (bits) / 8, "blake2b-" #bits, (bits) / 8, 0}
static const mh_fn_t fns[] = {
    {DAG_MH_IDENTITY, "identity", 0, DAG_MH_IDENTITY_MAX},
    {DAG_MH_SHA1, "sha1", 20, 0},
    {DAG_MH_SHA2_256, "sha2-256", 32, 0},
    {DAG_MH_SHA2_512, "sha2-512", 64, 0},
    {0x14, "sha3-512", 64, 0},
    {0x15, "sha3-384", 48, 0},
    {0x16, "sha3-256", 32, 0},
    {0x17, "sha3-224", 28, 0},
    {DAG_MH_SHAKE_256, "shake-256", 64, 64},
    {0x1b, "keccak-256", 32, 0},
    {0x1d, "keccak-512", 64, 0},
    {DAG_MH_BLAKE3, "blake3", 32, 128},
    {DAG_MH_DBL_SHA2_256, "dbl-sha2-256", 32, 0},
    B2B(160), B2B(168), B2B(176), B2B(184), B2B(192), B2B(200), B2B(208),
    B2B(216), B2B(224), B2B(232), B2B(240), B2B(248), B2B(256), B2B(264),
    B2B(272), B2B(280), B2B(288), B2B(296), B2B(304), B2B(312), B2B(320),
    B2B(328), B2B(336), B2B(344), B2B(352), B2B(360), B2B(368), B2B(376),
    B2B(384), B2B(392), B2B(400), B2B(408), B2B(416), B2B(424), B2B(432),
    B2B(440), B2B(448), B2B(456), B2B(464), B2B(472), B2B(480), B2B(488),
    B2B(496), B2B(504), B2B(512),
    {0xb260, "blake2s-256", 32, 0},
};
#undef B2B

static const mh_fn_t *fn_of(uint64_t code) {
  for (size_t i = 0; i < TR_ARRAY_LEN(fns); i++)
    if (fns[i].code == code)
      return &fns[i];
  return NULL;
}

/* The digest itself: out holds dlen bytes, which fn_of(code) allows. */
static void digest(uint64_t code, const void *data, size_t len, uint8_t *out,
                   size_t dlen) {
  unsigned int olen;
  uint8_t once[32];
  switch (code) {
  case DAG_MH_SHA2_256:
    dag_sha256(data, len, out);
    return;
  case DAG_MH_DBL_SHA2_256:
    dag_sha256(data, len, once);
    dag_sha256(once, sizeof once, out);
    return;
  case DAG_MH_SHA2_512:
  case DAG_MH_SHA1:
    olen = (unsigned int)dlen;
    /* As dag_sha256: never a wrong digest. */
    if (!EVP_Digest(data, len, out, &olen,
                    code == DAG_MH_SHA1 ? EVP_sha1() : EVP_sha512(), NULL))
      abort();
    return;
  case 0x14: case 0x15: case 0x16: case 0x17: /* sha3-512 .. sha3-224 */
    dag_keccak(data, len, 200 - 2 * dlen, 0x06, out, dlen);
    return;
  case DAG_MH_SHAKE_256:
    dag_keccak(data, len, 136, 0x1f, out, dlen);
    return;
  case 0x1b: case 0x1d: /* keccak-256, keccak-512 */
    dag_keccak(data, len, 200 - 2 * dlen, 0x01, out, dlen);
    return;
  case DAG_MH_BLAKE3:
    dag_blake3(data, len, out, dlen);
    return;
  case DAG_MH_IDENTITY:
    if (dlen)
      memcpy(out, data, dlen);
    return;
  default:
    if (code > 0xb240)
      dag_blake2s(data, len, out, dlen);
    else
      dag_blake2b(data, len, out, dlen);
  }
}

int dag_mh_sum_len(uint64_t code, size_t dlen, const void *data, size_t len,
                   uint8_t *out, size_t outsize) {
  const mh_fn_t *f = fn_of(code);
  if (!f)
    return TR_EHASH;
  if (code == DAG_MH_IDENTITY) {
    if (len > DAG_MH_IDENTITY_MAX)
      return TR_ETOOBIG;
    if (dlen != DAG_MH_LEN_DEFAULT && dlen != len)
      return TR_EHASH;
    dlen = len;
  } else if (dlen == DAG_MH_LEN_DEFAULT) {
    dlen = f->len;
  } else if (f->max ? !dlen || dlen > f->max : dlen != f->len) {
    return TR_EHASH; /* a truncated digest, or more than the XOF gives */
  }
  size_t need = dag_varint_size(code) + dag_varint_size(dlen) + dlen;
  if (outsize < need)
    return TR_EBUFSIZE;
  size_t n = dag_varint_put(out, code);
  n += dag_varint_put(out + n, dlen);
  digest(code, data, len, out + n, dlen);
  return (int)(n + dlen);
}

int dag_mh_sum(uint64_t code, const void *data, size_t len, uint8_t *out,
               size_t outsize) {
  return dag_mh_sum_len(code, DAG_MH_LEN_DEFAULT, data, len, out, outsize);
}

/* go-multihash v0.2.3's names (its Codes) of the functions trove does
 * not compute, by code, and whether boxo's verifcid allows them (Kubo's
 * `cid hashes` lists those): Kubo computes none of them either. */
typedef struct mh_name {
  uint64_t code;
  const char *name;
  bool allowed;
} mh_name_t;

#define N2B(bits, a) {0xb200 + (bits) / 8, "blake2b-" #bits, a}
#define N2S(bits, a) {0xb240 + (bits) / 8, "blake2s-" #bits, a}
static const mh_name_t other_names[] = {
    {0x18, "shake-128", 0}, {0x1a, "keccak-224", 1}, {0x1c, "keccak-384", 1},
    {0x22, "murmur3-x64-64", 0}, {0xd5, "md5", 0},
    {0x1012, "sha2-256-trunc254-padded", 0}, {0x1100, "x11", 0},
    N2B(8, 0), N2B(16, 0), N2B(24, 0), N2B(32, 0), N2B(40, 0), N2B(48, 0),
    N2B(56, 0), N2B(64, 0), N2B(72, 0), N2B(80, 0), N2B(88, 0), N2B(96, 0),
    N2B(104, 0), N2B(112, 0), N2B(120, 0), N2B(128, 0), N2B(136, 0),
    N2B(144, 0), N2B(152, 0),
    N2S(8, 0), N2S(16, 0), N2S(24, 0), N2S(32, 0), N2S(40, 0), N2S(48, 0),
    N2S(56, 0), N2S(64, 0), N2S(72, 0), N2S(80, 0), N2S(88, 0), N2S(96, 0),
    N2S(104, 0), N2S(112, 0), N2S(120, 0), N2S(128, 0), N2S(136, 0),
    N2S(144, 0), N2S(152, 0), N2S(160, 1), N2S(168, 1), N2S(176, 1),
    N2S(184, 1), N2S(192, 1), N2S(200, 1), N2S(208, 1), N2S(216, 1),
    N2S(224, 1), N2S(232, 1), N2S(240, 1), N2S(248, 1),
    {0xb401, "poseidon-bls12_381-a2-fc1", 0},
};
#undef N2B
#undef N2S

const char *dag_mh_name(uint64_t code) {
  const mh_fn_t *f = fn_of(code);
  if (f)
    return f->name;
  for (size_t i = 0; i < TR_ARRAY_LEN(other_names); i++)
    if (other_names[i].code == code)
      return other_names[i].name;
  return "unknown";
}

bool dag_mh_nth(size_t i, bool computed, uint64_t *code, const char **name) {
  /* Both tables are sorted by code: merge them. */
  size_t a = 0, b = 0;
  for (;;) {
    while (b < TR_ARRAY_LEN(other_names) &&
           (computed || !other_names[b].allowed))
      b++;
    bool fa = a < TR_ARRAY_LEN(fns), fb = b < TR_ARRAY_LEN(other_names);
    if (!fa && !fb)
      return false;
    bool take_a = fa && (!fb || fns[a].code < other_names[b].code);
    if (i-- == 0) {
      *code = take_a ? fns[a].code : other_names[b].code;
      *name = take_a ? fns[a].name : other_names[b].name;
      return true;
    }
    if (take_a)
      a++;
    else
      b++;
  }
}

int dag_mh_from_name(const char *name, uint64_t *code) {
  for (size_t i = 0; i < TR_ARRAY_LEN(fns); i++)
    if (!strcmp(fns[i].name, name)) {
      *code = fns[i].code;
      return 0;
    }
  return TR_EHASH;
}
