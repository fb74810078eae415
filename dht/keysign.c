/*
 * keysign.c — `key sign` and `key verify` over the keystore's keys (see
 * keysign.h).
 */
#include "keysign.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../dag/multibase.h"
#include "keystore.h"

#define PREFIX_LEN (sizeof DHT_KEYSIGN_PREFIX - 1)

static int fail(int rc, char *err, size_t errn, const char *fmt, ...)
    TR_PRINTF(4, 5);
static int fail(int rc, char *err, size_t errn, const char *fmt, ...) {
  if (err && errn) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errn, fmt, ap);
    va_end(ap);
  }
  return rc;
}

static bool is_self(const char *name) {
  return !name || !*name || !strcmp(name, DHT_KEY_SELF);
}

/* The prefix and the data, in memory of ours. */
static int message(const uint8_t *data, size_t n, uint8_t **msg, char *err,
                   size_t errn) {
  if (n > DHT_KEYSIGN_DATA_MAX)
    return fail(TR_ETOOBIG, err, errn, "data larger than %u MiB",
                DHT_KEYSIGN_DATA_MAX >> 20);
  if (!(*msg = tr_malloc(PREFIX_LEN + n)))
    return fail(-ENOMEM, err, errn, "out of memory");
  memcpy(*msg, DHT_KEYSIGN_PREFIX, PREFIX_LEN);
  if (n)
    memcpy(*msg + PREFIX_LEN, data, n);
  return 0;
}

/* {"Name","Id"} of the key whose public half is pk. */
static int key_json(const char *name, const net_pubkey_t *pk,
                    const char *base, json_t **out) {
  net_peerid_t id;
  char s[NET_PEERID_STR_MAX];
  int rc = net_peerid_from_pubkey(&id, pk);
  if (!rc && dht_key_format_id(&id, base ? base : "base36", s, sizeof s) < 0)
    rc = TR_EBASE;
  if (rc)
    return rc;
  *out = json_pack("{s:s,s:s}", "Name", name, "Id", s);
  return *out ? 0 : -ENOMEM;
}

int dht_keysign_sign(const char *repo, const net_privkey_t *self,
                     const char *name, const char *base, const uint8_t *data,
                     size_t n, json_t **out, char *err, size_t errn) {
  *out = NULL;
  uint8_t *msg, sig[NET_SIG_MAX];
  int rc = message(data, n, &msg, err, errn);
  if (rc)
    return rc;
  net_pubkey_t pk;
  int sl;
  if (is_self(name)) {
    name = DHT_KEY_SELF;
    if (self) {
      net_privkey_pubkey(self, &pk);
      net_sign(self, msg, PREFIX_LEN + n, sig);
    }
    sl = self ? 64 : fail(TR_ENOTFOUND, err, errn, "the node's key is not "
                          "at hand");
  } else {
    uint8_t *file = tr_malloc(DHT_KEY_FILE_MAX);
    sl = file ? dht_key_load_file(repo, name, file, &pk) : -ENOMEM;
    if (sl >= 0)
      sl = net_sign_any(file, (size_t)sl, msg, PREFIX_LEN + n, sig,
                        sizeof sig);
    if (file) {
      sodium_memzero(file, DHT_KEY_FILE_MAX);
      tr_free(file);
    }
    if (sl == TR_ENOTFOUND || sl == TR_EUSAGE || sl == TR_EKEY)
      sl = fail(TR_ENOTFOUND, err, errn, "no key by the given name was "
                "found");
    else if (sl < 0)
      fail(sl, err, errn, "%s", tr_strerror(sl));
  }
  tr_free(msg);
  if (sl < 0)
    return sl;
  char mb[DAG_MB_ENCODED_MAX(NET_SIG_MAX)];
  json_t *key;
  if ((rc = dag_mb_encode(DAG_MB_BASE64URL, sig, (size_t)sl, mb,
                          sizeof mb)) < 0 ||
      (rc = key_json(name, &pk, base, &key)))
    return fail(rc, err, errn, "%s", tr_strerror(rc));
  *out = json_pack("{s:o,s:s}", "Key", key, "Signature", mb);
  return *out ? 0 : fail(-ENOMEM, err, errn, "out of memory");
}

/* Kubo's %q of a key name inside its error: quotes, with \ and " escaped
 * (the control characters a key name may hold are refused earlier). */
static void quoted(const char *s, char *out, size_t n) {
  size_t o = 0;
  if (n < 3) {
    if (n)
      out[0] = 0;
    return;
  }
  out[o++] = '"';
  for (; *s && o + 3 < n; s++) {
    if (*s == '"' || *s == '\\')
      out[o++] = '\\';
    out[o++] = *s;
  }
  out[o++] = '"';
  out[o] = 0;
}

/* The key verify checks with, and the name it answers. */
static int verify_key(const char *repo, const net_privkey_t *self,
                      const char *key, net_pubkey_t *pk, const char **name,
                      char *err, size_t errn) {
  if (is_self(key)) {
    *name = DHT_KEY_SELF;
    if (!self)
      return fail(TR_ENOTFOUND, err, errn, "the node's key is not at hand");
    net_privkey_pubkey(self, pk);
    return 0;
  }
  uint8_t *file = tr_malloc(DHT_KEY_FILE_MAX);
  if (!file)
    return fail(-ENOMEM, err, errn, "out of memory");
  int rc = dht_key_load_file(repo, key, file, pk);
  sodium_memzero(file, DHT_KEY_FILE_MAX);
  tr_free(file);
  if (rc >= 0) {
    *name = key;
    return 0;
  }
  if (rc != TR_ENOTFOUND && rc != TR_EUSAGE && rc != TR_EKEY)
    return fail(rc, err, errn, "%s", tr_strerror(rc));
  /* An IPNS name or a PeerID (ipns.NameFromString): its inlined key. */
  const char *s = strncmp(key, "/ipns/", 6) ? key : key + 6;
  net_peerid_t id;
  *name = "";
  if (net_peerid_parse(&id, s, strlen(s))) {
    char q[2 * DHT_KEY_NAME_MAX + 8];
    quoted(key, q, sizeof q);
    return fail(TR_ENOTFOUND, err, errn, "'%s' is not a known key, an IPNS "
                "Name, or a valid PeerID", q);
  }
  if ((rc = net_peerid_pubkey(&id, pk)))
    return fail(rc == -ENOMEM ? rc : TR_EKEY, err, errn,
                "public key is not embedded in peer ID");
  return 0;
}

int dht_keysign_verify(const char *repo, const net_privkey_t *self,
                       const char *key, const char *sig, const char *base,
                       const uint8_t *data, size_t n, json_t **out, char *err,
                       size_t errn) {
  *out = NULL;
  /* As Kubo: the signature is decoded first. */
  size_t sl = strlen(sig), len = 0;
  if (!sl)
    return fail(TR_EUSAGE, err, errn,
                "cannot decode multibase for zero length string");
  uint8_t *raw = tr_malloc(sl);
  if (!raw)
    return fail(-ENOMEM, err, errn, "out of memory");
  int rc = dag_mb_decode(sig, sl, raw, sl, &len, NULL);
  if (rc) {
    tr_free(raw);
    return fail(rc == -ENOMEM ? rc : TR_EUSAGE, err, errn, "%s",
                rc == TR_EBASE ? "selected encoding not supported"
                               : tr_strerror(rc));
  }
  net_pubkey_t pk;
  const char *name = "";
  uint8_t *msg = NULL;
  if ((rc = verify_key(repo, self, key, &pk, &name, err, errn)) ||
      (rc = message(data, n, &msg, err, errn))) {
    tr_free(raw);
    return rc;
  }
  rc = net_verify(&pk, msg, PREFIX_LEN + n, raw, len);
  tr_free(raw);
  tr_free(msg);
  bool valid = rc == 0;
  if (rc == TR_ESIG && pk.type == NET_KEY_RSA)
    return fail(TR_ESIG, err, errn, "crypto/rsa: verification error");
  if (rc && rc != TR_ESIG)
    return fail(rc, err, errn, "%s", rc == TR_EKEY ? "public key invalid"
                                                   : tr_strerror(rc));
  json_t *k;
  if ((rc = key_json(name, &pk, base, &k)))
    return fail(rc, err, errn, "%s", tr_strerror(rc));
  *out = json_pack("{s:o,s:b}", "Key", k, "SignatureValid", valid);
  return *out ? 0 : fail(-ENOMEM, err, errn, "out of memory");
}
