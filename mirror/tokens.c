/*
 * tokens.c — the Pinning Service API's bearer tokens (pins.h, "tokens").
 * A token is shown once when made; the store keeps SHA-256 of it under
 * 'A' (-> created(8) and the name) and the name under 'N' (-> the hash),
 * so that a check is one lookup of the hash and a leaked repo leaks no
 * usable token.
 */
#include "mir_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../dag/multihash.h"

#define K_NAME 'N'

static bool name_ok(const char *n) {
  size_t l = strlen(n);
  if (!l || l > MIR_TOKEN_NAME_MAX)
    return false;
  for (size_t i = 0; i < l; i++) {
    char c = n[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

static size_t key_name(uint8_t *k, const char *name) {
  size_t l = strlen(name);
  k[0] = K_NAME;
  memcpy(k + 1, name, l);
  return 1 + l;
}

int mir_token_add(mir_store_t *st, bs_txn_t *txn, const char *name,
                  char out[MIR_TOKEN_LEN + 1], char *name_out) {
  char auto_name[32];
  uint8_t k[1 + MIR_TOKEN_NAME_MAX];
  const uint8_t *v;
  size_t vl;
  int rc;
  if (!name || !*name) {
    /* token-1, token-2 ...: the first free one. */
    for (unsigned i = 1;; i++) {
      snprintf(auto_name, sizeof auto_name, "token-%u", i);
      rc = bs_kv_get(txn, st->db, k, key_name(k, auto_name), &v, &vl);
      if (rc == TR_ENOTFOUND)
        break;
      if (rc)
        return rc;
    }
    name = auto_name;
  }
  if (!name_ok(name))
    return TR_EUSAGE;
  size_t kl = key_name(k, name);
  rc = bs_kv_get(txn, st->db, k, kl, &v, &vl);
  if (!rc)
    return TR_EEXIST;
  if (rc != TR_ENOTFOUND)
    return rc;
  uint8_t secret[32], h[33];
  randombytes_buf(secret, sizeof secret);
  memcpy(out, "trove_", 6);
  sodium_bin2base64(out + 6, MIR_TOKEN_LEN + 1 - 6, secret, sizeof secret,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret, sizeof secret);
  h[0] = MIR_K_TOKEN;
  dag_sha256(out, MIR_TOKEN_LEN, h + 1);
  uint8_t rec[8 + MIR_TOKEN_NAME_MAX];
  mir__be64(rec, (uint64_t)time(NULL));
  memcpy(rec + 8, name, kl - 1);
  if ((rc = bs_kv_put(txn, st->db, h, sizeof h, rec, 8 + kl - 1)) ||
      (rc = bs_kv_put(txn, st->db, k, kl, h + 1, 32)))
    return rc;
  if (name_out)
    snprintf(name_out, MIR_TOKEN_NAME_MAX + 1, "%s", name);
  return 0;
}

int mir_token_rm(mir_store_t *st, bs_txn_t *txn, const char *name) {
  if (!name_ok(name))
    return TR_ENOTFOUND;
  uint8_t k[1 + MIR_TOKEN_NAME_MAX], h[33];
  size_t kl = key_name(k, name), vl;
  const uint8_t *v;
  int rc = bs_kv_get(txn, st->db, k, kl, &v, &vl);
  if (rc)
    return rc;
  if (vl != 32)
    return TR_ECORRUPT;
  h[0] = MIR_K_TOKEN;
  memcpy(h + 1, v, 32);
  if ((rc = bs_kv_del(txn, st->db, h, sizeof h)) && rc != TR_ENOTFOUND)
    return rc;
  return bs_kv_del(txn, st->db, k, kl);
}

typedef struct ls {
  mir_store_t *st;
  bs_txn_t *txn;
  mir_token_cb cb;
  void *ud;
} ls_t;

static int ls_cb(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                 void *ud) {
  ls_t *l = ud;
  if (!kl || k[0] != K_NAME || kl > 1 + MIR_TOKEN_NAME_MAX || vl != 32)
    return 1;
  char name[MIR_TOKEN_NAME_MAX + 1];
  memcpy(name, k + 1, kl - 1);
  name[kl - 1] = 0;
  uint8_t h[33];
  h[0] = MIR_K_TOKEN;
  memcpy(h + 1, v, 32);
  const uint8_t *r;
  size_t rl;
  uint64_t created = 0;
  if (!bs_kv_get(l->txn, l->st->db, h, sizeof h, &r, &rl) && rl >= 8)
    created = mir__rd64(r);
  int rc = l->cb(name, created, l->ud);
  return rc ? rc : 0;
}

int mir_token_ls(mir_store_t *st, bs_txn_t *txn, mir_token_cb cb, void *ud) {
  ls_t l = {st, txn, cb, ud};
  uint8_t from = K_NAME;
  int rc = bs_kv_range(txn, st->db, &from, 1, false, ls_cb, &l);
  return rc == 1 ? 0 : rc;
}

int mir_token_check(mir_store_t *st, bs_txn_t *txn, const char *tok,
                    size_t n) {
  if (n != MIR_TOKEN_LEN)
    return TR_ENOTFOUND;
  uint8_t h[33];
  h[0] = MIR_K_TOKEN;
  dag_sha256(tok, n, h + 1);
  const uint8_t *v;
  size_t vl;
  return bs_kv_get(txn, st->db, h, sizeof h, &v, &vl);
}
