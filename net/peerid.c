/*
 * peerid.c — PeerIDs: binary and text forms, keys and their protobufs,
 * Ed25519 signatures (see peerid.h); the other key types' signatures are
 * pkverify.c's.
 *
 * The PrivateKey is written by hand (its shape is fixed: one type, one
 * 64-byte field) so that the secret never sits in a protobuf-c buffer that
 * is freed without being wiped; everything else goes through protobuf-c.
 */
#include "peerid.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "../dag/cid.h"
#include "net/proto/keys.pb-c.h"
#include "net_int.h"

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

/* ----------------------------------------------------------------- keys */

static void *pb_alloc(void *data, size_t n) {
  (void)data;
  return tr_malloc(n);
}
static void pb_free(void *data, void *p) {
  (void)data;
  tr_free(p);
}
ProtobufCAllocator net__pb_mem = {pb_alloc, pb_free, NULL};

/* protobuf-c reports a failed allocation and malformed input alike (NULL);
 * telling them apart matters to the caller (-ENOMEM is retryable, a bad key
 * is the peer's fault), so a NULL is retried with libc's allocator, which
 * fails only on bad input.  Cold path: keys are read once per peer. */
int net__unpack_key(bool priv, const uint8_t *b, size_t n, int *type,
                      uint8_t *data, size_t cap, size_t *len) {
  ProtobufCMessage *m =
      priv ? (ProtobufCMessage *)netpb__private_key__unpack(&net__pb_mem, n, b)
           : (ProtobufCMessage *)netpb__public_key__unpack(&net__pb_mem, n, b);
  if (!m) {
    m = priv ? (ProtobufCMessage *)netpb__private_key__unpack(NULL, n, b)
             : (ProtobufCMessage *)netpb__public_key__unpack(NULL, n, b);
    if (m) {
      Netpb__PublicKey *k = (Netpb__PublicKey *)m;
      if (k->data.data)
        sodium_memzero(k->data.data, k->data.len);
      protobuf_c_message_free_unpacked(m, NULL);
    }
    return m ? -ENOMEM : TR_EKEY;
  }
  /* PublicKey and PrivateKey have the same layout. */
  Netpb__PublicKey *k = (Netpb__PublicKey *)m;
  int rc = TR_EKEY;
  int t = (int)k->type;
  if (t >= NET_KEY_RSA && t <= NET_KEY_ECDSA && k->data.len &&
      k->data.len <= cap) {
    *type = t;
    *len = k->data.len;
    memcpy(data, k->data.data, k->data.len);
    rc = 0;
  }
  if (k->data.data) /* a private key must not linger in freed memory */
    sodium_memzero(k->data.data, k->data.len);
  protobuf_c_message_free_unpacked(m, &net__pb_mem);
  return rc;
}

int net_pubkey_unmarshal(net_pubkey_t *k, const uint8_t *b, size_t n) {
  size_t len;
  int rc = net__unpack_key(false, b, n, &k->type, k->data, NET_PUBKEY_MAX, &len);
  if (rc < 0)
    return rc;
  k->len = (uint16_t)len;
  if ((k->type == NET_KEY_ED25519 && len != 32) ||
      (k->type == NET_KEY_SECP256K1 && len != 33 && len != 65))
    return TR_EKEY;
  return 0;
}

int net_pubkey_marshal(const net_pubkey_t *k, uint8_t *out, size_t outsize) {
  Netpb__PublicKey m = NETPB__PUBLIC_KEY__INIT;
  m.type = (Netpb__KeyType)k->type;
  m.data.data = (uint8_t *)k->data;
  m.data.len = k->len;
  size_t n = netpb__public_key__get_packed_size(&m);
  if (n > outsize)
    return TR_EBUFSIZE;
  return (int)netpb__public_key__pack(&m, out);
}

int net_peerid_from_pubkey(net_peerid_t *id, const net_pubkey_t *k) {
  uint8_t pb[NET_PUBKEY_PB_MAX], mh[DAG_MH_MAX];
  int n = net_pubkey_marshal(k, pb, sizeof pb);
  if (n <= 0)
    return TR_EKEY;
  uint64_t code =
      n <= NET_PEERID_INLINE_MAX ? DAG_MH_IDENTITY : DAG_MH_SHA2_256;
  int m = dag_mh_sum(code, pb, (size_t)n, mh, sizeof mh);
  if (m < 0)
    return TR_EKEY;
  return net_peerid_from_bytes(id, mh, (size_t)m);
}

int net_peerid_pubkey(const net_peerid_t *id, net_pubkey_t *k) {
  if (id->len < 2 || id->bytes[0] != DAG_MH_IDENTITY)
    return TR_EKEY;
  /* An inlined key is under 128 bytes: its length is one varint byte. */
  return net_pubkey_unmarshal(k, id->bytes + 2, (size_t)id->len - 2);
}

bool net_peerid_matches(const net_peerid_t *id, const net_pubkey_t *k) {
  net_peerid_t mine;
  return net_peerid_from_pubkey(&mine, k) == 0 && net_peerid_equal(&mine, id);
}

int net_privkey_generate(net_privkey_t *k) {
  if (sodium_init() < 0)
    return -EIO;
  uint8_t pk[32];
  crypto_sign_keypair(pk, k->sk);
  return 0;
}

void net_privkey_from_seed(net_privkey_t *k, const uint8_t seed[32]) {
  uint8_t pk[32];
  crypto_sign_seed_keypair(pk, k->sk, seed);
}

int net_privkey_unmarshal(net_privkey_t *k, const uint8_t *b, size_t n) {
  uint8_t data[96];
  size_t len;
  int type;
  int rc = net__unpack_key(true, b, n, &type, data, sizeof data, &len);
  if (rc < 0)
    return rc;
  rc = TR_EKEY;
  if (type == NET_KEY_ED25519 && (len == 64 || len == 96) &&
      (len == 64 || !memcmp(data + 32, data + 64, 32))) {
    net_privkey_from_seed(k, data);
    /* A stored public half that the seed does not give is a corrupt key. */
    rc = sodium_memcmp(k->sk + 32, data + 32, 32) ? TR_EKEY : 0;
  }
  sodium_memzero(data, sizeof data);
  return rc;
}

void net_privkey_marshal(const net_privkey_t *k,
                         uint8_t out[NET_PRIVKEY_PB_LEN]) {
  /* Fixed shape: Type = 1 (0x08 0x01), Data = 64 bytes (0x12 0x40). */
  out[0] = 0x08, out[1] = NET_KEY_ED25519, out[2] = 0x12, out[3] = 64;
  memcpy(out + 4, k->sk, 64);
}

void net_privkey_pubkey(const net_privkey_t *k, net_pubkey_t *pk) {
  pk->type = NET_KEY_ED25519;
  pk->len = 32;
  memcpy(pk->data, k->sk + 32, 32);
}

void net_sign(const net_privkey_t *k, const uint8_t *msg, size_t n,
              uint8_t sig[64]) {
  crypto_sign_detached(sig, NULL, msg, n, k->sk);
}

int net_verify(const net_pubkey_t *k, const uint8_t *msg, size_t n,
               const uint8_t *sig, size_t siglen) {
  if (k->type != NET_KEY_ED25519)
    return net__verify_evp(k, msg, n, sig, siglen);
  if (k->len != 32)
    return TR_EKEY;
  if (siglen != crypto_sign_BYTES)
    return TR_ESIG;
  return crypto_sign_verify_detached(sig, msg, n, k->data) ? TR_ESIG : 0;
}

/* --------------------------------------------------------------- sets */

bool net_peerset_add(net_peerset_t *s, const net_peerid_t *id) {
  for (size_t i = 0; i < s->n; i++)
    if (net_peerid_equal(&s->v[i], id))
      return false;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    net_peerid_t *v = tr_realloc(s->v, cap * sizeof *v);
    if (!v)
      return false;
    s->v = v, s->cap = cap;
  }
  s->v[s->n++] = *id;
  return true;
}

void net_peerset_free(net_peerset_t *s) {
  tr_free(s->v);
  *s = (net_peerset_t){0};
}
