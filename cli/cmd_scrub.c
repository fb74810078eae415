/*
 * cmd_scrub.c — `trove mirror scrub status|start` through a running
 * daemon's API (the scrubber lives in the daemon: mirror/scrub.h).  Status
 * prints one "name: value" line per figure, for people and for scripts
 * (tests/it_scrub.sh reads them); the API's JSON is
 * /api/v0/mirror/scrub/status.
 */
#include <string.h>

#include "remote_int.h"

static uint64_t jint(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}


static void print_status(json_t *o) {
  if (!json_is_true(json_object_get(o, "Enabled"))) {
    printf("scrubber: off (set Mirror.Scrub.Rate)\n");
    return;
  }
  json_t *t = json_object_get(o, "Totals");
  printf("scrubber: on, %llu bytes/s, a pass every %llu s\n",
         (unsigned long long)jint(o, "Rate"),
         (unsigned long long)jint(o, "IntervalSeconds"));
  printf("pass: %llu\n", (unsigned long long)jint(o, "Pass"));
  printf("phase: %s\n", cli__jstr(o, "Phase"));
  printf("cursor: %.1f%%\n",
         json_number_value(json_object_get(o, "CursorPercent")));
  printf("blocks checked: %llu\n", (unsigned long long)jint(o, "Blocks"));
  printf("bytes checked: %llu\n", (unsigned long long)jint(o, "Bytes"));
  printf("corrupt this pass: %llu\n", (unsigned long long)jint(o, "Corrupt"));
  printf("missing this pass: %llu\n", (unsigned long long)jint(o, "Missing"));
  printf("unreadable references this pass: %llu\n",
         (unsigned long long)jint(o, "Unreadable"));
  static const char *const totals[][2] = {
      {"Passes", "passes done"},     {"Corrupt", "corrupt found"},
      {"Missing", "missing found"},  {"Unreadable", "unreadable references"},
      {"Repaired", "repaired"},
      {"RepairFailed", "repair failures"},
      {"RepairGaveUp", "repairs given up"},
      {"RepairsPending", "repairs pending"}};
  for (size_t i = 0; i < TR_ARRAY_LEN(totals); i++)
    printf("%s: %llu\n", totals[i][1],
           (unsigned long long)jint(t, totals[i][0]));
}

int cli__remote_scrub_status(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("usage: trove mirror scrub status");
  json_t *o = cli__ask(r, "mirror/scrub/status");
  if (!o)
    return 1;
  print_status(o);
  json_decref(o);
  return 0;
}

int cli__remote_scrub_start(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("usage: trove mirror scrub start");
  json_t *o = cli__ask(r, "mirror/scrub/start");
  if (!o)
    return 1;
  printf("scrub pass started\n");
  json_decref(o);
  return 0;
}
