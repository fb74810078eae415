/*
 * cmd_block.c — `trove block put|get|stat|rm`: raw block access, as Kubo's
 * `ipfs block` (put defaults to CIDv1 with the raw codec and sha2-256).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* --cid-codec, --mhtype and --format into a CID version, codec and hash
 * (Kubo's block put; --format is the legacy form).  Reports; 1 on error. */
int cli_block_format(cli_t *cli, int *version, uint64_t *codec, uint64_t *mh) {
  const char *c = CLI_STR(cli, "cid-codec"), *h = CLI_STR(cli, "mhtype"),
             *f = CLI_STR(cli, "format");
  *version = 1;
  if (dag_codec_from_name(c, codec))
    return cli_failf("block put: unknown codec '%s'", c);
  if (dag_mh_from_name(h, mh))
    return cli_failf("block put: unknown hash '%s'", h);
  if (!f)
    return 0;
  if (!strcmp(f, "v0") || !strcmp(f, "protobuf")) {
    *codec = DAG_CODEC_DAG_PB;
    *version = !strcmp(f, "v0") ? 0 : 1;
  } else if (!strcmp(f, "cbor"))
    *codec = DAG_CODEC_DAG_CBOR;
  else if (!strcmp(f, "raw"))
    *codec = DAG_CODEC_RAW;
  else
    return cli_failf("block put: unknown format '%s'", f);
  return 0;
}

int cmd_block_put(cli_t *cli, int argc, char **argv) {
  uint64_t codec, mh;
  int version;
  bool pin = CLI_BOOL(cli, "pin");
  char **files = argv + 1;
  int nfiles = argc - 1;
  static char *dash[] = {"-"};
  int rc = cli_block_format(cli, &version, &codec, &mh);
  bs_env_t *env;
  if (rc || cli_env(cli, 0, &env))
    return 1;
  if (nfiles == 0) {
    files = dash;
    nfiles = 1;
  }
  for (int f = 0; f < nfiles && !rc; f++) {
    int fd = strcmp(files[f], "-") ? open(files[f], O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
      rc = cli_failf("block put: %s: %s", files[f], strerror(errno));
      break;
    }
    tr_bytes_t b = {0};
    int e = cli_read_all(fd, &b, BS_MAX_BLOCK);
    if (fd)
      close(fd);
    dag_cid_t cid;
    if (!e)
      e = dag_cid_sum(&cid, version, codec, mh, b.data, b.len);
    if (!e)
      e = bs_put_one(env, &cid, b.data, b.len, pin);
    tr_bytes_free(&b);
    if (e) {
      rc = cli_fail("block put", e);
      break;
    }
    char s[DAG_CID_STR_MAX];
    printf("%s\n", dag_cid_str(&cid, s));
  }
  return rc;
}

/* block get and block stat: look up the one CID argument and hand the
 * block to show() inside the read transaction. */
static int with_block(cli_t *cli, int argc, char **argv, const char *what,
                      int (*show)(const dag_cid_t *, const uint8_t *, size_t)) {
  if (argc != 2)
    return cli_failf("%s: usage: trove %s CID", what, what);
  dag_cid_t cid;
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, BS_RDONLY, &txn);
  if (rc)
    return cli_fail(what, rc);
  if (cli_resolve_path(txn, argv[1], &cid)) { /* Kubo takes a path */
    bs_txn_abort(txn);
    return 1;
  }
  const uint8_t *data;
  size_t len;
  rc = bs_get(txn, &cid, &data, &len);
  if (!rc)
    rc = show(&cid, data, len);
  bs_txn_abort(txn);
  return rc ? cli_failf("%s %s: %s", what, argv[1], tr_strerror(rc)) : 0;
}

static int show_bytes(const dag_cid_t *cid, const uint8_t *data, size_t len) {
  (void)cid;
  return cli_write_out(data, len);
}

static int show_stat(const dag_cid_t *cid, const uint8_t *data, size_t len) {
  (void)data;
  char s[DAG_CID_STR_MAX];
  printf("Key: %s\nSize: %zu\n", dag_cid_str(cid, s), len);
  return 0;
}

int cmd_block_get(cli_t *cli, int argc, char **argv) {
  return with_block(cli, argc, argv, "block get", show_bytes);
}

int cmd_block_stat(cli_t *cli, int argc, char **argv) {
  return with_block(cli, argc, argv, "block stat", show_stat);
}

int cmd_block_rm(cli_t *cli, int argc, char **argv) {
  bool force = CLI_BOOL(cli, "force"), quiet = CLI_BOOL(cli, "quiet");
  int rc = 0, first = 1;
  if (first == argc)
    return cli_failf("block rm: usage: trove block rm [-f] [-q] CID...");
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  for (int i = first; i < argc; i++) {
    dag_cid_t cid;
    bs_txn_t *txn;
    int e = bs_txn_begin(env, 0, &txn);
    if (e)
      return cli_fail("block rm", e);
    if (cli_resolve_path(txn, argv[i], &cid)) { /* the block at a path */
      bs_txn_abort(txn);
      rc = 1;
      continue;
    }
    bs_pin_t pin;
    char s[DAG_CID_STR_MAX], v[DAG_CID_STR_MAX];
    e = bs_pin_get(txn, &cid, BS_PIN_ALL, &pin);
    if (e == 1) {
      bs_txn_abort(txn);
      if (pin.type == BS_PIN_INDIRECT)
        cli_failf("cannot remove %s: pinned via %s", argv[i],
                  dag_cid_str(&pin.via, v));
      else
        cli_failf("cannot remove %s: pinned: %s", argv[i],
                  pin.type == BS_PIN_RECURSIVE ? "recursive" : "direct");
      rc = 1;
      continue;
    }
    if (e == 0)
      e = bs_del(txn, &cid);
    if (e == TR_ENOTFOUND && force)
      e = 0;
    e = e ? (bs_txn_abort(txn), e) : bs_txn_commit(txn);
    if (e) {
      cli_failf("cannot remove %s: %s", argv[i], tr_strerror(e));
      rc = 1;
    } else if (!quiet)
      printf("removed %s\n", dag_cid_str(&cid, s));
  }
  return rc;
}
