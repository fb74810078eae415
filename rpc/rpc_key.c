/*
 * rpc_key.c — the keystore's commands (dht/keystore.h), with Kubo's
 * answers and words (core/commands/keystore.go):
 *
 *   key/gen arg=NAME [type=ed25519]     {"Name","Id"}
 *   key/import arg=NAME, a file part    {"Name","Id"}
 *   key/ls, key/list                    {"Keys":[{"Name","Id"}...]}, self
 *                                       first
 *   key/rm arg=NAME...                  {"Keys":[...]}
 *   key/rename arg=OLD arg=NEW [force]  {"Was","Now","Id","Overwrite"}
 *   key/sign [key=NAME], a file part    {"Key":{"Name","Id"},"Signature"}
 *   key/verify [key=NAME] signature=SIG, a file part
 *                                       {"Key":{...},"SignatureValid"}
 *
 * Every one takes ipns-base (Kubo's default base36).  key export and
 * key rotate have no API command, as in Kubo (NoRemote: the CLI does
 * them itself).  gen makes Ed25519 keys only (Kubo's rsa and secp256k1
 * are refused with that reason); import takes keys of every type.  The
 * key files are small: read and written on the loop.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../dht/keysign.h"
#include "../dht/keystore.h"
#include "rpc_int.h"

#define KEY_ERR_MAX 512

/* The ipns-base option: 0 and *base, or the error answered. */
static int ipns_base(http_req_t *req, char **base) {
  if (rpc_opt_str(req, "ipns-base", base)) {
    rpc_error(req, 400, "invalid ipns-base");
    return -1;
  }
  net_peerid_t id = {0};
  char tmp[NET_PEERID_STR_MAX];
  if (*base && dht_key_format_id(&id, *base, tmp, sizeof tmp) == TR_EBASE) {
    rpc_error(req, 500, "cannot get key encoder: unsupported ipns-base: %s",
              *base);
    tr_free(*base);
    return -1;
  }
  return 0;
}

static json_t *key_json(const char *name, const net_peerid_t *id,
                        const char *base) {
  char s[NET_PEERID_STR_MAX];
  if (dht_key_format_id(id, base ? base : "base36", s, sizeof s) < 0)
    s[0] = 0;
  return json_pack("{s:s,s:s}", "Name", name, "Id", s);
}

static int peerid_of(const net_privkey_t *k, net_peerid_t *id) {
  net_pubkey_t pk;
  net_privkey_pubkey(k, &pk);
  return net_peerid_from_pubkey(id, &pk);
}

/* ------------------------------------------------------------------ gen */

void rpc_cmd_key_gen(http_req_t *req, rpc_ctx_t *ctx) {
  char *name, *type = NULL, *base;
  if (rpc_opt_str(req, "type", &type)) {
    rpc_error(req, 400, "invalid type");
    return;
  }
  if (type && strcmp(type, "ed25519")) {
    bool known = !strcmp(type, "rsa") || !strcmp(type, "secp256k1");
    rpc_error(req, 500, known ? "key type %s is not supported by trove "
              "(ed25519 only)" : "unrecognized key type: %s", type);
    tr_free(type);
    return;
  }
  tr_free(type);
  if (ipns_base(req, &base))
    return;
  if (rpc_one_arg(req, "name", &name)) {
    tr_free(base);
    return;
  }
  net_privkey_t k;
  net_peerid_t id;
  char err[KEY_ERR_MAX];
  int rc = net_privkey_generate(&k);
  if (!rc && !(rc = dht_key_store(ctx->repo, name, &k, err, sizeof err)))
    rc = peerid_of(&k, &id);
  sodium_memzero(&k, sizeof k);
  if (rc == TR_EUSAGE || rc == TR_EEXIST)
    rpc_error(req, 500, "%s", err);
  else if (rc)
    rpc_error(req, 500, "cannot create new key: %s", tr_strerror(rc));
  else
    rpc_api_json(req, key_json(name, &id, base));
  tr_free(name);
  tr_free(base);
}

/* ------------------------------------------------------------ ls and rm */

static void key_ls(http_req_t *req, rpc_ctx_t *ctx) {
  char *base;
  if (ipns_base(req, &base))
    return;
  dht_key_entry_t *v;
  size_t n;
  net_peerid_t self;
  int rc = dht_key_list(ctx->repo, &v, &n);
  if (rc) {
    tr_free(base);
    rpc_error(req, 500, "listing keys failed: %s", tr_strerror(rc));
    return;
  }
  json_t *keys = json_array();
  if (!net_peerid_parse(&self, ctx->peerid, strlen(ctx->peerid)))
    json_array_append_new(keys, key_json(DHT_KEY_SELF, &self, base));
  for (size_t i = 0; i < n; i++)
    json_array_append_new(keys, key_json(v[i].name, &v[i].id, base));
  tr_free(v);
  tr_free(base);
  rpc_api_json(req, json_pack("{s:o}", "Keys", keys));
}

void rpc_cmd_key_ls(http_req_t *req, rpc_ctx_t *ctx) { key_ls(req, ctx); }

void rpc_cmd_key_rm(http_req_t *req, rpc_ctx_t *ctx) {
  char *base, **names;
  size_t n;
  if (ipns_base(req, &base))
    return;
  if (rpc_args(req, "arg", &names, &n) || !n) {
    tr_free(base);
    rpc_error(req, 400, "argument \"name\" is required");
    return;
  }
  /* As Kubo: removed one by one, the first failure ends the command (the
   * ones before it stay removed). */
  json_t *keys = json_array();
  char err[KEY_ERR_MAX];
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    net_peerid_t id;
    rc = dht_key_remove(ctx->repo, names[i], &id, err, sizeof err);
    if (!rc)
      json_array_append_new(keys, key_json(names[i], &id, base));
    else if (rc != TR_EUSAGE && rc != TR_ENOTFOUND)
      snprintf(err, sizeof err, "%s", tr_strerror(rc));
  }
  rpc_strv_free(names, n);
  tr_free(base);
  if (rc) {
    json_decref(keys);
    rpc_error(req, 500, "%s", err);
    return;
  }
  rpc_api_json(req, json_pack("{s:o}", "Keys", keys));
}

/* --------------------------------------------------------------- rename */

void rpc_cmd_key_rename(http_req_t *req, rpc_ctx_t *ctx) {
  char *base, **args;
  size_t n;
  bool force;
  if (rpc_opt_bool(req, "force", false, &force)) {
    rpc_error(req, 400, "invalid force");
    return;
  }
  if (ipns_base(req, &base))
    return;
  if (rpc_args(req, "arg", &args, &n) || n != 2) {
    if (n)
      rpc_strv_free(args, n);
    tr_free(base);
    rpc_error(req, 400, n < 2 ? "argument \"%s\" is required"
                              : "expected 2 arguments%s",
              n < 1 ? "name" : n < 2 ? "newName" : "");
    return;
  }
  net_peerid_t id;
  bool over;
  char err[KEY_ERR_MAX], ids[NET_PEERID_STR_MAX];
  int rc = dht_key_rename(ctx->repo, args[0], args[1], force, &id, &over,
                          err, sizeof err);
  if (rc == TR_EUSAGE || rc == TR_ENOTFOUND || rc == TR_EEXIST)
    rpc_error(req, 500, "%s", err);
  else if (rc)
    rpc_error(req, 500, "%s", tr_strerror(rc));
  else if (dht_key_format_id(&id, base ? base : "base36", ids, sizeof ids) <
           0)
    rpc_error(req, 500, "bad key id");
  else
    rpc_api_json(req, json_pack("{s:s,s:s,s:s,s:b}", "Was", args[0], "Now",
                                args[1], "Id", ids, "Overwrite", over));
  rpc_strv_free(args, n);
  tr_free(base);
}

/* --------------------------------------------------------------- import */

typedef struct kimport {
  rpc_ctx_t *ctx;
  char *name, *base;
} kimport_t;

static void kimport_free(kimport_t *s) {
  tr_free(s->name);
  tr_free(s->base);
  tr_free(s);
}

static void import_done(http_req_t *req, const uint8_t *d, size_t n,
                        void *ud) {
  kimport_t *s = ud;
  net_peerid_t id;
  char err[KEY_ERR_MAX];
  int rc;
  if (!req) {
    /* nothing to answer */
  } else if ((rc = n > DHT_KEY_FILE_MAX
                       ? TR_EKEY
                       : dht_key_import(s->ctx->repo, s->name, d, n, &id, err,
                                        sizeof err))) {
    if (rc == TR_EKEY && n >= 11 && !memcmp(d, "-----BEGIN ", 11))
      rpc_error(req, 500, "unexpected PEM block for "
                "format=libp2p-protobuf-cleartext: PEM keys are not "
                "supported by trove");
    else if (rc == TR_EKEY)
      rpc_error(req, 500, "unable to unmarshall "
                "format=libp2p-protobuf-cleartext: %s", tr_strerror(rc));
    else if (rc == TR_EUSAGE || rc == TR_EEXIST)
      rpc_error(req, 500, "%s", err);
    else
      rpc_error(req, 500, "%s", tr_strerror(rc));
  } else {
    rpc_api_json(req, key_json(s->name, &id, s->base));
  }
  kimport_free(s);
}

void rpc_cmd_key_import(http_req_t *req, rpc_ctx_t *ctx) {
  char *fmt = NULL;
  if (rpc_opt_str(req, "format", &fmt)) {
    rpc_error(req, 400, "invalid format");
    return;
  }
  if (fmt && strcmp(fmt, "libp2p-protobuf-cleartext")) {
    rpc_error(req, 500, strcmp(fmt, "pem-pkcs8-cleartext")
                            ? "unrecognized import format: %s"
                            : "import format %s is not supported by trove",
              fmt);
    tr_free(fmt);
    return;
  }
  tr_free(fmt);
  kimport_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  s->ctx = ctx;
  if (ipns_base(req, &s->base)) {
    tr_free(s);
    return;
  }
  if (rpc_one_arg(req, "name", &s->name)) {
    kimport_free(s);
    return;
  }
  if (!strcmp(s->name, DHT_KEY_SELF)) {
    kimport_free(s);
    rpc_error(req, 500, "cannot import key with name 'self'");
    return;
  }
  rpc_file_collect(req, "key", DHT_KEY_FILE_MAX, import_done, s);
}

/* ------------------------------------------------------- sign, verify */

typedef struct ksign {
  rpc_ctx_t *ctx;
  char *key, *sig, *base;
} ksign_t;

static void ksign_free(ksign_t *s) {
  tr_free(s->key);
  tr_free(s->sig);
  tr_free(s->base);
  tr_free(s);
}

static void sign_done(http_req_t *req, const uint8_t *d, size_t n,
                      void *ud) {
  ksign_t *s = ud;
  char err[KEY_ERR_MAX];
  json_t *o = NULL;
  if (!req) {
    /* nothing to answer */
  } else if (s->sig ? dht_keysign_verify(s->ctx->repo, s->ctx->key, s->key,
                                         s->sig, s->base, d, n, &o, err,
                                         sizeof err)
                    : dht_keysign_sign(s->ctx->repo, s->ctx->key, s->key,
                                       s->base, d, n, &o, err, sizeof err)) {
    rpc_error(req, 500, "%s", err);
  } else {
    rpc_api_json(req, o);
  }
  ksign_free(s);
}

/* key/sign [key=NAME] and key/verify [key=NAME] signature=SIG: the data
 * is the body's file (DHT_KEYSIGN_DATA_MAX at most). */
static void key_sign_verify(http_req_t *req, rpc_ctx_t *ctx, bool verify) {
  ksign_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  s->ctx = ctx;
  if (ipns_base(req, &s->base)) {
    ksign_free(s);
    return;
  }
  if (rpc_opt_str(req, "key", &s->key) ||
      (verify && rpc_opt_str(req, "signature", &s->sig))) {
    ksign_free(s);
    rpc_error(req, 400, "invalid option");
    return;
  }
  if (verify && !s->sig && !(s->sig = tr_strdup(""))) {
    ksign_free(s);
    rpc_error(req, 500, "out of memory");
    return;
  }
  rpc_file_collect(req, "data", DHT_KEYSIGN_DATA_MAX, sign_done, s);
}

void rpc_cmd_key_sign(http_req_t *req, rpc_ctx_t *ctx) {
  key_sign_verify(req, ctx, false);
}

void rpc_cmd_key_verify(http_req_t *req, rpc_ctx_t *ctx) {
  key_sign_verify(req, ctx, true);
}
