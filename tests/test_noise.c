/*
 * test_noise.c — Noise XX and the libp2p Noise session.
 *
 *   - Known answers: cacophony's Noise_XX_25519_ChaChaPoly_SHA256 vector
 *     (tests/vectors/noise/, from haskell-cryptography/cacophony), every
 *     handshake and transport message byte for byte, and the handshake
 *     hash.
 *   - A whole libp2p handshake between two sessions in memory, fed whole
 *     and byte by byte, then transport frames both ways up to 65519 bytes.
 *   - Tampering: a flipped bit in a handshake or transport frame, a replayed
 *     frame, a wrong expected peer, a bad signature, a key that cannot
 *     verify, a payload without its signature, truncated and oversized
 *     frames.  Each is an error, never a session that goes on.
 *   - The CipherState's AEAD (OpenSSL's, and libsodium's fallback) against
 *     libsodium's ChaCha20-Poly1305 called directly: the same bytes for
 *     random keys, nonces up to 2^64 - 2, lengths 0..65535 with and without
 *     associated data, in place, and on four threads at once; a forgery
 *     fails, leaves the nonce where it was and zeroes what it decrypted.
 */
#include "testutil.h"

#include <pthread.h>
#include <sodium.h>

#include "../net/noise.h"
#include "net/proto/noise.pb-c.h"

#define CACOPHONY "tests/vectors/noise/cacophony_XX_25519_ChaChaPoly_SHA256.txt"

/* ------------------------------------------------------------ cacophony */

typedef struct vec {
  uint8_t prologue[64], is[32], ie[32], rs[32], re[32], hash[32];
  size_t plen, nmsg;
  uint8_t payload[8][128], ct[8][256];
  size_t paylen[8], ctlen[8];
} vec_t;

static void load(vec_t *v) {
  FILE *f = fopen(CACOPHONY, "r");
  assert_non_null(f);
  char line[1024], key[64], val[900];
  memset(v, 0, sizeof *v);
  size_t np = 0, nc = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%63s %899s", key, val) != 2)
      continue;
    if (!strcmp(key, "init_prologue"))
      v->plen = unhex(val, v->prologue, sizeof v->prologue);
    else if (!strcmp(key, "init_static"))
      unhex(val, v->is, 32);
    else if (!strcmp(key, "init_ephemeral"))
      unhex(val, v->ie, 32);
    else if (!strcmp(key, "resp_static"))
      unhex(val, v->rs, 32);
    else if (!strcmp(key, "resp_ephemeral"))
      unhex(val, v->re, 32);
    else if (!strcmp(key, "handshake_hash"))
      unhex(val, v->hash, 32);
    else if (!strcmp(key, "payload"))
      v->paylen[np] = unhex(val, v->payload[np], 128), np++;
    else if (!strcmp(key, "ciphertext"))
      v->ctlen[nc] = unhex(val, v->ct[nc], 256), nc++;
  }
  fclose(f);
  assert_int_equal(np, nc);
  assert_int_equal(np, 6);
  v->nmsg = np;
}

static void test_cacophony(void **state) {
  (void)state;
  static vec_t v;
  load(&v);
  net_noise_hs_t hi, hr;
  net_noise_hs_init(&hi, true, v.prologue, v.plen, v.is, v.ie);
  net_noise_hs_init(&hr, false, v.prologue, v.plen, v.rs, v.re);
  uint8_t buf[512], pt[512];
  for (size_t m = 0; m < 3; m++) {
    net_noise_hs_t *w = m % 2 ? &hr : &hi, *r = m % 2 ? &hi : &hr;
    assert_int_equal(net_noise_hs_read(w, buf, 0, pt, sizeof pt), TR_EUSAGE);
    int n = net_noise_hs_write(w, v.payload[m], v.paylen[m], buf, sizeof buf);
    assert_int_equal(n, (int)v.ctlen[m]);
    assert_memory_equal(buf, v.ct[m], v.ctlen[m]);
    assert_int_equal(net_noise_hs_read(r, buf, (size_t)n, pt, sizeof pt),
                     (int)v.paylen[m]);
    assert_memory_equal(pt, v.payload[m], v.paylen[m]);
  }
  net_noise_cs_t is, ir, rsend, rrecv;
  uint8_t h1[32], h2[32];
  assert_int_equal(net_noise_hs_split(&hi, &is, &ir, h1), 0);
  assert_int_equal(net_noise_hs_split(&hr, &rsend, &rrecv, h2), 0);
  assert_memory_equal(h1, v.hash, 32);
  assert_memory_equal(h2, v.hash, 32);
  for (size_t m = 3; m < v.nmsg; m++) {
    /* Message 3 is the responder's: they alternate from the start. */
    net_noise_cs_t *w = m % 2 ? &rsend : &is, *r = m % 2 ? &ir : &rrecv;
    assert_int_equal(net_noise_cs_seal(w, NULL, 0, v.payload[m], v.paylen[m],
                                       buf),
                     0);
    assert_memory_equal(buf, v.ct[m], v.ctlen[m]);
    assert_int_equal(net_noise_cs_open(r, NULL, 0, buf, v.ctlen[m], pt), 0);
    assert_memory_equal(pt, v.payload[m], v.paylen[m]);
  }
}

/* ------------------------------------------------------- libp2p session */

typedef struct peer {
  net_privkey_t key;
  net_peerid_t id;
  net_noise_t s;
  uint8_t in[70000]; /* bytes received, not yet consumed */
  size_t inlen;
} peer_t;

static void peer_init(peer_t *p) {
  assert_int_equal(net_privkey_generate(&p->key), 0);
  net_pubkey_t pk;
  net_privkey_pubkey(&p->key, &pk);
  assert_int_equal(net_peerid_from_pubkey(&p->id, &pk), 0);
}

/* Move a's output to b's input, then let b consume it (chunk bytes at a
 * time when chunk > 0).  Returns b's last feed result. */
static int deliver(peer_t *a, peer_t *b, size_t chunk) {
  size_t n;
  const uint8_t *o = net_noise_output(&a->s, &n);
  int rc = NET_NOISE_AGAIN;
  for (size_t off = 0; off < n;) {
    size_t k = chunk && chunk < n - off ? chunk : n - off;
    memcpy(b->in + b->inlen, o + off, k);
    b->inlen += k, off += k;
    size_t used;
    do {
      rc = net_noise_feed(&b->s, b->in, b->inlen, &used);
      memmove(b->in, b->in + used, b->inlen - used);
      b->inlen -= used;
    } while (rc == NET_NOISE_AGAIN && used > 0);
    if (rc != NET_NOISE_AGAIN)
      break;
  }
  return rc;
}

static void handshake(peer_t *i, peer_t *r, size_t chunk) {
  assert_int_equal(net_noise_start(&i->s, true, &i->key, &r->id), 0);
  assert_int_equal(net_noise_start(&r->s, false, &r->key, NULL), 0);
  i->inlen = r->inlen = 0;
  assert_int_equal(deliver(i, r, chunk), NET_NOISE_AGAIN); /* -> e */
  assert_int_equal(deliver(r, i, chunk), NET_NOISE_DONE);  /* <- e,ee,s,es */
  assert_int_equal(deliver(i, r, chunk), NET_NOISE_DONE);  /* -> s,se */
  assert_true(net_peerid_equal(net_noise_remote(&i->s), &r->id));
  assert_true(net_peerid_equal(net_noise_remote(&r->s), &i->id));
  assert_int_equal(net_noise_remote_key(&r->s)->type, NET_KEY_ED25519);
}

static void transport(peer_t *a, peer_t *b, size_t n) {
  static uint8_t pt[NET_NOISE_PLAIN_MAX + 1], frame[NET_NOISE_MSG_MAX + 2],
      back[NET_NOISE_PLAIN_MAX];
  randombytes_buf(pt, n);
  int f = net_noise_seal(&a->s, pt, n, frame, sizeof frame);
  assert_int_equal(f, (int)n + 18);
  size_t used, got;
  /* Not whole: nothing consumed. */
  assert_int_equal(net_noise_open(&b->s, frame, (size_t)f - 1, &used, back,
                                  sizeof back, &got),
                   0);
  assert_int_equal(used, 0);
  assert_int_equal(
      net_noise_open(&b->s, frame, (size_t)f, &used, back, sizeof back, &got),
      1);
  assert_int_equal(used, (size_t)f);
  assert_int_equal(got, n);
  assert_memory_equal(back, pt, n);
}

static void test_libp2p_handshake(void **state) {
  (void)state;
  static peer_t i, r;
  peer_init(&i);
  peer_init(&r);
  for (size_t chunk = 0; chunk < 2; chunk++) {
    handshake(&i, &r, chunk);
    transport(&i, &r, 0);
    transport(&i, &r, 1);
    transport(&r, &i, 1000);
    transport(&r, &i, NET_NOISE_PLAIN_MAX);
    transport(&i, &r, NET_NOISE_PLAIN_MAX);
    uint8_t big[NET_NOISE_PLAIN_MAX + 1], out[8];
    assert_int_equal(net_noise_seal(&i.s, big, sizeof big, big, sizeof big),
                     TR_ETOOBIG);
    assert_int_equal(net_noise_seal(&i.s, big, 8, out, sizeof out),
                     TR_EBUFSIZE);
    size_t used;
    assert_int_equal(net_noise_feed(&i.s, big, 4, &used), TR_EUSAGE);
    net_noise_wipe(&i.s);
    net_noise_wipe(&r.s);
  }
}

static void test_tamper_transport(void **state) {
  (void)state;
  static peer_t i, r;
  peer_init(&i);
  peer_init(&r);
  handshake(&i, &r, 0);
  uint8_t frame[64], copy[64], back[64];
  size_t used, got;
  int f = net_noise_seal(&i.s, (const uint8_t *)"hello", 5, frame, sizeof frame);
  memcpy(copy, frame, (size_t)f);
  frame[5] ^= 0x20;
  assert_int_equal(
      net_noise_open(&r.s, frame, (size_t)f, &used, back, sizeof back, &got),
      TR_EDECRYPT);
  /* The session is dead after a failure, even for the genuine frame. */
  assert_int_equal(
      net_noise_open(&r.s, copy, (size_t)f, &used, back, sizeof back, &got),
      TR_EUSAGE);
  assert_int_equal(net_noise_seal(&r.s, back, 1, frame, sizeof frame),
                   TR_EUSAGE);

  /* Replay: the nonce moved on. */
  handshake(&i, &r, 0);
  f = net_noise_seal(&i.s, (const uint8_t *)"hello", 5, frame, sizeof frame);
  assert_int_equal(
      net_noise_open(&r.s, frame, (size_t)f, &used, back, sizeof back, &got),
      1);
  assert_int_equal(
      net_noise_open(&r.s, frame, (size_t)f, &used, back, sizeof back, &got),
      TR_EDECRYPT);
  /* A frame shorter than a tag. */
  handshake(&i, &r, 0);
  uint8_t tiny[] = {0, 3, 1, 2, 3};
  assert_int_equal(
      net_noise_open(&r.s, tiny, sizeof tiny, &used, back, sizeof back, &got),
      TR_EDECRYPT);
}

static void test_wrong_peer(void **state) {
  (void)state;
  static peer_t i, r, other;
  peer_init(&i);
  peer_init(&r);
  peer_init(&other);
  assert_int_equal(net_noise_start(&i.s, true, &i.key, &other.id), 0);
  assert_int_equal(net_noise_start(&r.s, false, &r.key, NULL), 0);
  i.inlen = r.inlen = 0;
  assert_int_equal(deliver(&i, &r, 0), NET_NOISE_AGAIN);
  assert_int_equal(deliver(&r, &i, 0), TR_EPEER);
}

/* A flipped bit in handshake message 2: the initiator refuses it. */
static void test_tamper_handshake(void **state) {
  (void)state;
  static peer_t i, r;
  peer_init(&i);
  peer_init(&r);
  for (size_t bit = 0; bit < 8 * 140; bit += 37) {
    assert_int_equal(net_noise_start(&i.s, true, &i.key, NULL), 0);
    assert_int_equal(net_noise_start(&r.s, false, &r.key, NULL), 0);
    i.inlen = r.inlen = 0;
    assert_int_equal(deliver(&i, &r, 0), NET_NOISE_AGAIN);
    size_t n, used;
    uint8_t *o = (uint8_t *)net_noise_output(&r.s, &n);
    if (2 + bit / 8 >= n)
      break;
    o[2 + bit / 8] ^= (uint8_t)(1 << (bit % 8));
    int rc = net_noise_feed(&i.s, o, n, &used);
    /* A changed ephemeral key gives other keys: decryption fails; a
     * low-order one fails the DH. */
    if (rc != TR_EDECRYPT && rc != TR_EPROTO)
      fail_msg("bit %zu: %s", bit, tr_errname(rc));
  }
}

/* Frames that are too short, too long, or cut. */
static void test_bad_frames(void **state) {
  (void)state;
  static peer_t i, r;
  peer_init(&i);
  peer_init(&r);
  size_t used;
  assert_int_equal(net_noise_start(&r.s, false, &r.key, NULL), 0);
  uint8_t big[] = {0xff, 0xff, 0};
  assert_int_equal(net_noise_feed(&r.s, big, sizeof big, &used), TR_ETOOBIG);
  assert_int_equal(net_noise_start(&r.s, false, &r.key, NULL), 0);
  uint8_t cut[] = {0, 32, 1, 2, 3};
  assert_int_equal(net_noise_feed(&r.s, cut, sizeof cut, &used),
                   NET_NOISE_AGAIN);
  assert_int_equal(used, 0);
  uint8_t shortmsg[] = {0, 3, 1, 2, 3};
  assert_int_equal(net_noise_feed(&r.s, shortmsg, sizeof shortmsg, &used),
                   TR_EPROTO);
  /* Message 2 that is too short for e, s and a tag. */
  assert_int_equal(net_noise_start(&i.s, true, &i.key, NULL), 0);
  uint8_t m2[2 + 79] = {0, 79};
  assert_int_equal(net_noise_feed(&i.s, m2, sizeof m2, &used), TR_EPROTO);
  /* Early data in message 1 is ignored. */
  assert_int_equal(net_noise_start(&r.s, false, &r.key, NULL), 0);
  uint8_t m1[2 + 32 + 5] = {0, 37};
  crypto_scalarmult_base(m1 + 2, m1 + 10);
  memcpy(m1 + 34, "early", 5);
  assert_int_equal(net_noise_feed(&r.s, m1, sizeof m1, &used),
                   NET_NOISE_AGAIN);
  assert_int_equal(used, sizeof m1);
}

/* A responder written with the bare Noise layer, so that its payload can be
 * anything: sends message 2 with payload p to the initiator i. */
static int forged_responder(peer_t *i, const uint8_t *p, size_t pn,
                            net_noise_hs_t *hr) {
  uint8_t sk[32], msg[2048];
  randombytes_buf(sk, 32);
  net_noise_hs_init(hr, false, NULL, 0, sk, NULL);
  assert_int_equal(net_noise_start(&i->s, true, &i->key, NULL), 0);
  size_t n, used;
  const uint8_t *o = net_noise_output(&i->s, &n);
  assert_true(net_noise_hs_read(hr, o + 2, n - 2, msg, sizeof msg) >= 0);
  int m = net_noise_hs_write(hr, p, pn, msg + 2, sizeof msg - 2);
  assert_true(m > 0);
  msg[0] = (uint8_t)(m >> 8), msg[1] = (uint8_t)m;
  return net_noise_feed(&i->s, msg, (size_t)m + 2, &used);
}

/* Payload with key kb[0..kn) and a signature by signer over
 * prefix || signed_pk. */
static size_t payload(const uint8_t *kb, size_t kn, const net_privkey_t *signer,
                      const uint8_t *signed_pk, bool with_sig, uint8_t *out) {
  uint8_t msg[56], sig[64];
  memcpy(msg, NET_NOISE_SIG_PREFIX, 24);
  memcpy(msg + 24, signed_pk, 32);
  net_sign(signer, msg, sizeof msg, sig);
  Netpb__NoiseHandshakePayload p = NETPB__NOISE_HANDSHAKE_PAYLOAD__INIT;
  p.has_identity_key = 1;
  p.identity_key.data = (uint8_t *)kb;
  p.identity_key.len = kn;
  p.has_identity_sig = with_sig;
  p.identity_sig.data = sig;
  p.identity_sig.len = 64;
  return netpb__noise_handshake_payload__pack(&p, out);
}

static void test_forged_payloads(void **state) {
  (void)state;
  static peer_t i, r;
  peer_init(&i);
  peer_init(&r);
  net_noise_hs_t hr;
  uint8_t kb[NET_PUBKEY_PB_MAX], p[512];
  net_pubkey_t pk;
  net_privkey_pubkey(&r.key, &pk);
  size_t kn = (size_t)net_pubkey_marshal(&pk, kb, sizeof kb);

  /* Signature over the wrong static key (an attacker replaying someone's
   * signed payload on its own channel). */
  uint8_t wrong[32] = {9};
  size_t pn = payload(kb, kn, &r.key, wrong, true, p);
  assert_int_equal(forged_responder(&i, p, pn, &hr), TR_ESIG);
  /* No signature at all. */
  pn = payload(kb, kn, &r.key, wrong, false, p);
  assert_int_equal(forged_responder(&i, p, pn, &hr), TR_EPROTO);
  /* Garbage instead of a protobuf. */
  assert_int_equal(forged_responder(&i, (const uint8_t *)"\xff\xff", 2, &hr),
                   TR_EPROTO);
  /* A secp256k1 identity (the peer-ids spec's key) whose signature is
   * not its own: refused. */
  uint8_t secp[64];
  size_t sn = unhex("08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1"
                    "a7a6fea0e630bfca99",
                    secp, sizeof secp);
  pn = payload(secp, sn, &r.key, wrong, true, p);
  assert_int_equal(forged_responder(&i, p, pn, &hr), TR_ESIG);
  /* The genuine article, through the same path, is accepted: message 2
   * signed over the forged responder's own static key. */
  uint8_t sk[32], msg[2048];
  randombytes_buf(sk, 32);
  net_noise_hs_init(&hr, false, NULL, 0, sk, NULL);
  pn = payload(kb, kn, &r.key, hr.s_pk, true, p);
  assert_int_equal(net_noise_start(&i.s, true, &i.key, &r.id), 0);
  size_t n, used;
  const uint8_t *o = net_noise_output(&i.s, &n);
  assert_true(net_noise_hs_read(&hr, o + 2, n - 2, msg, sizeof msg) >= 0);
  int m = net_noise_hs_write(&hr, p, pn, msg + 2, sizeof msg - 2);
  msg[0] = (uint8_t)(m >> 8), msg[1] = (uint8_t)m;
  assert_int_equal(net_noise_feed(&i.s, msg, (size_t)m + 2, &used),
                   NET_NOISE_DONE);
}

/* ---------------------------------------------------------- CipherState */

/* libsodium's sealing of what cs would seal next. */
static void sodium_seal(const net_noise_cs_t *cs, const uint8_t *ad,
                        size_t adlen, const uint8_t *pt, size_t n,
                        uint8_t *out) {
  uint8_t iv[12] = {0};
  for (int i = 0; i < 8; i++)
    iv[4 + i] = (uint8_t)(cs->n >> (8 * i));
  crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, n, ad, adlen, NULL,
                                            iv, cs->k);
}

/* Seal and open lens[] bytes under random keys and nonces, each checked
 * against libsodium; returns 0 or the line that failed (threads cannot
 * use cmocka's asserts). */
static int cs_round(unsigned seed) {
  static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 1000, 65519,
                                65535};
  size_t max = 65535 + NET_NOISE_TAG;
  uint8_t *pt = malloc(max), *a = malloc(max), *b = malloc(max);
  uint8_t ad[32];
  int bad = pt && a && b ? 0 : __LINE__;
  for (size_t i = 0; i < TR_ARRAY_LEN(lens) * 4 && !bad; i++) {
    size_t n = lens[i % TR_ARRAY_LEN(lens)], adlen = i & 1 ? 32 : 0;
    net_noise_cs_t w, r;
    randombytes_buf(w.k, 32);
    randombytes_buf(pt, n);
    randombytes_buf(ad, sizeof ad);
    w.n = (i & 2) ? UINT64_MAX - 1 - seed : (uint64_t)seed * 1000003u + i;
    r = w;
    sodium_seal(&w, ad, adlen, pt, n, b);
    if (net_noise_cs_seal(&w, ad, adlen, pt, n, a) ||
        memcmp(a, b, n + NET_NOISE_TAG) || w.n != r.n + 1)
      bad = __LINE__;
    else if (net_noise_cs_open(&r, ad, adlen, a, n + NET_NOISE_TAG, a) ||
             memcmp(a, pt, n) || r.n != w.n) /* in place */
      bad = __LINE__;
  }
  free(pt), free(a), free(b);
  return bad;
}

static void *cs_thread(void *arg) {
  return (void *)(intptr_t)cs_round((unsigned)(uintptr_t)arg);
}

static void cipherstate(void) {
  assert_int_equal(cs_round(0), 0);
  /* Each thread has its own cipher context. */
  pthread_t t[4];
  for (uintptr_t i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, cs_thread, (void *)(i + 1)),
                     0);
  for (int i = 0; i < 4; i++) {
    void *rc;
    assert_int_equal(pthread_join(t[i], &rc), 0);
    assert_int_equal((intptr_t)rc, 0);
  }

  /* A forgery: the nonce stays, the bytes decrypted are zeroed.  A frame
   * under NET_NOISE_SODIUM_MAX and one over it (each library's path). */
  static const size_t sizes[] = {100, 4000};
  for (size_t z = 0; z < TR_ARRAY_LEN(sizes); z++) {
    size_t len = sizes[z];
    net_noise_cs_t w = {.n = 7}, r;
    randombytes_buf(w.k, 32);
    r = w;
    uint8_t pt[4000], ct[4000 + NET_NOISE_TAG], out[4000];
    memset(pt, 0xab, len);
    assert_int_equal(net_noise_cs_seal(&w, NULL, 0, pt, len, ct), 0);
    size_t clen = len + NET_NOISE_TAG;
    for (size_t at = 0; at < clen; at += clen / 5) {
      ct[at] ^= 1;
      memset(out, 0xee, len);
      assert_int_equal(net_noise_cs_open(&r, NULL, 0, ct, clen, out),
                       TR_EDECRYPT);
      assert_int_equal(r.n, 7);
      for (size_t i = 0; i < len; i++)
        assert_int_equal(out[i], 0);
      ct[at] ^= 1;
    }
    /* The wrong associated data, then the right. */
    assert_int_equal(net_noise_cs_open(&r, pt, 1, ct, clen, out),
                     TR_EDECRYPT);
    assert_int_equal(net_noise_cs_open(&r, NULL, 0, ct, clen, out), 0);
    assert_memory_equal(out, pt, len);
    assert_int_equal(r.n, 8);
    /* Shorter than a tag; the last nonce is never used. */
    assert_int_equal(
        net_noise_cs_open(&r, NULL, 0, ct, NET_NOISE_TAG - 1, out),
        TR_EDECRYPT);
    w.n = UINT64_MAX;
    assert_int_equal(net_noise_cs_seal(&w, NULL, 0, pt, 1, ct), TR_ETOOBIG);
  }
}

static void test_cipherstate(void **state) {
  (void)state;
  cipherstate(); /* OpenSSL's, libsodium's for small frames */
  net_noise_aead_use_sodium(true); /* as where OpenSSL has no ChaCha20 */
  cipherstate();
  net_noise_aead_use_sodium(false);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cacophony),
      cmocka_unit_test(test_libp2p_handshake),
      cmocka_unit_test(test_tamper_transport),
      cmocka_unit_test(test_wrong_peer),
      cmocka_unit_test(test_tamper_handshake),
      cmocka_unit_test(test_bad_frames),
      cmocka_unit_test(test_forged_payloads),
      cmocka_unit_test(test_cipherstate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
