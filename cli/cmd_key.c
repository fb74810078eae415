/*
 * cmd_key.c — `trove key gen|ls|list|rm|rename|export|import`: the repo's
 * IPNS keys (dht/keystore.h), printed as Kubo prints them.  When a daemon
 * holds the repo they go through its API (rpc/rpc_key.c), as Kubo's do;
 * else they work on $repo/keystore/ directly.  export never goes through
 * the API (Kubo's is NoRemote too): it reads the key file, which is safe
 * beside a running daemon.  Both paths build the same JSON answer and
 * print it with the same printer.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../config/config.h"
#include "../dht/keysign.h"
#include "../dht/keystore.h"
#include "../dht/name.h"
#include "../node/daemon.h"
#include "../node/identity.h"
#include "remote_int.h"

#define KEY_ERR_MAX 512

/* ------------------------------------------------------------ printing */

/* Kubo's text encoders: the ID of gen and import. */
static int print_id(json_t *o) {
  printf("%s\n", cli__jstr(o, "Id"));
  return 0;
}

/* The list of ls and rm: names, or with -l IDs and names in the columns
 * of Go's tabwriter (minwidth 1, padding 1, each cell ended by a tab, so
 * both columns are padded). */
static int print_list(json_t *o, bool l) {
  json_t *keys = json_object_get(o, "Keys"), *k;
  size_t i, wid = 0, wname = 0;
  json_array_foreach(keys, i, k) {
    size_t a = strlen(cli__jstr(k, "Id")), b = strlen(cli__jstr(k, "Name"));
    wid = a > wid ? a : wid;
    wname = b > wname ? b : wname;
  }
  json_array_foreach(keys, i, k) {
    if (l)
      printf("%-*s %-*s \n", (int)wid, cli__jstr(k, "Id"), (int)wname,
             cli__jstr(k, "Name"));
    else
      printf("%s\n", cli__jstr(k, "Name"));
  }
  return 0;
}

static int print_rename(json_t *o) {
  printf("Key %s renamed to %s%s\n", cli__jstr(o, "Id"), cli__jstr(o, "Now"),
         json_is_true(json_object_get(o, "Overwrite")) ? " with overwriting"
                                                       : "");
  return 0;
}

/* ------------------------------------------------------------ locally */

static const char *base_opt(cli_t *cli) {
  const char *b = CLI_STR(cli, "ipns-base");
  return b ? b : "base36";
}

static json_t *key_json(const char *name, const net_peerid_t *id,
                        const char *base) {
  char s[NET_PEERID_STR_MAX];
  if (dht_key_format_id(id, base, s, sizeof s) < 0)
    s[0] = 0;
  return json_pack("{s:s,s:s}", "Name", name, "Id", s);
}

static int check_base(cli_t *cli, const char *what) {
  net_peerid_t id = {0};
  char s[NET_PEERID_STR_MAX];
  if (dht_key_format_id(&id, base_opt(cli), s, sizeof s) == TR_EBASE)
    return cli_failf("%s: cannot get key encoder: unsupported ipns-base: %s",
                     what, base_opt(cli));
  return 0;
}

static int peerid_of(const net_privkey_t *k, net_peerid_t *id) {
  net_pubkey_t pk;
  net_privkey_pubkey(k, &pk);
  return net_peerid_from_pubkey(id, &pk);
}

/* Store k under name and print its ID, as gen and import do. */
static int store_print(cli_t *cli, const char *what, const char *name,
                       net_privkey_t *k) {
  char err[KEY_ERR_MAX];
  net_peerid_t id;
  int rc = dht_key_store(cli->repo, name, k, err, sizeof err);
  if (!rc)
    rc = peerid_of(k, &id);
  sodium_memzero(k, sizeof *k);
  if (rc == TR_EUSAGE || rc == TR_EEXIST)
    return cli_failf("%s: %s", what, err);
  if (rc)
    return cli_fail(what, rc);
  json_t *o = key_json(name, &id, base_opt(cli));
  print_id(o);
  json_decref(o);
  return 0;
}

/* The repo's config (the caller's reference).  Reported; 1 on error. */
static int load_config(cli_t *cli, json_t **cfg) {
  int rc = config_load(cli->repo, cfg);
  if (rc == TR_ENOREPO)
    return cli_failf("no repo at %s (run 'trove init')", cli->repo);
  if (rc)
    return cli_failf("reading %s/config: %s", cli->repo, tr_strerror(rc));
  return 0;
}

static int repo_exists(cli_t *cli) {
  json_t *cfg;
  if (load_config(cli, &cfg))
    return 1;
  json_decref(cfg);
  return 0;
}

int cmd_key_gen(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("key gen: usage: trove key gen [--type=ed25519] NAME");
  const char *type = CLI_STR(cli, "type");
  if (type && strcmp(type, "ed25519"))
    return cli_failf(!strcmp(type, "rsa") || !strcmp(type, "secp256k1")
                         ? "key gen: key type %s is not supported by trove "
                           "(ed25519 only)"
                         : "key gen: unrecognized key type: %s",
                     type);
  if (check_base(cli, "key gen") || repo_exists(cli))
    return 1;
  net_privkey_t k;
  int rc = net_privkey_generate(&k);
  if (rc)
    return cli_fail("key gen: cannot create new key", rc);
  return store_print(cli, "key gen", argv[1], &k);
}

int cmd_key_import(cli_t *cli, int argc, char **argv) {
  if (argc != 3)
    return cli_failf("key import: usage: trove key import NAME FILE");
  const char *fmt = CLI_STR(cli, "format");
  if (fmt && strcmp(fmt, "libp2p-protobuf-cleartext"))
    return cli_failf(strcmp(fmt, "pem-pkcs8-cleartext")
                         ? "key import: unrecognized import format: %s"
                         : "key import: import format %s is not supported "
                           "by trove",
                     fmt);
  if (!strcmp(argv[1], DHT_KEY_SELF))
    return cli_failf("key import: cannot import key with name 'self'");
  if (check_base(cli, "key import") || repo_exists(cli))
    return 1;
  int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cli_failf("key import: %s: %s", argv[2], strerror(errno));
  uint8_t buf[DHT_KEY_FILE_MAX + 1];
  size_t n = 0;
  ssize_t r;
  while (n < sizeof buf &&
         ((r = read(fd, buf + n, sizeof buf - n)) > 0 ||
          (r < 0 && errno == EINTR)))
    n += r > 0 ? (size_t)r : 0;
  close(fd);
  char err[KEY_ERR_MAX];
  net_peerid_t id;
  int rc = n > DHT_KEY_FILE_MAX
               ? TR_EKEY
               : dht_key_import(cli->repo, argv[1], buf, n, &id, err,
                                sizeof err);
  bool pem = n >= 11 && !memcmp(buf, "-----BEGIN ", 11);
  sodium_memzero(buf, sizeof buf);
  if (rc == TR_EKEY && pem)
    return cli_failf("key import: unexpected PEM block for "
                     "format=libp2p-protobuf-cleartext: PEM keys are not "
                     "supported by trove");
  if (rc == TR_EKEY)
    return cli_failf("key import: unable to unmarshall "
                     "format=libp2p-protobuf-cleartext: %s", tr_strerror(rc));
  if (rc == TR_EUSAGE || rc == TR_EEXIST)
    return cli_failf("key import: %s", err);
  if (rc)
    return cli_fail("key import", rc);
  json_t *o = key_json(argv[1], &id, base_opt(cli));
  print_id(o);
  json_decref(o);
  return 0;
}

/* The repo's config (into *cfg when not NULL: the caller's reference)
 * and the node's identity from it.  Reported; 1 on error. */
static int load_identity(cli_t *cli, const char *what, json_t **cfg,
                         node_identity_t *ident) {
  json_t *c;
  int rc;
  if (load_config(cli, &c))
    return 1;
  if ((rc = node_config_identity(c, ident))) {
    json_decref(c);
    return cli_failf("%s: config Identity: %s", what, tr_strerror(rc));
  }
  if (cfg)
    *cfg = c;
  else
    json_decref(c);
  return 0;
}

int cmd_key_ls(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("key ls: takes no arguments");
  if (check_base(cli, "key ls"))
    return 1;
  node_identity_t ident;
  if (load_identity(cli, "key ls", NULL, &ident))
    return 1;
  sodium_memzero(ident.sk, sizeof ident.sk);
  dht_key_entry_t *v;
  int rc;
  size_t n;
  if ((rc = dht_key_list(cli->repo, &v, &n)))
    return cli_fail("key ls: listing keys failed", rc);
  json_t *keys = json_array();
  net_peerid_t self;
  if (!net_peerid_parse(&self, ident.peerid, strlen(ident.peerid)))
    json_array_append_new(keys, key_json(DHT_KEY_SELF, &self, base_opt(cli)));
  for (size_t i = 0; i < n; i++)
    json_array_append_new(keys, key_json(v[i].name, &v[i].id, base_opt(cli)));
  tr_free(v);
  json_t *o = json_pack("{s:o}", "Keys", keys);
  print_list(o, CLI_BOOL(cli, "l"));
  json_decref(o);
  return 0;
}

int cmd_key_rm(cli_t *cli, int argc, char **argv) {
  if (argc < 2)
    return cli_failf("key rm: usage: trove key rm NAME...");
  if (check_base(cli, "key rm") || repo_exists(cli))
    return 1;
  json_t *keys = json_array();
  char err[KEY_ERR_MAX];
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    net_peerid_t id;
    if (!(rc = dht_key_remove(cli->repo, argv[i], &id, err, sizeof err)))
      json_array_append_new(keys, key_json(argv[i], &id, base_opt(cli)));
  }
  if (rc) {
    json_decref(keys);
    return rc == TR_EUSAGE || rc == TR_ENOTFOUND
               ? cli_failf("key rm: %s", err)
               : cli_fail("key rm", rc);
  }
  json_t *o = json_pack("{s:o}", "Keys", keys);
  print_list(o, CLI_BOOL(cli, "l"));
  json_decref(o);
  return 0;
}

int cmd_key_rename(cli_t *cli, int argc, char **argv) {
  if (argc != 3)
    return cli_failf("key rename: usage: trove key rename [--force] OLD NEW");
  if (check_base(cli, "key rename") || repo_exists(cli))
    return 1;
  net_peerid_t id;
  bool over;
  char err[KEY_ERR_MAX], ids[NET_PEERID_STR_MAX];
  int rc = dht_key_rename(cli->repo, argv[1], argv[2], CLI_BOOL(cli, "force"),
                          &id, &over, err, sizeof err);
  if (rc == TR_EUSAGE || rc == TR_ENOTFOUND || rc == TR_EEXIST)
    return cli_failf("key rename: %s", err);
  if (rc || dht_key_format_id(&id, base_opt(cli), ids, sizeof ids) < 0)
    return cli_fail("key rename", rc ? rc : TR_EBASE);
  json_t *o = json_pack("{s:s,s:s,s:s,s:b}", "Was", argv[1], "Now", argv[2],
                        "Id", ids, "Overwrite", over);
  print_rename(o);
  json_decref(o);
  return 0;
}

/* export: the key file's PrivateKey to -o FILE (default ./NAME.key, the
 * name's last path part), created 0600 as Kubo creates it. */
int cmd_key_export(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("key export: usage: trove key export [-o FILE] NAME");
  const char *name = argv[1], *fmt = CLI_STR(cli, "format");
  if (!strcmp(name, DHT_KEY_SELF))
    return cli_failf("key export: cannot export key with name 'self'");
  if (fmt && strcmp(fmt, "libp2p-protobuf-cleartext"))
    return cli_failf(strcmp(fmt, "pem-pkcs8-cleartext")
                         ? "key export: unrecognized export format: %s"
                         : "key export: export format %s is not supported "
                           "by trove",
                     fmt);
  /* An Ed25519 key in the 64-byte form Kubo writes; another type's as
   * its file holds it. */
  uint8_t pb[DHT_KEY_FILE_MAX];
  net_pubkey_t pk;
  int len = dht_key_load_file(cli->repo, name, pb, &pk);
  if (len == TR_ENOTFOUND || len == TR_EUSAGE)
    return cli_failf("key export: key with name '%s' doesn't exist", name);
  if (len < 0)
    return cli_fail("key export", len);
  net_privkey_t k;
  if (!dht_key_file_parse(pb, (size_t)len, &k)) {
    net_privkey_marshal(&k, pb);
    len = NET_PRIVKEY_PB_LEN;
  }
  sodium_memzero(&k, sizeof k);
  char out[4200];
  const char *o = CLI_STR(cli, "output");
  if (!o) {
    size_t l = strlen(name);
    while (l && name[l - 1] == '/')
      l--;
    size_t s = l;
    while (s && name[s - 1] != '/')
      s--;
    snprintf(out, sizeof out, "%.*s.key", (int)(l - s), name + s);
    o = out;
  }
  int fd = open(o, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int rc = fd < 0 ? -errno : 0;
  if (!rc && write(fd, pb, (size_t)len) != (ssize_t)len)
    rc = -EIO;
  if (fd >= 0 && close(fd) && !rc)
    rc = -errno;
  sodium_memzero(pb, sizeof pb);
  if (rc)
    return cli_failf("key export: %s: %s", o, strerror(-rc));
  return 0;
}

/* ----------------------------------------------------- sign, verify */

/* sign and verify: the data of FILE, or of stdin without one (Kubo's
 * FileArg), as the daemon would be sent it; done locally (the keys are
 * files, safe to read beside a running daemon), the answer printed as
 * Kubo's CLI prints a command without a text encoder: its JSON. */
static int sign_verify(cli_t *cli, const char *what, int argc, char **argv,
                       bool verify) {
  if (argc > 2)
    return cli_failf("%s: usage: trove %s [OPTIONS] [FILE]", what, what);
  if (check_base(cli, what))
    return 1;
  node_identity_t ident;
  if (load_identity(cli, what, NULL, &ident))
    return 1;
  net_privkey_t self;
  memcpy(self.sk, ident.sk, sizeof self.sk);
  sodium_memzero(&ident, sizeof ident);
  tr_bytes_t data = {0};
  char err[512];
  int rc = cli_read_file(argc > 1 ? argv[1] : NULL, DHT_KEYSIGN_DATA_MAX,
                         "data", &data, err, sizeof err);
  json_t *o = NULL;
  if (rc == TR_ETOOBIG)
    snprintf(err, sizeof err, "data larger than %u MiB",
             DHT_KEYSIGN_DATA_MAX >> 20);
  else if (rc)
    ; /* err says why */
  else if (verify)
    rc = dht_keysign_verify(cli->repo, &self, CLI_STR(cli, "key"),
                            CLI_STR(cli, "signature") ? CLI_STR(cli, "signature")
                                                      : "",
                            base_opt(cli), data.data, data.len, &o, err,
                            sizeof err);
  else
    rc = dht_keysign_sign(cli->repo, &self, CLI_STR(cli, "key"),
                          base_opt(cli), data.data, data.len, &o, err,
                          sizeof err);
  sodium_memzero(&self, sizeof self);
  tr_bytes_free(&data);
  if (rc)
    return cli_failf("%s: %s", what, err);
  char *js = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!js)
    return cli_failf("%s: out of memory", what);
  printf("%s\n", js);
  free(js);
  return 0;
}

int cmd_key_sign(cli_t *cli, int argc, char **argv) {
  return sign_verify(cli, "key sign", argc, argv, false);
}

int cmd_key_verify(cli_t *cli, int argc, char **argv) {
  return sign_verify(cli, "key verify", argc, argv, true);
}

/* --------------------------------------------------------------- rotate */

/* Kubo's doRotate, offline: a new identity key, the old one into the
 * keystore as --oldkey, then the config; daemon.lock held throughout so
 * that no daemon starts on the repo meanwhile.  The last IPNS record of
 * the old identity becomes the old key's (dht_name_rekey). */
int cmd_key_rotate(cli_t *cli, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("key rotate: takes no arguments");
  const char *old = CLI_STR(cli, "oldkey"), *type = CLI_STR(cli, "type");
  if (!old)
    return cli_failf("key rotate: keystore name for backing up old key "
                     "must be provided");
  if (!strcmp(old, DHT_KEY_SELF))
    return cli_failf("key rotate: keystore name for back up cannot be "
                     "named 'self'");
  int lock = node_daemon_lock(cli->repo);
  if (lock == TR_EEXIST)
    return cli_failf("key rotate: trove daemon is running. please stop it "
                     "to run this command");
  if (lock < 0)
    return cli_failf("key rotate: opening repo (%s)", strerror(-lock));
  json_t *cfg;
  node_identity_t cur, next;
  int rc = 1;
  if (load_identity(cli, "key rotate", &cfg, &cur)) {
    close(lock);
    return 1;
  }
  if (type && strcmp(type, "ed25519"))
    cli_failf(!strcmp(type, "rsa") || !strcmp(type, "secp256k1")
                  ? "key rotate: creating identity (key type %s is not "
                    "supported by trove (ed25519 only))"
                  : "key rotate: creating identity (unrecognized key type: "
                    "%s)",
              type);
  else if (CLI_SET(cli, "size") && CLI_INT(cli, "size") != 256)
    cli_failf("key rotate: creating identity (invalid key size %lld: "
              "ed25519 keys are always 256 bits)",
              (long long)CLI_INT(cli, "size"));
  else if (node_identity_new(&next))
    cli_failf("key rotate: creating identity (no randomness)");
  else
    rc = 0;
  if (!rc) {
    printf("generating ED25519 keypair...done\npeer identity: %s\n",
           next.peerid);
    fflush(stdout);
    net_privkey_t k;
    char err[KEY_ERR_MAX];
    memcpy(k.sk, cur.sk, sizeof k.sk);
    int e = dht_key_store(cli->repo, old, &k, err, sizeof err);
    sodium_memzero(&k, sizeof k);
    if (e == TR_EEXIST)
      rc = cli_failf("key rotate: saving old key in keystore (key by that "
                     "name already exists, refusing to overwrite)");
    else if (e == TR_EUSAGE)
      rc = cli_failf("key rotate: saving old key in keystore (%s)", err);
    else if (e)
      rc = cli_failf("key rotate: saving old key in keystore (%s)",
                     tr_strerror(e));
    else if ((e = node_config_set_identity(cfg, &next)) ||
             (e = config_save(cli->repo, cfg)))
      rc = cli_failf("key rotate: saving new key to config (%s)",
                     tr_strerror(e));
    else if ((e = dht_name_rekey(cli->repo, cur.peerid)))
      rc = cli_failf("key rotate: keeping the old name's record: %s",
                     tr_strerror(e));
  }
  sodium_memzero(&cur, sizeof cur);
  sodium_memzero(&next, sizeof next);
  json_decref(cfg);
  close(lock);
  return rc;
}

/* ---------------------------------------------------- through the API */

static int one(remote_t *r, const char *cmd, int argc, char **argv,
               json_t **o) {
  if (cli__qargs(r, argc, argv) || cli__call(r, cmd) ||
      cli__next_value(r, o) <= 0)
    return 1;
  return 0;
}

int cli__remote_key_gen(remote_t *r, int argc, char **argv) {
  json_t *o;
  if (argc != 2)
    return cli_failf("key gen: usage: trove key gen [--type=ed25519] NAME");
  if (one(r, "key/gen", argc, argv, &o))
    return 1;
  print_id(o);
  json_decref(o);
  return 0;
}

int cli__remote_key_ls(remote_t *r, int argc, char **argv) {
  json_t *o;
  if (argc != 1)
    return cli_failf("key ls: takes no arguments");
  if (one(r, "key/ls", argc, argv, &o))
    return 1;
  print_list(o, rpc_vals_bool(r->v, "l"));
  json_decref(o);
  return 0;
}

int cli__remote_key_rm(remote_t *r, int argc, char **argv) {
  json_t *o;
  if (argc < 2)
    return cli_failf("key rm: usage: trove key rm NAME...");
  if (one(r, "key/rm", argc, argv, &o))
    return 1;
  print_list(o, rpc_vals_bool(r->v, "l"));
  json_decref(o);
  return 0;
}

int cli__remote_key_rename(remote_t *r, int argc, char **argv) {
  json_t *o;
  if (argc != 3)
    return cli_failf("key rename: usage: trove key rename [--force] OLD NEW");
  if (one(r, "key/rename", argc, argv, &o))
    return 1;
  print_rename(o);
  json_decref(o);
  return 0;
}

/* import NAME FILE: the file as one multipart part, as Kubo's CLI sends
 * it. */
int cli__remote_key_import(remote_t *r, int argc, char **argv) {
  if (argc != 3)
    return cli_failf("key import: usage: trove key import NAME FILE");
  int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return cli_failf("key import: %s: %s", argv[2], strerror(errno));
  uint8_t buf[DHT_KEY_FILE_MAX + 1];
  size_t n = 0;
  ssize_t rd;
  while (n < sizeof buf &&
         ((rd = read(fd, buf + n, sizeof buf - n)) > 0 ||
          (rd < 0 && errno == EINTR)))
    n += rd > 0 ? (size_t)rd : 0;
  close(fd);
  json_t *o;
  int rc = cli__qadd(r, "arg", argv[1]) ||
           cli__send_file(r, "key/import", "key", buf, n) ||
           cli__next_value(r, &o) <= 0;
  if (!rc) {
    print_id(o);
    json_decref(o);
  }
  sodium_memzero(buf, sizeof buf);
  return rc;
}
