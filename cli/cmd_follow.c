/*
 * cmd_follow.c — `trove mirror follow URL --token T | /ipns/NAME [--keep N]
 * | --list FILE`, `trove mirror unfollow ID`, `trove mirror sync [ID]` and
 * `trove mirror status`, through a running daemon's API (the follows live
 * in the daemon: mirror/follow.h; /api/v0/mirror/follow etc.).  Status
 * prints a block of "name: value" lines per follow, for people and for
 * scripts (tests/it_mirror_follow.sh reads them).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "remote_int.h"

static long long jint(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}


int cli__remote_mirror_follow(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove mirror follow URL --token T | /ipns/NAME "
                     "[--keep N] | --list FILE");
  char abs[PATH_MAX];
  const char *src = argv[1];
  if (rpc_vals_bool(r->v, "list")) {
    /* the daemon reads the file at each sync, from its own directory */
    if (!realpath(argv[1], abs))
      return cli_failf("mirror follow: %s: cannot read it", argv[1]);
    src = abs;
  }
  if (cli__qadd(r, "arg", src))
    return 1;
  json_t *o = cli__ask(r, "mirror/follow");
  if (!o)
    return 1;
  printf("following %s as %lld (%s)\n", argv[1], jint(o, "ID"),
         cli__jstr(o, "Kind"));
  json_decref(o);
  return 0;
}

int cli__remote_mirror_unfollow(remote_t *r, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("usage: trove mirror unfollow ID");
  if (cli__qargs(r, argc, argv))
    return 1;
  json_t *o = cli__ask(r, "mirror/unfollow");
  if (!o)
    return 1;
  printf("unfollowed %lld, %lld pins removed\n", jint(o, "ID"),
         jint(o, "Removed"));
  json_decref(o);
  return 0;
}

int cli__remote_mirror_sync(remote_t *r, int argc, char **argv) {
  if (argc > 2)
    return cli_failf("usage: trove mirror sync [ID]");
  if (cli__qargs(r, argc, argv))
    return 1;
  json_t *o = cli__ask(r, "mirror/sync");
  if (!o)
    return 1;
  json_decref(o);
  return 0;
}

int cli__remote_mirror_status(remote_t *r, int argc, char **argv) {
  (void)argv;
  if (argc != 1)
    return cli_failf("usage: trove mirror status");
  json_t *o = cli__ask(r, "mirror/status");
  if (!o)
    return 1;
  json_t *a = json_object_get(o, "Follows");
  size_t i;
  json_t *f;
  if (!json_array_size(a))
    printf("no follows\n");
  json_array_foreach(a, i, f) {
    printf("%sfollow %lld\n", i ? "\n" : "", jint(f, "ID"));
    printf("kind: %s\n", cli__jstr(f, "Kind"));
    printf("source: %s\n", cli__jstr(f, "Source"));
    if (!strcmp(cli__jstr(f, "Kind"), "ipns")) {
      printf("keep: %lld\n", jint(f, "Keep"));
      size_t j;
      json_t *v;
      json_array_foreach(json_object_get(f, "Versions"), j, v)
        printf("version %zu: %s\n", j, json_string_value(v));
    }
    const char *ls = cli__jstr(f, "LastSync");
    printf("last sync: %s\n", *ls ? ls : "never");
    printf("syncs: %lld%s\n", jint(f, "Syncs"),
           json_is_true(json_object_get(f, "Syncing")) ? " (syncing)" : "");
    printf("wanted: %lld\n", jint(f, "Wanted"));
    printf("pending: %lld\n", jint(f, "Queued") + jint(f, "Pinning"));
    printf("pinned: %lld\n", jint(f, "Pinned"));
    printf("failed: %lld\n", jint(f, "Failed"));
    printf("missing: %lld\n", jint(f, "Missing"));
    const char *e = cli__jstr(f, "LastError");
    printf("last error: %s\n", *e ? e : "none");
  }
  json_decref(o);
  return 0;
}
