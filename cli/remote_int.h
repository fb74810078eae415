/*
 * remote_int.h — what cmd_remote.c (the plumbing and the simple commands)
 * and cmd_remote_up.c (the uploads: add, block put, dag import) share.
 * Internal to cli/.
 */
#ifndef CLI_REMOTE_INT_H
#define CLI_REMOTE_INT_H

#include <jansson.h>

#include "api_client.h"
#include "cli.h"

#define READ_SIZE (1u << 20)

typedef struct remote {
  char host[64];
  int port;
  const char *what; /* command name for messages */
  const rpc_vals_t *v; /* the command's options */
  cli_t *cli;
  tr_bytes_t q;     /* query string being built */
  tr_bytes_t body_args; /* more arguments, a line each (cli__qargs_many) */
  cli_http_t h;
} remote_t;

/* What add prints as its answer comes (cmd_remote_up.c). */
typedef struct add_out {
  bool quiet, quieter;
  char last[DAG_CID_STR_MAX];
  char file[4096];          /* the file progress was last reported for */
  uint64_t prev, file_bytes; /* bytes of the files before it, of it */
  cli_progress_t bar;
} add_out_t;

/* An upload in progress (cmd_remote_up.c). */
typedef struct up {
  remote_t *r;
  add_out_t out;
  char boundary[48];
  int parts;
  bool recursive;
  cli_filter_t filter; /* --hidden, --ignore, --ignore-rules-path */
  bool pass; /* regular files go as passed descriptors (file_part) */
  uint8_t *buf;
  /* The argument being sent, as an absolute path, and the length of its
   * name in the parts' paths: each file's part carries its absolute path
   * (Abspath-Encoded), as Kubo's client sends it, for add --nocopy. */
  char absbase[8200];
  size_t namelen;
} up_t;

/* Append key=value to the query; prints the error itself.  0 or 1. */
int cli__qadd(remote_t *r, const char *k, const char *v);
/* Connect and send the request (with a chunked body when ctype is set). */
int cli__start(remote_t *r, const char *cmd, const char *ctype);
/* Read the answer's head; a non-200 answer is reported.  0 or 1. */
int cli__answer(remote_t *r);
/* start + answer for a request without a body. */
int cli__call(remote_t *r, const char *cmd);
/* cli__call with one file b[0..n) as the multipart body (a part named
 * part), as Kubo's CLI sends a file argument; then the answer's head.
 * 0, or 1 (reported). */
int cli__send_file(remote_t *r, const char *cmd, const char *part,
                   const uint8_t *b, size_t n);
/* The next NDJSON value: 1 and *o (caller's reference), 0 at the end, -1
 * on an error value or a cut answer (reported). */
int cli__next_value(remote_t *r, json_t **o);
/* The answer's body to stdout. */
int cli__body_out(remote_t *r);
/* cli__call, then its one JSON answer (the caller's reference), or NULL
 * when the call failed or answered an error (printed). */
json_t *cli__ask(remote_t *r, const char *cmd);
/* Whether the daemon takes passed files (rpc/opts.h, RPC_UP_FD_TYPE): it
 * listens on the repo's Unix socket and its /api/v0/passfd says so (an
 * older daemon would take them for empty files), and TROVE_PASS_FDS is
 * not 0.  Asked over a connection of its own. */
bool cli__passes_fds(remote_t *r);
/* A string member, "" when absent. */
const char *cli__jstr(json_t *o, const char *k);
/* Append every option given (with an API name) to the query, typed
 * values as text; argv[1..argc) as "arg"s.  0 or 1 (reported). */
int cli__qopts(remote_t *r, const rpc_vals_t *v);
int cli__qargs(remote_t *r, int argc, char **argv);
/* The arguments argv[1..argc) of a command whose daemon reads more from
 * the body (rpc_cmddef_stdin_args; main.c has read stdin's when none were
 * given): those that would take the URL past CLI_URL_ARGS_MAX go in the
 * body, which cli__call sends as Kubo's CLI does.  Returns how many (0:
 * the caller prints its usage), or -1 (reported). */
#define CLI_URL_ARGS_MAX (8u << 10)
int cli__qargs_many(remote_t *r, int argc, char **argv);

/* filestore ls, verify and dups (cmd_filestore.c; r->what says which). */
int cli__remote_filestore(remote_t *r, int argc, char **argv);
/* The upload commands (cmd_remote_up.c). */
int cli__remote_add(remote_t *r, int argc, char **argv);
/* cmd_mfs.c: the files commands through the daemon (r->what says which;
 * files write's upload is cli__remote_files_write). */
int cli__remote_files(remote_t *r, int argc, char **argv);
int cli__remote_files_write(remote_t *r, int argc, char **argv);
int cli__remote_block_put(remote_t *r, int argc, char **argv);
int cli__remote_dag_put(remote_t *r, int argc, char **argv);
int cli__remote_dag_import(remote_t *r, int argc, char **argv);
/* The swarm commands, ping and id (cmd_swarm.c). */
int cli__remote_swarm_peers(remote_t *r, int argc, char **argv);
int cli__remote_swarm_connect(remote_t *r, int argc, char **argv);
int cli__remote_swarm_disconnect(remote_t *r, int argc, char **argv);
int cli__remote_swarm_addrs(remote_t *r, int argc, char **argv);
int cli__remote_swarm_addrs_local(remote_t *r, int argc, char **argv);
int cli__remote_swarm_filters(remote_t *r, int argc, char **argv);
int cli__remote_log_level(remote_t *r, int argc, char **argv);
int cli__remote_log_ls(remote_t *r, int argc, char **argv);
int cli__remote_log_tail(remote_t *r, int argc, char **argv);
int cli__remote_swarm_addrs_autonat(remote_t *r, int argc, char **argv);
int cli__remote_swarm_peering_add(remote_t *r, int argc, char **argv);
int cli__remote_swarm_peering_ls(remote_t *r, int argc, char **argv);
int cli__remote_swarm_peering_rm(remote_t *r, int argc, char **argv);
/* cmd_p2p.c */
int cli__remote_p2p_listen(remote_t *r, int argc, char **argv);
int cli__remote_p2p_forward(remote_t *r, int argc, char **argv);
int cli__remote_p2p_ls(remote_t *r, int argc, char **argv);
int cli__remote_p2p_close(remote_t *r, int argc, char **argv);
int cli__remote_p2p_stream_ls(remote_t *r, int argc, char **argv);
int cli__remote_p2p_stream_close(remote_t *r, int argc, char **argv);
int cli__remote_ping(remote_t *r, int argc, char **argv);
int cli__remote_id(remote_t *r, int argc, char **argv);
/* The DHT commands (cmd_routing.c). */
int cli__remote_findprovs(remote_t *r, int argc, char **argv);
int cli__remote_findpeer(remote_t *r, int argc, char **argv);
int cli__remote_provide(remote_t *r, int argc, char **argv);
int cli__remote_routing_get(remote_t *r, int argc, char **argv);
int cli__remote_routing_put(remote_t *r, int argc, char **argv);
int cli__remote_dht_query(remote_t *r, int argc, char **argv);
int cli__remote_stats_dht(remote_t *r, int argc, char **argv);
int cli__remote_name_publish(remote_t *r, int argc, char **argv);
int cli__remote_name_resolve(remote_t *r, int argc, char **argv);
int cli__remote_name_get(remote_t *r, int argc, char **argv); /* cmd_name.c */
int cli__remote_name_put(remote_t *r, int argc, char **argv);
int cli__remote_resolve(remote_t *r, int argc, char **argv);
int cli__remote_provide_stat(remote_t *r, int argc, char **argv);
int cli__remote_provide_once(remote_t *r, int argc, char **argv);
int cli__remote_provide_clear(remote_t *r, int argc, char **argv);
/* The diag commands (cmd_diag.c). */
int cli__remote_diag_cmds(remote_t *r, int argc, char **argv);
int cli__remote_diag_cmds_clear(remote_t *r, int argc, char **argv);
int cli__remote_diag_cmds_set_time(remote_t *r, int argc, char **argv);
int cli__remote_diag_json(remote_t *r, int argc, char **argv);
/* The keystore's commands (cmd_key.c). */
int cli__remote_key_gen(remote_t *r, int argc, char **argv);
int cli__remote_key_ls(remote_t *r, int argc, char **argv);
int cli__remote_key_rm(remote_t *r, int argc, char **argv);
int cli__remote_key_rename(remote_t *r, int argc, char **argv);
int cli__remote_key_import(remote_t *r, int argc, char **argv);
/* cmd_pubsub.c */
int cli__remote_pubsub_pub(remote_t *r, int argc, char **argv);
int cli__remote_pubsub_sub(remote_t *r, int argc, char **argv);
int cli__remote_pubsub_ls(remote_t *r, int argc, char **argv);
int cli__remote_pubsub_peers(remote_t *r, int argc, char **argv);
int cli__remote_pubsub_reset(remote_t *r, int argc, char **argv);
/* The bitswap and bandwidth commands (cmd_bitswap.c). */
int cli__remote_bitswap_stat(remote_t *r, int argc, char **argv);
int cli__remote_bitswap_wantlist(remote_t *r, int argc, char **argv);
int cli__remote_bitswap_ledger(remote_t *r, int argc, char **argv);
int cli__remote_bitswap_reprovide(remote_t *r, int argc, char **argv);
int cli__remote_stats_bitswap(remote_t *r, int argc, char **argv);
int cli__remote_stats_bw(remote_t *r, int argc, char **argv);
/* The scrubber's commands (cmd_scrub.c). */
int cli__remote_scrub_status(remote_t *r, int argc, char **argv);
int cli__remote_scrub_start(remote_t *r, int argc, char **argv);
/* The follows' commands (cmd_follow.c). */
int cli__remote_mirror_follow(remote_t *r, int argc, char **argv);
int cli__remote_mirror_unfollow(remote_t *r, int argc, char **argv);
int cli__remote_mirror_sync(remote_t *r, int argc, char **argv);
int cli__remote_mirror_status(remote_t *r, int argc, char **argv);

#endif /* CLI_REMOTE_INT_H */
