/*
 * cmd_p2p.c — `trove p2p listen|forward|ls|close` and `trove p2p stream
 * ls|close` (Kubo's libp2p stream mounting) through a running daemon's
 * API (rpc/rpc_p2p.c), printed as Kubo's CLI prints them: the listings
 * through Go's tabwriter (minwidth 1, tabwidth 2, padding 1, spaces),
 * with -v/--headers a header line before every row as Kubo writes it,
 * `close` as "Closed N stream(s)".  Without a daemon they answer as
 * Kubo's offline CLI: "libp2p stream mounting not enabled" when the
 * config does not enable it, else that they need online mode.
 */
#include <string.h>

#include "../config/config.h"
#include "remote_int.h"

int cmd_p2p_offline(cli_t *c, int n, char **v) {
  (void)n, (void)v;
  json_t *cfg = NULL;
  bool on = !config_load(c->repo, &cfg) &&
            json_is_true(config_get(cfg, "Experimental.Libp2pStreamMounting"));
  json_decref(cfg);
  if (!on)
    return cli_failf("%s: libp2p stream mounting not enabled",
                     c->v.def->name);
  return cli_failf("%s: this command must be run in online mode (start "
                   "'trove daemon')", c->v.def->name);
}

/* Rows of ncol cells through Go's tabwriter as Kubo sets it up: every
 * column but the last padded to its widest cell plus one space. */
#define COLS 4
static void tab_print(const char *(*rows)[COLS], size_t nrows, int ncol) {
  size_t w[COLS] = {0};
  for (size_t i = 0; i < nrows; i++)
    for (int j = 0; j < ncol - 1; j++)
      if (strlen(rows[i][j]) + 1 > w[j])
        w[j] = strlen(rows[i][j]) + 1;
  for (size_t i = 0; i < nrows; i++) {
    for (int j = 0; j < ncol - 1; j++)
      printf("%-*s", (int)w[j], rows[i][j]);
    printf("%s\n", rows[i][ncol - 1]);
  }
}

/* A listing's array member key, each entry's members keys[0..ncol), with
 * head (or NULL) before each row. */
static int listing(remote_t *r, const char *cmd, const char *key,
                   const char *const *keys, int ncol,
                   const char *const *head) {
  json_t *o = cli__ask(r, cmd);
  if (!o)
    return 1;
  json_t *arr = json_object_get(o, key), *e;
  size_t n = json_array_size(arr), i, k = 0;
  const char *(*rows)[COLS] = tr_calloc(2 * n + 1, sizeof *rows);
  if (!rows) {
    json_decref(o);
    return cli_failf("%s: out of memory", r->what);
  }
  json_array_foreach(arr, i, e) {
    if (head)
      for (int j = 0; j < ncol; j++)
        rows[k][j] = head[j];
    k += head ? 1 : 0;
    for (int j = 0; j < ncol; j++)
      rows[k][j] = cli__jstr(e, keys[j]);
    k++;
  }
  tab_print(rows, k, ncol);
  tr_free(rows);
  json_decref(o);
  return 0;
}

/* A command with no answer but success. */
static int quiet(remote_t *r, const char *cmd) {
  json_t *o;
  if (cli__call(r, cmd))
    return 1;
  int rc;
  while ((rc = cli__next_value(r, &o)) > 0)
    json_decref(o);
  return rc < 0;
}

/* listen and forward; with --foreground Kubo's lines as the daemon's
 * answer goes (until `p2p close`, or until this process is stopped: the
 * daemon then removes the listener). */
static int mount(remote_t *r, const char *cmd, bool fwd) {
  json_t *o;
  if (cli__call(r, cmd))
    return 1;
  int rc;
  while ((rc = cli__next_value(r, &o)) > 0) {
    const char *st = cli__jstr(o, "Status");
    const char *pr = cli__jstr(o, "Protocol"), *ad = cli__jstr(o, "Address");
    if (!strcmp(st, "active") && fwd)
      printf("Forwarding %s to %s, waiting for interrupt...\n", pr, ad);
    else if (!strcmp(st, "active"))
      printf("Listening on %s, forwarding to %s, waiting for "
             "interrupt...\n", pr, ad);
    else if (!strcmp(st, "closing"))
      printf("Received interrupt, removing %s for %s\n",
             fwd ? "forwarder" : "listener", pr);
    fflush(stdout);
    json_decref(o);
  }
  return rc < 0;
}

int cli__remote_p2p_listen(remote_t *r, int argc, char **argv) {
  if (argc != 3)
    return cli_failf("p2p listen: usage: trove p2p listen PROTOCOL "
                     "TARGET-ADDRESS");
  return cli__qargs(r, argc, argv) || mount(r, "p2p/listen", false);
}

int cli__remote_p2p_forward(remote_t *r, int argc, char **argv) {
  if (argc != 4)
    return cli_failf("p2p forward: usage: trove p2p forward PROTOCOL "
                     "LISTEN-ADDRESS TARGET-ADDRESS");
  return cli__qargs(r, argc, argv) || mount(r, "p2p/forward", true);
}

int cli__remote_p2p_ls(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("p2p ls: takes no arguments");
  static const char *const keys[] = {"Protocol", "ListenAddress",
                                     "TargetAddress"};
  static const char *const head[] = {"Protocol", "Listen Address",
                                     "Target Address"};
  return listing(r, "p2p/ls", "Listeners", keys, 3,
                 rpc_vals_bool(r->v, "headers") ? head : NULL);
}

int cli__remote_p2p_close(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("p2p close: takes no arguments");
  json_t *o = cli__ask(r, "p2p/close");
  if (!o)
    return 1;
  printf("Closed %lld stream(s)\n", (long long)json_integer_value(o));
  json_decref(o);
  return 0;
}

int cli__remote_p2p_stream_ls(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("p2p stream ls: takes no arguments");
  static const char *const keys[] = {"HandlerID", "Protocol",
                                     "OriginAddress", "TargetAddress"};
  static const char *const head[] = {"ID", "Protocol", "Origin", "Target"};
  return listing(r, "p2p/stream/ls", "Streams", keys, 4,
                 rpc_vals_bool(r->v, "headers") ? head : NULL);
}

int cli__remote_p2p_stream_close(remote_t *r, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("p2p stream close: usage: trove p2p stream close "
                     "[-a] [ID]");
  return cli__qargs(r, argc, argv) || quiet(r, "p2p/stream/close");
}
