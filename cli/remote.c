/*
 * remote.c — the plumbing of the commands that talk to a running daemon
 * (remote_int.h): building the query, starting the call, reading the
 * answer's JSON values.  Below cmd_remote.c (simple commands and the
 * table) and cmd_remote_up.c (uploads), which both use it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../node/daemon.h"
#include "../config/config.h"
#include "remote_int.h"

/* ------------------------------------------------------------ plumbing */

int cli__qadd(remote_t *r, const char *k, const char *v) {
  if (http_query_add(&r->q, k, v)) {
    cli_failf("%s: out of memory", r->what);
    return 1;
  }
  return 0;
}

/* Over TCP a daemon with API.Authorizations wants a token (rpc/api.c):
 * the first scope of the repo's config whose AllowedPaths take path (the
 * CLI can read the config, as it could the Unix socket it prefers). */
static void tcp_auth(remote_t *r, const char *path) {
  json_t *cfg = NULL;
  r->h.auth[0] = 0;
  if (config_load(r->cli->repo, &cfg))
    return;
  const char *user;
  json_t *scope;
  json_object_foreach(config_get(cfg, "API.Authorizations"), user, scope) {
    const char *secret = json_string_value(json_object_get(scope, "AuthSecret"));
    size_t i;
    json_t *p;
    bool ok = false;
    json_array_foreach(json_object_get(scope, "AllowedPaths"), i, p) {
      const char *pre = json_string_value(p);
      ok |= pre && !strncmp(path, pre, strlen(pre));
    }
    if (ok && secret) {
      config_auth_header(secret, r->h.auth, sizeof r->h.auth);
      if (r->h.auth[0])
        break;
    }
  }
  json_decref(cfg);
}

/* Open the connection and send the request line (body if ctype). */
int cli__start(remote_t *r, const char *cmd, const char *ctype) {
  char target[128];
  snprintf(target, sizeof target, "/api/v0/%s", cmd);
  tr_bytes_t t = {0};
  int rc = tr_bytes_append(&t, target, strlen(target));
  if (!rc && r->q.len)
    rc = tr_bytes_append(&t, r->q.data, r->q.len);
  if (!rc)
    rc = tr_bytes_append(&t, "", 1);
  /* The daemon's Unix socket when it has one (node_daemon_sock), else the
   * TCP address its api file gave. */
  char sock[4200];
  if (!rc && (!node_daemon_sock(r->cli->repo, sock, sizeof sock) ||
              cli_http_open_unix(&r->h, sock)) &&
      (rc = cli_http_open(&r->h, r->host, r->port)))
    cli_failf("%s: cannot reach the daemon at %s:%d: %s", r->what, r->host,
              r->port, strerror(-rc));
  if (!rc && !r->h.is_unix)
    tcp_auth(r, target);
  if (rc)
    ;
  else if ((rc = cli_http_request(&r->h, (const char *)t.data, ctype)))
    cli_failf("%s: sending to the daemon: %s", r->what, strerror(-rc));
  tr_bytes_free(&t);
  return rc ? 1 : 0;
}

/* Read the response head; a non-200 answer is reported. */
int cli__answer(remote_t *r) {
  int rc = cli_http_response(&r->h);
  if (rc)
    return cli_failf("%s: no answer from the daemon: %s", r->what,
                     tr_strerror(rc));
  if (r->h.status != 200) {
    char msg[1024];
    cli_http_error(&r->h, msg, sizeof msg);
    return cli_failf("%s: %s", r->what, msg);
  }
  return 0;
}

/* The body of cli__qargs_many's overflow: one file part, "stdin", as
 * go-ipfs-cmds sends a command's stdin arguments. */
static int send_body_args(remote_t *r, const char *cmd) {
  uint8_t rnd[16];
  char b[33], ctype[96], head[256], tail[48];
  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
    return cli_failf("%s: no randomness for a boundary", r->what);
  for (int i = 0; i < 16; i++)
    snprintf(b + 2 * i, 3, "%02x", rnd[i]);
  snprintf(ctype, sizeof ctype, "multipart/form-data; boundary=%s", b);
  int hl = snprintf(head, sizeof head,
                    "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
                    "filename=\"stdin\"\r\nContent-Type: "
                    "application/octet-stream\r\n\r\n",
                    b);
  int tl = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", b);
  if (cli__start(r, cmd, ctype))
    return 1;
  int rc = cli_http_send(&r->h, head, (size_t)hl);
  if (!rc)
    rc = cli_http_send(&r->h, r->body_args.data, r->body_args.len);
  if (!rc)
    rc = cli_http_send(&r->h, tail, (size_t)tl);
  if (!rc)
    rc = cli_http_end(&r->h);
  if (rc)
    return cli_failf("%s: sending to the daemon: %s", r->what, strerror(-rc));
  return 0;
}

int cli__send_file(remote_t *r, const char *cmd, const char *part,
                   const uint8_t *b, size_t n) {
  uint8_t rnd[12];
  char boundary[48] = "trove-", ct[96], head[256], tail[64];
  if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
    return cli_failf("%s: no randomness for a boundary", r->what);
  tr_hex(rnd, sizeof rnd, boundary + 6);
  snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", boundary);
  int hl = snprintf(head, sizeof head,
                    "--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                    "filename=\"%s\"\r\nContent-Type: "
                    "application/octet-stream\r\n\r\n",
                    boundary, part, part);
  int tl = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", boundary);
  if (hl < 0 || (size_t)hl >= sizeof head || cli__start(r, cmd, ct))
    return 1;
  int e = cli_http_send(&r->h, head, (size_t)hl);
  if (!e)
    e = cli_http_send(&r->h, b, n);
  if (!e)
    e = cli_http_send(&r->h, tail, (size_t)tl);
  if (!e)
    e = cli_http_end(&r->h);
  /* A daemon that answered early (an error) closes: read its answer. */
  if (e && e != -EPIPE)
    return cli_failf("%s: sending to the daemon: %s", r->what, strerror(-e));
  return cli__answer(r);
}

int cli__call(remote_t *r, const char *cmd) {
  if (r->body_args.len)
    return send_body_args(r, cmd) || cli__answer(r) ? 1 : 0;
  return cli__start(r, cmd, NULL) || cli__answer(r) ? 1 : 0;
}

/* One argument: into the URL while it has room, else into the body. */
static int arg_many(remote_t *r, const char *a) {
  if (!r->body_args.len && r->q.len + 3 * strlen(a) + 5 < CLI_URL_ARGS_MAX)
    return cli__qadd(r, "arg", a);
  if (strchr(a, '\n'))
    return cli_failf("%s: an argument holds a newline", r->what);
  if (tr_bytes_append(&r->body_args, a, strlen(a)) ||
      tr_bytes_append(&r->body_args, "\n", 1))
    return cli_failf("%s: out of memory", r->what);
  return 0;
}

int cli__qargs_many(remote_t *r, int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (arg_many(r, argv[i]))
      return -1;
  return argc - 1;
}

/* Next NDJSON value of the answer: 1 and *o, 0 at the end; an error value
 * in the stream (Kubo's {"Message","Type":"error"}), an X-Stream-Error
 * trailer at the end or a cut answer is reported and gives -1. */
int cli__next_value(remote_t *r, json_t **o) {
  static tr_bytes_t line; /* one answer's values, one after another */
  *o = NULL;
  for (;;) {
    int rc = cli_http_line(&r->h, &line);
    size_t n = line.len;
    if (rc < 0) {
      cli_failf("%s: the daemon's answer was cut: %s", r->what,
                tr_strerror(rc));
      return -1;
    }
    if (rc == 0 && r->h.stream_error[0]) {
      cli_failf("%s: %s", r->what, r->h.stream_error);
      return -1;
    }
    if (rc == 0)
      return 0;
    if (n == 0)
      continue;
    *o = json_loadb((const char *)line.data, n, JSON_DECODE_ANY, NULL);
    if (!*o) {
      cli_failf("%s: malformed answer from the daemon", r->what);
      return -1;
    }
    const char *type = json_string_value(json_object_get(*o, "Type"));
    if (type && !strcmp(type, "error")) {
      cli_failf("%s: %s", r->what,
                json_string_value(json_object_get(*o, "Message")));
      json_decref(*o);
      *o = NULL;
      return -1;
    }
    return 1;
  }
}

/* The body of the answer to stdout. */
int cli__body_out(remote_t *r) {
  static uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = cli_http_read(&r->h, buf, sizeof buf);
    if (n < 0)
      return cli_failf("%s: the daemon's answer was cut: %s", r->what,
                       tr_strerror((int)n));
    if (n == 0)
      return 0;
    int rc = cli_write_out(buf, (size_t)n);
    if (rc)
      return cli_failf("%s: writing: %s", r->what, strerror(-rc));
  }
}

json_t *cli__ask(remote_t *r, const char *cmd) {
  json_t *o;
  if (cli__call(r, cmd) || cli__next_value(r, &o) <= 0)
    return NULL;
  json_t *t = json_object_get(o, "Type");
  if (json_is_string(t) && !strcmp(json_string_value(t), "error")) {
    cli_failf("%s", cli__jstr(o, "Message"));
    json_decref(o);
    return NULL;
  }
  return o;
}

bool cli__passes_fds(remote_t *r) {
  const char *off = getenv("TROVE_PASS_FDS");
  char sock[4200];
  cli_http_t *h = NULL;
  if ((off && !strcmp(off, "0")) ||
      !node_daemon_sock(r->cli->repo, sock, sizeof sock) ||
      !(h = tr_malloc(sizeof *h)) || cli_http_open_unix(h, sock)) {
    tr_free(h);
    return false;
  }
  bool yes = false;
  tr_bytes_t body = {0};
  if (!cli_http_request(h, "/api/v0/passfd", NULL) &&
      !cli_http_response(h) && h->status == 200 &&
      cli_http_line(h, &body) == 1) {
    json_t *o = json_loadb((const char *)body.data, body.len, 0, NULL);
    yes = json_is_true(json_object_get(o, "PassFd"));
    json_decref(o);
  }
  tr_bytes_free(&body);
  cli_http_close(h);
  tr_free(h);
  return yes;
}

const char *cli__jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

int cli__qopts(remote_t *r, const rpc_vals_t *v) {
  for (size_t k = 0; v->def->opts[k].name; k++) {
    const rpc_optdef_t *o = &v->def->opts[k];
    if (!o->rpc || !v->v[k].set)
      continue;
    const char *val = o->type == RPC_OPT_BOOL ? (v->v[k].b ? "true" : "false")
                                              : v->v[k].s;
    if (cli__qadd(r, o->rpc, val))
      return 1;
  }
  return 0;
}

int cli__qargs(remote_t *r, int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (cli__qadd(r, "arg", argv[i]))
      return 1;
  return 0;
}
