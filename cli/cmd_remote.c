/*
 * cmd_remote.c — CLI commands that go through a running daemon's RPC API
 * (issue 5: "CLI commands use the API when a daemon holds the repo").
 *
 * LMDB lets any number of processes read the repo safely, but the daemon
 * should be the only writer - it holds the gc lock for its uploads, and
 * its in-flight imports are only safe from a GC that it runs.  So when
 * <repo>/api names a daemon that answers, the writing commands (add, pin
 * add/rm, repo gc, block put/rm, dag import) and the ones asked for besides
 * (cat, pin ls, block get) are sent to its API with Kubo's parameters, and the
 * answers are printed exactly as the local commands print them.  Commands
 * not listed here run locally as before; so does `add -n` (nothing to
 * write), and everything when TROVE_OFFLINE=1.
 *
 * The uploads (add, block put, dag import) live in cmd_remote_up.c; what
 * the two files share is in remote_int.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../node/daemon.h"
#include "remote_int.h"

/* ---------------------------------------------------- reads: cat, block */

static int r_cat(remote_t *r, int argc, char **argv) {
  if (argc < 2)
    return cli_failf("cat: usage: trove cat [--offset N] [--length N] "
                     "CID[/path]... (or one a line on stdin)");
  return cli__qargs_many(r, argc, argv) < 0 || cli__call(r, "cat") ||
         cli__body_out(r);
}

static int r_block_get(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("block get: usage: trove block get CID");
  return cli__qadd(r, "arg", argv[1]) || cli__call(r, "block/get") || cli__body_out(r);
}

/* ------------------------------------------------------------------ dag */

static int r_dag_get(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("dag get: usage: trove dag get [--output-codec=C] "
                     "CID[/path]");
  return cli__qadd(r, "arg", argv[1]) || cli__call(r, "dag/get") ||
         cli__body_out(r);
}

static int r_dag_resolve(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("dag resolve: usage: trove dag resolve CID[/path]");
  json_t *o = cli__qadd(r, "arg", argv[1]) ? NULL : cli__ask(r, "dag/resolve");
  if (!o)
    return 1;
  printf("%s%s\n", cli__jstr(json_object_get(o, "Cid"), "/"),
         cli__jstr(o, "RemPath"));
  json_decref(o);
  return 0;
}

static int r_dag_stat(remote_t *r, int argc, char **argv) {
  if (argc < 2)
    return cli_failf("dag stat: usage: trove dag stat CID...");
  if (cli__qargs(r, argc, argv) || cli__qadd(r, "progress", "false"))
    return 1;
  json_t *o = cli__ask(r, "dag/stat");
  if (!o)
    return 1;
  cli_dag_stat_print(o);
  json_decref(o);
  return 0;
}

/* ------------------------------------------------------------------ pins */

static int r_pin_add(remote_t *r, int argc, char **argv) {
  bool recursive = rpc_vals_bool(r->v, "recursive");
  int n = cli__qargs_many(r, argc, argv);
  if (!n)
    return cli_failf("pin add: usage: trove pin add [--recursive=false] "
                     "CID... (or a CID a line on stdin)");
  if (n < 0 || cli__call(r, "pin/add"))
    return 1;
  json_t *o;
  bool progress = false;
  int rc;
  /* With --progress, {"Progress":N} values come first: Kubo's line. */
  while ((rc = cli__next_value(r, &o)) > 0 &&
         json_is_integer(json_object_get(o, "Progress"))) {
    fprintf(stderr, "\rFetched/Processed %lld nodes",
            (long long)json_integer_value(json_object_get(o, "Progress")));
    progress = true;
    json_decref(o);
  }
  if (progress)
    fputc('\n', stderr);
  if (rc <= 0)
    return 1;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(o, "Pins"), i, p)
    printf("pinned %s %s\n", json_string_value(p),
           recursive ? "recursively" : "directly");
  json_decref(o);
  return 0;
}

static int r_pin_update(remote_t *r, int argc, char **argv) {
  if (argc != 3)
    return cli_failf("pin update: usage: trove pin update FROM TO");
  json_t *o;
  if (cli__qargs(r, argc, argv) || cli__call(r, "pin/update") ||
      cli__next_value(r, &o) <= 0)
    return 1;
  printf("updated %s to %s\n", argv[1], argv[2]);
  json_decref(o);
  return 0;
}

static int r_pin_rm(remote_t *r, int argc, char **argv) {
  int n = cli__qargs_many(r, argc, argv);
  if (!n)
    return cli_failf("pin rm: usage: trove pin rm [--recursive=false] "
                     "CID... (or a CID a line on stdin)");
  if (n < 0 || cli__call(r, "pin/rm"))
    return 1;
  json_t *o;
  if (cli__next_value(r, &o) <= 0)
    return 1;
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(o, "Pins"), i, p)
    printf("unpinned %s\n", json_string_value(p));
  json_decref(o);
  return 0;
}

static int r_pin_ls(remote_t *r, int argc, char **argv) {
  bool quiet = rpc_vals_bool(r->v, "quiet");
  bool names = rpc_vals_bool(r->v, "names") || rpc_vals_str(r->v, "name");
  if (cli_pin_type(rpc_vals_str(r->v, "type")) < 0)
    return 1;
  if (cli__qargs(r, argc, argv) ||
      (!rpc_vals_isset(r->v, "stream") && cli__qadd(r, "stream", "true")) ||
      cli__call(r, "pin/ls"))
    return 1;
  json_t *o;
  int rc;
  while ((rc = cli__next_value(r, &o)) > 0) {
    const char *name = cli__jstr(o, "Name");
    if (quiet)
      printf("%s\n", cli__jstr(o, "Cid"));
    else if (names && *name)
      printf("%s %s %s\n", cli__jstr(o, "Cid"), cli__jstr(o, "Type"), name);
    else
      printf("%s %s\n", cli__jstr(o, "Cid"), cli__jstr(o, "Type"));
    json_decref(o);
  }
  return rc < 0;
}

/* ------------------------------------------------------------- shutdown */

static int r_shutdown(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("shutdown: takes no arguments");
  return cli__call(r, "shutdown");
}

/* No daemon answered: Kubo's words. */
int cmd_shutdown(cli_t *cli, int argc, char **argv) {
  (void)cli, (void)argc, (void)argv;
  return cli_failf("shutdown: no daemon is running on this repo (this "
                   "command must be run in online mode)");
}

/* ------------------------------------------------------------- repo gc */

static int r_repo_gc(remote_t *r, int argc, char **argv) {
  (void)argv;
  bool quiet = rpc_vals_bool(r->v, "quiet");
  if (argc != 1)
    return cli_failf("repo gc: takes no arguments");
  if (cli__call(r, "repo/gc"))
    return 1;
  json_t *o;
  int rc;
  unsigned long long removed = 0;
  while ((rc = cli__next_value(r, &o)) > 0) {
    removed++;
    if (!quiet)
      printf("removed %s\n", cli__jstr(json_object_get(o, "Key"), "/"));
    json_decref(o);
  }
  if (rc == 0 && !quiet)
    fprintf(stderr, "gc: %llu removed (through the daemon)\n", removed);
  return rc < 0;
}

/* repo verify --heal: the daemon fetches (rpc_verify.c); its lines as
 * Kubo's CLI prints them, the summary an error when blocks stay
 * corrupt (cli__next_value reports it). */
static bool verify_wants(const rpc_vals_t *v) {
  return rpc_vals_bool(v, "heal");
}

static int r_repo_verify(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("repo verify: takes no arguments");
  if (cli__call(r, "repo/verify"))
    return 1;
  json_t *o;
  int rc;
  while ((rc = cli__next_value(r, &o)) > 0) {
    const char *msg = cli__jstr(o, "Msg");
    if (*msg)
      printf("%s\n", msg);
    json_decref(o);
  }
  return rc < 0;
}

/* -------------------------------------------------------------- blocks */

static int r_block_rm(remote_t *r, int argc, char **argv) {
  bool quiet = rpc_vals_bool(r->v, "quiet");
  if (argc < 2)
    return cli_failf("block rm: usage: trove block rm [-f] [-q] CID...");
  if (cli__qargs(r, argc, argv) || cli__call(r, "block/rm"))
    return 1;
  json_t *o;
  int rc, failed = 0;
  while ((rc = cli__next_value(r, &o)) > 0) {
    if (*cli__jstr(o, "Error")) {
      cli_failf("cannot remove %s: %s", cli__jstr(o, "Hash"), cli__jstr(o, "Error"));
      failed = 1;
    } else if (!quiet)
      printf("removed %s\n", cli__jstr(o, "Hash"));
    json_decref(o);
  }
  return rc < 0 || failed;
}

/* -------------------------------------------------------------- table */

typedef struct rcmd {
  const char *name;
  int (*fn)(remote_t *r, int argc, char **argv);
  /* NULL, or false when this invocation should run locally. */
  bool (*wants)(const rpc_vals_t *v);
} rcmd_t;

/* add -n writes nothing: hashing locally is faster. */
static bool add_wants(const rpc_vals_t *v) {
  return !rpc_vals_bool(v, "only-hash");
}

static const rcmd_t table[] = {
    {"add", cli__remote_add, add_wants},
    {"cat", r_cat, NULL},
    {"pin add", r_pin_add, NULL},
    {"pin rm", r_pin_rm, NULL},
    {"pin update", r_pin_update, NULL},
    {"pin ls", r_pin_ls, NULL},
    {"repo gc", r_repo_gc, NULL},
    {"repo verify", r_repo_verify, verify_wants},
    {"filestore ls", cli__remote_filestore, NULL},
    {"filestore verify", cli__remote_filestore, NULL},
    {"filestore dups", cli__remote_filestore, NULL},
    {"block get", r_block_get, NULL},
    {"block put", cli__remote_block_put, NULL},
    {"block rm", r_block_rm, NULL},
    {"dag import", cli__remote_dag_import, NULL},
    {"dag get", r_dag_get, NULL},
    {"dag put", cli__remote_dag_put, NULL},
    {"dag resolve", r_dag_resolve, NULL},
    {"dag stat", r_dag_stat, NULL},
    {"files ls", cli__remote_files, NULL},
    {"files stat", cli__remote_files, NULL},
    {"files flush", cli__remote_files, NULL},
    {"files mkdir", cli__remote_files, NULL},
    {"files cp", cli__remote_files, NULL},
    {"files mv", cli__remote_files, NULL},
    {"files rm", cli__remote_files, NULL},
    {"files chcid", cli__remote_files, NULL},
    {"files chmod", cli__remote_files, NULL},
    {"files touch", cli__remote_files, NULL},
    {"files read", cli__remote_files, NULL},
    {"files write", cli__remote_files_write, NULL},
    {"shutdown", r_shutdown, NULL},
    {"swarm peers", cli__remote_swarm_peers, NULL},
    {"swarm connect", cli__remote_swarm_connect, NULL},
    {"swarm disconnect", cli__remote_swarm_disconnect, NULL},
    {"swarm addrs", cli__remote_swarm_addrs, NULL},
    {"swarm addrs local", cli__remote_swarm_addrs_local, NULL},
    {"swarm addrs listen", cli__remote_swarm_addrs_local, NULL},
    {"log level", cli__remote_log_level, NULL},
    {"log ls", cli__remote_log_ls, NULL},
    {"log tail", cli__remote_log_tail, NULL},
    {"pubsub pub", cli__remote_pubsub_pub, NULL},
    {"pubsub sub", cli__remote_pubsub_sub, NULL},
    {"pubsub ls", cli__remote_pubsub_ls, NULL},
    {"pubsub peers", cli__remote_pubsub_peers, NULL},
    {"pubsub reset", cli__remote_pubsub_reset, NULL},
    {"diag cmds", cli__remote_diag_cmds, NULL},
    {"diag cmds clear", cli__remote_diag_cmds_clear, NULL},
    {"diag cmds set-time", cli__remote_diag_cmds_set_time, NULL},
    {"diag sys", cli__remote_diag_json, NULL},
    {"diag healthy", cli__remote_diag_json, NULL},
    {"swarm filters", cli__remote_swarm_filters, NULL},
    {"swarm filters add", cli__remote_swarm_filters, NULL},
    {"swarm filters rm", cli__remote_swarm_filters, NULL},
    {"swarm addrs autonat", cli__remote_swarm_addrs_autonat, NULL},
    {"swarm peering add", cli__remote_swarm_peering_add, NULL},
    {"swarm peering ls", cli__remote_swarm_peering_ls, NULL},
    {"swarm peering rm", cli__remote_swarm_peering_rm, NULL},
    {"p2p listen", cli__remote_p2p_listen, NULL},
    {"p2p forward", cli__remote_p2p_forward, NULL},
    {"p2p ls", cli__remote_p2p_ls, NULL},
    {"p2p close", cli__remote_p2p_close, NULL},
    {"p2p stream ls", cli__remote_p2p_stream_ls, NULL},
    {"p2p stream close", cli__remote_p2p_stream_close, NULL},
    {"ping", cli__remote_ping, NULL},
    {"id", cli__remote_id, NULL},
    {"routing findprovs", cli__remote_findprovs, NULL},
    {"routing findpeer", cli__remote_findpeer, NULL},
    {"routing provide", cli__remote_provide, NULL},
    {"routing get", cli__remote_routing_get, NULL},
    {"routing put", cli__remote_routing_put, NULL},
    {"dht query", cli__remote_dht_query, NULL},
    {"stats dht", cli__remote_stats_dht, NULL},
    {"name publish", cli__remote_name_publish, NULL},
    {"provide stat", cli__remote_provide_stat, NULL},
    {"stats provide", cli__remote_provide_stat, NULL},
    {"provide once", cli__remote_provide_once, NULL},
    {"provide clear", cli__remote_provide_clear, NULL},
    {"name resolve", cli__remote_name_resolve, NULL},
    {"name get", cli__remote_name_get, NULL},
    {"name put", cli__remote_name_put, NULL},
    {"resolve", cli__remote_resolve, NULL},
    {"key gen", cli__remote_key_gen, NULL},
    {"key ls", cli__remote_key_ls, NULL},
    {"key list", cli__remote_key_ls, NULL},
    {"key rm", cli__remote_key_rm, NULL},
    {"key rename", cli__remote_key_rename, NULL},
    {"key import", cli__remote_key_import, NULL},
    {"bitswap stat", cli__remote_bitswap_stat, NULL},
    {"bitswap wantlist", cli__remote_bitswap_wantlist, NULL},
    {"bitswap ledger", cli__remote_bitswap_ledger, NULL},
    {"bitswap reprovide", cli__remote_bitswap_reprovide, NULL},
    {"routing reprovide", cli__remote_bitswap_reprovide, NULL},
    {"stats bitswap", cli__remote_stats_bitswap, NULL},
    {"stats bw", cli__remote_stats_bw, NULL},
    {"mirror scrub status", cli__remote_scrub_status, NULL},
    {"mirror scrub start", cli__remote_scrub_start, NULL},
    {"mirror follow", cli__remote_mirror_follow, NULL},
    {"mirror unfollow", cli__remote_mirror_unfollow, NULL},
    {"mirror sync", cli__remote_mirror_sync, NULL},
    {"mirror status", cli__remote_mirror_status, NULL},
};

bool cli_remote(cli_t *cli, const char *name, int argc, char **argv,
                int *status) {
  const rcmd_t *c = NULL;
  for (size_t i = 0; i < TR_ARRAY_LEN(table); i++)
    if (!strcmp(table[i].name, name))
      c = &table[i];
  const char *off = getenv("TROVE_OFFLINE");
  if (!c || (off && *off && strcmp(off, "0")) ||
      (c->wants && !c->wants(&cli->v)))
    return false;
  remote_t r = {.what = name, .v = &cli->v, .cli = cli, .h = {.fd = -1}};
  if (node_daemon_api(cli->repo, r.host, sizeof r.host, &r.port) != 1)
    return false;
  tr_log(TR_LOG_DEBUG, "%s: through the daemon's API at %s:%d", name, r.host,
         r.port);
  /* The options go as Kubo's query arguments, from the command's table. */
  *status = cli__qopts(&r, &cli->v) ||
                    (cli->offline && cli__qadd(&r, "offline", "true")) ||
                    (cli->timeout && cli__qadd(&r, "timeout", cli->timeout)) ||
                    c->fn(&r, argc, argv)
                ? 1
                : 0;
  cli_http_close(&r.h);
  tr_bytes_free(&r.q);
  tr_bytes_free(&r.body_args);
  fflush(stdout);
  return true;
}

/* ------------------------------------------------------------ prefetch */

/* Is everything down to depth (-1: all) under the CID arg in the local
 * repo?  False for a path (resolving it may need blocks: the daemon
 * decides) and on any doubt. */
static bool local_complete(cli_t *cli, const char *arg, int depth) {
  int ns;
  const char *s = dag_path_rest(arg, &ns);
  dag_cid_t cid;
  bs_env_t *env;
  bs_txn_t *txn;
  if (ns == DAG_NS_IPNS || strchr(s, '/') ||
      dag_cid_parse(&cid, s, strlen(s)) ||
      cli_env(cli, BS_RDONLY, &env) || bs_txn_begin(env, BS_RDONLY, &txn))
    return false;
  bs_walk_t *w;
  int rc = bs_walk_new(&cid, BS_WALK_UNIQUE, depth, &w);
  if (!rc) {
    dag_cid_t c;
    while ((rc = bs_walk_next(w, txn, &c, NULL, NULL)) == 1)
      ;
    bs_walk_free(w);
  }
  bs_txn_abort(txn);
  return rc == 0;
}

void cli_remote_prefetch(cli_t *cli, const char *name, int argc, char **argv) {
  int depth;
  if (!strcmp(name, "get") || !strcmp(name, "dag export"))
    depth = -1;
  else if (!strcmp(name, "refs"))
    depth = CLI_BOOL(cli, "recursive") ? -1 : 1;
  else if (!strcmp(name, "ls"))
    depth = 1;
  else if (!strcmp(name, "block stat"))
    depth = 0;
  else
    return;
  const char *off = getenv("TROVE_OFFLINE");
  if (cli->offline || (off && *off && strcmp(off, "0")))
    return;
  remote_t r = {.what = name, .v = &cli->v, .cli = cli, .h = {.fd = -1}};
  for (int i = 1; i < argc; i++) {
    if (local_complete(cli, argv[i], depth))
      continue;
    if (r.port == 0 &&
        node_daemon_api(cli->repo, r.host, sizeof r.host, &r.port) != 1)
      return; /* no daemon: the local read says what is missing */
    /* The daemon's refs fetches what it walks (the whole DAG at once for
     * -r); the answer itself is not needed. */
    r.q.len = 0;
    if (cli__qadd(&r, "arg", argv[i]) ||
        (depth < 0 && cli__qadd(&r, "recursive", "true")) ||
        (cli->timeout && cli__qadd(&r, "timeout", cli->timeout)))
      break;
    tr_log(TR_LOG_DEBUG, "%s: fetching %s through the daemon", name, argv[i]);
    if (!cli__start(&r, "refs", NULL) && cli_http_response(&r.h) == 0) {
      static uint8_t buf[1 << 16];
      while (cli_http_read(&r.h, buf, sizeof buf) > 0)
        ;
    }
    cli_http_close(&r.h);
    r.h = (cli_http_t){.fd = -1};
  }
  tr_bytes_free(&r.q);
  tr_bytes_free(&r.body_args);
}
