/*
 * rpc_version.c — what trove is and what it is built from, as Kubo's
 * version commands say it:
 *
 *   version            {"Version","Commit","Repo","System","Golang"}
 *   version/deps       NDJSON {"Path","Version","ReplacedBy","Sum"} per
 *                      library: trove itself first, then each library it
 *                      links, at the version running (not the one built
 *                      against: the same for the static LMDB)
 *   repo/version       {"Version"}: the repo's schema
 *   commands           the command tree, Kubo's {"Name","Subcommands",
 *                      "Options":[{"Names"}]}, from api_cmddefs.c's table
 *
 * "Golang" stays in the answer for the clients that read it; it says
 * there is none.
 */
#include <http_parser.h>
#include <jansson.h>
#include <lmdb.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <protobuf-c/protobuf-c.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <uv.h>

#include "rpc_int.h"

const char *rpc_system(void) {
  static char sys[96];
  struct utsname u;
  if (!sys[0]) {
    const char *arch = "unknown";
    if (!uname(&u))
      arch = !strcmp(u.machine, "x86_64")    ? "amd64"
             : !strcmp(u.machine, "aarch64") ? "arm64"
                                             : u.machine;
    snprintf(sys, sizeof sys, "%s/linux", arch);
  }
  return sys;
}

json_t *rpc_version_deps(const char *version) {
  int maj, min, patch;
  mdb_version(&maj, &min, &patch);
  unsigned long hp = http_parser_version();
  char lmdb[32], hpv[32];
  snprintf(lmdb, sizeof lmdb, "%d.%d.%d", maj, min, patch);
  snprintf(hpv, sizeof hpv, "%lu.%lu.%lu", (hp >> 16) & 255, (hp >> 8) & 255,
           hp & 255);
  const struct {
    const char *path, *version;
  } d[] = {
      {"trove", version},
      {"lmdb", lmdb},
      {"libuv", uv_version_string()},
      {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
      {"libsodium", sodium_version_string()},
      {"jansson", jansson_version_str()},
      {"nghttp2", nghttp2_version(0)->version_str},
      {"protobuf-c", protobuf_c_version()},
      {"http-parser", hpv},
  };
  json_t *a = json_array();
  for (size_t i = 0; a && i < TR_ARRAY_LEN(d); i++)
    if (json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "Path",
                                           d[i].path, "Version", d[i].version,
                                           "ReplacedBy", "", "Sum", ""))) {
      json_decref(a);
      a = NULL;
    }
  return a;
}

void rpc_cmd_version(http_req_t *req, rpc_ctx_t *ctx) {
  char repo[16];
  snprintf(repo, sizeof repo, "%d", BS_SCHEMA_VERSION);
  rpc_api_json(req, json_pack("{s:s,s:s,s:s,s:s,s:s}", "Version",
                              ctx->version, "Commit", "", "Repo", repo,
                              "System", rpc_system(), "Golang",
                              "none (C11)"));
}

void rpc_cmd_version_deps(http_req_t *req, rpc_ctx_t *ctx) {
  json_t *a = rpc_version_deps(ctx->version);
  if (!a) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  for (size_t i = 0; i < json_array_size(a); i++)
    rpc_write_line(req, json_incref(json_array_get(a, i)));
  http_res_end(req);
  json_decref(a);
}

void rpc_cmd_repo_version(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  char v[16];
  snprintf(v, sizeof v, "%d", BS_SCHEMA_VERSION);
  rpc_api_json(req, json_pack("{s:s}", "Version", v));
}

/* ------------------------------------------------------------ commands */

/* The node for the words of path[0..len) under parent, made when absent
 * (a group such as "swarm" that is no command of its own). */
static json_t *tree_child(json_t *parent, const char *w, size_t len) {
  json_t *subs = json_object_get(parent, "Subcommands"), *c;
  size_t i;
  json_array_foreach(subs, i, c) {
    const char *n = json_string_value(json_object_get(c, "Name"));
    if (n && strlen(n) == len && !memcmp(n, w, len))
      return c;
  }
  c = json_pack("{s:s%,s:[],s:[]}", "Name", w, len, "Subcommands",
                "Options");
  if (c && json_array_append_new(subs, c))
    return NULL;
  return c;
}

static int by_name(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")),
                json_string_value(json_object_get(*(json_t *const *)b, "Name")));
}

static void tree_sort(json_t *node) {
  json_t *subs = json_object_get(node, "Subcommands");
  size_t n = json_array_size(subs);
  json_t **v = n ? tr_malloc(n * sizeof *v) : NULL;
  for (size_t i = 0; v && i < n; i++)
    v[i] = json_incref(json_array_get(subs, i));
  if (v) {
    qsort(v, n, sizeof *v, by_name);
    json_array_clear(subs);
    for (size_t i = 0; i < n; i++)
      json_array_append_new(subs, v[i]);
    tr_free(v);
  }
  for (size_t i = 0; i < json_array_size(subs); i++)
    tree_sort(json_array_get(subs, i));
}

json_t *rpc_commands_tree(void) {
  json_t *root = json_pack("{s:s,s:[],s:[{s:[s]},{s:[s]},{s:[s]},{s:[s,s]}]}",
                           "Name", "trove", "Subcommands", "Options", "Names",
                           "repo", "Names", "offline", "Names", "timeout",
                           "Names", "help", "h");
  for (size_t i = 0; root && i < rpc_ncmddefs; i++) {
    json_t *node = root;
    for (const char *p = rpc_cmddefs[i].name; node && *p;) {
      size_t len = strcspn(p, " ");
      node = tree_child(node, p, len);
      p += len + (p[len] == ' ');
    }
    json_t *opts = json_object_get(node, "Options");
    for (const rpc_optdef_t *o = rpc_cmddefs[i].opts; opts && o->name; o++) {
      char s[2] = {o->shrt, 0};
      if (json_array_append_new(opts, o->shrt
                                           ? json_pack("{s:[s,s]}", "Names",
                                                       o->name, s)
                                           : json_pack("{s:[s]}", "Names",
                                                       o->name)))
        opts = NULL;
    }
    if (!node || !opts) {
      json_decref(root);
      return NULL;
    }
  }
  if (root)
    tree_sort(root);
  return root;
}

void rpc_cmd_commands(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  rpc_api_json(req, rpc_commands_tree());
}
