/*
 * cmd_routing.c — `trove routing findprovs|findpeer|provide|get|put`, `trove
 * dht query` and `trove stats dht` through a running daemon's API (the
 * DHTs live in the daemon), printed as Kubo's CLI prints them: provider
 * IDs one a line, a peer's addresses one a line, a record's raw bytes,
 * the closest peers' IDs.  An error line in the stream ({"Type":"error"})
 * is printed and fails the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote_int.h"

/* The most a routing put reads of its file: past a record's size limit
 * (10 KiB), so that the daemon's validator is the one to refuse it. */
#define PUT_FILE_MAX (64u << 10)

int cmd_routing_offline(cli_t *c, int n, char **v) {
  (void)c, (void)n, (void)v;
  return cli_failf("this command must be run in online mode (start 'trove "
                   "daemon')");
}

/* Each QueryEvent of type want of an answer begun: fn gets it.  Returns
 * the exit status. */
static int drain(remote_t *r, int want, void (*fn)(json_t *ev)) {
  json_t *o;
  int rc, failed = 0;
  while ((rc = cli__next_value(r, &o)) > 0) {
    json_t *t = json_object_get(o, "Type");
    if (json_is_string(t) && !strcmp(json_string_value(t), "error")) {
      cli_failf("%s", cli__jstr(o, "Message"));
      failed = 1;
    } else if (json_integer_value(t) == want && fn) {
      fn(o);
    }
    json_decref(o);
    fflush(stdout);
  }
  return rc < 0 || failed;
}

static int events(remote_t *r, const char *cmd, int argc, char **argv,
                  int want, void (*fn)(json_t *ev)) {
  if (cli__qargs(r, argc, argv) || cli__call(r, cmd))
    return 1;
  return drain(r, want, fn);
}

static json_t *first_response(json_t *ev) {
  return json_array_get(json_object_get(ev, "Responses"), 0);
}

static void print_id(json_t *ev) {
  json_t *p = first_response(ev);
  if (p)
    printf("%s\n", cli__jstr(p, "ID"));
}

static void print_addrs(json_t *ev) {
  json_t *a;
  size_t i;
  json_array_foreach(json_object_get(first_response(ev), "Addrs"), i, a)
    printf("%s\n", json_string_value(a) ? json_string_value(a) : "");
}

static void write_value(json_t *ev) {
  const char *b64 = cli__jstr(ev, "Extra");
  size_t n = strlen(b64), len;
  unsigned char *buf = malloc(n + 1);
  if (buf && !sodium_base642bin(buf, n + 1, b64, n, NULL, &len, NULL,
                                sodium_base64_VARIANT_ORIGINAL))
    fwrite(buf, 1, len, stdout);
  free(buf);
}

int cli__remote_findprovs(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove routing findprovs [-n N] CID");
  return events(r, "routing/findprovs", argc, argv, 4, print_id);
}

int cli__remote_findpeer(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove routing findpeer PEER");
  return events(r, "routing/findpeer", argc, argv, 2, print_addrs);
}

int cli__remote_provide(remote_t *r, int argc, char **argv) {
  int n = cli__qargs_many(r, argc, argv);
  if (!n)
    return cli_failf("usage: trove routing provide [-r] CID... (or a CID a "
                     "line on stdin)");
  if (n < 0 || cli__call(r, "routing/provide"))
    return 1;
  return drain(r, -1, NULL);
}

int cli__remote_routing_get(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove routing get KEY");
  return events(r, "routing/get", argc, argv, 5, write_value);
}

static void print_event_id(json_t *ev) { printf("%s\n", cli__jstr(ev, "ID")); }

/* routing put KEY [FILE]: the record as one multipart file part, as
 * Kubo's CLI sends it; prints the name's PeerID as Kubo does. */
int cli__remote_routing_put(remote_t *r, int argc, char **argv) {
  if (argc != 2 && argc != 3)
    return cli_failf("usage: trove routing put KEY [FILE]");
  const char *file = argc == 3 ? argv[2] : "-";
  int fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
  if (fd < 0)
    return cli_failf("routing put: %s: %s", file, strerror(errno));
  tr_bytes_t val = {0};
  int e = tr_bytes_reserve(&val, PUT_FILE_MAX + 1);
  while (!e && val.len <= PUT_FILE_MAX) {
    ssize_t n = read(fd, val.data + val.len, PUT_FILE_MAX + 1 - val.len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      e = n < 0 ? -errno : 0;
      break;
    }
    val.len += (size_t)n;
  }
  if (fd)
    close(fd);
  if (e || val.len > PUT_FILE_MAX) {
    tr_bytes_free(&val);
    return e ? cli_failf("routing put: %s: %s", file, strerror(-e))
             : cli_failf("routing put: %s: larger than a record may be",
                         file);
  }
  int rc = cli__qadd(r, "arg", argv[1]) ||
           cli__send_file(r, "routing/put", "file", val.data, val.len) ||
           drain(r, 5, print_event_id);
  tr_bytes_free(&val);
  return rc;
}

int cli__remote_dht_query(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove dht query PEER");
  return events(r, "dht/query", argc, argv, 2, print_id);
}

static void print_table(const char *name, json_t *t) {
  if (!json_is_object(t))
    return;
  printf("DHT %s (%lld peers):\n", name,
         (long long)json_integer_value(json_object_get(t, "Size")));
  json_t *b, *p;
  size_t i, j;
  json_array_foreach(json_object_get(t, "Buckets"), i, b) {
    json_t *peers = json_object_get(b, "Peers");
    if (!json_array_size(peers))
      continue;
    printf("  Bucket %2zu (%zu peers):\n", i, json_array_size(peers));
    json_array_foreach(peers, j, p)
      printf("    %s\n", cli__jstr(p, "ID"));
  }
  printf("\n");
}

int cli__remote_stats_dht(remote_t *r, int argc, char **argv) {
  (void)argc, (void)argv;
  json_t *o;
  if (cli__call(r, "stats/dht") || cli__next_value(r, &o) <= 0)
    return 1;
  print_table("wan", json_object_get(o, "wan"));
  print_table("lan", json_object_get(o, "lan"));
  json_decref(o);
  return 0;
}

/* One JSON answer, or the error line that replaced it. */
static json_t *one_value(remote_t *r, const char *cmd, int argc,
                         char **argv) {
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

int cli__remote_name_publish(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove name publish [OPTIONS] PATH");
  json_t *o = one_value(r, "name/publish", argc, argv);
  if (!o)
    return 1;
  if (rpc_vals_bool(r->v, "quieter"))
    printf("%s\n", cli__jstr(o, "Name"));
  else
    printf("Published to %s: %s\n", cli__jstr(o, "Name"),
           cli__jstr(o, "Value"));
  json_decref(o);
  return 0;
}

int cli__remote_name_resolve(remote_t *r, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("usage: trove name resolve [NAME]");
  json_t *o = one_value(r, "name/resolve", argc, argv);
  if (!o)
    return 1;
  printf("%s\n", cli__jstr(o, "Path"));
  json_decref(o);
  return 0;
}

int cli__remote_resolve(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove resolve PATH");
  json_t *o = one_value(r, "resolve", argc, argv);
  if (!o)
    return 1;
  printf("%s\n", cli__jstr(o, "Path"));
  json_decref(o);
  return 0;
}

static void print_sweep(const char *name, json_t *t) {
  if (!json_is_object(t))
    return;
  printf("%s:\n", name);
  const char *k;
  json_t *v;
  json_object_foreach(t, k, v) {
    if (json_is_string(v))
      printf("  %-16s %s\n", k, json_string_value(v));
    else
      printf("  %-16s %lld\n", k, (long long)json_integer_value(v));
  }
}

int cli__remote_provide_once(remote_t *r, int argc, char **argv) {
  int nargs = cli__qargs_many(r, argc, argv);
  if (!nargs)
    return cli_failf("usage: trove provide once [-r] CID... (or a CID a line "
                     "on stdin)");
  if (nargs < 0 || cli__call(r, "provide/once"))
    return 1;
  json_t *o;
  int rc;
  size_t n = 0;
  while ((rc = cli__next_value(r, &o)) > 0) {
    n += json_is_string(json_object_get(o, "Queued"));
    json_decref(o);
  }
  if (rc < 0)
    return 1;
  printf("queued %zu CID(s) for immediate provide\n", n); /* Kubo's line */
  return 0;
}

int cli__remote_provide_clear(remote_t *r, int argc, char **argv) {
  (void)argc, (void)argv;
  json_t *o;
  if (cli__call(r, "provide/clear"))
    return 1;
  if (rpc_vals_bool(r->v, "quiet"))
    return 0;
  if (cli__next_value(r, &o) <= 0)
    return 1;
  printf("removed %lld items from provide queue\n",
         (long long)json_integer_value(o));
  json_decref(o);
  return 0;
}

int cli__remote_provide_stat(remote_t *r, int argc, char **argv) {
  (void)argc, (void)argv;
  json_t *o;
  if (cli__call(r, "provide/stat") || cli__next_value(r, &o) <= 0)
    return 1;
  print_sweep("DHT wan", json_object_get(o, "wan"));
  print_sweep("DHT lan", json_object_get(o, "lan"));
  print_sweep("New content (the provide queue)", json_object_get(o, "queue"));
  json_decref(o);
  return 0;
}
