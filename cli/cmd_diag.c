/*
 * cmd_diag.c — `trove diag cmds [-v] | cmds clear | cmds set-time T | sys |
 * healthy` through a running daemon's API (rpc/rpc_diag.c), printed as
 * Kubo's CLI prints them: cmds as its tabwriter table, sys and healthy as
 * their JSON.  They describe a running daemon, so without one each fails
 * (cmd_online_only; healthy too: no daemon is not healthy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote_int.h"

/* RFC 3339 with nanoseconds, UTC (what rpc_diag.c writes), as ns since
 * the epoch; 0 for the zero time or what does not parse. */
static int64_t parse_time(const char *s) {
  struct tm tm = {0};
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p || tm.tm_year < 70)
    return 0;
  int64_t ns = (int64_t)timegm(&tm) * 1000000000;
  if (*p == '.') {
    int64_t f = 0, scale = 100000000;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
      f += (*p - '0') * scale;
    ns += f;
  }
  return ns;
}

int cli__remote_diag_cmds(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("diag cmds: takes no arguments");
  bool verbose = rpc_vals_bool(r->v, "verbose");
  json_t *a = cli__ask(r, "diag/cmds"), *e;
  if (!a)
    return 1;
  tr_bytes_t t = {0};
  char line[1024];
  snprintf(line, sizeof line, "%sCommand\t%sActive\tStartTime\tRunTime\n",
           verbose ? "ID\t" : "", verbose ? "Arguments\tOptions\t" : "");
  int rc = tr_bytes_append(&t, line, strlen(line));
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  size_t i;
  json_array_foreach(a, i, e) {
    int64_t start = parse_time(cli__jstr(e, "StartTime"));
    int64_t end = parse_time(cli__jstr(e, "EndTime"));
    bool active = json_is_true(json_object_get(e, "Active"));
    if (active)
      end = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    char dur[TR_DURATION_STR_MAX], stamp[32];
    time_t st = (time_t)(start / 1000000000);
    struct tm tm;
    localtime_r(&st, &tm);
    strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm); /* time.Stamp */
    if (verbose) {
      /* Go's %v of []string and of each option's value */
      snprintf(line, sizeof line, "%lld\t",
               (long long)json_integer_value(json_object_get(e, "ID")));
      rc = rc || tr_bytes_append(&t, line, strlen(line));
    }
    snprintf(line, sizeof line, "%s\t", cli__jstr(e, "Command"));
    rc = rc || tr_bytes_append(&t, line, strlen(line));
    if (verbose) {
      json_t *v;
      const char *k;
      size_t j;
      rc = rc || tr_bytes_append(&t, "[", 1);
      json_array_foreach(json_object_get(e, "Args"), j, v) {
        const char *s = json_string_value(v);
        rc = rc || (j && tr_bytes_append(&t, " ", 1)) ||
             tr_bytes_append(&t, s ? s : "", s ? strlen(s) : 0);
      }
      rc = rc || tr_bytes_append(&t, "]\t[", 3);
      /* json_object_foreach walks in key order with JSON_SORT_KEYS off,
       * so sort as Kubo does */
      const char *keys[64];
      size_t nk = 0;
      json_object_foreach(json_object_get(e, "Options"), k, v) if (nk < 64)
          keys[nk++] = k;
      for (size_t x = 1; x < nk; x++)
        for (size_t y = x; y > 0 && strcmp(keys[y - 1], keys[y]) > 0; y--) {
          const char *tmp = keys[y];
          keys[y] = keys[y - 1], keys[y - 1] = tmp;
        }
      for (size_t x = 0; x < nk; x++) {
        v = json_object_get(json_object_get(e, "Options"), keys[x]);
        snprintf(line, sizeof line, "%s=%s,", keys[x],
                 json_is_string(v) ? json_string_value(v)
                 : json_is_true(v) ? "true"
                                   : "false");
        rc = rc || tr_bytes_append(&t, line, strlen(line));
      }
      rc = rc || tr_bytes_append(&t, "]\t", 2);
    }
    snprintf(line, sizeof line, "%s\t%s\t%s\n", active ? "true" : "false",
             stamp, (tr_format_duration(end - start, dur), dur));
    rc = rc || tr_bytes_append(&t, line, strlen(line));
  }
  json_decref(a);
  if (!rc && !tr_bytes_append(&t, "", 1))
    cli_tabwrite((const char *)t.data, 4, 2);
  tr_bytes_free(&t);
  return rc ? cli_fail("diag cmds", -ENOMEM) : 0;
}

int cli__remote_diag_cmds_clear(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("diag cmds clear: takes no arguments");
  return cli__call(r, "diag/cmds/clear");
}

int cli__remote_diag_cmds_set_time(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("diag cmds set-time: one argument, the time");
  return cli__qargs(r, argc, argv) || cli__call(r, "diag/cmds/set-time");
}

/* sys and healthy: their JSON, on a line, as Kubo's encoder writes it. */
int cli__remote_diag_json(remote_t *r, int argc, char **argv) {
  (void)argv;
  const char *cmd = !strcmp(r->what, "diag sys") ? "diag/sys" : "diag/healthy";
  if (argc != 1)
    return cli_failf("%s: takes no arguments", r->what);
  json_t *o = cli__ask(r, cmd);
  if (!o)
    return 1;
  char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  json_decref(o);
  if (!s)
    return cli_fail(r->what, -ENOMEM);
  printf("%s\n", s);
  free(s);
  return 0;
}
