/*
 * test_pnet.c — libp2p private networks (net/pnet.h).
 *
 *   - swarm.key files: every case of tests/vectors/pnet/keys.txt (what
 *     go-libp2p's DecodeV1PSK returns for it: the key, or an error) gives
 *     the same key here, or TR_ESWARMKEY with a reason; plus the one
 *     deliberate difference (padding inside the first 40 base64 digits).
 *   - The protector: every vector of tests/vectors/pnet/stream.txt (made
 *     with x/crypto's XSalsa20, checked against go-libp2p's reader and
 *     writer) byte for byte, with the stream cut at every byte offset, at
 *     every pair of offsets for the short ones, and in random pieces, both
 *     when sending and when receiving (the cut may fall inside the nonce).
 *   - Kubo's fingerprint: tests/vectors/pnet/fingerprint.txt.
 *   - Two protectors talking: the same key gets the bytes through, another
 *     key gets noise.
 * Regenerate the vectors with tests/vectors/pnet/gen.sh (Go).
 */
#include "testutil.h"

#include <sodium.h>

#include "../net/pnet.h"

#define KEYS "tests/vectors/pnet/keys.txt"
#define STREAM "tests/vectors/pnet/stream.txt"
#define FPS "tests/vectors/pnet/fingerprint.txt"
#define MAXV 8192 /* largest vector, in bytes */

/* ------------------------------------------------------ vector files */

/* Read the next "name = hex" line of f into *name and out (which grows
 * to fit); returns the byte count, or -1 at the end of the file.  Lines
 * that are comments or blank are skipped; "err = text" gives 0 bytes and
 * the name "err". */
static long next_kv(FILE *f, char *name, size_t namesz, uint8_t *out,
                    size_t outsz) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, f)) >= 0) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char *eq = strstr(line, " = ");
    assert_non_null(eq);
    *eq = 0;
    snprintf(name, namesz, "%s", line);
    char *val = eq + 3;
    val[strcspn(val, "\n")] = 0;
    long n = 0;
    if (strcmp(name, "err"))
      n = (long)unhex(val, out, outsz);
    free(line);
    return n;
  }
  free(line);
  return -1;
}

/* ---------------------------------------------------------- swarm.key */

static void test_key_vectors(void **state) {
  (void)state;
  FILE *f = fopen(KEYS, "r");
  assert_non_null(f);
  static uint8_t file[MAXV], want[64];
  char name[16];
  int ok = 0, refused = 0;
  long n;
  while ((n = next_kv(f, name, sizeof name, file, sizeof file)) >= 0) {
    assert_string_equal(name, "file");
    char verdict[16];
    long k = next_kv(f, verdict, sizeof verdict, want, sizeof want);
    uint8_t psk[NET_PNET_KEY_LEN];
    const char *why = NULL;
    int rc = net_pnet_key_parse(file, (size_t)n, psk, &why);
    if (!strcmp(verdict, "psk")) {
      assert_int_equal(k, NET_PNET_KEY_LEN);
      assert_int_equal(rc, 0);
      assert_memory_equal(psk, want, NET_PNET_KEY_LEN);
      ok++;
    } else {
      assert_string_equal(verdict, "err");
      assert_int_equal(rc, TR_ESWARMKEY);
      assert_non_null(why);
      assert_true(strlen(why) > 10);
      refused++;
    }
    /* A reader that gives no reason is fine too. */
    assert_int_equal(net_pnet_key_parse(file, (size_t)n, psk, NULL), rc);
  }
  fclose(f);
  /* The file holds both kinds (a generator gone wrong would not). */
  assert_true(ok >= 10);
  assert_true(refused >= 20);
}

static int parse_str(const char *s, uint8_t *psk, const char **why) {
  return net_pnet_key_parse((const uint8_t *)s, strlen(s), psk, why);
}

#define HDR "/key/swarm/psk/1.0.0/\n"
/* base64 of the bytes 0..31. */
#define B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

/* Padding where go's decoder would only take it by accident (at the end
 * of one of its reads): refused here.  The quanta from the 31st byte on
 * are read one by one in go too, so "AA==" there is one byte. */
static void test_key_base64_padding(void **state) {
  (void)state;
  uint8_t psk[NET_PNET_KEY_LEN];
  const char *why = NULL;
  assert_int_equal(parse_str(HDR "/base64/\n" B64, psk, &why), 0);
  for (int i = 0; i < 32; i++)
    assert_int_equal(psk[i], i);
  /* 9 quanta, "AA==", then more: go takes it (0..26, 0, 27..30) because
   * its first read ends right after the "AA==" (40 digits in). */
  assert_int_equal(
      parse_str(HDR "/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaAA==GxwdHh8=",
                psk, &why),
      TR_ESWARMKEY);
  assert_non_null(strstr(why, "padding"));
  /* 30 bytes, then "AA==" (1 byte) and "HwAA" (1 of 3): go gives 32. */
  assert_int_equal(
      parse_str(HDR "/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdAA==HwAA",
                psk, &why),
      0);
  assert_int_equal(psk[30], 0);
  assert_int_equal(psk[31], 0x1f);
  /* "x===" is never valid. */
  assert_int_equal(
      parse_str(HDR "/base64/\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH===",
                psk, &why),
      TR_ESWARMKEY);
}

/* The reasons say what is wrong. */
static void test_key_reasons(void **state) {
  (void)state;
  uint8_t psk[NET_PNET_KEY_LEN];
  const char *why;
  assert_int_equal(parse_str("", psk, &why), TR_ESWARMKEY);
  assert_non_null(strstr(why, "header"));
  assert_int_equal(parse_str("/key/swarm/psk/2.0.0/\n/bin/\n", psk, &why),
                   TR_ESWARMKEY);
  assert_non_null(strstr(why, NET_PNET_HEADER));
  assert_int_equal(parse_str(HDR "/base58/\n", psk, &why), TR_ESWARMKEY);
  assert_non_null(strstr(why, "unknown encoding"));
  assert_int_equal(parse_str(HDR "/base16/\nabcd\n", psk, &why), TR_ESWARMKEY);
  assert_non_null(strstr(why, "shorter"));
  assert_int_equal(parse_str(HDR "/base16/\nabcd efgh", psk, &why),
                   TR_ESWARMKEY);
  assert_non_null(strstr(why, "not a hex digit"));
  assert_int_equal(parse_str(HDR "/base16/\nabcd", psk, &why), TR_ESWARMKEY);
  assert_non_null(strstr(why, "shorter"));
  assert_int_equal(parse_str(HDR "/bin/\n0123456789", psk, &why),
                   TR_ESWARMKEY);
  assert_non_null(strstr(why, "shorter"));
  assert_string_equal(tr_strerror(TR_ESWARMKEY), "malformed swarm.key");
}

/* --------------------------------------------------------- the stream */

typedef struct svec {
  uint8_t key[32], nonce[24];
  uint8_t plain[MAXV], wire[MAXV + 24];
  size_t n;
} svec_t;

static bool next_svec(FILE *f, svec_t *v) {
  char name[16];
  long n = next_kv(f, name, sizeof name, v->key, sizeof v->key);
  if (n < 0)
    return false;
  assert_string_equal(name, "key");
  assert_int_equal(n, 32);
  assert_int_equal(next_kv(f, name, sizeof name, v->nonce, 24), 24);
  assert_string_equal(name, "nonce");
  v->n = (size_t)next_kv(f, name, sizeof name, v->plain, MAXV);
  assert_string_equal(name, "plain");
  assert_int_equal(next_kv(f, name, sizeof name, v->wire, sizeof v->wire),
                   (long)(24 + v->n));
  assert_string_equal(name, "wire");
  assert_memory_equal(v->wire, v->nonce, 24);
  return true;
}

/* Send v's plaintext cut at the offsets cuts[0..ncuts) (ascending); the
 * bytes must be v's wire bytes after the nonce. */
static void send_cut(const svec_t *v, const size_t *cuts, size_t ncuts) {
  static uint8_t buf[MAXV];
  net_pnet_t pn;
  net_pnet_init(&pn, v->key, v->nonce);
  memcpy(buf, v->plain, v->n);
  size_t prev = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : v->n;
    net_pnet_send(&pn, buf + prev, end - prev);
    prev = end;
  }
  assert_memory_equal(buf, v->wire + 24, v->n);
  net_pnet_wipe(&pn);
}

/* Receive v's wire bytes (nonce included) cut at the offsets cuts. */
static void recv_cut(const svec_t *v, const size_t *cuts, size_t ncuts) {
  static uint8_t buf[MAXV + 24], got[MAXV];
  net_pnet_t pn;
  uint8_t mine[24] = {1};
  net_pnet_init(&pn, v->key, mine);
  memcpy(buf, v->wire, v->n + 24);
  size_t prev = 0, len = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : v->n + 24;
    size_t k = net_pnet_recv(&pn, buf + prev, end - prev);
    /* The nonce is taken first, and only the nonce. */
    assert_true(prev + k <= 24 || k == 0);
    assert_true(prev + k >= 24 || prev + k == end);
    memcpy(got + len, buf + prev + k, end - prev - k);
    len += end - prev - k;
    prev = end;
  }
  assert_int_equal(pn.rnlen, 24);
  assert_int_equal(len, v->n);
  assert_memory_equal(got, v->plain, v->n);
}

static void test_stream_vectors(void **state) {
  (void)state;
  FILE *f = fopen(STREAM, "r");
  assert_non_null(f);
  static svec_t v;
  int nvec = 0;
  uint64_t rnd = 0x9e3779b97f4a7c15u;
  while (next_svec(f, &v)) {
    nvec++;
    /* libsodium's one-shot XSalsa20 agrees. */
    static uint8_t ct[MAXV];
    if (v.n) {
      crypto_stream_xsalsa20_xor(ct, v.plain, v.n, v.nonce, v.key);
      assert_memory_equal(ct, v.wire + 24, v.n);
    }
    send_cut(&v, NULL, 0);
    recv_cut(&v, NULL, 0);
    /* Every single cut, sending and receiving. */
    for (size_t c = 0; c <= v.n; c++)
      send_cut(&v, &c, 1);
    for (size_t c = 0; c <= v.n + 24; c++)
      recv_cut(&v, &c, 1);
    /* Every pair of cuts for the short ones (each side of block ends). */
    if (v.n <= 200)
      for (size_t a = 0; a <= v.n; a++)
        for (size_t b = a; b <= v.n; b++) {
          size_t cuts[2] = {a, b};
          send_cut(&v, cuts, 2);
          size_t rc[2] = {a, b + 24};
          recv_cut(&v, rc, 2);
        }
    /* Random pieces of 0..150 bytes. */
    for (int round = 0; round < 50; round++) {
      size_t cuts[MAXV], nc = 0, at = 0;
      for (;;) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        at += rnd % 151;
        if (at > v.n)
          break;
        cuts[nc++] = at;
      }
      send_cut(&v, cuts, nc);
      recv_cut(&v, cuts, nc);
    }
  }
  fclose(f);
  assert_true(nvec >= 10);
}

static void test_fingerprint_vectors(void **state) {
  (void)state;
  FILE *f = fopen(FPS, "r");
  assert_non_null(f);
  uint8_t psk[32], want[16], fp[16];
  char name[16];
  int n = 0;
  while (next_kv(f, name, sizeof name, psk, sizeof psk) >= 0) {
    assert_string_equal(name, "psk");
    assert_int_equal(next_kv(f, name, sizeof name, want, sizeof want), 16);
    assert_string_equal(name, "fp");
    assert_int_equal(net_pnet_fingerprint(psk, fp), 0);
    assert_memory_equal(fp, want, 16);
    n++;
  }
  fclose(f);
  assert_true(n >= 4);
}

/* Two protectors in memory: a's bytes reach b with the same key, and turn
 * to noise with another. */
static void test_pair(void **state) {
  (void)state;
  uint8_t k1[32], k2[32], na[24], nb[24];
  randombytes_buf(k1, sizeof k1);
  randombytes_buf(k2, sizeof k2);
  randombytes_buf(na, sizeof na);
  randombytes_buf(nb, sizeof nb);
  static const char msg[] = "\x13/multistream/1.0.0\n\x07/noise\n";
  for (int other = 0; other < 2; other++) {
    net_pnet_t a, b;
    net_pnet_init(&a, k1, na);
    net_pnet_init(&b, other ? k2 : k1, nb);
    uint8_t wire[24 + sizeof msg];
    memcpy(wire, na, 24);
    memcpy(wire + 24, msg, sizeof msg);
    net_pnet_send(&a, wire + 24, sizeof msg);
    assert_memory_not_equal(wire + 24, msg, sizeof msg);
    size_t off = net_pnet_recv(&b, wire, sizeof wire);
    assert_int_equal(off, 24);
    if (other)
      assert_memory_not_equal(wire + 24, msg, sizeof msg);
    else
      assert_memory_equal(wire + 24, msg, sizeof msg);
    net_pnet_wipe(&a);
    net_pnet_wipe(&b);
    uint8_t zero[sizeof a] = {0};
    assert_memory_equal(&a, zero, sizeof a);
  }
}

int main(void) {
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_vectors),
      cmocka_unit_test(test_key_base64_padding),
      cmocka_unit_test(test_key_reasons),
      cmocka_unit_test(test_stream_vectors),
      cmocka_unit_test(test_fingerprint_vectors),
      cmocka_unit_test(test_pair),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
