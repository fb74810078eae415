/*
 * cmd_bitswap.c — `trove bitswap stat|wantlist|ledger|reprovide`, `trove
 * stats bitswap` and `trove stats bw` through a running daemon's API
 * (bitswap and the host live in the daemon), printed as Kubo v0.43.1's
 * text encoders print them (core/commands/bitswap.go, stat.go): sizes
 * with --human and in `stats bw` as go-humanize's Bytes writes them
 * ("3.0 MB", SI units).  Without a daemon they say, as Kubo does, that
 * they must run online.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "remote_int.h"

int cmd_bitswap_offline(cli_t *c, int n, char **v) {
  (void)c, (void)n, (void)v;
  return cli_failf("this command must be run in online mode (start 'trove "
                   "daemon')");
}

static uint64_t jint(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? (uint64_t)json_integer_value(v)
                            : (uint64_t)json_number_value(v);
}

/* One JSON answer, or the error that replaced it (printed); NULL then. */
static json_t *one(remote_t *r, const char *cmd, int argc, char **argv) {
  json_t *o;
  if ((argc > 1 && cli__qargs(r, argc, argv)) || cli__call(r, cmd) ||
      cli__next_value(r, &o) <= 0)
    return NULL;
  json_t *t = json_object_get(o, "Type");
  if (json_is_string(t) && !strcmp(json_string_value(t), "error")) {
    cli_failf("%s", cli__jstr(o, "Message"));
    json_decref(o);
    return NULL;
  }
  return o;
}

static void size_line(const char *what, uint64_t v, bool human) {
  char b[32];
  if (human)
    printf("\t%s: %s\n", what, cli_humanize(v, b, sizeof b));
  else
    printf("\t%s: %llu\n", what, (unsigned long long)v);
}

int cli__remote_bitswap_stat(remote_t *r, int argc, char **argv) {
  if (argc != 1)
    return cli_failf("usage: trove bitswap stat [-v] [--human]");
  bool verbose = rpc_vals_bool(r->v, "verbose");
  bool human = rpc_vals_bool(r->v, "human");
  json_t *o = one(r, "bitswap/stat", argc, argv);
  if (!o)
    return 1;
  printf("bitswap status\n");
  printf("\tblocks received: %llu\n",
         (unsigned long long)jint(o, "BlocksReceived"));
  printf("\tblocks sent: %llu\n", (unsigned long long)jint(o, "BlocksSent"));
  size_line("data received", jint(o, "DataReceived"), human);
  size_line("data sent", jint(o, "DataSent"), human);
  printf("\tdup blocks received: %llu\n",
         (unsigned long long)jint(o, "DupBlksReceived"));
  size_line("dup data received", jint(o, "DupDataReceived"), human);
  json_t *wl = json_object_get(o, "Wantlist"), *peers = json_object_get(o, "Peers"), *v;
  size_t i;
  printf("\twantlist [%zu keys]\n", json_array_size(wl));
  json_array_foreach(wl, i, v) printf("\t\t%s\n", cli__jstr(v, "/"));
  printf("\tpartners [%zu]\n", json_array_size(peers));
  if (verbose)
    json_array_foreach(peers, i, v) printf("\t\t%s\n", json_string_value(v));
  json_decref(o);
  return 0;
}

int cli__remote_bitswap_wantlist(remote_t *r, int argc, char **argv) {
  if (argc != 1)
    return cli_failf("usage: trove bitswap wantlist [-p PEER]");
  json_t *o = one(r, "bitswap/wantlist", argc, argv);
  if (!o)
    return 1;
  json_t *v;
  size_t i;
  /* The API sorts the keys already, as Kubo's encoder does here. */
  json_array_foreach(json_object_get(o, "Keys"), i, v)
    printf("%s\n", cli__jstr(v, "/"));
  json_decref(o);
  return 0;
}

int cli__remote_bitswap_ledger(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove bitswap ledger PEER");
  json_t *o = one(r, "bitswap/ledger", argc, argv);
  if (!o)
    return 1;
  printf("Ledger for %s\nDebt ratio:\t%f\nExchanges:\t%llu\nBytes sent:\t"
         "%llu\nBytes received:\t%llu\n\n",
         cli__jstr(o, "Peer"), json_number_value(json_object_get(o, "Value")),
         (unsigned long long)jint(o, "Exchanged"),
         (unsigned long long)jint(o, "Sent"),
         (unsigned long long)jint(o, "Recv"));
  json_decref(o);
  return 0;
}

int cli__remote_bitswap_reprovide(remote_t *r, int argc, char **argv) {
  json_t *o = one(r, "bitswap/reprovide", argc, argv);
  json_decref(o);
  return o ? 0 : 1;
}

int cli__remote_stats_bitswap(remote_t *r, int argc, char **argv) {
  return cli__remote_bitswap_stat(r, argc, argv);
}

int cli__remote_stats_bw(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("usage: trove stats bw [-p PEER | -t PROTO] [--poll "
                     "[-i 1s]]");
  bool poll = rpc_vals_bool(r->v, "poll");
  if (cli__call(r, "stats/bw"))
    return 1;
  if (poll)
    printf("Total Up    Total Down  Rate Up     Rate Down\n");
  json_t *o;
  int rc;
  char a[32], b[32], c[32], d[32];
  while ((rc = cli__next_value(r, &o)) > 0) {
    json_t *t = json_object_get(o, "Type");
    if (json_is_string(t) && !strcmp(json_string_value(t), "error")) {
      cli_failf("%s", cli__jstr(o, "Message"));
      json_decref(o);
      return 1;
    }
    uint64_t in = jint(o, "TotalIn"), out = jint(o, "TotalOut");
    uint64_t rin = jint(o, "RateIn"), rout = jint(o, "RateOut");
    json_decref(o);
    if (!poll) {
      printf("Bandwidth\nTotalIn: %s\nTotalOut: %s\nRateIn: %s/s\nRateOut: "
             "%s/s\n", cli_humanize(in, a, sizeof a), cli_humanize(out, b, sizeof b),
             cli_humanize(rin, c, sizeof c), cli_humanize(rout, d, sizeof d));
      return 0;
    }
    printf("%8s    %8s    %8s/s  %8s/s      \r", cli_humanize(out, a, sizeof a),
           cli_humanize(in, b, sizeof b), cli_humanize(rout, c, sizeof c),
           cli_humanize(rin, d, sizeof d));
    fflush(stdout);
  }
  return rc < 0;
}
