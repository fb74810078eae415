/*
 * cmd_dagcmd.c — `trove dag get|put|resolve|stat` without a daemon, as
 * Kubo's `ipfs dag` prints them (the work is rpc/dagcmd.c's; with a daemon
 * the same commands go through its API: cmd_remote.c, cmd_remote_up.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "../dag/multihash.h"
#include "../rpc/dagcmd.h"
#include "cli.h"

/* A codec option's code, or 0 after reporting. */
static uint64_t codec_opt(cli_t *cli, const char *cmd, const char *opt,
                          uint64_t dflt) {
  const char *s = CLI_STR(cli, opt);
  if (!s || !*s)
    return dflt;
  uint64_t c = ipld_codec_code(s);
  if (!c)
    cli_failf("%s: unknown multicodec: \"%s\"", cmd, s);
  return c;
}

/* A read transaction on the repo for cmd: 0, or non-zero once reported. */
static int read_txn(cli_t *cli, const char *cmd, bs_txn_t **txn) {
  bs_env_t *env;
  if (cli_env(cli, BS_RDONLY, &env))
    return 1;
  int rc = bs_txn_begin(env, BS_RDONLY, txn);
  return rc ? cli_fail(cmd, rc) : 0;
}

int cmd_dag_get(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("dag get: usage: trove dag get [--output-codec=C] "
                     "CID[/path]");
  uint64_t codec = codec_opt(cli, "dag get", "output-codec",
                             IPLD_CODEC_DAG_JSON);
  bs_txn_t *txn;
  if (!codec || read_txn(cli, "dag get", &txn))
    return 1;
  tr_bytes_t out = {0};
  char err[RPC_DAG_ERR_MAX];
  int rc = rpc_dag_get(argv[1], codec, bs_get_cb, txn, &out, err);
  bs_txn_abort(txn);
  if (!rc)
    rc = cli_write_out(out.data, out.len);
  tr_bytes_free(&out);
  if (rc)
    return err[0] ? cli_failf("dag get: %s", err) : cli_fail("dag get", rc);
  return 0;
}

int cmd_dag_resolve(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("dag resolve: usage: trove dag resolve CID[/path]");
  bs_txn_t *txn;
  if (read_txn(cli, "dag resolve", &txn))
    return 1;
  dag_cid_t cid;
  char rem[4096], err[RPC_DAG_ERR_MAX], s[DAG_CID_STR_MAX];
  int rc = rpc_dag_walk(argv[1], bs_get_cb, txn, &cid, rem, sizeof rem, err);
  bs_txn_abort(txn);
  if (rc)
    return err[0] ? cli_failf("dag resolve: %s", err)
                  : cli_fail("dag resolve", rc);
  /* Kubo writes no newline after it; a shell wants one. */
  printf("%s%s\n", dag_cid_str(&cid, s), rem);
  return 0;
}

void cli_dag_stat_print(json_t *o) {
  json_t *stats = json_object_get(o, "DagStats");
  size_t i;
  json_t *e;
  const char *first =
      json_string_value(json_object_get(json_array_get(stats, 0), "Cid"));
  int w = first ? (int)strlen(first) : 3;
  /* Kubo's table: a CSV writer with tabs, the header padded to the first
   * CID, then the summary. */
  printf("\n%-*s\t%-15s\tSize\n", w, "CID", "Blocks");
  json_array_foreach(stats, i, e) {
    char nb[24];
    snprintf(nb, sizeof nb, "%lld",
             (long long)json_integer_value(json_object_get(e, "NumBlocks")));
    printf("%s\t%-15s\t%lld\n", json_string_value(json_object_get(e, "Cid")),
           nb, (long long)json_integer_value(json_object_get(e, "Size")));
  }
  uint64_t total = (uint64_t)json_integer_value(json_object_get(o, "TotalSize"));
  uint64_t shared =
      (uint64_t)json_integer_value(json_object_get(o, "SharedSize"));
  char a[32], b[32];
  printf("\nSummary\nTotal Size: %llu (%s)\nUnique Blocks: %lld\nShared Size: "
         "%llu (%s)\nRatio: %f\n\n\n",
         (unsigned long long)total, cli_humanize(total, a, sizeof a),
         (long long)json_integer_value(json_object_get(o, "UniqueBlocks")),
         (unsigned long long)shared, cli_humanize(shared, b, sizeof b),
         json_number_value(json_object_get(o, "Ratio")));
}

int cmd_dag_stat(cli_t *cli, int argc, char **argv) {
  if (argc < 2)
    return cli_failf("dag stat: usage: trove dag stat CID...");
  bs_txn_t *txn;
  if (read_txn(cli, "dag stat", &txn))
    return 1;
  int rc = 0;
  rpc_dag_stat_t st = {0};
  char err[RPC_DAG_ERR_MAX], rem[4096], s[DAG_CID_STR_MAX];
  for (int i = 1; i < argc && !rc; i++) {
    dag_cid_t root, missing;
    rc = rpc_dag_walk(argv[i], bs_get_cb, txn, &root, rem, sizeof rem, err);
    if (!rc && rem[0]) {
      snprintf(err, sizeof err, "%s: the path ends inside a block", argv[i]);
      rc = TR_EPATHREM;
    }
    if (!rc && (rc = rpc_dag_stat_add(&st, txn, &root, NULL, NULL,
                                      &missing)) == TR_ENOTFOUND)
      snprintf(err, sizeof err, "error traversing DAG: block %s is not in "
               "the repo", dag_cid_str(&missing, s));
  }
  bs_txn_abort(txn);
  json_t *o = rc ? NULL : rpc_dag_stat_json(&st, false);
  rpc_dag_stat_free(&st);
  if (!rc && !o)
    rc = -ENOMEM;
  if (rc)
    return err[0] ? cli_failf("dag stat: %s", err) : cli_fail("dag stat", rc);
  cli_dag_stat_print(o);
  json_decref(o);
  return 0;
}

int cmd_dag_put(cli_t *cli, int argc, char **argv) {
  uint64_t in = codec_opt(cli, "dag put", "input-codec", IPLD_CODEC_DAG_JSON);
  uint64_t store = in ? codec_opt(cli, "dag put", "store-codec",
                                  IPLD_CODEC_DAG_CBOR)
                      : 0;
  uint64_t mh = DAG_MH_SHA2_256;
  const char *h = CLI_STR(cli, "hash");
  if (!in || !store)
    return 1;
  if (h && *h && dag_mh_from_name(h, &mh))
    return cli_failf("dag put: unknown multicodec: \"%s\"", h);
  bool pin = CLI_BOOL(cli, "pin"), big = CLI_BOOL(cli, "allow-big-block");
  static char *dash[] = {NULL, "-"};
  if (argc < 2) {
    argv = dash;
    argc = 2;
  }
  bs_env_t *env;
  if (cli_env(cli, 0, &env))
    return 1;
  tr_bytes_t buf = {0}, block = {0};
  int rc = 0;
  for (int f = 1; f < argc && !rc; f++) {
    int fd = strcmp(argv[f], "-") ? open(argv[f], O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) {
      rc = cli_failf("dag put: %s: %s", argv[f], strerror(errno));
      break;
    }
    buf.len = block.len = 0;
    int e = cli_read_all(fd, &buf, 4 * (size_t)BS_MAX_BLOCK);
    if (fd)
      close(fd);
    char err[RPC_DAG_ERR_MAX], s[DAG_CID_STR_MAX];
    dag_cid_t cid;
    err[0] = 0;
    if (!e)
      e = rpc_dag_put(buf.data, buf.len, in, store, mh, &block, &cid, err);
    if (!e && block.len > (big ? (size_t)BS_MAX_BLOCK : (size_t)2 << 20)) {
      snprintf(err, sizeof err, "produced block is over %s: big blocks "
               "can't be exchanged with other peers; pass --allow-big-block "
               "to override", big ? "4MiB" : "2MiB");
      e = TR_ETOOBIG;
    }
    if (!e)
      e = bs_put_one(env, &cid, block.data, block.len, pin);
    if (e)
      rc = err[0] ? cli_failf("dag put: %s: %s", argv[f], err)
                  : cli_fail("dag put", e);
    else
      printf("%s\n", dag_cid_str(&cid, s));
  }
  tr_bytes_free(&buf);
  tr_bytes_free(&block);
  return rc ? 1 : 0;
}
