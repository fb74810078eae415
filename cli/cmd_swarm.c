/*
 * cmd_swarm.c — `trove swarm peers|connect|disconnect|addrs
 * [local|listen|autonat]|filters`, `trove swarm peering add|ls|rm`, `trove
 * log level|ls|tail`, `trove ping PEER` and `trove id` through a running
 * daemon's API, printed as Kubo's CLI prints them.  The swarm lives in the
 * daemon, so without one these commands (and every other command only a
 * daemon runs: cmd_online_only) say, as Kubo does, that they need online
 * mode (`id` alone falls back to the repo's identity, in cmd_repo.c).
 *
 * The cli__remote_* functions are called by cli_remote() (cmd_remote.c's
 * table) when a daemon answers; cmd_* run when none does.
 */
#include <stdlib.h>
#include <string.h>

#include "remote_int.h"

static int offline(const char *what) {
  return cli_failf("%s: this command must be run in online mode (start "
                   "'trove daemon')", what);
}

int cmd_online_only(cli_t *c, int n, char **v) {
  (void)n, (void)v;
  return offline(c->v.def->name);
}

/* One JSON answer; each string of its member key on a line. */
static int print_strings(remote_t *r, const char *cmd, const char *key) {
  json_t *o, *s;
  size_t i;
  if (cli__call(r, cmd) || cli__next_value(r, &o) <= 0)
    return 1;
  json_array_foreach(json_object_get(o, key), i, s)
    printf("%s\n", json_string_value(s) ? json_string_value(s) : "");
  json_decref(o);
  return 0;
}

int cli__remote_swarm_peers(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("swarm peers: takes no arguments");
  json_t *o, *p;
  size_t i;
  if (cli__call(r, "swarm/peers") || cli__next_value(r, &o) <= 0)
    return 1;
  /* Kubo's text encoder: latency and direction after the address when
   * the answer has them, then a line per stream. */
  json_array_foreach(json_object_get(o, "Peers"), i, p) {
    const char *lat = cli__jstr(p, "Latency");
    json_int_t dir = json_integer_value(json_object_get(p, "Direction"));
    printf("%s/p2p/%s%s%s%s\n", cli__jstr(p, "Addr"), cli__jstr(p, "Peer"),
           *lat ? " " : "", lat,
           dir == 1 ? " inbound" : dir == 2 ? " outbound" : "");
    size_t k;
    json_t *s;
    json_array_foreach(json_object_get(p, "Streams"), k, s) {
      const char *proto = cli__jstr(s, "Protocol");
      printf("  %s\n", *proto ? proto : "<no protocol name>");
    }
  }
  json_decref(o);
  return 0;
}

int cli__remote_swarm_connect(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("swarm connect: usage: trove swarm connect MADDR");
  return cli__qargs(r, argc, argv) ||
         print_strings(r, "swarm/connect", "Strings");
}

int cli__remote_swarm_disconnect(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("swarm disconnect: usage: trove swarm disconnect MADDR");
  return cli__qargs(r, argc, argv) ||
         print_strings(r, "swarm/disconnect", "Strings");
}

/* swarm peering add|rm: Kubo's text, "add ID success" a line per peer. */
static int peering_change(remote_t *r, int argc, char **argv,
                          const char *verb, const char *cmd) {
  if (argc < 2)
    return cli_failf("swarm peering %s: usage: trove swarm peering %s %s",
                     verb, verb, !strcmp(verb, "add") ? "MADDR/p2p/ID..."
                                                      : "ID...");
  if (cli__qargs(r, argc, argv) || cli__call(r, cmd))
    return 1;
  json_t *o;
  int k;
  while ((k = cli__next_value(r, &o)) > 0) {
    printf("%s %s %s\n", !strcmp(verb, "add") ? "add" : "remove",
           cli__jstr(o, "ID"), cli__jstr(o, "Status"));
    json_decref(o);
  }
  return k < 0;
}

int cli__remote_swarm_peering_add(remote_t *r, int argc, char **argv) {
  return peering_change(r, argc, argv, "add", "swarm/peering/add");
}

int cli__remote_swarm_peering_rm(remote_t *r, int argc, char **argv) {
  return peering_change(r, argc, argv, "rm", "swarm/peering/rm");
}

int cli__remote_swarm_peering_ls(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("swarm peering ls: takes no arguments");
  json_t *o, *p, *a;
  size_t i, j;
  if (cli__call(r, "swarm/peering/ls") || cli__next_value(r, &o) <= 0)
    return 1;
  json_array_foreach(json_object_get(o, "Peers"), i, p) {
    printf("%s\n", cli__jstr(p, "ID"));
    json_array_foreach(json_object_get(p, "Addrs"), j, a)
      printf("\t%s\n", json_string_value(a) ? json_string_value(a) : "");
  }
  json_decref(o);
  return 0;
}

/* swarm addrs local and swarm addrs listen. */
int cli__remote_swarm_addrs_local(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("%s: takes no arguments", r->what);
  return print_strings(r, strcmp(r->what, "swarm addrs local")
                              ? "swarm/addrs/listen" : "swarm/addrs/local",
                       "Strings");
}

/* log level: Kubo's text, the message, or the levels ("S: L" when
 * there are several, the level alone when one). */
int cli__remote_log_level(remote_t *r, int argc, char **argv) {
  json_t *o, *v;
  const char *k;
  if (argc > 3)
    return cli_failf("log level: [SUBSYSTEM [LEVEL]]");
  if (cli__qargs(r, argc, argv) || cli__call(r, "log/level") ||
      cli__next_value(r, &o) <= 0)
    return 1;
  const char *msg = json_string_value(json_object_get(o, "Message"));
  json_t *lv = json_object_get(o, "Levels");
  if (msg)
    fputs(msg, stdout);
  else if (json_object_size(lv) == 1)
    json_object_foreach(lv, k, v) printf("%s\n", json_string_value(v));
  else
    json_object_foreach(lv, k, v) printf("%s: %s\n", k, json_string_value(v));
  json_decref(o);
  return 0;
}

int cli__remote_log_ls(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("log ls: takes no arguments");
  return print_strings(r, "log/ls", "Strings");
}

/* log tail: the lines as they come (the body's NDJSON, as Kubo's CLI
 * prints it), until the daemon or the user ends it. */
int cli__remote_log_tail(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("log tail: takes no arguments");
  return cli__call(r, "log/tail") || cli__body_out(r);
}

/* swarm filters [add|rm F...]: the strings, one a line, as Kubo's
 * safeTextListEncoder writes them. */
int cli__remote_swarm_filters(remote_t *r, int argc, char **argv) {
  const char *w = argv[0];
  const char *cmd = !strcmp(w, "add")  ? "swarm/filters/add"
                    : !strcmp(w, "rm") ? "swarm/filters/rm"
                                       : "swarm/filters";
  if (!strcmp(cmd, "swarm/filters") && argc != 1)
    return cli_failf("swarm filters: takes no arguments");
  return cli__qargs(r, argc, argv) || print_strings(r, cmd, "Strings");
}

/* Kubo's text encoder of swarm/addrs/autonat. */
int cli__remote_swarm_addrs_autonat(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("swarm addrs autonat: takes no arguments");
  json_t *o, *s;
  size_t i;
  if (cli__call(r, "swarm/addrs/autonat") || cli__next_value(r, &o) <= 0)
    return 1;
  printf("AutoNAT V2 Status:\n  Reachability: %s\n\nPer-Address "
         "Reachability:\n", cli__jstr(o, "reachability"));
  static const char *const keys[] = {"reachable", "unreachable", "unknown"};
  static const char *const labels[] = {"Reachable", "Unreachable", "Unknown"};
  size_t any = 0;
  for (int k = 0; k < 3; k++) {
    json_t *l = json_object_get(o, keys[k]);
    if (!json_array_size(l))
      continue;
    any += json_array_size(l);
    printf("  %s:\n", labels[k]);
    json_array_foreach(l, i, s)
      printf("    %s\n", json_string_value(s) ? json_string_value(s) : "");
  }
  if (!any)
    printf("  (no address reachability data available)\n");
  json_decref(o);
  return 0;
}

int cli__remote_swarm_addrs(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("swarm addrs: takes no arguments");
  json_t *o, *a, *s;
  const char *peer;
  size_t i;
  if (cli__call(r, "swarm/addrs") || cli__next_value(r, &o) <= 0)
    return 1;
  json_object_foreach(json_object_get(o, "Addrs"), peer, a) {
    printf("%s (%zu)\n", peer, json_array_size(a));
    json_array_foreach(a, i, s)
      printf("\t%s\n", json_string_value(s) ? json_string_value(s) : "");
  }
  json_decref(o);
  return 0;
}

int cli__remote_ping(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("ping: usage: trove ping [-n COUNT] PEER");
  if (cli__qargs(r, argc, argv) || cli__call(r, "ping"))
    return 1;
  json_t *o;
  int rc, failed = 0;
  while ((rc = cli__next_value(r, &o)) > 0) {
    const char *text = cli__jstr(o, "Text");
    bool ok = json_is_true(json_object_get(o, "Success"));
    if (*text)
      printf("%s\n", text);
    else if (ok)
      printf("Pong received: time=%.2f ms\n",
             (double)json_integer_value(json_object_get(o, "Time")) / 1e6);
    failed |= !ok;
    json_decref(o);
    fflush(stdout);
  }
  return rc < 0 || failed;
}
